"""Staff and team use cases, scoped by role: administrators manage everyone; managers read their agency;
supervisors see their own team; caseworkers see themselves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from accounts.models import Agency, StaffMember, StaffTraining, Team, TeamMembership
from accounts.staff import (
    StaffDraft,
    validate_staff,
)
from core.actor import Actor, Role, require_role
from core.audit import binds_actor
from core.errors import NotFound, ValidationFailed
from core.i18n import t
from core.records import check_version, get_or_raise
from core.safe_text import text_problem


@dataclass(frozen=True)
class StaffView:
    id: int
    full_name: str
    programme_role: str
    agency_id: int
    agency_name: str
    start_date: date | None
    gender: str
    email: str | None
    active: bool
    team_id: int | None
    team_name: str
    version_id: int


@dataclass(frozen=True)
class TeamView:
    id: int
    name: str
    agency_id: int
    agency_name: str
    active: bool
    supervisor_name: str
    member_count: int
    version_id: int


@dataclass(frozen=True)
class MembershipView:
    team_name: str
    role_in_team: str
    from_date: date
    to_date: date | None



def in_team_on(today: date | None = None) -> Any:
    """The condition that a team stay covers a day (today by default). A stay ends the day the next one starts:
    ``to_date`` is the first day no longer in the team."""
    moment = today or date.today()
    return (TeamMembership.from_date <= moment) & (
        (TeamMembership.to_date.is_(None)) | (TeamMembership.to_date > moment))


def current_members(team_ids: frozenset[int] | set[int], on: date | None = None) -> Select:
    """The staff ids of the people in these teams on a day (today by default), supervisors excluded."""
    return select(TeamMembership.staff_member_id).where(
        TeamMembership.team_id.in_(team_ids), TeamMembership.role_in_team == "member", in_team_on(on))


def current_team_of(session: Session, staff_member_id: int, on: date | None = None) -> int | None:
    """The team the person is in on a day, if any."""
    return session.scalar(select(TeamMembership.team_id).where(
        TeamMembership.staff_member_id == staff_member_id, in_team_on(on)).limit(1))


def teams_supervised_by(session: Session, staff_member_id: int) -> frozenset[int]:
    rows = session.scalars(select(TeamMembership.team_id).where(
        TeamMembership.staff_member_id == staff_member_id, TeamMembership.role_in_team == "supervisor",
        in_team_on())).all()
    return frozenset(rows)


def _visible_staff(query: Select, actor: Actor) -> Select:
    """Restrict a staff query to what the actor may see. Enforced here, whatever the menu shows."""
    if actor.is_admin:
        return query
    conditions = []
    if actor.has(Role.MANAGER) and actor.agency_id is not None:
        conditions.append(StaffMember.agency_id == actor.agency_id)
    if actor.has(Role.SUPERVISOR) and actor.supervised_team_ids:
        members = select(TeamMembership.staff_member_id).where(
            TeamMembership.team_id.in_(actor.supervised_team_ids), in_team_on())
        conditions.append(StaffMember.id.in_(members))
    if actor.staff_member_id is not None:
        conditions.append(StaffMember.id == actor.staff_member_id)
    if not conditions:
        return query.where(StaffMember.id.is_(None))
    return query.where(or_(*conditions))


def list_staff(session: Session, *, actor: Actor, include_inactive: bool = True) -> list[StaffView]:
    query = _visible_staff(select(StaffMember), actor).order_by(StaffMember.full_name)
    if not include_inactive:
        query = query.where(StaffMember.active.is_(True))
    rows = session.scalars(query).all()
    agencies = dict(session.execute(select(Agency.id, Agency.name)).all())
    current = {m.staff_member_id: m for m in session.scalars(select(TeamMembership).where(in_team_on())).all()}
    teams = dict(session.execute(select(Team.id, Team.name)).all())
    views = []
    for r in rows:
        membership = current.get(r.id)
        views.append(StaffView(
            id=r.id, full_name=r.full_name, programme_role=r.programme_role, agency_id=r.agency_id,
            agency_name=agencies.get(r.agency_id, ""), start_date=r.start_date, gender=r.gender, email=r.email,
            active=r.active, team_id=membership.team_id if membership else None,
            team_name=teams.get(membership.team_id, "") if membership else "", version_id=r.version_id))
    return views


def get_staff(session: Session, *, actor: Actor, staff_member_id: int) -> StaffView:
    for view in list_staff(session, actor=actor):
        if view.id == staff_member_id:
            return view
    raise NotFound(t("staff.error.not_found"))


@binds_actor
def create_staff(session: Session, *, actor: Actor, draft: StaffDraft, team_id: int | None = None,
                 from_date: date | None = None) -> int:
    require_role(actor, Role.ADMINISTRATOR)
    errors = validate_staff(draft)
    if draft.agency_id is not None and session.get(Agency, draft.agency_id) is None:
        errors["agency_id"] = t("staff.error.agency")
    if errors:
        raise ValidationFailed(errors)
    row = StaffMember(full_name=draft.full_name.strip(), programme_role=draft.programme_role,
                      agency_id=draft.agency_id, start_date=draft.start_date, gender=draft.gender,
                      email=draft.email.strip() or None, active=draft.active)
    session.add(row)
    session.flush()
    if team_id is not None:
        assign_to_team(session, actor=actor, staff_member_id=row.id, team_id=team_id,
                       from_date=from_date or draft.start_date or date.today())
    return row.id


@binds_actor
def update_staff(session: Session, *, actor: Actor, staff_member_id: int, draft: StaffDraft,
                 expected_version: int | None = None) -> None:
    require_role(actor, Role.ADMINISTRATOR)
    row = get_or_raise(session, StaffMember, staff_member_id, "staff.error.not_found")
    check_version(row, expected_version)
    errors = validate_staff(draft)
    if errors:
        raise ValidationFailed(errors)
    row.full_name, row.programme_role = draft.full_name.strip(), draft.programme_role
    row.agency_id, row.start_date, row.gender = draft.agency_id, draft.start_date, draft.gender
    row.email, row.active = draft.email.strip() or None, draft.active


@binds_actor
def deactivate_staff(session: Session, *, actor: Actor, staff_member_id: int, on: date | None = None) -> None:
    """Inactive staff keep their history; their current team stay ends."""
    require_role(actor, Role.ADMINISTRATOR)
    row = get_or_raise(session, StaffMember, staff_member_id, "staff.error.not_found")
    row.active = False
    end = on or date.today()
    for membership in session.scalars(select(TeamMembership).where(
            TeamMembership.staff_member_id == staff_member_id, TeamMembership.to_date.is_(None))).all():
        membership.to_date = max(end, membership.from_date)


@binds_actor
def create_team(session: Session, *, actor: Actor, name: str, agency_id: int) -> int:
    require_role(actor, Role.ADMINISTRATOR)
    clean = name.strip()
    errors: dict[str, str] = {}
    if not clean:
        errors["name"] = t("teams.error.name")
    elif problem := text_problem(clean, 200):
        errors["name"] = problem
    elif session.scalar(select(Team.id).where(Team.agency_id == agency_id, func.lower(Team.name) == clean.lower())):
        errors["name"] = t("teams.error.name_taken", name=clean)
    if session.get(Agency, agency_id) is None:
        errors["agency_id"] = t("staff.error.agency")
    if errors:
        raise ValidationFailed(errors)
    row = Team(name=clean, agency_id=agency_id)
    session.add(row)
    session.flush()
    return row.id


@binds_actor
def assign_to_team(session: Session, *, actor: Actor, staff_member_id: int, team_id: int, from_date: date,
                   as_supervisor: bool = False) -> None:
    """Move a person into a team from a date. Their previous stay ends that day; a team keeps one supervisor at
    a time, so naming a new one ends the previous supervisor's stay."""
    require_role(actor, Role.ADMINISTRATOR)
    staff = session.get(StaffMember, staff_member_id)
    team = session.get(Team, team_id)
    if staff is None or team is None:
        raise NotFound(t("teams.error.not_found"))
    if team.agency_id != staff.agency_id:
        raise ValidationFailed({"team_id": t("teams.error.other_agency")})
    if as_supervisor and staff.programme_role != "supervisor":
        raise ValidationFailed({"team_id": t("teams.error.not_a_supervisor", name=staff.full_name)})
    open_stays = session.scalars(select(TeamMembership).where(
        TeamMembership.staff_member_id == staff_member_id, TeamMembership.to_date.is_(None))).all()
    for stay in open_stays:
        if stay.from_date > from_date:
            raise ValidationFailed({"from_date": t("teams.error.before_current", date=stay.from_date.isoformat())})
        stay.to_date = from_date
    if as_supervisor:
        for stay in session.scalars(select(TeamMembership).where(
                TeamMembership.team_id == team_id, TeamMembership.role_in_team == "supervisor",
                TeamMembership.to_date.is_(None))).all():
            stay.to_date = max(from_date, stay.from_date)
    session.add(TeamMembership(team_id=team_id, staff_member_id=staff_member_id, from_date=from_date,
                               role_in_team="supervisor" if as_supervisor else "member"))
    session.flush()


def team_history(session: Session, *, actor: Actor, staff_member_id: int) -> list[MembershipView]:
    get_staff(session, actor=actor, staff_member_id=staff_member_id)  # visibility check
    rows = session.execute(select(TeamMembership, Team.name).join(Team, Team.id == TeamMembership.team_id).where(
        TeamMembership.staff_member_id == staff_member_id).order_by(TeamMembership.from_date)).all()
    return [MembershipView(name, m.role_in_team, m.from_date, m.to_date) for m, name in rows]


def list_teams(session: Session, *, actor: Actor) -> list[TeamView]:
    query = select(Team).order_by(Team.name)
    if not actor.is_admin:
        conditions = []
        if actor.has(Role.MANAGER) and actor.agency_id is not None:
            conditions.append(Team.agency_id == actor.agency_id)
        if actor.supervised_team_ids:
            conditions.append(Team.id.in_(actor.supervised_team_ids))
        if not conditions:
            return []
        query = query.where(or_(*conditions))
    teams = session.scalars(query).all()
    agencies = dict(session.execute(select(Agency.id, Agency.name)).all())
    current = session.execute(select(TeamMembership, StaffMember.full_name).join(
        StaffMember, StaffMember.id == TeamMembership.staff_member_id).where(in_team_on())).all()
    views = []
    for team in teams:
        stays = [(m, name) for m, name in current if m.team_id == team.id]
        supervisor = next((name for m, name in stays if m.role_in_team == "supervisor"), "")
        views.append(TeamView(id=team.id, name=team.name, agency_id=team.agency_id,
                              agency_name=agencies.get(team.agency_id, ""), active=team.active,
                              supervisor_name=supervisor, member_count=sum(1 for m, _ in stays
                                                                           if m.role_in_team == "member"),
                              version_id=team.version_id))
    return views


TRAINING_TOPICS = ("supervision_coaching", "case_management", "other")


@dataclass(frozen=True)
class TrainingView:
    id: int
    topic: str
    completed_on: date
    provider: str


def list_trainings(session: Session, *, actor: Actor, staff_member_id: int) -> list[TrainingView]:
    """A staff member's training record, latest first."""
    require_role(actor, Role.ADMINISTRATOR)
    rows = session.scalars(select(StaffTraining).where(StaffTraining.staff_member_id == staff_member_id)
                           .order_by(StaffTraining.completed_on.desc(), StaffTraining.id.desc())).all()
    return [TrainingView(r.id, r.topic, r.completed_on, r.provider) for r in rows]


@binds_actor
def add_training(session: Session, *, actor: Actor, staff_member_id: int, topic: str, completed_on: date | None,
                 provider: str = "", today: date | None = None) -> int:
    """Record a training completed: the guidelines count supervisors trained in supervision and coaching."""
    require_role(actor, Role.ADMINISTRATOR)
    get_or_raise(session, StaffMember, staff_member_id, "staff.error.not_found")
    errors: dict[str, str] = {}
    if topic not in TRAINING_TOPICS:
        errors["topic"] = t("staff.training.error.topic")
    if completed_on is None:
        errors["completed_on"] = t("staff.training.error.date_required")
    elif completed_on > (today or date.today()):
        errors["completed_on"] = t("staff.training.error.future")
    if len(provider.strip()) > 200:
        errors["provider"] = t("common.error.too_long", limit=200)
    if errors:
        raise ValidationFailed(errors)
    row = StaffTraining(staff_member_id=staff_member_id, topic=topic, completed_on=completed_on,
                        provider=provider.strip())
    session.add(row)
    session.flush()
    return row.id
