"""``python -m app doctor`` on a healthy deployment (exit 0) and on each broken one it names (exit 1, the reason
printed), on SQLite and PostgreSQL. On PostgreSQL the healthy app connects as a role with the README's grants."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from app.doctor import Limits, diagnose
from tests.conftest import as_database_owner, make_account, restricted_app_role


@dataclass
class Deployment:
    env_file: Path
    backups: Path
    folder: Path
    owner: Engine  # the database as its owner sees it (to break it)

    def problems(self, **limits: float) -> list[str]:
        return [f.line() for f in diagnose(env_file=self.env_file, limits=Limits(**limits)) if not f.ok]


@pytest.fixture
def deployment(engine: Engine, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
               ) -> Iterator[Deployment]:
    """A server as the recipe leaves it: a root-only environment file, a fresh nightly backup, a data folder."""
    make_account(engine, username="ama-admin", roles=["administrator"])  # a few audit records to verify
    with ExitStack() as stack:
        app_url = (stack.enter_context(restricted_app_role(engine)) if engine.dialect.name == "postgresql"
                   else database_url)
        yield _deployment(engine, app_url, tmp_path, monkeypatch)


def _deployment(engine: Engine, app_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Deployment:
    backups = tmp_path / "backups"
    backups.mkdir()
    (backups / "cpcm-2026-12-06.cpcm").write_bytes(b"an encrypted export")
    env_file = tmp_path / "cpcm.env"
    env_file.write_text(f"# the app's settings\nCPCM_DATABASE_URL={app_url}\nCPCM_DATA_DIR={os.environ.get('CPCM_DATA_DIR', tmp_path)}\n"
                        f"CPCM_BACKUP_DIR={backups}\nCPCM_TRUST_PROXY=1\nTZ=UTC\n")
    env_file.chmod(0o600)
    monkeypatch.chdir(tmp_path)  # no secrets.toml here, until a test writes one
    monkeypatch.setenv("HOME", str(tmp_path))
    return Deployment(env_file, backups, tmp_path, engine)


def _doctor(deployment: Deployment, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app", "doctor", "--env-file", str(deployment.env_file), *extra],
                          capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parents[2],
                          env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(deployment.folder)})


def test_a_healthy_deployment_passes_and_a_broken_one_fails_with_the_reason(deployment):
    shown = _doctor(deployment)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert "Nothing wrong found." in shown.stdout
    for check in ("Database", "Schema", "Audit protection", "Audit trail", "Secrets", "Backups", "Clock", "Disk"):
        assert f"ok       {check}:" in shown.stdout, (check, shown.stdout)
    deployment.env_file.chmod(0o644)
    shown = _doctor(deployment)
    assert shown.returncode == 1
    assert f"PROBLEM  Secrets: {deployment.env_file} can be read by every user of the machine" in shown.stdout
    assert "1 problem found." in shown.stdout


def test_an_unreachable_database(deployment):
    text_ = deployment.env_file.read_text()
    url = next(line.split("=", 1)[1] for line in text_.splitlines() if line.startswith("CPCM_DATABASE_URL="))
    # an SQLite path that is not there is refused, not made (connecting would create an empty database)
    broken = (f"sqlite:///{deployment.folder}/nowhere/cpcm.db" if url.startswith("sqlite")
              else make_url(url).set(port=1).render_as_string(hide_password=False))
    deployment.env_file.write_text(text_.replace(url, broken))
    assert any("PROBLEM  Database: cannot connect to" in p for p in deployment.problems())
    assert not (deployment.folder / "nowhere").exists()


def test_a_schema_behind_the_newest_migration(deployment):
    with deployment.owner.begin() as connection:
        newest = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        connection.execute(text("UPDATE alembic_version SET version_num = '0013'"))
    try:
        assert any("PROBLEM  Schema: at 0013, the newest is" in p and "alembic upgrade head" in p
                   for p in deployment.problems())
    finally:  # the PostgreSQL test database is shared by the tests that follow
        with deployment.owner.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": newest})


def test_an_app_that_could_rewrite_the_audit_trail(deployment, database_url):
    if database_url.startswith("postgresql"):  # the owner's own URL, as a careless set-up would use
        deployment.env_file.write_text("\n".join(
            f"CPCM_DATABASE_URL={database_url}" if line.startswith("CPCM_DATABASE_URL=") else line
            for line in deployment.env_file.read_text().splitlines()))
        found = deployment.problems()
        assert any("PROBLEM  Audit protection:" in p and ("a superuser" in p or "the owner of audit_records" in p)
                   and "REVOKE UPDATE, DELETE, TRUNCATE" in p for p in found), found
    else:
        as_database_owner(deployment.owner)  # drops SQLite's triggers
        assert any("PROBLEM  Audit protection: the audit trail's append-only triggers are missing" in p
                   for p in deployment.problems())


def test_a_tampered_audit_trail(deployment):
    as_database_owner(deployment.owner, ("UPDATE audit_records SET summary = 'nothing happened' WHERE id = "
                                         "(SELECT min(id) FROM audit_records)", {}))
    assert any("PROBLEM  Audit trail: broken at record" in p for p in deployment.problems())


def test_old_missing_and_unset_backups(deployment):
    newest = deployment.backups / "cpcm-2026-12-06.cpcm"
    two_days_ago = time.time() - 2 * 86400
    os.utime(newest, (two_days_ago, two_days_ago))
    assert any("PROBLEM  Backups: the newest, cpcm-2026-12-06.cpcm, is 48 hours old" in p
               for p in deployment.problems())
    assert not any("Backups" in p for p in deployment.problems(backup_hours=72))
    newest.unlink()
    assert any("PROBLEM  Backups: no backup in" in p for p in deployment.problems())
    deployment.env_file.write_text(deployment.env_file.read_text().replace("CPCM_BACKUP_DIR=", "#"))
    assert any("PROBLEM  Backups: no backup folder is set (CPCM_BACKUP_DIR)" in p for p in deployment.problems())


def test_a_full_disk_and_an_unknown_time_zone(deployment):
    assert any("PROBLEM  Disk:" in p and "GiB free where" in p for p in deployment.problems(min_free_gib=10**9))
    deployment.env_file.write_text(deployment.env_file.read_text().replace("TZ=UTC", "TZ=Nowhere/Atlantis"))
    assert any("PROBLEM  Clock: the time zone 'Nowhere/Atlantis' is unknown" in p for p in deployment.problems())


def test_single_sign_on_settings_incomplete_and_readable_by_everyone(deployment):
    folder = deployment.folder / ".streamlit"
    folder.mkdir()
    secrets_file = folder / "secrets.toml"
    secrets_file.write_text('[auth]\nredirect_uri = "http://cpcm.example.org/callback"\ncookie_secret = "short"\n'
                            'client_id = "cpcm"\nserver_metadata_url = '
                            '"https://id.example.org/.well-known/openid-configuration"\n')
    secrets_file.chmod(0o644)
    found = deployment.problems()
    sso = next(p for p in found if "Single sign-on" in p)
    assert "missing client_secret" in sso and "must be https://YOUR-HOST/oauth2callback" in sso
    assert "at least 32 characters" in sso
    assert any(f"PROBLEM  Secrets: {secrets_file} can be read by every user" in p for p in found)
    secrets_file.write_text('[auth]\nredirect_uri = "https://cpcm.example.org/oauth2callback"\n'
                            f'cookie_secret = "{secrets.token_urlsafe(32)}"\nclient_id = "cpcm"\n'
                            'client_secret = "s3cret"\nserver_metadata_url = '
                            '"https://id.example.org/.well-known/openid-configuration"\n')
    secrets_file.chmod(0o600)
    assert deployment.problems() == []
