"""Persistence for the QAF: stored framework versions, assessments, component ratings and key actions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.models import AttributionMixin, Base, TimestampMixin


class FrameworkVersion(AttributionMixin, TimestampMixin, Base):
    """One immutable snapshot of framework content. A contextualised copy is a new row that names its parent;
    it stays editable only until an assessment uses it."""

    __tablename__ = "qaf_framework_versions"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80))
    version: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    language: Mapped[str] = mapped_column(String(10))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_sha256: Mapped[str] = mapped_column(String(64))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("qaf_framework_versions.id"))
    context_note: Mapped[str] = mapped_column(Text, default="")


class Assessment(AttributionMixin, TimestampMixin, Base):
    __tablename__ = "qaf_assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(String(20))  # agency | inter_agency
    assessed_on: Mapped[date] = mapped_column(Date)
    facilitator: Mapped[str] = mapped_column(String(200))
    agencies: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default="draft")  # draft | final
    finalised_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    framework_version_id: Mapped[int] = mapped_column(ForeignKey("qaf_framework_versions.id"))
    baseline_id: Mapped[int | None] = mapped_column(ForeignKey("qaf_assessments.id", ondelete="SET NULL"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    created_by_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    framework_version: Mapped[FrameworkVersion] = relationship()
    participants: Mapped[list[Participant]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan", order_by="Participant.position"
    )
    ratings: Mapped[list[ComponentRating]] = relationship(back_populates="assessment", cascade="all, delete-orphan")
    members: Mapped[list[AssessmentMember]] = relationship(cascade="all, delete-orphan")
    key_actions: Mapped[list[KeyAction]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan", order_by="KeyAction.id"
    )

    __mapper_args__ = {"version_id_col": version_id}


class Participant(Base):
    __tablename__ = "qaf_participants"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("qaf_assessments.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(200))
    agency: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(200), default="")

    assessment: Mapped[Assessment] = relationship(back_populates="participants")


class AssessmentMember(Base):
    """An account that runs (facilitator) or takes part in (participant) an assessment, and so may edit it."""

    __tablename__ = "qaf_assessment_members"
    __table_args__ = (UniqueConstraint("assessment_id", "account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("qaf_assessments.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))  # facilitator | participant


class ComponentRating(AttributionMixin, TimestampMixin, Base):
    """What the task force agreed for one component: actions in place, derived and agreed level, reason, notes."""

    __tablename__ = "qaf_component_ratings"
    __table_args__ = (UniqueConstraint("assessment_id", "component_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("qaf_assessments.id", ondelete="CASCADE"), index=True)
    component_code: Mapped[str] = mapped_column(String(10))
    actions_in_place: Mapped[list[str]] = mapped_column(JSON, default=list)
    derived_level: Mapped[int] = mapped_column(Integer)
    agreed_level: Mapped[int] = mapped_column(Integer)
    level_reason: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    assessment: Mapped[Assessment] = relationship(back_populates="ratings")

    __mapper_args__ = {"version_id_col": version_id}


class KeyAction(AttributionMixin, TimestampMixin, Base):
    """An action the task force commits to, to move a component up a level."""

    __tablename__ = "qaf_key_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("qaf_assessments.id", ondelete="CASCADE"), index=True)
    component_code: Mapped[str] = mapped_column(String(10))
    change_grid_action_id: Mapped[str | None] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    owner_person: Mapped[str] = mapped_column(String(200), default="")
    owner_agency: Mapped[str] = mapped_column(String(200), default="")
    due_on: Mapped[date | None] = mapped_column(Date)
    resources: Mapped[str] = mapped_column(Text, default="")
    priority: Mapped[str] = mapped_column(String(10), default="medium")  # high | medium | low
    status: Mapped[str] = mapped_column(String(20), default="not_started")
    progress_notes: Mapped[str] = mapped_column(Text, default="")
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    assessment: Mapped[Assessment] = relationship(back_populates="key_actions")

    __mapper_args__ = {"version_id_col": version_id}
