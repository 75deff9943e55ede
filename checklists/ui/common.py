"""Pieces the review pages share: labels, the timeliness table, month choice."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st
from dateutil.relativedelta import relativedelta

from checklists.reports import status_text, step_label
from checklists.timeliness import Step, StepResult
from core.i18n import format_date, format_month, t


def risk_text(level: str | None) -> str:
    return t(f"risk_level.{level}") if level else "—"


def timeliness_table(results: dict[Step, StepResult]) -> None:
    st.dataframe(pd.DataFrame([{
        t("timeliness.col.step"): step_label(step),
        t("timeliness.col.status"): status_text(r.status, r.days_late),
        t("timeliness.col.due_on"): format_date(r.due_on) or "—",
        t("timeliness.col.done_on"): format_date(r.done_on) or "—",
        t("timeliness.col.risk_level"): risk_text(r.risk_level),
        t("timeliness.col.note"): _note(r),
    } for step, r in results.items()]), hide_index=True, width="stretch")


def _note(result: StepResult) -> str:
    if result.reason is not None:
        return t(f"timeliness.reason.{result.reason}")
    if result.longest_gap is not None and result.step in (Step.FOLLOW_UP, Step.CASE_PLAN_REVIEW):
        return t("timeliness.gaps", over=result.gaps_over_limit, longest=result.longest_gap)
    return ""


def month_choice(label: str, key: str, back: int = 24) -> date:
    """A month among the last ``back`` (this month first); kept in the address (``?month=2026-11``)."""
    this_month = date.today().replace(day=1)
    months = [this_month - relativedelta(months=n) for n in range(back)]
    wanted = st.query_params.get("month", "")
    index = next((i for i, m in enumerate(months) if f"{m:%Y-%m}" == wanted), 0)
    chosen = st.selectbox(label, months, index=index, format_func=format_month, key=key)
    st.query_params["month"] = f"{chosen:%Y-%m}"
    return chosen
