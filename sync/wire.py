"""Records as they travel: JSON values, every reference to another record by that record's UUID (integer ids
belong to one database), moments in UTC, wall-clock times as written (the backup's encoding)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, select

from core.backup import _decode as decode_values
from core.backup import _encode as encode_value
from core.models import Base
from sync.tables import SOURCE_TABLES, SyncedTable, synced_tables


class UnknownReference(LookupError):
    def __init__(self, table: str, value: str) -> None:
        super().__init__(f"{table} {value}")
        self.table, self.value = table, value


def reference_target(spec: SyncedTable, column: str, values: Mapping[str, Any]) -> str | None:
    """The table ``column`` of this record points to (an action's source depends on its kind)."""
    if spec.name == "improvement_actions" and column == "source_record_id":
        return SOURCE_TABLES.get(values.get("source_kind") or "")
    return spec.references.get(column)


class IdMap:
    """Integer id <-> UUID for the records of one database, looked up in batches and remembered for one
    exchange."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._uuid: dict[str, dict[int, str]] = defaultdict(dict)
        self._id: dict[str, dict[str, int]] = defaultdict(dict)
        self.on_miss: Callable[[], bool] | None = None  # writes records still held back; True if it wrote any

    def load_ids(self, table: str, ids: Iterable[int]) -> None:
        wanted = {i for i in ids if i is not None and i not in self._uuid[table]}
        if not wanted:
            return
        model = Base.metadata.tables[table]
        for chunk in _chunks(sorted(wanted)):
            for row_id, row_uuid in self.connection.execute(select(model.c.id, model.c.uuid)
                                                            .where(model.c.id.in_(chunk))):
                self.remember(table, row_id, str(row_uuid))

    def load_uuids(self, table: str, uuids: Iterable[str]) -> None:
        wanted = {u for u in uuids if u is not None and u not in self._id[table]}
        if not wanted:
            return
        model = Base.metadata.tables[table]
        for chunk in _chunks(sorted(wanted)):
            for row_id, row_uuid in self.connection.execute(select(model.c.id, model.c.uuid).where(
                    model.c.uuid.in_([uuid.UUID(u) for u in chunk]))):
                self.remember(table, row_id, str(row_uuid))

    def remember(self, table: str, row_id: int, row_uuid: str) -> None:
        self._uuid[table][row_id] = row_uuid
        self._id[table][row_uuid] = row_id

    def forget(self, table: str, row_uuid: str) -> None:
        row_id = self._id[table].pop(row_uuid, None)
        if row_id is not None:
            self._uuid[table].pop(row_id, None)

    def uuid_of(self, table: str, row_id: int | None) -> str | None:
        if row_id is None:
            return None
        self.load_ids(table, [row_id])
        return self._uuid[table].get(row_id)

    def id_of(self, table: str, row_uuid: str | None) -> int | None:
        if row_uuid is None:
            return None
        self.load_uuids(table, [row_uuid])
        found = self._id[table].get(row_uuid)
        if found is None and self.on_miss is not None and self.on_miss():
            self.load_uuids(table, [row_uuid])
            found = self._id[table].get(row_uuid)
        if found is None:
            raise UnknownReference(table, row_uuid)
        return found

    def prefetch_for(self, spec: SyncedTable, rows: list[Mapping[str, Any]], *, wire: bool) -> None:
        """Look up every reference these rows hold in one query per table."""
        wanted: dict[str, set[Any]] = defaultdict(set)
        for row in rows:
            for column in spec.references.keys() | ({"source_record_id"} if spec.name == "improvement_actions"
                                                    else set()):
                target = reference_target(spec, column, row)
                if target and row.get(column) is not None:
                    wanted[target].add(row[column])
        for table, values in wanted.items():
            (self.load_uuids if wire else self.load_ids)(table, values)


def _chunks(values: list[Any], size: int = 500) -> Iterable[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def to_wire(spec: SyncedTable, values: Mapping[str, Any], ids: IdMap) -> dict[str, Any]:
    """A record's travelling form (only the columns that travel)."""
    out: dict[str, Any] = {}
    for column in spec.columns:
        if column not in values:
            continue
        value = values[column]
        target = reference_target(spec, column, values)
        if target is not None:
            out[column] = ids.uuid_of(target, value)
        elif column == "uuid":
            out[column] = str(value) if value is not None else None
        else:
            out[column] = encode_value(value, column in spec.wall_clock)
    return out


def from_wire(spec: SyncedTable, values: Mapping[str, Any], ids: IdMap, *, strict: bool = False,
              unresolved: list[tuple[str, str, str]] | None = None) -> dict[str, Any]:
    """A travelling record's values for this database, references resolved to its ids: an optional reference to
    a record not here becomes empty, a required one raises ``UnknownReference`` (``strict``: any but the
    attribution)."""
    plain = {k: v for k, v in values.items() if k in spec.columns}
    references = {}
    for column in list(plain):
        target = reference_target(spec, column, plain)
        if target is None:
            continue
        value = plain.pop(column)
        try:
            references[column] = ids.id_of(target, value) if value is not None else None
        except UnknownReference:
            if (strict and column != "updated_by_id") or not spec.table.columns[column].nullable:
                raise
            references[column] = None  # a record outside what this replica holds (another agency's account)
            if unresolved is not None:  # or one that comes later in the same bundle: the caller tries again
                unresolved.append((column, target, value))
    decoded = decode_values(spec.name, [plain])[0]
    decoded.update(references)
    return decoded


def table_spec(name: str) -> SyncedTable:
    return synced_tables()[name]
