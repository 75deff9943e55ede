"""Example supervision for the example organisation: a working calendar (Sunday to Thursday, Jordan's public
holidays, Amman time), each team's plan, and a generated calendar from six weeks ago to three months ahead with
sessions held (with short notes and an agreed action), missed and moved, so a newcomer sees the supervision pages
populated. Every note is invented."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta

from sqlalchemy.orm import Session

from core.actor import Actor, Role
from core.errors import ValidationFailed
from improvement_actions.rules import ImprovementActionDraft
from supervision.plan import default_plan_data
from supervision.services import calendars, generation, plans, sessions

NOTES = ["Went through the follow-up plan for two high-risk cases; agreed priorities for the week.",
         "Discussed workload and self-care; reviewed the referral pathway for health services.",
         "Worked through a difficult conversation with a caregiver; practised the approach together.",
         "Checked progress on the actions from the last case file review."]
MISSED = [("emergency", "A case emergency took the whole morning."), ("field_visit", "")]


def load_example_supervision(session: Session, *, agency_id: int, staff_ids: Mapping[str, int],
                             teams: Mapping[str, int], supervisors: Mapping[str, tuple[str, int | None]],
                             today: date) -> None:
    manager = Actor(account_id=None, name="Example data", roles=frozenset({Role.MANAGER}), agency_id=agency_id)
    calendars.save_working_calendar(session, actor=manager, settings=calendars.CalendarSettings(
        (6, 0, 1, 2, 3), "08:00", "16:00", 240, "Asia/Amman", "JO"))
    calendars.add_closure_day(session, actor=manager, day=today + timedelta(days=40), name="Staff retreat")
    rng = random.Random(2026)
    for team, (name, account_id) in supervisors.items():
        supervisor = Actor(account_id=account_id, name=name, roles=frozenset({Role.SUPERVISOR}),
                           agency_id=agency_id, staff_member_id=staff_ids.get(name),
                           supervised_team_ids=frozenset({teams[team]}))
        plans.save_team_plan(session, actor=supervisor, team_id=teams[team], content=default_plan_data())
        start = today - timedelta(weeks=6)
        generation.generate_calendar(session, actor=supervisor, team_id=teams[team], first=start,
                                     last=today + timedelta(days=90), today=start, with_proposal=False)
        found = sessions.list_sessions(session, actor=supervisor, team_id=teams[team], first=start, last=today)
        past = [v for v in found if v.starts_at < datetime.combine(today, time(0))]
        for number, view in enumerate(past):
            if number % 9 == 4:
                reason, note = MISSED[number % 2]
                sessions.mark_missed(session, actor=supervisor, session_id=view.id, reason=reason, note=note)
                continue
            if number % 11 == 7:
                continue  # past and not yet recorded: the standards page shows it
            sessions.mark_held(session, actor=supervisor, session_id=view.id, held_on=view.starts_at.date(),
                               minutes=view.minutes, notes=rng.choice(NOTES))
            if view.activity == "individual_supervision" and number % 5 == 0:
                sessions.add_session_action(session, actor=supervisor, session_id=view.id,
                                            draft=ImprovementActionDraft(
                                                text="Update the follow-up log and plan the next home visit.",
                                                owner_person=view.caseworker_name,
                                                owner_staff_member_id=view.caseworker_id,
                                                due_on=view.starts_at.date() + timedelta(days=14),
                                                status="done" if number % 10 == 0 else "not_started",
                                                progress_notes="Log updated; visit booked." if number % 10 == 0
                                                else ""))
        upcoming = sessions.list_sessions(session, actor=supervisor, team_id=teams[team], first=today,
                                          last=today + timedelta(days=21), include_cancelled=False)
        individual = [v for v in upcoming if v.activity == "individual_supervision"]
        for view in individual[:1]:  # one session moved by hand, an hour later if that is free
            try:
                sessions.move_session(session, actor=supervisor, session_id=view.id,
                                      starts_at=view.starts_at + timedelta(hours=1), minutes=view.minutes)
            except ValidationFailed:
                continue
