"""Streamlit helpers shared by every package's pages: the cached engine, the unit-of-work wrapper, messages."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from core.config import get_settings
from core.db import make_engine, migrate_to_head, session_scope


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


@contextmanager
def unit_of_work() -> Iterator[Session]:
    with session_scope(engine()) as session:
        yield session


def field_error(errors: dict[str, str], name: str) -> None:
    """Show the message for ``name`` right where the field is."""
    if name in errors:
        st.error(errors[name], icon=":material/error:")
