"""Example history, so the tracker, the comparison and the dashboards show real figures on first load: an
earlier assessment of the same context a year before, with its action plan carried through the year (some
actions done on time, some late, some still open and overdue, one dropped), dates of completion in the past
rather than the moment of loading, and supervisors' training records."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import StaffTraining
from core.actor import Actor
from improvement_actions.models import ImprovementAction
from qaf.action_plan import KeyActionDraft, suggested_actions
from qaf.assessment import AssessmentDetails
from qaf.framework import Framework
from qaf.levels import Level
from qaf.services import add_key_action, create_assessment, finalise_assessment, save_component_rating
from qaf.services.action_plans import update_key_action

# A year earlier the task force found most components one level lower; supervision and coaching (5c) was then
# better than it is now (two trained supervisors left).
CHANGES = {"1": -1, "2": 0, "2a": -1, "2b": -1, "2c": 0, "2d": -1, "2e": 0, "2f": -1, "3": 0, "4": -1, "5a": -1,
           "5b": 0, "5c": +1, "5d": -1, "6": 0, "7": -1, "8": 0}
EARLIER_NAME = "Riverside Displacement Response — inter-agency QAF 2025"
STATES = ["done_on_time", "done_late", "done_on_time", "in_progress", "not_started", "dropped", "done_on_time"]


def _at(day: date) -> datetime:
    return datetime.combine(day, time(15, 30), tzinfo=UTC)


def load_earlier_assessment(session: Session, *, facilitator: Actor, framework_version_id: int,
                            framework: Framework, details: AssessmentDetails, agreed: dict[str, Level],
                            today: date, owners: list[tuple[str, str]], participant_account_ids: list[int],
                            staff_ids: dict[str, int]) -> int:
    """The assessment of a year before, final, with its action plan worked through the year."""
    rng = random.Random(2025)
    assessed_on = today - timedelta(days=364)
    earlier_id = create_assessment(session, actor=facilitator, details=AssessmentDetails(
        name=EARLIER_NAME, country=details.country, scope=details.scope, assessed_on=assessed_on,
        facilitator=details.facilitator, agencies=list(details.agencies), participants=list(details.participants)),
        framework_version_id=framework_version_id, participant_account_ids=participant_account_ids)
    plan: list[tuple[int, str]] = []
    for component in framework.components():
        target = Level(min(max(int(agreed[component.code]) + CHANGES[component.code], 0), 3))
        in_place = [a.id for column in component.columns[: int(target)] for a in column]
        result = save_component_rating(session, actor=facilitator, assessment_id=earlier_id,
                                       component_code=component.code, in_place=in_place, agreed_level=None)
        for action in suggested_actions(result)[:1]:
            person, agency = owners[rng.randrange(len(owners))]
            state = STATES[len(plan) % len(STATES)]
            key_action_id = add_key_action(session, actor=facilitator, assessment_id=earlier_id, draft=KeyActionDraft(
                component_code=component.code, text=action.text, change_grid_action_id=action.id,
                owner_person=person, owner_agency=agency, owner_staff_member_id=staff_ids.get(person),
                due_on=assessed_on + timedelta(days=30 * rng.randint(2, 10)),
                priority="high" if result.agreed_level == Level.CRITICAL else "medium"))
            plan.append((key_action_id, state))
    # Worked through the year: statuses and progress notes given while the plan was still open to its members.
    for key_action_id, state in plan:
        row = session.get(ImprovementAction, key_action_id)
        if row is None or state == "not_started":
            continue
        status = {"done_on_time": "done", "done_late": "done"}.get(state, state)
        note = {"done": "Done: the minutes and the signed document are in the shared folder.",
                "in_progress": "Started; the working group meets again next month.",
                "dropped": "Dropped: replaced by the inter-agency SOP revision."}[status]
        draft = KeyActionDraft(component_code=row.source_item, text=row.text, owner_person=row.owner_person,
                               owner_agency=row.owner_agency, owner_staff_member_id=row.owner_staff_member_id,
                               due_on=row.due_on, priority=row.priority,
                               change_grid_action_id=row.source_reference, status=status, progress_notes=note)
        update_key_action(session, actor=facilitator, key_action_id=key_action_id, draft=draft)
        if status == "done" and row.due_on is not None:
            done_on = row.due_on - timedelta(days=rng.randint(1, 20)) if state == "done_on_time" else \
                row.due_on + timedelta(days=rng.randint(5, 40))
            row.completed_at = _at(min(max(done_on, assessed_on + timedelta(days=1)), today - timedelta(days=1)))
    session.flush()
    finalise_assessment(session, actor=facilitator, assessment_id=earlier_id)
    return earlier_id


def date_completions(session: Session, *, today: date) -> None:
    """Actions the example marked done while loading carry the moment of loading; give them the day they would
    have been done instead (mostly before their due date, some after), never after today."""
    rng = random.Random(7)
    loaded = datetime.now(UTC) - timedelta(hours=1)
    for row in session.scalars(select(ImprovementAction).where(ImprovementAction.status == "done")).all():
        if row.completed_at is None or row.due_on is None:
            continue
        stamp = row.completed_at if row.completed_at.tzinfo else row.completed_at.replace(tzinfo=UTC)
        if stamp < loaded:
            continue
        shift = rng.choice([-10, -5, -2, 3, 12])
        row.completed_at = _at(min(row.due_on + timedelta(days=shift), today - timedelta(days=1)))
    session.flush()


def add_trainings(session: Session, *, staff_ids: dict[str, int], today: date) -> None:
    """One supervisor trained in supervision and coaching this year, the other not yet."""
    session.add(StaffTraining(staff_member_id=staff_ids["Ana Pereira"], topic="supervision_coaching",
                              completed_on=today - timedelta(days=150), provider="Child Protection AoR"))
    session.add(StaffTraining(staff_member_id=staff_ids["Samuel Mensah"], topic="case_management",
                              completed_on=today - timedelta(days=300), provider="Brightpath induction"))
    session.flush()
