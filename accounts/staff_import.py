"""Staff import from a spreadsheet (CSV or XLSX), all or nothing, and the template to fill in."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from openpyxl import Workbook, load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import Agency, StaffMember, Team
from accounts.staff import GENDERS, IMPORT_COLUMNS, PROGRAMME_ROLES, StaffDraft, parse_bool, parse_date, validate_staff
from accounts.staff_services import create_staff, create_team
from core.actor import Actor, Role, require_role
from core.audit import binds_actor, record_event
from core.errors import ValidationFailed
from core.i18n import t
from core.reports.spreadsheet import csv_bytes, workbook_bytes, write_sheet

MAX_IMPORT_ROWS = 5000
MAX_COLUMNS = 40  # the template has 8; a sheet claiming thousands of columns is not read past these
MAX_CELL = 1000  # characters in one cell: more than any name, e-mail or team
MAX_FILE_BYTES = 5_000_000
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


def _xlsx_rows(content: bytes) -> Iterator[Sequence[Any]]:
    try:
        sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).worksheets[0]
    except Exception as exc:  # openpyxl raises many unrelated types for a damaged file
        raise ValidationFailed({"file": t("staff.import.error.unreadable")}) from exc
    rows = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)
    number = 0
    while True:
        number += 1
        try:
            row = next(rows)
        except StopIteration:
            return
        except Exception as exc:  # a damaged part of the sheet, or a date Excel cannot have (29 Feb 1900)
            raise ValidationFailed({"file": t("staff.import.error.line", line=number,
                                              message=t("staff.import.error.unreadable_row"))}) from exc
        yield row


def _csv_rows(content: bytes) -> Iterator[Sequence[Any]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed({"file": t("staff.import.error.encoding")}) from exc
    # newline="" lets the reader take CR, LF and CRLF line endings alike, and line breaks inside quoted cells.
    reader = csv.reader(io.StringIO(text, newline=""))
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ValidationFailed({"file": t("staff.import.error.line", line=reader.line_num,
                                              message=t("staff.import.error.unreadable_row"))}) from exc
        yield row


def _read_rows(filename: str, content: bytes) -> list[tuple[int, dict[str, Any]]]:
    """(row number as the spreadsheet shows it, row) for each non-empty row. Read as a stream: a file with more
    rows, columns or longer cells than any staff list has stops with a message, never by filling the memory."""
    name = filename.lower()
    if len(content) > MAX_FILE_BYTES:
        raise ValidationFailed({"file": t("staff.import.error.too_big", megabytes=MAX_FILE_BYTES // 1_000_000)})
    if name.endswith(".xlsx"):
        stream = _xlsx_rows(content)
    elif name.endswith(".csv"):
        stream = _csv_rows(content)
    else:
        raise ValidationFailed({"file": t("staff.import.error.type")})
    first = next(stream, None)
    if first is None:
        raise ValidationFailed({"file": t("staff.import.error.empty")})
    header = [str(h or "").strip().lower()[:40] for h in first[:MAX_COLUMNS]]
    missing = [c for c in IMPORT_COLUMNS[:3] if c not in header]
    if missing:
        raise ValidationFailed({"file": t("staff.import.error.columns", columns=", ".join(missing))})
    rows = []
    for number, raw in enumerate(stream, start=2):
        row = {header[i]: raw[i] for i in range(min(len(header), len(raw))) if header[i] in IMPORT_COLUMNS}
        for column, value in row.items():
            text = "" if value is None else str(value)
            if len(text) > MAX_CELL:
                raise ValidationFailed({"file": t("staff.import.error.line", line=number, message=t(
                    "staff.import.error.cell_too_long", column=column, limit=MAX_CELL))})
            if "\x00" in text:
                raise ValidationFailed({"file": t("staff.import.error.line", line=number, message=t(
                    "staff.import.error.control_character", column=column))})
        if any(str(v).strip() for v in row.values() if v is not None):
            rows.append((number, row))
            if len(rows) > MAX_IMPORT_ROWS:
                raise ValidationFailed({"file": t("staff.import.error.too_many", limit=MAX_IMPORT_ROWS)})
    return rows


@dataclass(frozen=True)
class ImportReport:
    created: int
    teams_created: list[str]


@binds_actor
def import_staff(session: Session, *, actor: Actor, filename: str, content: bytes) -> ImportReport:
    """Import staff from a CSV or XLSX file. Every row is checked first; if any row is wrong, the errors are
    reported by line and nothing from the file is saved."""
    require_role(actor, Role.ADMINISTRATOR)
    rows = _read_rows(filename, content)
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
            problems.append(t("staff.import.error.line", line=line, message=str(exc)))
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
            problems.append(t("staff.import.error.line", line=line, message=message))
        parsed.append((draft, cell("team")))
    if problems:
        raise ValidationFailed({"file": "\n".join(problems[:50]) + (
            "\n" + t("staff.import.error.more", count=len(problems) - 50) if len(problems) > 50 else "")})
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
