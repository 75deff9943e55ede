"""The audit trail: who changed what, when. Read-only; filter and export to CSV (the export is audited too)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pandas as pd
import streamlit as st

from core.audit import AuditFilter, count_audit, export_audit, list_audit, readable_changes, verify_chain
from core.i18n import format_datetime, format_number, t, tn
from core.ui import current_actor, deferred_download, unit_of_work
from core.ui.paging import PAGE_SIZE, page_start, pager

ACTIONS = ["create", "update", "delete", "finalise", "archive", "complete", "acknowledge", "import", "export",
           "generate_calendar", "move_session", "cancel_session", "hold_session", "miss_session", "login",
           "login_sso",
           "login_failed", "login_refused_locked", "login_throttled", "account_locked", "unlock", "access_refused",
           "sync_enrol", "sync_revoke", "sync_export", "sync_import", "sync_resolve"]
actor = current_actor()
st.title(t("audit.title"))
st.caption(t("audit.intro"))
left, mid, right = st.columns(3)
who = left.text_input(t("audit.filter.actor"))
action = mid.selectbox(t("audit.filter.action"), ["", *ACTIONS],
                       format_func=lambda a: t(f"audit.action.{a}") if a else t("audit.filter.any"))
entity = right.text_input(t("audit.filter.entity"))
since = left.date_input(t("audit.filter.since"), value=date.today() - timedelta(days=30), format="YYYY-MM-DD")
until = mid.date_input(t("audit.filter.until"), value=date.today(), format="YYYY-MM-DD")
filters = AuditFilter(actor_name=who.strip(), action=action, entity_type=entity.strip(),
                      since=since if isinstance(since, date) else None,
                      until=until if isinstance(until, date) else None)
start = page_start("audit", filters)
with unit_of_work() as session:
    total = count_audit(session, actor=actor, filters=filters)
    entries = list_audit(session, actor=actor, filters=replace(filters, offset=start, limit=PAGE_SIZE))
st.caption(tn("audit.count", total))
st.dataframe(pd.DataFrame([{
    t("audit.col.when"): format_datetime(e.occurred_at), t("audit.col.who"): e.actor_name,
    t("audit.col.action"): t(f"audit.action.{e.action}") if e.action in ACTIONS else e.action,
    t("audit.col.entity"): f"{e.entity_type} {e.entity_id}".strip(), t("audit.col.summary"): e.summary,
    t("audit.col.changes"): readable_changes(e),
} for e in entries]), hide_index=True, width="stretch", column_config={
    t("audit.col.changes"): st.column_config.TextColumn(width="large")})
pager("audit", total)
deferred_download(st, t("audit.export"), build=lambda session, person: export_audit(
    session, actor=person, filters=filters), file_name=f"audit-trail-{date.today().isoformat()}.csv",
    mime="text/csv", icon=":material/download:")

if actor.is_admin:
    st.divider()
    st.subheader(t("audit.verify_heading"))
    st.caption(t("audit.verify_help"))
    if st.button(t("audit.verify_button"), icon=":material/verified:"):
        with st.spinner(t("audit.verifying")), unit_of_work() as session:
            check = verify_chain(session)
        if check.ok:
            st.success(t("audit.verify_ok", count=format_number(check.checked)))
        else:
            st.error(t("audit.verify_broken", record=check.first_broken_id, count=format_number(check.checked),
                       problem=t(f"audit.problem.{check.problem}")))
