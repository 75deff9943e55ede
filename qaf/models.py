"""Persistence for the QAF: stored framework versions, assessments and component ratings. Key actions are
improvement actions (``improvement_actions``) whose source is an assessment and component."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from core.audit import agency_of, register_value_label
from core.models import AttributionMixin, Base, TimestampMixin, UuidMixin, VersionedMixin
from core.versioned_content import VersionedContentMixin
from qaf.levels import Level, level_label


class FrameworkVersion(VersionedContentMixin, UuidMixin, VersionedMixin, AttributionMixin, TimestampMixin, Base):
    """One immutable snapshot of framework content. A contextualised copy is a new row that names its parent;
    it stays editable only until an assessment uses it."""

    __tablename__ = "qaf_framework_versions"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)


class Assessment(UuidMixin, VersionedMixin, AttributionMixin, TimestampMixin, Base):
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
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # hidden from lists, kept
    framework_version_id: Mapped[int] = mapped_column(ForeignKey("qaf_framework_versions.id"))
    baseline_id: Mapped[int | None] = mapped_column(ForeignKey("qaf_assessments.id", ondelete="SET NULL"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    created_by_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))

    framework_version: Mapped[FrameworkVersion] = relationship()
    participants: Mapped[list[Participant]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan", order_by="Participant.position"
    )
    ratings: Mapped[list[ComponentRating]] = relationship(back_populates="assessment", cascade="all, delete-orphan")
    members: Mapped[list[AssessmentMember]] = relationship(cascade="all, delete-orphan")

    def audit_scope(self, _session: Session) -> int | None:
        return self.agency_id

    def audit_title(self, session: Session) -> str:
        return self.name


class Participant(UuidMixin, Base):
    __tablename__ = "qaf_participants"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("qaf_assessments.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(200))
    agency: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(200), default="")

    assessment: Mapped[Assessment] = relationship(back_populates="participants")

    def audit_scope(self, session: Session) -> int | None:
        return agency_of(session, Assessment, self.assessment_id)


class AssessmentMember(UuidMixin, Base):
    """An account that runs (facilitator) or takes part in (participant) an assessment, and so may edit it."""

    __tablename__ = "qaf_assessment_members"
    __table_args__ = (UniqueConstraint("assessment_id", "account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("qaf_assessments.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))  # facilitator | participant

    def audit_scope(self, session: Session) -> int | None:
        return agency_of(session, Assessment, self.assessment_id)


class ComponentRating(UuidMixin, VersionedMixin, AttributionMixin, TimestampMixin, Base):
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
    # Copied from the baseline assessment and not yet confirmed or changed by this task force.
    from_baseline: Mapped[bool] = mapped_column(Boolean, default=False)

    assessment: Mapped[Assessment] = relationship(back_populates="ratings")

    def audit_scope(self, session: Session) -> int | None:
        return agency_of(session, Assessment, self.assessment_id)

    def audit_title(self, session: Session) -> str:
        loaded = self.__dict__.get("assessment")
        name = loaded.name if loaded is not None else session.connection().execute(  # the flush's own connection
            select(Assessment.name).where(Assessment.id == self.assessment_id)).scalar()
        return f"{self.component_code} · {name}" if name else self.component_code


class ComponentDraft(Base):
    """What one person has ticked and typed for a component and not saved yet, kept on the server so that a
    reload, a dropped connection or a closed laptop lid loses nothing. Working state, not a record: no UUID, not
    audited, gone once saved or discarded."""

    __tablename__ = "qaf_component_drafts"
    __table_args__ = (UniqueConstraint("account_id", "assessment_id", "component_code"),)
    __audited__ = False
    __user_data__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("qaf_assessments.id", ondelete="CASCADE"), index=True)
    component_code: Mapped[str] = mapped_column(String(10))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    base_version: Mapped[int | None] = mapped_column(Integer)  # the saved rating's version it was typed over
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


register_value_label("ComponentRating", "derived_level", lambda value: level_label(Level(int(value))))
register_value_label("ComponentRating", "agreed_level", lambda value: level_label(Level(int(value))))
