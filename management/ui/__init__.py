"""The management pages: the action tracker and My actions for everyone; progress over time, the dashboards and
the monthly report for managers and task force members."""

from __future__ import annotations

from core.actor import Actor, Role
from core.ui.navigation import PageEntry

SECTION = "nav.section.progress"
WORKERS = (Role.MANAGER, Role.SUPERVISOR, Role.CASEWORKER, Role.FACILITATOR)  # everyone but an administrator


def pages(actor: Actor) -> list[PageEntry]:
    if not actor.has(*WORKERS):
        return []
    entries = [PageEntry(SECTION, "management/ui/my_actions.py", "nav.my_actions", ":material/assignment_ind:"),
               PageEntry(SECTION, "management/ui/tracker.py", "nav.tracker", ":material/task_alt:")]
    if actor.has(Role.MANAGER, Role.SUPERVISOR, Role.FACILITATOR):
        entries += [PageEntry(SECTION, "management/ui/dashboard.py", "nav.dashboard", ":material/dashboard:"),
                    PageEntry(SECTION, "management/ui/progress.py", "nav.progress", ":material/timeline:")]
    if actor.has(Role.MANAGER, Role.SUPERVISOR):
        entries.append(PageEntry(SECTION, "management/ui/monthly_report.py", "nav.monthly_report",
                                 ":material/summarize:"))
    return entries
