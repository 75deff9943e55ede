"""Pieces the supervision pages share: the team choice, month choice, labels and traffic lights."""

from __future__ import annotations

from datetime import date

import streamlit as st
from dateutil.relativedelta import relativedelta

from core.i18n import format_month, t
from core.ui import NOT_SAVED, submit, unit_of_work
from supervision.services.access import visible_teams

LIGHTS = {"green": "🟢", "amber": "🟠", "red": "🔴", "none": "⚪"}
FORMS = "supervision_form_rounds"  # how many times each form was emptied after a save; owned by no widget


def form_key(name: str) -> str:
    """The key of a form that starts empty again after each successful save (and keeps its values otherwise)."""
    return f"{name}_{st.session_state.setdefault(FORMS, {}).get(name, 0)}"


def save(action, *, errors_key: str, general_field: str = "general", success: str = "",  # type: ignore[no-untyped-def]
         fresh: str | None = None) -> object:
    """One write, then the page is drawn again: the new state when saved, the messages beside their fields when
    not, with what the person typed still there. ``fresh`` names a form to empty after a successful save."""
    outcome = submit(action, errors_key=errors_key, general_field=general_field, success=success)
    if outcome is not NOT_SAVED and fresh:
        rounds = st.session_state.setdefault(FORMS, {})
        rounds[fresh] = rounds.get(fresh, 0) + 1
    return outcome


def team_choice(actor, key: str) -> int | None:  # type: ignore[no-untyped-def]
    """The team whose calendar is shown, kept in the address (``?team=3``); none when the person sees none."""
    with unit_of_work() as session:
        teams = dict(visible_teams(session, actor))
    if not teams:
        st.info(t("calendar.no_team"))
        return None
    ids = list(teams)
    wanted = st.query_params.get("team", "")
    index = next((i for i, k in enumerate(ids) if str(k) == wanted), 0)
    chosen = st.selectbox(t("calendar.team"), ids, index=index, format_func=teams.get, key=key)
    st.query_params["team"] = str(chosen)
    return chosen


def month_choice(label: str, key: str, back: int = 12, ahead: int = 12) -> date:
    """A month from a year back to a year ahead (this month first in time order), kept in the address."""
    this_month = date.today().replace(day=1)
    months = [this_month + relativedelta(months=n) for n in range(-back, ahead + 1)]
    wanted = st.query_params.get("month", "")
    index = next((i for i, m in enumerate(months) if f"{m:%Y-%m}" == wanted), back)
    chosen = st.selectbox(label, months, index=index, format_func=format_month, key=key)
    st.query_params["month"] = f"{chosen:%Y-%m}"
    return chosen


def light_text(light: str) -> str:
    """The light as a symbol and a word: colour is never the only signal."""
    return f"{LIGHTS.get(light, '')} {t(f'light.{light}')}"


def activity_text(activity: str) -> str:
    return t(f"activity.{activity}")
