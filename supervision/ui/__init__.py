"""The supervision pages: the calendar (month grid and agenda, sessions held, missed, moved; exports), the team's
plan and generation, held vs planned with the minimum standards and ratios, and the agency's working calendar."""

from __future__ import annotations

from core.actor import Actor, Role
from core.ui.navigation import PageEntry

SECTION = "nav.section.supervision"


def pages(actor: Actor) -> list[PageEntry]:
    entries = []
    if actor.has(Role.SUPERVISOR, Role.MANAGER, Role.CASEWORKER):
        entries.append(PageEntry(SECTION, "supervision/ui/calendar.py", "nav.supervision_calendar",
                                 ":material/calendar_month:"))
    if actor.has(Role.SUPERVISOR, Role.MANAGER):
        entries += [
            PageEntry(SECTION, "supervision/ui/plan.py", "nav.supervision_plan", ":material/event_repeat:"),
            PageEntry(SECTION, "supervision/ui/compliance.py", "nav.supervision_compliance",
                      ":material/monitoring:"),
        ]
    if actor.has(Role.MANAGER):
        entries.append(PageEntry(SECTION, "supervision/ui/working_calendar.py", "nav.working_calendar",
                                 ":material/event_busy:"))
    return entries
