"""The one engine factory, the one session scope, and migrations to head.

Every use case runs inside ``session_scope``: one transaction, committed when the block ends, rolled back on any
error, so a failed save never leaves half a record behind.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError, StatementError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from core.actor import Actor
from core.audit import holds_nul, record_event  # importing it registers the audit trail on every session
from core.config import PROJECT_ROOT
from core.errors import ANY_FIELD, Busy, Conflict, Forbidden, Unavailable, ValidationFailed
from core.i18n import t

PROJECT_PACKAGES = {"core", "accounts", "improvement_actions", "qaf", "supervision", "checklists", "app"}

# How long a save waits for another program holding SQLite's write lock before the person is told the database
# is busy (pages); command-line jobs (backups, imports from the shell) wait longer.
INTERACTIVE_BUSY_TIMEOUT_MS = 5_000
BATCH_BUSY_TIMEOUT_MS = 30_000
log = logging.getLogger(__name__)


NUL_CHECKED = "cpcm_nul_checked"  # an execution option: this connection's input was checked for NUL already


def _refuse_nul_parameters(connection, _cursor, _statement, parameters, _context, _executemany) -> None:  # type: ignore[no-untyped-def]
    """The last guard, for every statement on every engine: a NUL character in any parameter (a lookup by a
    typed name, a raw insert, a JSON value) is refused as input, never sent to the database (PostgreSQL would
    answer with a DataError; SQLite would store it). Services name the field where they can; this catches the
    paths they do not, with a message about the input as a whole. A bulk job that checked its whole input first
    (a sync bundle, byte by byte) marks its connection ``NUL_CHECKED`` and skips the walk."""
    if connection.get_execution_options().get(NUL_CHECKED):
        return
    if _nul_in_parameters(parameters):
        raise ValidationFailed({ANY_FIELD: t("common.error.nul_character")})


def _nul_in_parameters(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, Mapping):
        return any(_nul_in_parameters(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_nul_in_parameters(v) for v in value)
    wrapped = getattr(value, "obj", None)  # psycopg's Json(...) around a JSON value
    return wrapped is not None and holds_nul(wrapped)


def _json_text(value: Any) -> str:
    """JSON as stored on every engine; a NUL inside (SQLite would keep it as an escape) is refused like text."""
    if holds_nul(value):
        raise ValidationFailed({ANY_FIELD: t("common.error.nul_character")})
    return json.dumps(value)


def make_engine(url: str, *, busy_timeout_ms: int = INTERACTIVE_BUSY_TIMEOUT_MS) -> Engine:
    """Build an engine for ``url``. SQLite gets WAL, a busy timeout and enforced foreign keys."""
    engine = _engine_for_url(url, busy_timeout_ms)
    event.listen(engine, "before_cursor_execute", _refuse_nul_parameters)
    return engine


def _owner_only(database: str | None) -> None:
    """The SQLite file holds staff names, reviews and the audit trail: readable by the account the app runs as,
    nobody else on the machine."""
    if database and database != ":memory:" and os.name == "posix" and Path(database).exists():
        try:
            if Path(database).stat().st_mode & 0o077:
                os.chmod(database, 0o600)
        except OSError:  # a file of another owner (a copy opened read-only): leave it as it is
            log.warning("could not restrict the database file's permissions", exc_info=True)


def _engine_for_url(url: str, busy_timeout_ms: int) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": busy_timeout_ms / 1000}, json_serializer=_json_text)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            _owner_only(parsed.database)  # before WAL: SQLite gives its -wal and -shm files the file's mode
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, json_serializer=_json_text)


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
    except (OperationalError, DBAPIError) as exc:
        _roll_back_quietly(session)
        if "database is locked" in str(exc) or "database is busy" in str(exc):
            raise Busy(t("common.error.busy")) from exc
        if isinstance(exc, OperationalError) or exc.connection_invalidated:
            log.warning("database unavailable: %s", exc.orig)
            raise Unavailable(t("common.error.unavailable")) from exc
        raise
    except StatementError as exc:  # a value refused while the statement's parameters were prepared
        session.rollback()
        if isinstance(exc.orig, ValidationFailed):
            raise exc.orig from None
        raise
    except Forbidden as exc:
        session.rollback()
        _record_refusal(engine, session.info.get("actor") or actor, exc)
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _roll_back_quietly(session: Session) -> None:
    """Roll back after the connection failed; a connection that is gone cannot roll back, and the database drops
    its half-done transaction itself."""
    try:
        session.rollback()
    except DBAPIError:
        log.warning("rollback on a lost connection", exc_info=True)


def _where(exc: BaseException) -> str:
    """The innermost project function the refusal came from (``qaf.services.access.assessment_row``)."""
    where = ""
    trace = exc.__traceback__
    while trace is not None:
        module = trace.tb_frame.f_globals.get("__name__", "")
        if module.split(".")[0] in PROJECT_PACKAGES:
            where = f"{module}.{trace.tb_frame.f_code.co_name}"
        trace = trace.tb_next
    return where


def _record_refusal(engine: Engine, actor: Actor | None, exc: Forbidden) -> None:
    """Every refused attempt leaves a record, in a transaction of its own (the refused one was rolled back)."""
    try:
        with Session(engine) as session:
            if actor is not None:
                session.info["actor"] = actor
            record_event(session, action="access_refused", entity_type="Access", summary=str(exc)[:500],
                         details={"where": _where(exc)})
            session.commit()
    except Exception:
        log.exception("could not record a refused attempt")


def alembic_config(engine: Engine) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["engine"] = engine
    return config


def migrate_to_head(engine: Engine) -> None:
    """Bring the schema to the newest migration. Safe to call on every start."""
    command.upgrade(alembic_config(engine), "head")
