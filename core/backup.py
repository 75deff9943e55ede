"""Backup and restore.

``python -m core.backup export FILE``  writes every table to one gzipped JSON file (our own export format: the
schema revision, then each table's rows in dependency order). It works the same on SQLite and PostgreSQL and is
how data moves from a laptop to a server.
``python -m core.backup restore FILE`` loads such a file into an empty database migrated to the same revision.
``python -m core.backup sqlite-copy FILE`` takes an online copy of the SQLite database file (safe while the app
runs; SQLite's own backup API).

For PostgreSQL servers, also run ``pg_dump`` as usual (see the README); the export format is what the tests prove
round-trips without loss on both databases.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import sqlite3
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Date, DateTime, Engine, LargeBinary, func, insert, select, text
from sqlalchemy.engine import make_url

import core.registry  # noqa: F401  (all tables known)
from core.models import Base

FORMAT = "cpcm-quality-export/1"


def _current_revision(engine: Engine) -> str:
    with engine.connect() as connection:
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()


def _encode(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def export_data(engine: Engine) -> dict[str, Any]:
    tables: dict[str, list[dict[str, Any]]] = {}
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            order = [c for c in table.primary_key.columns] or list(table.columns)
            rows = connection.execute(select(table).order_by(*order)).mappings().all()
            tables[table.name] = [{k: _encode(v) for k, v in row.items()} for row in rows]
    return {"format": FORMAT, "revision": _current_revision(engine), "tables": tables}


def _decode(table_name: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    table = Base.metadata.tables[table_name]
    decoded = []
    for row in rows:
        item = {}
        for key, value in row.items():
            column = table.columns[key]
            if value is not None and isinstance(column.type, DateTime):
                value = datetime.fromisoformat(value)
            elif value is not None and isinstance(column.type, Date):
                value = date.fromisoformat(value)
            elif value is not None and isinstance(column.type, LargeBinary):
                value = base64.b64decode(value)
            item[key] = value
        decoded.append(item)
    return decoded


def restore_data(engine: Engine, data: dict[str, Any]) -> dict[str, int]:
    """Load an export into an empty database at the same schema revision, in one transaction."""
    if data.get("format") != FORMAT:
        raise ValueError("This file is not an export of this tool.")
    if data["revision"] != _current_revision(engine):
        raise ValueError(f"The export is at schema revision {data['revision']}, the database at "
                         f"{_current_revision(engine)}: migrate both to the same revision first.")
    counts: dict[str, int] = {}
    with engine.begin() as connection:
        for table in Base.metadata.sorted_tables:
            if connection.execute(select(func.count()).select_from(table)).scalar_one():
                raise ValueError(f"The database is not empty (table {table.name}); restore only into an empty one.")
        for table in Base.metadata.sorted_tables:
            rows = _decode(table.name, data["tables"].get(table.name, []))
            if rows:
                connection.execute(insert(table), rows)
            counts[table.name] = len(rows)
        if connection.dialect.name == "postgresql":
            for table in Base.metadata.sorted_tables:
                if "id" in table.columns:
                    connection.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"COALESCE((SELECT MAX(id) FROM \"{table.name}\"), 0) + 1, false)"))
    return counts


def write_export(engine: Engine, path: Path) -> None:
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        json.dump(export_data(engine), handle, ensure_ascii=False)


def read_export(path: Path) -> dict[str, Any]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return json.load(handle)


def sqlite_online_copy(database_url: str, target: Path) -> None:
    database = make_url(database_url).database
    if not database or make_url(database_url).get_backend_name() != "sqlite":
        raise ValueError("sqlite-copy works on a SQLite database; use pg_dump for PostgreSQL.")
    source = sqlite3.connect(database)
    destination = sqlite3.connect(target)
    with destination:
        source.backup(destination)
    source.close()
    destination.close()


def main(argv: list[str] | None = None) -> int:
    from core.config import get_settings
    from core.db import make_engine, migrate_to_head

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["export", "restore", "sqlite-copy"])
    parser.add_argument("file", type=Path)
    args = parser.parse_args(argv)
    url = get_settings().database_url
    engine = make_engine(url)
    if args.command == "export":
        write_export(engine, args.file)
        print(f"Exported {url and make_url(url).render_as_string()} to {args.file}")
    elif args.command == "restore":
        migrate_to_head(engine)
        counts = restore_data(engine, read_export(args.file))
        print(f"Restored {sum(counts.values())} rows into {make_url(url).render_as_string()}")
    else:
        sqlite_online_copy(url, args.file)
        print(f"Copied the SQLite database to {args.file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
