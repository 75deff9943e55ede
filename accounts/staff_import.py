"""Staff import from a spreadsheet (CSV or XLSX), all or nothing, and the template to fill in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import Agency, StaffMember, Team
from accounts.staff import GENDERS, IMPORT_COLUMNS, PROGRAMME_ROLES, StaffDraft, parse_bool, parse_date, validate_staff
from accounts.staff_services import create_staff, create_team
from core.actor import Actor, Role, require_role
from core.audit import binds_actor, record_event
from core.i18n import t
from core.imports import problem, read_rows, report_problems
from core.reports.spreadsheet import csv_bytes, workbook_bytes, write_sheet

MAX_IMPORT_ROWS = 5000
MAX_CELL = 1000  # characters in one cell: more than any name, e-mail or team
MAX_TEAM_NAME = 200


def staff_template_xlsx() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "staff"
    write_sheet(sheet, list(IMPORT_COLUMNS), [
        ["Amina Yusuf (example, delete this row)", "caseworker", "Brightpath Children's Aid", "East team",
         date(2026, 1, 15), "female", "amina@example.org", "yes"],
    ], [34, 16, 32, 20, 12, 12, 28, 8], date_columns=[5])
    notes = workbook.create_sheet("how to fill")
    write_sheet(notes, ["column", "what to write"], [
        ["full_name", t("staff.import.help.full_name")],
        ["programme_role", ", ".join(PROGRAMME_ROLES)],
        ["agency", t("staff.import.help.agency")],
        ["team", t("staff.import.help.team")],
        ["start_date", "YYYY-MM-DD"],
        ["gender", ", ".join(GENDERS)],
        ["email", t("staff.import.help.email")],
        ["active", "yes / no"],
    ], [18, 80])
    return workbook_bytes(workbook)


def staff_template_csv() -> bytes:
    return csv_bytes(list(IMPORT_COLUMNS), [])


@dataclass(frozen=True)
class ImportReport:
    created: int
    teams_created: list[str]


@binds_actor
def import_staff(session: Session, *, actor: Actor, filename: str, content: bytes) -> ImportReport:
    """Import staff from a CSV or XLSX file. Every row is checked first; if any row is wrong, the errors are
    reported by line and nothing from the file is saved."""
    require_role(actor, Role.ADMINISTRATOR)
    rows = read_rows(filename, content, columns=IMPORT_COLUMNS, required=IMPORT_COLUMNS[:3],
                     max_rows=MAX_IMPORT_ROWS, max_cell=MAX_CELL)
    agencies = {name.lower(): agency_id for agency_id, name in session.execute(select(Agency.id, Agency.name))}
    existing = {(n.lower(), a) for n, a in session.execute(select(StaffMember.full_name, StaffMember.agency_id))}
    teams = {(a, n.lower()): team_id for team_id, a, n in session.execute(select(Team.id, Team.agency_id, Team.name))}
    problems: list[str] = []
    parsed: list[tuple[StaffDraft, str]] = []
    seen: set[tuple[str, int]] = set()
    for line, row in rows:
        def cell(name: str, row: dict[str, Any] = row) -> str:
            value = row.get(name)
            return "" if value is None else str(value).strip()

        agency_id = agencies.get(cell("agency").lower())
        try:
            draft = StaffDraft(full_name=cell("full_name"), programme_role=cell("programme_role").lower(),
                               agency_id=agency_id, start_date=parse_date(row.get("start_date")),
                               gender=(cell("gender") or "undisclosed").lower(), email=cell("email"),
                               active=parse_bool(row.get("active")))
        except ValueError as exc:
            problems.append(problem(line, str(exc)))
            continue
        errors = validate_staff(draft)
        if agency_id is None:
            errors["agency_id"] = t("staff.import.error.agency", agency=cell("agency") or "—")
        key = (draft.full_name.lower(), agency_id or 0)
        if key in existing or key in seen:
            errors["full_name"] = t("staff.import.error.duplicate", name=draft.full_name)
        seen.add(key)
        if len(cell("team")) > MAX_TEAM_NAME:
            errors["team"] = t("staff.import.error.team_too_long", limit=MAX_TEAM_NAME)
        for message in errors.values():
            problems.append(problem(line, message))
        parsed.append((draft, cell("team")))
    report_problems(problems)
    created_teams: list[str] = []
    for draft, team_name in parsed:
        team_id = None
        if team_name:
            team_id = teams.get((draft.agency_id, team_name.lower()))
            if team_id is None:
                team_id = create_team(session, actor=actor, name=team_name, agency_id=int(draft.agency_id or 0))
                teams[(draft.agency_id, team_name.lower())] = team_id
                created_teams.append(team_name)
        create_staff(session, actor=actor, draft=draft, team_id=team_id,
                     from_date=draft.start_date or date.today())
    record_event(session, action="import", entity_type="StaffMember", summary=filename[:200],
                 details={"rows": len(parsed), "teams_created": created_teams})
    return ImportReport(created=len(parsed), teams_created=created_teams)
