from __future__ import annotations

from datetime import date

from qaf.action_plan import KeyActionDraft, suggested_actions, validate_source
from qaf.assessment import LevelSummary, result_for
from qaf.framework import bundled_framework
from qaf.levels import Level


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


def test_a_key_action_belongs_to_a_component_of_the_framework_and_its_grid_action_to_that_component():
    framework = bundled_framework()
    assert validate_source(framework, "2a", "2a.2.1") == {}
    assert validate_source(framework, "2a", None) == {}
    assert set(validate_source(framework, "9z", None)) == {"component_code"}
    assert validate_source(framework, "2a", "2b.1.1") == {
        "change_grid_action_id": "This Change Grid action does not belong to the component."}


def test_the_draft_carries_the_component_but_the_improvement_action_does_not():
    draft = KeyActionDraft(component_code="2a", change_grid_action_id="2a.2.1", text="Train", owner_person="Zoé",
                           due_on=date(2026, 12, 1))
    plain = draft.action_draft()
    assert not hasattr(plain, "component_code") and plain.text == "Train" and plain.owner_person == "Zoé"


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
