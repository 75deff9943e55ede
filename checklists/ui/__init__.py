"""The case file review pages: case files, the monthly reviews (sample, review, acknowledge), trends and the
review settings."""

from __future__ import annotations

from core.actor import Actor, Role
from core.ui.navigation import PageEntry

SECTION = "nav.section.reviews"


def pages(actor: Actor) -> list[PageEntry]:
    entries = []
    if actor.has(Role.SUPERVISOR, Role.MANAGER, Role.CASEWORKER):
        entries += [
            PageEntry(SECTION, "checklists/ui/reviews.py", "nav.reviews", ":material/fact_check:",
                      landing=5 if actor.has(Role.SUPERVISOR, Role.CASEWORKER) else None),
            PageEntry(SECTION, "checklists/ui/review.py", "nav.review", ":material/rate_review:"),
            PageEntry(SECTION, "checklists/ui/case_files.py", "nav.case_files", ":material/folder_open:"),
        ]
    if actor.has(Role.SUPERVISOR, Role.MANAGER):
        entries.append(PageEntry(SECTION, "checklists/ui/trends.py", "nav.review_trends", ":material/trending_up:"))
    if actor.has(Role.MANAGER):
        entries.append(PageEntry(SECTION, "checklists/ui/settings.py", "nav.review_settings", ":material/tune:"))
    return entries
