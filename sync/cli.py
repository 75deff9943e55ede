"""``python -m app sync ...``: pairing and bundles from the command line (see ``sync.exchange``).

    server$ python -m app sync enrol "Laptop A" --out laptop-a.cpcmsync [--agency NAME]
    laptop$ python -m app sync import laptop-a.cpcmsync
    laptop$ python -m app sync export --out up.cpcmsync
    server$ python -m app sync import up.cpcmsync
    server$ python -m app sync export --for "Laptop A" --out down.cpcmsync
    any$    python -m app sync status
    server$ python -m app sync revoke "Laptop A"

The passphrase comes from ``CPCM_SYNC_PASSPHRASE`` or is asked for. Each command exits 0 on success and 1 with a
reason otherwise; nothing is half-done: an import applies in one transaction or not at all, an export writes its
file whole or not at all.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy import Engine, select

from accounts.models import Agency
from core.actor import SYSTEM
from core.config import passphrase_from
from core.db import session_scope
from core.errors import Forbidden, NotFound, ValidationFailed
from sync import exchange
from sync.bundle import BundleError
from sync.keys import KeyMissing

PASSPHRASE_VAR = "CPCM_SYNC_PASSPHRASE"  # noqa: S105  (the name of a variable, not a secret)


def add_parser(commands: argparse._SubParsersAction) -> None:
    sync = commands.add_parser("sync", help="exchange changes between the country server and laptops")
    operations = sync.add_subparsers(dest="operation", required=True)
    enrol = operations.add_parser("enrol", help="register a laptop on the server and write its starting bundle")
    enrol.add_argument("name")
    enrol.add_argument("--out", type=Path, required=True)
    enrol.add_argument("--agency", help="the agency whose work the laptop carries (needed when there are several)")
    imported = operations.add_parser("import", help="apply a bundle from the other side")
    imported.add_argument("file", type=Path)
    export = operations.add_parser("export", help="write what the other side has not acknowledged yet")
    export.add_argument("--out", type=Path, required=True)
    export.add_argument("--for", dest="for_laptop", help="on the server: the laptop the bundle is for")
    operations.add_parser("status", help="replicas, last exchanges, waiting changes, open conflicts")
    revoke = operations.add_parser("revoke", help="refuse a lost or stolen laptop's bundles from now on")
    revoke.add_argument("name")


def _passphrase(*, confirm: bool) -> str:
    return passphrase_from(PASSPHRASE_VAR, "Sync passphrase", confirm=confirm)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _agency_id(engine: Engine, name: str | None) -> int | None:
    with session_scope(engine) as session:
        agencies = session.execute(select(Agency.id, Agency.name).order_by(Agency.name)).all()
    if name:
        found = [i for i, n in agencies if n == name]
        if not found:
            raise exchange.SyncRefused(f"No agency is called {name!r}. Agencies: "
                                       f"{', '.join(n for _, n in agencies) or 'none yet'}.")
        return found[0]
    if len(agencies) == 1:
        return agencies[0][0]
    raise exchange.SyncRefused("Name the agency whose work the laptop carries with --agency: "
                               f"{', '.join(n for _, n in agencies) or 'no agency exists yet'}.")


def run(engine: Engine, args: argparse.Namespace) -> int:
    try:
        return _run(engine, args)
    except ValidationFailed as exc:
        print(f"Refused: {' '.join(str(v) for v in exc.field_errors.values())}", file=sys.stderr)
        return 1
    except (exchange.SyncRefused, BundleError, KeyMissing, Forbidden, NotFound) as exc:
        print(f"Refused: {exc}", file=sys.stderr)
        return 1


def _run(engine: Engine, args: argparse.Namespace) -> int:
    if args.operation == "enrol":
        agency_id = _agency_id(engine, args.agency)
        with session_scope(engine) as session:
            done = exchange.enrol_laptop(session, actor=SYSTEM, name=args.name, agency_id=agency_id, out=args.out,
                                         passphrase=_passphrase(confirm=True), progress=_say)
        print(f"Enrolled {done.laptop}: its starting bundle is {done.path} ({done.records} records).")
        print(f"  Laptop key fingerprint: {done.laptop_fingerprint}")
        print(f"  Server key fingerprint: {done.server_fingerprint}")
        print("Compare both with what the laptop shows when it imports the bundle.")
    elif args.operation == "import":
        if not args.file.exists():
            raise exchange.SyncRefused(f"There is no file {args.file}.")
        with session_scope(engine) as session:
            result = exchange.import_bundle(session, actor=SYSTEM, path=args.file, passphrase=_passphrase(
                confirm=False), progress=_say)
        if result.already_imported:
            print(f"{args.file} was imported before: nothing changed.")
        elif result.became:
            print(f"This computer is now {result.became}, a laptop of {result.sender}: "
                  f"{result.applied} records received.")
            print(f"  Laptop key fingerprint: {result.fingerprints[0]}")
            print(f"  Server key fingerprint: {result.fingerprints[1]}")
        else:
            print(f"Imported {args.file} from {result.sender}: {result.applied} changes applied, "
                  f"{result.deleted} records deleted, {result.conflicts} conflicts to resolve, "
                  f"{result.audit_records} audit records merged.")
    elif args.operation == "export":
        with session_scope(engine) as session:
            written = exchange.export_changes(session, actor=SYSTEM, out=args.out, for_laptop=args.for_laptop,
                                              passphrase=_passphrase(confirm=True), progress=_say)
        print(f"Wrote {args.out} ({written} lines).")
    elif args.operation == "revoke":
        with session_scope(engine) as session:
            exchange.revoke_laptop(session, actor=SYSTEM, name=args.name)
        print(f"Revoked {args.name}: its bundles are refused from now on.")
    else:
        with session_scope(engine) as session:
            status = exchange.sync_status(session)
        if status.me is None:
            print("This database takes part in no sync yet.")
            return 0
        print(f"This replica: {status.me.name} ({status.me.role}), key {status.me.fingerprint}")
        for peer in status.peers:
            print(f"  {peer.name} ({peer.role}, {peer.status}): last sent {_when(peer.last_sent_at)}, "
                  f"last received {_when(peer.last_received_at)}, key {peer.fingerprint}")
        if status.me.role == "laptop":
            print(f"Changes waiting to go to the server: {status.waiting} records")
        print(f"Open conflicts: {status.open_conflicts}")
    return 0


def _when(moment: object) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment is not None else "never"  # type: ignore[attr-defined]
