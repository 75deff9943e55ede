"""Sync's pages: exchanges with the server or the laptops, and the conflicts a person decides."""

from __future__ import annotations

from sqlalchemy import select

from core.actor import Actor, Role
from core.ui import engine, once_per_run
from core.ui.navigation import PageEntry
from sync.models import SyncClock

ADMIN = "nav.section.admin"


def replica_role() -> str:
    """What this database is: standalone, server or laptop (read once per page run)."""
    def load() -> str:
        with engine().connect() as connection:
            return connection.execute(select(SyncClock.role).where(SyncClock.id == 1)).scalar() or "standalone"

    return once_per_run("sync_role", load)


def pages(actor: Actor) -> list[PageEntry]:
    entries = []
    if actor.is_admin or replica_role() == "laptop":
        entries.append(PageEntry(ADMIN, "sync/ui/exchanges.py", "nav.sync", ":material/sync_alt:"))
    if actor.has(Role.MANAGER, Role.FACILITATOR) and replica_role() == "server":
        entries.append(PageEntry(ADMIN, "sync/ui/conflicts.py", "nav.conflicts", ":material/call_split:"))
    return entries
