"""A country programme's supervision for the benchmark: 12 teams (12 supervisors, 70 caseworkers: ten teams of 6
and two of 5) in one agency, working Sunday to Thursday with Jordan's public holidays. People and teams go
through the services, as an administrator would enter them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Engine

from accounts.services import AccountDraft, create_account, create_agency
from accounts.staff import StaffDraft
from accounts.staff_services import assign_to_team, create_staff, create_team
from core.actor import SYSTEM, Actor, Role
from core.db import session_scope
from supervision.services.calendars import CalendarSettings, save_working_calendar

TEAM_SIZES = (6,) * 10 + (5,) * 2


@dataclass(frozen=True)
class SupervisionBench:
    agency_id: int
    team_ids: tuple[int, ...]
    supervisor_account_id: int  # the first team's supervisor
    manager_account_id: int
    caseworkers: int


def build_supervision(engine: Engine, *, today: date | None = None) -> SupervisionBench:
    today = today or date.today()
    teams: list[int] = []
    with session_scope(engine) as session:
        agency = create_agency(session, actor=SYSTEM, name="Bench supervision agency")
        first_supervisor = None
        for number, size in enumerate(TEAM_SIZES, start=1):
            team = create_team(session, actor=SYSTEM, name=f"Supervision team {number:02d}", agency_id=agency)
            teams.append(team)
            supervisor = create_staff(session, actor=SYSTEM, draft=StaffDraft(
                full_name=f"Supervisor {number:02d}", programme_role="supervisor", agency_id=agency,
                start_date=today - timedelta(days=900 + number), gender="female" if number % 2 else "male"))
            assign_to_team(session, actor=SYSTEM, staff_member_id=supervisor, team_id=team,
                           from_date=today - timedelta(days=400), as_supervisor=True)
            first_supervisor = first_supervisor or supervisor
            for person in range(1, size + 1):
                staff = create_staff(session, actor=SYSTEM, draft=StaffDraft(
                    full_name=f"Caseworker {number:02d}.{person}", programme_role="caseworker", agency_id=agency,
                    start_date=today - timedelta(days=30 * (person * number % 20)),
                    gender="female" if person % 2 else "male"))
                assign_to_team(session, actor=SYSTEM, staff_member_id=staff, team_id=team,
                               from_date=today - timedelta(days=400))
        supervisor_account, _ = create_account(session, actor=SYSTEM, draft=AccountDraft(
            username="bench-calendar-supervisor", display_name="Supervisor 01", roles=[Role.SUPERVISOR.value],
            agency_id=agency, staff_member_id=first_supervisor), must_change_password=False)
        manager_account, _ = create_account(session, actor=SYSTEM, draft=AccountDraft(
            username="bench-calendar-manager", display_name="Bench manager", roles=[Role.MANAGER.value],
            agency_id=agency), must_change_password=False)
    manager = Actor(account_id=manager_account, name="Bench manager", roles=frozenset({Role.MANAGER}),
                    agency_id=agency)
    with session_scope(engine, actor=manager) as session:
        save_working_calendar(session, actor=manager, settings=CalendarSettings(
            (6, 0, 1, 2, 3), "08:00", "16:00", 300, "Asia/Amman", "JO"))
    return SupervisionBench(agency, tuple(teams), supervisor_account, manager_account, sum(TEAM_SIZES))
