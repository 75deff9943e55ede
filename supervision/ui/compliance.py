"""Held vs planned over a period, the minimum supervision standards as traffic lights, and the team's staffing
ratios, each with the rule it applies and the figures behind it. Caseloads counted by hand are entered here for
teams whose case files are kept elsewhere."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st
from dateutil.relativedelta import relativedelta

from core.actor import Role
from core.i18n import format_number, t
from core.ui import field_error, page_for, unit_of_work
from supervision.services import compliance
from supervision.services.access import may_run_team
from supervision.services.generation import team_people
from supervision.ui.common import activity_text, light_text, save, team_choice

ERRORS = "compliance_errors"

actor = page_for(Role.SUPERVISOR, Role.MANAGER)
st.session_state.setdefault(ERRORS, {})
errors: dict[str, str] = st.session_state[ERRORS]
st.title(t("compliance.title"))
team_id = team_choice(actor, "compliance_team")
if team_id is None:
    st.stop()
today = date.today()
with unit_of_work() as session:
    if not may_run_team(session, actor, team_id):
        st.info(t("plan.not_yours"))
        st.stop()
    checks = compliance.standards(session, actor=actor, team_id=team_id)
    ratios = compliance.ratios(session, actor=actor, team_id=team_id)
    _supervisor, caseworkers = team_people(session, team_id, today, today)


def check_table(found: list[compliance.Check], key: str) -> None:
    st.dataframe(pd.DataFrame([{
        t("compliance.col.subject"): c.subject, t("compliance.col.rule"): c.rule,
        t("compliance.col.status"): light_text(c.light), t("compliance.col.figures"): c.figure} for c in found]),
        hide_index=True, width="stretch", key=key, column_config={
            t("compliance.col.figures"): st.column_config.TextColumn(width="large"),
            t("compliance.col.rule"): st.column_config.TextColumn(width="medium")})


st.subheader(t("compliance.standards_heading"))
st.caption(t("compliance.standards_help"))
if checks:
    check_table(checks, "standards")
else:
    st.info(t("compliance.no_caseworkers"))

st.subheader(t("compliance.ratios_heading"))
st.caption(t("compliance.ratios_help"))
check_table(ratios, "ratios")

st.subheader(t("compliance.held_heading"))
a, b = st.columns(2)
first = a.date_input(t("plan.from"), value=(today - relativedelta(months=3)).replace(day=1), format="YYYY-MM-DD",
                     key="held_from")
last = b.date_input(t("plan.to"), value=today, format="YYYY-MM-DD", key="held_to")
if first and last and first <= last:
    with unit_of_work() as session:
        held = compliance.held_vs_planned(session, actor=actor, team_id=team_id, first=first, last=last)
    st.caption(t("compliance.held_help"))
    if held:
        st.dataframe(pd.DataFrame([{
            t("compliance.col.supervisor"): h.supervisor, t("compliance.col.person"): h.person,
            t("compliance.col.activity"): activity_text(h.activity), t("compliance.col.planned"): h.planned,
            t("compliance.col.held"): h.held, t("compliance.col.missed"): h.missed,
            t("compliance.col.cancelled"): h.cancelled, t("compliance.col.not_recorded"): h.not_recorded,
            t("compliance.col.rate"): f"{format_number(round(h.rate))} %" if h.rate is not None else "—"}
            for h in held]), hide_index=True, width="stretch")
    else:
        st.info(t("compliance.no_sessions"))
else:
    st.error(t("generate.error.order"))

if caseworkers:
    with st.expander(t("compliance.manual_heading"), icon=":material/edit_note:"), st.form("manual_caseload"):
        st.caption(t("compliance.manual_help"))
        names = {p.id: p.name for p in caseworkers}
        a, b, c, d = st.columns(4)
        who = a.selectbox(t("compliance.col.person"), list(names), format_func=names.get)
        open_cases = b.number_input(t("compliance.open_cases"), 0, 1000, 0)
        field_error(errors, "open_cases")
        high = c.number_input(t("compliance.high_risk_cases"), 0, 1000, 0)
        field_error(errors, "high_risk_cases")
        counted_on = d.date_input(t("compliance.counted_on"), value=today, max_value=today, format="YYYY-MM-DD")
        field_error(errors, "counted_on")
        if st.form_submit_button(t("compliance.record"), icon=":material/save:"):
            save(lambda s: compliance.add_manual_caseload(s, actor=actor, team_id=team_id, staff_member_id=who,
                                                          open_cases=int(open_cases), high_risk_cases=int(high),
                                                          counted_on=counted_on),
                 errors_key=ERRORS, success=t("compliance.recorded"))
            st.rerun()
        field_error(errors, "general")
