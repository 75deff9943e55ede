"""The cookie route beside the app: swapping the one-time hand-off code sets the session cookie and the
known-device cookie (both HttpOnly, SameSite=Strict), and a browser that signs in again keeps its device token,
so the next sign-in from it is from a known device."""

from __future__ import annotations

import asyncio
from http.cookies import SimpleCookie

from sqlalchemy import func, select
from starlette.requests import Request

from accounts import sessions, web
from accounts.models import KnownDevice
from core.db import session_scope
from tests.conftest import make_account


def _post(handoff: str, cookies: str = "") -> tuple[int, SimpleCookie]:
    body = f"handoff={handoff}".encode()
    headers = [(b"host", b"cpcm.example.org"), (b"origin", b"https://cpcm.example.org"),
               (b"content-type", b"application/x-www-form-urlencoded"), (b"content-length", str(len(body)).encode())]
    if cookies:
        headers.append((b"cookie", cookies.encode()))
    scope = {"type": "http", "method": "POST", "path": "/_cpcm/session", "headers": headers, "query_string": b"",
             "scheme": "https", "server": ("cpcm.example.org", 443), "client": ("192.0.2.1", 5000)}

    async def receive():  # type: ignore[no-untyped-def]
        return {"type": "http.request", "body": body, "more_body": False}

    response = asyncio.run(web.set_session_cookie(Request(scope, receive)))
    jar: SimpleCookie = SimpleCookie()
    for name, value in response.raw_headers:
        if name == b"set-cookie":
            jar.load(value.decode())
    return response.status_code, jar


def test_signing_in_sets_the_session_and_device_cookies_and_remembers_the_browser(engine, database_url,
                                                                                  monkeypatch):
    monkeypatch.setenv("CPCM_DATABASE_URL", database_url)
    web._engine.cache_clear()
    account = make_account(engine, username="zoe", roles=["facilitator"])
    with session_scope(engine) as session:
        first = sessions.open_session(session, account)
    status, jar = _post(first.handoff)
    assert status == 204
    for name in (sessions.COOKIE, sessions.DEVICE_COOKIE):
        assert jar[name]["httponly"] and jar[name]["samesite"].lower() == "strict" and jar[name]["secure"]
    assert int(jar[sessions.DEVICE_COOKIE]["max-age"]) == sessions.DEVICE_DAYS * 86400
    device = jar[sessions.DEVICE_COOKIE].value
    with session_scope(engine) as session:
        assert sessions.is_known_device(session, account, device)
        assert not sessions.is_known_device(session, account, "another browser")
        second = sessions.open_session(session, account)
    status, again = _post(second.handoff, cookies=f"{sessions.DEVICE_COOKIE}={device}")
    assert status == 204 and again[sessions.DEVICE_COOKIE].value == device  # the same browser, the same token
    assert _post(first.handoff)[0] == 403  # a hand-off code works once
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(KnownDevice)) == 1
    web._engine.cache_clear()
