"""The shipped Case File Checklist and review settings load and validate; bad content is refused naming where."""

from __future__ import annotations

import copy

import pytest

from checklists.case_file import CaseFileDraft, looks_like_a_name, validate_case_file
from checklists.checklist import ChecklistError, bundled_checklist, checklist_from_dict
from checklists.review import AnswerDraft, score, validate_answers
from checklists.sampling import Candidate, propose
from checklists.settings import SettingsError, default_settings, default_settings_data, settings_from_dict
from checklists.timeliness import Step, default_timeframes
from core.levels import Level


def test_the_shipped_checklist_has_seven_sections_and_about_thirty_items():
    checklist = bundled_checklist()
    assert [s.title for s in checklist.sections] == [
        "General documentation", "Identification and registration", "Assessment", "Case planning",
        "Implementation", "Follow-up and review", "Case closure"]
    assert 28 <= checklist.item_count <= 32
    assert {i.computed for i in checklist.items() if i.computed} == {
        Step.ASSESSMENT, Step.CASE_PLAN, Step.FOLLOW_UP, Step.CASE_PLAN_REVIEW, Step.POST_CLOSURE_FOLLOW_UP}
    assert all(i.guidance for i in checklist.items())


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["sections"][2]["items"][1].update(id=d["sections"][2]["items"][0]["id"]), "the id is used twice"),
    (lambda d: d["sections"][1]["items"][0].update(text=""), "item 2.1"),
    (lambda d: d["sections"][0]["items"][0].update(computed="lunch"), "item 1.1"),
    (lambda d: d["sections"][4]["items"][0].update(computed="assessment"), "already computed from 'assessment'"),
    (lambda d: d.pop("checklist"), "top level"),
])
def test_bad_checklist_content_is_refused_naming_the_entry(change, message):
    data = copy.deepcopy(bundled_checklist().to_dict())
    change(data)
    with pytest.raises(ChecklistError, match=message):
        checklist_from_dict(data)


def test_the_default_settings_are_the_guidelines_table():
    settings = default_settings()
    assert settings.timeframes == default_timeframes()
    assert settings.files_per_caseworker == 2
    assert settings.thresholds.level(89.9) == Level.MEETS_MINIMUM and settings.thresholds.level(90) == Level.GOOD_PRACTICE


@pytest.mark.parametrize(("change", "where"), [
    (lambda d: d["timeframes"]["assessment"].update(high={"days": -1}), "timeframes, assessment, high, days"),
    (lambda d: d["timeframes"]["follow_up"].update(urgent={"days": 1}), "timeframes, follow_up"),
    (lambda d: d["scoring"].update(meets_minimum=95), "each level's threshold"),
    (lambda d: d["sampling"].update(files_per_caseworker=0), "sampling, files_per_caseworker"),
])
def test_bad_settings_are_refused_naming_the_entry(change, where):
    data = copy.deepcopy(default_settings_data())
    change(data)
    with pytest.raises(SettingsError, match=where):
        settings_from_dict(data)


def test_score_is_yes_over_yes_and_no_with_not_applicable_left_out():
    answers = [AnswerDraft("a", "yes"), AnswerDraft("b", "yes"), AnswerDraft("c", "yes"), AnswerDraft("d", "no"),
               AnswerDraft("e", "na"), AnswerDraft("f", "")]
    result = score(answers, default_settings().thresholds)
    assert (result.yes, result.no, result.na, result.unanswered, result.percent, result.level) == (
        3, 1, 1, 1, 75.0, Level.MEETS_MINIMUM)


def test_changing_a_computed_answer_needs_a_reason():
    checklist = bundled_checklist()
    answers = {i.id: AnswerDraft(i.id, "yes") for i in checklist.items()}
    answers["3.1"] = AnswerDraft("3.1", "yes", computed_answer="no")
    assert "item:3.1" in validate_answers(checklist, answers, completing=True)
    answers["3.1"].override_reason = "The assessment form was misfiled; the dates in the system are wrong."
    assert validate_answers(checklist, answers, completing=True) == {}


def test_case_codes_that_look_like_names_are_noticed():
    assert looks_like_a_name("Amina Yusuf") and looks_like_a_name("Jean-Pierre")
    assert not looks_like_a_name("CP-2026-0042") and not looks_like_a_name("bca 12") and not looks_like_a_name("")


def test_impossible_dates_are_refused_per_field():
    from datetime import date, timedelta

    today = date(2026, 11, 25)
    draft = CaseFileDraft(case_code="CP-1", caseworker_id=1, risk_level="medium", assessed_on=date(2026, 3, 10),
                          case_plan_on=date(2026, 3, 1), registered_on=today + timedelta(days=1),
                          status="open", closed_on=date(2026, 4, 1), risk_changes=[(date(2026, 3, 1), "high")])
    errors = validate_case_file(draft, today=today)
    assert set(errors) >= {"case_plan_on", "registered_on", "status", "risk_level"}
    assert "is before Assessed on" in errors["case_plan_on"]


def test_the_sample_puts_high_risk_first_then_longest_unreviewed_and_is_reproducible():
    from datetime import date

    files = [Candidate(1, "A", "low", date(2026, 1, 1)), Candidate(2, "B", "high", date(2026, 9, 1)),
             Candidate(3, "C", "medium", None), Candidate(4, "D", "low", None), Candidate(5, "E", "medium",
                                                                                      date(2026, 5, 1))]
    picked = propose(files, month=date(2026, 11, 1), caseworker_id=7, count=3)
    assert picked[0].case_code == "B" and {p.case_code for p in picked[1:]} == {"C", "D"}
    assert propose(list(reversed(files)), month=date(2026, 11, 1), caseworker_id=7, count=3) == picked


def test_days_late_read_as_a_person_would_say_them():
    from checklists.reports import status_text

    assert status_text("missed", 1) == "Late by 1 day"
    assert status_text("overdue", 12) == "Overdue by 12 days"
