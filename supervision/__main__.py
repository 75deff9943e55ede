"""Command line for supervision calendars, for a server job:

``python -m supervision calendar --team NAME --from YYYY-MM-DD --to YYYY-MM-DD [--agency NAME] [--ics FILE]
[--pdf FILE] [--page a4|letter]`` generates or refreshes the team's calendar in the database ``CPCM_DATABASE_URL``
names (keeping every session already held, missed, moved or added by hand) and writes the team's calendar as
.ics and as a printable PDF for the period.

Exit codes: 0 every session placed; 2 the team is unknown (or the name is ambiguous) or the period invalid;
3 the plan does not fit: what fits is stored and exported, and every session that could not be placed is listed
with the reason and the nearest plan that would fit."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from core.errors import ValidationFailed


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 2


def calendar(*, team: str, agency: str | None, first: date, last: date, ics: Path | None, pdf: Path | None,
             page: str) -> int:
    from sqlalchemy import func, select

    from accounts.models import Agency, Team
    from core.actor import Actor, Role
    from core.config import get_settings
    from core.db import BATCH_BUSY_TIMEOUT_MS, make_engine, migrate_to_head, session_scope
    from core.i18n import t, using_locale
    from supervision import reports
    from supervision.services.generation import generate_calendar

    engine = make_engine(get_settings().database_url, busy_timeout_ms=BATCH_BUSY_TIMEOUT_MS)
    migrate_to_head(engine)
    with session_scope(engine) as session:
        query = select(Team.id, Team.agency_id, Agency.name).join(Agency, Agency.id == Team.agency_id).where(
            func.lower(Team.name) == team.strip().lower())
        if agency:
            query = query.where(func.lower(Agency.name) == agency.strip().lower())
        found = session.execute(query).all()
    if not found:
        return _fail(f"No team named {team!r}" + (f" in {agency!r}." if agency else "."))
    if len(found) > 1:
        return _fail(f"{len(found)} agencies have a team named {team!r} ({', '.join(sorted(r[2] for r in found))});"
                     " say which with --agency.")
    team_id, agency_id, _agency_name = found[0]
    actor = Actor(account_id=None, name="command line calendar", roles=frozenset({Role.MANAGER}),
                  agency_id=agency_id)

    def progress(done: int, total: int) -> None:
        if total:
            print(f"\r  placing sessions: {done}/{total}", end="", file=sys.stderr, flush=True)

    with using_locale("en"):
        try:
            with session_scope(engine, actor=actor) as session:
                outcome = generate_calendar(session, actor=actor, team_id=team_id, first=first, last=last,
                                            progress=progress)
        except ValidationFailed as exc:
            print(file=sys.stderr)
            return _fail("\n".join(exc.field_errors.values()))
        print(file=sys.stderr)
        print(f"{outcome.team_name}, {outcome.first.isoformat()} to {outcome.last.isoformat()}: "
              f"{outcome.created} new, {outcome.moved} moved, {outcome.unchanged} unchanged, "
              f"{outcome.cancelled} cancelled by the plan, {outcome.kept} kept as recorded.")
        scope = reports.Scope(team_id, "team")
        with session_scope(engine, actor=actor) as session:
            if ics is not None:
                ics.write_bytes(reports.export_calendar_ics(session, actor=actor, scope=scope))
                print(f"Wrote {ics}")
            if pdf is not None:
                pdf.write_bytes(reports.export_calendar_pdf(session, actor=actor, scope=scope, first=outcome.first,
                                                            last=outcome.last, page=page))
                print(f"Wrote {pdf}")
        if outcome.feasible:
            return 0
        print(f"{len(outcome.unplaced)} sessions could not be placed:", file=sys.stderr)
        for item in outcome.unplaced:
            who = item.person or t("session.whole_team")
            print(f"  {t(f'activity.{item.activity}')} with {who}, {item.window_start.isoformat()} to "
                  f"{item.window_end.isoformat()} ({item.minutes} min): {t(f'unplaced.{item.reason}')}",
                  file=sys.stderr)
        if outcome.proposal is not None:
            print("Nearest plan that fits:" if outcome.proposal.feasible else
                  "The nearest plan found still leaves some out:", file=sys.stderr)
            for change in outcome.proposal.changes:
                print(f"  {t(f'activity.{change.activity.value}')}: {change.field} {change.before} → {change.after}",
                      file=sys.stderr)
        return 3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m supervision", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("calendar", help="generate or refresh a team's supervision calendar")
    make.add_argument("--team", required=True)
    make.add_argument("--agency")
    make.add_argument("--from", dest="first", required=True, type=date.fromisoformat, metavar="YYYY-MM-DD")
    make.add_argument("--to", dest="last", required=True, type=date.fromisoformat, metavar="YYYY-MM-DD")
    make.add_argument("--ics", type=Path)
    make.add_argument("--pdf", type=Path)
    make.add_argument("--page", choices=("a4", "letter"), default="a4")
    args = parser.parse_args(argv)
    return calendar(team=args.team, agency=args.agency, first=args.first, last=args.last, ics=args.ics,
                    pdf=args.pdf, page=args.page)


if __name__ == "__main__":
    sys.exit(main())
