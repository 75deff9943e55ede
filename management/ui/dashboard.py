"""The manager's dashboard (their agency, or one team) and the task force's (the agencies of an inter-agency
assessment): the guidelines' indicators by month, each with how it is computed, its numerator and denominator,
a chart with the numbers on it, and the records behind it."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import streamlit as st

from core.actor import Role
from core.errors import Forbidden
from core.i18n import format_date, format_datetime, format_month, format_number, t, tn
from core.safe_text import for_markdown
from core.ui import page_for, unit_of_work
from management import indicators as ind
from management.indicators import Figure, change, direction, months_ending
from management.reports import figure_text, fraction
from management.services import indicators as service
from management.ui.charts import bar_chart, trend_chart
from sync.conflicts import open_conflict_count

MONTHS = 6

actor = page_for(Role.MANAGER, Role.SUPERVISOR, Role.FACILITATOR)
st.title(t("dashboard.title"))
st.caption(t("dashboard.intro"))
with unit_of_work() as session:
    choices = service.scope_choices(session, actor=actor)
    unresolved = open_conflict_count(session, agency_id=actor.agency_id)
if unresolved:  # what laptops and the server changed differently: the server's values stand until decided
    st.warning(tn("dashboard.sync_conflicts", unresolved), icon=":material/call_split:")
    if actor.has(Role.MANAGER, Role.FACILITATOR):
        st.page_link("sync/ui/conflicts.py", label=t("dashboard.sync_conflicts_link"), icon=":material/call_split:")
modes = [m for m, ok in (("agency", choices.agency is not None), ("team", bool(choices.teams)),
                         ("task_force", bool(choices.assessments))) if ok]
if not modes:
    st.info(t("dashboard.nothing"))
    st.stop()
a, b, c = st.columns(3)
mode = a.radio(t("dashboard.scope"), modes, key="dash_mode", format_func=lambda m: t(f"dashboard.mode.{m}"))
teams, assessments = dict(choices.teams), dict(choices.assessments)
team_id = assessment_id = None
if mode == "team":
    team_id = b.selectbox(t("dashboard.team"), list(teams), format_func=teams.get, key="dash_team")
elif mode == "task_force":
    assessment_id = b.selectbox(t("dashboard.assessment"), list(assessments), format_func=assessments.get,
                                key="dash_assessment")
recent = months_ending(date.today(), 24)[::-1]
month = c.selectbox(t("dashboard.month"), recent, key="dash_month", format_func=format_month)
months = months_ending(month, MONTHS)


@st.cache_data(ttl=900, max_entries=64, show_spinner=False)
def cached_figures(scope: service.Scope, months: tuple[date, ...], today: date,
                   token: tuple[object, ...]) -> dict[str, dict[date, Figure]]:
    """The figures of a scope already checked, kept while the data they are computed from stands (``token``)."""
    with unit_of_work() as session:
        return service.indicator_figures(session, scope=scope, months=list(months), today=today)


try:
    with unit_of_work() as session:
        if mode == "task_force" and assessment_id is not None:
            scope = service.task_force_scope(session, actor=actor, assessment_id=assessment_id)
        else:
            scope = service.agency_scope(session, actor=actor, team_id=team_id)
        token = service.data_token(session, scope=scope)
    figures = cached_figures(scope, tuple(months), date.today(), token)
except Forbidden as exc:
    st.error(for_markdown(str(exc)))
    st.stop()
st.caption(t("dashboard.scope_line", scope=scope.label, first=format_month(months[0]),
             last=format_month(months[-1])))
if not scope.records_visible:
    st.info(t("dashboard.figures_only"))


def cell_text(value: object) -> str:
    """A record's value as every other page shows it: dates in the locale, nothing as a dash."""
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, float):
        return format_number(value)
    return str(value)


for key in (ind.ASSESSMENT_ON_TIME, ind.PLAN_REVIEW_ON_TIME, ind.OBJECTIVES_ACHIEVED, ind.SUPERVISORS_TRAINED,
            ind.SUPERVISION_HELD, ind.ACTIONS_ON_TIME, ind.REVIEW_SCORE):
    by_month = figures.get(key, {})
    current, previous = by_month.get(months[-1]), by_month.get(months[-2]) if len(months) > 1 else None
    delta = change(current, previous)
    with st.container(border=True):
        st.subheader(t(f"indicator.{key}.title"))
        left, right = st.columns([1, 2])
        unit = t("dashboard.points" if key in ind.PERCENT_KEYS else "dashboard.units")
        left.metric(format_month(months[-1]), figure_text(current),  # no arrow for no change: the words say it
                    delta=f"{format_number(delta)} {unit}" if delta else None,
                    delta_color="normal" if key in ind.HIGHER_IS_BETTER else "off")
        if delta is not None and direction(key, delta):
            left.caption(t(f"dashboard.direction.{direction(key, delta)}"))
        if current is not None:
            left.caption(fraction(current))
        left.caption(t(f"indicator.{key}.how"))
        rows = [{"month": format_month(m, short=True), "value": f.value} for m, f in by_month.items()
                if f.value is not None]
        if rows:
            right.vega_lite_chart(pd.DataFrame(rows), trend_chart(
                x="month", y="value", x_title=t("dashboard.month"), y_title=t(f"indicator.{key}.unit"),
                percent=key in ind.PERCENT_KEYS, order=[row["month"] for row in rows]), width="stretch")
        else:
            right.caption(t("dashboard.no_figure"))
        right.dataframe(pd.DataFrame([{
            t("dashboard.month"): format_month(m), t("dashboard.value"): figure_text(f),
            t("dashboard.over"): fraction(f)} for m, f in by_month.items()]),
            hide_index=True, width="stretch", key=f"table_{key}")

with st.container(border=True):
    st.subheader(t(f"indicator.{ind.CASELOAD}.title"))
    st.caption(t(f"indicator.{ind.CASELOAD}.how"))
    latest = [figures[k][months[-1]] for k in ind.CASELOAD_KEYS]
    frame = pd.DataFrame([{"level": t(f"risk_level.{k.split('.')[1]}"), "value": f.value or 0} for k, f in
                          zip(ind.CASELOAD_KEYS, latest, strict=True)])
    left, right = st.columns([2, 1])
    left.vega_lite_chart(frame, bar_chart(x="level", y="value", x_title=t("dashboard.risk_level"),
                                          y_title=t(f"indicator.{ind.CASELOAD}.unit")), width="stretch")
    right.dataframe(pd.DataFrame([{
        t("dashboard.month"): format_month(m), **{t(f"risk_level.{k.split('.')[1]}"): figure_text(figures[k][m])
                                              for k in ind.CASELOAD_KEYS},
        t("dashboard.caseworkers"): format_number(figures[ind.CASELOAD_KEYS[0]][m].denominator)} for m in months]),
        hide_index=True, width="stretch", key="table_caseload")

st.subheader(t("dashboard.records_heading"))
if not scope.records_visible:
    st.caption(t("indicator.records_hidden"))
else:
    shown_keys = [k for k in ind.KEYS if k not in ind.CASELOAD_KEYS[1:]]
    a, b = st.columns(2)
    key = a.selectbox(t("dashboard.figure"), shown_keys, key="dash_records_key",
                      format_func=lambda k: t(f"indicator.{k.split('.')[0]}.title"))
    figure_month = b.selectbox(t("dashboard.month"), months[::-1], format_func=format_month, key="dash_records_month")
    with unit_of_work() as session:
        found = service.figure_records(session, scope=scope, key=key, month=figure_month)
    if found.rows:
        st.dataframe(pd.DataFrame([[cell_text(v) for v in row] for row in found.rows],
                                  columns=[t(f"indicator.col.{c}") for c in found.columns]),
                     hide_index=True, width="stretch", key="records_table")
    else:
        st.caption(t("dashboard.no_records"))
st.caption(t("dashboard.computed", date=format_date(date.today())))
