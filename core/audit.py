"""The audit trail: every change to a stored record is appended automatically at flush time, with who, when,
which entity and the before/after of each changed field. Events that change no row (an export, a login) are
recorded with ``record_event``. Records are append-only: no service edits or deletes them, and database
triggers (see the migrations) refuse UPDATE and DELETE on the table."""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

from sqlalchemy import JSON, DateTime, Integer, String, Text, event, insert, inspect, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.accounts.roles import SYSTEM, Actor
from core.models import AttributionMixin, Base, utcnow
from core.safe_text import for_spreadsheet

ACTOR_KEY = "actor"
T = TypeVar("T")


class AuditRecord(Base):
    __tablename__ = "audit_records"
    __audited__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    account_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor_name: Mapped[str] = mapped_column(String(200))
    actor_agency_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(40))  # create | update | delete | finalise | import | export | login…
    entity_type: Mapped[str] = mapped_column(String(80), index=True)
    entity_id: Mapped[str] = mapped_column(String(80), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


def actor_of(session: Session) -> Actor:
    return session.info.get(ACTOR_KEY) or SYSTEM


def binds_actor(function: Callable[..., T]) -> Callable[..., T]:
    """Decorates a write service: the ``actor`` it is called with is who the session's changes are attributed
    to, unless the unit of work already names someone. A unit of work is one person's: the first actor bound
    stays for the whole session (pages bind the signed-in person through ``session_scope``)."""

    @functools.wraps(function)
    def wrapper(session: Session, *args: Any, **kwargs: Any) -> T:
        actor = kwargs.get("actor")
        if actor is not None and ACTOR_KEY not in session.info:
            session.info[ACTOR_KEY] = actor
        return function(session, *args, **kwargs)

    return wrapper


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


_SKIP = {"created_at", "updated_at", "updated_by_id", "updated_by_name", "version_id"}


def _columns(obj: Any) -> list[str]:
    return [c.key for c in inspect(obj).mapper.column_attrs]


def _snapshot(obj: Any, excluded: frozenset[str]) -> dict[str, Any]:
    return {key: ("•••" if key in excluded else _plain(getattr(obj, key)))
            for key in _columns(obj) if key not in _SKIP}


def _diff(obj: Any, excluded: frozenset[str]) -> dict[str, list[Any]]:
    state = inspect(obj)
    changes: dict[str, list[Any]] = {}
    for key in _columns(obj):
        if key in _SKIP:
            continue
        history = state.attrs[key].history
        if not history.has_changes():
            continue
        before = history.deleted[0] if history.deleted else None
        after = history.added[0] if history.added else None
        if _plain(before) == _plain(after):
            continue
        if key in excluded:
            if key == "password_hash":
                changes[key] = ["•••", "•••"]
            continue
        changes[key] = [_plain(before), _plain(after)]
    return changes


def _audited(obj: Any) -> bool:
    return getattr(obj, "__audited__", True) and isinstance(obj, Base)


def _entity_id(obj: Any) -> str:
    identity = inspect(obj).identity
    return ",".join(str(v) for v in identity) if identity else ""


@event.listens_for(Session, "before_flush")
def _attribute(session: Session, _context: Any, _instances: Any) -> None:
    actor = actor_of(session)
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, AttributionMixin) and (obj in session.new or session.is_modified(obj)):
            obj.updated_by_id = actor.account_id
            obj.updated_by_name = actor.name


@event.listens_for(Session, "after_flush")
def _append_audit(session: Session, _context: Any) -> None:
    actor = actor_of(session)
    rows: list[dict[str, Any]] = []
    action_hint: str | None = session.info.pop("audit_action", None)

    def add(action: str, obj: Any, changes: dict[str, Any]) -> None:
        rows.append({"occurred_at": utcnow(), "account_id": actor.account_id, "actor_name": actor.name,
                     "actor_agency_id": actor.agency_id, "action": action, "entity_type": type(obj).__name__,
                     "entity_id": _entity_id(obj), "summary": "", "changes": changes})

    for obj in session.new:
        if _audited(obj):
            add("create", obj, _snapshot(obj, getattr(obj, "__audit_exclude__", frozenset())))
    for obj in session.dirty:
        if _audited(obj) and session.is_modified(obj):
            changes = _diff(obj, getattr(obj, "__audit_exclude__", frozenset()))
            if changes:
                add(action_hint if action_hint and "status" in changes else "update", obj, changes)
    for obj in session.deleted:
        if _audited(obj):
            add("delete", obj, _snapshot(obj, getattr(obj, "__audit_exclude__", frozenset())))
    if rows:
        session.connection().execute(insert(AuditRecord), rows)


def mark_action(session: Session, action: str) -> None:
    """Name the next flush's status change (e.g. 'finalise') instead of a plain 'update'."""
    session.info["audit_action"] = action


def record_event(session: Session, *, action: str, entity_type: str, entity_id: str | int = "", summary: str = "",
                 details: dict[str, Any] | None = None, actor: Actor | None = None) -> None:
    """Append an event that changes no stored record: an export, a login, an import summary."""
    who = actor or actor_of(session)
    session.add(AuditRecord(account_id=who.account_id, actor_name=who.name, actor_agency_id=who.agency_id,
                            action=action, entity_type=entity_type, entity_id=str(entity_id), summary=summary,
                            changes=_plain(details or {}), occurred_at=datetime.now(UTC)))
    session.flush()


@dataclass(frozen=True)
class AuditEntry:
    id: int
    occurred_at: datetime
    actor_name: str
    account_id: int | None
    action: str
    entity_type: str
    entity_id: str
    summary: str
    changes: dict[str, Any]


@dataclass
class AuditFilter:
    actor_name: str = ""
    action: str = ""
    entity_type: str = ""
    since: date | None = None
    until: date | None = None
    limit: int = 500


def list_audit(session: Session, *, actor: Actor, filters: AuditFilter) -> list[AuditEntry]:
    """Administrators see everything; managers see what people of their own agency did."""
    from core.accounts.roles import Role
    from core.errors import Forbidden

    if not actor.has(Role.ADMINISTRATOR, Role.MANAGER):
        raise Forbidden()
    query = select(AuditRecord).order_by(AuditRecord.id.desc())
    if not actor.is_admin:
        query = query.where(AuditRecord.actor_agency_id == actor.agency_id)
    if filters.actor_name:
        query = query.where(AuditRecord.actor_name.ilike(f"%{filters.actor_name}%"))
    if filters.action:
        query = query.where(AuditRecord.action == filters.action)
    if filters.entity_type:
        query = query.where(AuditRecord.entity_type == filters.entity_type)
    if filters.since:
        query = query.where(AuditRecord.occurred_at >= datetime.combine(filters.since, datetime.min.time(), UTC))
    if filters.until:
        query = query.where(AuditRecord.occurred_at < datetime.combine(filters.until, datetime.max.time(), UTC))
    rows = session.scalars(query.limit(filters.limit)).all()
    return [AuditEntry(id=r.id, occurred_at=r.occurred_at, actor_name=r.actor_name, account_id=r.account_id,
                       action=r.action, entity_type=r.entity_type, entity_id=r.entity_id, summary=r.summary,
                       changes=r.changes or {}) for r in rows]


def audit_csv(entries: list[AuditEntry]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "occurred_at", "actor", "action", "entity_type", "entity_id", "summary", "changes"])
    for e in entries:
        changes = "; ".join(f"{k}: {v}" for k, v in e.changes.items())
        writer.writerow([for_spreadsheet(v) for v in (e.id, e.occurred_at.isoformat(), e.actor_name, e.action,
                                                       e.entity_type, e.entity_id, e.summary, changes)])
    return buffer.getvalue().encode("utf-8-sig")
