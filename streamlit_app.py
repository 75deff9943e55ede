"""Entry point: ``streamlit run streamlit_app.py``. Routes to the pages with ``st.navigation``; the database is
migrated to head the first time a page needs it."""

from __future__ import annotations

import streamlit as st

from core.i18n import is_rtl, t
from core.ui import engine
from qaf.ui.common import current_assessment

st.set_page_config(page_title=t("app.title"), page_icon=":material/child_care:", layout="wide")
if is_rtl():
    st.markdown("<style>.stMain, .stSidebar {direction: rtl; text-align: right;}</style>", unsafe_allow_html=True)

engine()

pages = {
    t("nav.section.qaf"): [
        st.Page("qaf/ui/assessments.py", title=t("nav.assessments"), icon=":material/list:", default=True),
        st.Page("qaf/ui/workshop.py", title=t("nav.workshop"), icon=":material/groups:"),
        st.Page("qaf/ui/summary.py", title=t("nav.summary"), icon=":material/leaderboard:"),
        st.Page("qaf/ui/action_plan.py", title=t("nav.action_plan"), icon=":material/checklist:"),
        st.Page("qaf/ui/frameworks.py", title=t("nav.frameworks"), icon=":material/menu_book:"),
    ],
}
navigation = st.navigation(pages)

with st.sidebar:
    st.caption(t("app.title"))
    view = current_assessment()
    if view is not None:
        st.markdown(f"**{view.name}**")
        st.progress(view.scored_count / max(1, view.component_total),
                    text=t("workshop.progress", scored=view.scored_count, total=view.component_total))
        if view.is_final:
            st.caption(t("assessment.status.final"))

navigation.run()
