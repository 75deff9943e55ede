"""The application's own pages (the example data) and the menu assembled from every feature."""

from __future__ import annotations

from streamlit.navigation.page import StreamlitPage

import accounts.ui
import accounts.ui.login
import checklists.ui
import management.ui
import qaf.ui
import supervision.ui
import sync.ui
from core.actor import Actor
from core.ui.navigation import PageEntry, assemble


def pages(actor: Actor) -> list[PageEntry]:
    if not actor.is_admin:
        return []
    return [PageEntry(accounts.ui.ADMIN, "app/ui/example_data.py", "nav.example", ":material/auto_awesome:")]


def menu(actor: Actor) -> dict[str, list[StreamlitPage]]:
    """Every feature's pages for this person, in menu order."""
    return assemble([*checklists.ui.pages(actor), *supervision.ui.pages(actor), *qaf.ui.pages(actor),
                      *management.ui.pages(actor), *accounts.ui.pages(actor), *sync.ui.pages(actor),
                     *pages(actor)])


if sync.ui.first_run_import not in accounts.ui.login.FIRST_RUN_EXTRAS:
    accounts.ui.login.FIRST_RUN_EXTRAS.append(sync.ui.first_run_import)


def sidebar(actor: Actor) -> None:
    qaf.ui.sidebar(actor)
