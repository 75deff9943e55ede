"""An agency's working calendar: working days and hours, the supervisor's daily cap, the time zone, the country
whose public holidays apply, and the agency's own edits to those (closure days added or imported, holidays
worked)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.models import Team
from core.actor import Actor, Role, require_role
from core.audit import binds_actor
from core.errors import Forbidden, ValidationFailed
from core.i18n import t
from core.imports import CellError, parse_day, problem, read_rows, report_problems
from core.records import check_version
from supervision.models import ClosureDay, SupervisionSession, WorkingCalendarRecord
from supervision.services.access import visible_teams
from supervision.working_time import WorkingCalendar, public_holidays, supported_countries

MAX_NAME = 200
CLOSURE_COLUMNS = ("date", "name")
MAX_CLOSURE_ROWS = 2000


@dataclass(frozen=True)
class CalendarSettings:
    """What a manager edits (times as HH:MM)."""

    working_days: tuple[int, ...]
    day_starts: str
    day_ends: str
    max_supervision_minutes: int
    timezone: str
    country: str


DEFAULT = CalendarSettings((0, 1, 2, 3, 4), "08:30", "16:30", 240, "UTC", "")


@dataclass(frozen=True)
class ClosureView:
    day: date
    name: str
    source: str  # holiday | closed | open (a holiday the agency works on)


@dataclass(frozen=True)
class CalendarInfo:
    agency_id: int
    settings: CalendarSettings
    stored: bool
    version_id: int | None
    closures: tuple[ClosureView, ...]  # the years asked for, holidays and the agency's own days


def _agency(actor: Actor, agency_id: int | None) -> int:
    agency = agency_id if agency_id is not None else actor.agency_id
    if agency is None or agency != actor.agency_id or not actor.has(Role.MANAGER, Role.SUPERVISOR, Role.CASEWORKER):
        raise Forbidden(t("common.error.forbidden"))
    return agency


def _settings_of(row: WorkingCalendarRecord | None) -> CalendarSettings:
    if row is None:
        return DEFAULT
    return CalendarSettings(tuple(sorted(row.working_days)), row.day_starts, row.day_ends,
                            row.max_supervision_minutes, row.timezone, row.country)


def _clock(text: str) -> time:
    return time.fromisoformat(text)


def closures_of(session: Session, agency_id: int, years: range | list[int]) -> dict[date, str]:
    """The days the agency is closed in ``years``: public holidays of its country, minus those it works on, plus
    its own closure days."""
    row = session.scalar(select(WorkingCalendarRecord).where(WorkingCalendarRecord.agency_id == agency_id))
    days = public_holidays(row.country, years) if row is not None else {}
    for own in session.scalars(select(ClosureDay).where(ClosureDay.agency_id == agency_id)).all():
        if own.kind == "open":
            days.pop(own.day, None)
        elif own.day.year in years:
            days[own.day] = own.name or t("working_calendar.closure_default_name")
    return days


def working_calendar_of(session: Session, agency_id: int, years: range | list[int]) -> WorkingCalendar:
    """The agency's calendar as the generator uses it (no access check: for services that already checked)."""
    settings = _settings_of(session.scalar(select(WorkingCalendarRecord).where(
        WorkingCalendarRecord.agency_id == agency_id)))
    return WorkingCalendar(frozenset(settings.working_days), _clock(settings.day_starts), _clock(settings.day_ends),
                           settings.max_supervision_minutes, settings.timezone, settings.country,
                           closures_of(session, agency_id, years))


def calendar_for_team(session: Session, *, actor: Actor, team_id: int, years: list[int]) -> WorkingCalendar:
    """The working calendar a team's calendar follows, for someone who sees that team's calendar."""
    if team_id not in {i for i, _name in visible_teams(session, actor)}:
        raise Forbidden(t("common.error.forbidden"))
    team = session.get(Team, team_id)
    return working_calendar_of(session, team.agency_id, years)  # type: ignore[union-attr]


def working_calendar(session: Session, *, actor: Actor, year: int, agency_id: int | None = None) -> CalendarInfo:
    agency = _agency(actor, agency_id)
    row = session.scalar(select(WorkingCalendarRecord).where(WorkingCalendarRecord.agency_id == agency))
    settings = _settings_of(row)
    holidays = public_holidays(settings.country, [year])
    own = {c.day: c for c in session.scalars(select(ClosureDay).where(ClosureDay.agency_id == agency)).all()
           if c.day.year == year}
    views = [ClosureView(day, name, "open" if day in own and own[day].kind == "open" else "holiday")
             for day, name in holidays.items()]
    views += [ClosureView(c.day, c.name, "closed") for c in own.values() if c.kind == "closed"]
    return CalendarInfo(agency, settings, row is not None, row.version_id if row else None,
                        tuple(sorted(views, key=lambda v: v.day)))


def validate_settings(settings: CalendarSettings) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not settings.working_days or not set(settings.working_days) <= set(range(7)):
        errors["working_days"] = t("working_calendar.error.no_working_day")
    try:
        starts, ends = _clock(settings.day_starts), _clock(settings.day_ends)
    except ValueError:
        errors["hours"] = t("working_calendar.error.hours_format")
    else:
        if ends <= starts:
            errors["hours"] = t("working_calendar.error.hours_order")
        elif settings.max_supervision_minutes > (ends.hour * 60 + ends.minute) - (starts.hour * 60 + starts.minute):
            errors["max_supervision_minutes"] = t("working_calendar.error.cap_over_day")
    if not 30 <= settings.max_supervision_minutes <= 720:
        errors["max_supervision_minutes"] = t("working_calendar.error.cap_range")
    try:
        ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        errors["timezone"] = t("working_calendar.error.timezone", zone=settings.timezone[:60])
    if settings.country and settings.country not in supported_countries():
        errors["country"] = t("working_calendar.error.country", country=settings.country[:10])
    return errors


@binds_actor
def save_working_calendar(session: Session, *, actor: Actor, settings: CalendarSettings,
                          expected_version: int | None = None) -> None:
    """Managers keep their agency's working calendar."""
    require_role(actor, Role.MANAGER)
    agency = _agency(actor, None)
    errors = validate_settings(settings)
    if errors:
        raise ValidationFailed(errors)
    row = session.scalar(select(WorkingCalendarRecord).where(WorkingCalendarRecord.agency_id == agency))
    if row is None:
        row = WorkingCalendarRecord(agency_id=agency)
        session.add(row)
    else:
        check_version(row, expected_version)
    row.working_days = sorted(set(settings.working_days))
    row.day_starts, row.day_ends = settings.day_starts, settings.day_ends
    row.max_supervision_minutes = settings.max_supervision_minutes
    row.timezone, row.country = settings.timezone, settings.country
    session.flush()


def _set_day(session: Session, agency: int, day: date, name: str, kind: str) -> None:
    row = session.scalar(select(ClosureDay).where(ClosureDay.agency_id == agency, ClosureDay.day == day))
    if row is None:
        session.add(ClosureDay(agency_id=agency, day=day, name=name, kind=kind))
    else:
        row.name, row.kind = name, kind


@binds_actor
def add_closure_day(session: Session, *, actor: Actor, day: date | None, name: str) -> int:
    """Close the agency on a day (an office closure, a day of mourning, a holiday the package does not know).
    Returns how many planned sessions fall on it (generating again moves them)."""
    require_role(actor, Role.MANAGER)
    agency = _agency(actor, None)
    name = " ".join(str(name or "").split())
    errors = {}
    if day is None:
        errors["day"] = t("working_calendar.error.day_required")
    if not name:
        errors["name"] = t("working_calendar.error.name_required")
    elif len(name) > MAX_NAME:
        errors["name"] = t("common.error.too_long", limit=MAX_NAME)
    if errors:
        raise ValidationFailed(errors)
    _set_day(session, agency, day, name, "closed")  # type: ignore[arg-type]
    session.flush()
    return session.scalar(select(func.count(SupervisionSession.id)).where(
        SupervisionSession.agency_id == agency, SupervisionSession.status == "planned",
        SupervisionSession.starts_at >= datetime.combine(day, time()),  # type: ignore[arg-type]
        SupervisionSession.starts_at < datetime.combine(day + timedelta(days=1), time()))) or 0  # type: ignore[operator]


@binds_actor
def update_public_holiday(session: Session, *, actor: Actor, day: date, worked: bool) -> None:
    """Work on a public holiday after all (or stop doing so); removing an own closure day opens it again."""
    require_role(actor, Role.MANAGER)
    agency = _agency(actor, None)
    row = session.scalar(select(ClosureDay).where(ClosureDay.agency_id == agency, ClosureDay.day == day))
    if worked:
        if row is not None and row.kind == "closed":
            session.delete(row)
        else:
            _set_day(session, agency, day, "", "open")
    elif row is not None:
        session.delete(row)
    session.flush()


@binds_actor
def import_closure_days(session: Session, *, actor: Actor, filename: str, content: bytes) -> int:
    """Closure days from a spreadsheet (columns ``date`` and ``name``). All or nothing; problems by line."""
    require_role(actor, Role.MANAGER)
    agency = _agency(actor, None)
    rows = read_rows(filename, content, columns=CLOSURE_COLUMNS, required=CLOSURE_COLUMNS,
                     max_rows=MAX_CLOSURE_ROWS)
    problems, found = [], {}
    for line, values in rows:
        try:
            day = parse_day(values.get("date"), "date")
        except CellError as exc:
            problems.append(problem(line, str(exc)))
            continue
        name = " ".join(str(values.get("name") or "").split())
        if day is None:
            problems.append(problem(line, t("working_calendar.error.day_required")))
        elif not name:
            problems.append(problem(line, t("working_calendar.error.name_required")))
        elif len(name) > MAX_NAME:
            problems.append(problem(line, t("common.error.too_long", limit=MAX_NAME)))
        elif day in found:
            problems.append(problem(line, t("working_calendar.error.day_twice", day=day.isoformat())))
        else:
            found[day] = name
    if not found and not problems:
        problems.append(t("import.error.empty"))
    report_problems(problems)
    for day, name in found.items():
        _set_day(session, agency, day, name, "closed")
    session.flush()
    return len(found)
