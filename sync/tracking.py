"""Every change to a synced record is noted as it is flushed, in the same transaction:

- on every replica, the record's state: the next value of the replica's change counter, and whether it was
  deleted (a tombstone). What a peer has not acknowledged is what changed after its watermark;
- on a laptop, the change itself, field by field with the value it replaced, until the server acknowledges it:
  the server merges from exactly what the person changed, not from a whole record.

Changes applied by an import are noted by the import itself (``core`` statements, not this hook).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, insert, inspect, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from core.audit import actor_of
from core.models import utcnow
from sync.models import LAPTOP, LocalChange, RowState, SyncClock
from sync.tables import ATTRIBUTION, synced
from sync.wire import IdMap, to_wire


def next_tick(connection: Any) -> tuple[int, str]:
    """The replica's next counter value and its role. The UPDATE locks the clock's row until the transaction
    ends, so counter values are handed out in commit order and no exchange can miss a change committed late."""
    clock = SyncClock.__table__
    row = connection.execute(update(clock).where(clock.c.id == 1).values(value=clock.c.value + 1)
                             .returning(clock.c.value, clock.c.role)).first()
    if row is None:  # a database emptied by hand: start again
        connection.execute(insert(clock).values(id=1, value=1, role="standalone"))
        return 1, "standalone"
    return row.value, row.role


def _values(obj: Any) -> dict[str, Any]:
    return {attr.key: getattr(obj, attr.key) for attr in inspect(obj).mapper.column_attrs}


def _old_values(obj: Any) -> dict[str, Any]:
    """The record as it was before this flush (for a deletion: as it was loaded)."""
    state = inspect(obj)
    values = {}
    for attr in state.mapper.column_attrs:
        history = state.attrs[attr.key].history
        values[attr.key] = history.deleted[0] if history.deleted else getattr(obj, attr.key)
    return values


def upsert_states(connection: Any, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    table = RowState.__table__
    dialect_insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = dialect_insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.table_name, table.c.row_uuid],
        set_={"seq": statement.excluded.seq, "deleted": statement.excluded.deleted,
              "agency_id": statement.excluded.agency_id})
    connection.execute(statement, rows)


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, _context: Any) -> None:
    changed: list[tuple[str, Any]] = []
    for obj in session.new:
        if synced(obj.__table__.name) is not None:
            changed.append(("create", obj))
    for obj in session.dirty:
        if synced(obj.__table__.name) is not None and session.is_modified(obj):
            changed.append(("update", obj))
    for obj in session.deleted:
        if synced(obj.__table__.name) is not None:
            changed.append(("delete", obj))
    if not changed:
        return
    connection = session.connection()
    seq, role = next_tick(connection)
    states = []
    for operation, obj in changed:
        values = _old_values(obj) if operation == "delete" else _values(obj)
        agency = values.get("agency_id") if "agency_id" in values else None
        states.append({"table_name": obj.__table__.name, "row_uuid": obj.uuid, "seq": seq,
                       "deleted": operation == "delete", "agency_id": agency})
    upsert_states(connection, states)
    if role == LAPTOP:
        _note_local_changes(session, connection, seq, changed)


def _note_local_changes(session: Session, connection: Any, seq: int, changed: list[tuple[str, Any]]) -> None:
    actor = actor_of(session)
    account_uuid = None
    if actor.account_id is not None:
        account_uuid = connection.execute(select(_accounts().c.uuid).where(_accounts().c.id == actor.account_id)
                                          ).scalar()
    ids = IdMap(connection)
    rows = []
    for position, (operation, obj) in enumerate(changed):
        spec = synced(obj.__table__.name)
        assert spec is not None
        if operation == "update":
            before, after = _old_values(obj), _values(obj)
            old, new = to_wire(spec, before, ids), to_wire(spec, after, ids)
            values: dict[str, Any] = {k: [old[k], new[k]] for k in new
                                      if k not in ATTRIBUTION and old.get(k) != new[k]}
            if not values:
                continue
            values.update({k: [old.get(k), new[k]] for k in ATTRIBUTION if k in new})
        else:
            values = to_wire(spec, _old_values(obj) if operation == "delete" else _values(obj), ids)
        rows.append({"seq": seq, "position": position, "table_name": spec.name, "row_uuid": obj.uuid,
                     "operation": operation, "values": values,
                     "account_uuid": str(account_uuid) if account_uuid else None, "author": actor.name,
                     "made_at": utcnow()})
    if rows:
        connection.execute(insert(LocalChange.__table__), rows)


def _accounts() -> Any:
    from accounts.models import Account

    return Account.__table__
