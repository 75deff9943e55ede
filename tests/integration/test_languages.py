"""French, Spanish and Arabic: the shipped working translations of the framework content, the translation
workbook's round trip (and its refusals), assessments in two languages compared, every printed report and export
in each language read back, and the language a person, an agency and a calendar's owner get."""

from __future__ import annotations

import csv
import difflib
import io
import os
import re
import shutil
import subprocess
import tempfile
import unicodedata
from datetime import date
from pathlib import Path

import icalendar
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select, update

from accounts.models import Account, Agency, Team
from accounts.services import build_actor, get_account, language_of_staff, set_agency_language
from checklists import checklist as checklist_content
from checklists import reports as review_reports
from checklists.models import CaseFileReview, ChecklistTemplate
from checklists.services import templates
from core.content_translation import skeleton, text_entries
from core.db import session_scope
from core.errors import ValidationFailed
from core.i18n import t, using_locale
from management.reports import export_monthly_report, export_tracker
from management.services.progress import compare
from management.services.tracker import TrackerFilters
from qaf import services
from qaf.action_plan import KeyActionDraft
from qaf.assessment import AssessmentDetails
from qaf.framework import bundled_framework, bundled_translations, framework_from_dict
from qaf.models import FrameworkVersion
from qaf.reports import export_action_plan
from supervision import reports as calendar_reports
from tests.conftest import ARTIFACTS, PROJECT_ROOT

LANGUAGES = ("fr", "es", "ar")


def _plain(text: str) -> str:
    """Text as a reader compares it: Arabic presentation forms (how shaped glyphs come back) as letters, and
    without the optional short-vowel marks (harakat), which the shaping leaves out of printed text."""
    letters = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in letters if unicodedata.category(ch) != "Mn")


def _pdf_text(data: bytes) -> str:
    return _plain("\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))


def _words_present(phrase: str, text: str) -> bool:
    """Every word of ``phrase`` is in ``text`` (a right-to-left line may come back with its words reordered
    around Latin names and numbers, but each word is whole)."""
    brackets = str.maketrans("", "", "()[]")  # drawn mirrored in a right-to-left line, extracted as drawn
    words = text.translate(brackets).split()
    return all(word in words or word in text.translate(brackets)
               for word in _plain(phrase).translate(brackets).split() if "{" not in word)


# The shipped working translations ---------------------------------------------------------------------------------


def test_the_change_grid_and_the_checklist_ship_in_french_spanish_and_arabic_with_the_same_structure():
    source = bundled_framework()
    frameworks = bundled_translations()
    checklists = checklist_content.bundled_translations()
    assert set(frameworks) == set(checklists) == set(LANGUAGES)
    english_texts = {e.identifier: e.text for e in text_entries(source.to_dict())}
    for language in LANGUAGES:
        framework = frameworks[language]
        assert framework.meta["working_translation"] is True and framework.meta["translation_of"] == "2019.1"
        assert skeleton(framework.to_dict()) == skeleton(source.to_dict())
        assert [a.id for c in framework.components() for a in c.actions] == \
            [a.id for c in source.components() for a in c.actions]
        texts = {e.identifier: e.text for e in text_entries(framework.to_dict())}
        assert set(texts) == set(english_texts)  # every text there, none left empty
        untranslated = [i for i, text in texts.items() if text == english_texts[i]]
        assert len(untranslated) < len(texts) * 0.05, untranslated[:10]
        assert all(len(c.guiding_questions) == len(source.component(c.code).guiding_questions)
                   for c in framework.components())
        checklist = checklists[language]
        assert checklist.meta["working_translation"] is True
        assert [i.id for i in checklist.items()] == [i.id for i in checklist_content.bundled_checklist().items()]
        assert [i.computed for i in checklist.items()] == \
            [i.computed for i in checklist_content.bundled_checklist().items()]
    assert "\u0627" in frameworks["ar"].component("5d").title or any(
        "\u0600" <= ch <= "\u06ff" for ch in frameworks["ar"].component("5d").title)


def test_the_shipped_translations_are_stored_once_and_linked_to_the_english_version(engine):
    with session_scope(engine) as session:
        first = services.ensure_bundled_translations(session)
    with session_scope(engine) as session:
        assert services.ensure_bundled_translations(session) == first
        english = services.ensure_bundled_framework(session)
        rows = session.scalars(select(FrameworkVersion).where(FrameworkVersion.id.in_(first))).all()
        assert sorted(r.language for r in rows) == sorted(LANGUAGES)
        assert {r.translation_of_id for r in rows} == {english}
        labels = {v.id: v.label for v in services.list_framework_versions(session)}
        assert all(t("translation.working") in labels[i] for i in first)
        assert "Français" in labels[next(r.id for r in rows if r.language == "fr")]
        checklist_ids = templates.ensure_bundled_checklist_translations(session)
        assert templates.ensure_bundled_checklist_translations(session) == checklist_ids
        assert session.scalar(select(func.count()).select_from(ChecklistTemplate)
                              .where(ChecklistTemplate.translation_of_id.is_not(None))) == 3


# The translation workbook -------------------------------------------------------------------------------------------


def _filled(workbook: bytes, fill=lambda identifier, text: f"[fr] {text}", *, drop: int | None = None,
            extra: tuple[str, str] | None = None, empty: int | None = None) -> bytes:
    """The translator's work: the translation column filled in, optionally with one row dropped, one added or one
    left empty (row numbers as the sheet shows them)."""
    book = load_workbook(io.BytesIO(workbook))
    sheet = book["translation"]
    assert [c.value for c in sheet[1]] == ["identifier", "source_text", "translation", "note"]
    for row in sheet.iter_rows(min_row=2):
        row[2].value = "" if row[0].row == empty else fill(row[0].value, row[1].value)
    if drop is not None:
        sheet.delete_rows(drop)
    if extra is not None:
        sheet.append([extra[0], "", extra[1], ""])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _versions(engine) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(FrameworkVersion))


def test_a_filled_workbook_becomes_a_translated_version_and_both_languages_compare(engine, framework_version_id,
                                                                                  facilitator):
    with session_scope(engine, actor=facilitator) as session:
        workbook = services.translation_workbook_for(session, actor=facilitator,
                                                     framework_version_id=framework_version_id, target_language="fr")
    source = bundled_framework()
    rows = list(load_workbook(io.BytesIO(workbook))["translation"].iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(text_entries(source.to_dict())) > 250
    assert ("dimensions/1/components/1/columns/requires_improvement/actions/1.1.1/text",
            source.action("1.1.1").text) in {(r[0], r[1]) for r in rows}
    with session_scope(engine, actor=facilitator) as session:
        french_id = services.import_translation(session, actor=facilitator, source_version_id=framework_version_id,
                                                language="fr", version="2019.1-fr-valdoria", filename="fr.xlsx",
                                                data=_filled(workbook), official=True)
    with session_scope(engine) as session:
        row = session.get(FrameworkVersion, french_id)
        french = framework_from_dict(row.content)
        assert (row.language, row.translation_of_id, row.agency_id) == ("fr", framework_version_id,
                                                                        facilitator.agency_id)
        assert row.content["framework"]["working_translation"] is False  # the team said it is the official text
    assert french.action("2b.3.1").text == f"[fr] {source.action('2b.3.1').text}"
    assert french.component("5d").guiding_questions[0] == f"[fr] {source.component('5d').guiding_questions[0]}"
    assert [a.id for a in french.component("5d").actions] == [a.id for a in source.component("5d").actions]

    # The same task force, a year apart: in English, then in French. The comparison matches component by component.
    ticked = [a.id for a in source.component("1").columns[0]]
    ids = []
    for name, version_id, day in (("Valdoria 2025", framework_version_id, date(2025, 11, 3)),
                                  ("Valdoria 2026", french_id, date(2026, 11, 2))):
        with session_scope(engine, actor=facilitator) as session:
            details = AssessmentDetails(name=name, country="Valdoria", scope="agency", assessed_on=day,
                                        facilitator="Zoé Martin", agencies=["Brightpath"], participants=[])
            ids.append(services.create_assessment(session, actor=facilitator, details=details,
                                                  framework_version_id=version_id))
        with session_scope(engine, actor=facilitator) as session:
            services.save_component_rating(session, actor=facilitator, assessment_id=ids[-1], component_code="1",
                                           in_place=ticked if version_id == framework_version_id
                                           else [*ticked, *[a.id for a in source.component("1").columns[1]]],
                                           agreed_level=None)
    with session_scope(engine, actor=facilitator) as session:  # the English plan's action, still open a year on
        services.add_key_action(session, actor=facilitator, assessment_id=ids[0], draft=KeyActionDraft(
            component_code="1", text="Agree the SOPs", owner_agency="Task force", due_on=date(2026, 1, 31)))
    with session_scope(engine, actor=facilitator) as session:
        comparison = compare(session, actor=facilitator, earlier_id=ids[0], later_id=ids[1])
    change = next(c for c in comparison.components if c.code == "1")
    assert (change.before.key, change.after.key) == ("requires_improvement", "meets_minimum")
    # Each reader sees the titles in their own language: the English source for an English reader, the team's
    # official French text (not the shipped working translation) for a French one.
    assert len(comparison.components) == 17 and change.title == source.component("1").title
    with using_locale("fr"), session_scope(engine, actor=facilitator) as session:
        services.ensure_bundled_translations(session)
        in_french = compare(session, actor=facilitator, earlier_id=ids[0], later_id=ids[1])
        in_arabic = services.framework_for_reader(session, french_id, "ar")
    assert next(c for c in in_french.components if c.code == "1").title == f"[fr] {source.component('1').title}"
    # The open action of the English plan names its component in French too (the tracker's labels).
    assert comparison.still_open[0].item_label == source.component("1").title
    assert in_french.still_open[0].item_label == f"[fr] {source.component('1').title}"
    assert in_arabic.language == "ar" and in_arabic.meta.get("working_translation")


@pytest.mark.parametrize("damage, words", [
    ({"drop": 5}, "has no row in the file"),
    ({"extra": ("dimensions/9/title", "Neuf")}, "is not a text of the source version"),
    ({"empty": 7}, "Line 7"),
])
def test_a_workbook_with_a_missing_an_extra_or_an_empty_row_is_refused_whole(engine, framework_version_id,
                                                                             facilitator, damage, words):
    with session_scope(engine, actor=facilitator) as session:
        workbook = services.translation_workbook_for(session, actor=facilitator,
                                                     framework_version_id=framework_version_id, target_language="es")
    before = _versions(engine)
    with pytest.raises(ValidationFailed) as refused, session_scope(engine, actor=facilitator) as session:
        services.import_translation(session, actor=facilitator, source_version_id=framework_version_id,
                                    language="es", version="2019.1-es-x", filename="es.xlsx",
                                    data=_filled(workbook, **damage))
    assert words in refused.value.field_errors["file"]
    if "extra" in damage:
        assert "Line " in refused.value.field_errors["file"]  # the row is named
    assert _versions(engine) == before  # nothing half-imported


def test_a_workbook_that_is_not_one_or_names_a_wrong_language_is_refused(engine, framework_version_id,
                                                                          facilitator):
    before = _versions(engine)
    for kwargs, field in (({"language": "fr", "data": b"not a workbook"}, "file"),
                          ({"language": "en", "data": b""}, "language"),
                          ({"language": "xx", "data": b""}, "language")):
        with pytest.raises(ValidationFailed) as refused, session_scope(engine, actor=facilitator) as session:
            services.import_translation(session, actor=facilitator, source_version_id=framework_version_id,
                                        version="2019.1-q", filename="q.xlsx", **kwargs)
        assert field in refused.value.field_errors
    assert _versions(engine) == before


# Reports in every language ----------------------------------------------------------------------------------------


@pytest.fixture
def org(engine):
    from app.example import load_example

    with session_scope(engine) as session:
        services.ensure_bundled_translations(session)  # seeded at start-up, as the app does
        templates.ensure_bundled_checklist_translations(session)
        result = load_example(session, today=date(2026, 11, 23))
        ids = dict(session.execute(select(Account.username, Account.id)).all())
        people = {name: build_actor(session, account_id) for name, account_id in ids.items()}
        team_id = session.scalar(select(Team.id).where(Team.name == "East team"))
        review_id = session.scalar(select(CaseFileReview.id).where(CaseFileReview.status == "completed").limit(1))
    return {"people": people, "assessment_id": result.assessment_id, "team_id": team_id, "review_id": review_id,
            "account_ids": ids}


def _headers(workbook: bytes) -> list[str]:
    sheet = load_workbook(io.BytesIO(workbook)).worksheets[0]
    return [str(c.value or "") for c in sheet[1]]


def test_every_printed_report_and_export_is_in_the_readers_language(engine, org):
    facilitator, manager = org["people"]["demo-facilitator"], org["people"]["demo-manager"]
    supervisor = org["people"]["demo-supervisor"]
    month = date(2026, 11, 1)
    scope = calendar_reports.Scope(org["team_id"], "team")
    seen: dict[str, str] = {}
    for language in ("en", *LANGUAGES):
        with using_locale(language), session_scope(engine, actor=manager) as session:
            plan_pdf = export_action_plan(session, actor=facilitator, assessment_id=org["assessment_id"], fmt="pdf")
            plan_xlsx = export_action_plan(session, actor=facilitator, assessment_id=org["assessment_id"],
                                           fmt="xlsx")
            plan_csv = export_action_plan(session, actor=facilitator, assessment_id=org["assessment_id"], fmt="csv")
            review_pdf = review_reports.export_review_pdf(session, actor=manager, review_id=org["review_id"])
            team_pdf = review_reports.export_team_month(session, actor=supervisor, team_id=org["team_id"],
                                                        month=month, fmt="pdf")
            team_xlsx = review_reports.export_team_month(session, actor=supervisor, team_id=org["team_id"],
                                                         month=month, fmt="xlsx")
            calendar_pdf = calendar_reports.export_calendar_pdf(session, actor=manager, scope=scope,
                                                                first=month, last=date(2026, 11, 30))
            monthly_pdf = export_monthly_report(session, actor=manager, month=month, fmt="pdf")
            monthly_xlsx = export_monthly_report(session, actor=manager, month=month, fmt="xlsx")
            tracker_csv = export_tracker(session, actor=manager, filters=TrackerFilters(), fmt="csv")
            expected = {
                "plan": t("report.action_plan_title"), "plan_col": t("report.col.key_action"),
                "review": t("review.report.confidential"), "monthly": t("report_monthly.confidential"),
                "calendar": t("calendar_pdf.footer"), "tracker": t("tracker.col.status"),
                }
        for name, data in (("plan", plan_pdf), ("review", review_pdf), ("monthly", monthly_pdf),
                           ("calendar", calendar_pdf)):
            text = _pdf_text(data)
            assert _words_present(expected[name], text), (language, name, expected[name], text[:400])
        assert _words_present(expected["review"], _pdf_text(team_pdf))
        assert expected["plan_col"] in _headers(plan_xlsx)
        assert expected["plan_col"] in plan_csv.decode("utf-8-sig").splitlines()[0]
        assert _headers(team_xlsx) and _headers(monthly_xlsx)
        tracker_header = next(csv.reader(io.StringIO(tracker_csv.decode("utf-8-sig"))))
        assert expected["tracker"] in tracker_header
        seen[language] = expected["plan"]
    assert len(set(seen.values())) == 4  # four languages, four titles


# Whose language ---------------------------------------------------------------------------------------------------


def test_a_person_gets_their_own_language_else_their_agencys_else_the_servers(engine, org):
    admin = org["people"]["demo-admin"]
    manager = org["people"]["demo-manager"]
    with session_scope(engine) as session:
        assert get_account(session, manager.account_id).interface_language == "en"
    with session_scope(engine, actor=admin) as session:
        set_agency_language(session, actor=admin, agency_id=manager.agency_id, language="es")
    with session_scope(engine) as session:
        assert get_account(session, manager.account_id).interface_language == "es"
        session.execute(update(Account).where(Account.id == manager.account_id).values(language="ar"))
    with session_scope(engine) as session:
        assert get_account(session, manager.account_id).interface_language == "ar"
        assert session.scalar(select(Agency.default_language).where(Agency.id == manager.agency_id)) == "es"
    with pytest.raises(ValidationFailed), session_scope(engine, actor=admin) as session:
        set_agency_language(session, actor=admin, agency_id=manager.agency_id, language="klingon")


def test_new_reviews_use_the_checklist_in_the_agencys_language(engine, org):
    admin, manager = org["people"]["demo-admin"], org["people"]["demo-manager"]
    with session_scope(engine) as session:
        templates.ensure_bundled_checklist_translations(session)
        assert templates.template_for_new_reviews(session, manager.agency_id).language == "en"
    with session_scope(engine, actor=admin) as session:
        set_agency_language(session, actor=admin, agency_id=manager.agency_id, language="fr")
    with session_scope(engine) as session:
        chosen = templates.template_for_new_reviews(session, manager.agency_id)
        assert chosen.language == "fr" and chosen.translation_of_id is not None


def test_a_calendar_is_exported_in_its_owners_language_whoever_clicks(engine, org):
    manager = org["people"]["demo-manager"]
    supervisor_account = org["account_ids"]["demo-supervisor"]
    with session_scope(engine) as session:
        session.execute(update(Account).where(Account.id == supervisor_account).values(language="fr"))
    with session_scope(engine) as session:
        assert language_of_staff(session, team_id=org["team_id"]) == "fr"
    with using_locale("en"), session_scope(engine, actor=manager) as session:
        ics = calendar_reports.export_calendar_ics(session, actor=manager,
                                                   scope=calendar_reports.Scope(org["team_id"], "team"))
    with using_locale("fr"):
        french = t("activity.individual_supervision")
    with using_locale("en"):
        english = t("activity.individual_supervision")
    summaries = [str(e.get("SUMMARY")) for e in icalendar.Calendar.from_ical(ics).walk("VEVENT")]
    assert any(s.startswith(french) for s in summaries) and not any(s.startswith(english) for s in summaries)



# One rendered page per report and language, kept and compared ---------------------------------------------------

REFERENCES = PROJECT_ROOT / "tests" / "reference" / "reports"
UPDATE_REFERENCES = "CPCM_UPDATE_REFERENCES"  # set to 1 to write the references again after a deliberate change


def _reports(session, org, language: str) -> dict[str, bytes]:
    people, month = org["people"], date(2026, 11, 1)
    manager = people["demo-manager"]
    review_id = session.scalar(select(CaseFileReview.id).where(CaseFileReview.status == "completed")
                               .order_by(CaseFileReview.id).limit(1))
    return {
        "action-plan": export_action_plan(session, actor=people["demo-facilitator"],
                                          assessment_id=org["assessment_id"], fmt="pdf"),
        "review": review_reports.export_review_pdf(session, actor=manager, review_id=review_id),
        "team-month": review_reports.export_team_month(session, actor=people["demo-supervisor"],
                                                       team_id=org["team_id"], month=month, fmt="pdf"),
        "calendar": calendar_reports.export_calendar_pdf(
            session, actor=manager, scope=calendar_reports.Scope(org["team_id"], "team"), first=month,
            last=date(2026, 11, 30)),
        "monthly-report": export_monthly_report(session, actor=manager, month=month, fmt="pdf",
                                                today=date(2026, 11, 23)),
    }


def _first_page_lines(data: bytes) -> list[str]:
    """The first page's text as extracted, line by line, every digit as 0: the example's dates and counts move
    with the day the suite runs, its words and their order do not."""
    text = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    return [re.sub(r"\d", "0", line).strip() for line in text.splitlines() if line.strip()]


def _render_first_page(data: bytes, png: Path) -> None:
    if shutil.which("pdftoppm") is None:
        return
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "report.pdf"
        source.write_bytes(data)
        subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", "-singlefile", str(source),
                        str(png.with_suffix(""))], check=True, timeout=60)


def test_each_report_in_each_language_reads_as_its_kept_reference(engine, org):
    """Every report's first page in every language is rendered to PNG (kept as a test artefact, beside the
    reference kept in the repository for people to look at) and its extracted text compared with the reference's:
    a heading fallen back to English, a right-to-left line come out reversed or a table lost changes the text."""
    backend = engine.url.get_backend_name()
    out = ARTIFACTS / "reports" / backend
    out.mkdir(parents=True, exist_ok=True)
    update = os.environ.get(UPDATE_REFERENCES) == "1" and backend == "sqlite"
    problems = []
    for language in ("en", *LANGUAGES):
        with using_locale(language), session_scope(engine, actor=org["people"]["demo-manager"]) as session:
            built = _reports(session, org, language)
        for name, data in built.items():
            lines = _first_page_lines(data)
            stem = f"{name}.{language}"
            (out / f"{stem}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
            _render_first_page(data, out / f"{stem}.png")
            reference = REFERENCES / f"{stem}.txt"
            if update:
                REFERENCES.mkdir(parents=True, exist_ok=True)
                reference.write_text("\n".join(lines) + "\n", encoding="utf-8")
                _render_first_page(data, REFERENCES / f"{stem}.png")
                continue
            kept = reference.read_text(encoding="utf-8").splitlines()
            # A line without a number (a heading, a label, a sentence) must come back exactly as kept; lines with
            # dates and counts may move, within a fifth of the page.
            lost = sorted(set(line for line in kept if "0" not in line) - set(lines))
            likeness = difflib.SequenceMatcher(None, kept, lines, autojunk=False).ratio()
            if lost or likeness < 0.8:
                diff = "\n".join(list(difflib.unified_diff(kept, lines, "kept", "now", lineterm="", n=1))[:40])
                problems.append(f"{stem}: {likeness:.0%} of the lines as kept; lines gone: {lost[:5]}\n{diff}")
    assert not problems, "\n\n".join(problems)
