"""Alembic environment. The engine comes from the caller (``core.db.migrate_to_head``) or, on the command
line, from ``CPCM_DATABASE_URL`` / the default SQLite file."""

from __future__ import annotations

from alembic import context

import app.registry  # noqa: F401  (imports every model so autogenerate sees all tables)
from core.config import get_settings
from core.db import make_engine
from core.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    engine = config.attributes.get("engine") or make_engine(get_settings().database_url)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite changes a table by copying it (batch mode): with foreign keys enforced, dropping the old copy of
            # a table that other rows point at fails. Enforcement is switched off for the migration (it only takes
            # effect outside a transaction) and every reference is checked before the work is committed.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=sqlite,
                          compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"migration left rows pointing at nothing: {broken[:5]}")
        connection.commit()
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")


run_migrations()
