"""Backup and restore round-trip without loss, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest

from core.backup import export_data, read_export, restore_data, sqlite_online_copy, write_export
from core.db import make_engine, migrate_to_head, session_scope
from qaf import services
from qaf.example import load_example
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


def test_export_and_restore_lose_nothing(engine, filled, empty_target, tmp_path):
    path = tmp_path / "backup.json.gz"
    write_export(engine, path)
    original = export_data(engine)
    target = make_engine(empty_target)
    migrate_to_head(target)
    counts = restore_data(target, read_export(path))
    assert counts["qaf_key_actions"] == len(original["tables"]["qaf_key_actions"]) > 20
    assert counts["audit_records"] > 50
    assert export_data(target)["tables"] == original["tables"]
    # The restored database works: new rows get fresh ids, sign-in data is intact.
    from core.accounts.services import build_actor

    with session_scope(target) as session:
        owner = build_actor(session, original["tables"]["qaf_assessment_members"][0]["account_id"])
        plan = services.action_plan(session, filled.assessment_id, actor=owner)
        assert plan.summary.scored_count == 17
    with pytest.raises(ValueError, match="not empty"):
        restore_data(target, original)
    target.dispose()


def test_sqlite_online_copy(tmp_path, filled, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("the online file copy is for SQLite; PostgreSQL uses pg_dump")
    copy = tmp_path / "copy.db"
    sqlite_online_copy(database_url, copy)
    connection = sqlite3.connect(copy)
    assert connection.execute("SELECT count(*) FROM qaf_key_actions").fetchone()[0] > 20
    connection.close()
