"""Sync benchmark (not a timed test): ``python -m bench.sync [--sizes 2500,10000] [--server URL]``.

A field office's year offline: a laptop enrolled on a country server (PostgreSQL at ``--server``, or the SQLite
file beside the laptop's) enters as many case files as the size says, in the transactions people make, then
changes a quarter of them again (so the laptop's bundle holds a change more for those, and the server's bundle
back holds every record changed). Then, each step in a fresh process:

1. the laptop exports its bundle;
2. the server imports it (merges every change in one transaction);
3. the server exports the laptop's bundle (every record it changed);
4. the laptop imports that.

For each step: the time, the bundle's size and the peak memory above the process's baseline (Linux's VmHWM,
reset at the baseline). The target: under 10 s each for 10,000 records on PostgreSQL, and memory that does not
grow with the bundle (the bundle is written and read as a stream; sizes side by side show it)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

PASS = "benchmark passphrase"  # noqa: S105  (a test bundle's, not a secret)


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


def _prepare(server_url: str, laptop_url: str, folder: str, size: int) -> None:
    from sqlalchemy import select

    from accounts.models import Account
    from accounts.services import build_actor
    from app.example import load_example
    from app.wiring import prepare_database
    from checklists.models import CaseFile
    from core.audit import ACTOR_KEY
    from core.db import make_engine, session_scope
    from sync import exchange

    server, laptop = make_engine(server_url), make_engine(laptop_url)
    prepare_database(server)
    with session_scope(server) as session:
        load_example(session)
        ids = dict(session.execute(select(Account.username, Account.id)).all())
        admin = build_actor(session, ids["demo-admin"])
    start = Path(folder) / "start.cpcmsync"
    with session_scope(server) as session:
        exchange.enrol_laptop(session, actor=admin, name="Field office", agency_id=admin.agency_id, out=start,
                              passphrase=PASS)
    prepare_database(laptop)
    from core.actor import SYSTEM

    with session_scope(laptop) as session:
        exchange.import_bundle(session, actor=SYSTEM, path=start, passphrase=PASS)
    with session_scope(laptop) as session:
        manager = build_actor(session, session.scalar(select(Account.id).where(Account.username == "demo-manager")))
        caseworker = session.scalar(select(CaseFile.caseworker_id).where(CaseFile.agency_id == manager.agency_id))
    created = size
    day = date(2026, 1, 5)
    for batch in range(0, created, 500):  # a year of entries, in the transactions people make them in
        with session_scope(laptop, actor=manager) as session:
            session.info[ACTOR_KEY] = manager
            session.add_all([CaseFile(agency_id=manager.agency_id, case_code=f"FO-{n:06d}-{uuid.uuid4().hex[:4]}",
                                      caseworker_id=caseworker, risk_level="medium", status="open",
                                      identified_on=day + timedelta(days=n % 300),
                                      registered_on=day + timedelta(days=n % 300 + 1))
                             for n in range(batch, min(batch + 500, created))])
    with session_scope(laptop, actor=manager) as session:
        session.info[ACTOR_KEY] = manager
        rows = session.scalars(select(CaseFile).where(CaseFile.case_code.like("FO-%"))).all()
        for row in rows[: size // 4]:
            row.risk_level = "high"
            row.assessed_on = (row.registered_on or day) + timedelta(days=2)
    server.dispose()
    laptop.dispose()


def _step(step: str, server_url: str, laptop_url: str, folder: str) -> None:
    import gc

    from accounts.models import Account
    from accounts.services import build_actor
    from core.actor import SYSTEM
    from core.db import make_engine, session_scope
    from sync import exchange
    from sync.bundle import read_header  # noqa: F401  (the code loaded before the baseline)

    url = server_url if step in ("server-import", "server-export") else laptop_url
    engine = make_engine(url)
    with session_scope(engine) as session:
        from sqlalchemy import select
        admin_id = session.scalar(select(Account.id).where(Account.username == "demo-admin"))
        admin = build_actor(session, admin_id) if admin_id else SYSTEM
    gc.collect()
    baseline = _status("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")
    began = time.perf_counter()
    up, down = Path(folder) / "up.cpcmsync", Path(folder) / "down.cpcmsync"
    with session_scope(engine) as session:
        if step == "laptop-export":
            lines = exchange.export_changes(session, actor=SYSTEM, out=up, passphrase=PASS)
            outcome, size = f"{lines} lines", up.stat().st_size
        elif step == "server-import":
            result = exchange.import_bundle(session, actor=admin, path=up, passphrase=PASS)
            outcome, size = f"{result.applied} changes, {result.conflicts} conflicts", up.stat().st_size
        elif step == "server-export":
            lines = exchange.export_changes(session, actor=admin, out=down, passphrase=PASS, for_laptop="Field office")
            outcome, size = f"{lines} lines", down.stat().st_size
        else:
            result = exchange.import_bundle(session, actor=SYSTEM, path=down, passphrase=PASS)
            outcome, size = f"{result.applied} records", down.stat().st_size
    seconds = time.perf_counter() - began
    print(json.dumps({"outcome": outcome, "seconds": seconds, "bytes": size, "rss": _status("VmHWM") - baseline}))
    engine.dispose()


def _server_database(server: str | None, folder: str) -> tuple[str, str | None]:
    if not server:
        return f"sqlite:///{folder}/server.db", None
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"cpcm_bench_sync_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(server), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False), name


def _drop(server: str, name: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(make_url(server), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _run(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-m", "bench.sync", *args], capture_output=True, text=True, env=env,  # noqa: S603
                          check=False)
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sync")
    parser.add_argument("--sizes", default="2500,10000")
    parser.add_argument("--server", default=os.environ.get("CPCM_TEST_POSTGRES_URL", ""),
                        help="a PostgreSQL server URL for the country server (default: CPCM_TEST_POSTGRES_URL)")
    parser.add_argument("--profile", metavar="FOLDER",
                        help="also write each step's cProfile statistics there (<records>-<step>.prof)")
    parser.add_argument("--internal", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.internal:
        kind, *rest = args.internal
        if kind == "prepare":
            _prepare(rest[0], rest[1], rest[2], int(rest[3]))
        elif os.environ.get("CPCM_BENCH_PROFILE"):
            import cProfile

            cProfile.runctx("_step(kind, rest[0], rest[1], rest[2])", globals(), locals(),
                            filename=os.environ["CPCM_BENCH_PROFILE"].replace("STEP", kind))
        else:
            _step(kind, rest[0], rest[1], rest[2])
        return
    steps = ("laptop-export", "server-import", "server-export", "laptop-import")
    print(f"server: {'PostgreSQL' if args.server else 'SQLite'}; laptop: SQLite")
    print(f"{'records':>8} | {'step':<14} | {'seconds':>7} | {'bundle':>9} | {'peak memory':>11} | outcome")
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as folder:
            env = {**os.environ, "CPCM_DATA_DIR": f"{folder}/data"}
            if args.profile:
                Path(args.profile).mkdir(parents=True, exist_ok=True)
                env["CPCM_BENCH_PROFILE"] = str(Path(args.profile).resolve() / f"{size}-STEP.prof")
            server_url, dropped = _server_database(args.server, folder)
            laptop_url = f"sqlite:///{folder}/laptop.db"
            try:
                _run("--internal", "prepare", server_url, laptop_url, folder, str(size), env=env)
                for step in steps:
                    found = json.loads(_run("--internal", step, server_url, laptop_url, folder, env=env))
                    print(f"{size:>8,} | {step:<14} | {found['seconds']:>7.2f} | {found['bytes'] / 1e6:>7.2f} MB | "
                          f"{found['rss'] / 2**20:>8.1f} MiB | {found['outcome']}", flush=True)
            finally:
                if dropped:
                    _drop(args.server, dropped)


if __name__ == "__main__":
    main()
