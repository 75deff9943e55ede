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
    assert {"qaf_framework_versions", "qaf_assessments", "qaf_component_ratings", "qaf_key_actions",
            "qaf_participants", "alembic_version"} <= tables
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    command.downgrade(alembic_config(engine), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate_to_head(engine)
    assert "qaf_key_actions" in inspect(engine).get_table_names()
    engine.dispose()


def test_sqlite_runs_with_wal_and_foreign_keys(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x' / 'db.sqlite'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    engine.dispose()
