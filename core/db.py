"""The one engine factory, the one session scope, and migrations to head.

Every use case runs inside ``session_scope``: one transaction, committed when the block ends, rolled back on any
error, so a failed save never leaves half a record behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

import core.audit  # noqa: F401  (registers the audit trail on every session)
from core.accounts.roles import Actor
from core.config import PROJECT_ROOT
from core.errors import Conflict
from core.i18n import t

SQLITE_BUSY_TIMEOUT_MS = 30_000


def make_engine(url: str) -> Engine:
    """Build an engine for ``url``. SQLite gets WAL, a busy timeout and enforced foreign keys."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


@contextmanager
def session_scope(engine: Engine, actor: Actor | None = None) -> Iterator[Session]:
    """One unit of work on behalf of ``actor``: commit on success, roll back everything on error.

    Every change made in it is attributed to the actor and appended to the audit trail (``core.audit``). Two
    people saving the same record at the same moment are caught by the version column: the second gets
    ``Conflict`` and nothing of theirs is half-saved.
    """
    session = Session(engine, expire_on_commit=False)
    if actor is not None:
        session.info["actor"] = actor
    try:
        yield session
        session.commit()
    except StaleDataError as exc:
        session.rollback()
        raise Conflict(t("common.error.conflict_same_time")) from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(engine: Engine) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["engine"] = engine
    return config


def migrate_to_head(engine: Engine) -> None:
    """Bring the schema to the newest migration. Safe to call on every start."""
    command.upgrade(alembic_config(engine), "head")
