"""Command line for management reports, for a monthly server job:

- ``python -m management monthly-report --month YYYY-MM --agency NAME [--team NAME] --pdf FILE --xlsx FILE``:
  the monthly management report of an agency (or one of its teams) in the database ``CPCM_DATABASE_URL`` names,
  as a PDF and as a workbook with the same figures. The export is recorded in the audit trail."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path


def _month(text: str) -> date:
    try:
        return date.fromisoformat(f"{text}-01")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a month; write YYYY-MM, e.g. 2026-10") from exc


def monthly_report(*, month: date, agency: str, team: str | None, pdf: Path | None, xlsx: Path | None) -> int:
    from sqlalchemy import func, select

    from accounts.models import Agency, Team
    from core.actor import Actor, Role
    from core.config import get_settings
    from core.db import make_engine, migrate_to_head, session_scope
    from core.errors import Forbidden, NotFound
    from management.reports import export_monthly_files

    engine = make_engine(get_settings().database_url)
    migrate_to_head(engine)
    with session_scope(engine) as session:
        agency_id = session.scalar(select(Agency.id).where(func.lower(Agency.name) == agency.strip().lower()))
        team_id = None
        if agency_id is not None and team:
            team_id = session.scalar(select(Team.id).where(Team.agency_id == agency_id,
                                                           func.lower(Team.name) == team.strip().lower()))
    if agency_id is None:
        print(f"No agency named {agency!r}.", file=sys.stderr)
        return 2
    if team and team_id is None:
        print(f"No team named {team!r} in {agency}.", file=sys.stderr)
        return 2
    actor = Actor(account_id=None, name="monthly report job", roles=frozenset({Role.MANAGER}), agency_id=agency_id)
    wanted = {fmt: path for fmt, path in (("pdf", pdf), ("xlsx", xlsx)) if path is not None}
    try:
        with session_scope(engine, actor=actor) as session:
            files = export_monthly_files(session, actor=actor, month=month, formats=tuple(wanted), team_id=team_id)
        for fmt, path in wanted.items():
            path.write_bytes(files[fmt])
            print(f"Wrote {path} ({fmt}).")
    except (Forbidden, NotFound) as exc:
        print(str(exc), file=sys.stderr)
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m management", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    report = commands.add_parser("monthly-report", help="the monthly management report as PDF and workbook")
    report.add_argument("--month", type=_month, required=True, metavar="YYYY-MM")
    report.add_argument("--agency", required=True)
    report.add_argument("--team")
    report.add_argument("--pdf", type=Path)
    report.add_argument("--xlsx", type=Path)
    args = parser.parse_args(argv)
    if args.pdf is None and args.xlsx is None:
        parser.error("give --pdf FILE, --xlsx FILE or both")
    return monthly_report(month=args.month, agency=args.agency, team=args.team, pdf=args.pdf, xlsx=args.xlsx)


if __name__ == "__main__":
    sys.exit(main())
