"""Supervision calendar exports: an .ics file (for Outlook, Google Calendar, phones) and a printable PDF (a month
grid per supervisor and an agenda listing), for a team, one supervisor or one caseworker.

The .ics is meant to be imported again after every change: each event's UID comes from what the session stands
for (team, activity, person, window), never at random, and its SEQUENCE rises with every change, so a calendar
updates the events it has instead of adding copies. A weekly series is one recurring event (RRULE) with the
weeks that have no session as EXDATE; a session moved, re-timed or cancelled is an override of its week
(RECURRENCE-ID), cancelled ones with STATUS:CANCELLED. Notes of held sessions never leave the tool."""

from __future__ import annotations

import calendar as month_calendar
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak
from sqlalchemy.orm import Session

from accounts.models import StaffMember, Team
from accounts.services import language_of_staff
from core.actor import Actor, Role
from core.audit import record_event
from core.errors import Forbidden, ValidationFailed
from core.i18n import current_locale, format_date, format_month, t, using_locale
from core.reports.pdf import (
    PAGE_SIZES,
    PageFurniture,
    build_pdf,
    cell,
    grid_table,
    para,
    usable_height,
    usable_width,
)
from core.safe_text import clean, one_line
from supervision.generator import series_key
from supervision.services.access import may_run_team, visible_teams
from supervision.services.calendars import working_calendar_of
from supervision.services.sessions import SessionView, list_sessions

PRODID = "-//CPCM Quality Tool//Supervision calendar//EN"
UID_NAMESPACE = uuid.UUID("6f1c2a4e-3b7d-4c1e-9a55-2f0d8b7e4c11")
SCOPES = ("team", "supervisor", "caseworker")


def event_uid(team_uuid: str, key: str) -> str:
    return f"{uuid.uuid5(UID_NAMESPACE, f'{team_uuid}|{key}')}@cpcm"


def _summary(view: SessionView) -> str:
    return clean(f"{t(f'activity.{view.activity}')} — {view.with_whom}")


def _description(view: SessionView) -> str:
    return clean(t("ics.description", team=view.team_name, supervisor=view.supervisor_name or "—"))


def _event(view: SessionView, zone: ZoneInfo, stamp: datetime, uid: str, sequence: int, *,
           recurrence_id: datetime | None = None) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("sequence", sequence)
    event.add("summary", _summary(view))
    event.add("description", _description(view))
    event.add("dtstart", view.starts_at.replace(tzinfo=zone))
    event.add("dtend", view.ends_at.replace(tzinfo=zone))
    if recurrence_id is not None:
        event.add("recurrence-id", recurrence_id.replace(tzinfo=zone))
    event.add("status", "CANCELLED" if view.status == "cancelled" else "CONFIRMED")
    event.add("transp", "OPAQUE")
    event.add("categories", [clean(t(f"activity.{view.activity}"))])
    return event


@dataclass(frozen=True)
class _Series:
    sessions: list[SessionView]
    weeks: int


def _split(views: list[SessionView]) -> tuple[list[_Series], list[SessionView]]:
    """Weekly series (generated sessions on a grid of N weeks) and the one-off sessions."""
    groups: dict[tuple[int, str], list[SessionView]] = defaultdict(list)
    single: list[SessionView] = []
    for view in views:
        if view.series_weeks and view.origin == "generated":
            groups[(view.team_id, series_key(view.occurrence_key))].append(view)
        else:
            single.append(view)
    series = []
    for members in groups.values():
        if len(members) < 2:
            single.extend(members)
        else:
            series.append(_Series(sorted(members, key=lambda v: v.due_on), members[0].series_weeks))
    return series, single


def _series_events(series: _Series, team_uuid: str, zone: ZoneInfo, stamp: datetime) -> list[Event]:
    members = series.sessions
    offset = Counter(v.planned_starts_at - datetime.combine(v.due_on, datetime.min.time())
                     for v in members).most_common(1)[0][0]
    minutes = Counter(v.minutes for v in members).most_common(1)[0][0]
    first_due, last_due = members[0].due_on, members[-1].due_on
    step = timedelta(weeks=series.weeks)
    grid = [datetime.combine(first_due, datetime.min.time()) + offset + step * k
            for k in range((last_due - first_due).days // step.days + 1)]
    by_instant = {datetime.combine(v.due_on, datetime.min.time()) + offset: v for v in members}
    uid = event_uid(team_uuid, series_key(members[0].occurrence_key))
    sequence = sum(v.sequence + 1 for v in members)  # rises with any change and with every new session
    first = members[0]
    master_view = _replace_time(first, grid[0], minutes)
    master = _event(master_view, zone, stamp, uid, sequence)
    if all(v.status == "cancelled" for v in members):
        master["status"] = "CANCELLED"
    master.add("rrule", {"freq": "weekly", "interval": series.weeks,
                         "until": grid[-1].replace(tzinfo=zone).astimezone(UTC)})
    missing = [instant for instant in grid if instant not in by_instant]
    for instant in missing:
        master.add("exdate", instant.replace(tzinfo=zone))
    events = [master]
    for instant, view in sorted(by_instant.items()):
        if view.starts_at == instant and view.minutes == minutes and view.status != "cancelled":
            continue
        events.append(_event(view, zone, stamp, uid, sequence, recurrence_id=instant))
    return events


def _replace_time(view: SessionView, starts_at: datetime, minutes: int) -> SessionView:
    return replace(view, starts_at=starts_at, minutes=minutes, status="planned")


def calendar_ics(views: list[SessionView], *, name: str, timezone: str, team_uuids: dict[int, str],
                 stamp: datetime | None = None) -> bytes:
    """The sessions as an iCalendar file (RFC 5545) for publishing."""
    zone = ZoneInfo(timezone)
    stamp = (stamp or datetime.now(UTC)).replace(microsecond=0)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", one_line(name))  # an unknown property: icalendar would not escape a line break
    cal.add("x-wr-timezone", timezone)
    series, single = _split(views)
    for group in series:
        for event in _series_events(group, team_uuids[group.sessions[0].team_id], zone, stamp):
            cal.add_component(event)
    for view in sorted(single, key=lambda v: (v.starts_at, v.id)):
        cal.add_component(_event(view, zone, stamp, event_uid(team_uuids[view.team_id], view.occurrence_key),
                                 view.sequence))
    cal.add_missing_timezones()
    return cal.to_ical()


# Choosing what to export ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    team_id: int
    kind: str  # team | supervisor | caseworker
    person_id: int | None = None


def _scoped(session: Session, actor: Actor, scope: Scope, first: date | None = None,
            last: date | None = None) -> tuple[list[SessionView], str, Team]:
    if scope.kind not in SCOPES:
        raise ValidationFailed({"scope": t("export.error.scope")})
    team = session.get(Team, scope.team_id)
    if team is None or scope.team_id not in {i for i, _n in visible_teams(session, actor)}:
        raise Forbidden(t("common.error.forbidden"))
    runs = may_run_team(session, actor, scope.team_id)
    person = scope.person_id
    if not runs and (not actor.has(Role.CASEWORKER) or scope.kind != "caseworker"
                     or person != actor.staff_member_id):  # a caseworker exports their own calendar only
        raise Forbidden(t("common.error.forbidden"))
    if scope.kind in ("supervisor", "caseworker") and person is None:
        raise ValidationFailed({"person": t("export.error.person")})
    views = list_sessions(session, actor=actor, team_id=scope.team_id, first=first, last=last,
                          person_id=person if scope.kind == "caseworker" else None,
                          supervisor_id=person if scope.kind == "supervisor" else None)
    who = session.get(StaffMember, person) if person else None
    label = t(f"export.name.{scope.kind}", team=team.name, person=who.full_name if who else "")
    return views, label, team


def export_calendar_ics(session: Session, *, actor: Actor, scope: Scope) -> bytes:
    """The whole calendar of the scope (every session, past and future), so each re-import is complete."""
    views, label, team = _scoped(session, actor, scope)
    timezone = working_calendar_of(session, team.agency_id, []).timezone
    # Event titles and descriptions in the language of the person whose calendar it is (the team's supervisor for
    # the team's), who may not be the person who clicked.
    owner = language_of_staff(session, staff_member_id=scope.person_id if scope.kind != "team" else None,
                              team_id=team.id)
    with using_locale(owner or current_locale()):
        views, label, _team = _scoped(session, actor, scope)
        data = calendar_ics(views, name=label, timezone=timezone, team_uuids={team.id: str(team.uuid)})
    record_event(session, action="export", entity_type="Team", entity_id=team.id, summary=label,
                 details={"format": "ics", "scope": scope.kind, "sessions": len(views)})
    return data


def filename(label: str, fmt: str) -> str:
    slug = "".join(c if c.isalnum() else "-" for c in label.lower())
    slug = "-".join(part for part in slug.split("-") if part)[:60] or "calendar"
    return f"supervision-calendar_{slug}.{fmt}"


# The printable calendar -----------------------------------------------------------------------------------------


def _page_label(page: int, total: int) -> str:
    return t("report.page_of", page=page, total=total)


def _short(view: SessionView) -> str:
    status = "" if view.status == "planned" else f" [{t(f'session.status.{view.status}')}]"
    return f"{view.starts_at:%H:%M} {t(f'activity_short.{view.activity}')} — {view.with_whom}{status}"


def calendar_pdf(views: list[SessionView], *, label: str, first: date, last: date, week_starts_on: int,
                 page: str = "a4") -> bytes:
    """A month grid per supervisor and month (landscape), then an agenda listing of every session."""
    size = PAGE_SIZES[page]
    width, height = usable_width(size), usable_height(size)
    months = []
    month = first.replace(day=1)
    while month <= last:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    supervisors = sorted({v.supervisor_name or "—" for v in views}) or ["—"]
    weekdays = [(week_starts_on + n) % 7 for n in range(7)]
    furniture = PageFurniture(header=label, footer=t("calendar_pdf.footer"))

    def grid(supervisor: str, month: date) -> list[Any]:
        mine = [v for v in views if (v.supervisor_name or "—") == supervisor and v.starts_at.year == month.year
                and v.starts_at.month == month.month and v.status != "cancelled"]
        by_day: dict[int, list[SessionView]] = defaultdict(list)
        for v in mine:
            by_day[v.starts_at.day].append(v)
        weeks = month_calendar.Calendar(firstweekday=week_starts_on).monthdayscalendar(month.year, month.month)
        header = [cell(t(f"weekday.{d}")) for d in weekdays]
        row_height = (height - 30 * mm) / max(len(weeks), 5)
        rows = []
        for week in weeks:
            row = []
            for day in week:
                if not day:
                    row.append("")
                    continue
                lines = [str(day), *[_short(v) for v in sorted(by_day[day], key=lambda v: v.starts_at)]]
                row.append(para("\n".join(lines), "small"))
            rows.append(row)
        table = grid_table([header, *rows], [width / 7] * 7, min_row_heights=[0, *[row_height] * len(rows)])
        title = t("calendar_pdf.month_title", supervisor=supervisor, month=format_month(month))
        return [para(title, "h1"), para(t("calendar_pdf.count", count=len(mine)), "small"), table, PageBreak()]

    def story() -> list[Any]:
        period = t("calendar_pdf.period", first=format_date(first), last=format_date(last))
        out: list[Any] = [para(f"{label} · {period}", "small")]
        for supervisor in supervisors:
            for month in months:
                out += grid(supervisor, month)
        rows = [[cell(t(f"calendar_pdf.col.{c}")) for c in ("date", "time", "activity", "with", "minutes",
                                                           "status")]]
        for v in sorted(views, key=lambda v: (v.starts_at, v.id)):
            rows.append([cell(format_date(v.starts_at)), cell(f"{v.starts_at:%H:%M}–{v.ends_at:%H:%M}"),
                         cell(t(f"activity.{v.activity}"), wrap_over=30), cell(v.with_whom, wrap_over=30),
                         cell(str(v.minutes)), cell(t(f"session.status.{v.status}"))])
        if len(rows) == 1:
            rows.append([cell("—"), "", "", "", "", ""])
        out.append(grid_table(rows, [32 * mm, 28 * mm, 60 * mm, width - 180 * mm, 20 * mm, 40 * mm],
                              heading=t("calendar_pdf.agenda")))
        return out

    return build_pdf(story, title=label, author=label, furniture=furniture, page_label=_page_label, page_size=size)


def export_calendar_pdf(session: Session, *, actor: Actor, scope: Scope, first: date, last: date,
                        page: str = "a4") -> bytes:
    if page not in PAGE_SIZES:
        raise ValidationFailed({"page": t("export.error.page")})
    if last < first or (last - first).days > 370:
        raise ValidationFailed({"last": t("generate.error.order")})
    views, label, team = _scoped(session, actor, scope, first, last)
    calendar = working_calendar_of(session, team.agency_id, [])
    data = calendar_pdf(views, label=label, first=first, last=last, week_starts_on=calendar.week_starts_on,
                        page=page)
    record_event(session, action="export", entity_type="Team", entity_id=team.id, summary=label,
                 details={"format": "pdf", "scope": scope.kind, "sessions": len(views)})
    return data
