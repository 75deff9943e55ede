"""A realistic example assessment for a fictional response, so a newcomer sees a full workshop and action plan
in one minute. No real people, agencies or places: every name here is invented.

Run ``python -m qaf.example`` to load it from the command line, or use the button on the Assessments page.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy.orm import Session

from qaf.action_plan import KeyActionDraft, suggested_actions
from qaf.assessment import AssessmentDetails, ParticipantEntry
from qaf.levels import Level
from qaf.services import (
    add_key_action,
    create_assessment,
    ensure_bundled_framework,
    get_framework,
    save_component_rating,
)

EXAMPLE_NAME = "Riverside Displacement Response — inter-agency QAF 2026"
AGENCIES = ["Brightpath Children's Aid", "Horizon Family Services", "Department of Social Welfare (Northern Province)"]
PARTICIPANTS = [
    ParticipantEntry("Lucía Fernández", "Brightpath Children's Aid", "Case management coordinator"),
    ParticipantEntry("Zoé Martin", "Horizon Family Services", "Child protection supervisor"),
    ParticipantEntry("Daniel Okafor", "Department of Social Welfare (Northern Province)", "Social welfare officer"),
    ParticipantEntry("Mariam Haddad", "Brightpath Children's Aid", "Caseworker"),
    ParticipantEntry("Tomás Ríos", "Horizon Family Services", "Information management officer"),
]
# The level the fictional task force agreed for each component, and why where it differs from the grid.
AGREED = {
    "1": Level.MEETS_MINIMUM, "2": Level.REQUIRES_IMPROVEMENT, "2a": Level.MEETS_MINIMUM,
    "2b": Level.REQUIRES_IMPROVEMENT, "2c": Level.REQUIRES_IMPROVEMENT, "2d": Level.MEETS_MINIMUM,
    "2e": Level.CRITICAL, "2f": Level.REQUIRES_IMPROVEMENT, "3": Level.CRITICAL, "4": Level.MEETS_MINIMUM,
    "5a": Level.REQUIRES_IMPROVEMENT, "5b": Level.CRITICAL, "5c": Level.MEETS_MINIMUM, "5d": Level.REQUIRES_IMPROVEMENT,
    "6": Level.REQUIRES_IMPROVEMENT, "7": Level.REQUIRES_IMPROVEMENT, "8": Level.CRITICAL,
}
OVERRIDES = {
    "2c": (Level.CRITICAL, "Case plans exist in the format, but the file review found most were never shared "
                           "with children or caregivers; the group rated the component lower than the grid."),
}
NOTES = {
    "2e": "Follow-up visits happen, but the frequency is not set per risk level. Evidence: June case file review, "
          "11 of 30 files had no follow-up recorded for over a month.",
    "5b": "Two caseworkers carry 38 and 41 cases. Only one female caseworker for the eastern settlement.",
    "8": "No agreed indicators yet; the feedback box at the community centre is not opened regularly.",
}
OWNERS = [
    ("Lucía Fernández", "Brightpath Children's Aid"), ("Zoé Martin", "Horizon Family Services"),
    ("Daniel Okafor", "Department of Social Welfare (Northern Province)"), ("", "Case Management Task Force"),
]
RESOURCES = ["Staff time (2 days per month)", "Training budget, venue and interpretation",
             "Consultant for 10 days", "Within existing budget", "Laptop and data protection training"]


def load_example(session: Session, *, today: date | None = None) -> int:
    """Create the example assessment with every component scored and a key action plan; return its id."""
    rng = random.Random(2026)
    assessed_on = today or date.today()
    framework_version_id = ensure_bundled_framework(session)
    framework = get_framework(session, framework_version_id)
    assessment_id = create_assessment(
        session,
        details=AssessmentDetails(name=EXAMPLE_NAME, country="Northern Province, Valdoria (fictional)",
                                  scope="inter_agency", assessed_on=assessed_on, facilitator="Zoé Martin",
                                  agencies=list(AGENCIES), participants=list(PARTICIPANTS)),
        framework_version_id=framework_version_id,
    )
    for component in framework.components():
        target = AGREED[component.code]
        in_place = [a.id for column in component.columns[: int(target)] for a in column]
        if target < Level.GOOD_PRACTICE:
            next_column = component.columns[int(target)]
            in_place += [a.id for a in next_column[: max(0, len(next_column) - 1)] if rng.random() < 0.5]
        agreed, reason = OVERRIDES.get(component.code, (None, ""))
        result = save_component_rating(session, assessment_id=assessment_id, component_code=component.code,
                                       in_place=in_place, agreed_level=agreed, level_reason=reason,
                                       notes=NOTES.get(component.code, ""))
        for index, action in enumerate(suggested_actions(result)[:2]):
            person, agency = OWNERS[rng.randrange(len(OWNERS))]
            add_key_action(session, assessment_id=assessment_id, draft=KeyActionDraft(
                component_code=component.code, text=action.text, change_grid_action_id=action.id,
                owner_person=person, owner_agency=agency,
                due_on=assessed_on + timedelta(days=30 * rng.randint(1, 9)),
                resources=RESOURCES[rng.randrange(len(RESOURCES))],
                priority="high" if result.agreed_level == Level.CRITICAL else ("medium" if index == 0 else "low"),
                status=rng.choice(["not_started", "not_started", "in_progress"]),
                progress_notes="",
            ))
    add_key_action(session, assessment_id=assessment_id, draft=KeyActionDraft(
        component_code="5b", text="Recruit two female caseworkers for the eastern settlement and rebalance "
                                  "caseloads to no more than 25 cases each.",
        owner_person="Lucía Fernández", owner_agency="Brightpath Children's Aid",
        due_on=assessed_on + timedelta(days=90), resources="Two posts in the 2027 budget", priority="high",
        status="in_progress", progress_notes="Job descriptions drafted; advert to go out next month.",
    ))
    return assessment_id


def main() -> None:
    from core.config import get_settings
    from core.db import make_engine, migrate_to_head, session_scope

    engine = make_engine(get_settings().database_url)
    migrate_to_head(engine)
    with session_scope(engine) as session:
        assessment_id = load_example(session)
    print(f"Loaded the example assessment (id {assessment_id}) into {engine.url.render_as_string()}")


if __name__ == "__main__":
    main()
