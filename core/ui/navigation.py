"""How features offer their pages. Each feature's ``ui`` package has ``pages(actor)`` returning the entries the
person may see; the entry point only assembles them into one menu. The menu is a convenience: services check
access again, whatever it shows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from core.i18n import t


@dataclass(frozen=True)
class PageEntry:
    section: str  # message key of the menu section
    path: str  # the page script, relative to the project root
    title: str  # message key of the page title
    icon: str
    landing: int | None = None  # the entry with the lowest number is where the person lands; None: never


def assemble(entries: Iterable[PageEntry]) -> dict[str, list[StreamlitPage]]:
    """The menu: sections in the order features offered them, the landing page marked as the default."""
    entries = list(entries)
    landing = min((e for e in entries if e.landing is not None), key=lambda e: e.landing or 0, default=None)
    menu: dict[str, list[StreamlitPage]] = {}
    for entry in entries:
        menu.setdefault(t(entry.section), []).append(
            st.Page(entry.path, title=t(entry.title), icon=entry.icon, default=entry is landing))
    return menu
