"""Persistence for supervision: each team's plan, each agency's working calendar and closure days, the sessions
of the calendar, and caseloads entered by hand where case files are not kept in the tool. Actions agreed in a
session are improvement actions (``improvement_actions``) whose source is the session."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, Session, mapped_column

from accounts.models import StaffMember, Team
from core.audit import agency_of, register_value_label
from core.i18n import format_datetime, t_plain
from core.models import AttributionMixin, Base, TimestampMixin, UuidMixin, VersionedMixin


class SupervisionPlanRecord(UuidMixin, VersionedMixin, AttributionMixin, TimestampMixin, Base):
    """A team's supervision plan (``supervision.plan`` shape). A team without one uses the shipped defaults."""

    __tablename__ = "supervision_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), unique=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)

    def audit_scope(self, _session: Session) -> int | None:
        return self.agency_id

    def audit_title(self, session: Session) -> str:
        team = session.get(Team, self.team_id)
        return t_plain("plan.audit_title", team=team.name if team else "?")


class WorkingCalendarRecord(UuidMixin, VersionedMixin, AttributionMixin, TimestampMixin, Base):
    """An agency's working days and hours, the supervisor's daily cap, time zone and holiday country."""

    __tablename__ = "working_calendars"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), unique=True)
    working_days: Mapped[list[int]] = mapped_column(JSON)  # Monday = 0 ... Sunday = 6
    day_starts: Mapped[str] = mapped_column(String(5))  # HH:MM
    day_ends: Mapped[str] = mapped_column(String(5))
    max_supervision_minutes: Mapped[int] = mapped_column(Integer)
    timezone: Mapped[str] = mapped_column(String(64))
    country: Mapped[str] = mapped_column(String(2), default="")

    def audit_scope(self, _session: Session) -> int | None:
        return self.agency_id

    def audit_title(self, session: Session) -> str:
        return t_plain("working_calendar.audit_title")


class ClosureDay(UuidMixin, AttributionMixin, TimestampMixin, Base):
    """A day the agency is closed that the holiday package does not know (``closed``), or a public holiday the
    agency works on after all (``open``)."""

    __tablename__ = "closure_days"
    __table_args__ = (UniqueConstraint("agency_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(8), default="closed")  # closed | open

    def audit_scope(self, _session: Session) -> int | None:
        return self.agency_id

    def audit_title(self, session: Session) -> str:
        return f"{self.day.isoformat()} {self.name}".strip()


class SupervisionSession(UuidMixin, VersionedMixin, AttributionMixin, TimestampMixin, Base):
    """One planned supervision activity in a team's calendar. Times are the agency's wall-clock time.

    ``occurrence_key`` names what the session stands for (activity, person, due window), so regenerating finds
    it again; ``touched`` marks a session moved or edited by hand, which regeneration never changes. Sessions are
    cancelled rather than deleted, so calendars that imported them learn of it; ``sequence`` rises with every
    change, as the calendar export needs."""

    __tablename__ = "supervision_sessions"
    __table_args__ = (UniqueConstraint("team_id", "occurrence_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"), index=True)
    caseworker_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"), index=True)  # none: team
    activity: Mapped[str] = mapped_column(String(40))
    occurrence_key: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date] = mapped_column(Date)
    series_weeks: Mapped[int] = mapped_column(Integer, default=0)
    starts_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    minutes: Mapped[int] = mapped_column(Integer)
    planned_starts_at: Mapped[datetime] = mapped_column(DateTime)  # where generation put it
    origin: Mapped[str] = mapped_column(String(10), default="generated")  # generated | manual
    touched: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(10), default="planned")  # planned | held | missed | cancelled
    cancel_reason: Mapped[str] = mapped_column(String(20), default="")  # by_hand | plan_changed
    held_on: Mapped[date | None] = mapped_column(Date)
    held_minutes: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str] = mapped_column(Text, default="")
    missed_reason: Mapped[str] = mapped_column(String(30), default="")
    missed_note: Mapped[str] = mapped_column(Text, default="")
    sequence: Mapped[int] = mapped_column(Integer, default=0)

    def audit_scope(self, _session: Session) -> int | None:
        return self.agency_id

    def audit_title(self, session: Session) -> str:
        who = session.get(StaffMember, self.caseworker_id) if self.caseworker_id else None
        return t_plain("session.audit_title", activity=t_plain(f"activity.{self.activity}"),
                       who=who.full_name if who else t_plain("session.whole_team"),
                       when=format_datetime(self.starts_at))


class ManualCaseload(UuidMixin, AttributionMixin, TimestampMixin, Base):
    """A caseworker's open caseload as counted by hand on a day, for teams that keep case files elsewhere."""

    __tablename__ = "manual_caseloads"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_member_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"), index=True)
    counted_on: Mapped[date] = mapped_column(Date)
    open_cases: Mapped[int] = mapped_column(Integer)
    high_risk_cases: Mapped[int] = mapped_column(Integer, default=0)

    def audit_scope(self, session: Session) -> int | None:
        return agency_of(session, StaffMember, self.staff_member_id)

    def audit_title(self, session: Session) -> str:
        who = session.get(StaffMember, self.staff_member_id)
        return t_plain("caseload.audit_title", who=who.full_name if who else "?", date=self.counted_on.isoformat())


register_value_label("SupervisionSession", "status", lambda value: t_plain(f"session.status.{value}"))
register_value_label("SupervisionSession", "activity", lambda value: t_plain(f"activity.{value}"))
