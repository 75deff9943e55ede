"""Migrations build the same schema as the models, on SQLite and PostgreSQL, and run down and up again."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from core.db import alembic_config, make_engine, migrate_to_head
from core.models import Base
from tests.conftest import create_scratch_postgres_database, drop_postgres_database, postgres_server_url


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    server = postgres_server_url()
    if server is None:
        pytest.skip("PostgreSQL not configured: set CPCM_TEST_POSTGRES_URL to run this test there")
    url = create_scratch_postgres_database(server)
    yield url
    drop_postgres_database(url)


def test_upgrade_matches_models_then_downgrade_and_upgrade_again(empty_url):
    engine = make_engine(empty_url)
    migrate_to_head(engine)
    tables = set(inspect(engine).get_table_names())
    assert {"qaf_framework_versions", "qaf_assessments", "qaf_component_ratings", "improvement_actions",
            "qaf_participants", "alembic_version"} <= tables
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    command.downgrade(alembic_config(engine), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate_to_head(engine)
    assert "improvement_actions" in inspect(engine).get_table_names()
    engine.dispose()


def test_sqlite_runs_with_wal_and_foreign_keys(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x' / 'db.sqlite'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    engine.dispose()


def test_key_actions_move_onto_improvement_actions_with_everything_they_had(empty_url):
    """A database at the previous head (0002) holding the example data: after the upgrade every key action is an
    improvement action with the same id, text, owner, due date, status, progress notes and version; its history
    starts from what it was; the audit trail's records of it still name it; the plan reads the same."""
    from sqlalchemy import text

    from app.example import load_example
    from app.wiring import prepare_database
    from core.db import session_scope
    from improvement_actions import services as actions
    from qaf import services as qaf

    engine = make_engine(empty_url)
    prepare_database(engine)
    with session_scope(engine) as session:
        example = load_example(session)
    command.downgrade(alembic_config(engine), "0002")
    fields = "id, assessment_id, component_code, change_grid_action_id, text, owner_person, owner_agency, due_on, " \
             "resources, priority, status, progress_notes, version_id, updated_by_name"
    with engine.connect() as connection:
        before = [dict(r) for r in connection.execute(text(
            f"SELECT {fields} FROM qaf_key_actions ORDER BY id")).mappings()]
        audited = connection.execute(text("SELECT count(*) FROM audit_records")).scalar_one()
    assert len(before) > 20 and {r["status"] for r in before} >= {"not_started", "in_progress"}

    migrate_to_head(engine)
    with engine.connect() as connection:
        after = [dict(r) for r in connection.execute(text(
            "SELECT id, source_kind, source_record_id AS assessment_id, source_item AS component_code, "
            "source_reference AS change_grid_action_id, text, owner_person, owner_agency, due_on, resources, "
            "priority, status, progress_notes, version_id, updated_by_name, uuid FROM improvement_actions "
            "ORDER BY id")).mappings()]
        assert connection.execute(text("SELECT count(*) FROM audit_records")).scalar_one() == audited
        assert "qaf_key_actions" not in inspect(engine).get_table_names()
    assert [{k: v for k, v in r.items() if k not in ("source_kind", "uuid")} for r in after] == before
    assert {r["source_kind"] for r in after} == {"qaf_assessment"}
    assert len({r["uuid"] for r in after}) == len(after)

    from accounts.services import build_actor

    with session_scope(engine) as session:
        facilitator = build_actor(session, session.execute(text(
            "SELECT DISTINCT account_id FROM qaf_assessment_members WHERE role = 'facilitator'")).scalar_one())
        plan = qaf.action_plan(session, example.assessment_id, actor=facilitator)
        assert sorted(a.id for a in plan.key_actions) == [r["id"] for r in before
                                                          if r["assessment_id"] == example.assessment_id]
        first = before[0]
        history = actions.progress_history(session, actor=facilitator, action_id=first["id"])
        assert [(h.status, h.note, h.author_name) for h in history] == [
            (first["status"], first["progress_notes"], first["updated_by_name"])]
        # New actions continue after the moved ones, on both databases.
        new_id = qaf.add_key_action(session, actor=facilitator, assessment_id=example.assessment_id,
                                    draft=plan.key_actions[0].as_draft())
        assert new_id > max(r["id"] for r in before)
    engine.dispose()
