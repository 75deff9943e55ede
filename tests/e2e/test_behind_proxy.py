"""The server recipe for real: the shipped nginx site, with a certificate made by the test, in front of two app
processes on one database, everything through https://. A person signs in, imports case files (an upload),
downloads an action plan PDF, and carries on when the process holding their session is restarted (a short load
run through the proxy is in test_many_people). Skipped with a reason where nginx is not installed."""

from __future__ import annotations

import shutil
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import expect

from bench.serving import AppServer, free_port, start, stop
from tests.conftest import create_scratch_postgres_database, drop_postgres_database, postgres_server_url
from tests.e2e.conftest import fresh_profile, settle
from tests.e2e.helpers import click, current_checkbox, download, go, pdf_text, sign_in
from tests.proxy import insecure_tls, running_proxy

UNSAVED = "Unsaved changes — press Save to record them."
pytestmark = pytest.mark.skipif(not shutil.which("nginx"), reason="nginx is not installed (Debian: apt-get "
                                                                   "install nginx); the server recipe needs it")


@dataclass
class Proxied:
    url: str
    plain_url: str
    database_url: str
    passwords: dict[str, str]
    ports: list[int]
    assessment: int
    folder: Path
    apps: dict[int, AppServer] = field(default_factory=dict)

    def start(self, port: int) -> None:
        """An app process on ``port``, as its ``cpcm@PORT`` unit starts it."""
        self.apps[port] = start(self.database_url, port=port, extra_env={"CPCM_TRUST_PROXY": "1"})


def _database(tmp: Path) -> tuple[str, bool]:
    server = postgres_server_url()
    if server:
        return create_scratch_postgres_database(server), True
    return f"sqlite:///{tmp / 'proxied.db'}", False


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxied]:
    from app.example import load_example
    from app.wiring import prepare_database
    from core.db import make_engine, session_scope

    folder = tmp_path_factory.mktemp("proxy")
    database_url, scratch = _database(folder)
    engine = make_engine(database_url)
    prepare_database(engine)
    with session_scope(engine) as session:
        example = load_example(session)
        passwords = {c.username: c.password for c in example.credentials}
    engine.dispose()
    ports = [free_port(), free_port()]
    site = Proxied("", "", database_url, passwords, ports, example.assessment_id, folder)
    try:
        for port in ports:
            site.start(port)
        with running_proxy(folder, ports) as (url, plain):
            site.url, site.plain_url = url, plain
            yield site
    finally:
        for app in site.apps.values():
            stop(app)
        if scratch:
            drop_postgres_database(database_url)


@pytest.fixture
def secure_context(browser, request):  # type: ignore[no-untyped-def]
    """A browser profile that trusts the test's certificate, recording what the page's security policy refused."""
    for profile in fresh_profile(browser, request, ignore_https_errors=True):
        profile.refused = []  # type: ignore[attr-defined]
        profile.on("console", lambda message, profile=profile: profile.refused.append(message.text)
                   if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text
                   else None)
        yield profile


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            return None

    opener = urllib.request.build_opener(NoRedirect, urllib.request.HTTPSHandler(context=insecure_tls()))
    try:
        with opener.open(url, timeout=20) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as answer:
        return answer.code, dict(answer.headers), answer.read()


def test_the_site_answers_over_https_only_with_its_security_headers(proxied):
    status, headers, _ = _get(f"{proxied.plain_url}/workshop?assessment=1")
    assert status == 301 and headers["Location"].startswith("https://") and headers["Location"].endswith(
        "/workshop?assessment=1")
    status, headers, body = _get(proxied.url + "/")
    assert status == 200 and b"<noscript>" in body
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Server"] == "nginx"  # no version
    assert _get(proxied.url + "/_stcore/health")[2] == b"ok"


def _process_of(profile) -> str:  # type: ignore[no-untyped-def]
    """The app process nginx recorded as holding this browser's session."""
    return next((c["value"] for c in profile.cookies() if c["name"] == "cpcm_process"), "")


def test_a_managers_import_and_a_facilitators_pdf_through_the_proxy(proxied, secure_context, tmp_path):
    tab = secure_context.new_page()
    tab.goto(f"{proxied.url}/case_files")
    settle(tab)
    sign_in(tab, "demo-manager", proxied.passwords["demo-manager"])
    expect(tab.get_by_role("button", name="Sign out")).to_be_visible()
    assert _process_of(secure_context).endswith(tuple(f":{port}" for port in proxied.ports))
    go(tab, "Case files", "Case files")
    tab.get_by_role("tab", name="Import from a spreadsheet").click()
    settle(tab)
    rows = ("case_code,caseworker,risk_level,status,identified_on,registered_on,assessed_on\n"
            "BCA-2026-8801,Mariam Haddad,high,open,2026-11-02,2026-11-03,2026-11-04\n"
            "BCA-2026-8802,Joseph Banda,medium,open,2026-11-05,2026-11-06,\n")
    upload = tmp_path / "cases.csv"
    upload.write_text(rows)
    tab.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(str(upload))
    settle(tab)
    click(tab, "Import")
    expect(tab.get_by_text("Imported: 2 new case files, 0 updated.")).to_be_visible()
    go(tab, "Dashboard", "Dashboard")  # charts (Vega) under the site's security policy
    expect(tab.locator("[data-testid=stVegaLiteChart] canvas, [data-testid=stVegaLiteChart] svg").first
           ).to_be_visible(timeout=30_000)

    facilitator = secure_context.browser.new_context(ignore_https_errors=True, accept_downloads=True,
                                                     viewport={"width": 1400, "height": 1000})
    try:
        page = facilitator.new_page()
        page.goto(proxied.url)
        settle(page)
        sign_in(page, "demo-facilitator", proxied.passwords["demo-facilitator"])
        click(page, "Open in the workshop")  # the example's assessment, chosen on the Assessments page
        go(page, "Action plan", "Action plan")
        content = download(page, "Download PDF")
        assert content.startswith(b"%PDF") and "Riverside" in pdf_text(content)
    finally:
        facilitator.close()
    assert not secure_context.refused, secure_context.refused


def test_a_restarted_process_loses_no_one(proxied, secure_context):
    """The process holding the person's session dies mid-morning: their page reconnects, through nginx, to the
    other process; they are still signed in, and the tick they had made but not saved is still there."""
    from qaf.framework import bundled_framework

    tab = secure_context.new_page()
    tab.goto(proxied.url)
    settle(tab)
    sign_in(tab, "demo-facilitator", proxied.passwords["demo-facilitator"])
    click(tab, "Open in the workshop")
    action = bundled_framework().component("1").columns[2][1]
    expect(current_checkbox(tab, action.text)).to_have_count(1)
    before = current_checkbox(tab, action.text).is_checked()
    tab.get_by_text(action.text, exact=True).first.click()
    settle(tab)
    expect(tab.get_by_text(UNSAVED).first).to_be_visible()
    holding = _process_of(secure_context)
    port = int(holding.rsplit(":", 1)[1])
    other = next(p for p in proxied.ports if p != port)
    proxied.apps[port].kill()  # as a crash, or `systemctl restart` while its people work
    try:
        # the page notices, reconnects to the live process, and the cookie follows it there
        for _ in range(120):  # up to a minute: Streamlit's page retries with a growing delay
            if _process_of(secure_context) == f"127.0.0.1:{other}":
                break
            tab.wait_for_timeout(500)
        assert _process_of(secure_context) == f"127.0.0.1:{other}"
        # what follows is drawn by the other process, not left on screen from before: the page is loaded afresh
        tab.reload()
        settle(tab)
        expect(tab.get_by_role("button", name="Sign out")).to_be_visible()
        expect(tab.get_by_text(UNSAVED).first).to_be_visible()
        expect(current_checkbox(tab, action.text)).to_be_checked(checked=not before)
    finally:
        proxied.start(port)  # systemd starts it again
    click(tab, "Save 1")
    expect(tab.get_by_text(UNSAVED)).to_have_count(0)
    assert not secure_context.refused, secure_context.refused


def test_the_doctor_checks_the_site_through_the_proxy(proxied, monkeypatch):
    """``python -m app doctor --url``: the app answers through the proxy with its security headers (the test's
    certificate trusted as an IT officer's real one would be)."""
    from app.doctor import check_url

    monkeypatch.setenv("SSL_CERT_FILE", str(proxied.folder / "fullchain.pem"))
    assert [f.line() for f in check_url(proxied.url)] == [f"ok       Web: {proxied.url}/_stcore/health answers ok"]
    gone = f"https://localhost:{free_port()}"
    assert [f.ok for f in check_url(gone)] == [False]
    assert "does not answer" in next(iter(check_url(gone))).message

