"""Single sign-on for real: a real OpenID Connect provider (panva's oidc-provider from npm, started by the test)
and the app behind the shipped nginx site, two processes, everything through https://. A person whose e-mail an
administrator gave to an account signs in with it and signs out; an identity whose e-mail has no account is
refused and may leave it. Skipped with a reason where nginx, Node.js or the provider's package is missing."""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect

from bench.serving import free_port, start, stop
from tests.e2e.conftest import fresh_profile, settle
from tests.proxy import running_proxy

PROVIDER = Path(__file__).resolve().parent / "oidc"
pytestmark = pytest.mark.skipif(not (shutil.which("nginx") and shutil.which("node") and shutil.which("npm")),
                                reason="single sign-on is tested through nginx against a Node.js identity provider: "
                                       "install nginx, nodejs and npm (Debian)")


@dataclass
class SignOnSite:
    url: str
    provider: str


def _installed_provider() -> None:
    if (PROVIDER / "node_modules" / "oidc-provider").exists():
        return
    done = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=PROVIDER, capture_output=True, text=True,
                          timeout=600, check=False)
    if done.returncode:
        pytest.skip(f"the identity provider's package could not be installed from the npm registry: "
                    f"{done.stderr.strip()[-300:]}")


def _wait_for(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the identity provider stopped with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                json.loads(answer.read())
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.fixture(scope="module")
def sign_on_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SignOnSite]:
    from sqlalchemy import update

    from accounts.models import Account
    from app.example import load_example
    from app.wiring import prepare_database
    from core.db import make_engine, session_scope

    _installed_provider()
    folder = tmp_path_factory.mktemp("sso")
    https_port, provider_port = free_port(), free_port()
    redirect, client_secret = f"https://localhost:{https_port}/oauth2callback", secrets.token_urlsafe(24)
    provider = subprocess.Popen(["node", "provider.mjs", str(provider_port), redirect, client_secret],
                                cwd=PROVIDER, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    issuer = f"http://localhost:{provider_port}"
    database_url = f"sqlite:///{folder / 'sso.db'}"
    engine = make_engine(database_url)
    prepare_database(engine)
    with session_scope(engine) as session:
        load_example(session)
        # An administrator gives Mariam's account the e-mail her organisation's identity provider vouches for.
        session.execute(update(Account).where(Account.username == "demo-caseworker").values(
            email="mariam@example.org"))
    engine.dispose()
    home = folder / "home"
    (home / ".streamlit").mkdir(parents=True)
    secrets_file = home / ".streamlit" / "secrets.toml"
    secrets_file.write_text(f'[auth]\nredirect_uri = "{redirect}"\ncookie_secret = "{secrets.token_urlsafe(32)}"\n'
                            f'client_id = "cpcm"\nclient_secret = "{client_secret}"\n'
                            f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n'
                            # Streamlit asks for prompt=select_account unless told otherwise; this provider, as
                            # configured, knows login and consent only (the README's note on client_kwargs)
                            '[auth.client_kwargs]\nprompt = "login"\n')
    secrets_file.chmod(0o600)
    ports, apps = [free_port(), free_port()], []
    try:
        _wait_for(f"{issuer}/.well-known/openid-configuration", provider)
        apps = [start(database_url, port=port, extra_env={"CPCM_TRUST_PROXY": "1", "HOME": str(home)})
                for port in ports]
        with running_proxy(folder, ports, https_port=https_port) as (url, _plain):
            yield SignOnSite(url, issuer)
    finally:
        for app in apps:
            stop(app)
        provider.terminate()
        provider.wait(timeout=20)


@pytest.fixture
def tls_context(browser, request):  # type: ignore[no-untyped-def]
    yield from fresh_profile(browser, request, ignore_https_errors=True)


def _sign_in_at_the_provider(tab, site: SignOnSite, login: str) -> None:  # type: ignore[no-untyped-def]
    """From the app's sign-in page to the identity provider's own pages (its sign-in form, then its consent) and
    back to the app."""
    tab.goto(site.url)
    settle(tab)
    tab.get_by_role("button", name="Sign in with single sign-on").click()  # the page leaves for the provider
    tab.wait_for_url(f"{site.provider}/**", timeout=30_000)
    expect(tab.locator("input[name=login]")).to_be_visible(timeout=30_000)
    tab.fill("input[name=login]", login)
    tab.fill("input[name=password]", "any password: the test provider takes any")
    tab.get_by_role("button", name="Sign-in").click()
    consent = tab.get_by_role("button", name="Continue")
    consent.wait_for(timeout=30_000)
    consent.click()
    tab.wait_for_url(f"{site.url}/**", timeout=30_000)
    settle(tab)


def _sign_out_at_the_provider(tab, site: SignOnSite, button: str) -> None:  # type: ignore[no-untyped-def]
    """The app's button, the provider's own sign-out page, and back to the app's sign-in page."""
    tab.get_by_role("button", name=button, exact=True).click()
    leave = tab.get_by_role("button", name="Yes, sign me out")
    leave.wait_for(timeout=30_000)
    leave.click()
    tab.wait_for_url(f"{site.url}/**", timeout=30_000)
    settle(tab)
    expect(tab.get_by_role("button", name="Sign in with single sign-on")).to_be_visible(timeout=30_000)


def test_a_person_signs_in_and_out_with_single_sign_on(sign_on_site, tls_context):
    tab = tls_context.new_page()
    _sign_in_at_the_provider(tab, sign_on_site, "mariam")
    expect(tab.get_by_role("button", name="Sign out", exact=True)).to_be_visible(timeout=30_000)
    expect(tab.get_by_text("Mariam Haddad").first).to_be_visible()
    # Signing out leaves the identity provider's sign-in too: the next page asks again.
    _sign_out_at_the_provider(tab, sign_on_site, "Sign out")
    tab.reload()
    settle(tab)
    expect(tab.get_by_role("button", name="Sign in with single sign-on")).to_be_visible()
    expect(tab.get_by_role("button", name="Sign out", exact=True)).to_have_count(0)


def test_an_identity_without_an_account_is_refused(sign_on_site, tls_context):
    tab = tls_context.new_page()
    _sign_in_at_the_provider(tab, sign_on_site, "stranger")
    expect(tab.get_by_text("Your single sign-on identity has no active account here.")).to_be_visible(
        timeout=30_000)
    expect(tab.get_by_role("button", name="Sign out", exact=True)).to_have_count(0)
    _sign_out_at_the_provider(tab, sign_on_site, "Sign out of single sign-on")
