"""Example case files and monthly reviews for the example organisation: a few months of fictional case files
(case codes only), reviews in every state (draft, completed, acknowledged) and follow-up actions, so a newcomer
sees every case file review page populated. Every code and date is invented."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from sqlalchemy.orm import Session

from checklists.case_file import CaseFileDraft
from checklists.review import AnswerDraft
from checklists.services.case_files import create_case_file
from checklists.services.reviews import acknowledge_review, add_follow_up_action, get_review, save_review, start_review
from core.actor import Actor, Role
from improvement_actions.rules import ImprovementActionDraft

CASEWORKERS = {"East team": ["Mariam Haddad", "Joseph Banda", "Grace Achieng"], "West team": ["Yusuf Karim"]}
SUPERVISORS = {"East team": ("Samuel Mensah", "demo-supervisor"), "West team": ("Ana Pereira", None)}
FILES_PER_CASEWORKER = 8
CLOSURE_REASONS = ["Child protection risks resolved; case plan goals met", "Family moved out of the area",
                   "Transferred to the specialised GBV service"]
STRENGTHS = ["Thorough assessment of protective factors at family and community level.",
             "Case plan objectives are specific and agreed with the child and caregiver.",
             "Referrals are well documented, with consent recorded each time."]
FEEDBACK = ["Record every follow-up contact the day it happens, with what was checked.",
            "Review the case plan with the caregiver at least every three months.",
            "Make sure the supervisor signs off the case plan before implementation starts."]
ACTIONS = ["Update the follow-up log and agree the next visit date with the family.",
           "Schedule the case plan review with the child and caregiver.",
           "Bring the file to the next case discussion for a second opinion on the risk level."]


def _case_draft(rng: random.Random, code: str, caseworker_id: int, today: date) -> CaseFileDraft:
    risk = rng.choice(["high", "medium", "medium", "low", "low"])
    identified = today - timedelta(days=rng.randint(35, 210))
    registered = identified + timedelta(days=rng.choice([0, 1, 2, 4, 9]))
    assessed = registered + timedelta(days=rng.choice([0, 3, 6, 12, 20]))
    plan = assessed + timedelta(days=rng.choice([1, 3, 6, 10, 18]))
    first_action = plan + timedelta(days=rng.choice([0, 2, 5, 9]))
    closed = None
    status = "open"
    if rng.random() < 0.25 and plan + timedelta(days=40) < today:
        closed = plan + timedelta(days=rng.randint(30, (today - plan).days - 1))
        status = rng.choice(["closed", "closed", "transferred"])
    end = closed or today
    follow_ups, day = [], first_action
    step = {"high": (3, 8), "medium": (8, 20), "low": (14, 40)}[risk]
    while True:
        day = day + timedelta(days=rng.randint(*step))
        if day > end:
            break
        follow_ups.append(day)
    reviews, day = [], plan
    while True:
        day = day + timedelta(days=rng.randint(70, 110))
        if day > end:
            break
        reviews.append(day)
    changes: list[tuple[date, str]] = []
    if rng.random() < 0.3:
        first = rng.choice(["high", "medium"])
        changes = [(registered, first), (assessed + timedelta(days=rng.randint(1, 20)), risk)]
        if changes[1][0] > end or changes[0][1] == risk:
            changes = []
    post = None
    if status == "closed" and closed is not None and closed + timedelta(days=60) < today and rng.random() < 0.7:
        post = closed + timedelta(days=rng.randint(30, 100))
        post = post if post <= today else None
    return CaseFileDraft(
        case_code=code, caseworker_id=caseworker_id, risk_level=risk, status=status, identified_on=identified,
        registered_on=registered, assessed_on=assessed, case_plan_on=plan, first_action_on=first_action,
        follow_ups=follow_ups, case_plan_reviews=reviews, risk_changes=changes, closed_on=closed,
        closure_reason=rng.choice(CLOSURE_REASONS) if closed else "", post_closure_follow_up_on=post,
        objectives_achieved=random.Random(code).choice(["yes", "yes", "partly", "no", ""]) if status == "closed"
        else "")


def load_example_reviews(session: Session, *, agency_id: int, staff_ids: Mapping[str, int],
                         teams: Mapping[str, int], account_ids: Mapping[str, int], caseworker_account: int | None,
                         today: date) -> None:
    rng = random.Random(2027)
    number = 0
    for team, people in CASEWORKERS.items():
        name, login = SUPERVISORS[team]
        supervisor = Actor(account_id=account_ids.get(login) if login else None, name=name,
                           roles=frozenset({Role.SUPERVISOR}), agency_id=agency_id,
                           staff_member_id=staff_ids.get(name), supervised_team_ids=frozenset({teams[team]}))
        for person in people:
            files = []
            for _ in range(FILES_PER_CASEWORKER):
                number += 1
                files.append(create_case_file(session, actor=supervisor, draft=_case_draft(
                    rng, f"BCA-{today.year}-{number:04d}", staff_ids[person], today)))
            for months_back in (3, 2, 1, 0):
                day = max(date(today.year, today.month, 1) - relativedelta(months=months_back),
                          today - timedelta(days=120)) + timedelta(days=rng.randint(2, 20))
                day = min(day, today)
                for case_file_id in rng.sample(files, 2):
                    review_id = start_review(session, actor=supervisor, case_file_id=case_file_id, reviewed_on=day)
                    view = get_review(session, actor=supervisor, review_id=review_id)
                    if view.is_completed:
                        continue
                    answers = {}
                    for item_id, stored in view.answers.items():
                        answer = stored.answer or rng.choices(["yes", "no", "na"], weights=[7, 2, 1])[0]
                        answers[item_id] = AnswerDraft(item_id, answer, computed_answer=stored.computed_answer,
                                                       comment="Checked with the caseworker." if answer == "no"
                                                       else "")
                    draft_only = months_back == 0 and rng.random() < 0.5
                    save_review(session, actor=supervisor, review_id=review_id, answers=answers,
                                strengths=rng.choice(STRENGTHS), feedback=rng.choice(FEEDBACK),
                                complete=not draft_only)
                    no_items = [i for i, a in answers.items() if a.answer == "no"]
                    if no_items:
                        add_follow_up_action(session, actor=supervisor, review_id=review_id, item_id=no_items[0],
                                             draft=ImprovementActionDraft(
                                                 text=rng.choice(ACTIONS), owner_person=person,
                                                 owner_staff_member_id=staff_ids[person],
                                                 due_on=day + timedelta(days=rng.choice([14, 30, 45])),
                                                 priority=rng.choice(["high", "medium"]),
                                                 status="done" if months_back >= 2 else "not_started",
                                                 progress_notes="Checked at the next review: the file now holds it."
                                                 if months_back >= 2 else ""))
                    if not draft_only and months_back >= 1 and person == "Mariam Haddad" and caseworker_account:
                        caseworker = Actor(account_id=caseworker_account, name=person,
                                           roles=frozenset({Role.CASEWORKER}), agency_id=agency_id,
                                           staff_member_id=staff_ids[person])
                        acknowledge_review(session, actor=caseworker, review_id=review_id)
