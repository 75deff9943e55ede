"""Case file reviews by month. A supervisor sees the month's sample for their team (which files to review for each
caseworker, which are done, who has had no review yet) and starts reviews; a manager sees every team of the
agency; a caseworker sees their own completed reviews and acknowledges them."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from checklists import reports
from checklists.services import reviews as services
from checklists.services import sampling
from checklists.ui.common import month_choice, risk_text
from core.actor import Role
from core.i18n import format_date, format_month, t, t_plain, tn
from core.levels import level_label
from core.ui import NOT_SAVED, deferred_download, field_error, page_for, submit, unit_of_work

ERRORS = "reviews_errors"
CURRENT_REVIEW = "review_current"

actor = page_for(Role.SUPERVISOR, Role.MANAGER, Role.CASEWORKER)
st.session_state.setdefault(ERRORS, {})
errors: dict[str, str] = st.session_state[ERRORS]
st.title(t("reviews.title"))


def open_review(review_id: int) -> None:
    st.session_state[CURRENT_REVIEW] = review_id
    st.switch_page("checklists/ui/review.py", query_params={"review": str(review_id)})


def start(case_file_id: int) -> None:
    outcome = submit(lambda s: services.start_review(s, actor=actor, case_file_id=case_file_id),
                     errors_key=ERRORS, general_field="start")
    if outcome is NOT_SAVED:
        st.rerun()
    open_review(int(outcome))  # type: ignore[call-overload]


def review_table(found: list[services.ReviewSummary], key: str) -> None:
    """The reviews, each opened by selecting its row."""
    frame = pd.DataFrame([{
        t("reviews.col.case_code"): r.case_code, t("reviews.col.caseworker"): r.caseworker_name,
        t("reviews.col.reviewed_on"): format_date(r.reviewed_on), t("reviews.col.reviewer"): r.reviewer_name,
        t("reviews.col.status"): t(f"review.status.{r.status}"),
        t("reviews.col.score"): reports.score_text(r.score) if r.is_completed else "—",
        t("reviews.col.level"): level_label(r.level) if r.is_completed and r.level is not None else "—",
        t("reviews.col.acknowledged"): format_date(r.acknowledged_on) or "—",
    } for r in found])
    picked = st.dataframe(frame, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
                          key=key)
    rows = picked.selection.rows if picked is not None else []
    if rows:
        open_review(found[rows[0]].id)
    st.caption(t("reviews.open_hint"))


# A caseworker: their own reviews -------------------------------------------------------------------------------
if actor.has(Role.CASEWORKER) and actor.staff_member_id is not None and not actor.has(Role.SUPERVISOR,
                                                                                      Role.MANAGER):
    with unit_of_work() as session:
        mine = services.list_reviews(session, actor=actor, caseworker_id=actor.staff_member_id,
                                     status="completed")
    st.caption(t("reviews.mine_intro"))
    waiting = [r for r in mine if r.acknowledged_on is None]
    if waiting:
        st.warning(tn("reviews.to_acknowledge", len(waiting)), icon=":material/mark_email_unread:")
    if mine:
        review_table(mine, "my_reviews")
    else:
        st.info(t("reviews.mine_empty"))
    st.stop()

# A supervisor or a manager: a team's month ---------------------------------------------------------------------
with unit_of_work() as session:
    teams = dict(sampling.sample_teams(session, actor=actor))
if not teams:
    st.info(t("reviews.no_team"))
    st.stop()
left, right = st.columns(2)
team_ids = list(teams)
wanted_team = st.query_params.get("team", "")
team_id = left.selectbox(t("reviews.team"), team_ids, format_func=teams.get,
                         index=next((i for i, k in enumerate(team_ids) if str(k) == wanted_team), 0))
st.query_params["team"] = str(team_id)
with right:
    month = month_choice(t("reviews.month"), "reviews_month")
with unit_of_work() as session:
    sample = sampling.monthly_sample(session, actor=actor, team_id=team_id, month=month)
    month_reviews = services.list_reviews(session, actor=actor, month=month, team_id=team_id)
    reviewable = services.reviewable_case_files(session, actor=actor)
field_error(errors, "start")

st.subheader(t("reviews.sample_heading", month=format_month(month)))
st.caption(t("reviews.sample_help"))
without = [s.caseworker_name for s in sample if s.reviews_this_month == 0]
if without:
    st.warning(t("reviews.without_review", names=", ".join(without)), icon=":material/person_alert:")
elif sample:
    st.success(t("reviews.everyone_reviewed"), icon=":material/task_alt:")
if not sample:
    st.info(t("reviews.no_caseworkers"))
may_start = actor.has(Role.SUPERVISOR) and team_id in actor.supervised_team_ids and month <= date.today()
for line in sample:
    with st.container(border=True):
        st.text(t_plain("reviews.caseworker_line", name=line.caseworker_name, open=line.open_files,
                        done=line.done, proposed=len(line.proposed)))
        if not line.proposed:
            st.caption(t("reviews.no_open_files"))
        for proposed in line.proposed:
            columns = st.columns([3, 2, 3, 2])
            columns[0].text(proposed.case_code)
            columns[1].text(risk_text(proposed.risk_level))
            columns[2].text(t_plain("reviews.last_reviewed", date=format_date(proposed.last_reviewed_on))
                            if proposed.last_reviewed_on else t("reviews.never_reviewed"))
            if proposed.review_id is not None:
                label = t(f"reviews.state.{proposed.review_status}")
                if columns[3].button(label, key=f"open_{proposed.review_id}", icon=":material/open_in_new:"):
                    open_review(proposed.review_id)
            elif may_start:
                if columns[3].button(t("reviews.start"), key=f"start_{proposed.case_file_id}", type="primary"):
                    start(proposed.case_file_id)
            else:
                columns[3].text(t("reviews.state.not_started"))

if may_start and reviewable:
    with st.expander(t("reviews.other_file")):
        labels = {i: f"{code} — {name}" for i, code, name in reviewable}
        other = st.selectbox(t("reviews.other_file_choose"), list(labels), format_func=labels.get)
        if st.button(t("reviews.start"), key="start_other"):
            start(other)

st.subheader(t("reviews.month_heading", month=format_month(month)))
if month_reviews:
    review_table(month_reviews, f"month_reviews_{team_id}_{month:%Y%m}")
else:
    st.info(t("reviews.month_empty"))

st.subheader(t("reviews.report_heading"))
st.caption(t("reviews.report_help"))
left, right = st.columns(2)
name_probe = reports.team_month_filename(reports.TeamMonth(teams[team_id], month, [], [], {}, [], []), "pdf")
for column, fmt, label, mime, icon in (
        (left, "pdf", "reviews.report_pdf", "application/pdf", ":material/picture_as_pdf:"),
        (right, "xlsx", "reviews.report_xlsx",
         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ":material/table:")):
    deferred_download(column, t(label), file_name=name_probe.rsplit(".", 1)[0] + f".{fmt}", mime=mime, icon=icon,
                      build=lambda session, who, fmt=fmt: reports.export_team_month(
                          session, actor=who, team_id=team_id, month=month, fmt=fmt), key=f"team_month_{fmt}")
