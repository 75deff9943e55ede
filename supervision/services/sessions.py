"""Using the calendar: list sessions, move or cancel one, record it held (with notes and agreed actions) or
missed, add one by hand (a case discussion when needed). Every change raises the session's ``sequence`` so the
exported calendar updates what people imported."""

from __future__ import annotations

import uuid as uuid_module
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from accounts.models import StaffMember, Team, TeamMembership
from accounts.staff_services import in_team_on
from core.actor import Actor
from core.audit import binds_actor, mark_action
from core.errors import ReadOnly, ValidationFailed
from core.i18n import t, t_plain
from core.records import check_version
from core.safe_text import as_saved
from improvement_actions import services as actions
from improvement_actions.models import ImprovementAction
from improvement_actions.rules import Access, ActionSource, ImprovementActionDraft
from improvement_actions.services import ImprovementActionView, SourceAccess
from supervision.models import SupervisionSession
from supervision.plan import Activity
from supervision.services.access import may_run_team, readable_sessions, session_row, team_row
from supervision.services.calendars import working_calendar_of
from supervision.services.generation import team_people

SOURCE_KIND = "supervision_session"
MAX_NOTES = 4000
MISSED_REASONS = ("caseworker_absent", "supervisor_absent", "emergency", "field_visit", "office_closed",
                  "security", "other")
STATUSES = ("planned", "held", "missed", "cancelled")


def _action_access(session: Session, actor: Actor, session_id: int) -> SourceAccess:
    """The supervisor (or a manager) records the actions agreed in a session; the caseworker tracks them."""
    row = session.get(SupervisionSession, session_id)
    if row is None or session.scalar(select(SupervisionSession.id).where(
            SupervisionSession.id == session_id, readable_sessions(actor))) is None:
        return SourceAccess(Access.NONE)
    floor = {"agency_id": row.agency_id, "due_not_before": row.starts_at.date(),
             "too_early": t("session.error.due_before_session")}
    if may_run_team(session, actor, row.team_id):
        return SourceAccess(Access.EDIT, **floor)
    return SourceAccess(Access.TRACK, reason=t("session.error.actions_tracking_only"), **floor)


def _readable_agreed_actions(actor: Actor) -> ColumnElement[bool]:
    return ImprovementAction.source_record_id.in_(select(SupervisionSession.id).where(readable_sessions(actor)))


actions.register_source(SOURCE_KIND, _action_access, _readable_agreed_actions)


@dataclass(frozen=True)
class SessionView:
    id: int
    team_id: int
    team_name: str
    activity: str
    supervisor_id: int | None
    supervisor_name: str
    caseworker_id: int | None
    caseworker_name: str  # empty: the whole team
    starts_at: datetime
    minutes: int
    status: str
    origin: str
    touched: bool
    held_on: date | None
    held_minutes: int | None
    notes: str  # empty unless the person may read them
    missed_reason: str
    missed_note: str
    cancel_reason: str
    version_id: int
    uuid: str
    occurrence_key: str
    due_on: date
    series_weeks: int
    planned_starts_at: datetime
    sequence: int

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.minutes)

    @property
    def with_whom(self) -> str:
        return self.caseworker_name or t("session.whole_team")


def _views(session: Session, actor: Actor, rows: list[SupervisionSession]) -> list[SessionView]:
    ids = {r.supervisor_id for r in rows} | {r.caseworker_id for r in rows}
    names = dict(session.execute(select(StaffMember.id, StaffMember.full_name).where(
        StaffMember.id.in_([i for i in ids if i is not None]))).all()) if ids else {}
    teams = dict(session.execute(select(Team.id, Team.name).where(
        Team.id.in_({r.team_id for r in rows}))).all()) if rows else {}
    runs = {team: may_run_team(session, actor, team) for team in teams}
    return [SessionView(
        r.id, r.team_id, teams.get(r.team_id, ""), r.activity, r.supervisor_id, names.get(r.supervisor_id, ""),
        r.caseworker_id, names.get(r.caseworker_id, "") if r.caseworker_id else "", r.starts_at, r.minutes,
        r.status, r.origin, r.touched, r.held_on, r.held_minutes,
        r.notes if runs.get(r.team_id) or r.caseworker_id == actor.staff_member_id else "",
        r.missed_reason, r.missed_note, r.cancel_reason, r.version_id, str(r.uuid), r.occurrence_key, r.due_on,
        r.series_weeks, r.planned_starts_at, r.sequence) for r in rows]


def list_sessions(session: Session, *, actor: Actor, team_id: int | None = None, first: date | None = None,
                  last: date | None = None, person_id: int | None = None, supervisor_id: int | None = None,
                  include_cancelled: bool = True) -> list[SessionView]:
    """The sessions the person may see, in time order. ``person_id``: one caseworker's sessions and their team's
    meetings; ``supervisor_id``: one supervisor's."""
    query = select(SupervisionSession).where(readable_sessions(actor))
    if team_id is not None:
        query = query.where(SupervisionSession.team_id == team_id)
    if first is not None:
        query = query.where(SupervisionSession.starts_at >= datetime.combine(first, datetime.min.time()))
    if last is not None:
        query = query.where(SupervisionSession.starts_at < datetime.combine(last + timedelta(days=1),
                                                                            datetime.min.time()))
    if person_id is not None:
        query = query.where(or_(SupervisionSession.caseworker_id == person_id,
                                SupervisionSession.caseworker_id.is_(None)))
    if supervisor_id is not None:
        query = query.where(SupervisionSession.supervisor_id == supervisor_id)
    if not include_cancelled:
        query = query.where(SupervisionSession.status != "cancelled")
    rows = list(session.scalars(query.order_by(SupervisionSession.starts_at, SupervisionSession.id)).all())
    return _views(session, actor, rows)


def get_session(session: Session, *, actor: Actor, session_id: int) -> SessionView:
    return _views(session, actor, [session_row(session, actor, session_id)])[0]


def _check_slot(session: Session, row: SupervisionSession, starts_at: datetime, minutes: int) -> dict[str, str]:
    """Refuse a time outside working days and hours, on a closure day, or when someone is already booked."""
    calendar = working_calendar_of(session, row.agency_id, [starts_at.year])
    day = starts_at.date()
    if day.weekday() not in calendar.working_days:
        return {"starts_at": t("session.error.not_working_day")}
    if day in calendar.closures:
        return {"starts_at": t("session.error.closed", name=calendar.closures[day])}
    ends_at = starts_at + timedelta(minutes=minutes)
    if starts_at.time() < calendar.day_starts or ends_at.time() > calendar.day_ends or ends_at.date() != day:
        return {"starts_at": t("session.error.outside_hours", start=calendar.day_starts.strftime("%H:%M"),
                               end=calendar.day_ends.strftime("%H:%M"))}
    people = {row.supervisor_id, row.caseworker_id} - {None}
    if row.caseworker_id is None:
        _supervisor, caseworkers = team_people(session, row.team_id, day, day)
        people |= {p.id for p in caseworkers}
    others = session.scalars(select(SupervisionSession).where(
        SupervisionSession.id != row.id, SupervisionSession.status != "cancelled",
        SupervisionSession.starts_at < ends_at,
        SupervisionSession.starts_at >= datetime.combine(day, datetime.min.time()),
        or_(SupervisionSession.supervisor_id.in_(people), SupervisionSession.caseworker_id.in_(people),
            SupervisionSession.caseworker_id.is_(None) & SupervisionSession.team_id.in_(
                _teams_of(session, people, day))))).all()
    for other in others:
        if other.starts_at + timedelta(minutes=other.minutes) > starts_at:
            involved = [p for p in (other.supervisor_id, other.caseworker_id) if p in people] or sorted(people)
            who = session.get(StaffMember, involved[0])
            return {"starts_at": t("session.error.conflict", who=who.full_name if who else "?",
                                   activity=t(f"activity.{other.activity}"),
                                   start=other.starts_at.strftime("%H:%M"),
                                   end=(other.starts_at + timedelta(minutes=other.minutes)).strftime("%H:%M"))}
    if row.supervisor_id is not None:
        booked = sum(o.minutes for o in session.scalars(select(SupervisionSession).where(
            SupervisionSession.id != row.id, SupervisionSession.status != "cancelled",
            SupervisionSession.supervisor_id == row.supervisor_id,
            SupervisionSession.starts_at >= datetime.combine(day, datetime.min.time()),
            SupervisionSession.starts_at < datetime.combine(day + timedelta(days=1), datetime.min.time()))).all())
        if booked + minutes > calendar.max_supervision_minutes:
            return {"starts_at": t("session.error.daily_cap", hours=calendar.max_supervision_minutes / 60)}
    return {}


def _teams_of(session: Session, people: set[int], day: date) -> list[int]:
    return list(session.scalars(select(TeamMembership.team_id).where(
        TeamMembership.staff_member_id.in_(people), in_team_on(day))).all())


def _check_minutes(minutes: int | None) -> int:
    if minutes is None or not 15 <= int(minutes) <= 480:
        raise ValidationFailed({"minutes": t("session.error.minutes")})
    return int(minutes)


def _changed(row: SupervisionSession) -> None:
    row.touched = True
    row.sequence += 1


@binds_actor
def move_session(session: Session, *, actor: Actor, session_id: int, starts_at: datetime | None,
                 minutes: int | None, expected_version: int | None = None) -> None:
    """Move or lengthen a planned session. Refused with the reason when the new time is not free."""
    row = session_row(session, actor, session_id, edit=True)
    check_version(row, expected_version)
    if row.status != "planned":
        raise ReadOnly(t("session.error.not_planned"))
    if starts_at is None:
        raise ValidationFailed({"starts_at": t("session.error.when_required")})
    minutes = _check_minutes(minutes)
    errors = _check_slot(session, row, starts_at, minutes)
    if errors:
        raise ValidationFailed(errors)
    mark_action(session, "move_session", "sequence")
    row.starts_at, row.minutes = starts_at, minutes
    _changed(row)
    session.flush()


@binds_actor
def cancel_session(session: Session, *, actor: Actor, session_id: int, expected_version: int | None = None) -> None:
    row = session_row(session, actor, session_id, edit=True)
    check_version(row, expected_version)
    if row.status != "planned":
        raise ReadOnly(t("session.error.not_planned"))
    mark_action(session, "cancel_session", "sequence")
    row.status, row.cancel_reason = "cancelled", "by_hand"
    _changed(row)
    session.flush()


def _text(value: str, field: str, errors: dict[str, str]) -> str:
    text = as_saved(value)
    if len(text) > MAX_NOTES:
        errors[field] = t("common.error.too_long", limit=MAX_NOTES)
    return text


@binds_actor
def mark_held(session: Session, *, actor: Actor, session_id: int, held_on: date | None, minutes: int | None,
              notes: str = "", expected_version: int | None = None) -> None:
    """Record that the session took place: on which day, for how long, with short notes (no identifying
    details). A session can be recorded held again to correct it."""
    row = session_row(session, actor, session_id, edit=True)
    check_version(row, expected_version)
    errors: dict[str, str] = {}
    if held_on is None:
        errors["held_on"] = t("session.error.held_on_required")
    elif held_on > date.today():
        errors["held_on"] = t("session.error.held_in_future")
    if minutes is None or not 5 <= int(minutes) <= 480:
        errors["held_minutes"] = t("session.error.minutes")
    text = _text(notes, "notes", errors)
    if errors:
        raise ValidationFailed(errors)
    mark_action(session, "hold_session", "sequence")
    row.status, row.held_on, row.held_minutes, row.notes = "held", held_on, int(minutes), text  # type: ignore[arg-type]
    row.missed_reason, row.missed_note, row.cancel_reason = "", "", ""
    _changed(row)
    session.flush()


@binds_actor
def mark_missed(session: Session, *, actor: Actor, session_id: int, reason: str, note: str = "",
                expected_version: int | None = None) -> None:
    row = session_row(session, actor, session_id, edit=True)
    check_version(row, expected_version)
    errors: dict[str, str] = {}
    if reason not in MISSED_REASONS:
        errors["missed_reason"] = t("session.error.reason_required")
    text = _text(note, "missed_note", errors)
    if reason == "other" and not text:
        errors["missed_note"] = t("session.error.other_needs_note")
    if errors:
        raise ValidationFailed(errors)
    mark_action(session, "miss_session", "sequence")
    row.status, row.missed_reason, row.missed_note = "missed", reason, text
    row.held_on, row.held_minutes = None, None
    _changed(row)
    session.flush()


@binds_actor
def add_session(session: Session, *, actor: Actor, team_id: int, activity: str, caseworker_id: int | None,
                starts_at: datetime | None, minutes: int | None) -> int:
    """A session added by hand: a case discussion when needed, or any activity outside the plan."""
    team = team_row(session, actor, team_id)
    errors: dict[str, str] = {}
    if activity not in {a.value for a in Activity}:
        errors["activity"] = t("session.error.activity")
    elif not Activity(activity).whole_team and caseworker_id is None:
        errors["caseworker"] = t("session.error.caseworker_required")
    if starts_at is None:
        errors["starts_at"] = t("session.error.when_required")
    try:
        minutes = _check_minutes(minutes)
    except ValidationFailed as exc:
        errors.update(exc.field_errors)
    day = starts_at.date() if starts_at else date.today()
    supervisor, caseworkers = team_people(session, team_id, day, day)
    if caseworker_id is not None and caseworker_id not in {p.id for p in caseworkers}:
        errors["caseworker"] = t("session.error.not_in_team")
    if errors:
        raise ValidationFailed(errors)
    key = uuid_module.uuid4()
    row = SupervisionSession(uuid=key, team_id=team_id, agency_id=team.agency_id,
                             supervisor_id=supervisor.id if supervisor else None,
                             caseworker_id=None if Activity(activity).whole_team else caseworker_id,
                             activity=activity, occurrence_key=f"manual|{key}", due_on=day, series_weeks=0,
                             starts_at=starts_at, minutes=minutes, planned_starts_at=starts_at, origin="manual",
                             touched=True)
    errors = _check_slot(session, row, starts_at, minutes)  # type: ignore[arg-type]
    if errors:
        raise ValidationFailed(errors)
    session.add(row)
    session.flush()
    return row.id


def session_actions(session: Session, *, actor: Actor, session_id: int) -> list[ImprovementActionView]:
    return actions.actions_for_source(session, actor=actor, source_kind=SOURCE_KIND, record_id=session_id)


@binds_actor
def add_session_action(session: Session, *, actor: Actor, session_id: int,
                       draft: ImprovementActionDraft) -> int:
    """An action agreed in the session: an improvement action whose source is the session."""
    row = session_row(session, actor, session_id)
    return actions.create_action(session, actor=actor, source=ActionSource(
        SOURCE_KIND, row.id, row.activity,
        t_plain("session.action_reference", when=row.starts_at.strftime("%Y-%m-%d"))),
        draft=draft)

