from __future__ import annotations

from datetime import date

from qaf.action_plan import KeyActionDraft, suggested_actions, validate_key_action
from qaf.assessment import LevelSummary, result_for
from qaf.framework import bundled_framework
from qaf.levels import Level

CODES = {c.code for c in bundled_framework().components()}


def _component(code):
    return bundled_framework().component(code)


def test_suggestions_are_the_next_columns_actions_not_in_place():
    component = _component("2a")
    in_place = [a.id for a in component.columns[0]] + ["2a.2.1"]
    result = result_for(component, in_place)
    assert result.agreed_level == Level.REQUIRES_IMPROVEMENT
    assert [a.id for a in suggested_actions(result)] == ["2a.2.2", "2a.2.3", "2a.2.4"]


def test_suggestions_follow_the_agreed_level_not_the_derived_one():
    component = _component("2a")
    result = result_for(component, [], agreed=Level.MEETS_MINIMUM)
    assert [a.id for a in suggested_actions(result)] == ["2a.3.1", "2a.3.2", "2a.3.3", "2a.3.4"]


def test_no_suggestions_at_good_practice_or_unscored():
    component = _component("6")
    assert suggested_actions(result_for(component, [a.id for a in component.actions])) == []
    assert suggested_actions(result_for(component, None)) == []


def _draft(**changes):
    values = dict(component_code="2a", text="Train caseworkers", owner_person="Zoé", due_on=date(2026, 12, 1))
    values.update(changes)
    return KeyActionDraft(**values)


def test_a_complete_key_action_is_valid():
    assert validate_key_action(_draft(), assessed_on=date(2026, 11, 1), component_codes=CODES) == {}


def test_owner_is_required_person_or_agency():
    errors = validate_key_action(_draft(owner_person=" "), assessed_on=date(2026, 11, 1), component_codes=CODES)
    assert "owner" in errors and "owner" in errors["owner"].lower()
    assert validate_key_action(_draft(owner_person="", owner_agency="Horizon"), assessed_on=date(2026, 11, 1),
                               component_codes=CODES) == {}


def test_due_date_cannot_be_before_the_assessment():
    errors = validate_key_action(_draft(due_on=date(2026, 10, 31)), assessed_on=date(2026, 11, 1),
                                 component_codes=CODES)
    assert errors["due_on"] == "The due date cannot be before the assessment date (2026-11-01)."
    assert "due_on" in validate_key_action(_draft(due_on=None), assessed_on=date(2026, 11, 1), component_codes=CODES)


def test_unknown_status_priority_and_component_are_rejected():
    errors = validate_key_action(_draft(status="finished", priority="urgent", component_code="9z"),
                                 assessed_on=date(2026, 11, 1), component_codes=CODES)
    assert set(errors) == {"status", "priority", "component_code"}


def test_attention_lists_lowest_levels_first_in_framework_order():
    framework = bundled_framework()
    results = {
        "8": result_for(framework.component("8"), []),
        "2": result_for(framework.component("2"), [a.id for a in framework.component("2").columns[0]]),
        "1": result_for(framework.component("1"), []),
        "3": result_for(framework.component("3"), [a.id for c in framework.component("3").columns[:2] for a in c]),
    }
    summary = LevelSummary([results.get(c.code) or result_for(c, None) for c in framework.components()])
    assert [r.component.code for r in summary.needing_attention()] == ["1", "8", "2"]
    assert summary.scored_count == 4
    assert summary.counts[Level.CRITICAL] == 2
