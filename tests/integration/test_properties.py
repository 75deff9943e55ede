"""Property-based tests of every importer and every export: whatever a person (or a damaged file) gives them,
importers answer with a result or a clear message and save all or nothing, and exports always produce a file
that opens and reads back. Bounded in CI (profile "ci"); `HYPOTHESIS_PROFILE=release` tries many more."""

from __future__ import annotations

import csv
import io
import os
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select

from accounts import staff_import
from accounts.models import StaffMember
from accounts.services import create_agency
from core.actor import SYSTEM
from core.db import session_scope
from core.errors import ValidationFailed
from core.i18n import using_locale
from improvement_actions.rules import PRIORITIES, STATUSES, ActionSource
from qaf import reports
from qaf.action_plan import SOURCE_KIND
from qaf.assessment import AssessmentDetails, ParticipantEntry, result_for, summarise
from qaf.framework import bundled_framework
from qaf.services import ActionPlan, AssessmentView, KeyActionView

ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=60)
LINE_ENDINGS = st.sampled_from(["\n", "\r\n", "\r"])
HEADERS = list(staff_import.IMPORT_COLUMNS)


@pytest.fixture
def admin_db(engine):
    with session_scope(engine) as session:
        create_agency(session, actor=SYSTEM, name="Brightpath")
    return engine


def _import(engine, filename: str, content: bytes) -> str:
    """Run the import the way the page does; 'ok' or 'refused', never anything else."""
    with session_scope(engine) as session:
        before = session.scalar(select(func.count()).select_from(StaffMember))
    try:
        with session_scope(engine) as session:
            staff_import.import_staff(session, actor=SYSTEM, filename=filename, content=content)
        return "ok"
    except ValidationFailed as refused:
        assert refused.field_errors.get("file"), refused.field_errors
        with session_scope(engine) as session:  # nothing of a refused file is kept
            assert session.scalar(select(func.count()).select_from(StaffMember)) == before
        return "refused"


row_cells = st.lists(st.one_of(ANY_TEXT, st.sampled_from(["caseworker", "Brightpath", "2026-02-29", "yes",
                                                          "East team", "x" * 300])),
                     min_size=0, max_size=10)


@given(rows=st.lists(row_cells, max_size=6), ending=LINE_ENDINGS, header=st.booleans())
def test_any_csv_gets_a_result_or_a_message(admin_db, rows, ending, header):
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator=ending)
    if header:
        writer.writerow(HEADERS)
    writer.writerows(rows)
    _import(admin_db, "staff.csv", buffer.getvalue().encode("utf-8"))


@given(content=st.binary(max_size=400))
def test_any_bytes_get_a_result_or_a_message(admin_db, content):
    _import(admin_db, "staff.csv", content)
    _import(admin_db, "staff.xlsx", content)


def _template_with(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


xlsx_cell = st.one_of(st.text(st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"]), max_size=40),
                      st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False),
                      st.dates(min_value=date(1900, 3, 1), max_value=date(2100, 1, 1)), st.none())


@given(rows=st.lists(st.lists(xlsx_cell, max_size=9), max_size=6), cut=st.integers(0, 2000),
       flip=st.integers(0, 255))
def test_any_workbook_and_any_damage_to_it_get_a_result_or_a_message(admin_db, rows, cut, flip):
    content = _template_with(rows)
    _import(admin_db, "staff.xlsx", content)
    if cut < len(content):
        damaged = content[:cut] + bytes([content[cut] ^ flip]) + content[cut + 1:]
        _import(admin_db, "staff.xlsx", damaged)


# ------------------------------------------------------------------------------------------------ exports

FRAMEWORK = bundled_framework()
# Text from the whole Unicode range, with right-to-left runs and characters newer than the bidi library's data
# (or never assigned) among them, and fields filled to their maximum (a 2,000-character Arabic progress note).
RTL_RUN = st.text(st.characters(min_codepoint=0x0600, max_codepoint=0x06FF), min_size=1, max_size=30)
UNKNOWN_TO_BIDI = st.sampled_from(["\U0001FAE8", "\U000E0080", "\U0003FFFE", "\u0378", "\U0010FFFD", "\ue000"])


def _mixed(max_size: int) -> st.SearchStrategy[str]:
    return st.lists(st.one_of(st.text(st.characters(codec="utf-8"), max_size=40), RTL_RUN, UNKNOWN_TO_BIDI),
                    max_size=12).map(lambda parts: "".join(parts)[:max_size])


def _full(limit: int) -> st.SearchStrategy[str]:
    return st.one_of(RTL_RUN.map(lambda run: (run + " ") * limit), _mixed(limit).filter(bool).map(
        lambda text: (text * limit)[:limit])).map(lambda text: text[:limit])


LONG_TEXT = st.one_of(st.text(st.characters(codec="utf-8"), max_size=2000), _mixed(2000), _full(2000))
SHORT_TEXT = st.one_of(st.text(st.characters(codec="utf-8"), max_size=200), _mixed(200), _full(200))


@st.composite
def action_plans(draw) -> ActionPlan:
    components = list(FRAMEWORK.components())
    chosen = draw(st.lists(st.sampled_from(components), min_size=1, max_size=4, unique_by=lambda c: c.code))
    key_actions = []
    for number, component in enumerate(chosen, start=1):
        key_actions.append(KeyActionView(
            id=number, source=ActionSource(SOURCE_KIND, 1, component.code, None), text=draw(LONG_TEXT) or "x",
            owner_person=draw(SHORT_TEXT), owner_agency=draw(SHORT_TEXT), owner_staff_member_id=None,
            owner_agency_id=None, due_on=draw(st.dates(date(2026, 1, 1), date(2030, 1, 1))),
            resources=draw(LONG_TEXT), priority=draw(st.sampled_from(PRIORITIES)),
            status=draw(st.sampled_from(STATUSES)), progress_notes=draw(LONG_TEXT), version_id=1))
    results = {c.code: result_for(c, [a.id for a in c.columns[0]]) for c in chosen}
    details = AssessmentDetails(name=draw(SHORT_TEXT) or "x", country=draw(SHORT_TEXT), scope="agency",
                                assessed_on=date(2026, 1, 1), facilitator=draw(SHORT_TEXT),
                                participants=[ParticipantEntry(draw(SHORT_TEXT) or "p", draw(SHORT_TEXT))])
    view = AssessmentView(id=1, name=details.name, country=details.country, scope="agency",
                          assessed_on=details.assessed_on, facilitator=details.facilitator, agencies=[],
                          participants=details.participants, status="draft", finalised_at=None,
                          framework_version_id=1, framework_label=FRAMEWORK.title, baseline_id=None)
    return ActionPlan(assessment=view, framework=FRAMEWORK, summary=summarise(FRAMEWORK, results),
                      key_actions=key_actions)


@settings(max_examples=300 if os.environ.get("HYPOTHESIS_PROFILE") == "release" else 40)
@given(plan=action_plans(), language=st.sampled_from(["en", "ar"]))
def test_any_plan_prints_and_exports_and_reads_back(plan, language):
    with using_locale(language):
        content = reports.action_plan_pdf(plan, include_notes=True)
    pdf = PdfReader(io.BytesIO(content))
    assert len(pdf.pages) >= 3
    if language == "en":
        assert "QAF action plan" in pdf.pages[0].extract_text()
    workbook = load_workbook(io.BytesIO(reports.action_plan_xlsx(plan)))
    assert workbook.worksheets[0].max_row == len(plan.key_actions) + 1
    rows = list(csv.reader(io.StringIO(reports.action_plan_csv(plan).decode("utf-8-sig"), newline="")))
    assert len(rows) == len(plan.key_actions) + 1
    for row in rows[1:]:
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row)
