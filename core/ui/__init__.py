"""Streamlit helpers shared by every package's pages: the cached engine, the unit-of-work wrapper, messages."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from core.accounts.roles import Actor
from core.config import get_settings
from core.db import make_engine, migrate_to_head, session_scope

T = TypeVar("T")
ACTOR = "auth_actor"  # set by core.ui.login.gate() on every run; plain key, owned by no widget


@st.cache_resource(show_spinner=False)
def _engine_for(url: str) -> Engine:
    """One engine per process and database URL; the schema is migrated to head the first time."""
    engine = make_engine(url)
    migrate_to_head(engine)
    from qaf.services import ensure_bundled_framework

    with session_scope(engine) as session:
        ensure_bundled_framework(session)
    return engine


def engine() -> Engine:
    return _engine_for(get_settings().database_url)


def current_actor() -> Actor:
    """The signed-in person. Button callbacks run before the login gate re-checks the session, so an idle session
    is refused here too: nothing is saved on behalf of someone who has timed out."""
    import time

    from core.errors import Forbidden
    from core.i18n import t

    actor = st.session_state.get(ACTOR)
    if actor is None:  # pages run only behind the login gate; this is a guard, not a path
        st.stop()
    idle = time.time() - st.session_state.get("auth_last_seen", 0)
    if idle > get_settings().idle_timeout_minutes * 60:
        raise Forbidden(t("login.timed_out", minutes=get_settings().idle_timeout_minutes))
    return actor


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """One transaction on behalf of the signed-in person; every change in it is attributed and audited."""
    with session_scope(engine(), actor=st.session_state.get(ACTOR)) as session:
        yield session


def field_error(errors: dict[str, str], name: str) -> None:
    """Show the message for ``name`` right where the field is."""
    if name in errors:
        st.error(errors[name], icon=":material/error:")


NOT_SAVED = object()


def submit(action: Callable[[Session], T], *, errors_key: str, general_field: str,
           success: str = "") -> T | object:
    """Run one write in one transaction and put what went wrong where the page shows it: field messages under
    their fields, anything else (a conflict, no access, a vanished record) under ``general_field``. Returns the
    action's result, or ``NOT_SAVED``."""
    from core.errors import Conflict, Forbidden, NotFound, ReadOnly, ValidationFailed

    try:
        with unit_of_work() as session:
            outcome = action(session)
    except ValidationFailed as exc:
        st.session_state[errors_key] = exc.field_errors
        return NOT_SAVED
    except (Conflict, Forbidden, NotFound, ReadOnly) as exc:
        st.session_state[errors_key] = {general_field: str(exc)}
        return NOT_SAVED
    st.session_state[errors_key] = {}
    if success:
        st.toast(success, icon=":material/check:")
    return outcome

