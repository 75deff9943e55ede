"""The accounts feature's pages: sign-in gate, staff, teams, accounts and agencies, audit trail, my account."""

from __future__ import annotations

from core.actor import Actor, Role
from core.ui.navigation import PageEntry

PEOPLE, ADMIN = "nav.section.people", "nav.section.admin"


def pages(actor: Actor) -> list[PageEntry]:
    entries = [PageEntry(PEOPLE, "accounts/ui/staff.py", "nav.staff", ":material/badge:", landing=30)]
    if actor.has(Role.ADMINISTRATOR, Role.MANAGER, Role.SUPERVISOR):
        entries.append(PageEntry(PEOPLE, "accounts/ui/teams.py", "nav.teams", ":material/diversity_3:"))
    if actor.is_admin:
        entries.append(PageEntry(ADMIN, "accounts/ui/accounts_admin.py", "nav.accounts",
                                 ":material/manage_accounts:", landing=20))
    if actor.has(Role.ADMINISTRATOR, Role.MANAGER):
        entries.append(PageEntry(ADMIN, "accounts/ui/audit_trail.py", "nav.audit", ":material/history:"))
    entries.append(PageEntry(ADMIN, "accounts/ui/my_account.py", "nav.my_account", ":material/person:"))
    return entries
