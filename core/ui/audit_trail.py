"""The audit trail: who changed what, when. Read-only; filter and export to CSV (the export is audited too)."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from core.audit import AuditFilter, audit_csv, list_audit, record_event
from core.db import session_scope
from core.i18n import t
from core.ui import current_actor, engine, unit_of_work

actor = current_actor()
st.title(t("audit.title"))
st.caption(t("audit.intro"))
left, mid, right = st.columns(3)
who = left.text_input(t("audit.filter.actor"))
action = mid.selectbox(t("audit.filter.action"), ["", "create", "update", "delete", "finalise", "import", "export",
                                                  "login", "login_failed", "account_locked"],
                       format_func=lambda a: a or t("audit.filter.any"))
entity = right.text_input(t("audit.filter.entity"))
since = left.date_input(t("audit.filter.since"), value=date.today() - timedelta(days=30), format="YYYY-MM-DD")
until = mid.date_input(t("audit.filter.until"), value=date.today(), format="YYYY-MM-DD")
filters = AuditFilter(actor_name=who.strip(), action=action, entity_type=entity.strip(),
                      since=since if isinstance(since, date) else None,
                      until=until if isinstance(until, date) else None)
with unit_of_work() as session:
    entries = list_audit(session, actor=actor, filters=filters)
st.caption(t("audit.count", count=len(entries)))
st.dataframe(pd.DataFrame([{
    t("audit.col.when"): e.occurred_at, t("audit.col.who"): e.actor_name, t("audit.col.action"): e.action,
    t("audit.col.entity"): f"{e.entity_type} {e.entity_id}".strip(), t("audit.col.summary"): e.summary,
    t("audit.col.changes"): "; ".join(f"{k}: {v}" for k, v in e.changes.items())[:300],
} for e in entries]), hide_index=True, width="stretch")
db = engine()


def _export() -> bytes:
    with session_scope(db, actor=actor) as session:
        rows = list_audit(session, actor=actor, filters=filters)
        record_event(session, action="export", entity_type="AuditRecord", summary=f"{len(rows)} records")
        return audit_csv(rows)


st.download_button(t("audit.export"), data=_export, file_name=f"audit-trail-{date.today().isoformat()}.csv",
                   mime="text/csv", icon=":material/download:")
