"""Supervision calendars through the services, on SQLite and PostgreSQL: a team's calendar generated on a
Sunday-to-Thursday week with Jordan's public holidays, regenerated around what was recorded, an infeasible plan
reported with its nearest fit, the .ics and PDF exports read back, access by id, actions agreed in a session, the
command line, closure days imported, and held vs planned, standards and ratios."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from io import BytesIO
from itertools import pairwise

import icalendar
import pytest
import recurring_ical_events
from pypdf import PdfReader
from sqlalchemy import func, select

import app.wiring  # noqa: F401  (the review and caseload counters registered, as at start-up)
from accounts.services import create_agency
from accounts.staff import StaffDraft
from accounts.staff_services import assign_to_team, create_staff, create_team
from core.actor import SYSTEM, Actor
from core.db import session_scope
from core.errors import Forbidden, ValidationFailed
from core.i18n import t
from improvement_actions.models import ImprovementAction
from improvement_actions.rules import ImprovementActionDraft
from supervision import reports
from supervision.__main__ import main
from supervision.generator import Reason, TeamInput, occurrences
from supervision.models import ClosureDay, SupervisionSession
from supervision.plan import Activity
from supervision.services import calendars, compliance, sessions
from supervision.services.calendars import CalendarSettings
from supervision.services.generation import GenerationOutcome, generate_calendar, team_people
from supervision.services.plans import plan_of
from supervision.working_time import public_holidays
from tests.conftest import actor_for, make_account

JOINED = date(2026, 1, 4)  # everyone's stay in their team starts here (a Sunday, before the real today)
SUN_THU = (6, 0, 1, 2, 3)
DAY_STARTS, DAY_ENDS, CAP = time(8), time(16), 240
MONDAY = date(2027, 1, 4)  # the fixed "today" of the 2027 calendars
Q1 = (MONDAY, date(2027, 3, 31))  # holds Isra' and Mi'raj (5 Jan) and Eid al-Fitr (9-11 March)
AUTUMN_TODAY = date(2026, 10, 4)  # a Sunday in the past: sessions there can be recorded as held on their day
AUTUMN = (AUTUMN_TODAY, date(2026, 12, 31))
EAST_CASEWORKERS = (("Mariam Haddad", "female"), ("Joseph Banda", "male"), ("Grace Achieng", "female"),
                    ("Yusuf Karim", "male"))


@dataclass
class Org:
    brightpath: int
    horizon: int
    east: int
    west: int
    ana: int  # East's supervisor
    samuel: int  # West's supervisor
    caseworkers: dict[str, int]  # East's caseworkers by name
    leila: int  # West's caseworker
    manager: Actor  # Brightpath's manager
    supervisor: Actor  # Ana
    west_supervisor: Actor  # Samuel
    mariam: Actor  # a caseworker of East
    joseph: Actor  # another
    horizon_manager: Actor


def _staff(session, agency: int, name: str, role: str, *, team: int | None = None, supervisor: bool = False,
           start: date = date(2022, 3, 1), gender: str = "female", joined: date = JOINED) -> int:
    staff_id = create_staff(session, actor=SYSTEM, draft=StaffDraft(
        full_name=name, programme_role=role, agency_id=agency, start_date=start, gender=gender))
    if team is not None:
        assign_to_team(session, actor=SYSTEM, staff_member_id=staff_id, team_id=team, from_date=joined,
                       as_supervisor=supervisor)
    return staff_id


def _save_calendar(engine, manager: Actor, *, cap: int = CAP) -> None:
    with session_scope(engine, actor=manager) as session:
        calendars.save_working_calendar(session, actor=manager, settings=CalendarSettings(
            SUN_THU, DAY_STARTS.strftime("%H:%M"), DAY_ENDS.strftime("%H:%M"), cap, "Asia/Amman", "JO"))


@pytest.fixture
def org(engine) -> Org:
    with session_scope(engine) as session:
        brightpath = create_agency(session, actor=SYSTEM, name="Brightpath")
        horizon = create_agency(session, actor=SYSTEM, name="Horizon")
        east = create_team(session, actor=SYSTEM, name="East", agency_id=brightpath)
        west = create_team(session, actor=SYSTEM, name="West", agency_id=brightpath)
        ana = _staff(session, brightpath, "Ana Pereira", "supervisor", team=east, supervisor=True,
                     start=date(2018, 2, 1))
        samuel = _staff(session, brightpath, "Samuel Mensah", "supervisor", team=west, supervisor=True,
                        gender="male")
        caseworkers = {name: _staff(session, brightpath, name, "caseworker", team=east, gender=gender,
                                    start=date(2022, 3 + n, 1))
                       for n, (name, gender) in enumerate(EAST_CASEWORKERS)}
        leila = _staff(session, brightpath, "Leila Nasser", "caseworker", team=west)

    def account(username: str, roles: list[str], staff: int | None = None, agency: str = "Brightpath") -> Actor:
        return actor_for(engine, make_account(engine, username=username, roles=roles, agency=agency,
                                              staff_member_id=staff))

    org = Org(brightpath, horizon, east, west, ana, samuel, caseworkers, leila,
              manager=account("nadia-manager", ["manager"]),
              supervisor=account("ana-supervisor", ["supervisor"], ana),
              west_supervisor=account("samuel-supervisor", ["supervisor"], samuel),
              mariam=account("mariam-caseworker", ["caseworker"], caseworkers["Mariam Haddad"]),
              joseph=account("joseph-caseworker", ["caseworker"], caseworkers["Joseph Banda"]),
              horizon_manager=account("omar-manager", ["manager"], agency="Horizon"))
    _save_calendar(engine, org.manager)
    return org


def _generate(engine, actor: Actor, team_id: int, period: tuple[date, date], today: date) -> GenerationOutcome:
    with session_scope(engine, actor=actor) as session:
        return generate_calendar(session, actor=actor, team_id=team_id, first=period[0], last=period[1],
                                 today=today)


def _sessions(engine, actor: Actor, **filters) -> list[sessions.SessionView]:
    with session_scope(engine, actor=actor) as session:
        return sessions.list_sessions(session, actor=actor, **filters)


def _by_id(engine, actor: Actor, team_id: int) -> dict[int, sessions.SessionView]:
    return {v.id: v for v in _sessions(engine, actor, team_id=team_id)}


def _free_time(views: list[sessions.SessionView], view: sessions.SessionView, day: date | None = None) -> datetime:
    """A start on ``day`` (the session's own by default), in working hours, that overlaps no other session of
    the team (the supervisor is in all of them) and keeps the supervisor's day within the cap."""
    day = day or view.starts_at.date()
    others = [v for v in views if v.starts_at.date() == day and v.id != view.id and v.status != "cancelled"]
    start = datetime.combine(day, DAY_STARTS)
    while start + timedelta(minutes=view.minutes) <= datetime.combine(day, DAY_ENDS):
        end = start + timedelta(minutes=view.minutes)
        if start != view.starts_at and all(end <= v.starts_at or start >= v.ends_at for v in others) \
                and sum(v.minutes for v in others) + view.minutes <= CAP:
            return start
        start += timedelta(minutes=15)
    raise AssertionError(f"no free time on {day}")


def _move(engine, actor: Actor, view: sessions.SessionView, starts_at: datetime) -> None:
    with session_scope(engine, actor=actor) as session:
        sessions.move_session(session, actor=actor, session_id=view.id, starts_at=starts_at, minutes=view.minutes)


def _bookings(views: list[sessions.SessionView], members: set[int]) -> dict[tuple[int, date], list]:
    """Who is busy when: the supervisor in every session, a caseworker in theirs and in every team meeting."""
    busy: dict[tuple[int, date], list] = defaultdict(list)
    for v in views:
        people = {v.supervisor_id} | ({v.caseworker_id} if v.caseworker_id else members)
        for person in people:
            busy[(person, v.starts_at.date())].append((v.starts_at, v.ends_at, v.id))
    return busy


# 1. A generated calendar -----------------------------------------------------------------------------------------


def test_a_generated_calendar_keeps_to_working_days_holidays_hours_people_and_the_daily_cap(engine, org):
    outcome = _generate(engine, org.manager, org.east, Q1, MONDAY)
    views = _sessions(engine, org.manager, team_id=org.east)
    assert outcome.feasible, outcome.unplaced
    assert outcome.created == len(views) > 0 and {v.status for v in views} == {"planned"}
    assert all(Q1[0] <= v.starts_at.date() <= Q1[1] for v in views)

    # Every caseworker has individual supervision in every Sunday-to-Thursday week of the period.
    weeks = {Q1[0] + timedelta(days=n) - timedelta(days=(Q1[0] + timedelta(days=n)).isoweekday() % 7)
             for n in range((Q1[1] - Q1[0]).days + 1)}
    for name, staff_id in org.caseworkers.items():
        mine = [v for v in views if v.caseworker_id == staff_id and v.activity == Activity.INDIVIDUAL]
        assert {v.starts_at.date() - timedelta(days=v.starts_at.isoweekday() % 7) for v in mine} == weeks, name
        assert {v.caseworker_name for v in mine} == {name}
    assert any(v.caseworker_id is None and v.activity == Activity.TEAM_MEETING for v in views)

    # Nothing on a Friday, a Saturday or a Jordanian public holiday; nothing outside working hours.
    holidays = public_holidays("JO", [2027])
    assert {date(2027, 1, 5), date(2027, 3, 9), date(2027, 3, 10), date(2027, 3, 11)} <= set(holidays)
    assert not [v for v in views if v.starts_at.weekday() in (4, 5)]
    assert not [v for v in views if v.starts_at.date() in holidays]
    assert all(v.starts_at.time() >= DAY_STARTS and v.ends_at.time() <= DAY_ENDS
               and v.ends_at.date() == v.starts_at.date() for v in views)

    # Nobody booked twice (a team meeting books every caseworker), and the supervisor's day within the cap.
    assert {v.supervisor_id for v in views} == {org.ana}
    for (person, day), booked in _bookings(views, set(org.caseworkers.values())).items():
        booked.sort()
        for (_s1, end, first_id), (start, _e2, second_id) in pairwise(booked):
            assert end <= start, f"staff {person} double-booked on {day}: sessions {first_id} and {second_id}"
    per_day: dict[date, int] = defaultdict(int)
    for v in views:
        per_day[v.starts_at.date()] += v.minutes
    assert max(per_day.values()) <= CAP


# 2. Regeneration -------------------------------------------------------------------------------------------------


def test_regenerating_keeps_held_moved_and_missed_sessions_exactly_as_recorded(engine, org):
    _generate(engine, org.manager, org.east, AUTUMN, AUTUMN_TODAY)
    views = _sessions(engine, org.supervisor, team_id=org.east)
    individual = [v for v in views if v.activity == Activity.INDIVIDUAL and v.starts_at.date() < date(2026, 11, 1)]
    held, moving, missed = individual[0], individual[5], individual[9]
    with session_scope(engine, actor=org.supervisor) as session:
        sessions.mark_held(session, actor=org.supervisor, session_id=held.id, held_on=held.starts_at.date(),
                           minutes=50, notes="Went through two follow-up plans.")
        sessions.mark_missed(session, actor=org.supervisor, session_id=missed.id, reason="emergency",
                             note="Flooding in the camp.")
    _move(engine, org.supervisor, moving, _free_time(views, moving))
    before = _by_id(engine, org.supervisor, org.east)
    recorded = {i: before[i] for i in (held.id, moving.id, missed.id)}
    assert recorded[held.id].status == "held" and recorded[missed.id].status == "missed"
    assert recorded[moving.id].starts_at != moving.starts_at and recorded[moving.id].touched

    outcome = _generate(engine, org.supervisor, org.east, AUTUMN, AUTUMN_TODAY)
    after = _by_id(engine, org.supervisor, org.east)
    assert outcome.created == 0 and set(after) == set(before)
    for session_id, was in recorded.items():
        now = after[session_id]
        assert (now.starts_at, now.minutes, now.status, now.notes, now.held_on, now.held_minutes,
                now.missed_reason, now.missed_note, now.sequence) == \
            (was.starts_at, was.minutes, was.status, was.notes, was.held_on, was.held_minutes,
             was.missed_reason, was.missed_note, was.sequence), was.status
        twins = [v for v in after.values() if (v.activity, v.caseworker_id, v.due_on) ==
                 (was.activity, was.caseworker_id, was.due_on) and v.status != "cancelled"]
        assert [v.id for v in twins] == [session_id]  # no second session for the same week


def test_refreshing_the_calendar_with_nothing_changed_moves_no_planned_session(engine, org):
    _generate(engine, org.manager, org.east, AUTUMN, AUTUMN_TODAY)
    first = _sessions(engine, org.supervisor, team_id=org.east)
    held = next(v for v in first if v.activity == Activity.INDIVIDUAL)
    with session_scope(engine, actor=org.supervisor) as session:  # held when it was planned, for as long
        sessions.mark_held(session, actor=org.supervisor, session_id=held.id, held_on=held.starts_at.date(),
                           minutes=held.minutes, notes="")
    same_day = _generate(engine, org.manager, org.east, AUTUMN, AUTUMN_TODAY)
    next_day = _generate(engine, org.manager, org.east, AUTUMN, AUTUMN_TODAY + timedelta(days=1))
    after = _by_id(engine, org.supervisor, org.east)
    moved = [v for v in first if v.starts_at >= datetime.combine(AUTUMN_TODAY + timedelta(days=1), time())
             and after[v.id].starts_at != v.starts_at]
    assert (same_day.moved, next_day.moved, len(moved)) == (0, 0, 0)


def test_a_caseworker_who_leaves_has_their_future_sessions_cancelled_not_deleted(engine, org):
    _generate(engine, org.manager, org.east, Q1, MONDAY)
    joseph = org.caseworkers["Joseph Banda"]
    before = _by_id(engine, org.manager, org.east)
    leaves = date(2027, 2, 1)
    with session_scope(engine) as session:  # moved to West: the stay in East ends
        assign_to_team(session, actor=SYSTEM, staff_member_id=joseph, team_id=org.west, from_date=leaves)
    outcome = _generate(engine, org.manager, org.east, Q1, MONDAY)
    after = _by_id(engine, org.manager, org.east)
    assert set(after) == set(before)  # nothing deleted
    gone = [v for v in after.values() if v.caseworker_id == joseph and v.starts_at.date() > leaves]
    stayed = [v for v in after.values() if v.caseworker_id == joseph and v.starts_at.date() < leaves]
    assert gone and stayed
    assert {(v.status, v.cancel_reason) for v in gone} == {("cancelled", "plan_changed")}
    assert all(v.sequence > before[v.id].sequence for v in gone)  # calendars that imported them learn it
    assert {v.status for v in stayed} == {"planned"}
    assert outcome.cancelled >= len(gone)
    others = [v for v in after.values() if v.caseworker_id not in (joseph, None)]
    assert {v.status for v in others} == {"planned"}


def test_on_the_day_a_caseworker_moves_team_the_old_team_has_no_session_with_them(engine, org):
    from accounts.staff_services import current_team_of

    _generate(engine, org.manager, org.east, Q1, MONDAY)
    joseph = org.caseworkers["Joseph Banda"]
    moves = next(v for v in _sessions(engine, org.manager, team_id=org.east)
                 if v.caseworker_id == joseph and v.starts_at.date() > date(2027, 2, 1)).starts_at.date()
    with session_scope(engine) as session:
        assign_to_team(session, actor=SYSTEM, staff_member_id=joseph, team_id=org.west, from_date=moves)
        assert current_team_of(session, joseph, on=moves) == org.west
    _generate(engine, org.manager, org.east, Q1, MONDAY)
    that_day = [v for v in _sessions(engine, org.manager, team_id=org.east, include_cancelled=False)
                if v.caseworker_id == joseph and v.starts_at.date() == moves]
    assert that_day == []


def test_a_closure_day_added_later_moves_that_days_sessions_to_another_day(engine, org):
    _generate(engine, org.manager, org.east, Q1, MONDAY)
    before = _by_id(engine, org.manager, org.east)
    day = date(2027, 2, 8)
    on_day = [v for v in before.values() if v.starts_at.date() == day]
    assert on_day
    with session_scope(engine, actor=org.manager) as session:
        calendars.add_closure_day(session, actor=org.manager, day=day, name="Staff retreat")
    outcome = _generate(engine, org.manager, org.east, Q1, MONDAY)
    after = _by_id(engine, org.manager, org.east)
    assert outcome.feasible and outcome.moved >= len(on_day)
    assert not [v for v in after.values() if v.starts_at.date() == day and v.status != "cancelled"]
    for v in on_day:  # the same sessions, on another working day
        now = after[v.id]
        assert now.status == "planned" and now.starts_at.date() != day and now.starts_at.weekday() not in (4, 5)
        assert now.sequence > v.sequence


# 3. An infeasible plan --------------------------------------------------------------------------------------------


def _large_team(engine, org) -> tuple[int, dict[int, str]]:
    """Horizon's team of 12 caseworkers, whose supervisor has two hours a day for supervision."""
    with session_scope(engine) as session:
        team = create_team(session, actor=SYSTEM, name="Large", agency_id=org.horizon)
        _staff(session, org.horizon, "Omar Saleh", "supervisor", team=team, supervisor=True, start=date(2015, 1, 1))
        names = {}
        for n in range(12):
            name = f"Field Worker {n + 1:02d}"
            names[_staff(session, org.horizon, name, "caseworker", team=team, start=date(2023, 1 + n, 1))] = name
    _save_calendar(engine, org.horizon_manager, cap=120)
    return team, names


def test_an_infeasible_plan_lists_every_unplaced_session_with_a_reason_and_a_proposal(engine, org):
    team, names = _large_team(engine, org)
    period = (date(2027, 2, 1), date(2027, 2, 28))
    outcome = _generate(engine, org.horizon_manager, team, period, period[0])
    assert not outcome.feasible and outcome.needed_minutes > outcome.available_minutes
    reasons = {Reason.NO_SUPERVISOR, Reason.NO_WORKING_DAY, Reason.DAILY_CAP, Reason.NO_FREE_TIME,
               Reason.LONGER_THAN_DAY}
    for item in outcome.unplaced:
        assert item.activity in {a.value for a in Activity}
        assert item.reason in reasons
        if Activity(item.activity).whole_team:
            assert item.person == ""
        else:
            assert item.person in names.values()
        assert item.window_start <= item.window_end and item.minutes > 0
    assert {u.activity for u in outcome.unplaced} & {Activity.INDIVIDUAL.value, Activity.CASE_FILE_REVIEW.value,
                                                      Activity.OBSERVATION.value}
    assert outcome.proposal is not None and outcome.proposal.changes
    for change in outcome.proposal.changes:
        assert change.field in ("minutes", "frequency") and change.before != change.after
    assert len(outcome.proposal.result.unplaced) < len(outcome.unplaced)

    # Nothing silently dropped: what was placed and what was not make every occurrence of the period.
    with session_scope(engine) as session:
        plan = plan_of(session, team)
        calendar = calendars.working_calendar_of(session, org.horizon, [2027])
        supervisor, caseworkers = team_people(session, team, *period)
        stored = session.scalar(select(func.count()).select_from(SupervisionSession).where(
            SupervisionSession.team_id == team))
    due = occurrences(plan, calendar, TeamInput(supervisor, caseworkers), *period)
    assert stored == outcome.created
    assert outcome.created + len(outcome.unplaced) == len(due)


# 4. The .ics export -----------------------------------------------------------------------------------------------


def _ics(engine, actor: Actor, scope: reports.Scope) -> icalendar.Calendar:
    with session_scope(engine, actor=actor) as session:
        return icalendar.Calendar.from_ical(reports.export_calendar_ics(session, actor=actor, scope=scope))


def _expanded(cal: icalendar.Calendar, first: date, last: date) -> list:
    return recurring_ical_events.of(cal).between(datetime.combine(first, time()),
                                                 datetime.combine(last + timedelta(days=1), time()))


def _local(moment: datetime) -> datetime:
    assert str(moment.tzinfo) == "Asia/Amman"
    return moment.replace(tzinfo=None)


def _shown(events: list) -> set[tuple[datetime, str]]:
    return {(_local(e["DTSTART"].dt), str(e["SUMMARY"])) for e in events if e.get("STATUS") != "CANCELLED"}


def _expected(views: list[sessions.SessionView]) -> set[tuple[datetime, str]]:
    return {(v.starts_at, f"{t(f'activity.{v.activity}')} — {v.with_whom}") for v in views
            if v.status != "cancelled"}


def _sequences(cal: icalendar.Calendar) -> dict[str, int]:
    found: dict[str, int] = {}
    for event in cal.walk("VEVENT"):
        found[str(event["UID"])] = max(found.get(str(event["UID"]), 0), int(event["SEQUENCE"]))
    return found


def test_the_ics_export_is_a_published_calendar_that_expands_to_the_sessions(engine, org):
    closed = [date(2027, 2, 14) + timedelta(days=n) for n in range(5)]  # a whole Sunday-to-Thursday week
    csv = "date,name\n" + "".join(f"{d.isoformat()},Training week\n" for d in closed)
    with session_scope(engine, actor=org.manager) as session:
        assert calendars.import_closure_days(session, actor=org.manager, filename="closed.csv",
                                             content=csv.encode()) == 5
    outcome = _generate(engine, org.manager, org.east, Q1, MONDAY)
    # That week has no working day: each caseworker's weekly session is reported, not dropped.
    assert {(u.activity, u.reason) for u in outcome.unplaced} == {(Activity.INDIVIDUAL.value,
                                                                   Reason.NO_WORKING_DAY)}
    assert len(outcome.unplaced) == len(org.caseworkers)

    team = reports.Scope(org.east, "team")
    cal = _ics(engine, org.manager, team)
    assert str(cal["METHOD"]) == "PUBLISH" and str(cal["PRODID"]) == reports.PRODID
    assert [str(z["TZID"]) for z in cal.walk("VTIMEZONE")] == ["Asia/Amman"]
    events = cal.walk("VEVENT")
    assert events and all("DTSTAMP" in e for e in events)

    # Weekly individual supervision is one recurring event per caseworker, the closed week excluded.
    series = [e for e in events if "RRULE" in e and str(e["SUMMARY"]).startswith("Individual supervision")]
    assert len(series) == len(org.caseworkers)
    for master in series:
        assert master["RRULE"]["FREQ"] == ["WEEKLY"] and master["RRULE"]["INTERVAL"] == [1]
        exdates = master["EXDATE"] if isinstance(master["EXDATE"], list) else [master["EXDATE"]]
        excluded = {d.dt.date() for x in exdates for d in x.dts}
        assert len(excluded & set(closed)) == 1, str(master["SUMMARY"])

    views = _sessions(engine, org.manager, team_id=org.east)
    assert _shown(_expanded(cal, *Q1)) == _expected(views)
    again = _ics(engine, org.manager, team)
    assert _sequences(again) == _sequences(cal)  # same UIDs, nothing changed

    # Moving one session: same UIDs, a higher SEQUENCE for its event, and the new time after expansion.
    moving = next(v for v in views if v.activity == Activity.INDIVIDUAL and v.caseworker_name == "Grace Achieng"
                  and v.starts_at.date() == date(2027, 1, 27))
    new_time = _free_time(views, moving, date(2027, 1, 26))
    _move(engine, org.manager, moving, new_time)
    moved_cal = _ics(engine, org.manager, team)
    before, after = _sequences(cal), _sequences(moved_cal)
    assert set(after) == set(before)
    graces = next(str(e["UID"]) for e in series if str(e["SUMMARY"]) == "Individual supervision — Grace Achieng")
    assert {uid for uid in after if after[uid] != before[uid]} == {graces} and after[graces] > before[graces]
    shown = _shown(_expanded(moved_cal, *Q1))
    assert (new_time, "Individual supervision — Grace Achieng") in shown
    assert (moving.starts_at, "Individual supervision — Grace Achieng") not in shown
    assert shown == _expected(_sessions(engine, org.manager, team_id=org.east))

    # A cancelled session is published as cancelled; the expansion keeps it, marked CANCELLED.
    dropping = next(v for v in views if v.activity == Activity.INDIVIDUAL and v.caseworker_name == "Mariam Haddad"
                    and v.starts_at.date() > date(2027, 2, 1))
    with session_scope(engine, actor=org.manager) as session:
        sessions.cancel_session(session, actor=org.manager, session_id=dropping.id)
    cancelled_cal = _ics(engine, org.manager, team)
    assert set(_sequences(cancelled_cal)) == set(before)
    expanded = _expanded(cancelled_cal, *Q1)
    at_that_time = [e for e in expanded if _local(e["DTSTART"].dt) == dropping.starts_at
                    and str(e["SUMMARY"]) == "Individual supervision — Mariam Haddad"]
    assert [str(e["STATUS"]) for e in at_that_time] == ["CANCELLED"]
    assert _shown(expanded) == _expected(_sessions(engine, org.manager, team_id=org.east))


def test_caseworker_and_supervisor_scopes_export_their_own_sessions(engine, org):
    _generate(engine, org.manager, org.east, (MONDAY, date(2027, 2, 28)), MONDAY)
    period = (date(2027, 1, 1), date(2027, 2, 28))
    mariam = org.caseworkers["Mariam Haddad"]
    own = _ics(engine, org.mariam, reports.Scope(org.east, "caseworker", mariam))
    shown = _shown(_expanded(own, *period))
    assert shown == _expected(_sessions(engine, org.mariam, team_id=org.east))
    summaries = {s for _t, s in shown}
    assert {"Individual supervision — Mariam Haddad", "Case management meeting — whole team"} <= summaries
    assert all(s.endswith(("— Mariam Haddad", "— whole team")) for s in summaries), summaries
    by_manager = _ics(engine, org.manager, reports.Scope(org.east, "caseworker", mariam))
    assert _sequences(by_manager) == _sequences(own)

    supervisor = _ics(engine, org.supervisor, reports.Scope(org.east, "supervisor", org.ana))
    assert "Ana Pereira" in str(supervisor["X-WR-CALNAME"])
    assert _shown(_expanded(supervisor, *period)) == _expected(_sessions(engine, org.manager, team_id=org.east))


# 5. The PDF export ------------------------------------------------------------------------------------------------


HOSTILE = "Rana <b>x</b> & =cmd()"


def test_the_printable_calendar_is_landscape_a4_or_letter_with_names_as_written(engine, org):
    with session_scope(engine) as session:
        _staff(session, org.brightpath, HOSTILE, "caseworker", team=org.east)
    period = (date(2027, 2, 1), date(2027, 2, 28))
    _generate(engine, org.manager, org.east, period, period[0])
    texts = {}
    for page in ("a4", "letter"):
        with session_scope(engine, actor=org.supervisor) as session:
            data = reports.export_calendar_pdf(session, actor=org.supervisor, scope=reports.Scope(org.east, "team"),
                                               first=period[0], last=period[1], page=page)
        reader = PdfReader(BytesIO(data))
        sizes = {(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in reader.pages}
        assert all(w > h for w, h in sizes), sizes
        if page == "letter":
            assert sizes == {(792, 612)}
        else:
            assert sizes == {(842, 595)}
        texts[page] = "\n".join(p.extract_text() for p in reader.pages)
    for text in texts.values():
        assert "Ana Pereira" in text and "February 2027" in text and "Mariam Haddad" in text
        assert HOSTILE in text  # the markup and the formula are shown as typed


# 6. Access by id --------------------------------------------------------------------------------------------------


def test_each_person_reaches_only_the_sessions_they_may_by_id(engine, org):
    _generate(engine, org.manager, org.east, (MONDAY, date(2027, 1, 31)), MONDAY)
    views = _sessions(engine, org.manager, team_id=org.east)
    mariam, joseph = org.caseworkers["Mariam Haddad"], org.caseworkers["Joseph Banda"]
    hers = next(v for v in views if v.caseworker_id == mariam)
    his = next(v for v in views if v.caseworker_id == joseph)
    meeting = next(v for v in views if v.caseworker_id is None)

    with session_scope(engine) as session:
        assert sessions.get_session(session, actor=org.mariam, session_id=hers.id).caseworker_name == \
            "Mariam Haddad"
        assert sessions.get_session(session, actor=org.mariam, session_id=meeting.id).with_whom == "whole team"
        mine = sessions.list_sessions(session, actor=org.mariam)
    assert {v.caseworker_id for v in mine} == {mariam, None}
    assert {v.id for v in mine} == {v.id for v in views if v.caseworker_id in (mariam, None)}
    with pytest.raises(Forbidden), session_scope(engine) as session:
        sessions.get_session(session, actor=org.mariam, session_id=his.id)

    for outsider in (org.west_supervisor, org.horizon_manager):
        with pytest.raises(Forbidden), session_scope(engine) as session:
            sessions.get_session(session, actor=outsider, session_id=his.id)
        with pytest.raises(Forbidden), session_scope(engine, actor=outsider) as session:
            sessions.move_session(session, actor=outsider, session_id=his.id,
                                  starts_at=_free_time(views, his), minutes=his.minutes)
        with session_scope(engine) as session:
            assert sessions.list_sessions(session, actor=outsider, team_id=org.east) == []
    with pytest.raises(Forbidden), session_scope(engine, actor=org.west_supervisor) as session:
        generate_calendar(session, actor=org.west_supervisor, team_id=org.east, first=MONDAY,
                          last=date(2027, 1, 31), today=MONDAY)
    with pytest.raises(Forbidden), session_scope(engine, actor=org.mariam) as session:
        sessions.move_session(session, actor=org.mariam, session_id=hers.id, starts_at=_free_time(views, hers),
                              minutes=hers.minutes)
    assert _by_id(engine, org.manager, org.east)[his.id].starts_at == his.starts_at

    with pytest.raises(Forbidden), session_scope(engine, actor=org.mariam) as session:
        reports.export_calendar_ics(session, actor=org.mariam, scope=reports.Scope(org.east, "team"))
    with pytest.raises(Forbidden), session_scope(engine, actor=org.mariam) as session:
        reports.export_calendar_ics(session, actor=org.mariam, scope=reports.Scope(org.east, "caseworker", joseph))
    with pytest.raises(Forbidden), session_scope(engine, actor=org.west_supervisor) as session:
        reports.export_calendar_pdf(session, actor=org.west_supervisor, scope=reports.Scope(org.east, "team"),
                                    first=MONDAY, last=date(2027, 1, 31))


# 7. Actions agreed in a session -----------------------------------------------------------------------------------


def test_actions_agreed_in_a_session_are_improvement_actions_the_caseworker_tracks(engine, org):
    _generate(engine, org.manager, org.east, (MONDAY, date(2027, 1, 31)), MONDAY)
    mariam = org.caseworkers["Mariam Haddad"]
    view = next(v for v in _sessions(engine, org.supervisor, team_id=org.east) if v.caseworker_id == mariam)
    draft = ImprovementActionDraft(text="Update the follow-up log before Thursday.", owner_staff_member_id=mariam,
                                   due_on=view.starts_at.date() + timedelta(days=3))
    with session_scope(engine, actor=org.supervisor) as session:
        action_id = sessions.add_session_action(session, actor=org.supervisor, session_id=view.id, draft=draft)
    with session_scope(engine) as session:
        row = session.get(ImprovementAction, action_id)
        assert (row.source_kind, row.source_record_id) == ("supervision_session", view.id)
        seen = sessions.session_actions(session, actor=org.mariam, session_id=view.id)
    assert [(a.id, a.text, a.source.kind) for a in seen] == [
        (action_id, "Update the follow-up log before Thursday.", "supervision_session")]
    with pytest.raises(ValidationFailed), session_scope(engine, actor=org.supervisor) as session:  # before it
        sessions.add_session_action(session, actor=org.supervisor, session_id=view.id, draft=ImprovementActionDraft(
            text="Too early", owner_staff_member_id=mariam, due_on=view.starts_at.date() - timedelta(days=1)))
    with pytest.raises(Forbidden), session_scope(engine) as session:
        sessions.session_actions(session, actor=org.joseph, session_id=view.id)


# 8. The command line ----------------------------------------------------------------------------------------------


def test_the_command_line_generates_and_writes_the_files_or_says_why_not(engine, org, database_url, tmp_path,
                                                                         monkeypatch, capsys):
    monkeypatch.setenv("CPCM_DATABASE_URL", database_url)
    # The command line generates from the real today: four weeks from the first Monday of a coming month, so
    # no window of the plan is cut short by the period's edges (a week starting mid-week, a two-month window's
    # last days), whatever day the suite runs.
    first = date.today() + timedelta(days=7)
    while first.weekday() != 0 or first.day > 7:
        first += timedelta(days=1)
    period = ["--from", first.isoformat(), "--to", (first + timedelta(days=27)).isoformat()]
    ics, pdf = tmp_path / "east.ics", tmp_path / "east.pdf"
    assert main(["calendar", "--team", "east", *period, "--ics", str(ics), "--pdf", str(pdf),
                 "--page", "letter"]) == 0
    cal = icalendar.Calendar.from_ical(ics.read_bytes())
    assert cal.walk("VEVENT") and PdfReader(pdf).pages[0].mediabox.width == 792
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(SupervisionSession).where(
            SupervisionSession.team_id == org.east)) > 0
    capsys.readouterr()

    assert main(["calendar", "--team", "Nowhere", *period, "--ics", str(tmp_path / "x.ics")]) == 2
    assert "No team named 'Nowhere'." in capsys.readouterr().err
    assert not (tmp_path / "x.ics").exists()

    backwards = ["--from", period[3], "--to", period[1]]
    assert main(["calendar", "--team", "East", *backwards]) == 2
    assert "The last day must not be before the first." in capsys.readouterr().err

    _large_team(engine, org)
    assert main(["calendar", "--team", "Large", *period, "--ics", str(tmp_path / "large.ics")]) == 3
    err = capsys.readouterr().err
    assert "sessions could not be placed:" in err and "Field Worker" in err
    assert (tmp_path / "large.ics").exists()  # what fits is stored and exported


# 9. Closure days imported -----------------------------------------------------------------------------------------


def _closures(engine, org) -> dict[date, str]:
    with session_scope(engine) as session:
        return {c.day: c.name for c in session.scalars(select(ClosureDay).where(
            ClosureDay.agency_id == org.brightpath)).all()}


def test_closure_days_are_imported_all_or_nothing_naming_the_bad_line(engine, org):
    good = b"date,name\n2027-04-04,Office move\n2027-04-05,  Office   move  \n"
    with session_scope(engine, actor=org.manager) as session:
        assert calendars.import_closure_days(session, actor=org.manager, filename="days.csv", content=good) == 2
    assert _closures(engine, org) == {date(2027, 4, 4): "Office move", date(2027, 4, 5): "Office move"}
    with session_scope(engine) as session:
        info = calendars.working_calendar(session, actor=org.manager, year=2027)
    assert {(v.day, v.source) for v in info.closures} >= {(date(2027, 4, 4), "closed"), (date(2027, 1, 5), "holiday")}

    bad = b"date,name\n2027-05-02,Retreat\n02/05/2027,Retreat again\n2027-05-04,\n"
    with pytest.raises(ValidationFailed) as failure, session_scope(engine, actor=org.manager) as session:
        calendars.import_closure_days(session, actor=org.manager, filename="days.csv", content=bad)
    message = failure.value.field_errors["file"]
    assert "Line 3: " in message and "“02/05/2027” is not a date" in message
    assert "Line 4: " in message and "Line 2" not in message
    assert _closures(engine, org) == {date(2027, 4, 4): "Office move", date(2027, 4, 5): "Office move"}
    with pytest.raises(Forbidden), session_scope(engine, actor=org.supervisor) as session:
        calendars.import_closure_days(session, actor=org.supervisor, filename="days.csv", content=good)


# 10. Held vs planned, standards and ratios ------------------------------------------------------------------------


def test_held_vs_planned_and_the_standards_follow_what_was_recorded(engine, org):
    first, as_of = date(2026, 8, 30), date(2026, 11, 15)  # the standard looks at the eight weeks to as_of
    _generate(engine, org.manager, org.east, (first, date(2026, 11, 30)), first)
    views = _sessions(engine, org.supervisor, team_id=org.east)
    mariam, joseph = org.caseworkers["Mariam Haddad"], org.caseworkers["Joseph Banda"]

    def individual(staff_id: int) -> list[sessions.SessionView]:
        return [v for v in views if v.caseworker_id == staff_id and v.activity == Activity.INDIVIDUAL
                and v.starts_at.date() <= as_of]

    weekly = individual(mariam)  # held every week
    lapsed = [v for v in individual(joseph) if v.starts_at.date() <= date(2026, 10, 20)]  # then nothing since
    missed = [v for v in individual(joseph) if v not in lapsed][:2]
    with session_scope(engine, actor=org.supervisor) as session:
        for v in weekly + lapsed:
            sessions.mark_held(session, actor=org.supervisor, session_id=v.id, held_on=v.starts_at.date(),
                               minutes=60, notes="")
        for v in missed:
            sessions.mark_missed(session, actor=org.supervisor, session_id=v.id, reason="field_visit")

    with session_scope(engine) as session:
        rows = compliance.held_vs_planned(session, actor=org.supervisor, team_id=org.east, first=first, last=as_of,
                                          today=as_of)
        checks = compliance.standards(session, actor=org.supervisor, team_id=org.east, as_of=as_of)
    by_person = {(r.person, r.activity): r for r in rows}
    hers = by_person[("Mariam Haddad", Activity.INDIVIDUAL.value)]
    his = by_person[("Joseph Banda", Activity.INDIVIDUAL.value)]
    in_period = [v for v in individual(joseph) if v.starts_at < datetime.combine(as_of, time())]
    assert (hers.planned, hers.held, hers.missed, hers.not_recorded) == (len(weekly), len(weekly), 0, 0)
    assert hers.rate == 100
    assert (his.planned, his.held, his.missed, his.not_recorded) == (
        len(individual(joseph)), len(lapsed), len(missed), len(in_period) - len(lapsed) - len(missed))
    assert {r.supervisor for r in rows} == {"Ana Pereira"}
    grace = by_person[("Grace Achieng", Activity.INDIVIDUAL.value)]
    assert grace.held == 0 and grace.not_recorded == grace.planned > 0

    rule = t("standard.individual")
    lights = {c.subject: c.light for c in checks if c.rule == rule}
    assert lights["Mariam Haddad"] == compliance.GREEN
    assert lights["Joseph Banda"] == compliance.RED
    assert lights["Grace Achieng"] == compliance.RED


def test_ratios_show_caseloads_supervisor_load_women_and_experience_with_figures(engine, org):
    today = date.today()
    mariam, joseph = org.caseworkers["Mariam Haddad"], org.caseworkers["Joseph Banda"]
    with session_scope(engine, actor=org.supervisor) as session:
        compliance.add_manual_caseload(session, actor=org.supervisor, team_id=org.east, staff_member_id=mariam,
                                       open_cases=18, high_risk_cases=4, counted_on=today)
        compliance.add_manual_caseload(session, actor=org.supervisor, team_id=org.east, staff_member_id=joseph,
                                       open_cases=22, high_risk_cases=6, counted_on=today)
    with session_scope(engine) as session:
        checks = compliance.ratios(session, actor=org.supervisor, team_id=org.east, as_of=today)
    by_rule = defaultdict(list)
    for check in checks:
        by_rule[check.rule].append(check)
    caseload = {c.subject: c for c in by_rule[t("ratio.caseload", limit=25, weight="2")]}
    assert set(caseload) == set(org.caseworkers)
    assert caseload["Mariam Haddad"].light == compliance.GREEN
    assert caseload["Mariam Haddad"].figure.startswith("18 open cases, 4 high risk: 22 weighted (counted by hand")
    assert caseload["Joseph Banda"].light == compliance.RED  # the 6 high-risk cases count twice: 28, over 25
    assert caseload["Joseph Banda"].figure.startswith("22 open cases, 6 high risk: 28 weighted")
    assert caseload["Grace Achieng"].light == compliance.NONE
    [load] = by_rule[t("ratio.supervisor", limit=6)]
    assert (load.subject, load.light, load.figure) == ("Ana Pereira", compliance.GREEN, "4 caseworkers.")
    [women] = by_rule[t("ratio.female")]
    assert (women.light, women.figure) == (compliance.GREEN, "2 of 4 caseworkers are women (0 not recorded).")
    [experience] = by_rule[t("ratio.experience", years="2")]
    assert (experience.subject, experience.light) == ("Ana Pereira", compliance.GREEN)
    assert experience.figure.endswith("years since the start date in the staff record (1 Feb 2018).")
    [entry] = by_rule[t("ratio.data_entry", limit=100)]
    assert (entry.light, entry.figure) == (compliance.NONE, "No data entry staff in the team (40 open cases).")
