"""Case files from a spreadsheet (CSV or XLSX, our template or a Primero / CPIMS+ export): all or nothing, every
problem named by line and column. Re-importing a file updates the case files it names (same agency and case
code) instead of duplicating them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.models import Agency, StaffMember
from checklists.case_file import (
    IMPORT_COLUMNS,
    OBJECTIVES_ACHIEVED,
    PRIMERO_ALIASES,
    CaseFileDraft,
    CellError,
    draft_from_row,
    looks_like_a_name,
    risk_labels_in,
    validate_case_file,
)
from checklists.models import CaseFile
from checklists.services.access import assignable_caseworkers, editable_case_files
from checklists.services.case_files import EDITORS, apply_draft
from checklists.services.deadlines import refresh_deadlines
from checklists.timeliness import CASE_STATUSES, RISK_LEVELS
from core.actor import Actor, require_role
from core.audit import binds_actor, record_event
from core.errors import Forbidden, NotFound
from core.i18n import t
from core.imports import problem, read_rows, report_problems
from core.reports.spreadsheet import csv_bytes, workbook_bytes, write_sheet

MAX_IMPORT_ROWS = 10_000


def read_case_rows(filename: str, content: bytes) -> list[tuple[int, dict[str, Any]]]:
    return read_rows(filename, content, columns=IMPORT_COLUMNS, required=("case_code",),
                     max_rows=MAX_IMPORT_ROWS, aliases=PRIMERO_ALIASES)


def unmapped_risk_labels(filename: str, content: bytes) -> list[str]:
    """The risk labels in a file that are not ours (``critical``, say): the import form asks what each means."""
    return risk_labels_in([row for _, row in read_case_rows(filename, content)])


def cell_problem(line: int, column: str, message: str) -> str:
    return problem(line, t("case_file.import.error.cell", column=column, message=message))


def parse_rows(rows: list[tuple[int, dict[str, Any]]], *, risk_mapping: Mapping[str, str], today: date,
               caseworker_of: Any = None) -> tuple[list[tuple[int, CaseFileDraft]], list[str]]:
    """Drafts and problems for every row. ``caseworker_of(line, text)`` returns a staff id or a message; without
    it the caseworker column is not read (the command-line timeliness report stores nothing)."""
    drafts: list[tuple[int, CaseFileDraft]] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        caseworker_id: int | None = None
        caseworker_known = False
        if caseworker_of is not None:
            found = caseworker_of(str(row.get("caseworker") or "").strip())
            if isinstance(found, str):
                problems.append(cell_problem(line, "caseworker", found))
            else:
                caseworker_id, caseworker_known = found, True
        try:
            draft = draft_from_row(row, caseworker_id=caseworker_id, risk_mapping=risk_mapping)
        except CellError as exc:
            problems.append(cell_problem(line, exc.column, str(exc)))
            continue
        errors = validate_case_file(draft, today=today)
        if not caseworker_known:
            errors.pop("caseworker", None)  # already reported, or not asked for
        code = draft.case_code.lower()
        if code and code in seen:
            errors["case_code"] = t("case_file.import.error.duplicate", code=draft.case_code, line=seen[code])
        seen.setdefault(code, line)
        for column, message in errors.items():
            problems.append(cell_problem(line, column, message))
        if not errors and (caseworker_known or caseworker_of is None):
            drafts.append((line, draft))
    return drafts, problems


@dataclass(frozen=True)
class CaseImportReport:
    created: int
    updated: int
    name_warnings: list[str] = field(default_factory=list)  # lines whose case code looks like a name


@binds_actor
def import_case_files(session: Session, *, actor: Actor, agency_id: int, filename: str, content: bytes,
                      risk_mapping: Mapping[str, str] | None = None,
                      today: date | None = None) -> CaseImportReport:
    """Import case files for one agency. Every row is checked first; if any is wrong, nothing is saved and each
    problem is listed with its line and column."""
    require_role(actor, *EDITORS)
    if session.get(Agency, agency_id) is None:
        raise NotFound(t("case_file.import.error.agency"))
    mapping = {k.strip().lower(): v for k, v in (risk_mapping or {}).items() if v in RISK_LEVELS}
    rows = read_case_rows(filename, content)
    staff = session.execute(select(StaffMember.id, StaffMember.full_name, StaffMember.email).where(
        StaffMember.agency_id == agency_id, assignable_caseworkers(actor))).all()
    by_email = {e.lower(): i for i, _, e in staff if e}
    by_name: dict[str, list[int]] = {}
    for i, name, _ in staff:
        by_name.setdefault(name.strip().lower(), []).append(i)

    def caseworker_of(text: str) -> int | str:
        if not text:
            return t("case_file.error.caseworker_required")
        key = text.lower()
        if key in by_email:
            return by_email[key]
        named = by_name.get(key, [])
        if len(named) == 1:
            return named[0]
        if len(named) > 1:
            return t("case_file.import.error.caseworker_ambiguous", name=text[:80])
        return t("case_file.import.error.caseworker_unknown", name=text[:80])

    drafts, problems = parse_rows(rows, risk_mapping=mapping, today=today or date.today(),
                                  caseworker_of=caseworker_of)
    existing = {code.lower(): (row_id, editable) for row_id, code, editable in session.execute(
        select(CaseFile.id, CaseFile.case_code, editable_case_files(actor)).where(CaseFile.agency_id == agency_id))}
    touched: list[CaseFile] = []
    for line, draft in drafts:
        found = existing.get(draft.case_code.lower())
        if found is not None and not found[1]:
            problems.append(cell_problem(line, "case_code", t("case_file.import.error.not_yours",
                                                              code=draft.case_code)))
    report_problems(problems)
    created = updated = 0
    warnings: list[str] = []
    stored = {r.id: r for r in session.scalars(select(CaseFile).where(CaseFile.id.in_(
        [v[0] for v in existing.values()])))} if existing else {}
    touched: list[CaseFile] = []
    for line, draft in drafts:
        found = existing.get(draft.case_code.lower())
        if found is None:
            row = CaseFile(agency_id=agency_id)
            session.add(row)
            created += 1
        else:
            row = stored[found[0]]
            draft.case_code = row.case_code  # matched regardless of letter case; keep the stored spelling
            updated += 1
        apply_draft(row, draft)
        touched.append(row)
        if looks_like_a_name(draft.case_code):
            warnings.append(problem(line, t("case_file.warning.looks_like_name", code=draft.case_code)))
    session.flush()
    refresh_deadlines(session, case_file_ids=[row.id for row in touched])
    record_event(session, action="import", entity_type="CaseFile", summary=filename[:200],
                 details={"created": created, "updated": updated}, scope_agency_id=agency_id)
    return CaseImportReport(created, updated, warnings)


def agencies_to_import_into(session: Session, *, actor: Actor) -> list[tuple[int, str]]:
    """The agencies the actor may import case files into."""
    if not actor.has(*EDITORS):
        raise Forbidden(t("common.error.forbidden"))
    query = select(Agency.id, Agency.name).where(Agency.id.in_(
        select(StaffMember.agency_id).where(assignable_caseworkers(actor)))).order_by(func.lower(Agency.name))
    return [(i, n) for i, n in session.execute(query).all()]


def case_file_template_xlsx() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "case files"
    write_sheet(sheet, list(IMPORT_COLUMNS), [
        ["CP-2026-0001 (example, delete this row)", "amina@example.org", "medium", "open", date(2026, 3, 2),
         date(2026, 3, 4), date(2026, 3, 10), date(2026, 3, 16), date(2026, 3, 20), "2026-03-30; 2026-04-12", "",
         "", "2026-03-04:high; 2026-03-10:medium", None, "", "", None],
    ], [30, 26, 10, 12, 13, 13, 13, 13, 13, 26, 26, 20, 32, 13, 24, 12, 13],
        date_columns=[5, 6, 7, 8, 9, 14, 17], choices={3: list(RISK_LEVELS), 4: list(CASE_STATUSES),
                                                        16: list(OBJECTIVES_ACHIEVED)})
    notes = workbook.create_sheet("how to fill")
    write_sheet(notes, ["column", "what to write"],
                [[column, t(f"case_file.import.help.{column}")] for column in IMPORT_COLUMNS], [26, 100])
    return workbook_bytes(workbook)


def case_file_template_csv() -> bytes:
    return csv_bytes(list(IMPORT_COLUMNS), [])
