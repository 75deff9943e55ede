"""Progress over time: one context's successive assessments side by side (levels then and now, the change, the
key actions completed between them and those still open), then the case file review, timeliness, supervision
and ratio figures by month, team and supervisor."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from core.actor import Role
from core.errors import Forbidden
from core.i18n import format_date, format_month, format_number, t, t_plain
from core.levels import Level, level_label
from core.safe_text import for_markdown
from core.ui import page_for, unit_of_work
from management.indicators import months_ending
from management.reports import level_change_text
from management.services import indicators as scopes
from management.services import progress
from management.ui.charts import level_chart, trend_chart
from management.ui.common import actions_table
from qaf.services import list_assessments
from supervision.ui.common import light_text

actor = page_for(Role.MANAGER, Role.SUPERVISOR, Role.FACILITATOR)
st.title(t("progress.title"))
st.caption(t("progress.intro"))


def level_text(level: Level | None) -> str:
    return level_label(level) if level is not None else t("progress.not_scored")

st.header(t("progress.assessments_heading"))
with unit_of_work() as session:
    readable = list_assessments(session, actor=actor)
if not readable:
    st.info(t("progress.no_assessments"))
else:
    names = {a.id: f"{a.name} · {format_date(a.assessed_on)}" for a in readable}
    chosen = st.selectbox(t("progress.context"), list(names), format_func=names.get, key="progress_context",
                          help=t("progress.context_help"))
    with unit_of_work() as session:
        points = progress.context_of(session, actor=actor, assessment_id=chosen)
    if len(points) < 2:
        st.info(t("progress.one_assessment"))
    else:
        labels = {p.id: f"{p.name} · {format_date(p.assessed_on)}" for p in points}
        a, b = st.columns(2)
        earlier = a.selectbox(t("progress.earlier"), [p.id for p in points[:-1]], index=len(points) - 2,
                              format_func=labels.get, key="progress_earlier")
        earlier_on = next(p.assessed_on for p in points if p.id == earlier)
        later_options = [p.id for p in points if p.id != earlier and p.assessed_on >= earlier_on]
        later = b.selectbox(t("progress.later"), later_options, index=len(later_options) - 1,
                            format_func=labels.get, key="progress_later")
        with unit_of_work() as session:
            comparison = progress.compare(session, actor=actor, earlier_id=earlier, later_id=later)
            history = progress.levels_over_time(session, actor=actor, points=points)
        changes = comparison.components
        up = sum(1 for c in changes if (c.change or 0) > 0)
        down = sum(1 for c in changes if (c.change or 0) < 0)
        m1, m2, m3, m4 = st.columns(4)
        m1.metric(t("progress.count.up"), up, border=True)
        m2.metric(t("progress.count.down"), down, border=True)
        m3.metric(t("progress.count.completed"), len(comparison.completed_between), border=True)
        m4.metric(t("progress.count.still_open"), len(comparison.still_open), border=True)
        unconfirmed = [c.code for c in changes if c.unconfirmed]
        if unconfirmed:
            st.warning(t("progress.unconfirmed", codes=", ".join(unconfirmed)), icon=":material/history:")
        st.dataframe(pd.DataFrame([{
            "code": c.code, "component": c.title, "then": level_text(c.before),
            "now": level_text(c.after) + (f" ({t('progress.copied')})" if c.unconfirmed else ""),
            "change": level_change_text(c.change)} for c in changes]), hide_index=True, width="stretch",
            key="progress_table", column_config={
                "code": st.column_config.TextColumn(t("progress.col.code"), width="small"),
                "component": st.column_config.TextColumn(t("progress.col.component"), width="medium"),
                "then": st.column_config.TextColumn(format_date(comparison.earlier.assessed_on)),
                "now": st.column_config.TextColumn(format_date(comparison.later.assessed_on)),
                "change": st.column_config.TextColumn(t("progress.col.change"))})
        st.subheader(t("progress.chart_heading"))
        st.caption(t("progress.chart_help"))
        level_names = [level_label(level) for level in Level]
        rows, last_level = [], {}
        for p in points:
            for code, level in history[p.id].items():
                if level is not None:
                    rows.append({"assessment": format_date(p.assessed_on), "code": code, "level": int(level),
                                 "label": level_label(level), "changed": last_level.get(code) != level})
                    last_level[code] = level
        if rows:
            st.vega_lite_chart(pd.DataFrame(rows), level_chart(
                x="assessment", y="level", series="code", x_title=t("progress.col.assessment"),
                y_title=t("progress.col.level"), level_names=level_names))
        st.subheader(t("progress.completed_heading", first=format_date(comparison.earlier.assessed_on),
                       last=format_date(comparison.later.assessed_on)))
        actions_table(comparison.completed_between, key="progress_completed")
        st.subheader(t("progress.open_heading"))
        actions_table(comparison.still_open, key="progress_open")

st.header(t("progress.figures_heading"))
with unit_of_work() as session:
    choices = scopes.scope_choices(session, actor=actor)
options: list[int | None] = ([None] if choices.agency else []) + [i for i, _ in choices.teams]
if not options:
    st.info(t("progress.no_figures"))
    st.stop()
teams = dict(choices.teams)
a, b = st.columns(2)
team_id = a.selectbox(t("dashboard.team"), options, key="progress_team",
                      format_func=lambda i: teams[i] if i is not None else t_plain("progress.whole_agency",
                                                                                    agency=choices.agency or ""))
last_month = b.selectbox(t("dashboard.month"), months_ending(date.today(), 24)[::-1], format_func=format_month,
                         key="progress_month")
months = months_ending(last_month, 6)
try:
    with unit_of_work() as session:
        scope = scopes.agency_scope(session, actor=actor, team_id=team_id)
        by_team = progress.reviews_by_team(session, scope=scope, months=months)
        by_supervisor = progress.supervision_by_supervisor(session, scope=scope, months=months)
        team_ratios = progress.ratios_by_team(session, actor=actor, scope=scope)
except Forbidden as exc:
    st.error(for_markdown(str(exc)))
    st.stop()


def rate(pair: tuple[int, int]) -> str:
    met, decided = pair
    return f"{format_number(round(100 * met / decided))} % ({met}/{decided})" if decided else "—"


st.subheader(t("progress.reviews_heading"))
st.caption(t("progress.reviews_help"))
chart_rows = [{"month": format_month(r.month, short=True), "team": r.team, "score": r.mean_score}
              for r in by_team if r.mean_score is not None]
if chart_rows:
    frame = pd.DataFrame(chart_rows)
    for team_name in dict.fromkeys(frame["team"]):
        st.caption(for_markdown(team_name))
        st.vega_lite_chart(frame[frame["team"] == team_name], trend_chart(
            x="month", y="score", x_title=t("dashboard.month"), y_title=t("indicator.review_score.unit"),
            percent=True, order=[format_month(m, short=True) for m in sorted({r.month for r in by_team})]),
            width="stretch")
st.dataframe(pd.DataFrame([{
    t("progress.col.team"): r.team, t("dashboard.month"): format_month(r.month), t("progress.col.reviews"): r.reviews,
    t("progress.col.score"): format_number(r.mean_score) if r.mean_score is not None else "—",
    t("indicator.assessment_on_time.title"): rate(r.assessment_on_time),
    t("indicator.plan_review_on_time.title"): rate(r.plan_review_on_time)} for r in by_team]),
    hide_index=True, width="stretch", key="progress_reviews")

st.subheader(t("progress.supervision_heading"))
st.caption(t("indicator.supervision_held.how"))
if by_supervisor:
    st.dataframe(pd.DataFrame([{
        t("progress.col.supervisor"): r.supervisor, t("dashboard.month"): format_month(r.month),
        t("progress.col.held"): r.held, t("progress.col.due"): r.due,
        t("progress.col.rate"): rate((r.held, r.due))} for r in by_supervisor]), hide_index=True, width="stretch",
        key="progress_supervision")
else:
    st.caption(t("dashboard.no_records"))

st.subheader(t("progress.ratios_heading"))
st.caption(t("progress.ratios_help"))
st.dataframe(pd.DataFrame([{
    t("progress.col.team"): r.team, t("progress.col.subject"): r.subject, t("progress.col.rule"): r.rule,
    t("progress.col.status"): light_text(r.light), t("progress.col.figure"): r.figure}
    for r in team_ratios]), hide_index=True, width="stretch", key="progress_ratios")
