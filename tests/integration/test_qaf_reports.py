"""The action plan exports, opened and read back as a user would."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from app.example import load_example
from core.db import session_scope
from core.errors import ValidationFailed
from qaf import reports, services
from qaf.action_plan import KeyActionDraft
from qaf.assessment import AssessmentDetails, ParticipantEntry
from qaf.framework import bundled_framework
from qaf.levels import Level, level_label
from qaf.models import AssessmentMember
from tests.conftest import actor_for


@pytest.fixture
def example_plan(engine, framework_version_id):
    with session_scope(engine) as session:
        assessment_id = load_example(session, today=date(2026, 11, 23)).assessment_id
        owner = session.scalar(select(AssessmentMember.account_id).where(
            AssessmentMember.assessment_id == assessment_id, AssessmentMember.role == "facilitator"))
    with session_scope(engine) as session:
        return services.action_plan(session, assessment_id, actor=actor_for(engine, owner))


def _pdf_text(data: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def _squash(text: str) -> str:
    return " ".join(text.split())


def test_pdf_has_cover_levels_and_every_key_action(example_plan):
    pages, text = _pdf_text(reports.action_plan_pdf(example_plan))
    flat = _squash(text)
    assert pages >= 4
    assert "QAF action plan" in flat
    assert "Riverside Displacement Response" in flat
    assert "Zoé Martin" in flat and "Lucía Fernández" in flat and "Tomás Ríos" in flat
    assert "Levels by component" in flat and "Components per level" in flat
    assert "2c Case planning" in flat and "Case plans exist in the format" in flat
    assert f"Page 1 of {pages}" in flat and f"Page {pages} of {pages}" in flat
    assert "Alliance for Child Protection in Humanitarian Action" in flat
    for action in example_plan.key_actions:
        assert _squash(action.text)[:40] in flat, action.text


def _plan_with(engine, framework_version_id, facilitator, *, name, text, owner, agencies=()):
    with session_scope(engine) as session:
        assessment_id = services.create_assessment(session, actor=facilitator, details=AssessmentDetails(
            name=name, country="Test", scope="agency", assessed_on=date(2026, 11, 1), facilitator=owner,
            agencies=list(agencies), participants=[ParticipantEntry(owner, "Agence", "Rôle")]),
            framework_version_id=framework_version_id)
        services.save_component_rating(session, actor=facilitator, assessment_id=assessment_id, component_code="1", in_place=[],
                                       agreed_level=None)
        services.add_key_action(session, actor=facilitator, assessment_id=assessment_id, draft=KeyActionDraft(
            component_code="1", text=text, owner_person=owner, due_on=date(2027, 2, 1),
            resources="=HYPERLINK(\"http://evil\")"))
    with session_scope(engine) as session:
        return services.action_plan(session, assessment_id, actor=facilitator)


def test_user_text_is_escaped_and_accents_render(facilitator, engine, framework_version_id):
    plan = _plan_with(engine, framework_version_id, facilitator, name="Évaluation <b>niñas</b> & co",
                      text="Former les équipes </para><para> à l'écoute — niños y niñas", owner="Zoé Ñúñez")
    _pages, text = _pdf_text(reports.action_plan_pdf(plan))
    flat = _squash(text)
    assert "Évaluation <b>niñas</b> & co" in flat
    assert "Former les équipes </para><para> à l'écoute — niños y niñas" in flat
    assert "Zoé Ñúñez" in flat


def test_arabic_text_does_not_break_the_pdf(facilitator, engine, framework_version_id):
    plan = _plan_with(engine, framework_version_id, facilitator, name="تقييم جودة إدارة الحالات",
                      text="تدريب الأخصائيين الاجتماعيين على إجراءات التشغيل", owner="مريم حداد")
    pages, text = _pdf_text(reports.action_plan_pdf(plan))
    assert pages >= 3
    # Shaped Arabic is drawn with presentation forms; the extracted text holds Arabic letters.
    assert any("\u0600" <= ch <= "\u06FF" or "\uFE70" <= ch <= "\uFEFF" for ch in text)


def test_all_135_actions_as_key_actions_split_across_pages(facilitator, engine, framework_version_id):
    with session_scope(engine) as session:
        assessment_id = services.create_assessment(session, actor=facilitator, details=AssessmentDetails(
            name="Full plan", country="Test", scope="agency", assessed_on=date(2026, 11, 1), facilitator="F"),
            framework_version_id=framework_version_id)
        for component in bundled_framework().components():
            services.save_component_rating(session, actor=facilitator, assessment_id=assessment_id, component_code=component.code,
                                           in_place=[], agreed_level=None)
            for action in component.actions:
                services.add_key_action(session, actor=facilitator, assessment_id=assessment_id, draft=KeyActionDraft(
                    component_code=component.code, text=action.text, change_grid_action_id=action.id,
                    owner_agency="Task force", due_on=date(2027, 6, 30)))
    with session_scope(engine) as session:
        plan = services.action_plan(session, assessment_id, actor=facilitator)
    pages, text = _pdf_text(reports.action_plan_pdf(plan))
    assert len(plan.key_actions) == 135
    assert pages > 10
    flat = _squash(text)
    for action in bundled_framework().components().__next__().actions + bundled_framework().component("8").actions:
        assert f"[{action.id}]" in flat


def test_workbook_has_one_row_per_action_filters_and_frozen_header(example_plan):
    workbook = load_workbook(io.BytesIO(reports.action_plan_xlsx(example_plan)))
    assert workbook.sheetnames == ["Action plan", "Levels", "Assessment"]
    sheet = workbook["Action plan"]
    header = [c.value for c in sheet[1]]
    assert header[:5] == ["Dimension", "Component", "Component level", "Change Grid action", "Key action"]
    assert sheet.max_row == len(example_plan.key_actions) + 1
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:L{sheet.max_row}"
    due = sheet.cell(row=2, column=8).value
    assert due.date() == example_plan.key_actions[0].due_on
    levels = workbook["Levels"]
    assert levels.max_row == 18
    assert levels.cell(row=2, column=4).fill.fgColor.rgb.endswith("7CB342")  # Meets minimum levels


def test_workbook_and_csv_neutralise_formulas(facilitator, engine, framework_version_id):
    plan = _plan_with(engine, framework_version_id, facilitator, name="Formula test", text="=1+1", owner="@admin")
    sheet = load_workbook(io.BytesIO(reports.action_plan_xlsx(plan)))["Action plan"]
    assert sheet.cell(row=2, column=5).value == "'=1+1"
    assert sheet.cell(row=2, column=6).value == "'@admin"
    assert sheet.cell(row=2, column=9).value.startswith("'=HYPERLINK")
    rows = list(csv.reader(io.StringIO(reports.action_plan_csv(plan).decode("utf-8-sig"))))
    assert rows[1][4] == "'=1+1" and rows[1][7] == "2027-02-01"


def test_csv_reads_back_with_accents(example_plan):
    data = reports.action_plan_csv(example_plan)
    assert data.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == len(example_plan.key_actions)
    assert {r["Status"] for r in rows} <= {"Not started", "In progress", "Done", "Dropped"}
    assert any(r["Owner (person)"] == "Lucía Fernández" for r in rows)
    assert reports.report_filename(example_plan, "csv").startswith("action-plan_riverside-displacement")


def test_the_longest_entries_the_forms_accept_still_print(engine, example_plan):
    """A progress note, resources and a key action of 2,000 characters and a level reason of 4,000 make rows
    taller than a page: they continue on the next page instead of stopping the whole report."""
    plan = example_plan
    with session_scope(engine) as session:
        facilitator_id = session.scalar(select(AssessmentMember.account_id).where(
            AssessmentMember.assessment_id == plan.assessment.id, AssessmentMember.role == "facilitator"))
    owner = actor_for(engine, facilitator_id)
    note = ("The caseworkers met the family again and agreed the next steps together " * 30)[:2000]
    with session_scope(engine, actor=owner) as session:
        draft = plan.key_actions[0].as_draft()
        draft.text, draft.resources, draft.progress_notes = "T" * 2000, "R " * 1000, note
        services.update_key_action(session, actor=owner, key_action_id=plan.key_actions[0].id, draft=draft)
        services.save_component_rating(session, actor=owner, assessment_id=plan.assessment.id, component_code="3",
                                       in_place=[], agreed_level=Level.GOOD_PRACTICE,
                                       level_reason=("The task force saw evidence " * 200)[:4000])
    with session_scope(engine, actor=owner) as session:
        pdf = reports.export_action_plan(session, actor=owner, assessment_id=plan.assessment.id, fmt="pdf")
    pages, text = _pdf_text(pdf)
    assert pages > 8 and _squash(text).count("agreed the next steps together") >= 25


def test_a_nul_character_anywhere_is_refused_on_its_field_before_anything_is_saved(engine, facilitator,
                                                                                   framework_version_id):
    plan = _plan_with(engine, framework_version_id, facilitator, name="Plan", text="Act", owner="Zoé")
    with pytest.raises(ValidationFailed) as caught, session_scope(engine, actor=facilitator) as session:
        services.save_component_rating(session, actor=facilitator, assessment_id=plan.assessment.id,
                                       component_code="2", in_place=[], agreed_level=None, notes="pasted\x00text")
    assert caught.value.field_errors == {"notes": "This text holds an invisible control character (NUL) that "
                                                  "cannot be saved; retype it or paste it as plain text."}
    with session_scope(engine) as session:
        assert services.assessment_results(session, plan.assessment.id, actor=facilitator)[2].results[1].scored \
            is False


def test_a_draft_plan_is_marked_draft_on_every_page_and_a_final_one_is_not(example_plan):
    from dataclasses import replace

    reader = PdfReader(io.BytesIO(reports.action_plan_pdf(example_plan)))
    assert example_plan.assessment.status == "draft"
    assert all("DRAFT" in page.extract_text() for page in reader.pages)
    final = replace(example_plan, assessment=replace(example_plan.assessment, status="final"))
    reader = PdfReader(io.BytesIO(reports.action_plan_pdf(final)))
    assert not any("DRAFT" in page.extract_text() for page in reader.pages)


def test_a_component_heading_is_never_alone_at_the_foot_of_a_page(example_plan):
    """Each component heading is on the same page as the first of its key actions (the heading is part of its
    table, repeated when the table runs over)."""
    reader = PdfReader(io.BytesIO(reports.action_plan_pdf(example_plan)))
    pages = [_squash(page.extract_text()) for page in reader.pages]
    results = {r.component.code: r for r in example_plan.summary.results}
    checked = 0
    for component in bundled_framework().components():
        actions = example_plan.actions_for(component.code)
        if not actions:
            continue
        heading = _squash(f"{component.label} — {level_label(results[component.code].level)}")
        first = _squash(actions[0].text)[:30]
        page = next(text for text in pages if first in text)  # where its first key action is printed
        assert heading in page and page.index(heading) < page.index(first), component.code
        checked += 1
    assert checked >= 10


def test_notes_and_evidence_are_printed_only_when_asked(example_plan):
    notes = next(r.notes for r in example_plan.summary.results if r.notes)
    assert _squash(notes)[:30] not in _squash(_pdf_text(reports.action_plan_pdf(example_plan))[1])
    with_notes = _squash(_pdf_text(reports.action_plan_pdf(example_plan, include_notes=True))[1])
    assert "Notes and evidence per component" in with_notes and _squash(notes)[:30] in with_notes


def test_the_workbook_offers_drop_downs_for_status_and_priority(example_plan):
    sheet = load_workbook(io.BytesIO(reports.action_plan_xlsx(example_plan))).worksheets[0]
    headers = [c.value for c in sheet[1]]
    lists = {str(v.sqref).split(":")[0]: v.formula1 for v in sheet.data_validations.dataValidation}
    status_column = "ABCDEFGHIJKL"[headers.index("Status")]
    priority_column = "ABCDEFGHIJKL"[headers.index("Priority")]
    assert lists[f"{status_column}2"] == '"Not started,In progress,Done,Dropped"'
    assert lists[f"{priority_column}2"] == '"High,Medium,Low"'
    assert sheet.cell(row=2, column=headers.index("Due date") + 1).number_format == "d mmm yyyy"


def test_a_last_page_with_a_row_or_two_is_condensed_away():
    """The document is built again with slightly smaller margins when that saves a nearly empty last page."""
    from reportlab.platypus import Paragraph, Spacer

    from core.reports import pdf

    body = pdf.styles()["body"]

    def story():  # a page and a bit: the bit fits once the margins give up a few millimetres
        return [Spacer(1, 490), Paragraph("The last line.", body)]  # the frame is 492.6 points high

    data = pdf.build_pdf(story, title="t", author="a", furniture=pdf.PageFurniture("h", "f"),
                         page_label=lambda page, total: f"{page}/{total}")
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1 and "The last line." in reader.pages[0].extract_text()
