"""The audit trail: every change to a stored record is appended automatically at flush time, with who, when,
which entity and the before/after of each changed field. Events that change no row (an export, a login, a
refused attempt) are recorded with ``record_event``.

Records are append-only and tamper-evident. No service edits or deletes them; database triggers refuse UPDATE,
DELETE, a replacing INSERT and (PostgreSQL) TRUNCATE; and each record carries a SHA-256 hash over its content and
the previous record's hash, so that a record changed, removed or slipped in by someone who got round the
triggers breaks the chain, and ``verify_chain`` (``python -m app verify-audit``, or the audit trail page) names the
first broken link. Appends are serialised on one head row, so the chain never forks.

Each record also names the agency of the record it describes (``scope_agency_id``): a manager reads the trail of
their agency's records, whoever wrote them."""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

from sqlalchemy import JSON, DateTime, Integer, Select, String, Text, event, func, insert, inspect, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from core import audit_keys
from core.actor import SYSTEM, Actor, Role
from core.errors import Forbidden, ValidationFailed
from core.i18n import t
from core.models import AttributionMixin, Base, UuidMixin, utcnow
from core.reports.spreadsheet import csv_bytes

ACTOR_KEY = "actor"
T = TypeVar("T")


class AuditRecord(UuidMixin, Base):
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
    scope_agency_id: Mapped[int | None] = mapped_column(Integer, index=True)
    previous_hash: Mapped[str] = mapped_column(String(64))
    record_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_id: Mapped[str | None] = mapped_column(String(16))  # the key of its HMAC; none: a record made before keys
    # a record made on another replica and merged here (see ``sync``): that replica's id and the record's hash
    # in that replica's chain; none: made here
    origin_replica: Mapped[str | None] = mapped_column(String(36))
    origin_hash: Mapped[str | None] = mapped_column(String(64))


class AuditChainHead(Base):
    """One row: the newest record of the chain. Every append locks it first, so appends happen one at a time."""

    __tablename__ = "audit_chain_head"
    __audited__ = False
    __user_data__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    last_record_id: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))
    record_count: Mapped[int] = mapped_column(Integer, default=0)


GENESIS = "0" * 64
HASHED_FIELDS = ("uuid", "occurred_at", "account_id", "actor_name", "actor_agency_id", "action", "entity_type",
                 "entity_id", "summary", "changes", "scope_agency_id", "previous_hash")
OPTIONAL_HASHED_FIELDS = ("origin_replica", "origin_hash")  # hashed where set (records made before had none)


def record_digest(values: dict[str, Any], key: bytes | None = None) -> str:
    """A record's hash over its content and the previous record's hash, in a form that reads back the same from
    SQLite and PostgreSQL (timestamps as UTC, JSON with sorted keys): an HMAC-SHA-256 under the trail's key (see
    ``core.audit_keys``), with the key's id inside; a plain SHA-256 for the records made before keys (``key``
    None), which the first keyed record seals by holding their last hash."""
    canonical = {}
    for name in HASHED_FIELDS:
        value = values.get(name)
        if isinstance(value, datetime):
            value = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
        elif isinstance(value, uuid.UUID):
            value = value.hex
        canonical[name] = value
    for name in OPTIONAL_HASHED_FIELDS:
        if values.get(name) is not None:
            canonical[name] = values[name]
    if key is not None:
        canonical["key_id"] = values.get("key_id")
    text = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    if key is None:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()
    return audit_keys.sign(key, text)


def _append(session: Session, rows: list[dict[str, Any]]) -> None:
    """Chain and insert records, one writer at a time: the head row is locked (an UPDATE) before it is read. The
    newest link is noted for a checkpoint outside the database once the transaction commits."""
    connection = session.connection()
    head = AuditChainHead.__table__
    ring = audit_keys.keyring()
    connection.execute(update(head).where(head.c.id == 1).values(last_record_id=head.c.last_record_id))
    previous, count = connection.execute(select(head.c.last_hash, head.c.record_count).where(head.c.id == 1)).one()
    for row in rows:
        row.setdefault("uuid", uuid.uuid4())
        row["previous_hash"] = previous
        row["key_id"] = ring.current_id
        row["record_hash"] = previous = record_digest(row, ring.current)
    connection.execute(insert(AuditRecord), rows)
    last_id = connection.execute(select(func.max(AuditRecord.id))).scalar_one()
    connection.execute(update(head).where(head.c.id == 1).values(
        last_record_id=last_id, last_hash=previous, record_count=head.c.record_count + len(rows)))
    genesis = rows[0]["record_hash"] if count == 0 else _genesis(connection)
    session.info[CHECKPOINT_KEY] = audit_keys.Checkpoint(genesis, count + len(rows), last_id, previous,
                                                         ring.current_id)


CHECKPOINT_KEY = "audit_checkpoint"


def append_merged_records(session: Session, rows: list[dict[str, Any]]) -> None:
    """Add records made on other replicas to this trail, each sealed into this chain like a record made here and
    keeping its origin (``origin_replica``, ``origin_hash``) and its own id and moment; ones already here (the same
    ``uuid``) are left out, so merging the same records twice adds nothing."""
    known = set(session.scalars(select(AuditRecord.uuid).where(AuditRecord.uuid.in_([r["uuid"] for r in rows]))))
    fresh = [r for r in rows if r["uuid"] not in known]
    if fresh:
        _append(session, fresh)


def _genesis(connection: Any) -> str:
    """The hash of a trail's first record: what tells one database's trail from another's (read by its primary
    key each time, never cached: a database emptied and filled again has another trail)."""
    return connection.execute(select(AuditRecord.record_hash).order_by(AuditRecord.id).limit(1)).scalar() or ""


@event.listens_for(Session, "after_commit")
def _checkpoint(session: Session) -> None:
    point = session.info.pop(CHECKPOINT_KEY, None)
    if point is not None and point.genesis:
        audit_keys.write_checkpoint(point)


@event.listens_for(Session, "after_rollback")
def _no_checkpoint(session: Session) -> None:
    session.info.pop(CHECKPOINT_KEY, None)

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
    if isinstance(value, Decimal | uuid.UUID):
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


def holds_nul(value: Any) -> bool:
    """A NUL character anywhere in ``value``: a string, or a JSON value's strings and keys."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(holds_nul(k) or holds_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return any(holds_nul(v) for v in value)
    return False


def _column_limits(obj: Any) -> dict[str, int]:
    mapper = inspect(obj).mapper
    limits = getattr(mapper, "_cpcm_text_limits", None)
    if limits is None:  # read once per model
        limits = {attr.key: attr.columns[0].type.length for attr in mapper.column_attrs
                  if isinstance(attr.columns[0].type, String) and attr.columns[0].type.length}
        mapper._cpcm_text_limits = limits
    return limits


def _refuse_unstorable(objects: list[tuple[Any, bool]]) -> None:
    """One check for every service, on every engine: text about to be saved that the database cannot hold as
    typed is refused with a message on that field, before anything is written. A NUL character (which
    PostgreSQL cannot store, and no person types), in a text or inside a JSON value; a text longer than its
    column (PostgreSQL refuses it, SQLite would keep it whole: the same message on both)."""
    errors = {}
    for obj, new in objects:
        limits = _column_limits(obj)
        state = inspect(obj)
        for key in _columns(obj):
            if not new and not state.attrs[key].history.has_changes():
                continue  # what was stored before is not this save's to answer for
            value = getattr(obj, key, None)
            if holds_nul(value):
                errors[key] = t("common.error.nul_character")
            elif isinstance(value, str) and key in limits and len(value) > limits[key]:
                errors[key] = t("common.error.too_long", limit=limits[key])
    if errors:
        raise ValidationFailed(errors)


def _audited(obj: Any) -> bool:
    return getattr(obj, "__audited__", True) and isinstance(obj, Base)


def _entity_id(obj: Any) -> str:
    """The record's id; a new record has its key from the INSERT already (the identity comes only later)."""
    state = inspect(obj)
    key = state.identity or state.mapper.primary_key_from_instance(obj)
    return ",".join(str(v) for v in key if v is not None) if key else ""


def _title(session: Session, obj: Any) -> str:
    """What people call the record (an assessment's name, an action's text, a person's name), if the model says:
    the trail names it instead of "KeyAction 18"."""
    title = getattr(obj, "audit_title", None)
    try:
        text = title(session) if callable(title) else ""
    except Exception:  # a title is a courtesy; it must never stop a save
        text = ""
    return (text or "")[:200]


_value_labels: dict[tuple[str, str], Callable[[Any], str]] = {}


def register_value_label(entity_type: str, field: str, label: Callable[[Any], str]) -> None:
    """How a feature's stored value reads in the trail (a level number as its name), in the reader's language."""
    _value_labels[(entity_type, field)] = label


def readable_value(entity_type: str, field: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    label = _value_labels.get((entity_type, field))
    if label is not None:
        try:
            return label(value)
        except (ValueError, KeyError, TypeError):
            pass
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    return str(value)


def readable_changes(entry: AuditEntry, limit: int = 400) -> str:
    """An audit record's changes in plain words: "agreed level: Requires improvement → Meets minimum levels"; a
    created or deleted record lists its values."""
    parts = []
    for field, value in entry.changes.items():
        name = field.replace("_", " ")
        if entry.action not in ("create", "delete") and isinstance(value, list) and len(value) == 2:
            before, after = (readable_value(entry.entity_type, field, v) for v in value)
            parts.append(f"{name}: {before} → {after}")
        else:
            parts.append(f"{name}: {readable_value(entry.entity_type, field, value)}")
    text = "; ".join(parts)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@event.listens_for(Session, "before_flush")
def _attribute(session: Session, _context: Any, _instances: Any) -> None:
    actor = actor_of(session)
    new = session.new  # built afresh on every access: read once, or an import of thousands goes quadratic
    changed = list(new) + list(session.dirty)
    _refuse_unstorable([(obj, obj in new) for obj in changed])
    for obj in changed:
        if isinstance(obj, AttributionMixin) and (obj in new or session.is_modified(obj)):
            obj.updated_by_id = actor.account_id
            obj.updated_by_name = actor.name


@event.listens_for(Session, "after_flush")
def _append_audit(session: Session, _context: Any) -> None:
    actor = actor_of(session)
    rows: list[dict[str, Any]] = []
    action_hint, hint_field = session.info.pop("audit_action", (None, ""))

    def add(action: str, obj: Any, changes: dict[str, Any]) -> None:
        rows.append({"occurred_at": utcnow(), "account_id": actor.account_id, "actor_name": actor.name,
                     "actor_agency_id": actor.agency_id, "action": action, "entity_type": type(obj).__name__,
                     "entity_id": _entity_id(obj), "summary": _title(session, obj), "changes": changes,
                     "scope_agency_id": _scope(session, obj, actor)})

    for obj in session.new:
        if _audited(obj):
            add("create", obj, _snapshot(obj, getattr(obj, "__audit_exclude__", frozenset())))
    for obj in session.dirty:
        if _audited(obj) and session.is_modified(obj):
            changes = _diff(obj, getattr(obj, "__audit_exclude__", frozenset()))
            if changes:
                add(action_hint if action_hint and hint_field in changes else "update", obj, changes)
    for obj in session.deleted:
        if _audited(obj):
            add("delete", obj, _snapshot(obj, getattr(obj, "__audit_exclude__", frozenset())))
    if rows:
        _append(session, rows)


def agency_of(session: Session, model: Any, row_id: int | None) -> int | None:
    """The ``agency_id`` of another row, for a model's ``audit_scope``: from the session if it is loaded (it may
    be being deleted in this very flush), else read on the flush's own connection."""
    if row_id is None:
        return None
    loaded = session.identity_map.get(inspect(model).identity_key_from_primary_key((row_id,)))
    if loaded is not None:
        return loaded.agency_id
    return session.connection().execute(select(model.agency_id).where(model.id == row_id)).scalar()


def _scope(session: Session, obj: Any, actor: Actor) -> int | None:
    """The agency whose record this is (the model says, through ``audit_scope``), else the actor's."""
    scope = getattr(obj, "audit_scope", None)
    return scope(session) if scope is not None else actor.agency_id


def mark_action(session: Session, action: str, field: str = "status") -> None:
    """Name the next flush's change of ``field`` (e.g. 'finalise' for the status) instead of a plain 'update'."""
    session.info["audit_action"] = (action, field)


def record_event(session: Session, *, action: str, entity_type: str, entity_id: str | int = "", summary: str = "",
                 details: dict[str, Any] | None = None, actor: Actor | None = None,
                 scope_agency_id: int | None = None) -> None:
    """Append an event that changes no stored record: an export, a login, an import summary, a refusal. Its
    scope is the agency of the record it concerns, or by default the actor's."""
    who = actor or actor_of(session)
    session.flush()
    _append(session, [{"account_id": who.account_id, "actor_name": _storable(who.name, 200),
                       "actor_agency_id": who.agency_id, "action": action, "entity_type": entity_type,
                       "entity_id": _storable(str(entity_id), 80), "summary": _storable(summary),
                       "changes": _storable(_plain(details or {})), "occurred_at": datetime.now(UTC),
                       "scope_agency_id": who.agency_id if scope_agency_id is None else scope_agency_id}])


def _storable(value: Any, limit: int | None = None) -> Any:
    """What an event names (a file name, a typed search) as the trail can always keep it: a NUL shown as the
    replacement character, a text cut to its column. Recording the event matters more than its exact bytes."""
    if isinstance(value, str):
        value = value.replace("\x00", "\ufffd")
        return value[: limit - 1] + "…" if limit and len(value) > limit else value
    if isinstance(value, dict):
        return {_storable(str(k)): _storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_storable(v) for v in value]
    return value


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
    scope_agency_id: int | None = None


@dataclass
class AuditFilter:
    actor_name: str = ""
    action: str = ""
    entity_type: str = ""
    since: date | None = None
    until: date | None = None
    limit: int | None = 500  # None: every matching record (the export)
    offset: int = 0  # the page: the newest ``offset`` matching records are skipped


def _audit_query(actor: Actor, filters: AuditFilter) -> Select:
    if not actor.has(Role.ADMINISTRATOR, Role.MANAGER):
        raise Forbidden()
    query = select(AuditRecord)
    if not actor.is_admin:
        query = query.where(AuditRecord.scope_agency_id == actor.agency_id)
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
    return query


def count_audit(session: Session, *, actor: Actor, filters: AuditFilter) -> int:
    """How many records match the filters (counted by the database)."""
    return session.scalar(_audit_query(actor, filters).with_only_columns(func.count()).order_by(None)) or 0


def list_audit(session: Session, *, actor: Actor, filters: AuditFilter) -> list[AuditEntry]:
    """Administrators see everything; managers see what people of their own agency did. Newest first, one page
    (``filters.limit`` records from ``filters.offset``)."""
    query = _audit_query(actor, filters).order_by(AuditRecord.id.desc())
    rows = session.scalars(query.offset(filters.offset).limit(filters.limit)).all()
    return [AuditEntry(id=r.id, occurred_at=r.occurred_at, actor_name=r.actor_name, account_id=r.account_id,
                       action=r.action, entity_type=r.entity_type, entity_id=r.entity_id, summary=r.summary,
                       changes=r.changes or {}, scope_agency_id=r.scope_agency_id) for r in rows]


def audit_csv(entries: list[AuditEntry]) -> bytes:
    return csv_bytes(["id", "occurred_at", "actor", "action", "entity_type", "entity_id", "summary", "changes"], [
        [e.id, e.occurred_at.isoformat(), e.actor_name, e.action, e.entity_type, e.entity_id, e.summary,
         "; ".join(f"{k}: {v}" for k, v in e.changes.items())] for e in entries])


def export_audit(session: Session, *, actor: Actor, filters: AuditFilter) -> bytes:
    """The filtered trail as CSV (every matching record, not the page on screen), for someone allowed to read it;
    the export is itself recorded."""
    rows = list_audit(session, actor=actor, filters=replace(filters, offset=0, limit=None))
    record_event(session, action="export", entity_type="AuditRecord", summary=f"{len(rows)} records")
    return audit_csv(rows)


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    checked: int
    first_broken_id: int | None = None
    problem: str = ""


def verify_chain(session: Session) -> ChainCheck:
    """Walk the trail in order and recompute every link; report the first record whose content or link does
    not match, made under a key this installation does not hold (``key``), or made without a key after keys were
    in use (``unkeyed``); a trail whose end differs from the head (records removed at the end: ``end``); and a
    trail that no longer reaches the checkpoint kept outside the database (newest records removed and the head
    moved back with them: ``rollback``)."""
    ring = audit_keys.keyring()
    previous, checked, last_id, keyed, genesis = GENESIS, 0, 0, False, ""
    columns = [AuditRecord.id, AuditRecord.record_hash, AuditRecord.key_id,
               *[getattr(AuditRecord, n) for n in (*HASHED_FIELDS, *OPTIONAL_HASHED_FIELDS)]]
    for row in session.execute(select(*columns).order_by(AuditRecord.id).execution_options(yield_per=2000)):
        values = row._asdict()
        if values["previous_hash"] != previous:
            return ChainCheck(False, checked, row.id, "link")
        if row.key_id is None and keyed:
            return ChainCheck(False, checked, row.id, "unkeyed")
        key = ring.keys.get(row.key_id) if row.key_id is not None else None
        if row.key_id is not None and key is None:
            return ChainCheck(False, checked, row.id, "key")
        if not hmac.compare_digest(record_digest(values, key), row.record_hash):
            return ChainCheck(False, checked, row.id, "content")
        keyed = keyed or row.key_id is not None
        genesis = genesis or row.record_hash
        previous, last_id, checked = row.record_hash, row.id, checked + 1
    head = session.execute(select(AuditChainHead.last_hash, AuditChainHead.record_count)).one_or_none()
    if head is None or head.last_hash != previous or head.record_count != checked:
        return ChainCheck(False, checked, last_id or None, "end")
    try:
        point = audit_keys.read_checkpoint(genesis) if genesis else None
    except audit_keys.AuditKeyError:
        return ChainCheck(False, checked, last_id or None, "checkpoint")
    if point is not None and not _reaches(session, point):
        return ChainCheck(False, checked, last_id or None, "rollback")
    return ChainCheck(True, checked)


def _reaches(session: Session, point: audit_keys.Checkpoint) -> bool:
    """Does the trail still hold the checkpoint's record, with its hash, as the same link in the chain?"""
    if point.count == 0:
        return True
    found = session.scalar(select(AuditRecord.record_hash).where(AuditRecord.id == point.last_id))
    position = session.scalar(select(func.count()).select_from(AuditRecord).where(AuditRecord.id <= point.last_id))
    return found == point.last_hash and position == point.count


def retire_checkpoint_after_restore(session: Session) -> str:
    """After a restore from a backup: if the checkpoint kept outside the database names records the backup does
    not hold (written after the backup was taken), say so and set the checkpoint aside, so that the restored trail
    verifies from here on. Returns what to tell the person restoring, or nothing."""
    genesis = _genesis(session.connection())
    try:
        point = audit_keys.read_checkpoint(genesis) if genesis else None
    except audit_keys.AuditKeyError:
        point = None
    if point is None or _reaches(session, point):
        return ""
    count = session.scalar(select(func.count()).select_from(AuditRecord)) or 0
    aside = audit_keys.retire_checkpoint(genesis)
    return (f"The audit trail had {point.count} records when last written on this machine; the backup holds "
            f"{count}. The {max(point.count - count, 0)} newest were made after the backup and are not restored. "
            f"The checkpoint that recorded them is kept at {aside}.")
