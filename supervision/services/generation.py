"""Generate or refresh a team's calendar for a period.

Regenerating keeps every session already held, missed, moved, edited, added or cancelled by hand, and every
session in the past; it places the rest around them. A future session the plan still wants keeps its identity
(and is moved only if the plan now puts it elsewhere); one the plan no longer wants (a caseworker left, a
holiday was added) is cancelled, not deleted, so calendars that imported it learn it is off.

A generation is one audited event (with how many sessions it created, moved and cancelled); the new sessions are
written in one statement, each carrying who generated it, and every later change to a session is audited as
usual."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import insert, or_, select
from sqlalchemy.orm import Session

from accounts.models import StaffMember, TeamMembership
from core.actor import Actor
from core.audit import actor_of, binds_actor, record_event
from core.errors import ValidationFailed
from core.i18n import t
from supervision.generator import (
    Booking,
    Person,
    Proposal,
    TeamInput,
    Unplaced,
    generate,
    propose,
)
from supervision.models import SupervisionSession
from supervision.services.access import team_row
from supervision.services.calendars import working_calendar_of
from supervision.services.plans import plan_of
from supervision.working_time import WorkingCalendar

MAX_DAYS = 370  # a month to a year


@dataclass(frozen=True)
class UnplacedView:
    activity: str
    person: str  # the caseworker, or empty for the whole team
    window_start: date
    window_end: date
    minutes: int
    reason: str


@dataclass(frozen=True)
class GenerationOutcome:
    team_name: str
    first: date
    last: date
    created: int
    moved: int
    unchanged: int
    cancelled: int
    kept: int
    unplaced: tuple[UnplacedView, ...]
    proposal: Proposal | None
    needed_minutes: int
    available_minutes: int

    @property
    def feasible(self) -> bool:
        return not self.unplaced


TeamPeople = tuple[Person | None, tuple[Person, ...]]


def team_people(session: Session, team_id: int, first: date, last: date) -> TeamPeople:
    """The team's supervisor and caseworkers over the period, each with the days they are in the team. A stay
    ends the day the next one starts (``to_date`` is the first day no longer in the team, as ``accounts`` keeps
    it), so the last day in the team is the day before."""
    return teams_people(session, [team_id], first, last)[team_id]


def teams_people(session: Session, team_ids: list[int], first: date, last: date) -> dict[int, TeamPeople]:
    """``team_people`` for many teams in one query."""
    rows = session.execute(select(TeamMembership, StaffMember).join(
        StaffMember, StaffMember.id == TeamMembership.staff_member_id).where(
        TeamMembership.team_id.in_(team_ids), TeamMembership.from_date <= last,
        or_(TeamMembership.to_date.is_(None), TeamMembership.to_date > first))
        .order_by(TeamMembership.from_date, TeamMembership.id)).all() if team_ids else []
    supervisors: dict[int, Person] = {}
    stays: dict[int, dict[int, Person]] = {team_id: {} for team_id in team_ids}
    for membership, staff in rows:
        team = membership.team_id
        if membership.role_in_team == "supervisor":
            supervisors[team] = Person(staff.id, str(staff.uuid), staff.full_name, staff.start_date)
            continue
        if staff.programme_role != "caseworker" or not staff.active:
            continue
        earlier = stays[team].get(staff.id)
        begin = min(membership.from_date, earlier.active_from) if earlier and earlier.active_from else \
            membership.from_date
        last_day = membership.to_date - timedelta(days=1) if membership.to_date is not None else None
        end = None if last_day is None or (earlier and earlier.active_to is None) else \
            max(last_day, earlier.active_to) if earlier and earlier.active_to else last_day
        stays[team][staff.id] = Person(staff.id, str(staff.uuid), staff.full_name, staff.start_date, begin, end)
    return {team_id: (supervisors.get(team_id), tuple(sorted(stays[team_id].values(), key=lambda p: p.id)))
            for team_id in team_ids}


def _is_kept(row: SupervisionSession, today: date) -> bool:
    if row.status in ("held", "missed") or row.touched or row.origin == "manual":
        return True
    if row.status == "cancelled":
        return row.cancel_reason != "plan_changed"
    return row.starts_at.date() < today


def _people_of(row: SupervisionSession, members: tuple[int, ...]) -> frozenset[int]:
    people = {row.supervisor_id} if row.supervisor_id else set()
    people |= {row.caseworker_id} if row.caseworker_id else set(members)
    return frozenset(p for p in people if p is not None)


def _team_input(session: Session, team_id: int, first: date, last: date,
                today: date) -> tuple[TeamInput, list[SupervisionSession]]:
    supervisor, caseworkers = team_people(session, team_id, first, last)
    members = tuple(p.id for p in caseworkers)
    rows = session.scalars(select(SupervisionSession).where(SupervisionSession.team_id == team_id)).all()
    kept, satisfied = [], set()
    lo, hi = datetime.combine(first, datetime.min.time()), datetime.combine(last + timedelta(days=1),
                                                                              datetime.min.time())
    for row in rows:
        if not _is_kept(row, today):
            continue
        satisfied.add(row.occurrence_key)
        if row.status != "cancelled" and lo <= row.starts_at < hi:
            kept.append(Booking(row.starts_at, row.minutes, _people_of(row, members),
                                row.minutes if row.supervisor_id else 0))
    people = {p.id for p in caseworkers} | ({supervisor.id} if supervisor else set())
    if people:  # the same people's sessions in other teams' calendars take their time too
        others = session.scalars(select(SupervisionSession).where(
            SupervisionSession.team_id != team_id, SupervisionSession.status != "cancelled",
            SupervisionSession.starts_at >= lo, SupervisionSession.starts_at < hi,
            or_(SupervisionSession.supervisor_id.in_(people), SupervisionSession.caseworker_id.in_(people)))).all()
        for row in others:
            involved = frozenset(p for p in (row.supervisor_id, row.caseworker_id) if p in people)
            kept.append(Booking(row.starts_at, row.minutes, involved,
                                row.minutes if supervisor and row.supervisor_id == supervisor.id else 0))
    kept.sort(key=lambda b: (b.starts_at, sorted(b.people)))
    current = {r.occurrence_key: r.starts_at for r in rows if r.status == "planned" and not _is_kept(r, today)}
    return TeamInput(supervisor, caseworkers, tuple(kept), frozenset(satisfied), current), list(rows)


def check_period(first: date | None, last: date | None) -> tuple[date, date]:
    errors = {}
    if first is None:
        errors["first"] = t("generate.error.from_required")
    if last is None:
        errors["last"] = t("generate.error.to_required")
    elif first is not None and last < first:
        errors["last"] = t("generate.error.order")
    elif first is not None and (last - first).days + 1 > MAX_DAYS:
        errors["last"] = t("generate.error.too_long")
    if errors:
        raise ValidationFailed(errors)
    return first, last  # type: ignore[return-value]


def _calendar(session: Session, agency_id: int, first: date, last: date) -> WorkingCalendar:
    return working_calendar_of(session, agency_id, list(range(first.year, last.year + 1)))


@binds_actor
def generate_calendar(session: Session, *, actor: Actor, team_id: int, first: date | None, last: date | None,
                      progress: Callable[[int, int], None] | None = None, today: date | None = None,
                      with_proposal: bool = True) -> GenerationOutcome:
    """Generate or refresh the team's calendar from ``first`` to ``last`` (never before today: the past is what
    happened). Returns what changed, what could not be placed and why, and the nearest plan that fits."""
    team = team_row(session, actor, team_id)
    first, last = check_period(first, last)
    today = today or date.today()
    start = max(first, today)
    if start > last:
        raise ValidationFailed({"last": t("generate.error.past")})
    plan = plan_of(session, team_id)
    calendar = _calendar(session, team.agency_id, start, last)
    team_input, rows = _team_input(session, team_id, start, last, today)
    result = generate(plan, calendar, team_input, start, last, progress=progress)
    by_key = {r.occurrence_key: r for r in rows}
    wanted = {p.key for p in result.placed}
    moved = unchanged = cancelled = 0
    who = actor_of(session)
    new_rows = []
    for placed in result.placed:
        row = by_key.get(placed.key)
        if row is None:
            new_rows.append({
                "uuid": uuid.uuid4(), "team_id": team_id, "agency_id": team.agency_id,
                "supervisor_id": team_input.supervisor.id,  # type: ignore[union-attr]
                "caseworker_id": placed.caseworker_id, "activity": placed.activity.value,
                "occurrence_key": placed.key, "due_on": placed.due_on, "series_weeks": placed.series_weeks,
                "starts_at": placed.starts_at, "minutes": placed.minutes, "planned_starts_at": placed.starts_at,
                "sequence": 0, "updated_by_id": who.account_id, "updated_by_name": who.name})
            continue
        if row.starts_at == placed.starts_at and row.minutes == placed.minutes and row.status == "planned":
            unchanged += 1
            continue
        row.starts_at = row.planned_starts_at = placed.starts_at
        row.minutes, row.status, row.cancel_reason = placed.minutes, "planned", ""
        row.series_weeks = placed.series_weeks
        row.supervisor_id = team_input.supervisor.id  # type: ignore[union-attr]
        row.sequence += 1
        moved += 1
    lo, hi = datetime.combine(start, datetime.min.time()), datetime.combine(last + timedelta(days=1),
                                                                             datetime.min.time())
    for row in rows:
        if not _is_kept(row, today) and row.status == "planned" \
                and lo <= row.starts_at < hi and row.occurrence_key not in wanted:
            row.status, row.cancel_reason = "cancelled", "plan_changed"
            row.sequence += 1
            cancelled += 1
    session.flush()
    if new_rows:  # one statement for a year of sessions; the generation itself is the audited event
        session.execute(insert(SupervisionSession.__table__), new_rows)  # plain executemany (see deadlines._write)
    created = len(new_rows)
    record_event(session, action="generate_calendar", entity_type="Team", entity_id=team_id, summary=team.name,
                 details={"from": start.isoformat(), "to": last.isoformat(), "created": created, "moved": moved,
                          "cancelled": cancelled, "unplaced": len(result.unplaced)},
                 scope_agency_id=team.agency_id)
    proposal = propose(plan, calendar, team_input, start, last, result) if with_proposal else None
    names = {p.id: p.name for p in team_input.caseworkers}
    return GenerationOutcome(team.name, start, last, created, moved, unchanged, cancelled,
                             sum(1 for r in rows if _is_kept(r, today) and lo <= r.starts_at < hi),
                             tuple(_unplaced_view(u, names) for u in result.unplaced), proposal,
                             result.needed_minutes, result.available_minutes)


def _unplaced_view(item: Unplaced, names: dict[int, str]) -> UnplacedView:
    return UnplacedView(item.activity.value, names.get(item.caseworker_id, "") if item.caseworker_id else "",
                        item.window.start, item.window.end, item.minutes, item.reason)

