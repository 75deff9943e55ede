"""``python -m app doctor``: check a deployment and say, in plain words, what is wrong.

Each check prints one line, ``ok`` or ``PROBLEM`` with what to do; the command exits 1 when any check found a
problem, so a timer or a monitoring script can run it. It reads the settings the app reads (the environment, or
``--env-file /etc/cpcm/cpcm.env`` for the file the systemd units load) and checks:

- the database answers and its schema is at the newest migration;
- the app's database role cannot change or delete audit records (PostgreSQL: no superuser, not the table's
  owner, no UPDATE, DELETE or TRUNCATE on ``audit_records``; the append-only triggers in place);
- the audit trail's hash chain is intact;
- files holding secrets (the environment file, Streamlit's ``secrets.toml``) are not readable by other users;
- the newest backup in ``CPCM_BACKUP_DIR`` is recent;
- the machine's time zone is known, its clock agrees with the database server's, and it is synchronised;
- the data and backup folders' disks have room;
- single sign-on's settings are complete, where single sign-on is set up;
- with ``--url``, the app answers through the proxy.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tomllib
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url

from core.audit import verify_chain
from core.config import DATABASE_URL_VAR, PROJECT_ROOT, get_settings
from core.db import alembic_config, make_engine, session_scope

BACKUP_DIR_VAR = "CPCM_BACKUP_DIR"
AUTH_KEYS = ("redirect_uri", "cookie_secret", "client_id", "client_secret", "server_metadata_url")


@dataclass(frozen=True)
class Finding:
    check: str
    ok: bool
    message: str

    def line(self) -> str:
        return f"{'ok     ' if self.ok else 'PROBLEM'}  {self.check}: {self.message}"


@dataclass(frozen=True)
class Limits:
    backup_hours: float = 26.0  # a nightly backup, with an hour's slack
    min_free_gib: float = 2.0
    max_clock_skew_seconds: float = 30.0


def read_env_file(path: Path) -> dict[str, str]:
    """``KEY=value`` lines, as systemd's ``EnvironmentFile=`` reads them (comments and blank lines skipped, one
    pair of surrounding quotes removed)."""
    found: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")) or "=" not in line:
            continue
        key, value = line.split("=", 1)
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        found[key.strip()] = value
    return found


def _readable_by_others(path: Path) -> str:
    mode = path.stat().st_mode
    if mode & stat.S_IROTH:
        return "every user of the machine"
    if mode & stat.S_IRGRP:
        return "its group"
    return ""


def check_secret_files(env_file: Path | None, secrets_files: list[Path]) -> Iterator[Finding]:
    for path in ([env_file] if env_file else []) + secrets_files:
        if not path.exists():
            continue
        who = _readable_by_others(path)
        if path == env_file and who:
            yield Finding("Secrets", False, f"{path} can be read by {who}; it holds the database password and the "
                                            f"backup passphrase: chmod 600 {path} (owner root)")
        elif who == "every user of the machine":
            yield Finding("Secrets", False, f"{path} can be read by every user of the machine: chmod o-r {path}")
        else:
            yield Finding("Secrets", True, f"{path} is readable by its owner{' and group' if who else ''} only")


def check_database(engine: Engine) -> Iterator[Finding]:
    shown = make_url(str(engine.url)).render_as_string()
    try:
        with engine.connect() as connection:
            version = connection.execute(text("SELECT version()" if engine.dialect.name == "postgresql"
                                              else "SELECT sqlite_version()")).scalar_one()
            current = set(MigrationContext.configure(connection).get_current_heads())
    except Exception as exc:  # any driver's refusal: the message says why
        yield Finding("Database", False, f"cannot connect to {shown}: {str(exc).splitlines()[0][:300]}")
        return
    yield Finding("Database", True, f"{shown} answers ({str(version).split(' on ')[0]})")
    heads = set(ScriptDirectory.from_config(alembic_config(engine)).get_heads())
    if current == heads:
        yield Finding("Schema", True, f"at the newest migration ({', '.join(sorted(heads))})")
    else:
        yield Finding("Schema", False, f"at {', '.join(sorted(current)) or 'no migration'}, the newest is "
                                       f"{', '.join(sorted(heads))}: run the upgrade as the owner role "
                                       "(`alembic upgrade head`, from the app's folder)")


def check_audit_protection(engine: Engine) -> Iterator[Finding]:
    try:
        with engine.connect() as connection:
            if engine.dialect.name != "postgresql":
                triggers = connection.execute(text(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_records'"
                )).scalar_one()
                if triggers < 2:
                    yield Finding("Audit protection", False, "the audit trail's append-only triggers are missing")
                else:
                    yield Finding("Audit protection", True, "append-only triggers in place (an SQLite file's "
                                                            "owner can still change it: a server runs PostgreSQL)")
                return
            row = connection.execute(text(
                "SELECT r.rolsuper, t.tableowner = current_user, "
                "has_table_privilege(current_user, 'audit_records', 'UPDATE'), "
                "has_table_privilege(current_user, 'audit_records', 'DELETE'), "
                "has_table_privilege(current_user, 'audit_records', 'TRUNCATE'), "
                "(SELECT count(*) FROM pg_trigger WHERE tgrelid = 'audit_records'::regclass AND NOT tgisinternal), "
                "current_user "
                "FROM pg_roles r, pg_tables t WHERE r.rolname = current_user AND t.tablename = 'audit_records' "
                "AND t.schemaname = current_schema()")).one()
    except Exception as exc:
        yield Finding("Audit protection", False, f"could not be checked: {str(exc).splitlines()[0][:300]}")
        return
    superuser, owner, update, delete, truncate, triggers, role = row
    wrong = []
    if superuser:
        wrong.append(f"the app connects as {role}, a superuser")
    if owner:
        wrong.append(f"the app connects as {role}, the owner of audit_records (it could drop the triggers)")
    rights = [name for name, held in (("UPDATE", update), ("DELETE", delete), ("TRUNCATE", truncate)) if held]
    if rights and not superuser:
        wrong.append(f"{role} holds {', '.join(rights)} on audit_records")
    if not triggers:
        wrong.append("the append-only trigger is missing")
    if wrong:
        yield Finding("Audit protection", False, "; ".join(wrong) + ": connect as a role that owns nothing and "
                      "`REVOKE UPDATE, DELETE, TRUNCATE ON audit_records FROM` it (README, Run a country server)")
    else:
        yield Finding("Audit protection", True, f"{role} can add audit records but not change or delete them")


def check_audit_chain(engine: Engine) -> Iterator[Finding]:
    try:
        with session_scope(engine) as session:
            check = verify_chain(session)
    except Exception as exc:
        yield Finding("Audit trail", False, f"could not be read: {str(exc).splitlines()[0][:300]}")
        return
    if check.ok:
        yield Finding("Audit trail", True, f"intact, {check.checked} records, every link checked")
    else:
        yield Finding("Audit trail", False, f"broken at record {check.first_broken_id} ({check.problem}); "
                                            f"{check.checked} records before it are intact: "
                                            "`python -m app verify-audit` tells the same, keep the evidence")


def check_backups(folder: str, limits: Limits, now: datetime) -> Iterator[Finding]:
    if not folder:
        yield Finding("Backups", False, f"no backup folder is set ({BACKUP_DIR_VAR}): the nightly backup timer "
                                        "writes there")
        return
    path = Path(folder)
    found = sorted(path.glob("cpcm-*.cpcm"), key=lambda p: p.stat().st_mtime) if path.is_dir() else []
    if not found:
        yield Finding("Backups", False, f"no backup in {path}: is cpcm-backup.timer enabled "
                                        "(`systemctl list-timers cpcm-backup.timer`)?")
        return
    newest = found[-1]
    age = (now - datetime.fromtimestamp(newest.stat().st_mtime, UTC)).total_seconds() / 3600
    if age > limits.backup_hours:
        yield Finding("Backups", False, f"the newest, {newest.name}, is {age:.0f} hours old: see "
                                        "`journalctl -u cpcm-backup.service` for why the last ones failed")
    else:
        yield Finding("Backups", True, f"the newest, {newest.name}, is {age:.1f} hours old ({len(found)} kept)")


def _machine_zone() -> str:
    name = os.environ.get("TZ", "").lstrip(":")
    if name:
        return name
    try:
        target = os.readlink("/etc/localtime")
    except OSError:
        return "UTC"
    return target.split("zoneinfo/", 1)[1] if "zoneinfo/" in target else target


def _synchronised() -> bool | None:
    if not shutil.which("timedatectl"):
        return None
    try:
        shown = subprocess.run(["timedatectl", "show", "--property=NTPSynchronized", "--value"],  # noqa: S607
                               capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    value = shown.stdout.strip()
    return None if shown.returncode or not value else value == "yes"


def check_clock(engine: Engine | None, limits: Limits, now: Callable[[], datetime]) -> Iterator[Finding]:
    zone = _machine_zone()
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        yield Finding("Clock", False, f"the time zone {zone!r} is unknown: set TZ=UTC (or a real zone such as "
                                      "Africa/Nairobi) in the environment file")
        return
    skew = None
    if engine is not None and engine.dialect.name == "postgresql":
        try:
            with engine.connect() as connection:
                before = now()
                theirs = connection.execute(text("SELECT clock_timestamp()")).scalar_one()
                after = now()
            skew = abs((theirs - (before + (after - before) / 2)).total_seconds())
        except Exception:  # noqa: S110  (the database check above already says it cannot connect)
            pass
    if skew is not None and skew > limits.max_clock_skew_seconds:
        yield Finding("Clock", False, f"this machine's clock and the database server's differ by {skew:.0f} s: "
                                      "sign-in expiry and the audit trail's times depend on them; synchronise "
                                      "both (systemd-timesyncd or chrony)")
        return
    synced = _synchronised()
    if synced is False:
        yield Finding("Clock", False, "the clock is not synchronised (`timedatectl` says NTPSynchronized=no): "
                                      "enable systemd-timesyncd or chrony")
        return
    agreed = f", {skew:.1f} s from the database server's" if skew is not None else ""
    yield Finding("Clock", True, f"time zone {zone}{agreed}" + (", synchronised" if synced else ""))


def check_disk(folders: list[Path], limits: Limits) -> Iterator[Finding]:
    seen: set[int] = set()
    for folder in folders:
        existing = next((p for p in (folder, *folder.parents) if p.exists()), None)
        if existing is None or existing.stat().st_dev in seen:
            continue
        seen.add(existing.stat().st_dev)
        usage = shutil.disk_usage(existing)
        free = usage.free / 2**30
        if free < limits.min_free_gib:
            yield Finding("Disk", False, f"{free:.1f} GiB free where {folder} is (less than "
                                         f"{limits.min_free_gib:g} GiB): backups and the database will fail")
        else:
            yield Finding("Disk", True, f"{free:.1f} GiB free where {folder} is")


def check_single_sign_on(secrets_files: list[Path]) -> Iterator[Finding]:
    for path in secrets_files:
        if not path.exists():
            continue
        try:
            auth = tomllib.loads(path.read_text(encoding="utf-8")).get("auth")
        except (OSError, tomllib.TOMLDecodeError) as exc:
            yield Finding("Single sign-on", False, f"{path} cannot be read: {exc}")
            return
        if auth is None:
            continue
        missing = [key for key in AUTH_KEYS if not str(auth.get(key, "")).strip()]
        problems = [f"missing {', '.join(missing)}"] if missing else []
        redirect = str(auth.get("redirect_uri", ""))
        if redirect and not (redirect.startswith("https://") and redirect.endswith("/oauth2callback")):
            problems.append(f"redirect_uri {redirect!r} must be https://YOUR-HOST/oauth2callback")
        if len(str(auth.get("cookie_secret", ""))) < 32:
            problems.append("cookie_secret must be a random string of at least 32 characters")
        if problems:
            yield Finding("Single sign-on", False, f"[auth] in {path}: " + "; ".join(problems))
        else:
            yield Finding("Single sign-on", True, f"[auth] in {path} is complete ({auth['server_metadata_url']})")
        return


def check_url(url: str) -> Iterator[Finding]:
    health = url.rstrip("/") + "/_stcore/health"
    try:
        with urllib.request.urlopen(health, timeout=10) as answer:  # noqa: S310  (the operator's own address)
            body = answer.read(100).decode("utf-8", "replace").strip()
            headers = answer.headers
    except Exception as exc:
        yield Finding("Web", False, f"{health} does not answer: {exc}")
        return
    if body != "ok":
        yield Finding("Web", False, f"{health} answered {body!r}, not ok")
    elif url.startswith("https://") and "max-age" not in headers.get("Strict-Transport-Security", ""):
        yield Finding("Web", False, f"{url} answers without Strict-Transport-Security: is the shipped nginx site "
                                    "in front?")
    else:
        yield Finding("Web", True, f"{health} answers ok")


def secrets_files() -> list[Path]:
    """Where Streamlit reads ``secrets.toml``: the app's folder, then the user's home."""
    return [Path.cwd() / ".streamlit" / "secrets.toml", PROJECT_ROOT / ".streamlit" / "secrets.toml",
            Path.home() / ".streamlit" / "secrets.toml"]


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """The process's environment with ``values`` over it, as the app's units start it; restored after."""
    before = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def diagnose(*, env_file: Path | None = None, url: str = "", limits: Limits = Limits(),
             now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> list[Finding]:
    """Every check's findings; the settings are the environment's, with ``env_file``'s values over them."""
    with _environment(read_env_file(env_file) if env_file is not None else {}):
        return _diagnose(env_file, url, limits, now)


def _missing_sqlite_file(url: str) -> Path | None:
    """An SQLite database whose file is not there (connecting would make an empty one)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    path = Path(parsed.database)
    return None if path.exists() else path


def _diagnose(env_file: Path | None, url: str, limits: Limits, now: Callable[[], datetime]) -> list[Finding]:
    settings = get_settings()
    files = list(dict.fromkeys(p.resolve() for p in secrets_files()))
    findings = list(check_secret_files(env_file.resolve() if env_file else None, files))
    missing = _missing_sqlite_file(settings.database_url)
    engine = None if missing else make_engine(settings.database_url)
    try:
        if engine is None:
            findings.append(Finding("Database", False, f"cannot connect to {missing}: there is no database "
                                                       f"file there (is {DATABASE_URL_VAR} right?)"))
        else:
            reached = list(check_database(engine))
            findings += reached
            if reached[0].ok and inspect(engine).has_table("audit_records"):  # else the schema's finding says why
                findings += check_audit_protection(engine)
                findings += check_audit_chain(engine)
        backup_dir = os.environ.get(BACKUP_DIR_VAR, "")
        findings += check_backups(backup_dir, limits, now())
        findings += check_clock(engine, limits, now)
        findings += check_disk([settings.data_dir] + ([Path(backup_dir)] if backup_dir else []), limits)
        findings += check_single_sign_on(files)
        if url:
            findings += check_url(url)
    finally:
        if engine is not None:
            engine.dispose()
    return findings
