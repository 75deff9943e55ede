"""Command line for server jobs:

- ``python -m app backup export|restore FILE``: an encrypted export of every table, or its restore into an empty
  database. The passphrase comes from ``CPCM_BACKUP_PASSPHRASE`` or is asked for.
- ``python -m app backup sqlite-copy FILE``: an online copy of the SQLite file.
- ``python -m app verify-audit``: recompute the audit trail's hash chain; exit 1 naming the first broken link.
- ``python -m app doctor [--env-file FILE] [--url URL]``: check a deployment, say what is wrong in plain words,
  exit 1 if anything is (see ``app.doctor``).
- ``python -m app example``: load the example data and print the example accounts' passwords once.
- ``python -m app sync enrol|import|export|status|revoke``: exchanges between the country server and laptops
  (see ``sync.cli``).

The database is the one ``CPCM_DATABASE_URL`` names (the SQLite default otherwise)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

from accounts.sign_in import unlock_from_server
from app.doctor import Limits, diagnose
from app.example import load_example
from app.wiring import prepare_database
from core.audit import retire_checkpoint_after_restore, verify_chain
from core.audit_keys import AuditKeyError, rotate
from core.backup import ExportError, read_export, restore_data, sqlite_online_copy, write_export
from core.config import default_data_dir, get_settings, passphrase_from
from core.db import BATCH_BUSY_TIMEOUT_MS, make_engine, migrate_to_head, session_scope
from core.i18n import t
from sync import cli as sync_cli

PASSPHRASE_VAR = "CPCM_BACKUP_PASSPHRASE"  # noqa: S105  (the name of a variable, not a secret)


def _passphrase(*, confirm: bool) -> str:
    return passphrase_from(PASSPHRASE_VAR, "Backup passphrase", confirm=confirm)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    backup = commands.add_parser("backup", help="export, restore or copy the database (see core.backup)")
    backup.add_argument("operation", choices=["export", "restore", "sqlite-copy"])
    backup.add_argument("file", type=Path)
    commands.add_parser("example", help="load the example data and print the example accounts' passwords once")
    commands.add_parser("verify-audit", help="check the audit trail's hash chain")
    keys = commands.add_parser("audit-key", help="make a new key for the audit trail's links (the old ones stay "
                                                 "to verify what they signed; see core.audit_keys)")
    keys.add_argument("operation", choices=["rotate"])
    unlock = commands.add_parser("unlock", help="lift the lock a run of failed sign-ins put on an account (for when "
                                                "no administrator can sign in to do it on the Accounts page)")
    unlock.add_argument("username")
    doctor = commands.add_parser("doctor", help="check a deployment and say what is wrong (exit 1 if anything is)")
    doctor.add_argument("--env-file", type=Path,
                        help="the environment file the app's units load (/etc/cpcm/cpcm.env): its settings are used "
                             "and its mode checked")
    doctor.add_argument("--url", default="", help="the app's address through the proxy, e.g. https://cpcm.example.org")
    doctor.add_argument("--backup-hours", type=float, default=Limits.backup_hours,
                        help="the newest backup may be this old (default %(default)s)")
    doctor.add_argument("--min-free-gib", type=float, default=Limits.min_free_gib,
                        help="free disk space the data and backup folders need (default %(default)s)")
    sync_cli.add_parser(commands)
    args = parser.parse_args(argv)
    if args.command == "doctor":
        findings = diagnose(env_file=args.env_file, url=args.url,
                            limits=Limits(backup_hours=args.backup_hours, min_free_gib=args.min_free_gib))
        for finding in findings:
            print(finding.line())
        wrong = [f for f in findings if not f.ok]
        print(f"{len(wrong)} problem{'s' if len(wrong) != 1 else ''} found." if wrong else "Nothing wrong found.")
        return 1 if wrong else 0
    url = get_settings().database_url
    shown = make_url(url).render_as_string()
    engine = make_engine(url, busy_timeout_ms=BATCH_BUSY_TIMEOUT_MS)
    if args.command == "sync":
        migrate_to_head(engine)
        return sync_cli.run(engine, args)
    if args.command == "example":
        prepare_database(engine)
        with session_scope(engine) as session:
            result = load_example(session)
        print(f"Loaded the example assessment (id {result.assessment_id}) into {shown}.")
        print("Example accounts (the passwords are shown only now):")
        for c in result.credentials:
            print(f"  {c.username:<24} {c.password:<22} {c.roles}")
    elif args.command == "verify-audit":
        with session_scope(engine) as session:
            check = verify_chain(session)
        if not check.ok:
            print(f"The audit trail is broken at record {check.first_broken_id} ({check.problem}: "
                  f"{t(f'audit.problem.{check.problem}')}); "
                  f"{check.checked} records before it are intact.")
            return 1
        print(f"The audit trail is intact: {check.checked} records, every link checked.")
    elif args.command == "audit-key":
        try:
            key_id = rotate()
        except AuditKeyError as exc:
            print(exc, file=sys.stderr)
            return 1
        print(f"New audit key {key_id}: it signs the trail's records from now on. Keep a copy of "
              f"{default_data_dir() / 'audit-keys'} with your backups: the trail verifies only where its keys are.")
    elif args.command == "unlock":
        migrate_to_head(engine)
        with session_scope(engine) as session:
            found = unlock_from_server(session, username=args.username)
        if not found:
            print(f"No account is called {args.username!r}.", file=sys.stderr)
            return 1
        print(f"Unlocked {args.username}: it can sign in from any browser again.")
    elif args.operation == "export":
        write_export(engine, args.file, passphrase=_passphrase(confirm=True))
        print(f"Exported {shown} to {args.file} (encrypted)")
    elif args.operation == "restore":
        migrate_to_head(engine)
        try:
            counts = restore_data(engine, read_export(args.file, passphrase=_passphrase(confirm=False)))
        except ExportError as exc:
            print(exc, file=sys.stderr)
            return 1
        print(f"Restored {sum(counts.values())} rows into {shown}")
        with session_scope(engine) as session:
            note = retire_checkpoint_after_restore(session)
        if note:
            print(note)
    else:
        sqlite_online_copy(url, args.file)
        print(f"Copied the SQLite database to {args.file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
