"""Imports every package's ORM models so that the metadata (and Alembic, and the backup) knows all tables."""

import accounts.models  # noqa: F401
import checklists.models  # noqa: F401
import core.audit
import core.settings_store  # noqa: F401
import improvement_actions.models  # noqa: F401
import qaf.models  # noqa: F401
import supervision.models  # noqa: F401
import sync.models
import sync.tracking  # noqa: F401  (records every change to a synced table)
