"""Teams: each with its supervisor and members; administrators create teams."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from accounts import staff_services as services
from accounts.services import list_agencies
from core.i18n import t
from core.safe_text import for_markdown
from core.ui import current_actor, field_error, submit, unit_of_work

ERRORS = "team_errors"
actor = current_actor()
errors: dict[str, str] = st.session_state.setdefault(ERRORS, {})
st.title(t("teams.title"))

with unit_of_work() as session:
    teams = services.list_teams(session, actor=actor)
    staff = services.list_staff(session, actor=actor, include_inactive=False)
    agencies = {a.id: a.name for a in list_agencies(session)}

if teams:
    st.dataframe(pd.DataFrame([{
        t("teams.col.name"): tm.name, t("staff.col.agency"): tm.agency_name,
        t("teams.col.supervisor"): tm.supervisor_name or "—", t("teams.col.members"): tm.member_count,
    } for tm in teams]), hide_index=True, width="stretch")
    for team in teams:
        with st.expander(for_markdown(f"{team.name} — {team.agency_name}")):
            members = [s for s in staff if s.team_id == team.id]
            for member in members:
                st.markdown(f"- {for_markdown(member.full_name)} · {t(f'staff.role.{member.programme_role}')}")
            if not members:
                st.caption(t("teams.no_members"))
else:
    st.info(t("teams.empty"))

if actor.is_admin and agencies:
    st.divider()
    with st.form("new_team"):
        st.subheader(t("teams.new"))
        name = st.text_input(t("teams.col.name"), max_chars=200)
        field_error(errors, "name")
        agency_id = st.selectbox(t("staff.col.agency"), list(agencies), format_func=agencies.get)
        if st.form_submit_button(t("teams.create"), type="primary"):
            submit(lambda session: services.create_team(session, actor=actor, name=name, agency_id=agency_id),
                   errors_key=ERRORS, general_field="name", success=t("common.saved"))
            st.rerun()
