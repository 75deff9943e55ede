"""Trends by month, per team and caseworker: review scores, the items most often answered No (the team's training
needs), timeliness per step and risk level, and two guideline indicators. Each figure says how many records it is
computed over; select a row to see them."""

from __future__ import annotations

from datetime import date
from functools import cache

import pandas as pd
import streamlit as st
from dateutil.relativedelta import relativedelta

from checklists.reports import score_text, step_label
from checklists.services import sampling, trends
from checklists.ui.common import risk_text
from core.actor import Role
from core.i18n import format_date, format_month, t
from core.ui import page_for, unit_of_work

actor = page_for(Role.SUPERVISOR, Role.MANAGER)
st.title(t("trends.title"))
st.caption(t("trends.intro"))

with unit_of_work() as session:
    teams = dict(sampling.sample_teams(session, actor=actor))
left, mid, right = st.columns(3)
team_id = left.selectbox(t("trends.team"), [None, *teams], format_func=lambda i: t("trends.all_teams") if i is None
                         else teams[i])
span = mid.selectbox(t("trends.span"), [3, 6, 12, 24, 36], index=2, format_func=lambda n: t("trends.months", n=n))
end = date.today().replace(day=1)
start = end - relativedelta(months=span - 1)


@st.cache_resource(ttl=120, max_entries=64, show_spinner=False)
def _trends(account_id: int | None, team_id: int | None, caseworker_id: int | None, start: date, end: date,
            token: tuple[object, ...]) -> trends.Trends:
    """Trends for one person and selection, kept while the data they come from stands (``token``): a click on
    this page reruns it, and working out 1,750 case files' timeliness again each time is wasted. Kept as the
    object itself (the page only reads it): a copy per rerun would unpickle megabytes of records each time."""
    with unit_of_work() as session:
        return trends.review_trends(session, actor=actor, start=start, end=end, team_id=team_id,
                                    caseworker_id=caseworker_id)


with unit_of_work() as session:
    token = trends.data_token(session, actor=actor)
period_end = end + relativedelta(months=1, days=-1)
data = _trends(actor.account_id, team_id, None, start, period_end, token)
people = sorted({(p.caseworker_id, p.caseworker_name) for p in data.scores if p.caseworker_id is not None},
                key=lambda p: p[1])
caseworker_id = right.selectbox(t("trends.caseworker"), [None, *[p[0] for p in people]],
                                format_func=lambda i: t("trends.everyone") if i is None else dict(people)[i])
if caseworker_id is not None:
    data = _trends(actor.account_id, team_id, caseworker_id, start, period_end, token)
st.caption(t("trends.counted", reviews=data.reviews_counted, files=data.case_files_counted,
             start=format_month(start), end=format_month(end)))


# Thousands of rows (every caseworker's every month) name the same dozen months and scores: each is formatted once.
month_text, score_cell = cache(format_month), cache(score_text)
whole_selection = t("trends.whole_selection")


def records_of_reviews(**filters: object) -> None:
    with unit_of_work() as session:
        found = trends.review_records(session, actor=actor, start=start, end=end + relativedelta(months=1, days=-1),
                                      team_id=team_id, **filters)  # type: ignore[arg-type]
    st.dataframe(pd.DataFrame([{t("reviews.col.case_code"): code, t("reviews.col.caseworker"): name,
                                t("reviews.col.reviewed_on"): format_date(day), t("reviews.col.score"): score_text(sc)}
                               for _, code, name, day, sc in found]), hide_index=True, width="stretch")


def records_of_cases(rate: trends.Rate) -> None:
    st.dataframe(pd.DataFrame([{t("reviews.col.case_code"): r.case_code, t("reviews.col.caseworker"): r.caseworker_name,
                                t("timeliness.col.status"): t(f"timeliness.status.{r.status}"),
                                t("timeliness.col.due_on"): format_date(r.due_on),
                                t("timeliness.col.done_on"): format_date(r.done_on) or "—"} for r in rate.records]),
                 hide_index=True, width="stretch")


def selected(frame: pd.DataFrame, key: str) -> int | None:
    picked = st.dataframe(frame, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
                          key=key)
    rows = picked.selection.rows if picked is not None else []
    return rows[0] if rows else None


st.subheader(t("trends.scores_heading"))
st.caption(t("trends.scores_help"))
lines = [p for p in data.scores if (p.caseworker_id is None) == (caseworker_id is None)
         or p.caseworker_id == caseworker_id]
if lines:
    # One line for the selection, and one for the chosen caseworker: seventy lines would be unreadable.
    chart = pd.DataFrame([{"month": p.month, "who": p.caseworker_name or whole_selection,
                           "score": p.mean_score} for p in data.scores if p.mean_score is not None
                          and (p.caseworker_id is None or p.caseworker_id == caseworker_id)])
    if not chart.empty:
        st.line_chart(chart, x="month", y="score", color="who", x_label=t("trends.month"),
                      y_label=t("trends.mean_score"))
    score_rows = sorted(data.scores, key=lambda p: (p.month, p.caseworker_name))
    row = selected(pd.DataFrame({t("trends.month"): [month_text(p.month) for p in score_rows],
                                 t("reviews.col.caseworker"): [p.caseworker_name or whole_selection
                                                               for p in score_rows],
                                 t("trends.reviews"): [p.reviews for p in score_rows],
                                 t("trends.mean_score"): [score_cell(p.mean_score) for p in score_rows]}),
                   "trend_scores")
    if row is not None:
        point = score_rows[row]
        st.caption(t("trends.records_of",
                     what=f"{month_text(point.month)} · {point.caseworker_name or whole_selection}"))
        with unit_of_work() as session:
            found = trends.review_records(session, actor=actor, start=point.month,
                                          end=point.month + relativedelta(months=1, days=-1), team_id=team_id,
                                          caseworker_id=point.caseworker_id or caseworker_id)
        st.dataframe(pd.DataFrame([{t("reviews.col.case_code"): code, t("reviews.col.caseworker"): name,
                                    t("reviews.col.reviewed_on"): format_date(day),
                                    t("reviews.col.score"): score_text(sc)} for _, code, name, day, sc in found]),
                     hide_index=True, width="stretch")
else:
    st.info(t("trends.no_reviews"))

st.subheader(t("trends.items_heading"))
st.caption(t("trends.items_help"))
if data.items_no:
    row = selected(pd.DataFrame([{t("review.report.col.item"): i.item_id, t("review.report.col.text"): i.text,
                                  t("trends.no"): i.no, t("trends.answered"): i.answered,
                                  t("trends.percent_no"): f"{i.percent_no:g} %"} for i in data.items_no[:15]]),
                   "trend_items")
    if row is not None:
        item = data.items_no[row]
        st.caption(t("trends.records_of", what=f"{item.item_id} — {t('review.answer.no')}"))
        records_of_reviews(item_id=item.item_id, caseworker_id=caseworker_id)
else:
    st.info(t("trends.no_items"))

st.subheader(t("trends.indicators_heading"))
st.caption(t("trends.indicators_help"))
indicator_keys = sorted(data.indicators, key=lambda k: (k[1], k[0]))
if indicator_keys:
    row = selected(pd.DataFrame([{t("trends.indicator"): t(f"trends.indicator_name.{name}"),
                                  t("trends.month"): month_text(month),
                                  t("trends.rate"): score_cell(data.indicators[(month, name)].percent),
                                  t("trends.over"): t("trends.over_records", met=data.indicators[(month, name)].met,
                                                      decided=data.indicators[(month, name)].decided)}
                                 for month, name in indicator_keys]), "trend_indicators")
    if row is not None:
        records_of_cases(data.indicators[indicator_keys[row]])
else:
    st.info(t("trends.no_timeliness"))

st.subheader(t("trends.timeliness_heading"))
st.caption(t("trends.timeliness_help"))
timeliness_keys = sorted(data.timeliness, key=lambda k: (k[0], k[1].value, k[2]))
if timeliness_keys:
    row = selected(pd.DataFrame([{t("trends.month"): month_text(month), t("timeliness.col.step"): step_label(step),
                                  t("timeliness.col.risk_level"): risk_text(level),
                                  t("trends.rate"): score_cell(data.timeliness[(month, step, level)].percent),
                                  t("trends.over"): t("trends.over_records",
                                                      met=data.timeliness[(month, step, level)].met,
                                                      decided=data.timeliness[(month, step, level)].decided)}
                                 for month, step, level in timeliness_keys]), "trend_timeliness")
    if row is not None:
        records_of_cases(data.timeliness[timeliness_keys[row]])
else:
    st.info(t("trends.no_timeliness"))
