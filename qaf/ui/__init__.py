"""The QAF feature's pages (assessments, workshop, summary, action plan, framework versions) and its sidebar
panel (the assessment being worked on, with its progress)."""

from __future__ import annotations

import streamlit as st

from core.actor import Actor, Role
from core.i18n import t
from core.ui.navigation import PageEntry
from qaf.ui.common import current_assessment

SECTION = "nav.section.qaf"
QAF_ROLES = (Role.FACILITATOR, Role.MANAGER, Role.SUPERVISOR, Role.CASEWORKER)


def pages(actor: Actor) -> list[PageEntry]:
    if not actor.has(*QAF_ROLES):
        return []
    return [
        PageEntry(SECTION, "qaf/ui/assessments.py", "nav.assessments", ":material/list:", landing=10),
        PageEntry(SECTION, "qaf/ui/workshop.py", "nav.workshop", ":material/groups:"),
        PageEntry(SECTION, "qaf/ui/summary.py", "nav.summary", ":material/leaderboard:"),
        PageEntry(SECTION, "qaf/ui/action_plan.py", "nav.action_plan", ":material/checklist:"),
        PageEntry(SECTION, "qaf/ui/frameworks.py", "nav.frameworks", ":material/menu_book:"),
    ]


def sidebar(actor: Actor) -> None:
    """The assessment being worked on, with its progress, under the menu."""
    if not actor.has(*QAF_ROLES):
        return
    view = current_assessment()
    if view is None:
        return
    st.divider()
    st.text(view.name)
    st.progress(view.scored_count / max(1, view.component_total),
                text=t("workshop.progress", scored=view.scored_count, total=view.component_total))
    if view.is_final:
        st.caption(t("assessment.status.final"))
