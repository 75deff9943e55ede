"""What the signed-in person owns: late first, then what is due this week, then the rest."""

from __future__ import annotations

import streamlit as st

from core.i18n import t
from core.ui import page_for, unit_of_work
from management.services.tracker import my_actions
from management.ui import WORKERS
from management.ui.common import actions_table

actor = page_for(*WORKERS)
st.title(t("my_actions.title"))
st.caption(t("my_actions.intro"))
if actor.staff_member_id is None:
    st.info(t("my_actions.no_staff"))
with unit_of_work() as session:
    groups = my_actions(session, actor=actor)
m1, m2, m3 = st.columns(3)
for column, name in zip((m1, m2, m3), ("late", "this_week", "later"), strict=True):
    column.metric(t(f"my_actions.{name}"), len(groups[name]), border=True)
for name in ("late", "this_week", "later"):
    st.subheader(t(f"my_actions.{name}"))
    actions_table(groups[name], key=f"my_{name}")
st.page_link("management/ui/tracker.py", label=t("my_actions.all"), icon=":material/task_alt:")
