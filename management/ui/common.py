"""Pieces the management pages share: the links back to where an action came from, the table of actions."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.i18n import format_date, t
from management.reports import due_state
from management.services.tracker import TrackedAction

# Each source's page, and how its address names the record (the pages read these query parameters).
SOURCE_PAGES = {"qaf_assessment": ("action_plan", "assessment"), "case_file_review": ("review", "review")}


def source_link(action: TrackedAction) -> str | None:
    """A relative address of the page the action came from."""
    if action.source_kind in SOURCE_PAGES:
        page, parameter = SOURCE_PAGES[action.source_kind]
        return f"./{page}?{parameter}={action.source_record_id}"
    if action.source_kind == "supervision_session":  # the team's calendar at the session's month
        if action.session_team_id is None or action.session_day is None:
            return "./calendar"
        return f"./calendar?team={action.session_team_id}&month={action.session_day:%Y-%m}"
    return None


def due_text(action: TrackedAction) -> str:
    """The due date with the word that matters, so lateness never depends on colour."""
    when = format_date(action.due_on) if action.due_on else "—"
    state = due_state(action)
    return f"⚠ {state} · {when}" if action.overdue else (f"{state} · {when}" if state else when)


def actions_table(actions: list[TrackedAction], key: str) -> None:
    """A read-only table of actions (My actions, the comparison's lists)."""
    if not actions:
        st.caption(t("tracker.none"))
        return
    st.dataframe(pd.DataFrame([{
        "due": due_text(a), "action": a.text, "status": t(f"improvement_action.status.{a.status}"),
        "priority": t(f"improvement_action.priority.{a.priority}"), "item": a.item,
        "source": f"{t(f'tracker.source.{a.source_kind}')} · {a.source_label}", "link": source_link(a)}
        for a in actions]), hide_index=True, width="stretch", key=key, column_config={
        "due": st.column_config.TextColumn(t("tracker.col.due_on")),
        "action": st.column_config.TextColumn(t("tracker.col.action"), width="large"),
        "status": st.column_config.TextColumn(t("tracker.col.status")),
        "priority": st.column_config.TextColumn(t("tracker.col.priority")),
        "item": st.column_config.TextColumn(t("tracker.col.item")),
        "source": st.column_config.TextColumn(t("tracker.col.source")),
        "link": st.column_config.LinkColumn(t("tracker.col.link"), display_text=t("tracker.open_source"))})
