"""Browser tests: the real app served by ``streamlit run`` on a free local port, driven in Debian's Chromium
with Playwright. Skipped with a reason when Chromium or Playwright is missing."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

BROWSER = os.environ.get("CPCM_BROWSER", "/usr/bin/chromium")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "CPCM_DATABASE_URL": f"sqlite:///{tmp_path / 'e2e.db'}"}
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / "streamlit_app.py"), "--server.headless",
         "true", "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats",
         "false"], cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
    else:
        process.terminate()
        pytest.fail("the app did not start within 60 s")
    yield url
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture
def page(server: str):
    if not Path(BROWSER).exists():
        pytest.skip(f"no Chromium at {BROWSER} (set CPCM_BROWSER); browser tests need it")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=BROWSER, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        context = browser.new_context(viewport={"width": 1400, "height": 1000})  # a second tab shares its cookies
        tab = context.new_page()
        tab.goto(server)
        settle(tab)
        yield tab
        browser.close()


def settle(tab) -> None:  # type: ignore[no-untyped-def]
    """Wait until Streamlit has finished running the script (never a fixed sleep)."""
    tab.wait_for_selector("[data-test-script-state='notRunning']", timeout=60_000)
    tab.wait_for_function(
        "() => document.querySelector(\"[data-test-script-state]\")?.getAttribute('data-test-script-state')"
        " === 'notRunning'", timeout=60_000)
