"""Persistence for case file reviews: pseudonymous case files, stored checklist templates and review settings,
reviews and their answers. Follow-up actions are improvement actions (``improvement_actions``) whose source is a
review and checklist item."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from core.audit import agency_of, register_value_label
from core.i18n import t_plain
from core.models import AttributionMixin, Base, TimestampMixin, UuidMixin, VersionedMixin
from core.versioned_content import VersionedContentMixin


class CaseFile(UuidMixin, VersionedMixin, AttributionMixin, TimestampMixin, Base):
    """One child's case file, by case code only: no name, no identifying detail."""

    __tablename__ = "case_files"
    __table_args__ = (UniqueConstraint("agency_id", "case_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    case_code: Mapped[str] = mapped_column(String(60))
    caseworker_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"), index=True)
    risk_level: Mapped[str] = mapped_column(String(10))  # high | medium | low | no_risk
    status: Mapped[str] = mapped_column(String(12), default="open")  # open | closed | transferred
    identified_on: Mapped[date | None] = mapped_column(Date)
    registered_on: Mapped[date | None] = mapped_column(Date)
    assessed_on: Mapped[date | None] = mapped_column(Date)
    case_plan_on: Mapped[date | None] = mapped_column(Date)
    first_action_on: Mapped[date | None] = mapped_column(Date)
    follow_ups: Mapped[list[str]] = mapped_column(JSON, default=list)  # ISO dates, sorted
    case_plan_reviews: Mapped[list[str]] = mapped_column(JSON, default=list)
    reassessments: Mapped[list[str]] = mapped_column(JSON, default=list)
    risk_changes: Mapped[list[list[str]]] = mapped_column(JSON, default=list)  # [[ISO date, level], ...], sorted
    closed_on: Mapped[date | None] = mapped_column(Date)
    closure_reason: Mapped[str] = mapped_column(Text, default="")
    objectives_achieved: Mapped[str] = mapped_column(String(8), default="")  # yes | partly | no | "" (not said)
    post_closure_follow_up_on: Mapped[date | None] = mapped_column(Date)

    def audit_scope(self, _session: Session) -> int | None:
        return self.agency_id

    def audit_title(self, session: Session) -> str:
        return self.case_code


class ChecklistTemplate(VersionedContentMixin, UuidMixin, VersionedMixin, AttributionMixin, TimestampMixin, Base):
    """One stored version of checklist content. A contextual copy names its parent and the agency that made it;
    it can be changed until a review uses it, then it is frozen."""

    __tablename__ = "checklist_templates"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)


class ReviewSettingsVersion(UuidMixin, AttributionMixin, TimestampMixin, Base):
    """One version of an agency's review settings (timeframes, sample size, score thresholds). Never changed:
    a manager's edit adds the next version, so every review keeps the settings it was scored with."""

    __tablename__ = "review_settings_versions"
    __table_args__ = (UniqueConstraint("agency_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")

    def audit_scope(self, _session: Session) -> int | None:
        return self.agency_id

    def audit_title(self, session: Session) -> str:
        return t_plain("settings.version_title", number=self.number)


class CaseFileReview(UuidMixin, VersionedMixin, AttributionMixin, TimestampMixin, Base):
    """A supervisor's review of one case file against one checklist version. The caseworker and the month are
    kept as they were on the day, so a file moving to another caseworker later does not move its history."""

    __tablename__ = "case_file_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_file_id: Mapped[int] = mapped_column(ForeignKey("case_files.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    caseworker_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    reviewer_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    reviewer_name: Mapped[str] = mapped_column(String(200))
    reviewed_on: Mapped[date] = mapped_column(Date)
    month: Mapped[date] = mapped_column(Date, index=True)  # the first day of the review's month
    template_id: Mapped[int] = mapped_column(ForeignKey("checklist_templates.id"))
    settings_id: Mapped[int | None] = mapped_column(ForeignKey("review_settings_versions.id"))
    status: Mapped[str] = mapped_column(String(12), default="draft")  # draft | completed
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    strengths: Mapped[str] = mapped_column(Text, default="")
    feedback: Mapped[str] = mapped_column(Text, default="")
    yes_count: Mapped[int] = mapped_column(Integer, default=0)
    no_count: Mapped[int] = mapped_column(Integer, default=0)
    na_count: Mapped[int] = mapped_column(Integer, default=0)
    score: Mapped[float | None] = mapped_column(Float)  # per cent, Yes / (Yes + No)
    level: Mapped[str | None] = mapped_column(String(30))
    acknowledged_on: Mapped[date | None] = mapped_column(Date)
    acknowledged_by: Mapped[str] = mapped_column(String(200), default="")

    answers: Mapped[list[ReviewAnswer]] = relationship(
        back_populates="review", cascade="all, delete-orphan", order_by="ReviewAnswer.id")

    def audit_scope(self, _session: Session) -> int | None:
        return self.agency_id

    def audit_title(self, session: Session) -> str:
        code = session.get(CaseFile, self.case_file_id)
        return t_plain("review.audit_title", code=code.case_code if code else "?", date=self.reviewed_on.isoformat())


class ReviewAnswer(UuidMixin, Base):
    __tablename__ = "case_file_review_answers"
    __table_args__ = (UniqueConstraint("review_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("case_file_reviews.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[str] = mapped_column(String(20), index=True)
    answer: Mapped[str] = mapped_column(String(4), default="")  # yes | no | na | "" (unanswered)
    computed: Mapped[bool] = mapped_column(Boolean, default=False)
    computed_answer: Mapped[str | None] = mapped_column(String(4))
    override_reason: Mapped[str] = mapped_column(Text, default="")
    comment: Mapped[str] = mapped_column(Text, default="")
    recommendation: Mapped[str] = mapped_column(Text, default="")

    review: Mapped[CaseFileReview] = relationship(back_populates="answers")

    def audit_scope(self, session: Session) -> int | None:
        return agency_of(session, CaseFileReview, self.review_id)


class CaseFileDeadline(Base):
    """A case file's deadline for one of the guidelines' two timeliness indicators (``checklists.timeliness.
    indicator_deadlines``), kept so the dashboards count them in the database. Derived data: rewritten whenever
    the case file or its agency's timeframes change, and rebuilt at start-up where missing (after a restore)."""

    __tablename__ = "case_file_deadlines"
    __table_args__ = (UniqueConstraint("case_file_id", "step"),)
    __audited__ = False
    __user_data__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    case_file_id: Mapped[int] = mapped_column(ForeignKey("case_files.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    caseworker_id: Mapped[int] = mapped_column(Integer, index=True)
    step: Mapped[str] = mapped_column(String(30))  # assessment | first_case_plan_review
    due_on: Mapped[date | None] = mapped_column(Date, index=True)
    done_on: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[str] = mapped_column(String(8))  # met | missed | pending | none
    risk_level: Mapped[str] = mapped_column(String(10))


register_value_label("CaseFile", "risk_level", lambda value: t_plain(f"risk_level.{value}"))
register_value_label("CaseFile", "status", lambda value: t_plain(f"case_status.{value}"))
register_value_label("CaseFileReview", "status", lambda value: t_plain(f"review.status.{value}"))
