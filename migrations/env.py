"""Alembic environment. The engine comes from the caller (``core.db.migrate_to_head``) or, on the command
line, from ``CPCM_DATABASE_URL`` / the default SQLite file."""

from __future__ import annotations

from alembic import context

import core.registry  # noqa: F401  (imports every model so autogenerate sees all tables)
from core.config import get_settings
from core.db import make_engine
from core.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    engine = config.attributes.get("engine") or make_engine(get_settings().database_url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations()
