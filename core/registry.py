"""Imports every package's ORM models so that the metadata (and Alembic) knows all tables."""

import qaf.models  # noqa: F401
