"""Every improvement action the person may see, whatever produced it: filters, sorting, several statuses changed
at once in the table, comments and history, and the filtered list as Excel or CSV."""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from core.i18n import format_datetime, t, tn
from core.ui import NOT_SAVED, current_actor, deferred_download, field_error, page_for, submit, unit_of_work
from core.ui.paging import PAGE_SIZE, page_start, pager
from improvement_actions import services as actions
from improvement_actions.rules import STATUSES
from management.reports import export_tracker
from management.services.tracker import (
    SORTS,
    StatusChange,
    TrackerFilters,
    change_statuses,
    filter_choices,
    tracked_actions,
)
from management.ui import WORKERS
from management.ui.common import due_text, source_link

ERRORS = "tracker_errors"
REVISION = "tracker_revision"  # bumped after every save, so the editor never keeps edits on another row
CHOICES = "tracker_filter_choices"  # (when read, for whom, the filters' choices: agencies, teams, items)
CHOICES_SECONDS = 60



def _save(changes: list[StatusChange], seen_key: str, current: dict[str, int]) -> None:
    """Save the table's changes before the page is drawn again (one script run per click, not two)."""
    outcome = submit(lambda session: change_statuses(session, actor=current_actor(), changes=changes),
                     errors_key=ERRORS, general_field="general", success=tn("tracker.saved", len(changes)))
    if outcome is not NOT_SAVED:
        st.session_state[REVISION] += 1  # the filters' choices stand: a status or a note changes none of them
    else:  # each refused row was named (who changed it, or what is missing): the next Save goes over it
        seen = st.session_state.setdefault(seen_key, {})
        seen.update({int(i): current[i] for i in st.session_state[ERRORS] if i in current})


actor = page_for(*WORKERS)
st.session_state.setdefault(ERRORS, {})
st.session_state.setdefault(REVISION, 0)
errors: dict[str, str] = st.session_state[ERRORS]
st.title(t("tracker.title"))
st.caption(t("tracker.intro"))

kept = st.session_state.get(CHOICES)
if kept is None or time.monotonic() - kept[0] > CHOICES_SECONDS or kept[1] != actor.account_id:
    with unit_of_work() as session:  # distinct values over every action: read once a minute, not at every click
        kept = (time.monotonic(), actor.account_id, filter_choices(session, actor=actor))
    st.session_state[CHOICES] = kept
choices = kept[2]
status_label = {s: t(f"improvement_action.status.{s}") for s in STATUSES}
with st.expander(t("tracker.filters"), expanded=True, icon=":material/filter_list:"):
    a, b, c = st.columns(3)
    statuses = a.multiselect(t("tracker.col.status"), STATUSES, format_func=status_label.get, key="tf_status",
                             placeholder=t("tracker.any"))
    owner = b.text_input(t("tracker.col.owner"), key="tf_owner", max_chars=100, placeholder=t("tracker.owner_hint"))
    sources = c.multiselect(t("tracker.col.source"), choices.sources, key="tf_source",
                            format_func=lambda s: t(f"tracker.source.{s}"), placeholder=t("tracker.any"))
    agencies = dict(choices.agencies)
    teams = dict(choices.teams)
    agency_id = a.selectbox(t("tracker.col.agency"), [None, *agencies], key="tf_agency",
                            format_func=lambda i: agencies.get(i, t("tracker.any")))
    team_id = b.selectbox(t("tracker.col.team"), [None, *teams], key="tf_team",
                          format_func=lambda i: teams.get(i, t("tracker.any")))
    component = c.selectbox(t("tracker.col.item"), ["", *choices.items], key="tf_item",
                            format_func=lambda i: i or t("tracker.any"), help=t("tracker.item_help"))
    d, e, f, g = st.columns(4)
    overdue = d.checkbox(t("tracker.overdue_only"), key="tf_overdue")
    due_soon = e.checkbox(t("tracker.due_soon_only"), key="tf_soon")
    mine = f.checkbox(t("tracker.mine_only"), key="tf_mine")
    sort = g.selectbox(t("tracker.sort"), SORTS, key="tf_sort", format_func=lambda s: t(f"tracker.sort_by.{s}"))
filters = TrackerFilters(statuses=tuple(statuses), owner=owner, agency_id=agency_id, team_id=team_id,
                         sources=tuple(sources), component=component, overdue=overdue, due_soon=due_soon, mine=mine,
                         sort=sort)
start = page_start("tracker", filters)
with unit_of_work() as session:
    tracker = tracked_actions(session, actor=actor, filters=filters, limit=PAGE_SIZE, offset=start)
found = tracker.actions

m1, m2, m3, m4 = st.columns(4)
m1.metric(t("tracker.count.open"), tracker.counts["open"], border=True)
m2.metric(t("tracker.count.overdue"), tracker.counts["overdue"], border=True)
m3.metric(t("tracker.count.due_soon"), tracker.counts["due_soon"], border=True)
m4.metric(t("tracker.count.done"), tracker.counts["done"], border=True)

if not found:
    st.info(t("tracker.none"))
else:
    shown = found
    st.caption(t("tracker.edit_help"))
    priority_label = {x.priority: t(f"improvement_action.priority.{x.priority}") for x in shown}
    source_label = {x.source_kind: t(f"tracker.source.{x.source_kind}") for x in shown}
    frame = pd.DataFrame([{
        "id": x.id, "due": due_text(x), "status": status_label[x.status], "note": "", "action": x.text,
        "owner": x.owner, "priority": priority_label[x.priority], "team": x.team,
        "agency": x.agency, "source": f"{source_label[x.source_kind]} · {x.source_label}",
        "item": f"{x.item} {x.item_label}".strip(), "link": source_link(x),
        "updated": f"{format_datetime(x.updated_at)} · {x.updated_by}" if x.updated_at else ""} for x in shown])
    key = f"tracker_editor_{st.session_state[REVISION]}_{abs(hash(filters))}_{start}"
    st.data_editor(frame, key=key, hide_index=True, width="stretch", num_rows="fixed",
                   disabled=[c for c in frame.columns if c not in ("status", "note")], column_config={
        "id": st.column_config.NumberColumn("#", width="small"),
        "due": st.column_config.TextColumn(t("tracker.col.due_on")),
        "status": st.column_config.SelectboxColumn(t("tracker.col.status"), options=list(status_label.values()),
                                                   required=True),
        "note": st.column_config.TextColumn(t("tracker.col.note"), max_chars=2000, help=t("tracker.note_help")),
        "action": st.column_config.TextColumn(t("tracker.col.action"), width="large"),
        "owner": st.column_config.TextColumn(t("tracker.col.owner")),
        "priority": st.column_config.TextColumn(t("tracker.col.priority")),
        "team": st.column_config.TextColumn(t("tracker.col.team")),
        "agency": st.column_config.TextColumn(t("tracker.col.agency")),
        "source": st.column_config.TextColumn(t("tracker.col.source")),
        "item": st.column_config.TextColumn(t("tracker.col.item")),
        "link": st.column_config.LinkColumn(t("tracker.col.link"), display_text=t("tracker.open_source")),
        "updated": st.column_config.TextColumn(t("tracker.col.updated"))})
    pager("tracker", tracker.counts["total"])
    # The versions the person saw when this table was drawn: a row someone else changed since is refused with
    # who and when, never overwritten unseen (the versions read in the run of the click would let it through).
    seen: dict[int, int] = st.session_state.setdefault(f"{key}:versions", {x.id: x.version_id for x in shown})
    edited: dict[int, dict[str, object]] = st.session_state.get(key, {}).get("edited_rows", {})
    by_label = {v: k for k, v in status_label.items()}
    changes = []
    for position, values in edited.items():
        row = shown[int(position)]
        status = by_label.get(str(values.get("status", status_label[row.status])), row.status)
        note = str(values.get("note") or "")
        if status != row.status or note.strip():
            changes.append(StatusChange(row.id, status, note, seen.get(row.id, row.version_id)))
    st.button(tn("tracker.save", len(changes)), type="primary", disabled=not changes, icon=":material/save:",
              on_click=_save, args=(changes, f"{key}:versions", {str(x.id): x.version_id for x in shown}))
    if errors:
        st.error(t("tracker.not_saved"), icon=":material/error:")
        for action_id, message in errors.items():
            if action_id == "general":
                continue
            text = next((x.text for x in shown if str(x.id) == action_id), "")
            st.error(t("tracker.row_problem", id=action_id, text=text[:80], message=message))
        field_error(errors, "general")

    x1, x2 = st.columns(2)
    deferred_download(x1, t("tracker.export_xlsx"), key="tracker_xlsx",
                      build=lambda s, who: export_tracker(s, actor=who, filters=filters, fmt="xlsx"),
                      file_name="improvement-actions.xlsx", icon=":material/table:",
                      mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    deferred_download(x2, t("tracker.export_csv"), key="tracker_csv",
                      build=lambda s, who: export_tracker(s, actor=who, filters=filters, fmt="csv"),
                      file_name="improvement-actions.csv", icon=":material/csv:", mime="text/csv")

    st.subheader(t("tracker.history_heading"))
    labels = {x.id: f"#{x.id} · {x.text[:80]}" for x in shown}
    # The history is read when someone asks for it, not at every click on the table.
    chosen = st.selectbox(t("tracker.choose_action"), list(labels), format_func=labels.get, key="tracker_chosen",
                          index=None, placeholder=t("tracker.choose_action_hint"))
    if chosen is not None:
        with unit_of_work() as session:
            history = actions.progress_history(session, actor=actor, action_id=chosen)
            detail = actions.get_action(session, actor=actor, action_id=chosen)
        if detail.completed_at:
            st.success(t("tracker.completed", who=detail.completed_by, when=format_datetime(detail.completed_at)),
                       icon=":material/task_alt:")
        st.dataframe(pd.DataFrame([{
            t("tracker.col.when"): format_datetime(h.recorded_at), t("tracker.col.who"): h.author_name,
            t("tracker.col.kind"): t(f"tracker.kind.{h.kind}"),
            t("tracker.col.status"): status_label.get(h.status, h.status), t("tracker.col.note"): h.note}
            for h in history]), hide_index=True, width="stretch",
            key=f"tracker_history_{chosen}")
        comment_errors: dict[str, str] = st.session_state.setdefault("tracker_comment_errors", {})
        with st.form(f"tracker_comment_{chosen}_{st.session_state[REVISION]}"):
            text = st.text_area(t("tracker.comment"), max_chars=2000, help=t("tracker.comment_help"))
            field_error(comment_errors, "comment")
            field_error(comment_errors, "general")
            if st.form_submit_button(t("tracker.add_comment"), icon=":material/add_comment:"):
                outcome = submit(lambda session: actions.add_comment(session, actor=actor, action_id=chosen,
                                                                     text=text),
                                 errors_key="tracker_comment_errors", general_field="general",
                                 success=t("tracker.comment_added"))
                if outcome is not NOT_SAVED:
                    st.session_state[REVISION] += 1
                st.rerun()
