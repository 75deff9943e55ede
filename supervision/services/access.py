"""Who may see and change supervision calendars.

A caseworker sees their own sessions (and the team meetings of the team they are in), with the notes of their own
held sessions; a supervisor sees and runs the calendar of the team they currently supervise; a manager sees and
runs every team's calendar in their agency and keeps the agency's working calendar. An administrator sees none of
it unless they hold another role. Checked here, in the services, whatever the menus show."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.orm import Session

from accounts.models import Team, TeamMembership
from accounts.staff_services import in_team_on
from core.actor import Actor, Role
from core.errors import Forbidden, NotFound
from core.i18n import t
from core.records import get_or_raise
from supervision.models import SupervisionSession


def _my_teams(actor: Actor, on: date | None = None) -> ColumnElement[bool]:
    """The teams the person is in on a day."""
    return SupervisionSession.team_id.in_(select(TeamMembership.team_id).where(
        TeamMembership.staff_member_id == actor.staff_member_id, in_team_on(on)))


def readable_sessions(actor: Actor) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = []
    if actor.has(Role.MANAGER) and actor.agency_id is not None:
        conditions.append(SupervisionSession.agency_id == actor.agency_id)
    if actor.has(Role.SUPERVISOR) and actor.supervised_team_ids:
        conditions.append(SupervisionSession.team_id.in_(actor.supervised_team_ids))
    if actor.has(Role.CASEWORKER) and actor.staff_member_id is not None:
        conditions.append(SupervisionSession.caseworker_id == actor.staff_member_id)
        conditions.append(and_(SupervisionSession.caseworker_id.is_(None), _my_teams(actor)))
    return or_(*conditions) if conditions else false()


def may_run_team(session: Session, actor: Actor, team_id: int) -> bool:
    """Supervisors run their own team's calendar; managers every team of their agency."""
    if actor.has(Role.SUPERVISOR) and team_id in actor.supervised_team_ids:
        return True
    if actor.has(Role.MANAGER) and actor.agency_id is not None:
        return session.scalar(select(Team.id).where(Team.id == team_id, Team.agency_id == actor.agency_id)) \
            is not None
    return False


def team_row(session: Session, actor: Actor, team_id: int) -> Team:
    """The team, if the person runs its calendar."""
    row = get_or_raise(session, Team, team_id, "teams.error.not_found")
    if not may_run_team(session, actor, team_id):
        raise Forbidden(t("common.error.forbidden"))
    return row


def team_rows(session: Session, actor: Actor, team_ids: list[int]) -> dict[int, Team]:
    """``team_row`` for many teams in one query: each must exist and be run by the person."""
    rows = {r.id: r for r in session.scalars(select(Team).where(Team.id.in_(team_ids)))} if team_ids else {}
    if len(rows) < len(set(team_ids)):
        raise NotFound(t("teams.error.not_found"))
    for row in rows.values():
        if not ((actor.has(Role.SUPERVISOR) and row.id in actor.supervised_team_ids)
                or (actor.has(Role.MANAGER) and actor.agency_id is not None and row.agency_id == actor.agency_id)):
            raise Forbidden(t("common.error.forbidden"))
    return rows


def session_row(session: Session, actor: Actor, session_id: int, *, edit: bool = False) -> SupervisionSession:
    row = get_or_raise(session, SupervisionSession, session_id, "session.error.not_found")
    if edit:
        if not may_run_team(session, actor, row.team_id):
            raise Forbidden(t("common.error.forbidden"))
    elif session.scalar(select(SupervisionSession.id).where(SupervisionSession.id == session_id,
                                                            readable_sessions(actor))) is None:
        raise Forbidden(t("common.error.forbidden"))
    return row


def visible_teams(session: Session, actor: Actor) -> list[tuple[int, str]]:
    """The teams whose calendars the person sees: those they run, or (a caseworker) the one they are in."""
    conditions: list[ColumnElement[bool]] = []
    if actor.has(Role.MANAGER) and actor.agency_id is not None:
        conditions.append(Team.agency_id == actor.agency_id)
    if actor.has(Role.SUPERVISOR) and actor.supervised_team_ids:
        conditions.append(Team.id.in_(actor.supervised_team_ids))
    if actor.has(Role.CASEWORKER) and actor.staff_member_id is not None:
        conditions.append(Team.id.in_(select(TeamMembership.team_id).where(
            TeamMembership.staff_member_id == actor.staff_member_id, in_team_on())))
    if not conditions:
        return []
    return [(i, n) for i, n in session.execute(select(Team.id, Team.name).where(
        Team.active.is_(True), or_(*conditions)).order_by(Team.name)).all()]
