"""Backup and restore round-trip without loss, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest
from sqlalchemy import Engine, create_engine, event

from app.example import load_example
from core.audit import verify_chain
from core.backup import ExportError, export_data, read_export, restore_data, sqlite_online_copy, write_export
from core.db import make_engine, migrate_to_head, session_scope
from qaf import services
from tests.conftest import create_scratch_postgres_database, drop_postgres_database, postgres_server_url


@pytest.fixture
def filled(engine):
    with session_scope(engine) as session:
        result = load_example(session, today=date(2026, 11, 23))
    return result


@pytest.fixture
def empty_target(database_url, tmp_path):
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'restored.db'}"
        yield url
        return
    url = create_scratch_postgres_database(postgres_server_url() or database_url)
    yield url
    drop_postgres_database(url)


PASSPHRASE = "correct horse battery staple"


def test_export_and_restore_lose_nothing(engine, filled, empty_target, tmp_path):
    path = tmp_path / "backup.cpcm"
    write_export(engine, path, passphrase=PASSPHRASE)
    original = export_data(engine)
    target = make_engine(empty_target)
    migrate_to_head(target)
    counts = restore_data(target, read_export(path, passphrase=PASSPHRASE))
    assert counts["improvement_actions"] == len(original["tables"]["improvement_actions"]) > 20
    assert counts["audit_records"] > 50
    assert export_data(target)["tables"] == original["tables"]
    # The restored database works: new rows get fresh ids, sign-in data is intact, the trail's chain holds.
    from accounts.services import build_actor

    with session_scope(target) as session:
        owner = build_actor(session, original["tables"]["qaf_assessment_members"][0]["account_id"])
        plan = services.action_plan(session, filled.assessment_id, actor=owner)
        assert plan.summary.scored_count == 17
        assert verify_chain(session).ok
    with pytest.raises(ExportError, match="not empty"):
        restore_data(target, original)
    target.dispose()


def test_an_export_is_unreadable_without_its_passphrase(engine, filled, tmp_path):
    path = tmp_path / "backup.cpcm"
    write_export(engine, path, passphrase=PASSPHRASE)
    sealed = path.read_bytes()
    assert b"argon2" not in sealed and b"demo-facilitator" not in sealed and b"Riverside" not in sealed
    with pytest.raises(ExportError, match="passphrase is wrong"):
        read_export(path, passphrase="not the passphrase")
    path.write_bytes(sealed[:-1] + bytes([sealed[-1] ^ 1]))
    with pytest.raises(ExportError, match="changed or damaged"):
        read_export(path, passphrase=PASSPHRASE)
    with pytest.raises(ExportError, match="needs a passphrase"):
        write_export(engine, path, passphrase="")


def test_an_export_is_one_snapshot_even_while_people_write(engine, filled, empty_target, tmp_path):
    """A new agency and its first staff member are saved while the export is between the agencies table and the
    staff table: the export holds both or neither, never a staff member of an agency it does not have."""
    from accounts.services import create_agency
    from accounts.staff import StaffDraft
    from accounts.staff_services import create_staff
    from core.actor import SYSTEM

    before = export_data(engine)
    fired = []

    def write_meanwhile(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        if "FROM staff_members" in statement and not fired:
            fired.append(True)
            with session_scope(engine) as session:
                agency = create_agency(session, actor=SYSTEM, name="Arrived during the export")
                create_staff(session, actor=SYSTEM, draft=StaffDraft(full_name="New Person",
                                                                     programme_role="caseworker", agency_id=agency))

    event.listen(Engine, "before_cursor_execute", write_meanwhile)
    try:
        during = export_data(engine)
    finally:
        event.remove(Engine, "before_cursor_execute", write_meanwhile)
    assert fired
    assert during["tables"]["staff_members"] == before["tables"]["staff_members"]
    assert during["tables"]["agencies"] == before["tables"]["agencies"]
    target = make_engine(empty_target)
    migrate_to_head(target)
    restore_data(target, during)
    target.dispose()


def test_moments_survive_a_move_between_servers_in_other_time_zones(engine, filled, tmp_path):
    """SQLite to a PostgreSQL server whose sessions run in Amman time, and back: every timestamp is the same
    moment after the move."""
    server = postgres_server_url()
    if server is None:
        pytest.skip("PostgreSQL not configured: set CPCM_TEST_POSTGRES_URL to run this test there")
    original = export_data(engine)
    url = create_scratch_postgres_database(server)
    try:
        amman = create_engine(url, connect_args={"options": "-c timezone=Asia/Amman"})
        migrate_to_head(amman)
        restore_data(amman, original)
        moved = export_data(amman)
        assert moved["tables"] == original["tables"]
        sample = moved["tables"]["audit_records"][0]["occurred_at"]
        assert sample.endswith("+00:00")
        back = make_engine(f"sqlite:///{tmp_path / 'back.db'}")
        migrate_to_head(back)
        restore_data(back, moved)
        assert export_data(back)["tables"] == original["tables"]
        back.dispose()
        amman.dispose()
    finally:
        drop_postgres_database(url)


def test_sqlite_online_copy(tmp_path, filled, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("the online file copy is for SQLite; PostgreSQL uses pg_dump")
    copy = tmp_path / "copy.db"
    sqlite_online_copy(database_url, copy)
    connection = sqlite3.connect(copy)
    assert connection.execute("SELECT count(*) FROM improvement_actions").fetchone()[0] > 20
    connection.close()
