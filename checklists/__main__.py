"""Command line for case files, for an M&E officer or a server job:

- ``python -m checklists timeliness FILE.csv|FILE.xlsx [--as-of YYYY-MM-DD] [--out result.csv]
  [--risk-label critical=high ...]``: the timeliness of every case in a CPIMS+ export or the import template,
  **without storing anything**: one row per case and step (``case_code, step, status, due_on, done_on,
  days_late``) to the output file (or standard output), and a summary per step and risk level. The review
  settings' default timeframes apply (the guidelines' table).
- ``python -m checklists import-cases FILE --agency NAME [--risk-label critical=high ...]``: import case files
  into an agency of the database ``CPCM_DATABASE_URL`` names; all or nothing.

A file with problems gets every problem by line and column and a non-zero exit."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from datetime import date
from pathlib import Path

from checklists.services.imports import parse_rows, read_case_rows
from checklists.settings import default_settings
from checklists.timeliness import DECIDED, RISK_LEVELS, STEPS, Status, timeliness
from core.errors import ValidationFailed
from core.reports.spreadsheet import csv_bytes

RESULT_COLUMNS = ("case_code", "step", "status", "due_on", "done_on", "days_late")


def _risk_mapping(pairs: list[str]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        label, _, level = pair.partition("=")
        if level.strip() not in RISK_LEVELS:
            raise SystemExit(f"--risk-label {pair}: the level must be one of {', '.join(RISK_LEVELS)}")
        mapping[label.strip().lower()] = level.strip()
    return mapping


def _fail(exc: ValidationFailed) -> int:
    for message in exc.field_errors.values():
        print(message, file=sys.stderr)
    return 2


def timeliness_report(path: Path, *, as_of: date, out: Path | None, risk_labels: list[str]) -> int:
    try:
        rows = read_case_rows(path.name, path.read_bytes())
        drafts, problems = parse_rows(rows, risk_mapping=_risk_mapping(risk_labels), today=as_of)
        if problems:
            raise ValidationFailed({"file": "\n".join(problems)})
    except ValidationFailed as exc:
        return _fail(exc)
    timeframes = default_settings().timeframes
    lines = []
    summary: Counter[tuple[str, str, str]] = Counter()
    for _, draft in drafts:
        for step, result in timeliness(draft.dates(), timeframes, as_of).items():
            lines.append([draft.case_code, step.value, result.status.value, result.due_on, result.done_on,
                          result.days_late if result.status in (Status.MISSED, Status.OVERDUE) else ""])
            level = result.risk_level.value if result.risk_level else draft.risk_level
            summary[(step.value, level, result.status.value)] += 1
    data = csv_bytes(list(RESULT_COLUMNS), lines)
    if out is None:
        sys.stdout.write(data.decode("utf-8-sig"))
    else:
        out.write_bytes(data)
    print(f"Timeliness of {len(drafts)} cases as of {as_of.isoformat()} (met / decided; decided = met, missed or "
          f"overdue):", file=sys.stderr if out is None else sys.stdout)
    stream = sys.stderr if out is None else sys.stdout
    print(f"  {'step':<24}" + "".join(f"{level:>16}" for level in RISK_LEVELS), file=stream)
    for step in STEPS:
        cells = []
        for level in RISK_LEVELS:
            met = summary[(step.value, level, Status.MET.value)]
            decided = sum(summary[(step.value, level, s.value)] for s in DECIDED)
            cells.append(f"{met}/{decided} ({round(100 * met / decided)}%)" if decided else "—")
        print(f"  {step.value:<24}" + "".join(f"{c:>16}" for c in cells), file=stream)
    return 0


def import_cases(path: Path, *, agency: str, risk_labels: list[str]) -> int:
    from sqlalchemy import func, select

    from accounts.models import Agency
    from checklists.services.imports import import_case_files
    from core.actor import Actor, Role
    from core.config import get_settings
    from core.db import BATCH_BUSY_TIMEOUT_MS, make_engine, migrate_to_head, session_scope

    engine = make_engine(get_settings().database_url, busy_timeout_ms=BATCH_BUSY_TIMEOUT_MS)
    migrate_to_head(engine)
    with session_scope(engine) as session:
        agency_id = session.scalar(select(Agency.id).where(func.lower(Agency.name) == agency.strip().lower()))
    if agency_id is None:
        print(f"No agency named {agency!r}.", file=sys.stderr)
        return 2
    actor = Actor(account_id=None, name="command line import", roles=frozenset({Role.MANAGER}), agency_id=agency_id)
    try:
        with session_scope(engine, actor=actor) as session:
            report = import_case_files(session, actor=actor, agency_id=agency_id, filename=path.name,
                                       content=path.read_bytes(), risk_mapping=_risk_mapping(risk_labels))
    except ValidationFailed as exc:
        return _fail(exc)
    print(f"Imported {report.created} new and updated {report.updated} case files into {agency}.")
    for warning in report.name_warnings:
        print(f"warning: {warning}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m checklists", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    report = commands.add_parser("timeliness", help="timeliness of every case in a file, stored nowhere")
    report.add_argument("file", type=Path)
    report.add_argument("--as-of", type=date.fromisoformat, default=date.today())
    report.add_argument("--out", type=Path)
    report.add_argument("--risk-label", action="append", default=[], metavar="LABEL=LEVEL")
    load = commands.add_parser("import-cases", help="import case files into an agency (all or nothing)")
    load.add_argument("file", type=Path)
    load.add_argument("--agency", required=True)
    load.add_argument("--risk-label", action="append", default=[], metavar="LABEL=LEVEL")
    args = parser.parse_args(argv)
    if not args.file.is_file():
        print(f"No such file: {args.file}", file=sys.stderr)
        return 2
    if args.command == "timeliness":
        return timeliness_report(args.file, as_of=args.as_of, out=args.out, risk_labels=args.risk_label)
    return import_cases(args.file, agency=args.agency, risk_labels=args.risk_label)


if __name__ == "__main__":
    sys.exit(main())
