"""Persistence for improvement actions and their progress history."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from core.audit import agency_of, register_value_label
from core.i18n import t
from core.models import AttributionMixin, Base, TimestampMixin, UuidMixin, VersionedMixin, utcnow


class ImprovementAction(UuidMixin, VersionedMixin, AttributionMixin, TimestampMixin, Base):
    """One action, from whatever source. The source columns say what produced it (see ``ActionSource``)."""

    __tablename__ = "improvement_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_kind: Mapped[str] = mapped_column(String(40), index=True)
    source_record_id: Mapped[int] = mapped_column(Integer, index=True)
    source_item: Mapped[str] = mapped_column(String(40), default="")
    source_reference: Mapped[str | None] = mapped_column(String(40))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    owner_person: Mapped[str] = mapped_column(String(200), default="")  # free text: people outside the system
    owner_agency: Mapped[str] = mapped_column(String(200), default="")  # free text: agencies outside the system
    owner_staff_member_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))
    owner_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    due_on: Mapped[date | None] = mapped_column(Date)
    resources: Mapped[str] = mapped_column(Text, default="")
    priority: Mapped[str] = mapped_column(String(10), default="medium")  # high | medium | low
    status: Mapped[str] = mapped_column(String(20), default="not_started")
    progress_notes: Mapped[str] = mapped_column(Text, default="")
    # Who marked it done and when; the progress note given then is the evidence. Cleared if it is reopened.
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_by: Mapped[str] = mapped_column(String(200), default="")

    updates: Mapped[list[ProgressUpdate]] = relationship(
        back_populates="action", cascade="all, delete-orphan", order_by="ProgressUpdate.id")

    def audit_scope(self, _session: Session) -> int | None:
        return self.agency_id

    def audit_title(self, session: Session) -> str:
        return self.text[:120]


class ProgressUpdate(UuidMixin, Base):
    """One step in an action's history: the status and progress note it was given (``kind`` "progress"), or a
    comment on it (``kind`` "comment"), by whom and when."""

    __tablename__ = "improvement_action_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("improvement_actions.id", ondelete="CASCADE"), index=True)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    account_id: Mapped[int | None] = mapped_column(Integer)
    author_name: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(10), default="progress")  # progress | comment

    action: Mapped[ImprovementAction] = relationship(back_populates="updates")

    def audit_scope(self, session: Session) -> int | None:
        return agency_of(session, ImprovementAction, self.action_id)


register_value_label("ImprovementAction", "status", lambda value: t(f"improvement_action.status.{value}"))
register_value_label("ImprovementAction", "priority", lambda value: t(f"improvement_action.priority.{value}"))
