"""The sync commands in the exact forms a country's scripts rely on: enrol, import on an empty laptop, export both
ways, status, revoke; 0 on success, 1 with the reason on stderr otherwise. The server runs on each configured
database; the laptop is a new SQLite file, as on a facilitator's machine."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from app.__main__ import main
from core.audit import verify_chain
from core.db import make_engine, session_scope
from qaf.assessment import AssessmentDetails
from qaf.models import Assessment, FrameworkVersion
from qaf.services import create_assessment, ensure_bundled_framework
from tests.conftest import actor_for, make_account
from tests.integration.test_sync import laptop_actor

PASS = "passphrase read from the environment"
ROOT = Path(__file__).resolve().parents[2]


def details(name: str) -> AssessmentDetails:
    return AssessmentDetails(name=name, country="Chad", scope="agency", assessed_on=date(2026, 12, 1),
                             facilitator="Zoe")


def framework_id(engine, framework_uuid) -> int:  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        return session.scalar(select(FrameworkVersion.id).where(FrameworkVersion.uuid == framework_uuid))


@pytest.fixture
def on(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """Run ``python -m app ...`` against a database: (exit code, stdout, stderr)."""
    monkeypatch.setenv("CPCM_SYNC_PASSPHRASE", PASS)

    def run(database_url: str, *argv: str) -> tuple[int, str, str]:
        monkeypatch.setenv("CPCM_DATABASE_URL", database_url)
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_the_commands_pair_a_laptop_and_carry_its_work_both_ways(engine, database_url, tmp_path, on):
    make_account(engine, username="ada-admin", roles=["administrator"])
    facilitator = actor_for(engine, make_account(engine, username="zoe-facilitator", roles=["facilitator"]))
    with session_scope(engine) as session:
        framework_uuid = session.get(FrameworkVersion, ensure_bundled_framework(session)).uuid
    laptop_url = f"sqlite:///{tmp_path / 'laptop-a.db'}"
    start, up, down = tmp_path / "laptop-a.cpcmsync", tmp_path / "up.cpcmsync", tmp_path / "down.cpcmsync"

    code, out, _ = on(database_url, "sync", "enrol", "Laptop A", "--out", str(start))
    assert code == 0 and "Enrolled Laptop A" in out
    server_key = next(line for line in out.splitlines() if "Server key fingerprint" in line).split(": ")[1]
    code, out, _ = on(laptop_url, "sync", "import", str(start))  # a new, empty database
    assert code == 0 and "This computer is now Laptop A, a laptop of" in out
    assert server_key in out  # the fingerprint to compare with the administrator's
    code, out, _ = on(laptop_url, "sync", "status")
    assert code == 0 and "This replica: Laptop A (laptop)" in out and "waiting to go to the server: 0 records" in out

    # the facilitator works offline on the laptop, signed in as themselves
    laptop = make_engine(laptop_url)
    try:
        with session_scope(laptop) as session:
            framework = session.scalar(select(FrameworkVersion.id).where(FrameworkVersion.uuid == framework_uuid))
            create_assessment(session, actor=laptop_actor(laptop, "zoe-facilitator"), framework_version_id=framework,
                              details=details("Made offline"))
    finally:
        laptop.dispose()
    code, out, _ = on(laptop_url, "sync", "status")
    assert re.search(r"waiting to go to the server: [1-9][0-9]* records", out)  # the assessment and its members
    code, out, _ = on(laptop_url, "sync", "export", "--out", str(up))
    assert code == 0 and f"Wrote {up}" in out
    code, out, _ = on(database_url, "sync", "import", str(up))
    assert code == 0 and "Imported" in out and "0 conflicts to resolve" in out
    with session_scope(engine) as session:
        assert session.scalar(select(Assessment.name).where(Assessment.name == "Made offline")) == "Made offline"
        assert verify_chain(session).ok
    code, out, _ = on(database_url, "sync", "import", str(up))
    assert code == 0 and "was imported before: nothing changed" in out
    code, out, _ = on(database_url, "sync", "status")
    assert code == 0 and "Laptop A (laptop, active)" in out and "Open conflicts: 0" in out

    # the office's work travels down
    with session_scope(engine) as session:
        create_assessment(session, actor=facilitator, framework_version_id=framework_id(engine, framework_uuid),
                          details=details("Made at the office"))
    code, out, _ = on(database_url, "sync", "export", "--for", "Laptop A", "--out", str(down))
    assert code == 0 and f"Wrote {down}" in out
    code, out, _ = on(laptop_url, "sync", "import", str(down))
    assert code == 0 and "changes applied" in out
    laptop = make_engine(laptop_url)
    try:
        with session_scope(laptop) as session:
            assert set(session.scalars(select(Assessment.name))) == {"Made offline", "Made at the office"}
            assert verify_chain(session).ok
    finally:
        laptop.dispose()

    # refusals: exit 1 with the reason, nothing changed
    damaged = tmp_path / "damaged.cpcmsync"
    data = bytearray(up.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    code, _, err = on(database_url, "sync", "import", str(damaged))
    assert code == 1 and err.startswith("Refused:")
    code, _, err = on(database_url, "sync", "import", str(tmp_path / "missing.cpcmsync"))
    assert code == 1 and "There is no file" in err
    code, _, err = on(database_url, "sync", "enrol", "Laptop A", "--out", str(tmp_path / "again.cpcmsync"))
    assert code == 1 and err.startswith("Refused:")
    code, out, _ = on(database_url, "sync", "revoke", "Laptop A")
    assert code == 0 and "Revoked Laptop A" in out
    code, _, err = on(database_url, "sync", "import", str(up))
    assert code == 1 and "Laptop A" in err


def test_a_refused_command_exits_non_zero_from_a_shell(tmp_path):
    """What a script or a timer sees: the exit code and one line saying why."""
    env = {"CPCM_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}", "CPCM_SYNC_PASSPHRASE": PASS,
           "CPCM_DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "app", "sync", "export", "--out", str(tmp_path / "x.cpcmsync")],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 1
    assert "takes part in no sync" in done.stderr
    assert not (tmp_path / "x.cpcmsync").exists()
