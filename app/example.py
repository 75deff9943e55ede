"""Example data for a fictional response, so a newcomer sees a full workshop and action plan in one minute and
can try each role. No real people, agencies or places: every name here is invented.

Loading creates two agencies, teams and staff, one account per role (random passwords, shown once), an
inter-agency assessment with every component scored and an action plan, and a few months of case files and
monthly case file reviews (``app.example_reviews``), and supervision plans with a generated calendar, some
sessions held, missed and moved (``app.example_supervision``).
Run ``python -m app example`` from the command line, or use the button on the Administration page.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import Account, StaffMember, Team
from accounts.services import AccountDraft, agency_id_for, create_account, create_agency
from accounts.staff import StaffDraft
from accounts.staff_services import assign_to_team, create_staff, create_team
from app.example_progress import add_trainings, date_completions, load_earlier_assessment
from app.example_reviews import SUPERVISORS, load_example_reviews
from app.example_supervision import load_example_supervision
from core.actor import SYSTEM, Actor, Role
from core.errors import ValidationFailed
from core.i18n import t
from qaf.action_plan import KeyActionDraft, suggested_actions
from qaf.assessment import AssessmentDetails, ParticipantEntry
from qaf.levels import Level
from qaf.models import Assessment
from qaf.services import (
    add_key_action,
    ensure_bundled_framework,
    get_framework,
    save_component_rating,
    start_from_baseline,
)

EXAMPLE_NAME = "Riverside Displacement Response — inter-agency QAF 2026"
LEAD_AGENCY = "Brightpath Children's Aid (example)"
PARTNER_AGENCY = "Horizon Family Services (example)"
AGENCIES = [LEAD_AGENCY, PARTNER_AGENCY, "Department of Social Welfare (Northern Province)"]
PARTICIPANTS = [
    ParticipantEntry("Lucía Fernández", LEAD_AGENCY, "Case management coordinator"),
    ParticipantEntry("Zoé Martin", LEAD_AGENCY, "Quality and learning adviser (facilitator)"),
    ParticipantEntry("Daniel Okafor", "Department of Social Welfare (Northern Province)", "Social welfare officer"),
    ParticipantEntry("Mariam Haddad", LEAD_AGENCY, "Caseworker"),
    ParticipantEntry("Tomás Ríos", PARTNER_AGENCY, "Information management officer"),
]
# The level the fictional task force agreed for each component, and why where it differs from the grid.
AGREED = {
    "1": Level.MEETS_MINIMUM, "2": Level.REQUIRES_IMPROVEMENT, "2a": Level.MEETS_MINIMUM,
    "2b": Level.REQUIRES_IMPROVEMENT, "2c": Level.REQUIRES_IMPROVEMENT, "2d": Level.MEETS_MINIMUM,
    "2e": Level.CRITICAL, "2f": Level.REQUIRES_IMPROVEMENT, "3": Level.CRITICAL, "4": Level.MEETS_MINIMUM,
    "5a": Level.REQUIRES_IMPROVEMENT, "5b": Level.CRITICAL, "5c": Level.MEETS_MINIMUM, "5d": Level.REQUIRES_IMPROVEMENT,
    "6": Level.REQUIRES_IMPROVEMENT, "7": Level.REQUIRES_IMPROVEMENT, "8": Level.CRITICAL,
}
# Components this year's task force has not reached yet: still as copied from last year's assessment.
UNCONFIRMED = ("7",)
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
    ("Lucía Fernández", LEAD_AGENCY), ("Zoé Martin", LEAD_AGENCY), ("Tomás Ríos", PARTNER_AGENCY),
    ("Daniel Okafor", "Department of Social Welfare (Northern Province)"), ("", "Case Management Task Force"),
]
RESOURCES = ["Staff time (2 days per month)", "Training budget, venue and interpretation",
             "Consultant for 10 days", "Within existing budget", "Laptop and data protection training"]
# One account per role: (username, display name, roles, staff member it is, if any)
DEMO_ACCOUNTS = [
    ("demo-facilitator", "Zoé Martin", [Role.FACILITATOR], None),
    ("demo-manager", "Lucía Fernández", [Role.MANAGER], "Lucía Fernández"),
    ("demo-supervisor", "Samuel Mensah", [Role.SUPERVISOR], "Samuel Mensah"),
    ("demo-caseworker", "Mariam Haddad", [Role.CASEWORKER, Role.FACILITATOR], "Mariam Haddad"),
    ("demo-admin", "Example administrator", [Role.ADMINISTRATOR], None),
]
STAFF = [
    ("Samuel Mensah", "supervisor", "male", "East team", True),
    ("Mariam Haddad", "caseworker", "female", "East team", False),
    ("Joseph Banda", "caseworker", "male", "East team", False),
    ("Grace Achieng", "caseworker", "female", "East team", False),
    ("Ana Pereira", "supervisor", "female", "West team", True),
    ("Yusuf Karim", "caseworker", "male", "West team", False),
    ("Fatima Noor", "data_entry", "female", "West team", False),
    ("Lucía Fernández", "manager", "female", None, False),  # the coordinator: in no team
]


@dataclass(frozen=True)
class DemoCredential:
    username: str
    display_name: str
    roles: str
    password: str


@dataclass(frozen=True)
class ExampleResult:
    assessment_id: int
    credentials: list[DemoCredential]


def _agency(session: Session, name: str) -> int:
    return agency_id_for(session, name) or create_agency(session, actor=SYSTEM, name=name)


def example_loaded(session: Session) -> bool:
    """Whether the example is here already (its facilitator account, or its assessment)."""
    return _taken(session, "demo-facilitator") or session.scalar(
        select(Assessment.id).where(Assessment.name == EXAMPLE_NAME)) is not None


def load_example(session: Session, *, today: date | None = None, accounts: bool = True) -> ExampleResult:
    """Create the example organisation, accounts and assessment; return the assessment and the passwords. Once
    only: a second load is refused, so there are never two sets of example accounts."""
    if example_loaded(session):
        raise ValidationFailed({"example": t("example.already_loaded")})
    rng = random.Random(2026)
    assessed_on = today or date.today()
    lead = _agency(session, LEAD_AGENCY)
    _agency(session, PARTNER_AGENCY)
    staff_ids: dict[str, int] = {}
    teams: dict[str, int] = {}
    for name, role, gender, team, leads in STAFF:
        if team is not None and team not in teams:
            teams[team] = session.scalar(select(Team.id).where(Team.agency_id == lead, Team.name == team)) or \
                create_team(session, actor=SYSTEM, name=team, agency_id=lead)
        existing = session.scalar(select(StaffMember.id).where(StaffMember.agency_id == lead,
                                                               StaffMember.full_name == name))
        if existing:
            staff_ids[name] = existing
            continue
        staff_ids[name] = create_staff(session, actor=SYSTEM, draft=StaffDraft(
            full_name=name, programme_role=role, agency_id=lead, start_date=assessed_on - timedelta(days=400),
            gender=gender))
        if team is not None:
            assign_to_team(session, actor=SYSTEM, staff_member_id=staff_ids[name], team_id=teams[team],
                           from_date=assessed_on - timedelta(days=400), as_supervisor=leads)
    credentials: list[DemoCredential] = []
    account_ids: dict[str, int] = {}
    if accounts:
        for login, display, roles, staff in DEMO_ACCOUNTS:
            account_id, password = create_account(session, actor=SYSTEM, draft=AccountDraft(
                username=login, display_name=display, roles=[r.value for r in roles], agency_id=lead,
                staff_member_id=staff_ids.get(staff) if staff else None), must_change_password=False)
            account_ids[login] = account_id
            credentials.append(DemoCredential(login, display, ", ".join(r.value for r in roles), password))
    facilitator = Actor(account_id=account_ids.get("demo-facilitator"), name="Zoé Martin",
                        roles=frozenset({Role.FACILITATOR}), agency_id=lead)
    framework_version_id = ensure_bundled_framework(session)
    framework = get_framework(session, framework_version_id)
    details = AssessmentDetails(name=EXAMPLE_NAME, country="Northern Province, Valdoria (fictional)",
                                scope="inter_agency", assessed_on=assessed_on, facilitator="Zoé Martin",
                                agencies=list(AGENCIES), participants=list(PARTICIPANTS))
    members = [account_ids["demo-caseworker"]] if accounts else []
    # A year before, the same task force assessed the same context; this year's started from it as a baseline.
    earlier_id = load_earlier_assessment(session, facilitator=facilitator, framework_version_id=framework_version_id,
                                         framework=framework, details=details, agreed=AGREED, today=assessed_on,
                                         owners=OWNERS, participant_account_ids=members, staff_ids=staff_ids)
    assessment_id = start_from_baseline(session, actor=facilitator, baseline_id=earlier_id, details=details,
                                        participant_account_ids=members)
    for component in framework.components():
        if component.code in UNCONFIRMED:
            continue  # still as copied from the baseline: the workshop marks it until the task force confirms
        target = AGREED[component.code]
        in_place = [a.id for column in component.columns[: int(target)] for a in column]
        if target < Level.GOOD_PRACTICE:
            next_column = component.columns[int(target)]
            in_place += [a.id for a in next_column[: max(0, len(next_column) - 1)] if rng.random() < 0.5]
        agreed, reason = OVERRIDES.get(component.code, (None, ""))
        result = save_component_rating(session, actor=facilitator, assessment_id=assessment_id,
                                       component_code=component.code, in_place=in_place, agreed_level=agreed,
                                       level_reason=reason, notes=NOTES.get(component.code, ""))
        for index, action in enumerate(suggested_actions(result)[:2]):
            person, agency = OWNERS[rng.randrange(len(OWNERS))]
            add_key_action(session, actor=facilitator, assessment_id=assessment_id, draft=KeyActionDraft(
                component_code=component.code, text=action.text, change_grid_action_id=action.id,
                owner_person=person, owner_agency=agency, owner_staff_member_id=staff_ids.get(person),
                due_on=assessed_on + timedelta(days=30 * rng.randint(1, 9)),
                resources=RESOURCES[rng.randrange(len(RESOURCES))],
                priority="high" if result.agreed_level == Level.CRITICAL else ("medium" if index == 0 else "low"),
                status=rng.choice(["not_started", "not_started", "in_progress"]),
                progress_notes="",
            ))
    add_key_action(session, actor=facilitator, assessment_id=assessment_id, draft=KeyActionDraft(
        component_code="5b", text="Recruit two female caseworkers for the eastern settlement and rebalance "
                                  "caseloads to no more than 25 cases each.",
        owner_person="Lucía Fernández", owner_agency=LEAD_AGENCY, owner_staff_member_id=staff_ids["Lucía Fernández"],
        due_on=assessed_on + timedelta(days=90), resources="Two posts in the 2027 budget", priority="high",
        status="in_progress", progress_notes="Job descriptions drafted; advert to go out next month.",
    ))
    load_example_reviews(session, agency_id=lead, staff_ids=staff_ids, teams=teams, account_ids=account_ids,
                         caseworker_account=account_ids.get("demo-caseworker"), today=assessed_on)
    load_example_supervision(session, agency_id=lead, staff_ids=staff_ids, teams=teams, today=assessed_on,
                             supervisors={team: (name, account_ids.get(login) if login else None)
                                          for team, (name, login) in SUPERVISORS.items()})
    date_completions(session, today=assessed_on)
    add_trainings(session, staff_ids=staff_ids, today=assessed_on)
    return ExampleResult(assessment_id=assessment_id, credentials=credentials)


def _taken(session: Session, username: str) -> bool:
    return session.scalar(select(Account.id).where(Account.username == username)) is not None
