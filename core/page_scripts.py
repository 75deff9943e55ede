"""The few scripts the app's pages run, served as files of the app's own (``/_cpcm/js/NAME``) instead of inline
``<script>`` text, so that a Content-Security-Policy without ``'unsafe-inline'`` (the shipped nginx site's) lets
them run. A page inserts one with ``script_tag``; what it needs to know travels in the element's data
attributes, read through ``document.currentScript``."""

from __future__ import annotations

import html

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

PREFIX = "/_cpcm/js"

SCRIPTS = {
    # One same-origin POST (the sign-in cookie routes): data-route, data-body.
    "post.js": """(() => {
  const element = document.currentScript;
  fetch(element.dataset.route, {method: 'POST', credentials: 'same-origin',
    headers: {'Content-Type': 'application/x-www-form-urlencoded'}, body: element.dataset.body || ''});
})();
""",
    # The next view of the same page starts at the top (Streamlit keeps the scroll position).
    "scroll-top.js": """(() => {
  for (const element of [document.querySelector('[data-testid="stMain"]'), document.scrollingElement]) {
    if (element) element.scrollTo(0, 0);
  }
})();
""",
}


def script_tag(name: str, **data: str) -> str:
    """The element that runs script ``name``, with ``data`` as its (escaped) data attributes."""
    if name not in SCRIPTS:
        raise KeyError(name)
    attributes = "".join(f' data-{key}="{html.escape(value)}"' for key, value in data.items())
    return f'<script src="{PREFIX}/{name}"{attributes}></script>'


async def serve_script(request: Request) -> Response:
    body = SCRIPTS.get(request.path_params["name"])
    if body is None:
        return Response(status_code=404)
    return Response(body, media_type="text/javascript", headers={"Cache-Control": "public, max-age=3600"})


ROUTES = [Route(PREFIX + "/{name}", serve_script, methods=["GET"])]
