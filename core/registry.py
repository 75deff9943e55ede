"""Imports every package's ORM models so that the metadata (and Alembic) knows all tables."""

import core.accounts.models
import core.audit  # noqa: F401
import qaf.models  # noqa: F401
import supervision.models  # noqa: F401
