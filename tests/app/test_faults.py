"""The database goes away in the middle of a save: PostgreSQL's connection is cut by the server, or another program
holds SQLite's write lock. The facilitator is told so next to what they were saving, what they ticked and typed
stays on screen, nothing of the save is written, and once the database is back the same Save works, without a
restart."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.engine import make_url

from core.db import session_scope
from qaf.framework import bundled_framework
from qaf.models import ComponentRating
from qaf.ui.common import CURRENT
from tests.app.helpers import errors

UNSAVED = "Unsaved changes — press Save to record them."
UNAVAILABLE = "The database cannot be reached just now"
BUSY = "The database is busy with another task"


@contextmanager
def connection_cut_on_first_write(database_url: str) -> Iterator[list[int]]:
    """The PostgreSQL server ends the session of whichever connection first writes (as a restart or a network cut
    does), from another connection, just before the write reaches it."""
    import psycopg

    cut: list[int] = []
    plain = make_url(database_url).set(drivername="postgresql")

    def before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if cut or not statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            return
        pid = conn.connection.dbapi_connection.info.backend_pid
        with psycopg.connect(plain.render_as_string(hide_password=False), autocommit=True) as killer:
            killer.execute("SELECT pg_terminate_backend(%s)", (pid,))
        cut.append(pid)

    event.listen(Engine, "before_cursor_execute", before)
    try:
        yield cut
    finally:
        event.remove(Engine, "before_cursor_execute", before)


@contextmanager
def sqlite_write_lock(database_url: str) -> Iterator[None]:
    """Another program (a backup tool, a second app copied onto the laptop) holds SQLite's write lock."""
    other = sqlite3.connect(make_url(database_url).database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def _rating(engine: Engine, assessment_id: int) -> tuple[int, list[str]]:
    with session_scope(engine) as session:
        row = session.execute(select(ComponentRating).where(ComponentRating.assessment_id == assessment_id,
                                                            ComponentRating.component_code == "1")).scalar_one()
        return row.version_id, sorted(row.actions_in_place)


@pytest.mark.parametrize("fault", ["connection_cut", "write_lock"])
def test_a_save_when_the_database_goes_away_keeps_everything_and_works_once_it_is_back(
        open_page, example, app_engine, database_url, fault):
    backend = make_url(database_url).get_backend_name()
    if (fault == "connection_cut") != (backend == "postgresql"):
        pytest.skip(f"{fault} is the fault of the other database ({backend} here)")
    fac, assessment = example["demo-facilitator"], example["assessment"]
    version, in_place = _rating(app_engine, assessment)
    action = next(a for a in bundled_framework().component("1").actions if a.id not in in_place)
    box, save = f"qaf_w:{assessment}:1:{action.id}", f"qaf_w:{assessment}:1:save"
    at = open_page("qaf/ui/workshop.py", fac, **{CURRENT: assessment})
    at.checkbox(key=box).check().run()
    at.text_area(key=f"qaf_w:{assessment}:1:notes").input("Agreed after the coffee break.").run()

    fault_of = connection_cut_on_first_write(database_url) if fault == "connection_cut" else \
        sqlite_write_lock(database_url)
    with fault_of:
        at.button(key=save).click().run()
    assert not at.exception, [e.value for e in at.exception]
    expected = UNAVAILABLE if fault == "connection_cut" else BUSY
    assert any(expected in e for e in errors(at)), errors(at)
    assert at.checkbox(key=box).value is True  # what was ticked and typed is still on screen
    assert at.text_area(key=f"qaf_w:{assessment}:1:notes").value == "Agreed after the coffee break."
    assert UNSAVED in [w.value for w in at.warning]
    assert _rating(app_engine, assessment) == (version, in_place)  # nothing of the save was written

    at.button(key=save).click().run()  # the database is back: the same Save, the same app, no restart
    assert not errors(at), errors(at)
    assert UNSAVED not in [w.value for w in at.warning]
    saved_version, saved = _rating(app_engine, assessment)
    assert saved_version > version and action.id in saved
