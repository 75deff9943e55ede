"""Who is who: agencies, the accounts people sign in with, and the workforce (staff members, teams, and who
was in which team when)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.audit import agency_of
from core.models import AttributionMixin, Base, TimestampMixin, UuidMixin, VersionedMixin


class Agency(UuidMixin, VersionedMixin, AttributionMixin, TimestampMixin, Base):
    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # the interface language of the agency's people who chose none; none: the server's (CPCM_LOCALE)
    default_language: Mapped[str | None] = mapped_column(String(10))

    def audit_scope(self, _session: Session) -> int | None:
        return self.id

    def audit_title(self, session: Session) -> str:
        return self.name


class Account(UuidMixin, VersionedMixin, AttributionMixin, TimestampMixin, Base):
    __tablename__ = "accounts"
    __audit_exclude__ = frozenset({"password_hash", "failed_logins", "last_login_at", "locked_until"})

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    staff_member_id: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    language: Mapped[str | None] = mapped_column(String(10))  # interface language; empty: the server's default

    def audit_scope(self, _session: Session) -> int | None:
        return self.agency_id

    def audit_title(self, session: Session) -> str:
        return f"{self.display_name} ({self.username})"


class Team(UuidMixin, VersionedMixin, AttributionMixin, TimestampMixin, Base):
    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("agency_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def audit_scope(self, _session: Session) -> int | None:
        return self.agency_id

    def audit_title(self, session: Session) -> str:
        return self.name


class StaffMember(UuidMixin, VersionedMixin, AttributionMixin, TimestampMixin, Base):
    """A member of the case management workforce. Staff are adults; no child is ever recorded here."""

    __tablename__ = "staff_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(String(200))
    programme_role: Mapped[str] = mapped_column(String(20))  # caseworker | supervisor | manager | data_entry | other
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    start_date: Mapped[date | None] = mapped_column(Date)
    gender: Mapped[str] = mapped_column(String(20), default="undisclosed")
    email: Mapped[str | None] = mapped_column(String(254))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def audit_scope(self, _session: Session) -> int | None:
        return self.agency_id

    def audit_title(self, session: Session) -> str:
        return self.full_name


class TeamMembership(UuidMixin, AttributionMixin, TimestampMixin, Base):
    """One stay of one person in one team. ``to_date`` is empty while it lasts; moves keep the history."""

    __tablename__ = "team_memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    staff_member_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"), index=True)
    role_in_team: Mapped[str] = mapped_column(String(20))  # supervisor | member
    from_date: Mapped[date] = mapped_column(Date)
    to_date: Mapped[date | None] = mapped_column(Date)

    def audit_scope(self, session: Session) -> int | None:
        return agency_of(session, Team, self.team_id)


class StaffTraining(UuidMixin, AttributionMixin, TimestampMixin, Base):
    """A training a staff member completed, dated: the guidelines count supervisors trained in supervision and
    coaching (indicator 2.1.5.A)."""

    __tablename__ = "staff_trainings"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_member_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id", ondelete="CASCADE"), index=True)
    topic: Mapped[str] = mapped_column(String(40))  # supervision_coaching | case_management | other
    completed_on: Mapped[date] = mapped_column(Date)
    provider: Mapped[str] = mapped_column(String(200), default="")

    def audit_scope(self, session: Session) -> int | None:
        return agency_of(session, StaffMember, self.staff_member_id)


class SignInThrottle(Base):
    """Failed sign-ins from one source (a pseudonymised client address): each failure past a few makes the
    next attempt from there wait longer. System data: no UUID, not audited (the attempts themselves are)."""

    __tablename__ = "sign_in_throttle"
    __audited__ = False
    __user_data__ = False

    source_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    blocked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class KnownDevice(Base):
    """A browser that signed in to an account before: it holds a random token in a long-lived HttpOnly cookie
    (only the token's SHA-256 is stored here). A lock made by failed sign-ins from elsewhere never stops the person
    on a device they have used before, so an anonymous guesser cannot lock anyone out of their own browser.
    System data: no UUID, not audited (sign-ins are)."""

    __tablename__ = "known_devices"
    __audited__ = False
    __user_data__ = False
    __table_args__ = (UniqueConstraint("account_id", "device_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    device_hash: Mapped[str] = mapped_column(String(64))
    first_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SignInSession(Base):
    """A signed-in browser, shared by its tabs. The browser holds a random token in an HttpOnly cookie; only the
    token's SHA-256 is stored here, so a copy of the database signs nobody in. Ends on sign-out, on the idle
    timeout, or when the account's password changes. System data: no UUID, not audited (sign-ins are)."""

    __tablename__ = "sign_in_sessions"
    __audited__ = False
    __user_data__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    handoff_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    handoff_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
