"""The two HTTP routes beside the Streamlit app that manage the sign-in cookie (Streamlit itself cannot set a
cookie): swap a one-time hand-off code for the session cookie, and clear it on sign-out. Both accept only a POST
from the app's own pages."""

from __future__ import annotations

from functools import cache
from urllib.parse import urlsplit

from sqlalchemy import Engine
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from accounts import sessions
from core.config import get_settings
from core.db import make_engine, session_scope

PREFIX = "/_cpcm"


@cache
def _engine(url: str) -> Engine:
    return make_engine(url)


def _same_origin(request: Request) -> bool:
    """A browser names the page a POST comes from; refuse one from another site (or from no page at all)."""
    if request.headers.get("sec-fetch-site", "same-origin") not in {"same-origin", "none"}:
        return False
    origin = request.headers.get("origin")
    if not origin:
        return False
    host = request.headers.get("x-forwarded-host") if get_settings().trust_proxy else None
    return urlsplit(origin).netloc == (host or request.headers.get("host", ""))


def _secure(request: Request) -> bool:
    if get_settings().trust_proxy and request.headers.get("x-forwarded-proto", "") == "https":
        return True
    return request.url.scheme == "https"


async def set_session_cookie(request: Request) -> Response:
    if not _same_origin(request):
        return Response(status_code=403)
    form = await request.form()
    handoff = str(form.get("handoff", ""))
    with session_scope(_engine(get_settings().database_url)) as session:
        claimed = sessions.claim_handoff(session, handoff)
        device = sessions.remember_device(session, account_id=claimed.account_id, device_token=request.cookies.get(
            sessions.DEVICE_COOKIE)) if claimed else ""
    if claimed is None:
        return Response(status_code=403)
    response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    response.set_cookie(sessions.COOKIE, claimed.token, httponly=True, samesite="strict", secure=_secure(request),
                        path="/")
    # Outlives the sign-in: the next sign-in from this browser is from a known device (see accounts.sign_in).
    response.set_cookie(sessions.DEVICE_COOKIE, device, max_age=sessions.DEVICE_DAYS * 86400, httponly=True,
                        samesite="strict", secure=_secure(request), path="/")
    return response


async def clear_session_cookie(request: Request) -> Response:
    if not _same_origin(request):
        return Response(status_code=403)
    response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    response.delete_cookie(sessions.COOKIE, path="/", httponly=True, samesite="strict", secure=_secure(request))
    return response


ROUTES = [
    Route(f"{PREFIX}/session", set_session_cookie, methods=["POST"]),
    Route(f"{PREFIX}/sign-out", clear_session_cookie, methods=["POST"]),
]
