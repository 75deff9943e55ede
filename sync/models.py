"""What a replica keeps to exchange changes with the others (see ENGINEERING.md, "Sync").

- ``SyncClock``: one row, this replica's change counter and its role. Every flush that changes a synced record
  takes the next value under a row lock, so values are handed out in commit order.
- ``Replica``: this replica (``is_self``) and the ones it exchanges with: their id, name, role, public key and
  watermarks (what each side has acknowledged of the other).
- ``RowState``: per synced record, the counter value of its last change here and whether it was deleted (a
  tombstone); on the server also each field's last change and who made it. The server sends a laptop every
  record whose state is newer than the laptop's acknowledgement. On a laptop, the server's counter value of the
  record as last received: the base of the laptop's next change to it.
- ``LocalChange``: on a laptop, every change made here, field by field with the value it replaced, kept until
  the server acknowledges it. The server merges from these: it knows exactly what the person changed.
- ``SyncConflict``: on the server, a field changed differently on both sides, an edit against a deletion, or
  two new records with the same natural key. The server's value stays until a person resolves it.
- ``BundleReceipt``: every bundle applied here, by id, so that importing one twice does nothing.
"""

from __future__ import annotations

import uuid as uuid_module
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from core.models import Base, UuidMixin, VersionedMixin, utcnow

SERVER, LAPTOP, STANDALONE = "server", "laptop", "standalone"


class SyncClock(Base):
    __tablename__ = "sync_clock"
    __table_args__ = {"info": {"seeded": True}}  # a migrated database holds its row: a restore replaces it
    __audited__ = False
    __user_data__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)
    role: Mapped[str] = mapped_column(String(12), default=STANDALONE)  # standalone | server | laptop


class Replica(UuidMixin, VersionedMixin, Base):
    """A replica of the programme's data. ``uuid`` is the replica id every bundle names."""

    __tablename__ = "sync_replicas"
    __user_data__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    role: Mapped[str] = mapped_column(String(12))  # server | laptop
    is_self: Mapped[bool] = mapped_column(Boolean, default=False)
    public_key: Mapped[str] = mapped_column(String(100))  # Ed25519, base64 of the raw 32 bytes
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))  # a laptop's agency
    status: Mapped[str] = mapped_column(String(10), default="active")  # active | revoked
    enrolled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    enrolled_by: Mapped[str] = mapped_column(String(200), default="")
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # of the other side: the highest of our counter values it has acknowledged (sent and applied there) ...
    acked_through: Mapped[int] = mapped_column(Integer, default=0)
    # ... and the highest of its counter values we have applied here
    applied_through: Mapped[int] = mapped_column(Integer, default=0)
    # the same for audit records: the highest id of ours it holds, the highest id of its we hold
    audit_acked_through: Mapped[int] = mapped_column(Integer, default=0)
    audit_applied_through: Mapped[int] = mapped_column(Integer, default=0)
    last_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_received_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def audit_scope(self, _session: Any) -> int | None:
        return self.agency_id

    def audit_title(self, _session: Any) -> str:
        return self.name


class RowState(Base):
    __tablename__ = "sync_row_states"
    __audited__ = False
    __user_data__ = False

    table_name: Mapped[str] = mapped_column(String(60), primary_key=True)
    row_uuid: Mapped[uuid_module.UUID] = mapped_column(Uuid, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, index=True)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    agency_id: Mapped[int | None] = mapped_column(Integer)  # a tombstone's agency, to send it only there
    # on the server: per field, [counter value of its last change, laptop it came from (0: made here)]; a laptop's
    # change to a field changed since the laptop's base by someone else is a conflict, whatever the values
    field_seqs: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    alias_of: Mapped[uuid_module.UUID | None] = mapped_column(Uuid)  # merged into this record (one of a kind)
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # a tombstone: the record as it was deleted


class LocalChange(Base):
    __tablename__ = "sync_local_changes"
    __audited__ = False
    __user_data__ = False

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)  # within one flush
    table_name: Mapped[str] = mapped_column(String(60))
    row_uuid: Mapped[uuid_module.UUID] = mapped_column(Uuid)
    operation: Mapped[str] = mapped_column(String(8))  # create | update | delete
    base_seq: Mapped[int] = mapped_column(Integer, default=0)  # the server's version of the record it changed
    values: Mapped[dict[str, Any]] = mapped_column(JSON)  # create/delete: the row; update: {field: [old, new]}
    account_uuid: Mapped[str | None] = mapped_column(String(36))
    author: Mapped[str] = mapped_column(String(200), default="")
    made_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SyncConflict(UuidMixin, VersionedMixin, Base):
    __tablename__ = "sync_conflicts"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))  # field | deleted | duplicate
    table_name: Mapped[str] = mapped_column(String(60), index=True)
    row_uuid: Mapped[uuid_module.UUID] = mapped_column(Uuid, index=True)
    other_uuid: Mapped[uuid_module.UUID | None] = mapped_column(Uuid)  # a duplicate: the laptop's record
    field: Mapped[str] = mapped_column(String(60), default="")
    title: Mapped[str] = mapped_column(String(300), default="")  # the record, as people name it
    agency_id: Mapped[int | None] = mapped_column(Integer, index=True)
    base_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    server_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    replica_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    server_by: Mapped[str] = mapped_column(String(200), default="")
    server_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    replica_id: Mapped[int | None] = mapped_column(ForeignKey("sync_replicas.id"))
    replica_by: Mapped[str] = mapped_column(String(200), default="")
    replica_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | resolved
    resolution: Mapped[str] = mapped_column(String(12), default="")  # server | replica | typed | merged | apart
    resolved_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    resolved_by: Mapped[str] = mapped_column(String(200), default="")
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    detected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def audit_scope(self, _session: Any) -> int | None:
        return self.agency_id

    def audit_title(self, _session: Any) -> str:
        return f"{self.title} — {self.field}" if self.field else self.title


class BundleReceipt(Base):
    __tablename__ = "sync_bundle_receipts"
    __audited__ = False
    __user_data__ = False

    bundle_uuid: Mapped[uuid_module.UUID] = mapped_column(Uuid, primary_key=True)
    sender_uuid: Mapped[uuid_module.UUID] = mapped_column(Uuid)
    sha256: Mapped[str] = mapped_column(String(64))
    applied_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")
