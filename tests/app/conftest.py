"""AppTest fixtures: the app runs in-process against the test database chosen by ``database_url``, signed in
as a given account (as the login page would have left the session)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
import streamlit as st
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from core.db import make_engine, session_scope
from tests.conftest import PROJECT_ROOT, make_account

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
def app_engine(app_database: str):
    from core.db import migrate_to_head
    from qaf.services import ensure_bundled_framework

    engine = make_engine(app_database)
    migrate_to_head(engine)
    with session_scope(engine) as session:
        ensure_bundled_framework(session)
    yield engine
    engine.dispose()


@pytest.fixture
def facilitator_id(app_engine) -> int:
    return make_account(app_engine, username="zoe-facilitator", roles=["facilitator"])


@pytest.fixture
def example(app_engine) -> dict[str, int]:
    """The example data; returns the assessment id and the account id of each demo account."""
    from accounts.models import Account
    from app.example import load_example

    with session_scope(app_engine) as session:
        result = load_example(session)
        ids = dict(session.execute(select(Account.username, Account.id)).all())
    return {"assessment": result.assessment_id, **ids}


def signed_in(account_id: int | None) -> dict[str, object]:
    """The session state the login page leaves: the account and its sign-in session (opened in the database of
    ``CPCM_DATABASE_URL``, as the app's own sign-in does)."""
    if account_id is None:
        return {}
    from accounts import sessions

    engine = make_engine(os.environ["CPCM_DATABASE_URL"])
    try:
        with session_scope(engine) as session:
            opened = sessions.open_session(session, account_id)
    finally:
        engine.dispose()
    return {"auth_account_id": account_id, "auth_session_id": opened.id}


@pytest.fixture
def open_page(app_database: str) -> Callable[..., AppTest]:
    """Run the app's router on one page, signed in as ``account``, with extra session state."""

    def run(page: str, account: int | None = None, **state: object) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        for key, value in {**signed_in(account), **state}.items():
            at.session_state[key] = value
        if page:
            at.switch_page(page)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return run


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, Callable[[], bytes]]:
    """What each deferred download button of the page would build when clicked, by its label: AppTest runs no
    server to click it, so the callable the page hands to the button is kept here to be called as the server
    would (outside the page run)."""
    import core.ui

    made: dict[str, Callable[[], bytes]] = {}
    real_download, real_build = core.ui.deferred_download, core.ui.deferred_build

    def recording(container, label, **options):  # type: ignore[no-untyped-def]
        def keep(*args):  # type: ignore[no-untyped-def]
            made[label] = real_build(*args)
            return made[label]

        monkeypatch.setattr(core.ui, "deferred_build", keep)
        try:
            real_download(container, label, **options)
        finally:
            monkeypatch.setattr(core.ui, "deferred_build", real_build)

    monkeypatch.setattr(core.ui, "deferred_download", recording)
    return made
