"""Entry point: ``streamlit run streamlit_app.py``. Behind the login gate, routes with ``st.navigation`` to the
pages the signed-in person's roles may use (services check access again, whatever the menu shows)."""

from __future__ import annotations

import streamlit as st

from core.accounts.roles import Role
from core.i18n import is_rtl, t
from core.ui import engine
from core.ui.login import gate, sign_out

st.set_page_config(page_title=t("app.title"), page_icon=":material/child_care:", layout="wide")
if is_rtl():
    st.markdown("<style>.stMain, .stSidebar {direction: rtl; text-align: right;}</style>", unsafe_allow_html=True)

engine()
actor = gate()

from qaf.ui.common import current_assessment  # noqa: E402  (needs the signed-in person)

pages: dict[str, list] = {}
has_qaf = actor.has(Role.FACILITATOR, Role.MANAGER, Role.SUPERVISOR, Role.CASEWORKER)
if has_qaf:
    pages[t("nav.section.qaf")] = [
        st.Page("qaf/ui/assessments.py", title=t("nav.assessments"), icon=":material/list:", default=True),
        st.Page("qaf/ui/workshop.py", title=t("nav.workshop"), icon=":material/groups:"),
        st.Page("qaf/ui/summary.py", title=t("nav.summary"), icon=":material/leaderboard:"),
        st.Page("qaf/ui/action_plan.py", title=t("nav.action_plan"), icon=":material/checklist:"),
        st.Page("qaf/ui/frameworks.py", title=t("nav.frameworks"), icon=":material/menu_book:"),
    ]
people_pages = [st.Page("supervision/ui/staff.py", title=t("nav.staff"), icon=":material/badge:",
                        default=not has_qaf and not actor.is_admin)]
if actor.has(Role.ADMINISTRATOR, Role.MANAGER, Role.SUPERVISOR):
    people_pages.append(st.Page("supervision/ui/teams.py", title=t("nav.teams"), icon=":material/diversity_3:"))
pages[t("nav.section.people")] = people_pages
admin_pages = []
if actor.is_admin:
    admin_pages.append(st.Page("core/ui/accounts_admin.py", title=t("nav.accounts"),
                               icon=":material/manage_accounts:", default=not has_qaf))
if actor.has(Role.ADMINISTRATOR, Role.MANAGER):
    admin_pages.append(st.Page("core/ui/audit_trail.py", title=t("nav.audit"), icon=":material/history:"))
admin_pages.append(st.Page("core/ui/my_account.py", title=t("nav.my_account"), icon=":material/person:"))
pages[t("nav.section.admin")] = admin_pages
navigation = st.navigation(pages)

with st.sidebar:
    st.caption(t("app.title"))
    st.markdown(f"**{actor.name}**")
    if st.button(t("login.logout"), icon=":material/logout:"):
        sign_out(t("login.logged_out"))
        st.rerun()
    view = current_assessment() if t("nav.section.qaf") in pages else None
    if view is not None:
        st.divider()
        st.markdown(f"**{view.name}**")
        st.progress(view.scored_count / max(1, view.component_total),
                    text=t("workshop.progress", scored=view.scored_count, total=view.component_total))
        if view.is_final:
            st.caption(t("assessment.status.final"))

navigation.run()
