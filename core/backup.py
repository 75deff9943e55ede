"""Backup and restore.

``python -m app backup export FILE``  writes every table to one file (our own export format: the schema revision,
then each table's rows in dependency order, as gzipped JSON) encrypted with a passphrase: AES-256-GCM with a key
derived by scrypt, so the file (account password hashes and the audit trail included) is useless without it.
The export is one consistent snapshot: one REPEATABLE READ, read-only transaction on PostgreSQL, SQLite's backup
copy on SQLite. Timestamps are written in UTC with their offset, so a restore on a server in another time zone
gives back the same moments. It works the same on SQLite and PostgreSQL and is
how data moves from a laptop to a server.
``python -m app backup restore FILE`` loads such a file into an empty database migrated to the same revision.
``python -m app backup sqlite-copy FILE`` takes an online copy of the SQLite database file (safe while the app
runs; SQLite's own backup API).

For PostgreSQL servers, also run ``pg_dump`` as usual (see the README); the export format is what the tests prove
round-trips without loss on both databases. The tables are those of ``Base.metadata``: the caller imports
every model first (``app.registry``).
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import sqlite3
import tempfile
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from sqlalchemy import (
    Connection,
    Date,
    DateTime,
    Engine,
    LargeBinary,
    Uuid,
    create_engine,
    delete,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.engine import make_url

from core.audit_keys import write_private
from core.models import Base

FORMAT = "cpcm-quality-export/2"
MAGIC = b"CPCM-EXPORT-AESGCM-1\n"
# Tables a freshly migrated database already fills; a restore replaces their rows with the export's. A table of a
# feature says so itself with ``info={"seeded": True}``.
SEEDED = ("installation_settings", "audit_chain_head")


def _seeded(table: Any) -> bool:
    return table.name in SEEDED or bool(table.info.get("seeded"))


class ExportError(ValueError):
    """The file cannot be read as an export (wrong passphrase, damaged, not ours)."""


def _current_revision(connection: Connection) -> str:
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()


def _encode(value: Any, wall_clock: bool = False) -> Any:
    """A value as JSON. Moments are written in UTC; a wall-clock time (a column without a time zone, such as a
    session's local start) is written as it is, so no server's time zone can shift it."""
    if isinstance(value, datetime) and wall_clock:
        return value.replace(tzinfo=None).isoformat()
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)  # naive values are stored UTC (SQLite)
        return moment.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _read_tables(connection: Connection) -> dict[str, Any]:
    tables: dict[str, list[dict[str, Any]]] = {}
    for table in Base.metadata.sorted_tables:
        order = [c for c in table.primary_key.columns] or list(table.columns)
        rows = connection.execute(select(table).order_by(*order)).mappings().all()
        clocks = {c.name for c in table.columns if isinstance(c.type, DateTime) and not c.type.timezone}
        tables[table.name] = [{k: _encode(v, k in clocks) for k, v in row.items()} for row in rows]
    return {"format": FORMAT, "revision": _current_revision(connection), "tables": tables}


def export_data(engine: Engine) -> dict[str, Any]:
    """Every table, read as one snapshot: writes made while it runs are either all in it or not at all."""
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        with tempfile.TemporaryDirectory() as folder:
            snapshot = Path(folder) / "snapshot.db"
            _sqlite_backup(str(database), snapshot)
            copy = create_engine(f"sqlite:///{snapshot}")
            try:
                with copy.connect() as connection:
                    return _read_tables(connection)
            finally:
                copy.dispose()
    with engine.connect().execution_options(isolation_level="REPEATABLE READ",
                                            postgresql_readonly=True) as connection, connection.begin():
        return _read_tables(connection)


def _decode(table_name: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    table = Base.metadata.tables[table_name]
    decoded = []
    for row in rows:
        item = {}
        for key, value in row.items():
            column = table.columns[key]
            if value is not None and isinstance(column.type, DateTime) and not column.type.timezone:
                value = datetime.fromisoformat(value).replace(tzinfo=None)  # a wall-clock time, kept as written
            elif value is not None and isinstance(column.type, DateTime):
                value = datetime.fromisoformat(value)
                value = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
            elif value is not None and isinstance(column.type, Date):
                value = date.fromisoformat(value)
            elif value is not None and isinstance(column.type, Uuid):
                value = uuid.UUID(value)
            elif value is not None and isinstance(column.type, LargeBinary):
                value = base64.b64decode(value)
            item[key] = value
        decoded.append(item)
    return decoded


def restore_data(engine: Engine, data: dict[str, Any]) -> dict[str, int]:
    """Load an export into an empty database at the same schema revision, in one transaction."""
    if data.get("format") != FORMAT:
        raise ExportError("This file is not an export of this version of the tool.")
    counts: dict[str, int] = {}
    with engine.begin() as connection:
        if data["revision"] != _current_revision(connection):
            raise ExportError(f"The export is at schema revision {data['revision']}, the database at "
                              f"{_current_revision(connection)}: migrate both to the same revision first.")
        for table in Base.metadata.sorted_tables:
            if not _seeded(table) and connection.execute(select(func.count()).select_from(table)).scalar_one():
                raise ExportError(f"The database is not empty (table {table.name}); restore only into an empty one.")
        for table in Base.metadata.sorted_tables:
            if _seeded(table):
                connection.execute(delete(table))
        for table in Base.metadata.sorted_tables:
            rows = _decode(table.name, data["tables"].get(table.name, []))
            if rows:
                connection.execute(insert(table), rows)
            counts[table.name] = len(rows)
        if connection.dialect.name == "postgresql":
            for table in Base.metadata.sorted_tables:
                if "id" in table.columns and table.columns["id"].autoincrement is not False:
                    connection.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"COALESCE((SELECT MAX(id) FROM \"{table.name}\"), 0) + 1, false)"))
    return counts


def _key(passphrase: str, salt: bytes) -> bytes:
    return Scrypt(salt=salt, length=32, n=2**15, r=8, p=1).derive(passphrase.encode("utf-8"))


def encrypt(plain: bytes, passphrase: str) -> bytes:
    if not passphrase:
        raise ExportError("An export needs a passphrase: it holds password hashes and the audit trail.")
    salt, nonce = os.urandom(16), os.urandom(12)
    return MAGIC + salt + nonce + AESGCM(_key(passphrase, salt)).encrypt(nonce, plain, MAGIC)


def decrypt(sealed: bytes, passphrase: str) -> bytes:
    if not sealed.startswith(MAGIC):
        raise ExportError("This file is not an encrypted export of this tool.")
    body = sealed[len(MAGIC):]
    salt, nonce, ciphertext = body[:16], body[16:28], body[28:]
    try:
        return AESGCM(_key(passphrase, salt)).decrypt(nonce, ciphertext, MAGIC)
    except InvalidTag as exc:
        raise ExportError("The passphrase is wrong, or the file was changed or damaged.") from exc


def write_export(engine: Engine, path: Path, *, passphrase: str) -> None:
    plain = gzip.compress(json.dumps(export_data(engine), ensure_ascii=False).encode("utf-8"))
    write_private(path, encrypt(plain, passphrase))  # whole or not at all, readable by its owner only


def read_export(path: Path, *, passphrase: str) -> dict[str, Any]:
    return json.loads(gzip.decompress(decrypt(path.read_bytes(), passphrase)).decode("utf-8"))


def _sqlite_backup(database: str, target: Path) -> None:
    source = sqlite3.connect(database)
    destination = sqlite3.connect(target)
    with destination:
        source.backup(destination)
    source.close()
    destination.close()


def sqlite_online_copy(database_url: str, target: Path) -> None:
    database = make_url(database_url).database
    if not database or make_url(database_url).get_backend_name() != "sqlite":
        raise ValueError("sqlite-copy works on a SQLite database; use pg_dump for PostgreSQL.")
    _sqlite_backup(database, target)
