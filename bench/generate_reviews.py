"""A country programme's case file reviews for the benchmark: 70 caseworkers in 14 teams of 5 (one supervisor
each), 25 open case files per caseworker, and 3 years of monthly reviews (2 per caseworker per month, every
checklist item answered). People and teams go through the services; the 1,750 case files and 5,040 reviews with
their answers are written in bulk (no audit records), as a restore would, so the data is built in seconds."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from dateutil.relativedelta import relativedelta
from sqlalchemy import Engine, insert, select

from accounts.services import AccountDraft, create_account, create_agency
from accounts.staff import StaffDraft
from accounts.staff_services import assign_to_team, create_staff, create_team
from checklists.checklist import bundled_checklist
from checklists.models import CaseFile, CaseFileReview, ReviewAnswer
from checklists.services.templates import ensure_bundled_checklist
from core.actor import SYSTEM
from core.db import session_scope

TEAMS, PER_TEAM, FILES, MONTHS, PER_MONTH = 14, 5, 25, 36, 2


@dataclass(frozen=True)
class ReviewBench:
    agency_name: str
    supervisor_account_id: int
    manager_account_id: int
    team_id: int
    review_id: int
    caseworkers: int
    case_files: int
    reviews: int


def build_reviews(engine: Engine, *, seed: int = 11, today: date | None = None, scale: int = 1) -> ReviewBench:
    rng = random.Random(seed)
    today = today or date.today()
    start_day = today - timedelta(days=4 * 365)
    with session_scope(engine) as session:
        template_id = ensure_bundled_checklist(session)
        agency = create_agency(session, actor=SYSTEM, name="Review bench agency")
        teams, caseworkers, supervisors = [], [], []
        for t in range(TEAMS * scale):
            team = create_team(session, actor=SYSTEM, name=f"Team {t + 1:02d}", agency_id=agency)
            teams.append(team)
            lead = create_staff(session, actor=SYSTEM, draft=StaffDraft(
                full_name=f"Supervisor {t + 1:02d}", programme_role="supervisor", agency_id=agency))
            assign_to_team(session, actor=SYSTEM, staff_member_id=lead, team_id=team, from_date=start_day,
                           as_supervisor=True)
            supervisors.append(lead)
            for p in range(PER_TEAM):
                person = create_staff(session, actor=SYSTEM, draft=StaffDraft(
                    full_name=f"Caseworker {t + 1:02d}-{p + 1}", programme_role="caseworker", agency_id=agency,
                    start_date=start_day))
                assign_to_team(session, actor=SYSTEM, staff_member_id=person, team_id=team, from_date=start_day)
                caseworkers.append((person, team))
        supervisor_account, _ = create_account(session, actor=SYSTEM, must_change_password=False, draft=AccountDraft(
            username="bench-supervisor", display_name="Supervisor 01", roles=["supervisor"], agency_id=agency,
            staff_member_id=supervisors[0]))
        manager_account, _ = create_account(session, actor=SYSTEM, must_change_password=False, draft=AccountDraft(
            username="bench-manager", display_name="Bench Manager", roles=["manager"], agency_id=agency))
    files = []
    for n, (person, _team) in enumerate(caseworkers):
        for f in range(FILES):
            identified = today - timedelta(days=rng.randint(20, 3 * 365))
            registered = identified + timedelta(days=rng.choice([0, 1, 3, 8]))
            assessed = registered + timedelta(days=rng.choice([0, 4, 9, 16]))
            plan = assessed + timedelta(days=rng.choice([2, 6, 12, 20]))
            follow_ups, day = [], plan
            while (day := day + timedelta(days=rng.randint(4, 30))) <= today:
                follow_ups.append(day.isoformat())
            reviews, day = [], plan
            while (day := day + relativedelta(months=3) + timedelta(days=rng.randint(-10, 20))) <= today:
                reviews.append(day.isoformat())
            files.append({"agency_id": agency, "case_code": f"BENCH-{n:03d}-{f:02d}", "caseworker_id": person,
                          "risk_level": rng.choice(["high", "medium", "low"]), "status": "open",
                          "identified_on": identified, "registered_on": registered, "assessed_on": assessed,
                          "case_plan_on": plan if plan <= today else None,
                          "first_action_on": plan + timedelta(days=2) if plan + timedelta(days=2) <= today else None,
                          "follow_ups": follow_ups, "case_plan_reviews": reviews, "reassessments": [],
                          "risk_changes": [], "closure_reason": "", "updated_by_name": "bench"})
    items = [i.id for i in bundled_checklist().items()]
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        session.execute(insert(CaseFile), files)
        ids = session.execute(select(CaseFile.id, CaseFile.caseworker_id).where(CaseFile.agency_id == agency)).all()
        by_person: dict[int, list[int]] = {}
        for file_id, person in ids:
            by_person.setdefault(person, []).append(file_id)
        first_month = (today.replace(day=1) - relativedelta(months=MONTHS - 1))
        review_rows = []
        for m in range(MONTHS):
            month = first_month + relativedelta(months=m)
            for person, team in caseworkers:
                for file_id in rng.sample(by_person[person], PER_MONTH):
                    yes = rng.randint(18, len(items) - 2)
                    review_rows.append({
                        "case_file_id": file_id, "agency_id": agency, "caseworker_id": person, "team_id": team,
                        "reviewer_name": "Supervisor", "reviewed_on": min(month + timedelta(days=rng.randint(0, 25)),
                                                                          today),
                        "month": month, "template_id": template_id, "status": "completed", "completed_at": now,
                        "strengths": "Consistent follow-up.", "feedback": "Record each contact the same day.",
                        "yes_count": yes, "no_count": len(items) - yes - 1, "na_count": 1,
                        "score": round(100 * yes / (len(items) - 1), 1), "level": "meets_minimum",
                        "updated_by_name": "bench"})
        session.execute(insert(CaseFileReview), review_rows)
        review_ids = session.scalars(select(CaseFileReview.id).where(CaseFileReview.agency_id == agency)).all()
        answers = []
        for review_id in review_ids:
            noes = set(rng.sample(items, rng.randint(0, 8)))
            for item in items:
                answers.append({"review_id": review_id, "item_id": item, "answer": "no" if item in noes else "yes",
                                "computed": False})
            if len(answers) > 20_000:
                session.execute(insert(ReviewAnswer), answers)
                answers = []
        if answers:
            session.execute(insert(ReviewAnswer), answers)
        first_team = teams[0]
        review_id = session.scalar(select(CaseFileReview.id).where(CaseFileReview.team_id == first_team)
                                   .order_by(CaseFileReview.id.desc()))
    return ReviewBench("Review bench agency", supervisor_account, manager_account, teams[0], review_id,
                       len(caseworkers), len(files), len(review_rows))
