"""Shared fixtures. Every database test runs on SQLite and, when ``CPCM_TEST_POSTGRES_URL`` points at a
PostgreSQL server (CI sets it to the local one), on PostgreSQL too. Each test gets an empty, migrated database."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

import app.wiring  # noqa: F401  (every table known and the features' hooks registered, as in the app)
from core.db import make_engine, migrate_to_head, session_scope
from core.models import Base

POSTGRES_URL_VAR = "CPCM_TEST_POSTGRES_URL"
# What the tool keeps in its data directory beside the database (the audit trail's keys and checkpoints) goes to
# a folder of this test run, shared with the command lines and app servers the tests start.
os.environ.setdefault("CPCM_DATA_DIR", tempfile.mkdtemp(prefix="cpcm-test-data-"))

# Property-based tests: a bounded run in CI; `HYPOTHESIS_PROFILE=release python -m pytest` before a release tries
# many more examples (see the README).
settings.register_profile("ci", max_examples=150, deadline=None, derandomize=True, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.register_profile("release", max_examples=3000, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
PROJECT_ROOT = Path(__file__).resolve().parent.parent
# What a test leaves for people to look at (screenshots, rendered report pages); CI keeps the folder.
ARTIFACTS = Path(os.environ.get("CPCM_TEST_ARTIFACTS", PROJECT_ROOT / "test-artifacts"))
BACKENDS = ["sqlite", "postgresql"]


def postgres_server_url() -> str | None:
    return os.environ.get(POSTGRES_URL_VAR) or None


def create_scratch_postgres_database(server_url: str) -> str:
    """A new, empty database on the configured server; returns its URL."""
    url = make_url(server_url)
    name = f"cpcm_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(database_url: str) -> None:
    url = make_url(database_url)
    admin = create_engine(url.set(database=make_url(postgres_server_url() or database_url).database),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate_to_head(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str | None]:
    server = postgres_server_url()
    if server is None:
        yield None
        return
    url = create_scratch_postgres_database(server)
    engine = make_engine(url)
    migrate_to_head(engine)
    engine.dispose()
    yield url
    drop_postgres_database(url)


KEEP_BETWEEN_TESTS = {"installation_settings"}  # the salt, as a new installation has it


def _empty_postgres(url: str) -> None:
    """Back to a freshly migrated database. The trail refuses TRUNCATE (a trigger); tests run as the owner, who
    may switch triggers off for this session, as no application role can."""
    from core.audit import GENESIS

    engine = create_engine(url)
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables
                       if table.name not in KEEP_BETWEEN_TESTS)
    with engine.begin() as connection:
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        connection.execute(text("DELETE FROM installation_settings WHERE key <> 'pseudonym_salt'"))
        connection.execute(text("INSERT INTO audit_chain_head (id, last_record_id, last_hash, record_count) "
                                "VALUES (1, 0, :genesis, 0)"), {"genesis": GENESIS})
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path,
                 postgres_database: str | None) -> str:
    if request.param == "sqlite":
        path = tmp_path / "cpcm.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    if postgres_database is None:
        pytest.skip(f"PostgreSQL not configured: set {POSTGRES_URL_VAR} to a server URL to run this test there")
    _empty_postgres(postgres_database)
    return postgres_database


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    db = make_engine(database_url)
    yield db
    db.dispose()


@pytest.fixture
def framework_version_id(engine: Engine) -> int:
    from qaf.services import ensure_bundled_framework

    with session_scope(engine) as session:
        return ensure_bundled_framework(session)


# ------------------------------------------------------------------------------------------------ people


def make_account(engine: Engine, *, username: str, roles: list[str], agency: str | None = "Brightpath",
                 staff_member_id: int | None = None) -> int:
    """An account (and its agency) created the way an administrator would; returns the account id."""
    from accounts.services import AccountDraft, agency_id_for, create_account, create_agency
    from core.actor import SYSTEM

    with session_scope(engine) as session:
        agency_id = None
        if agency:
            agency_id = agency_id_for(session, agency) or create_agency(session, actor=SYSTEM, name=agency)
        account_id, _password = create_account(session, actor=SYSTEM, draft=AccountDraft(
            username=username, display_name=username.replace("-", " ").title(), roles=roles, agency_id=agency_id,
            staff_member_id=staff_member_id), must_change_password=False)
    return account_id


def actor_for(engine: Engine, account_id: int):
    from accounts.services import build_actor

    with session_scope(engine) as session:
        return build_actor(session, account_id)


@pytest.fixture
def facilitator(engine: Engine):
    """A facilitator of the Brightpath agency, as the acting person."""
    return actor_for(engine, make_account(engine, username="zoe-facilitator", roles=["facilitator"]))


def as_database_owner(engine: Engine, *statements: tuple[str, dict]) -> None:
    """What someone with the database owner's rights can do: switch the audit trail's append-only triggers off
    for one transaction and run ``statements`` (SQL, parameters) in it."""
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            for name in ("audit_records_no_update", "audit_records_no_delete", "audit_records_no_replace"):
                connection.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
        else:
            connection.execute(text("SET LOCAL session_replication_role = replica"))
        for statement, values in statements:
            connection.execute(text(statement), values)


@contextmanager
def restricted_app_role(owner: Engine) -> Iterator[str]:
    """A login role with the server recipe's grants (``deploy/postgresql/grants.sql``: the role a country server's
    app runs as), for the database
    ``owner`` reaches; yields its URL (PostgreSQL only) and drops the role after."""
    role = f"cpcm_app_{uuid.uuid4().hex[:8]}"
    grants = (Path(__file__).resolve().parents[1] / "deploy" / "postgresql" / "grants.sql").read_text()
    statements = [part.strip() for part in "\n".join(line for line in grants.splitlines()
                                                     if not line.startswith("--")).split(";") if part.strip()]
    with owner.begin() as connection:
        connection.execute(text(f"CREATE ROLE {role} LOGIN"))
        for statement in statements:  # the shipped grants, for this role
            connection.execute(text(statement.replace("cpcm_app", role)))
    try:
        yield owner.url.set(username=role, password=None).render_as_string(hide_password=False)
    finally:
        with owner.begin() as connection:
            connection.execute(text(f"DROP OWNED BY {role}"))
            connection.execute(text(f"DROP ROLE {role}"))


SYNC_PASS = "a passphrase for the tests' bundles"


def laptop_conflict(server: Engine, folder: Path, *, admin: str, author: str, assessment_id: int,
                    laptop_name: str = "Laptop W", code: str = "2") -> int:
    """``server`` becomes a country server with one enrolled laptop (a SQLite file in ``folder``); ``author`` (a
    username) wrote the notes of component ``code`` of the assessment differently on each side, and the laptop's
    bundle was imported: one open conflict, whose id is returned."""
    from sqlalchemy import select

    from accounts.models import Account
    from accounts.services import build_actor
    from app.wiring import prepare_database
    from core.actor import SYSTEM
    from qaf.models import Assessment, ComponentRating
    from qaf.services import save_component_rating
    from sync import exchange
    from sync.models import SyncConflict

    def person(engine: Engine, username: str):  # type: ignore[no-untyped-def]
        with session_scope(engine) as session:
            return build_actor(session, session.scalar(select(Account.id).where(Account.username == username)))

    def write(engine: Engine, uuid_of_assessment: uuid.UUID, words: str) -> None:
        with session_scope(engine) as session:
            assessment = session.scalar(select(Assessment.id).where(Assessment.uuid == uuid_of_assessment))
            row = session.scalar(select(ComponentRating).where(ComponentRating.assessment_id == assessment,
                                                               ComponentRating.component_code == code))
            save_component_rating(session, actor=person(engine, author), assessment_id=assessment,
                                  component_code=code, in_place=list(row.actions_in_place) if row else [],
                                  agreed_level=None, notes=words)

    with session_scope(server) as session:
        assessment_uuid = session.get(Assessment, assessment_id).uuid
    write(server, assessment_uuid, "Before they parted")
    start, up = folder / f"{laptop_name}-start.cpcmsync", folder / f"{laptop_name}-up.cpcmsync"
    with session_scope(server) as session:
        administrator = person(server, admin)
        exchange.enrol_laptop(session, actor=administrator, name=laptop_name, agency_id=administrator.agency_id,
                              out=start, passphrase=SYNC_PASS)
    laptop = make_engine(f"sqlite:///{folder / f'{laptop_name}.db'}")
    try:
        prepare_database(laptop)
        with session_scope(laptop) as session:
            exchange.import_bundle(session, actor=SYSTEM, path=start, passphrase=SYNC_PASS)
        write(laptop, assessment_uuid, "Written on the laptop")
        with session_scope(laptop) as session:
            exchange.export_changes(session, actor=SYSTEM, out=up, passphrase=SYNC_PASS)
    finally:
        laptop.dispose()
    write(server, assessment_uuid, "Written on the server")
    with session_scope(server) as session:
        assert exchange.import_bundle(session, actor=person(server, admin), path=up,
                                      passphrase=SYNC_PASS).conflicts == 1
        return session.scalar(select(SyncConflict.id).order_by(SyncConflict.id.desc()))
