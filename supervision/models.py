"""Staff members, teams and who was in which team when."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models import AttributionMixin, Base, TimestampMixin


class Team(AttributionMixin, TimestampMixin, Base):
    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("agency_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version_id}


class StaffMember(AttributionMixin, TimestampMixin, Base):
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
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version_id}


class TeamMembership(AttributionMixin, TimestampMixin, Base):
    """One stay of one person in one team. ``to_date`` is empty while it lasts; moves keep the history."""

    __tablename__ = "team_memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    staff_member_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"), index=True)
    role_in_team: Mapped[str] = mapped_column(String(20))  # supervisor | member
    from_date: Mapped[date] = mapped_column(Date)
    to_date: Mapped[date | None] = mapped_column(Date)
