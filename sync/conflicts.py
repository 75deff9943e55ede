"""Conflicts a person decides on the server: the same field changed differently on both sides, an edit against a
deletion, two new records that may be one. The server's value stays in place until a manager or facilitator of
the record's agency decides; the decision is made through the ORM like any edit, so it is audited, attributed and
travels to every laptop on the next exchange."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import String, Text, select, update
from sqlalchemy.orm import Session

from core.actor import Actor, Role, require_role
from core.audit import binds_actor, record_event
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.i18n import t
from core.models import Base
from core.records import check_version
from core.safe_text import text_problem
from sync.models import RowState, SyncConflict
from sync.tables import APART_COLUMN, SOURCE_TABLES, synced_tables
from sync.wire import IdMap, from_wire

DECIDERS = (Role.MANAGER, Role.FACILITATOR)
# the choices each kind of conflict offers
CHOICES = {"field": ("server", "replica", "typed"), "deleted": ("server", "replica"),
           "duplicate": ("merge", "apart")}


@dataclass(frozen=True)
class ConflictView:
    id: int
    version: int
    kind: str
    table_name: str
    field: str
    title: str
    base_value: Any
    server_value: Any
    replica_value: Any
    server_by: str
    server_at: datetime | None
    replica_name: str
    replica_by: str
    replica_at: datetime | None
    detected_at: datetime
    status: str
    resolution: str
    resolved_by: str
    resolved_at: datetime | None
    server_deleted: bool  # an edit against a deletion: deleted here (else deleted on the laptop)
    typed_allowed: bool  # a text field: a merged value can be typed


def _model(table_name: str) -> Any:
    for mapper in Base.registry.mappers:
        if mapper.local_table.name == table_name:
            return mapper.class_
    raise KeyError(table_name)


def _may_decide(actor: Actor, row: SyncConflict) -> bool:
    return actor.has(*DECIDERS) and row.agency_id is not None and row.agency_id == actor.agency_id


def list_conflicts(session: Session, *, actor: Actor, status: str = "open") -> list[ConflictView]:
    """The conflicts of the actor's agency (newest first)."""
    require_role(actor, *DECIDERS, Role.ADMINISTRATOR)
    from sync.models import Replica

    names = dict(session.execute(select(Replica.id, Replica.name)).all())
    query = select(SyncConflict).where(SyncConflict.status == status, SyncConflict.agency_id == actor.agency_id) \
        .order_by(SyncConflict.detected_at.desc(), SyncConflict.id.desc())
    return [_view(row, names.get(row.replica_id, "")) for row in session.scalars(query)]


def open_conflict_count(session: Session, *, agency_id: int | None) -> int:
    from sqlalchemy import func

    query = select(func.count()).select_from(SyncConflict).where(SyncConflict.status == "open")
    if agency_id is not None:
        query = query.where(SyncConflict.agency_id == agency_id)
    return session.scalar(query) or 0


def _view(row: SyncConflict, replica_name: str) -> ConflictView:
    spec = synced_tables().get(row.table_name)
    column = spec.table.columns.get(row.field) if spec is not None and row.field else None
    typed = column is not None and isinstance(column.type, String | Text) and row.field not in ("uuid",)
    return ConflictView(row.id, row.version_id, row.kind, row.table_name, row.field, row.title, row.base_value,
                        row.server_value, row.replica_value, row.server_by, row.server_at, replica_name,
                        row.replica_by, row.replica_at, row.detected_at, row.status, row.resolution, row.resolved_by,
                        row.resolved_at, row.kind == "deleted" and row.server_value is None, typed)


@binds_actor
def resolve_conflict(session: Session, *, actor: Actor, conflict_id: int, choice: str, typed: str = "",
                     expected_version: int | None = None) -> None:
    """Decide a conflict: ``server`` keeps the server's value (or its deletion, or its record), ``replica`` takes
    the laptop's, ``typed`` stores a merged value typed by the person; for a possible duplicate, ``merge`` makes
    the laptop's record part of the server's and ``apart`` keeps both."""
    row = session.get(SyncConflict, conflict_id)
    if row is None:
        raise NotFound(t("sync.error.conflict_gone"))
    if not _may_decide(actor, row):
        raise Forbidden(t("common.error.forbidden"))
    check_version(row, expected_version)
    if row.status != "open":
        raise Conflict(t("sync.error.already_resolved", who=row.resolved_by))
    if choice not in CHOICES[row.kind]:
        raise ValidationFailed({"choice": t("sync.error.choice")})
    spec = synced_tables()[row.table_name]
    model = _model(row.table_name)
    ids = IdMap(session.connection())
    resolved_value: Any = None
    if row.kind == "field":
        record = session.scalar(select(model).where(model.uuid == row.row_uuid))
        if record is None:
            raise NotFound(t("sync.error.record_gone"))
        if choice == "typed":
            column = spec.table.columns[row.field]
            if not isinstance(column.type, String | Text):
                raise ValidationFailed({"typed": t("sync.error.not_text")})
            limit = getattr(column.type, "length", None)
            if problem := text_problem(typed, limit):
                raise ValidationFailed({"typed": problem})
            resolved_value = typed
        else:
            resolved_value = row.server_value if choice == "server" else row.replica_value
        if choice != "server":
            value = from_wire(spec, {row.field: resolved_value}, ids)[row.field]
            setattr(record, row.field, value)
        session.flush()
        _resend(session, spec.name, record.uuid)
    elif row.kind == "deleted":
        resolved_value = _resolve_deletion(session, row, spec, model, choice, ids)
    else:
        resolved_value = _resolve_duplicate(session, row, spec, model, choice, typed, ids)
    row.status, row.resolution, row.resolved_value = "resolved", choice, resolved_value
    row.resolved_by, row.resolved_at = actor.name, datetime.now(UTC)
    record_event(session, action="sync_resolve", entity_type="SyncConflict", entity_id=row.id, summary=row.title,
                 details={"field": row.field, "choice": choice}, scope_agency_id=row.agency_id)


def _resend(session: Session, table_name: str, row_uuid: uuid.UUID) -> None:
    """Make sure every laptop receives the record as it is now, even when the decision changed nothing here (the
    server's value kept): the laptop that sent the other value is shown the decision."""
    from sync.tracking import StateBook, next_tick

    connection = session.connection()
    seq, _ = next_tick(connection)
    book = StateBook(connection, seq)
    book.touch(table_name, row_uuid, [], 0)
    book.flush()


def _resolve_deletion(session: Session, row: SyncConflict, spec: Any, model: Any, choice: str, ids: IdMap) -> Any:
    record = session.scalar(select(model).where(model.uuid == row.row_uuid))
    if row.server_value is None:  # deleted here, edited on the laptop
        if choice == "server":
            return None
        snapshot = session.scalar(select(RowState.snapshot).where(RowState.table_name == spec.name,
                                                                 RowState.row_uuid == row.row_uuid))
        if not snapshot:
            raise ValidationFailed({"choice": t("sync.error.cannot_restore")})
        values = {**snapshot, **(row.replica_value or {})}
        try:
            restored = model(**from_wire(spec, values, ids, strict=True))
        except LookupError as exc:
            raise ValidationFailed({"choice": t("sync.error.cannot_restore")}) from exc
        session.add(restored)
        session.flush()
        return values
    # deleted on the laptop, edited here
    if choice == "replica" and record is not None:
        session.delete(record)
        session.flush()
    elif record is not None:
        session.flush()
        _resend(session, spec.name, record.uuid)
    return None


def _resolve_duplicate(session: Session, row: SyncConflict, spec: Any, model: Any, choice: str, typed: str,
                       ids: IdMap) -> Any:
    kept = session.scalar(select(model).where(model.uuid == row.row_uuid))
    other = session.scalar(select(model).where(model.uuid == row.other_uuid))
    if kept is None or other is None:
        raise NotFound(t("sync.error.record_gone"))
    if choice == "apart":
        column = APART_COLUMN.get(spec.name)
        if column and typed.strip():
            value = typed.strip()
            limit = spec.table.columns[column].type.length
            if problem := text_problem(value, limit):
                raise ValidationFailed({"typed": problem})
            taken = session.scalar(select(model.id).where(getattr(model, column) == value, model.id != other.id,
                                                          *[getattr(model, c) == getattr(other, c)
                                                            for c in ("agency_id", "team_id")
                                                            if hasattr(model, c) and c != column]))
            if taken:
                raise ValidationFailed({"typed": t("sync.error.key_taken", value=value)})
            setattr(other, column, value)
            session.flush()
            return value
        return None
    _move_children(session, spec.name, other.id, kept.id)
    session.delete(other)
    session.flush()
    connection = session.connection()
    connection.execute(update(RowState.__table__).where(
        RowState.__table__.c.table_name == spec.name, RowState.__table__.c.row_uuid == row.other_uuid).values(
        alias_of=row.row_uuid))
    return str(row.row_uuid)


def _move_children(session: Session, table_name: str, from_id: int, to_id: int) -> None:
    """Every record pointing at the duplicate points at the record kept. Where a child may exist once per parent
    and both have one, the merge is refused: a person merges those first."""
    from sync.tables import SAME_RECORD_KEYS

    connection = session.connection()
    for spec in synced_tables().values():
        for column, target in spec.references.items():
            if target != table_name or column == "updated_by_id":
                continue
            key = SAME_RECORD_KEYS.get(spec.name)
            if key and column in key:
                others = [c for c in key if c != column]
                table = spec.table
                mine = {tuple(r) for r in connection.execute(select(*[table.c[c] for c in others]).where(
                    table.c[column] == from_id))}
                theirs = {tuple(r) for r in connection.execute(select(*[table.c[c] for c in others]).where(
                    table.c[column] == to_id))}
                if mine & theirs:
                    raise ValidationFailed({"choice": t("sync.error.merge_clash", items=", ".join(
                        str(v[0]) for v in sorted(mine & theirs)))})
            model = _model(spec.name)
            for child in session.scalars(select(model).where(getattr(model, column) == from_id)):
                setattr(child, column, to_id)
    kinds = [kind for kind, table in SOURCE_TABLES.items() if table == table_name]
    if kinds:
        from improvement_actions.models import ImprovementAction

        for action in session.scalars(select(ImprovementAction).where(
                ImprovementAction.source_kind.in_(kinds), ImprovementAction.source_record_id == from_id)):
            action.source_record_id = to_id
    session.flush()
