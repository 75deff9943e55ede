"""Every change to a synced record is noted as it is flushed, in the same transaction:

- on every replica, the record's state: the next value of the replica's change counter, and whether it was
  deleted (a tombstone). What a peer has not acknowledged is what changed after its watermark;
- on a laptop, the change itself, field by field with the value it replaced, until the server acknowledges it:
  the server merges from exactly what the person changed, not from a whole record.

Changes applied by an import are noted by the import itself (``core`` statements, not this hook).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import event, insert, inspect, select, text, update
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


_STATE_COLUMNS = ("table_name", "row_uuid", "seq", "deleted", "agency_id", "field_seqs", "alias_of", "snapshot")
_UPSERT_POSTGRESQL = text(
    "INSERT INTO sync_row_states (table_name, row_uuid, seq, deleted, agency_id, field_seqs, alias_of, snapshot) "
    "SELECT r.table_name, r.row_uuid, r.seq, r.deleted, r.agency_id, r.field_seqs, r.alias_of, r.snapshot "
    "FROM json_to_recordset(CAST(:rows AS json)) AS r(table_name varchar, row_uuid uuid, seq integer, "
    "deleted boolean, agency_id integer, field_seqs json, alias_of uuid, snapshot json) "
    "ON CONFLICT (table_name, row_uuid) DO UPDATE SET seq = excluded.seq, deleted = excluded.deleted, "
    "agency_id = excluded.agency_id, field_seqs = excluded.field_seqs, alias_of = excluded.alias_of, "
    "snapshot = excluded.snapshot")


def upsert_states(connection: Any, rows: list[dict[str, Any]]) -> None:
    """Write record states, one row per record (the last given wins). On PostgreSQL the rows go as one JSON
    parameter per chunk (a statement per record, or thousands of parameters, costs seconds per thousand)."""
    if not rows:
        return
    latest = {(row["table_name"], row["row_uuid"]): {name: row.get(name) for name in _STATE_COLUMNS}
              for row in rows}
    rows = list(latest.values())
    if connection.dialect.name == "postgresql":
        for start in range(0, len(rows), 2000):
            payload = json.dumps([{**row, "row_uuid": str(row["row_uuid"]),
                                   "alias_of": str(row["alias_of"]) if row["alias_of"] else None}
                                  for row in rows[start:start + 2000]], default=str)
            connection.execute(_UPSERT_POSTGRESQL, {"rows": payload})
        return
    table = RowState.__table__
    statement = sqlite_insert(table)
    connection.execute(statement.on_conflict_do_update(
        index_elements=[table.c.table_name, table.c.row_uuid],
        set_={name: statement.excluded[name] for name in _STATE_COLUMNS[2:]}), rows)


class StateBook:
    """The record states one flush or one import changes, written together: per record the counter value, a
    tombstone, and per field [counter value, who changed it] merged into what the record had."""

    def __init__(self, connection: Any, seq: int) -> None:
        self.connection, self.seq = connection, seq
        self._entries: dict[tuple[str, uuid.UUID], dict[str, Any]] = {}
        self._stored: dict[tuple[str, uuid.UUID], dict[str, Any]] = {}

    def stored(self, table_name: str, row_uuid: uuid.UUID) -> dict[str, Any]:
        """The record's state as stored (before this book's changes)."""
        key = (table_name, row_uuid)
        if key not in self._stored:
            states = RowState.__table__
            row = self.connection.execute(select(states.c.seq, states.c.deleted, states.c.field_seqs,
                                                 states.c.alias_of).where(states.c.table_name == table_name,
                                                                          states.c.row_uuid == row_uuid)).first()
            self._stored[key] = dict(row._mapping) if row is not None else {}
        return self._stored[key]

    def read_ahead(self, table_name: str, row_uuids: list[uuid.UUID]) -> None:
        """Load the stored states of many records in one query."""
        states = RowState.__table__
        missing = [u for u in row_uuids if (table_name, u) not in self._stored]
        for start in range(0, len(missing), 500):
            chunk = missing[start:start + 500]
            found = {row.row_uuid: dict(row._mapping) for row in self.connection.execute(
                select(states.c.row_uuid, states.c.seq, states.c.deleted, states.c.field_seqs, states.c.alias_of)
                .where(states.c.table_name == table_name, states.c.row_uuid.in_(chunk)))}
            for row_uuid in chunk:
                self._stored[(table_name, row_uuid)] = found.get(row_uuid, {})

    def current(self, table_name: str, row_uuid: uuid.UUID) -> dict[str, Any]:
        """The record's state with this book's changes: ``deleted``, ``alias_of``."""
        return {**self.stored(table_name, row_uuid), **self._entries.get((table_name, row_uuid), {})}

    def field_seqs(self, table_name: str, row_uuid: uuid.UUID) -> dict[str, Any]:
        key = (table_name, row_uuid)
        pending = self._entries.get(key, {}).get("field_seqs") or {}
        return {**(self.stored(table_name, row_uuid).get("field_seqs") or {}), **pending}

    def touch(self, table_name: str, row_uuid: uuid.UUID, fields: Any, origin: int,
              agency_id: int | None = None) -> None:
        entry = self._entries.setdefault((table_name, row_uuid), {"field_seqs": {}})
        entry.update(seq=self.seq, deleted=False, agency_id=agency_id, alias_of=None, snapshot=None)
        for name in fields:
            entry["field_seqs"][name] = [self.seq, origin]

    def created(self, table_name: str, row_uuid: uuid.UUID, origin: int, agency_id: int | None = None) -> None:
        """A new record: every field's last change is its creation (one entry, ``*``, stands for them all)."""
        self.touch(table_name, row_uuid, ["*"], origin, agency_id)

    def delete(self, table_name: str, row_uuid: uuid.UUID, agency_id: int | None,
               alias_of: uuid.UUID | None = None, snapshot: dict[str, Any] | None = None) -> None:
        entry = self._entries.setdefault((table_name, row_uuid), {"field_seqs": {}})
        entry.update(seq=self.seq, deleted=True, agency_id=agency_id, alias_of=alias_of, snapshot=snapshot)

    def flush(self) -> None:
        if not self._entries:
            return
        wanted: dict[str, list[uuid.UUID]] = {}
        for table_name, row_uuid in self._entries:
            if (table_name, row_uuid) not in self._stored:
                wanted.setdefault(table_name, []).append(row_uuid)
        states = RowState.__table__
        for table_name, uuids in wanted.items():
            for start in range(0, len(uuids), 500):
                query = select(states.c.row_uuid, states.c.field_seqs).where(
                    states.c.table_name == table_name, states.c.row_uuid.in_(uuids[start:start + 500]))
                for row_uuid, field_seqs in self.connection.execute(query):
                    self._stored[(table_name, row_uuid)] = {"field_seqs": field_seqs}
        rows = []
        for (table_name, row_uuid), entry in self._entries.items():
            stored = (self._stored.get((table_name, row_uuid)) or {}).get("field_seqs") or {}
            rows.append({**entry, "table_name": table_name, "row_uuid": row_uuid,
                         "field_seqs": {**stored, **entry["field_seqs"]}})
        upsert_states(self.connection, rows)
        for key in self._entries:
            self._stored.pop(key, None)
        self._entries.clear()


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
    if role == LAPTOP:
        _note_local_changes(session, connection, seq, changed)
        return
    book = StateBook(connection, seq)
    ids = IdMap(connection)
    for operation, obj in changed:
        spec = synced(obj.__table__.name)
        assert spec is not None
        if operation == "delete":
            old = _old_values(obj)
            book.delete(spec.name, obj.uuid, old.get("agency_id"), snapshot=to_wire(spec, old, ids))
            continue
        agency = getattr(obj, "agency_id", None)
        if operation == "create":
            book.created(spec.name, obj.uuid, 0, agency)
        else:
            book.touch(spec.name, obj.uuid, [f for f in _changed_columns(obj, spec.columns) if f not in ATTRIBUTION],
                       0, agency)
    book.flush()


def _changed_columns(obj: Any, columns: tuple[str, ...]) -> list[str]:
    state = inspect(obj)
    return [name for name in columns if name in state.attrs and state.attrs[name].history.has_changes()]


def _note_local_changes(session: Session, connection: Any, seq: int, changed: list[tuple[str, Any]]) -> None:
    actor = actor_of(session)
    account_uuid = None
    if actor.account_id is not None:
        account_uuid = connection.execute(select(_accounts().c.uuid).where(_accounts().c.id == actor.account_id)
                                          ).scalar()
    ids = IdMap(connection)
    states = RowState.__table__
    bases = dict(connection.execute(select(states.c.row_uuid, states.c.seq).where(
        states.c.row_uuid.in_([obj.uuid for _, obj in changed]))).all())
    rows = []
    for position, (operation, obj) in enumerate(changed):
        spec = synced(obj.__table__.name)
        assert spec is not None
        if operation == "update":
            before, after = _old_values(obj), _values(obj)
            old, new = to_wire(spec, before, ids), to_wire(spec, after, ids)
            values: dict[str, Any] = {k: [old.get(k), new[k]] for k in new if old.get(k) != new[k]}
            if not values:
                continue
            # who and when travel with every change, even one that touched nothing else: the server answers it
            # with its own record, so both sides end with the same attribution
            values.update({k: [old.get(k), new[k]] for k in ATTRIBUTION if k in new})
        else:
            values = to_wire(spec, _old_values(obj) if operation == "delete" else _values(obj), ids)
        rows.append({"seq": seq, "position": position, "table_name": spec.name, "row_uuid": obj.uuid,
                     "operation": operation, "values": values, "base_seq": bases.get(obj.uuid, 0),
                     "account_uuid": str(account_uuid) if account_uuid else None, "author": actor.name,
                     "made_at": utcnow()})
    if rows:
        connection.execute(insert(LocalChange.__table__), rows)


def _accounts() -> Any:
    from accounts.models import Account

    return Account.__table__
