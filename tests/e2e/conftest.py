"""Browser tests: the real app served by ``streamlit run`` on a free local port, driven in Debian's Chromium
with Playwright. Skipped with a reason when Chromium or Playwright is missing.

A failing test leaves a screenshot and the page's HTML of every tab it had open in ``test-artifacts/`` (or
``CPCM_TEST_ARTIFACTS``), which CI keeps."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench.serving import serving
from tests.conftest import ARTIFACTS

BROWSER = os.environ.get("CPCM_BROWSER", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    report = yield
    if report.when == "call":
        item.stash[FAILED] = report.failed
    return report


FAILED = pytest.StashKey[bool]()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """A fresh app on an empty SQLite file: the first run a new organisation meets."""
    with serving(f"sqlite:///{tmp_path / 'e2e.db'}") as app:
        yield app.url


@dataclass(frozen=True)
class Site:
    url: str
    database_url: str
    passwords: dict[str, str]


@pytest.fixture(scope="module")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One app with the example loaded, shared by a module's tests (each signs in with its own browser)."""
    from app.example import load_example
    from app.wiring import prepare_database
    from core.db import make_engine, session_scope

    database_url = f"sqlite:///{tmp_path_factory.mktemp('site') / 'example.db'}"
    engine = make_engine(database_url)
    prepare_database(engine)
    with session_scope(engine) as session:
        passwords = {c.username: c.password for c in load_example(session).credentials}
    engine.dispose()
    with serving(database_url) as app:
        yield Site(app.url, database_url, passwords)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(BROWSER).exists():
        pytest.skip(f"no Chromium at {BROWSER} (set CPCM_BROWSER); browser tests need it")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=BROWSER, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def fresh_profile(browser, request: pytest.FixtureRequest, **options: object) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A fresh browser profile (no cookies): a person on their own laptop. Keeps its tabs' last state on failure.
    ``options`` go to Playwright's ``new_context`` (``ignore_https_errors`` for a test's own certificate)."""
    profile = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True, **options)
    yield profile
    if request.node.stash.get(FAILED, False):
        save_artifacts(profile, request.node.nodeid)
    profile.close()


@pytest.fixture
def context(browser, request: pytest.FixtureRequest) -> Iterator[object]:  # type: ignore[no-untyped-def]
    yield from fresh_profile(browser, request)


def save_artifacts(profile, nodeid: str) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid)[-120:]
    for number, tab in enumerate(profile.pages):
        try:
            tab.screenshot(path=str(ARTIFACTS / f"{name}-tab{number}.png"), full_page=True)
            (ARTIFACTS / f"{name}-tab{number}.html").write_text(tab.content(), encoding="utf-8")
        except Exception as problem:
            (ARTIFACTS / f"{name}-tab{number}.txt").write_text(f"could not save the tab: {problem}")


@pytest.fixture
def page(server: str, context) -> Iterator[object]:  # type: ignore[no-untyped-def]
    tab = context.new_page()
    tab.goto(server)
    settle(tab)
    yield tab


def settle(tab) -> None:  # type: ignore[no-untyped-def]
    """Wait until Streamlit has finished running the script (never a fixed sleep)."""
    tab.wait_for_selector("[data-test-script-state='notRunning']", timeout=60_000)
    tab.wait_for_function(
        "() => document.querySelector(\"[data-test-script-state]\")?.getAttribute('data-test-script-state')"
        " === 'notRunning'", timeout=60_000)
