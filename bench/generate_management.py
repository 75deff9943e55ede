"""An organisation for the managers' benchmark, at a chosen scale: per unit of scale, 12 teams (12 supervisors,
70 caseworkers), 25 open and 5 closed case files per caseworker, 3 years of monthly case file reviews (2 per
caseworker per month, every checklist item answered), 3 years of supervision sessions (2 individual sessions per
caseworker and a team meeting per month), follow-up actions from a third of the reviews in every state, and
supervision training records. Scale 10 is ten times all of it, in the same agency. People go through the
services; the bulk is written with INSERT (no audit records), as a restore would. Deterministic for a seed."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta
from sqlalchemy import Engine, insert, select

from accounts.models import StaffTraining
from accounts.services import AccountDraft, create_account, create_agency
from accounts.staff import StaffDraft
from accounts.staff_services import assign_to_team, create_staff, create_team
from checklists.checklist import bundled_checklist
from checklists.models import CaseFile, CaseFileReview, ReviewAnswer
from checklists.services.deadlines import refresh_deadlines
from checklists.services.templates import ensure_bundled_checklist
from core.actor import SYSTEM
from core.db import session_scope
from improvement_actions.models import ImprovementAction
from supervision.models import SupervisionSession

TEAM_SIZES = (6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 5, 5)  # 70 caseworkers under 12 supervisors
OPEN_FILES, CLOSED_FILES, MONTHS, PER_MONTH = 25, 5, 36, 2


@dataclass(frozen=True)
class ManagementBench:
    agency_id: int
    manager_account_id: int
    teams: int
    caseworkers: int
    case_files: int
    reviews: int
    sessions: int
    actions: int


def _chunks(rows: list[dict], size: int = 20_000):  # type: ignore[no-untyped-def]
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def build_management(engine: Engine, *, scale: int = 1, seed: int = 23, today: date | None = None,
                     name: str = "Management bench agency") -> ManagementBench:
    rng = random.Random(seed)
    today = today or date.today()
    start_day = today - timedelta(days=3 * 365 + 30)
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        template_id = ensure_bundled_checklist(session)
        agency = create_agency(session, actor=SYSTEM, name=name)
        teams: list[tuple[int, int, list[int]]] = []
        for unit in range(scale):
            for t, size in enumerate(TEAM_SIZES):
                number = unit * len(TEAM_SIZES) + t + 1
                team = create_team(session, actor=SYSTEM, name=f"Team {number:03d}", agency_id=agency)
                lead = create_staff(session, actor=SYSTEM, draft=StaffDraft(
                    full_name=f"Supervisor {number:03d}", programme_role="supervisor", agency_id=agency,
                    start_date=start_day))
                assign_to_team(session, actor=SYSTEM, staff_member_id=lead, team_id=team, from_date=start_day,
                               as_supervisor=True)
                members = []
                for p in range(size):
                    person = create_staff(session, actor=SYSTEM, draft=StaffDraft(
                        full_name=f"Caseworker {number:03d}-{p + 1}", programme_role="caseworker", agency_id=agency,
                        start_date=start_day, gender="female" if p % 2 else "male"))
                    assign_to_team(session, actor=SYSTEM, staff_member_id=person, team_id=team, from_date=start_day)
                    members.append(person)
                teams.append((team, lead, members))
                if number % 2:
                    session.add(StaffTraining(staff_member_id=lead, topic="supervision_coaching",
                                              completed_on=today - timedelta(days=rng.randint(30, 900)),
                                              updated_by_name="bench"))
        manager_account, _ = create_account(session, actor=SYSTEM, must_change_password=False, draft=AccountDraft(
            username=f"bench-manager-{scale}x", display_name="Bench Manager", roles=["manager"], agency_id=agency))
    files = []
    for _team, _lead, members in teams:
        for person in members:
            for f in range(OPEN_FILES + CLOSED_FILES):
                registered = today - timedelta(days=rng.randint(20, 3 * 365))
                assessed = registered + timedelta(days=rng.choice([0, 4, 9, 16]))
                plan = assessed + timedelta(days=rng.choice([2, 6, 12, 20]))
                reviews, day = [], plan
                while (day := day + relativedelta(months=3) + timedelta(days=rng.randint(-10, 20))) <= today:
                    reviews.append(day.isoformat())
                closed = f >= OPEN_FILES and plan + timedelta(days=40) < today
                closed_on = plan + timedelta(days=rng.randint(30, max(31, (today - plan).days - 1))) if closed \
                    else None
                files.append({
                    "agency_id": agency, "case_code": f"MB-{person:05d}-{f:02d}", "caseworker_id": person,
                    "risk_level": rng.choice(["high", "medium", "low"]), "status": "closed" if closed else "open",
                    "registered_on": registered, "assessed_on": min(assessed, today),
                    "case_plan_on": plan if plan <= today else None, "follow_ups": [],
                    "case_plan_reviews": [r for r in reviews if closed_on is None or r <= closed_on.isoformat()],
                    "reassessments": [], "risk_changes": [], "closed_on": closed_on,
                    "closure_reason": "Risks resolved" if closed else "",
                    "objectives_achieved": rng.choice(["yes", "yes", "partly", "no", ""]) if closed else "",
                    "updated_by_name": "bench"})
    items = [i.id for i in bundled_checklist().items()]
    first_month = today.replace(day=1) - relativedelta(months=MONTHS - 1)
    with session_scope(engine) as session:
        for chunk in _chunks(files):
            session.execute(insert(CaseFile), chunk)
        by_person: dict[int, list[int]] = {}
        for file_id, person in session.execute(select(CaseFile.id, CaseFile.caseworker_id).where(
                CaseFile.agency_id == agency)).all():
            by_person.setdefault(person, []).append(file_id)
        review_rows = []
        for m in range(MONTHS):
            month = first_month + relativedelta(months=m)
            for team, _lead, members in teams:
                for person in members:
                    for file_id in rng.sample(by_person[person], PER_MONTH):
                        yes = rng.randint(18, len(items) - 2)
                        review_rows.append({
                            "case_file_id": file_id, "agency_id": agency, "caseworker_id": person, "team_id": team,
                            "reviewer_name": "Supervisor",
                            "reviewed_on": min(month + timedelta(days=rng.randint(0, 25)), today),
                            "month": month, "template_id": template_id, "status": "completed", "completed_at": now,
                            "yes_count": yes, "no_count": len(items) - yes - 1, "na_count": 1,
                            "score": round(100 * yes / (len(items) - 1), 1), "level": "meets_minimum",
                            "updated_by_name": "bench"})
        for chunk in _chunks(review_rows):
            session.execute(insert(CaseFileReview), chunk)
        reviews = session.execute(select(CaseFileReview.id, CaseFileReview.reviewed_on, CaseFileReview.caseworker_id)
                                  .where(CaseFileReview.agency_id == agency)).all()
        answers: list[dict] = []
        for review_id, _day, _person in reviews:
            noes = set(rng.sample(items, rng.randint(0, 8)))
            answers += [{"review_id": review_id, "item_id": item, "answer": "no" if item in noes else "yes",
                         "computed": False} for item in items]
            if len(answers) > 50_000:
                session.execute(insert(ReviewAnswer), answers)
                answers = []
        if answers:
            session.execute(insert(ReviewAnswer), answers)
        actions = []
        for review_id, day, person in reviews:
            if rng.random() >= 0.33:
                continue
            due = day + timedelta(days=rng.choice([14, 30, 45]))
            status = rng.choice(["done", "done", "in_progress", "not_started", "dropped"]) if due < today else \
                rng.choice(["not_started", "in_progress"])
            done_at = datetime.combine(due + timedelta(days=rng.randint(-10, 8)), time(15), tzinfo=UTC) \
                if status == "done" else None
            actions.append({"source_kind": "case_file_review", "source_record_id": review_id, "source_item": "3.1",
                            "agency_id": agency, "text": "Complete the assessment form and record the risk level.",
                            "owner_person": "", "owner_agency": "", "owner_staff_member_id": person, "due_on": due,
                            "resources": "", "priority": rng.choice(["high", "medium", "low"]), "status": status,
                            "progress_notes": "Checked at the next review." if status in ("done", "dropped") else "",
                            "completed_at": done_at, "completed_by": "Supervisor" if done_at else "",
                            "updated_by_name": "bench"})
        for chunk in _chunks(actions):
            session.execute(insert(ImprovementAction), chunk)
        sessions = []
        for m in range(MONTHS):
            month = first_month + relativedelta(months=m)
            for team, lead, members in teams:
                meeting = month + timedelta(days=9)
                sessions.append(_session(team, agency, lead, None, "case_management_meeting", meeting, today, rng,
                                         f"{team}-meeting-{month:%Y-%m}"))
                for person in members:
                    for n, offset in enumerate((3, 17)):
                        sessions.append(_session(team, agency, lead, person, "individual_supervision",
                                                 month + timedelta(days=offset), today, rng,
                                                 f"{team}-{person}-{month:%Y-%m}-{n}"))
        for chunk in _chunks(sessions):
            session.execute(insert(SupervisionSession), chunk)
        refresh_deadlines(session, agency_id=agency, today=today)  # as every write of case files does
    caseworkers = sum(len(m) for _t, _l, m in teams)
    return ManagementBench(agency, manager_account, len(teams), caseworkers, len(files), len(review_rows),
                           len(sessions), len(actions))


def _session(team: int, agency: int, lead: int, person: int | None, activity: str, day: date, today: date,
             rng: random.Random, key: str) -> dict:
    starts = datetime.combine(day, time(9))
    past = day < today
    status = rng.choice(["held", "held", "held", "missed", "planned"]) if past else "planned"
    return {"team_id": team, "agency_id": agency, "supervisor_id": lead, "caseworker_id": person,
            "activity": activity, "occurrence_key": key, "due_on": day, "series_weeks": 0, "starts_at": starts,
            "minutes": 60, "planned_starts_at": starts, "origin": "generated", "touched": False, "status": status,
            "cancel_reason": "", "held_on": day if status == "held" else None, "notes": "", "missed_reason":
            "emergency" if status == "missed" else "", "missed_note": "", "sequence": 0, "updated_by_name": "bench"}
