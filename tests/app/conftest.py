"""AppTest fixtures: the app runs in-process against the test database chosen by ``database_url``."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.conftest import PROJECT_ROOT

APP = str(PROJECT_ROOT / "streamlit_app.py")
TIMEOUT = 60


@pytest.fixture
def app_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("CPCM_DATABASE_URL", database_url)
    st.cache_resource.clear()
    st.cache_data.clear()
    yield database_url
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def open_page(app_database: str) -> Callable[..., AppTest]:
    """Run the app's router on one page, with session state set as other pages would have left it."""

    def run(page: str, **state: object) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        for key, value in state.items():
            at.session_state[key] = value
        at.switch_page(page)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return run
