"""Exchanges between the country server and its laptops (the design is in ENGINEERING.md, "Sync").

The server is the hub: each laptop exchanges with it only, and what one laptop sends reaches the others through
it. A laptop sends the changes its people made, field by field with the value each replaced; the server merges
them into its records (a field changed differently on both sides becomes a conflict record and keeps the
server's value) and sends each laptop the current state of every record changed since the laptop's last
acknowledgement, with the acknowledgement of what it applied from that laptop. A laptop applies the server's
records under its own changes that the server has not acknowledged yet, so nothing typed on a laptop is lost
while its bundle travels, and after a round trip both hold the same.

Every import applies in one transaction or not at all, after checking the bundle's signature against the
sender's registered key; a bundle imported before is recognised by its id and changes nothing.
"""

from __future__ import annotations

import hashlib
import tempfile
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, func, insert, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from accounts.models import Account
from core.actor import Actor, Role, require_role
from core.audit import AuditRecord, append_merged_records, record_event
from core.db import NUL_CHECKED
from core.errors import Forbidden, NotFound, ValidationFailed
from core.i18n import t
from core.models import Base
from sync import bundle, keys
from sync.models import (
    LAPTOP,
    SERVER,
    BundleReceipt,
    LocalChange,
    Replica,
    RowState,
    SyncClock,
    SyncConflict,
)
from sync.tables import (
    APART_COLUMN,
    ATTRIBUTION,
    DUPLICATE_KEYS,
    GROWING_TEXT,
    OWN_ACCOUNT_FIELDS,
    ROLES,
    SAME_RECORD_KEYS,
    SCOPE_PARENT,
    SET_FIELDS,
    SHARED_CONTENT,
    SYNCED,
    SyncedTable,
    synced_tables,
)
from sync.tracking import StateBook, next_tick, upsert_states
from sync.wire import IdMap, UnknownReference, from_wire, to_wire

BATCH = 500


class SyncRefused(ValueError):
    """A bundle this replica will not apply; the message says why. Nothing was changed."""


# ---------------------------------------------------------------------------------------------------------------
# Replicas and pairing


def this_replica(session: Session) -> Replica | None:
    return session.scalar(select(Replica).where(Replica.is_self.is_(True)))


def _set_role(session: Session, role: str) -> None:
    clock = SyncClock.__table__
    if session.execute(update(clock).where(clock.c.id == 1).values(role=role)).rowcount == 0:
        session.execute(insert(clock).values(id=1, value=0, role=role))


def _clock(session: Session) -> int:
    return session.scalar(select(SyncClock.value).where(SyncClock.id == 1)) or 0


def _become_server(session: Session, actor: Actor) -> Replica:
    me = this_replica(session)
    if me is not None:
        if me.role != SERVER:
            raise Forbidden(t("sync.error.laptop_cannot_enrol"))
        return me
    key = keys.new_key()
    me = Replica(name="Country server", role=SERVER, is_self=True, public_key=keys.public_text(key),
                 enrolled_by=actor.name)
    session.add(me)
    session.flush()
    keys.save_private(str(me.uuid), key)
    _set_role(session, SERVER)
    return me


@dataclass(frozen=True)
class Enrolment:
    laptop: str
    laptop_fingerprint: str
    server_fingerprint: str
    path: Path
    records: int


def enrol_laptop(session: Session, *, actor: Actor, name: str, agency_id: int | None, out: Path,
                 passphrase: str, progress: Callable[[str], None] | None = None) -> Enrolment:
    """Register a laptop for an agency and write its starting bundle: its key, the server's, and everything its
    people need to work offline. The laptop's private key leaves the server only inside that encrypted bundle."""
    require_role(actor, Role.ADMINISTRATOR)
    name = name.strip()
    errors = {}
    if not name:
        errors["name"] = t("sync.error.name_required")
    elif len(name) > 120:
        errors["name"] = t("sync.error.name_too_long", limit=120)
    elif session.scalar(select(Replica.id).where(Replica.name == name)):
        errors["name"] = t("sync.error.name_taken", name=name)
    agency_id = agency_id if agency_id is not None else actor.agency_id
    if agency_id is None:
        errors["agency"] = t("sync.error.agency_required")
    if errors:
        raise ValidationFailed(errors)
    server = _become_server(session, actor)
    key = keys.new_key()
    laptop = Replica(name=name, role=LAPTOP, public_key=keys.public_text(key), agency_id=agency_id,
                     enrolled_by=actor.name)
    session.add(laptop)
    session.flush()
    identity = {"t": "identity", "replica": str(laptop.uuid), "name": name, "private_key": keys.private_text(key),
                "agency": str(session.scalar(select(Base.metadata.tables["agencies"].c.uuid).where(
                    Base.metadata.tables["agencies"].c.id == agency_id))),
                "server": {"uuid": str(server.uuid), "name": server.name, "public_key": server.public_key}}
    written = _write_server_bundle(session, server, laptop, out, passphrase, kind="enrol", first=[identity],
                                   progress=progress)
    record_event(session, action="sync_enrol", entity_type="Replica", entity_id=laptop.id, summary=name,
                 details={"fingerprint": keys.fingerprint(laptop.public_key)}, scope_agency_id=agency_id)
    return Enrolment(name, keys.fingerprint(laptop.public_key), keys.fingerprint(server.public_key), out, written)


def revoke_laptop(session: Session, *, actor: Actor, name: str) -> None:
    """A revoked laptop's bundles are refused from now on (a lost or stolen laptop)."""
    require_role(actor, Role.ADMINISTRATOR)
    laptop = session.scalar(select(Replica).where(Replica.name == name, Replica.role == LAPTOP,
                                                  Replica.is_self.is_(False)))
    if laptop is None:
        raise NotFound(t("sync.error.no_laptop", name=name))
    laptop.status, laptop.revoked_at = "revoked", datetime.now(UTC)
    record_event(session, action="sync_revoke", entity_type="Replica", entity_id=laptop.id, summary=name,
                 scope_agency_id=laptop.agency_id)


# ---------------------------------------------------------------------------------------------------------------
# Scope: whose agency a record is


def _scoped(spec: SyncedTable, table: Any, agency_id: int) -> tuple[Any, Any]:
    """(from clause, condition) selecting the table's records a laptop of ``agency_id`` holds."""
    if spec.name in SHARED_CONTENT:
        return table, or_(table.c.agency_id.is_(None), table.c.agency_id == agency_id)
    if spec.agency_column is not None:
        return table, table.c[spec.agency_column] == agency_id
    column, parent_name = SCOPE_PARENT[spec.name]
    parent = Base.metadata.tables[parent_name]
    return table.join(parent, table.c[column] == parent.c.id), parent.c.agency_id == agency_id


def _agency_of(connection: Connection, spec: SyncedTable, values: dict[str, Any],
               known: dict[tuple[str, Any], int | None] | None = None) -> int | None:
    """The agency a record (in this database's values) belongs to; ``known`` remembers parents' agencies."""
    if spec.agency_column is not None:
        return values.get(spec.agency_column)
    column, parent_name = SCOPE_PARENT[spec.name]
    key = (parent_name, values.get(column))
    if known is not None and key in known:
        return known[key]
    parent = Base.metadata.tables[parent_name]
    agency = connection.execute(select(parent.c.agency_id).where(parent.c.id == values.get(column))).scalar()
    if known is not None:
        known[key] = agency
    return agency


# ---------------------------------------------------------------------------------------------------------------
# Writing bundles


def _header(sender: Replica, receiver: Replica | None, kind: str, connection: Connection) -> dict[str, Any]:
    return {"bundle": str(uuid.uuid4()), "kind": kind, "sender": str(sender.uuid), "sender_name": sender.name,
            "receiver": str(receiver.uuid) if receiver else None, "receiver_name": receiver.name if receiver else None,
            "schema": connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one(),
            "made_at": datetime.now(UTC).isoformat()}


def _write(path: Path, header: dict[str, Any], passphrase: str, sender: Replica,
           lines: Iterator[dict[str, Any]], progress: Callable[[str], None] | None) -> int:
    writer = bundle.BundleWriter(path, header, passphrase=passphrase, key=keys.load_private(str(sender.uuid)))
    try:
        for line in lines:
            writer.add(line)
            if progress and writer.lines % 2000 == 0:
                progress(f"{writer.lines} records written")
        writer.close()
    except BaseException:
        writer.abort()
        raise
    return writer.lines


def _audit_lines(connection: Connection, condition: Any, ids: IdMap, origin: str, *,
                 whole_chain: bool) -> Iterator[dict[str, Any]]:
    """Audit records as they travel. ``whole_chain``: every record of the sender's own chain since the last
    acknowledged (a laptop's), so the receiver can check that each links to the one before it; the server sends a
    laptop only its agency's records, which leave gaps."""
    table = AuditRecord.__table__
    query = select(table).where(condition).order_by(table.c.id).execution_options(yield_per=BATCH)
    for row in connection.execute(query).mappings():
        yield {"t": "audit", "id": row["id"], "uuid": str(row["uuid"]),
               "occurred_at": _moment(row["occurred_at"]).isoformat(),
               "account": ids.uuid_of("accounts", row["account_id"]), "actor_name": row["actor_name"],
               "actor_agency": ids.uuid_of("agencies", row["actor_agency_id"]), "action": row["action"],
               "entity_type": row["entity_type"], "entity_id": row["entity_id"], "summary": row["summary"],
               "changes": row["changes"], "scope_agency": ids.uuid_of("agencies", row["scope_agency_id"]),
               "origin": row["origin_replica"] or origin, "origin_hash": row["origin_hash"] or row["record_hash"],
               **({"chain_hash": row["record_hash"], "chain_previous": row["previous_hash"]} if whole_chain else {})}


def _moment(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _write_server_bundle(session: Session, server: Replica, laptop: Replica, out: Path, passphrase: str, *,
                         kind: str, first: list[dict[str, Any]] | None = None,
                         progress: Callable[[str], None] | None = None) -> int:
    connection = session.connection()
    seq_to = _clock(session)
    since = laptop.acked_through
    audit_to = connection.execute(select(func.max(AuditRecord.id))).scalar() or 0
    header = {**_header(server, laptop, kind, connection), "seq_from": since, "seq_to": seq_to,
              "ack": laptop.applied_through, "audit_to": audit_to, "audit_ack": laptop.audit_applied_through}
    assert laptop.agency_id is not None
    agency_id = laptop.agency_id

    def lines() -> Iterator[dict[str, Any]]:
        yield from first or []
        ids = IdMap(connection)
        states = RowState.__table__
        for spec in synced_tables().values():
            table = spec.table
            source, condition = _scoped(spec, table, agency_id)
            joined = source.outerjoin(states, and_(states.c.table_name == spec.name, states.c.row_uuid == table.c.uuid))
            changed = and_(states.c.seq > since, states.c.seq <= seq_to)
            if since == 0:
                changed = or_(changed, states.c.seq.is_(None))
            query = (select(*table.columns, func.coalesce(states.c.seq, 0).label("_seq")).select_from(joined)
                     .where(condition, changed).order_by(table.c.id).execution_options(yield_per=BATCH))
            batch: list[dict[str, Any]] = []
            for row in connection.execute(query).mappings():
                batch.append(dict(row))
                if len(batch) >= BATCH:
                    yield from _row_lines(spec, batch, ids)
                    batch = []
            yield from _row_lines(spec, batch, ids)
        tombstones = select(states.c.table_name, states.c.row_uuid).where(
            states.c.deleted.is_(True), states.c.seq > since, states.c.seq <= seq_to,
            or_(states.c.agency_id.is_(None), states.c.agency_id == agency_id)).order_by(states.c.seq)
        for table_name, row_uuid in connection.execute(tombstones):
            yield {"t": "tombstone", "table": table_name, "uuid": str(row_uuid)}
        audit = AuditRecord.__table__
        yield from _audit_lines(connection, and_(
            audit.c.id > laptop.audit_acked_through, audit.c.id <= audit_to, audit.c.scope_agency_id == agency_id,
            or_(audit.c.origin_replica.is_(None), audit.c.origin_replica != str(laptop.uuid))), ids, str(server.uuid),
            whole_chain=False)

    written = _write(out, header, passphrase, server, lines(), progress)
    laptop.last_sent_at = datetime.now(UTC)
    return written


def _row_lines(spec: SyncedTable, rows: list[dict[str, Any]], ids: IdMap) -> Iterator[dict[str, Any]]:
    ids.prefetch_for(spec, rows, wire=False)
    for row in rows:
        yield {"t": "row", "table": spec.name, "seq": row.pop("_seq"), "values": to_wire(spec, row, ids)}


def export_changes(session: Session, *, actor: Actor, out: Path, passphrase: str, for_laptop: str | None = None,
                   progress: Callable[[str], None] | None = None) -> int:
    """Write what the other side has not acknowledged yet: from a laptop, its people's changes for the server;
    from the server, everything changed for the laptop named. Returns how many lines the bundle holds."""
    me = this_replica(session)
    if me is None:
        raise NotFound(t("sync.error.not_in_sync"))
    if me.role == LAPTOP:
        server = session.scalar(select(Replica).where(Replica.role == SERVER, Replica.is_self.is_(False)))
        assert server is not None
        written = _write_laptop_bundle(session, me, server, out, passphrase, progress)
        record_event(session, action="sync_export", entity_type="Replica", entity_id=server.id, summary=server.name,
                     details={"lines": written}, scope_agency_id=me.agency_id)
        return written
    require_role(actor, Role.ADMINISTRATOR)
    laptop = session.scalar(select(Replica).where(Replica.name == (for_laptop or ""), Replica.role == LAPTOP))
    if laptop is None:
        raise NotFound(t("sync.error.no_laptop", name=for_laptop) if for_laptop else t("sync.error.name_the_laptop"))
    if laptop.status != "active":
        raise Forbidden(t("sync.error.revoked_send", name=laptop.name))
    written = _write_server_bundle(session, me, laptop, out, passphrase, kind="changes", progress=progress)
    record_event(session, action="sync_export", entity_type="Replica", entity_id=laptop.id, summary=laptop.name,
                 details={"lines": written}, scope_agency_id=laptop.agency_id)
    return written


def _write_laptop_bundle(session: Session, me: Replica, server: Replica, out: Path, passphrase: str,
                         progress: Callable[[str], None] | None) -> int:
    connection = session.connection()
    seq_to = _clock(session)
    audit = AuditRecord.__table__
    audit_to = connection.execute(select(func.max(audit.c.id))).scalar() or 0
    header = {**_header(me, server, "changes", connection), "seq_from": server.acked_through, "seq_to": seq_to,
              "ack": server.applied_through, "audit_to": audit_to, "audit_ack": server.audit_applied_through}

    def lines() -> Iterator[dict[str, Any]]:
        changes = LocalChange.__table__
        query = (select(changes).where(changes.c.seq > server.acked_through, changes.c.seq <= seq_to)
                 .order_by(changes.c.seq, changes.c.position).execution_options(yield_per=BATCH))
        for row in connection.execute(query).mappings():
            yield {"t": "change", "seq": row["seq"], "base": row["base_seq"], "table": row["table_name"],
                   "uuid": str(row["row_uuid"]),
                   "op": row["operation"], "values": row["values"], "account": row["account_uuid"],
                   "author": row["author"], "at": _moment(row["made_at"]).isoformat()}
        yield from _audit_lines(connection, and_(audit.c.id > server.audit_acked_through, audit.c.id <= audit_to),
                                IdMap(connection), str(me.uuid),
                                whole_chain=True)

    written = _write(out, header, passphrase, me, lines(), progress)
    server.last_sent_at = datetime.now(UTC)
    return written


# ---------------------------------------------------------------------------------------------------------------
# Reading bundles


@dataclass
class ImportResult:
    sender: str
    already_imported: bool = False
    applied: int = 0
    conflicts: int = 0
    deleted: int = 0
    audit_records: int = 0
    became: str = ""  # an enrolment: the laptop this computer now is
    fingerprints: tuple[str, str] = ("", "")
    audit_tip: str | None = None  # the hash of the last audit record of the sender's chain received
    notes: list[str] = field(default_factory=list)


def import_bundle(session: Session, *, actor: Actor, path: Path, passphrase: str,
                  progress: Callable[[str], None] | None = None) -> ImportResult:
    """Apply a bundle in the caller's transaction: all of it, or (``SyncRefused``) nothing. On the server only an
    administrator imports; on a laptop anyone signed in to it."""
    header = bundle.read_header(path)
    me = this_replica(session)
    if me is not None and me.role == SERVER:
        require_role(actor, Role.ADMINISTRATOR)
    connection = session.connection()
    schema = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    if header.get("schema") != schema:
        raise SyncRefused(t("sync.error.schema", theirs=header.get("schema"), ours=schema))
    if header.get("kind") == "enrol":
        return _import_enrolment(session, actor, path, header, passphrase, me, progress)
    if me is None:
        raise SyncRefused(t("sync.error.not_enrolled"))
    if header.get("receiver") != str(me.uuid):
        raise SyncRefused(t("sync.error.wrong_receiver", receiver=header.get("receiver_name"), me=me.name))
    sender = session.scalar(select(Replica).where(Replica.uuid == _uuid(header.get("sender")),
                                                  Replica.is_self.is_(False)))
    if sender is None:
        raise SyncRefused(t("sync.error.unknown_sender", sender=header.get("sender_name")))
    if sender.status != "active":
        raise SyncRefused(t("sync.error.revoked", name=sender.name))
    digest = bundle.verify(path, keys.public_key(sender.public_key))
    if session.get(BundleReceipt, _uuid(header["bundle"])) is not None:
        return ImportResult(sender.name, already_imported=True)
    connection.execution_options(**{NUL_CHECKED: True})  # every chunk is checked for NUL as it is read
    try:
        if me.role == SERVER:
            result = _apply_laptop_bundle(session, me, sender, path, header, passphrase, progress)
        else:
            result = _apply_server_bundle(session, me, sender, path, header, passphrase, progress)
    finally:
        connection.execution_options(**{NUL_CHECKED: False})
    sender.last_received_at = datetime.now(UTC)
    session.add(BundleReceipt(bundle_uuid=_uuid(header["bundle"]), sender_uuid=sender.uuid, sha256=digest,
                              summary={"applied": result.applied, "conflicts": result.conflicts,
                                       "audit_tip": result.audit_tip}))
    record_event(session, action="sync_import", entity_type="Replica", entity_id=sender.id, summary=sender.name,
                 details={"applied": result.applied, "conflicts": result.conflicts, "deleted": result.deleted,
                          "audit_records": result.audit_records}, scope_agency_id=sender.agency_id)
    return result


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _import_enrolment(session: Session, actor: Actor, path: Path, header: dict[str, Any], passphrase: str,
                     me: Replica | None, progress: Callable[[str], None] | None) -> ImportResult:
    if me is not None:
        if str(me.uuid) == header.get("receiver"):
            return ImportResult(header.get("sender_name", ""), already_imported=True, became=me.name)
        raise SyncRefused(t("sync.error.already_laptop", name=me.name))
    occupied = [name for name in SYNCED if session.execute(select(func.count()).select_from(
        Base.metadata.tables[name])).scalar_one() and name not in SHARED_CONTENT]
    if occupied:
        raise SyncRefused(t("sync.error.not_empty", table=occupied[0]))
    stream = bundle.lines(path, passphrase)
    identity = next(stream, None)
    if not identity or identity.get("t") != "identity":
        raise SyncRefused(t("sync.error.not_starting_bundle"))
    server_info = identity["server"]
    digest = bundle.verify(path, keys.public_key(server_info["public_key"]))
    laptop_key = keys.key_from_text(identity["private_key"])
    server = Replica(uuid=uuid.UUID(server_info["uuid"]), name=server_info["name"], role=SERVER,
                     public_key=server_info["public_key"])
    laptop = Replica(uuid=uuid.UUID(identity["replica"]), name=identity["name"], role=LAPTOP, is_self=True,
                     public_key=keys.public_text(laptop_key))
    session.add_all([server, laptop])
    session.flush()
    _set_role(session, LAPTOP)
    result = ImportResult(server.name, became=laptop.name,
                          fingerprints=(keys.fingerprint(laptop.public_key), keys.fingerprint(server.public_key)))
    connection = session.connection().execution_options(**{NUL_CHECKED: True})
    try:
        _apply_server_lines(session, laptop, server, stream, header, result, progress)
    finally:
        connection.execution_options(**{NUL_CHECKED: False})
    laptop.agency_id = session.scalar(select(Base.metadata.tables["agencies"].c.id).where(
        Base.metadata.tables["agencies"].c.uuid == uuid.UUID(identity["agency"])))
    server.last_received_at = datetime.now(UTC)
    # the trail so far came from the server: the laptop's chain sent back starts after it
    server.audit_acked_through = session.execute(select(func.max(AuditRecord.id))).scalar() or 0
    keys.save_private(str(laptop.uuid), laptop_key)
    session.add(BundleReceipt(bundle_uuid=uuid.UUID(header["bundle"]), sender_uuid=server.uuid, sha256=digest,
                              summary={"applied": result.applied}))
    return result


# ----- on a laptop: the server's records under the laptop's own unacknowledged changes


def _apply_server_bundle(session: Session, me: Replica, server: Replica, path: Path, header: dict[str, Any],
                         passphrase: str, progress: Callable[[str], None] | None) -> ImportResult:
    if int(header.get("seq_to", 0)) <= server.applied_through and int(header.get("audit_to", 0)) <= \
            server.audit_applied_through and int(header.get("ack", 0)) <= server.acked_through:
        return ImportResult(server.name, already_imported=True, notes=["an older bundle: everything in it is here"])
    result = ImportResult(server.name)
    _apply_server_lines(session, me, server, bundle.lines(path, passphrase), header, result, progress)
    return result


def _apply_server_lines(session: Session, me: Replica, server: Replica, stream: Iterator[dict[str, Any]],
                        header: dict[str, Any], result: ImportResult,
                        progress: Callable[[str], None] | None) -> None:
    connection = session.connection()
    ack = int(header.get("ack", 0))
    if ack > server.acked_through:
        server.acked_through = ack
        connection.execute(delete(LocalChange.__table__).where(LocalChange.__table__.c.seq <= ack))
    server.audit_acked_through = max(server.audit_acked_through, int(header.get("audit_ack", 0)))
    pending = _pending_fields(connection)
    ids = IdMap(connection)
    audit = _AuditMerge(session, ids)
    states: list[dict[str, Any]] = []  # the server's version of each record received: the base of changes here
    later: list[tuple[str, str, str, str, str]] = []  # references to records further on in the bundle
    stale = int(header.get("seq_to", 0)) <= server.applied_through
    for line in stream:
        kind = line.get("t")
        if kind == "row" and not stale:
            try:
                _apply_row_on_laptop(connection, line["table"], line["values"], pending, ids, later)
            except IntegrityError as exc:
                raise SyncRefused(t("sync.error.clash", record=f"{line['table']} {line['values'].get('uuid')}")
                                  ) from exc
            states.append({"table_name": line["table"], "row_uuid": uuid.UUID(line["values"]["uuid"]),
                           "seq": int(line.get("seq", 0)), "deleted": False})
            result.applied += 1
        elif kind == "tombstone" and not stale and (line["table"], line["uuid"]) not in pending:
            table = Base.metadata.tables[line["table"]]
            result.deleted += connection.execute(delete(table).where(
                table.c.uuid == uuid.UUID(line["uuid"]))).rowcount
            ids.forget(line["table"], line["uuid"])
        elif kind == "audit":
            audit.add(line)
        if len(states) >= BATCH:
            upsert_states(connection, states)
            states.clear()
        if progress and kind == "row" and result.applied % 2000 == 0:
            progress(f"{result.applied} records applied")
    upsert_states(connection, states)
    for table_name, row_uuid, column, target, value in later:  # records that point at each other (an account and
        found = _maybe_id(ids, target, value)                   # its staff member) or at one sent after them
        if found is not None:
            table = Base.metadata.tables[table_name]
            connection.execute(update(table).where(table.c.uuid == uuid.UUID(row_uuid)).values(
                {column: found, **_unchanged_stamp(table)}))
    result.audit_records = audit.finish()
    server.applied_through = max(server.applied_through, int(header.get("seq_to", 0)))
    server.audit_applied_through = max(server.audit_applied_through, int(header.get("audit_to", 0)))
    _refresh_derived(session)


def _pending_fields(connection: Connection) -> dict[tuple[str, str], set[str] | None]:
    """The laptop's changes the server has not acknowledged: per record, the fields changed (None: the whole
    record, a creation or a deletion)."""
    pending: dict[tuple[str, str], set[str] | None] = {}
    changes = LocalChange.__table__
    for table_name, row_uuid, operation, values in connection.execute(
            select(changes.c.table_name, changes.c.row_uuid, changes.c.operation, changes.c["values"])
            .order_by(changes.c.seq, changes.c.position)):
        key = (table_name, str(row_uuid))
        if operation != "update":
            pending[key] = None
        elif key not in pending or pending[key] is not None:
            pending.setdefault(key, set()).update(k for k in values if k not in ATTRIBUTION)  # type: ignore[union-attr]
    return pending


def _apply_row_on_laptop(connection: Connection, table_name: str, values: dict[str, Any],
                         pending: dict[tuple[str, str], set[str] | None], ids: IdMap,
                         later: list[tuple[str, str, str, str, str]]) -> None:
    spec = synced_tables()[table_name]
    row_uuid = values["uuid"]
    mine = pending.get((table_name, row_uuid), set())
    if mine is None:
        return  # created or deleted here and not yet acknowledged: the server decides on it first
    missing: list[tuple[str, str, str]] = []
    local = from_wire(spec, values, ids, unresolved=missing)
    later.extend((table_name, row_uuid, *m) for m in missing if m[0] not in mine)
    table = spec.table
    existing = connection.execute(select(table.c.id).where(table.c.uuid == uuid.UUID(row_uuid))).scalar()
    if existing is None:
        existing = _make_room(connection, spec, local, row_uuid, ids)
    settable = {k: v for k, v in local.items() if k not in set(mine) and k != "uuid"}
    if existing is None:
        new_id = connection.execute(insert(table).values(**local).returning(table.c.id)).scalar_one()
        ids.remember(table_name, new_id, row_uuid)
    elif settable:
        connection.execute(update(table).where(table.c.id == existing).values(**settable))


def _make_room(connection: Connection, spec: SyncedTable, local: dict[str, Any], row_uuid: str,
               ids: IdMap) -> int | None:
    """A record here with the server record's natural key: one of a kind (the same version of content, the same
    component's rating) takes the server's id and is updated from it (the id of a record made here and not yet
    sent is merged on the server, which knows it then as an alias); another kind is set apart under a marked key
    until a person decides. Returns the id of the record that took the server's id."""
    same = SAME_RECORD_KEYS.get(spec.name)
    key = same or (DUPLICATE_KEYS.get(spec.name) if spec.name in APART_COLUMN else None)
    if key is None:
        return None
    table = spec.table
    clash = connection.execute(select(table.c.id, table.c.uuid).where(
        *[table.c[c] == local.get(c) for c in key])).first()
    if clash is None:
        return None
    if same:
        connection.execute(update(table).where(table.c.id == clash.id).values(
            uuid=uuid.UUID(row_uuid), **_unchanged_stamp(table)))
        ids.forget(spec.name, str(clash.uuid))
        ids.remember(spec.name, clash.id, row_uuid)
        return clash.id
    column = APART_COLUMN[spec.name]
    connection.execute(update(table).where(table.c.id == clash.id).values(
        {column: _apart(local[column], str(clash.uuid), spec.table.columns[column].type.length),
         **_unchanged_stamp(table)}))
    return None


def _unchanged_stamp(table: Any) -> dict[str, Any]:
    """An UPDATE that fills in a reference is not a change anyone made: ``updated_at`` stays as it was (its
    ``onupdate`` would set it to now)."""
    return {"updated_at": table.c.updated_at} if "updated_at" in table.columns else {}


def _apart(value: str, row_uuid: str, length: int | None) -> str:
    suffix = f" ~{row_uuid[:6]}"
    return value[: (length or 200) - len(suffix)] + suffix


def _refresh_derived(session: Session) -> None:
    from checklists.services.deadlines import fill_missing_deadlines

    fill_missing_deadlines(session)


# ----- on the server: a laptop's changes merged into the records


@dataclass
class _Merge:
    session: Session
    connection: Connection
    laptop: Replica
    book: StateBook
    ids: IdMap
    result: ImportResult
    authors: dict[str | None, Account | None] = field(default_factory=dict)
    rows: dict[tuple[str, str], dict[str, Any] | None] = field(default_factory=dict)  # records read ahead
    open_conflicts: dict[tuple[str, str], int] = field(default_factory=dict)  # (record, field): this laptop's
    agencies: dict[tuple[str, Any], int | None] = field(default_factory=dict)  # a parent record's agency
    pending: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))  # to insert
    pending_uuids: set[tuple[str, str]] = field(default_factory=set)
    keyed: dict[tuple[str, tuple[Any, ...]], dict[str, Any]] = field(default_factory=dict)  # by natural key
    keyed_tables: set[tuple[str, tuple[str, ...]]] = field(default_factory=set)
    updates: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)  # to write with the batch

    def __post_init__(self) -> None:
        self.ids.on_miss = self.insert_pending

    def insert_pending(self) -> bool:
        """Write the new records held back, table by table in dependency order, many rows per statement."""
        if not self.pending_uuids:
            return False
        for name in SYNCED:
            rows = self.pending.pop(name, [])
            groups: dict[frozenset[str], list[dict[str, Any]]] = defaultdict(list)
            for row in rows:
                groups[frozenset(row)].append(row)
            table = Base.metadata.tables[name]
            for group in groups.values():
                made = self.connection.execute(insert(table).returning(table.c.id, table.c.uuid,
                                                                       sort_by_parameter_order=True), group)
                for row_id, row_uuid in made:
                    self.ids.remember(name, row_id, str(row_uuid))
        self.pending_uuids.clear()
        return True

    def by_key(self, spec: SyncedTable, columns: tuple[str, ...], local: dict[str, Any]) -> dict[str, Any] | None:
        """A record here (or about to be written) with these values of ``columns``."""
        value = tuple(local.get(c) for c in columns)
        if (spec.name, columns) in self.keyed_tables:
            return self.keyed.get((spec.name, value))
        table = spec.table
        self.insert_pending()
        self.write_updates()
        row = self.connection.execute(select(table).where(*[table.c[c] == local.get(c) for c in columns])
                                      ).mappings().first()
        return dict(row) if row is not None else None

    def hold_update(self, spec: SyncedTable, current: dict[str, Any], local: dict[str, Any]) -> None:
        """Change a record: the record as read here changes at once, the database with the batch (one statement
        per table and set of columns)."""
        current.update(local)
        self.updates.setdefault((spec.name, current["id"]), {}).update(local)

    def write_updates(self) -> None:
        groups: dict[tuple[str, frozenset[str]], list[dict[str, Any]]] = defaultdict(list)
        for (name, row_id), values in self.updates.items():
            groups[(name, frozenset(values))].append({**{f"v_{k}": v for k, v in values.items()}, "row_id": row_id})
        self.updates.clear()
        for (name, columns), rows in groups.items():
            table = Base.metadata.tables[name]
            values: dict[str, Any] = {c: bindparam(f"v_{c}") for c in columns}
            if "version_id" in table.columns:
                values["version_id"] = table.c.version_id + 1
            if "updated_at" in table.columns and "updated_at" not in columns:
                values["updated_at"] = table.c.updated_at  # the laptop's change says when; no new moment here
            self.connection.execute(update(table).where(table.c.id == bindparam("row_id")).values(values), rows)

    def hold_insert(self, spec: SyncedTable, local: dict[str, Any], row_uuid: str,
                    keys: list[tuple[str, ...]]) -> None:
        self.pending[spec.name].append(local)
        self.pending_uuids.add((spec.name, row_uuid))
        for columns in keys:
            if (spec.name, columns) in self.keyed_tables:
                self.keyed[(spec.name, tuple(local.get(c) for c in columns))] = {**local, "uuid": row_uuid}

    def read_ahead(self, lines: list[dict[str, Any]]) -> None:
        """The records and states a batch of changes touches, and the records its new ones could clash with by
        natural key, in one query per table."""
        wanted: dict[str, set[str]] = defaultdict(set)
        plain: dict[tuple[str, tuple[str, ...]], set[Any]] = defaultdict(set)
        for line in lines:
            wanted[line.get("table", "")].add(line["uuid"])
            spec = synced_tables().get(line.get("table", ""))
            if spec is None or line.get("op") != "create":
                continue
            for columns in filter(None, (SAME_RECORD_KEYS.get(spec.name), DUPLICATE_KEYS.get(spec.name))):
                texts = [c for c in columns if c not in spec.references]
                if texts:
                    plain[(spec.name, columns)].add(line["values"].get(texts[0]))
        for (table_name, columns), values in plain.items():
            spec = synced_tables()[table_name]
            first = next(c for c in columns if c not in spec.references)
            found = [c for c in values if c is not None]
            decoded = [from_wire(spec, {first: v}, self.ids)[first] for v in found]
            for start in range(0, len(decoded), BATCH):
                for row in self.connection.execute(select(spec.table).where(
                        spec.table.c[first].in_(decoded[start:start + BATCH]))).mappings():
                    self.keyed.setdefault((table_name, tuple(row[c] for c in columns)), dict(row))
            self.keyed_tables.add((table_name, columns))
        for table_name, uuids in wanted.items():
            spec = synced_tables().get(table_name)
            if spec is None:
                continue
            keys = [uuid.UUID(u) for u in uuids]
            for row in self.connection.execute(select(spec.table).where(spec.table.c.uuid.in_(keys))).mappings():
                self.rows[(table_name, str(row["uuid"]))] = dict(row)
            for u in uuids:
                self.rows.setdefault((table_name, u), None)
            self.book.read_ahead(table_name, keys)

    def changed(self, table_name: str, row_uuid: Any) -> None:
        self.rows.pop((table_name, str(row_uuid)), None)


def _apply_laptop_bundle(session: Session, me: Replica, laptop: Replica, path: Path, header: dict[str, Any],
                         passphrase: str, progress: Callable[[str], None] | None) -> ImportResult:
    connection = session.connection()
    seq, _role = next_tick(connection)
    merge = _Merge(session, connection, laptop, StateBook(connection, seq), IdMap(connection),
                   ImportResult(laptop.name))
    laptop.acked_through = max(laptop.acked_through, int(header.get("ack", 0)))
    laptop.audit_acked_through = max(laptop.audit_acked_through, int(header.get("audit_ack", 0)))
    conflicts = SyncConflict.__table__
    merge.open_conflicts = {(str(r), f): i for i, r, f in connection.execute(
        select(conflicts.c.id, conflicts.c.row_uuid, conflicts.c.field).where(
            conflicts.c.status == "open", conflicts.c.replica_id == laptop.id, conflicts.c.kind != "duplicate"))}
    last = session.scalars(select(BundleReceipt.summary).where(BundleReceipt.sender_uuid == laptop.uuid)
                           .order_by(BundleReceipt.applied_at.desc())).first() or {}
    audit = _AuditMerge(session, merge.ids, tip=last.get("audit_tip"))
    batch: list[dict[str, Any]] = []

    def merge_batch() -> None:
        merge.read_ahead(batch)
        for change in batch:
            _merge_change(merge, change)
            merge.result.applied += 1
            if progress and merge.result.applied % 2000 == 0:
                progress(f"{merge.result.applied} changes merged")
        batch.clear()
        merge.insert_pending()
        merge.write_updates()
        merge.rows.clear()
        merge.keyed.clear()
        merge.keyed_tables.clear()
        merge.book.flush()

    for line in bundle.lines(path, passphrase):
        if line.get("t") == "change":
            if int(line["seq"]) > laptop.applied_through:  # else applied from an earlier bundle
                batch.append(line)
            if len(batch) >= BATCH:
                merge_batch()
        elif line.get("t") == "audit":
            if batch:
                merge_batch()  # audit records come after the changes: the records they name are written
            audit.add(line)
        else:
            raise SyncRefused(t("sync.error.unexpected_line"))
    merge_batch()
    merge.result.audit_records = audit.finish()
    merge.result.audit_tip = audit.tip
    laptop.applied_through = max(laptop.applied_through, int(header.get("seq_to", 0)))
    laptop.audit_applied_through = max(laptop.audit_applied_through, int(header.get("audit_to", 0)))
    _refresh_derived(session)
    return merge.result


def _author(merge: _Merge, line: dict[str, Any], spec: SyncedTable, row_uuid: str, fields: set[str]) -> None:
    """Refuse a change its author could not make here: checked against this server's accounts and roles."""
    account_uuid = line.get("account")
    if account_uuid not in merge.authors:
        merge.authors[account_uuid] = merge.session.scalar(select(Account).where(
            Account.uuid == _uuid(account_uuid))) if account_uuid else None
    author = merge.authors[account_uuid]
    where = f"{spec.name} {row_uuid} (by {line.get('author') or 'an unknown person'})"
    if author is None or not author.active:
        raise SyncRefused(t("sync.error.author_unknown", record=where))
    if author.agency_id != merge.laptop.agency_id:
        raise SyncRefused(t("sync.error.author_other_agency", record=where))
    roles = set(author.roles or [])
    own_account = spec.name == "accounts" and str(author.uuid) == row_uuid and fields <= OWN_ACCOUNT_FIELDS
    if not own_account and not roles & {r.value for r in ROLES[spec.name]}:
        raise SyncRefused(t("sync.error.author_role", record=where, roles=", ".join(sorted(roles)) or "—"))


def _check_agency(merge: _Merge, spec: SyncedTable, values: dict[str, Any], row_uuid: str) -> None:
    if spec.name in SHARED_CONTENT and values.get("agency_id") is None:
        raise SyncRefused(t("sync.error.shared_content", record=f"{spec.name} {row_uuid}"))
    agency = _agency_of(merge.connection, spec, values, merge.agencies)
    if agency != merge.laptop.agency_id:
        raise SyncRefused(t("sync.error.other_agency", record=f"{spec.name} {row_uuid}"))


def _current(merge: _Merge, spec: SyncedTable, row_uuid: str) -> dict[str, Any] | None:
    key = (spec.name, str(row_uuid))
    if key in merge.pending_uuids:
        merge.insert_pending()
        merge.rows.pop(key, None)
    if key not in merge.rows:
        row = merge.connection.execute(select(spec.table).where(spec.table.c.uuid == uuid.UUID(str(row_uuid)))
                                       ).mappings().first()
        merge.rows[key] = dict(row) if row is not None else None
    return merge.rows[key]


def _merge_change(merge: _Merge, line: dict[str, Any]) -> None:
    spec = synced_tables().get(line.get("table", ""))
    if spec is None:
        raise SyncRefused(t("sync.error.untravelled_table", table=line.get("table")))
    row_uuid, operation, values = line["uuid"], line["op"], line["values"]
    fields = set(values) - ATTRIBUTION
    _author(merge, line, spec, row_uuid, fields)
    current = _current(merge, spec, row_uuid)
    if current is None:  # a record of one kind merged into the server's: its changes go there
        alias = merge.book.current(spec.name, uuid.UUID(row_uuid)).get("alias_of")
        if alias is not None:
            current = _current(merge, spec, str(alias))
    try:
        if operation == "create":
            _merge_create(merge, spec, line, current)
        elif operation == "update":
            _merge_update(merge, spec, line, current)
        elif operation == "delete":
            _merge_delete(merge, spec, line, current)
        else:
            raise SyncRefused(t("sync.error.unknown_operation", operation=operation))
    except IntegrityError as exc:
        raise SyncRefused(t("sync.error.clash", record=f"{spec.name} {row_uuid}")) from exc
    except UnknownReference as exc:
        raise SyncRefused(t("sync.error.unknown_reference", record=f"{spec.name} {row_uuid}",
                            reference=f"{exc.table} {exc.value}")) from exc


def _as_changes(values: dict[str, Any]) -> dict[str, list[Any]]:
    """A creation as changes from nothing, to merge into a record that exists already."""
    return {k: [None, v] for k, v in values.items() if k != "uuid"}


def _merge_create(merge: _Merge, spec: SyncedTable, line: dict[str, Any], current: dict[str, Any] | None) -> None:
    values = line["values"]
    row_uuid = line["uuid"]
    if current is not None:  # the same record again (merged into the server's before)
        _merge_fields(merge, spec, line, current, _as_changes(values))
        return
    if merge.book.current(spec.name, uuid.UUID(row_uuid)).get("deleted"):
        return
    local = from_wire(spec, values, merge.ids, strict=True)
    _check_agency(merge, spec, local, row_uuid)
    table = spec.table
    same = SAME_RECORD_KEYS.get(spec.name)
    if same:
        existing = merge.by_key(spec, same, local)
        if existing is not None:  # the same record made on both sides: merged field by field
            current = _current(merge, spec, str(existing["uuid"]))
            assert current is not None
            _merge_fields(merge, spec, line, current, _as_changes(values))
            merge.ids.remember(spec.name, current["id"], row_uuid)
            merge.book.delete(spec.name, uuid.UUID(row_uuid), merge.laptop.agency_id, alias_of=current["uuid"])
            return
    duplicate_of = None
    key = DUPLICATE_KEYS.get(spec.name)
    if key:
        duplicate_of = merge.by_key(spec, key, local)
        if duplicate_of is not None and spec.name in APART_COLUMN:
            column = APART_COLUMN[spec.name]
            local[column] = _apart(local[column], row_uuid, table.columns[column].type.length)
    merge.hold_insert(spec, local, row_uuid, [k for k in (same, key) if k])
    merge.changed(spec.name, row_uuid)
    merge.book.created(spec.name, uuid.UUID(row_uuid), merge.laptop.id,
                       local.get("agency_id") if spec.agency_column else None)
    if duplicate_of is not None:
        merge.insert_pending()
        shown = _current(merge, spec, str(duplicate_of["uuid"])) or duplicate_of
        _conflict(merge, spec, kind="duplicate", row_uuid=str(shown["uuid"]), other_uuid=row_uuid,
                  agency_id=_agency_of(merge.connection, spec, local, merge.agencies),
                  title=_title(merge.connection, spec, shown),
                  server=to_wire(spec, shown, merge.ids), replica=values, line=line)


def _merge_update(merge: _Merge, spec: SyncedTable, line: dict[str, Any], current: dict[str, Any] | None) -> None:
    row_uuid = line["uuid"]
    if current is None:
        if merge.book.current(spec.name, uuid.UUID(row_uuid)).get("deleted"):  # deleted here, edited there
            old = {k: v[0] for k, v in line["values"].items()}
            new = {k: v[1] for k, v in line["values"].items()}
            if not _open_conflict(merge, spec, row_uuid, "", new, line):
                _conflict(merge, spec, kind="deleted", row_uuid=row_uuid, agency_id=merge.laptop.agency_id,
                          title=_title(merge.connection, spec, new), server=None, replica=new, line=line, base=old)
            merge.book.delete(spec.name, uuid.UUID(row_uuid), merge.laptop.agency_id)
            return
        raise SyncRefused(t("sync.error.never_had", record=f"{spec.name} {row_uuid}"))
    _check_agency(merge, spec, current, row_uuid)
    _merge_fields(merge, spec, line, current, line["values"])


def _changed_unseen(merge: _Merge, spec: SyncedTable, row_uuid: Any, name: str, base: int) -> bool:
    """Has someone other than this laptop changed the field here since the version the laptop's change was
    made on? (By versions, not values: a field changed and changed back is still a change a person made.)"""
    seqs = merge.book.field_seqs(spec.name, row_uuid)
    seq, origin = seqs.get(name) or seqs.get("*") or [0, 0]
    return seq > base and origin != merge.laptop.id


def _merge_fields(merge: _Merge, spec: SyncedTable, line: dict[str, Any], current: dict[str, Any],
                  changes: dict[str, list[Any]]) -> None:
    """Field by field: ``changes`` holds the laptop's [value it replaced, new value]. A field nobody else changed
    since the laptop's base version takes the laptop's value; one changed on both sides merges where its kind
    allows (ticks, growing notes) and is a conflict otherwise, the server's value staying."""
    ours = to_wire(spec, current, merge.ids)
    row_uuid = current["uuid"]
    base = int(line.get("base", 0))
    updates: dict[str, Any] = {}
    for name, (old, new) in changes.items():
        if name in ATTRIBUTION or name not in spec.columns or name == "uuid":
            continue
        now = ours.get(name)
        if _open_conflict(merge, spec, str(row_uuid), name, new, line):
            continue
        if now == new:
            continue
        if not _changed_unseen(merge, spec, row_uuid, name, base):
            updates[name] = new
        elif (spec.name, name) in SET_FIELDS and isinstance(now, list) and isinstance(new, list):
            before = set(old or [])
            updates[name] = [v for v in now if v not in before - set(new)] + \
                [v for v in new if v not in before and v not in now]
        elif (spec.name, name) in GROWING_TEXT and isinstance(new, str) and new.startswith(old or "") and now:
            updates[name] = now + new[len(old or ""):]
        else:
            _conflict(merge, spec, kind="field", row_uuid=str(row_uuid), field_name=name,
                      agency_id=_agency_of(merge.connection, spec, current, merge.agencies),
                      title=_title(merge.connection, spec, current),
                      server=now, replica=new, base=old, line=line, server_by=current.get("updated_by_name") or "",
                      server_at=current.get("updated_at"))
    if updates:
        wire = {**updates, **{n: changes[n][1] for n in ATTRIBUTION if n in changes and n in spec.columns}}
        local = from_wire(spec, wire, merge.ids, strict=True)
        merge.hold_update(spec, current, local)
    merge.book.touch(spec.name, row_uuid, list(updates), merge.laptop.id,
                     current.get("agency_id") if spec.agency_column else None)


def _open_conflict(merge: _Merge, spec: SyncedTable, row_uuid: str, name: str, new: Any,
                   line: dict[str, Any]) -> bool:
    """An open conflict on this field from this laptop: the laptop's newer value replaces the one it holds (the
    server's value stays until a person decides); True if there is one."""
    found = merge.open_conflicts.get((str(row_uuid), name))
    if found is None:
        return False
    conflicts = SyncConflict.__table__
    merge.connection.execute(update(conflicts).where(conflicts.c.id == found).values(
        replica_value=new, replica_by=line.get("author") or "", replica_at=_when(line)))
    return True


def _merge_delete(merge: _Merge, spec: SyncedTable, line: dict[str, Any], current: dict[str, Any] | None) -> None:
    row_uuid = line["uuid"]
    merge.insert_pending()  # records held back that point at this one are written first, and go with it
    merge.write_updates()
    if current is None:
        return
    _check_agency(merge, spec, current, row_uuid)
    ours = to_wire(spec, current, merge.ids)
    base = int(line.get("base", 0))
    changed_here = [k for k in ours if k not in ATTRIBUTION and k != "uuid"
                    and _changed_unseen(merge, spec, current["uuid"], k, base)]
    if changed_here:  # edited here since the laptop saw it: a person decides
        if not _open_conflict(merge, spec, row_uuid, "", None, line):
            _conflict(merge, spec, kind="deleted", row_uuid=row_uuid, agency_id=_agency_of(
                merge.connection, spec, current), title=_title(merge.connection, spec, current),
                server={k: ours[k] for k in changed_here}, replica=None,
                base={k: line["values"].get(k) for k in changed_here}, line=line)
        merge.book.touch(spec.name, current["uuid"], [], merge.laptop.id,
                         current.get("agency_id") if spec.agency_column else None)
        return
    merge.connection.execute(delete(spec.table).where(spec.table.c.id == current["id"]))
    merge.changed(spec.name, current["uuid"])
    merge.result.deleted += 1
    merge.book.delete(spec.name, current["uuid"], current.get("agency_id") if spec.agency_column else
                      merge.laptop.agency_id, snapshot=ours)


def _when(line: dict[str, Any]) -> datetime | None:
    try:
        return datetime.fromisoformat(line["at"]) if line.get("at") else None
    except ValueError:
        return None


def _title(connection: Connection, spec: SyncedTable, values: dict[str, Any]) -> str:
    """What a person recognises the record by: its own name or code, after its parent's where it has one (an
    assessment's name before a component's code, a review's case before its answer)."""
    own = next((str(values[name])[:150] for name in _TITLE_FIELDS if values.get(name)), "")
    if spec.name in SCOPE_PARENT:
        column, parent_name = SCOPE_PARENT[spec.name]
        parent = Base.metadata.tables[parent_name]
        row = connection.execute(select(parent).where(parent.c.id == values.get(column))).mappings().first() \
            if values.get(column) is not None else None
        if row is not None:
            above = next((str(row[name])[:150] for name in _TITLE_FIELDS if row.get(name)), "")
            return " · ".join(part for part in (above, own) if part)
    return own or str(values.get("uuid", ""))


_TITLE_FIELDS = ("case_code", "name", "full_name", "title", "component_code", "item_id", "occurrence_key", "text",
                 "username")


def _conflict(merge: _Merge, spec: SyncedTable, *, kind: str, row_uuid: str, agency_id: int | None, title: str,
              server: Any, replica: Any, line: dict[str, Any], base: Any = None, field_name: str = "",
              other_uuid: str | None = None, server_by: str = "", server_at: datetime | None = None) -> None:
    conflict_id = merge.connection.execute(insert(SyncConflict.__table__).values(
        uuid=uuid.uuid4(), version_id=1, kind=kind, table_name=spec.name, row_uuid=uuid.UUID(row_uuid),
        other_uuid=uuid.UUID(other_uuid) if other_uuid else None, field=field_name, title=title[:300],
        agency_id=agency_id, base_value=base, server_value=server,
        replica_value=replica, server_by=server_by, server_at=server_at, replica_id=merge.laptop.id,
        replica_by=line.get("author") or "", replica_at=_when(line), status="open", resolution="",
        resolved_by="", detected_at=datetime.now(UTC)).returning(SyncConflict.__table__.c.id)).scalar_one()
    if kind != "duplicate":
        merge.open_conflicts[(str(row_uuid), field_name)] = conflict_id
    merge.result.conflicts += 1


# ----- audit records of other replicas


class _AuditMerge:
    """Audit records merged as they are read, a batch at a time (the bundle is never held whole)."""

    def __init__(self, session: Session, ids: IdMap, tip: str | None = None) -> None:
        self.session, self.ids, self.tip = session, ids, tip
        self.buffer: list[dict[str, Any]] = []
        self.count = 0

    def add(self, line: dict[str, Any]) -> None:
        self.buffer.append(line)
        if len(self.buffer) >= BATCH:
            self._merge()

    def _merge(self) -> None:
        merged, self.tip = _merge_audit(self.session, self.buffer, self.ids, tip=self.tip)
        self.count += merged
        self.buffer = []

    def finish(self) -> int:
        self._merge()
        return self.count


def _merge_audit(session: Session, lines: list[dict[str, Any]], ids: IdMap, *,
                 tip: str | None = None) -> tuple[int, str | None]:
    """Seal other replicas' audit records into this trail with their origin. A laptop sends its whole chain since
    the last acknowledged record: each record must link to the one before it (``chain_previous``), the first new
    one to a record already received (``tip``, or one here by its id), or the bundle is refused."""
    audit = AuditRecord.__table__
    me = this_replica(session)
    known = set()
    for start in range(0, len(lines), BATCH):
        known |= {str(u) for u in session.scalars(select(audit.c.uuid).where(audit.c.uuid.in_(
            [uuid.UUID(line["uuid"]) for line in lines[start:start + BATCH]])))}
    rows = []
    for record in lines:
        if "chain_previous" in record:
            if tip is not None and record["chain_previous"] != tip and record["uuid"] not in known:
                raise SyncRefused(t("sync.error.audit_links"))
            tip = record["chain_hash"]
        if record["uuid"] in known or (me is not None and record["origin"] == str(me.uuid)):
            continue
        rows.append({"uuid": uuid.UUID(record["uuid"]), "occurred_at": datetime.fromisoformat(record["occurred_at"]),
                     "account_id": _maybe_id(ids, "accounts", record.get("account")),
                     "actor_name": record["actor_name"],
                     "actor_agency_id": _maybe_id(ids, "agencies", record.get("actor_agency")),
                     "action": record["action"], "entity_type": record["entity_type"],
                     "entity_id": record["entity_id"], "summary": record["summary"], "changes": record["changes"],
                     "scope_agency_id": _maybe_id(ids, "agencies", record.get("scope_agency")),
                     "origin_replica": record["origin"], "origin_hash": record["origin_hash"]})
    for start in range(0, len(rows), BATCH):
        append_merged_records(session, rows[start:start + BATCH])
    return len(rows), tip


def _maybe_id(ids: IdMap, table: str, value: str | None) -> int | None:
    try:
        return ids.id_of(table, value)
    except UnknownReference:
        return None


# ---------------------------------------------------------------------------------------------------------------
# For pages: bundles as bytes (uploads and downloads)


def bundle_bytes(write: Callable[[Path], Any]) -> tuple[bytes, Any]:
    """Run ``write`` on a file in a private temporary folder; the file's bytes and what ``write`` returned."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bundle.cpcmsync"
        outcome = write(path)
        return path.read_bytes(), outcome


def import_uploaded(session: Session, *, actor: Actor, data: bytes, passphrase: str,
                    progress: Callable[[str], None] | None = None) -> ImportResult:
    """Import a bundle a person uploaded (kept in a private temporary file while it is read)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "uploaded.cpcmsync"
        path.write_bytes(data)
        return import_bundle(session, actor=actor, path=path, passphrase=passphrase, progress=progress)


def agency_choices(session: Session) -> list[tuple[int, str]]:
    agencies = Base.metadata.tables["agencies"]
    return [(i, n) for i, n in session.execute(select(agencies.c.id, agencies.c.name).order_by(agencies.c.name))]


# ---------------------------------------------------------------------------------------------------------------
# Status


@dataclass(frozen=True)
class ReplicaStatus:
    name: str
    role: str
    is_self: bool
    status: str
    fingerprint: str
    last_sent_at: datetime | None
    last_received_at: datetime | None
    agency_id: int | None


@dataclass(frozen=True)
class SyncStatus:
    me: ReplicaStatus | None
    peers: list[ReplicaStatus]
    waiting: int  # changes made here the other side has not acknowledged (a laptop) / not yet sent (server)
    open_conflicts: int


def _status_of(row: Replica) -> ReplicaStatus:
    return ReplicaStatus(row.name, row.role, row.is_self, row.status, keys.fingerprint(row.public_key),
                         row.last_sent_at, row.last_received_at, row.agency_id)


def sync_status(session: Session, *, agency_id: int | None = None) -> SyncStatus:
    me = this_replica(session)
    peers = session.scalars(select(Replica).where(Replica.is_self.is_(False)).order_by(Replica.name)).all()
    if agency_id is not None:
        peers = [p for p in peers if p.agency_id in (None, agency_id)]
    if me is not None and me.role == LAPTOP:
        changes = LocalChange.__table__
        waiting = len({row_uuid for row_uuid, operation, values in session.execute(
            select(changes.c.row_uuid, changes.c.operation, changes.c["values"]).execution_options(yield_per=BATCH))
            if operation != "update" or set(values) - ATTRIBUTION})  # records people changed, not only touched
    else:
        waiting = 0
    conflicts = select(func.count()).select_from(SyncConflict).where(SyncConflict.status == "open")
    if agency_id is not None:
        conflicts = conflicts.where(SyncConflict.agency_id == agency_id)
    return SyncStatus(_status_of(me) if me else None, [_status_of(p) for p in peers], waiting,
                      session.scalar(conflicts) or 0)


def content_rows(session: Session) -> dict[tuple[str, str], dict[str, Any]]:
    """Every synced record in its travelling form, by table and UUID."""
    connection = session.connection()
    ids = IdMap(connection)
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for spec in synced_tables().values():
        rows = [dict(r) for r in connection.execute(select(spec.table).order_by(spec.table.c.uuid)).mappings()]
        ids.prefetch_for(spec, rows, wire=False)
        for row in rows:
            found[(spec.name, str(row["uuid"]))] = to_wire(spec, row, ids)
    return found


def content_digest(session: Session) -> str:
    """A digest of every synced record's travelling form: equal on two replicas that hold the same data (what
    the convergence test compares)."""
    digest = hashlib.sha256()
    for key, values in sorted(content_rows(session).items()):
        digest.update(repr((key, sorted(values.items()))).encode())
    return digest.hexdigest()
