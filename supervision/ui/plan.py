"""A team's supervision plan (activities, how often, how long, when in the day, and the ratio limits) and the
calendar generated from it for a period, with a progress bar. What cannot be placed is listed with the reason,
and the nearest plan that fits is offered."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st
from dateutil.relativedelta import relativedelta

from core.actor import Role
from core.i18n import format_date, format_number, join_messages, t, t_plain
from core.ui import NOT_SAVED, field_error, page_for, submit, unit_of_work
from supervision.frequency import FrequencyError, parse_frequency
from supervision.plan import PlanEntry, TimeOfDay
from supervision.services import generation, plans
from supervision.services.access import may_run_team
from supervision.ui.common import activity_text, save, team_choice

ERRORS = "plan_errors"
OUTCOME = "plan_generation"
FREQUENCIES = ("weekly", "every 2 weeks", "every 3 weeks", "every 4 weeks", "twice a month", "monthly",
               "every 2 months", "every 3 months", "every 4 months", "every 6 months",
               "weekly during the first 2 months after the start date",
               "weekly during the first 3 months after the start date",
               "weekly during the first 6 months after the start date",
               "every 2 weeks during the first 3 months after the start date",
               "from the start date, then every 3 months", "from the start date, then every 4 months",
               "from the start date, then every 6 months")

actor = page_for(Role.SUPERVISOR, Role.MANAGER)
st.session_state.setdefault(ERRORS, {})
errors: dict[str, str] = st.session_state[ERRORS]
st.title(t("plan.title"))
st.caption(t("plan.intro"))
team_id = team_choice(actor, "plan_team")
if team_id is None:
    st.stop()
with unit_of_work() as session:
    if not may_run_team(session, actor, team_id):
        st.info(t("plan.not_yours"))
        st.stop()
    info = plans.team_plan(session, actor=actor, team_id=team_id)
plan = info.plan
if not info.stored:
    st.info(t("plan.defaults"), icon=":material/info:")

st.subheader(t("plan.activities_heading"))
rows = pd.DataFrame([{
    "enabled": e.enabled, "activity": activity_text(e.activity.value), "frequency": e.frequency.text,
    "minutes": e.minutes, "time_of_day": e.time_of_day.value} for e in plan.entries])
options = list(dict.fromkeys([*FREQUENCIES, *(e.frequency.text for e in plan.entries)]))
edited = st.data_editor(rows, hide_index=True, width="stretch", key=f"plan_editor_{team_id}_{info.version_id}",
                        disabled=["activity"], column_config={
                            "enabled": st.column_config.CheckboxColumn(t("plan.col.enabled")),
                            "activity": st.column_config.TextColumn(t("plan.col.activity")),
                            "frequency": st.column_config.SelectboxColumn(t("plan.col.frequency"), options=options,
                                                                          required=True, width="large"),
                            "minutes": st.column_config.NumberColumn(t("plan.col.minutes"), min_value=15,
                                                                     max_value=480, step=15, required=True),
                            "time_of_day": st.column_config.SelectboxColumn(
                                t("plan.col.time_of_day"), options=[x.value for x in TimeOfDay], required=True,
                                format_func=lambda v: t(f"time_of_day.{v}"))})
st.caption(t("plan.frequency_help"))
field_error(errors, "plan")

with st.form(f"ratios_{team_id}"):
    st.markdown(f"**{t('plan.ratios_heading')}**")
    st.caption(t("plan.ratios_help"))
    a, b, c, d, e = st.columns(5)
    r = plan.ratios
    caseload = a.number_input(t("plan.caseload_limit"), 1, 200, r.caseload_limit)
    weight = b.number_input(t("plan.high_risk_weight"), 1.0, 5.0, float(r.high_risk_weight), step=0.5)
    per_supervisor = c.number_input(t("plan.caseworkers_per_supervisor"), 1, 50, r.caseworkers_per_supervisor)
    per_entry = d.number_input(t("plan.cases_per_data_entry"), 1, 1000, r.cases_per_data_entry)
    years = e.number_input(t("plan.experience_years"), 0.0, 20.0, float(r.supervisor_experience_years), step=0.5)
    saved = st.form_submit_button(t("plan.save"), type="primary", icon=":material/save:")
if saved:
    entries, problems = [], []
    for original, (_, row) in zip(plan.entries, edited.iterrows(), strict=True):
        try:
            frequency = parse_frequency(str(row["frequency"]))
        except FrequencyError as exc:
            problems.append(join_messages([f"{activity_text(original.activity.value)}:", str(exc)], " "))
            continue
        minutes = int(row["minutes"]) if pd.notna(row["minutes"]) else original.minutes
        entries.append(PlanEntry(original.activity, frequency, minutes, TimeOfDay(row["time_of_day"]),
                                 bool(row["enabled"])))
    if problems:
        st.session_state[ERRORS] = {"plan": join_messages(problems)}
        st.rerun()
    content = {"plan": {"title": plan.title}, "activities": [x.to_dict() for x in entries], "ratios": {
        "caseload_limit": int(caseload), "high_risk_weight": float(weight),
        "caseworkers_per_supervisor": int(per_supervisor), "cases_per_data_entry": int(per_entry),
        "supervisor_experience_years": float(years)}}
    save(lambda s: plans.save_team_plan(s, actor=actor, team_id=team_id, content=content,
                                        expected_version=info.version_id if info.stored else -1),
         errors_key=ERRORS, general_field="plan", success=t("plan.saved"))
    st.rerun()

# Generate -------------------------------------------------------------------------------------------------------
st.divider()
st.subheader(t("plan.generate_heading"))
st.caption(t("plan.generate_help"))
today = date.today()
a, b = st.columns(2)
first = a.date_input(t("plan.from"), value=today, format="YYYY-MM-DD", key="plan_from")
field_error(errors, "first")
last = b.date_input(t("plan.to"), value=today + relativedelta(months=3, days=-1), format="YYYY-MM-DD",
                    key="plan_to")
field_error(errors, "last")


def run_generation() -> None:
    bar = st.progress(0.0, text=t("plan.progress_start"))

    def progress(done: int, total: int) -> None:
        bar.progress(done / total if total else 1.0, text=t("plan.progress", done=done, total=total))

    outcome = submit(lambda s: generation.generate_calendar(s, actor=actor, team_id=team_id, first=first,
                                                            last=last, progress=progress),
                     errors_key=ERRORS, general_field="generate")
    bar.empty()
    if outcome is not NOT_SAVED:
        st.session_state[OUTCOME] = (team_id, outcome)


if st.button(t("plan.generate"), type="primary", icon=":material/auto_mode:"):
    run_generation()
field_error(errors, "generate")

stored = st.session_state.get(OUTCOME)
if stored is not None and stored[0] == team_id:
    outcome: generation.GenerationOutcome = stored[1]
    st.success(t("plan.generated", first=format_date(outcome.first), last=format_date(outcome.last),
                 created=outcome.created, moved=outcome.moved, unchanged=outcome.unchanged,
                 cancelled=outcome.cancelled, kept=outcome.kept), icon=":material/event_available:")
    st.caption(t("plan.load", needed=format_number(round(outcome.needed_minutes / 60, 1)),
                 available=format_number(round(outcome.available_minutes / 60, 1))))
    if outcome.unplaced:
        st.error(t("plan.unplaced", count=len(outcome.unplaced)), icon=":material/event_busy:")
        st.dataframe(pd.DataFrame([{
            t("plan.col.activity"): activity_text(u.activity), t("plan.col.with"): u.person or t("calendar.whole_team"),
            t("plan.col.window"): f"{format_date(u.window_start)} – {format_date(u.window_end)}",
            t("plan.col.minutes"): u.minutes, t("plan.col.reason"): t(f"unplaced.{u.reason}")}
            for u in outcome.unplaced]), hide_index=True, width="stretch")
        proposal = outcome.proposal
        if proposal is None:
            st.warning(t("plan.no_proposal"))
        else:
            st.markdown(f"**{t('plan.proposal_heading') if proposal.feasible else t('plan.proposal_partial')}**")
            for change in proposal.changes:
                st.text(t_plain(f"plan.change.{change.field}", activity=activity_text(change.activity.value),
                                before=change.before, after=change.after))
            if st.button(t("plan.apply_proposal"), icon=":material/check:") and submit(
                    lambda s: plans.save_team_plan(s, actor=actor, team_id=team_id, content=proposal.plan.to_dict(),
                                                   expected_version=info.version_id if info.stored else -1),
                    errors_key=ERRORS, general_field="generate") is not NOT_SAVED:
                run_generation()
                st.rerun()
    st.page_link("supervision/ui/calendar.py", label=t("plan.open_calendar"), icon=":material/calendar_month:")
