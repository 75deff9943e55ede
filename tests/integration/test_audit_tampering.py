"""The audit trail against someone who holds the database but not the server's secrets: as its owner (who can
switch the append-only triggers off) and, on PostgreSQL, as the app's own restricted role (INSERT on the trail,
UPDATE on its head). Each attack the keyed chain and its checkpoints are there to catch: a record rewritten in the
middle with every later hash recomputed, a record appended with a hash that looks right, the newest records
removed with the head moved back to match. And what must still verify: records made before keys, a key rotated
half-way, the command line."""

from __future__ import annotations

import hashlib
import secrets
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from core import audit_keys
from core.audit import AuditChainHead, AuditRecord, record_digest, record_event, verify_chain
from core.config import default_data_dir
from core.db import session_scope
from tests.conftest import as_database_owner, restricted_app_role


@pytest.fixture
def trail(engine):
    for number in range(8):
        with session_scope(engine) as session:
            record_event(session, action="export", entity_type="Report", entity_id=str(number),
                         summary=f"report {number}")
    with session_scope(engine) as session:
        assert verify_chain(session).ok
    return engine


def _rows(engine) -> list[dict]:
    with engine.connect() as connection:
        return [dict(r) for r in connection.execute(select(AuditRecord.__table__).order_by(AuditRecord.id))
                .mappings()]


def _check(engine):  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        return verify_chain(session)


def _forge(values: dict, previous: str, key: bytes | None) -> dict:
    forged = dict(values, previous_hash=previous)
    forged["record_hash"] = record_digest(forged, key)
    return forged


@pytest.mark.parametrize("attacker_key", ["none", "guessed"])
def test_a_record_rewritten_in_the_middle_with_every_later_hash_recomputed_is_caught(trail, attacker_key):
    rows = _rows(trail)
    middle = len(rows) // 2
    key = None if attacker_key == "none" else secrets.token_bytes(32)  # without the server's key, any key
    previous = rows[middle - 1]["record_hash"]
    statements = []
    for position, row in enumerate(rows[middle:], start=middle):
        changed = dict(row, summary="nothing happened") if position == middle else row
        forged = _forge(changed, previous, key)
        statements.append(("UPDATE audit_records SET summary = :summary, previous_hash = :previous_hash, "
                           "record_hash = :record_hash WHERE id = :id", forged))
        previous = forged["record_hash"]
    statements.append(("UPDATE audit_chain_head SET last_hash = :h WHERE id = 1", {"h": previous}))
    as_database_owner(trail, *statements)
    check = _check(trail)
    assert not check.ok and check.problem == "content" and check.first_broken_id == rows[middle]["id"]


def _append_statement(engine) -> str:
    columns = [c.name for c in AuditRecord.__table__.columns if c.name != "id"]
    return (f"INSERT INTO audit_records ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})")


def _forged_append(engine, how: str) -> list:
    """A record that reads like a real one, chained after the newest and with the head moved on: all the app's
    own role may do (INSERT on the trail, UPDATE on the head)."""
    last = _rows(engine)[-1]
    values = {**{k: v for k, v in last.items() if k != "id"}, "uuid": uuid.uuid4(), "summary": "granted access",
              "occurred_at": datetime.now(UTC), "key_id": None if how == "unkeyed" else last["key_id"]}
    forged = _forge(values, last["record_hash"], None if how == "unkeyed" else secrets.token_bytes(32))
    if engine.dialect.name == "postgresql":
        forged["uuid"] = str(forged["uuid"])
        forged["changes"] = "{}"
    else:
        forged["uuid"] = forged["uuid"].hex
        forged["changes"] = "{}"
    return [(_append_statement(engine), forged),
            ("UPDATE audit_chain_head SET last_hash = :h, record_count = record_count + 1, "
             "last_record_id = last_record_id + 1 WHERE id = 1", {"h": forged["record_hash"]})]


@pytest.mark.parametrize(("how", "problem"), [("unkeyed", "unkeyed"), ("guessed key", "content")])
def test_a_record_appended_with_a_hash_that_looks_right_is_caught(trail, how, problem):
    statements = _forged_append(trail, how)
    with trail.begin() as connection:  # no trigger needs to be switched off for this
        for statement, values in statements:
            connection.execute(text(statement), values)
    check = _check(trail)
    assert not check.ok and check.problem == problem


def test_the_apps_own_restricted_role_cannot_forge_an_append(trail, database_url):
    """On PostgreSQL, with the README's grants: the role the app runs as."""
    if not database_url.startswith("postgresql"):
        pytest.skip("database roles are PostgreSQL's (a SQLite file is written by whoever can write the file)")
    with restricted_app_role(trail) as url:
        app_engine = create_engine(url)
        try:
            with app_engine.begin() as connection:
                for statement, values in _forged_append(trail, "guessed key"):
                    connection.execute(text(statement), values)
            check = _check(trail)
            assert not check.ok and check.problem == "content"
        finally:
            app_engine.dispose()


def test_the_newest_records_removed_and_the_head_moved_back_are_caught(trail):
    rows = _rows(trail)
    kept = rows[:-3]
    as_database_owner(trail, ("DELETE FROM audit_records WHERE id > :id", {"id": kept[-1]["id"]}),
              ("UPDATE audit_chain_head SET last_hash = :h, record_count = :n, last_record_id = :id WHERE id = 1",
               {"h": kept[-1]["record_hash"], "n": len(kept), "id": kept[-1]["id"]}))
    check = _check(trail)
    assert not check.ok and check.problem == "rollback"
    shown = subprocess.run([sys.executable, "-m", "app", "verify-audit"], capture_output=True, text=True,
                           timeout=120, env={"CPCM_DATABASE_URL": trail.url.render_as_string(hide_password=False),
                                             "CPCM_DATA_DIR": str(default_data_dir()), "PATH": "/usr/bin:/bin"})
    assert shown.returncode == 1 and "newest records were removed" in shown.stdout


def test_records_made_before_keys_verify_and_the_first_keyed_record_seals_them(engine):
    """An installation upgraded from the unkeyed chain: its old records keep their SHA-256 links."""
    previous = "0" * 64
    legacy = []
    for number in range(3):
        values = {"uuid": uuid.uuid4(), "occurred_at": datetime(2026, 1, 1, 9, number, tzinfo=UTC),
                  "account_id": None, "actor_name": "system", "actor_agency_id": None, "action": "export",
                  "entity_type": "Old", "entity_id": str(number), "summary": "before keys", "changes": {},
                  "scope_agency_id": None, "key_id": None}
        values = _forge(values, previous, None)
        previous = values["record_hash"]
        legacy.append(values)
    with engine.begin() as connection:
        connection.execute(AuditRecord.__table__.insert(), legacy)
        connection.execute(AuditChainHead.__table__.update().values(last_hash=previous, record_count=3))
    with session_scope(engine) as session:
        record_event(session, action="export", entity_type="New", summary="after keys")
    check = _check(engine)
    assert check.ok and check.checked == 4
    # Rewriting an old record, even with every old hash recomputed, breaks the link the keyed record holds.
    rows = _rows(engine)
    changed = _forge(dict(rows[1], summary="rewritten"), rows[0]["record_hash"], None)
    third = _forge(rows[2], changed["record_hash"], None)
    as_database_owner(engine, *[("UPDATE audit_records SET summary = :summary, record_hash = :record_hash, "
                         "previous_hash = :previous_hash WHERE id = :id", row) for row in (changed, third)])
    check = _check(engine)
    assert not check.ok and check.problem == "link" and check.first_broken_id == rows[3]["id"]


def test_a_rotated_key_verifies_with_the_old_one_kept_and_not_without_it(engine, tmp_path, monkeypatch):
    monkeypatch.setenv("CPCM_DATA_DIR", str(tmp_path))  # a data directory of its own: its keys are removed below
    audit_keys._cache.clear()
    with session_scope(engine) as session:
        record_event(session, action="export", entity_type="Report", summary="before the rotation")
    before = audit_keys.keyring().current_id
    rotated = audit_keys.rotate()
    assert rotated != before
    with session_scope(engine) as session:
        record_event(session, action="export", entity_type="Report", summary="after the rotation")
    assert {r["key_id"] for r in _rows(engine)} == {before, rotated}
    assert _check(engine).ok
    (tmp_path / audit_keys.KEY_FOLDER / f"{before}.key").unlink()
    audit_keys._cache.clear()
    check = _check(engine)
    assert not check.ok and check.problem == "key"
    audit_keys._cache.clear()


def test_the_keys_and_checkpoints_are_readable_by_their_owner_only(trail):
    folder = default_data_dir()
    files = [*(folder / audit_keys.KEY_FOLDER).glob("*"), *(folder / audit_keys.CHECKPOINT_FOLDER).glob("*")]
    stored = []
    if trail.dialect.name == "sqlite":  # the database file itself, and SQLite's files beside it
        database = Path(trail.url.database)
        stored = list(database.parent.glob(f"{database.name}*"))
    assert files and all(path.stat().st_mode & 0o077 == 0 for path in [*files, *stored]), [
        (str(path), oct(path.stat().st_mode)) for path in [*files, *stored]]
    assert not any(hashlib.sha256(b"").hexdigest() in path.read_text() for path in files)


def test_a_restore_from_an_older_backup_says_which_records_it_lacks_and_then_verifies(trail, tmp_path):
    from core.audit import retire_checkpoint_after_restore
    from core.backup import export_data, restore_data
    from core.db import make_engine, migrate_to_head

    backup = export_data(trail)
    with session_scope(trail) as session:  # work done after the backup was taken
        record_event(session, action="export", entity_type="Report", summary="after the backup")
    target = make_engine(f"sqlite:///{tmp_path / 'restored.db'}")
    migrate_to_head(target)
    restore_data(target, backup)
    check = _check(target)
    assert not check.ok and check.problem == "rollback"  # the same trail, one record short of what was seen
    with session_scope(target) as session:
        note = retire_checkpoint_after_restore(session)
    assert "The 1 newest were made after the backup" in note
    assert _check(target).ok
    target.dispose()
