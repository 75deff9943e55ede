"""Rules every improvement action follows, whatever produced it."""

from __future__ import annotations

from datetime import date

from improvement_actions.rules import ImprovementActionDraft, beyond_tracking, clean, validate_action

FLOOR = date(2026, 11, 1)


def _values(**changes):
    values = dict(text="Train caseworkers", owner_person="Zoé", due_on=date(2026, 12, 1))
    values.update(changes)
    return clean(ImprovementActionDraft(**values))


def test_a_complete_action_is_valid_and_text_is_trimmed():
    values = _values(text="  Train caseworkers \n")
    assert values["text"] == "Train caseworkers"
    assert validate_action(values, not_before=FLOOR) == {}


def test_owner_is_required_person_agency_or_staff_member():
    errors = validate_action(_values(owner_person=" "), not_before=FLOOR)
    assert errors["owner"] == "Name an owner — a person, an agency, or both."
    assert validate_action(_values(owner_person="", owner_agency="Horizon"), not_before=FLOOR) == {}
    assert validate_action(_values(owner_person="", owner_staff_member_id=4), not_before=FLOOR) == {}


def test_due_date_is_required_and_not_before_the_floor_in_the_sources_words():
    errors = validate_action(_values(due_on=date(2026, 10, 31)), not_before=FLOOR)
    assert errors["due_on"] == "The due date must be on or after 1 Nov 2026."
    worded = validate_action(_values(due_on=date(2026, 10, 31)), not_before=FLOOR, too_early="Not before the plan.")
    assert worded["due_on"] == "Not before the plan."
    assert validate_action(_values(due_on=None), not_before=FLOOR)["due_on"] == "Give a due date: the day by which the action should be done."


def test_unknown_status_and_priority_and_over_long_text_are_rejected():
    errors = validate_action(_values(status="finished", priority="urgent", resources="x" * 2001), not_before=None)
    assert set(errors) == {"status", "priority", "resources"}


def test_tracking_may_change_only_status_and_progress_notes():
    stored = _values()
    assert beyond_tracking(_values(status="done", progress_notes="Trained 12 staff"), stored) == []
    assert beyond_tracking(_values(text="Something else", status="done"), stored) == ["text"]
