"""QAF use cases against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from app.example import load_example
from core.db import session_scope
from core.errors import ReadOnly, ValidationFailed
from improvement_actions.models import ImprovementAction
from qaf import services
from qaf.action_plan import KeyActionDraft
from qaf.assessment import AssessmentDetails, ParticipantEntry
from qaf.framework import bundled_framework
from qaf.levels import Level
from qaf.models import Assessment, AssessmentMember, ComponentRating
from tests.conftest import actor_for

DETAILS = AssessmentDetails(
    name="Camp East QAF", country="Valdoria (fictional)", scope="inter_agency", assessed_on=date(2026, 11, 2),
    facilitator="Zoé Martin", agencies=["Brightpath", " Brightpath ", "Horizon"],
    participants=[ParticipantEntry("Lucía Fernández", "Brightpath", "Coordinator"), ParticipantEntry("", "", "")],
)


@pytest.fixture
def assessment_id(engine, framework_version_id, facilitator):
    with session_scope(engine) as session:
        return services.create_assessment(session, actor=facilitator, details=DETAILS, framework_version_id=framework_version_id)


def _column(code, index):
    return [a.id for a in bundled_framework().component(code).columns[index]]


def test_create_assessment_cleans_and_keeps_details(facilitator, engine, assessment_id):
    with session_scope(engine) as session:
        view = services.get_assessment(session, assessment_id, actor=facilitator)
    assert view.agencies == ["Brightpath", "Horizon"]
    assert [p.name for p in view.participants] == ["Lucía Fernández"]
    assert view.status == "draft" and view.scored_count == 0 and view.component_total == 17
    assert view.framework_label.endswith("2019.1")


def test_invalid_assessment_names_every_bad_field_and_saves_nothing(facilitator, engine, framework_version_id):
    bad = AssessmentDetails(name=" ", country="", scope="global", assessed_on=None, facilitator="",
                            participants=[ParticipantEntry("", "Horizon", "")])
    with pytest.raises(ValidationFailed) as caught, session_scope(engine) as session:
        services.create_assessment(session, actor=facilitator, details=bad, framework_version_id=framework_version_id)
    assert set(caught.value.field_errors) == {"name", "country", "scope", "assessed_on", "facilitator",
                                              "participants"}
    assert "line 1" in caught.value.field_errors["participants"]
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Assessment)) == 0


def test_saving_a_rating_recomputes_the_derived_level(facilitator, engine, assessment_id):
    with session_scope(engine) as session:
        result = services.save_component_rating(
            session, actor=facilitator, assessment_id=assessment_id, component_code="2a",
            in_place=_column("2a", 0) + _column("2a", 2), agreed_level=None, notes="Evidence: SOP v2")
    assert result.derived_level == Level.REQUIRES_IMPROVEMENT
    assert result.agreed_level == Level.REQUIRES_IMPROVEMENT
    with session_scope(engine) as session:
        view, _framework, summary = services.assessment_results(session, assessment_id, actor=facilitator)
    assert view.scored_count == 1
    saved = next(r for r in summary.results if r.component.code == "2a")
    assert saved.notes == "Evidence: SOP v2" and saved.in_place == set(_column("2a", 0) + _column("2a", 2))


def test_a_different_agreed_level_needs_a_reason(facilitator, engine, assessment_id):
    with pytest.raises(ValidationFailed) as caught, session_scope(engine) as session:
        services.save_component_rating(session, actor=facilitator, assessment_id=assessment_id, component_code="3", in_place=[],
                                       agreed_level=Level.MEETS_MINIMUM, level_reason="  ")
    assert "level_reason" in caught.value.field_errors
    with session_scope(engine) as session:
        result = services.save_component_rating(
            session, actor=facilitator, assessment_id=assessment_id, component_code="3", in_place=[],
            agreed_level=Level.MEETS_MINIMUM, level_reason="Government already leads the system review.")
    assert result.derived_level == Level.CRITICAL and result.agreed_level == Level.MEETS_MINIMUM


def test_unknown_actions_are_rejected(facilitator, engine, assessment_id):
    with pytest.raises(ValidationFailed, match=r"2b\.1\.1"), session_scope(engine) as session:
        services.save_component_rating(session, actor=facilitator, assessment_id=assessment_id, component_code="2a",
                                       in_place=["2b.1.1"], agreed_level=None)


def _score_everything(engine, assessment_id, facilitator):
    with session_scope(engine) as session:
        for component in bundled_framework().components():
            services.save_component_rating(session, actor=facilitator, assessment_id=assessment_id, component_code=component.code,
                                           in_place=[a.id for a in component.columns[0]], agreed_level=None)


def test_finalise_needs_every_component_and_then_freezes(facilitator, engine, assessment_id):
    with pytest.raises(ValidationFailed, match="Not scored yet: 1, 2, 2a"), session_scope(engine) as session:
        services.finalise_assessment(session, actor=facilitator, assessment_id=assessment_id)
    _score_everything(engine, assessment_id, facilitator)
    with session_scope(engine) as session:
        key_id = services.add_key_action(session, actor=facilitator, assessment_id=assessment_id, draft=KeyActionDraft(
            component_code="1", text="Agree the SOPs", owner_agency="Horizon", due_on=date(2027, 1, 31)))
        services.finalise_assessment(session, actor=facilitator, assessment_id=assessment_id)
    with pytest.raises(ReadOnly), session_scope(engine) as session:
        services.save_component_rating(session, actor=facilitator, assessment_id=assessment_id, component_code="1", in_place=[],
                                       agreed_level=None)
    with pytest.raises(ReadOnly), session_scope(engine) as session:
        services.add_key_action(session, actor=facilitator, assessment_id=assessment_id, draft=KeyActionDraft(
            component_code="1", text="x", owner_agency="y", due_on=date(2027, 1, 1)))
    # The signed-off plan is still tracked: status and progress may change, nothing else.
    with session_scope(engine) as session:
        plan = services.action_plan(session, assessment_id, actor=facilitator)
        draft = plan.key_actions[0].as_draft()
        draft.status, draft.progress_notes = "done", "SOPs signed on 20 January"
        services.update_key_action(session, actor=facilitator, key_action_id=key_id, draft=draft)
    with pytest.raises(ReadOnly), session_scope(engine) as session:
        draft.owner_agency = "Someone else"
        services.update_key_action(session, actor=facilitator, key_action_id=key_id, draft=draft)
    with session_scope(engine) as session:
        action = services.action_plan(session, assessment_id, actor=facilitator).key_actions[0]
    assert (action.status, action.owner_agency) == ("done", "Horizon")


def test_new_assessment_from_a_baseline_starts_with_its_ratings(facilitator, engine, assessment_id):
    _score_everything(engine, assessment_id, facilitator)
    with session_scope(engine) as session:
        services.finalise_assessment(session, actor=facilitator, assessment_id=assessment_id)
        follow_up = services.start_from_baseline(session, actor=facilitator, baseline_id=assessment_id, details=AssessmentDetails(
            name="Camp East QAF — follow-up", country="Valdoria", scope="agency", assessed_on=date(2027, 5, 1),
            facilitator="Daniel Okafor"))
    with session_scope(engine) as session:
        view, _f, summary = services.assessment_results(session, follow_up, actor=facilitator)
    assert view.baseline_id == assessment_id and view.status == "draft" and summary.scored_count == 17
    assert summary.counts[Level.REQUIRES_IMPROVEMENT] == 17


def test_key_action_rules_and_ordering(facilitator, engine, assessment_id):
    with session_scope(engine) as session:
        services.save_component_rating(session, actor=facilitator, assessment_id=assessment_id, component_code="5b", in_place=[],
                                       agreed_level=None)
    with pytest.raises(ValidationFailed) as caught, session_scope(engine) as session:
        services.add_key_action(session, actor=facilitator, assessment_id=assessment_id, draft=KeyActionDraft(
            component_code="5b", text="Recruit", due_on=date(2026, 1, 1)))
    assert set(caught.value.field_errors) == {"owner", "due_on"}
    with pytest.raises(ValidationFailed, match="does not belong"), session_scope(engine) as session:
        services.add_key_action(session, actor=facilitator, assessment_id=assessment_id, draft=KeyActionDraft(
            component_code="5b", text="Recruit", owner_person="Zoé", due_on=date(2027, 1, 1),
            change_grid_action_id="2a.1.1"))
    with session_scope(engine) as session:
        plan = services.action_plan(session, assessment_id, actor=facilitator)
        assert [a.id for a in plan.suggestions["5b"]] == ["5b.1.1", "5b.1.2"]
        services.add_key_action(session, actor=facilitator, assessment_id=assessment_id, draft=KeyActionDraft(
            component_code="5b", text="Our own", owner_person="Zoé", due_on=date(2027, 1, 1)))
        services.add_key_action(session, actor=facilitator, assessment_id=assessment_id, draft=KeyActionDraft(
            component_code="5b", text=plan.suggestions["5b"][1].text, owner_person="Zoé",
            due_on=date(2027, 1, 1), change_grid_action_id="5b.1.2"))
    with session_scope(engine) as session:
        plan = services.action_plan(session, assessment_id, actor=facilitator)
    # A picked suggestion is no longer suggested; grid actions come first, in grid order.
    assert [a.id for a in plan.suggestions["5b"]] == ["5b.1.1"]
    assert [a.text for a in plan.key_actions] == [bundled_framework().action("5b.1.2").text, "Our own"]
    with session_scope(engine) as session:
        services.delete_key_action(session, actor=facilitator, key_action_id=plan.key_actions[1].id)
    with session_scope(engine) as session:
        assert len(services.action_plan(session, assessment_id, actor=facilitator).key_actions) == 1


def test_a_failed_write_leaves_nothing_half_saved(facilitator, engine, assessment_id):
    with pytest.raises(ValidationFailed), session_scope(engine) as session:
        services.save_component_rating(session, actor=facilitator, assessment_id=assessment_id, component_code="1", in_place=[],
                                       agreed_level=None)
        services.add_key_action(session, actor=facilitator, assessment_id=assessment_id, draft=KeyActionDraft(
            component_code="1", text="", owner_person="", due_on=None))
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(ComponentRating)) == 0
        assert session.scalar(select(func.count()).select_from(ImprovementAction)) == 0


def test_contextualised_copy_never_changes_past_assessments(facilitator, engine, framework_version_id, assessment_id):
    with session_scope(engine) as session:
        copy_id = services.create_contextualised_copy(session, actor=facilitator, base_version_id=framework_version_id,
                                                      version="2019.1-valdoria", title="Change Grid — Valdoria")
        services.save_contextualised_component(session, actor=facilitator, framework_version_id=copy_id, component_code="2b", columns=[
            [{"id": "2b.1.1", "text": "Always conduct assessments within the SOP timeframes."}],
            [{"id": "2b.2.1", "text": "Develop a set format for conducting assessments."},
             {"id": "", "text": "Translate the assessment form into the local language."}],
            [{"id": "2b.3.1", "text": bundled_framework().action("2b.3.1").text}],
        ])
    with session_scope(engine) as session:
        edited = services.get_framework(session, copy_id).component("2b")
        original = services.get_framework(session, framework_version_id).component("2b")
        used = services.get_framework(session, services.get_assessment(session, assessment_id, actor=facilitator).framework_version_id)
    assert [a.id for a in edited.columns[1]] == ["2b.2.1", "2b.2.c1"]
    assert edited.columns[1][1].added_in_context
    assert original.columns[0][0].text == (
        "Always conduct assessments to inform the risk level of the case and the case plan.")
    assert used.component("2b") == original
    with pytest.raises(ReadOnly), session_scope(engine) as session:
        services.save_contextualised_component(session, actor=facilitator, framework_version_id=framework_version_id,
                                               component_code="2b", columns=[[{"id": "", "text": "x y z"}]] * 3)
    with pytest.raises(ValidationFailed, match="Column 3"), session_scope(engine) as session:
        services.save_contextualised_component(session, actor=facilitator, framework_version_id=copy_id, component_code="2b",
                                               columns=[[{"id": "", "text": "abc"}], [{"id": "", "text": "def"}], []])
    # Once an assessment uses the copy it freezes.
    with session_scope(engine) as session:
        services.create_assessment(session, actor=facilitator, details=DETAILS, framework_version_id=copy_id)
    with pytest.raises(ReadOnly, match="frozen"), session_scope(engine) as session:
        services.save_contextualised_component(session, actor=facilitator, framework_version_id=copy_id, component_code="2b",
                                               columns=[[{"id": "", "text": "abc"}]] * 3)
    with pytest.raises(ValidationFailed, match="already exists"), session_scope(engine) as session:
        services.create_contextualised_copy(session, actor=facilitator, base_version_id=framework_version_id,
                                            version="2019.1-valdoria", title="Again")


def test_the_bundled_framework_is_stored_once(facilitator, engine, framework_version_id):
    with session_scope(engine) as session:
        assert services.ensure_bundled_framework(session) == framework_version_id
        versions = services.list_framework_versions(session)
    assert [(v.key, v.version, v.is_contextualised) for v in versions] == [("cpcm-qaf", "2019.1", False)]


def test_example_assessment_is_complete(facilitator, engine):
    with session_scope(engine) as session:
        example = load_example(session, today=date(2026, 11, 23)).assessment_id
    with session_scope(engine) as session:
        owner = session.scalar(select(AssessmentMember.account_id).where(AssessmentMember.assessment_id == example,
                                                                         AssessmentMember.role == "facilitator"))
    with session_scope(engine) as session:
        plan = services.action_plan(session, example, actor=actor_for(engine, owner))
    assert plan.summary.scored_count == 17
    assert len(plan.key_actions) >= 20
    assert all(a.owner and a.due_on and a.due_on >= date(2026, 11, 23) for a in plan.key_actions)
    two_c = next(r for r in plan.summary.results if r.component.code == "2c")
    assert two_c.agreed_level != two_c.derived_level and two_c.level_reason
