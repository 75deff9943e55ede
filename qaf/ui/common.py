"""What several QAF pages share: the assessment being worked on, level labels and colours."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from core.actor import Actor, Role
from core.errors import Forbidden, NotFound
from core.i18n import format_date, t
from core.safe_text import for_markdown
from core.ui import current_actor, once_per_run, unit_of_work
from core.ui.layout import read_only_banner
from core.ui.theme import badge
from qaf import services
from qaf.assessment import LevelSummary
from qaf.framework import Framework
from qaf.levels import LEVEL_COLOURS, LEVEL_TEXT_COLOURS, Level, level_label
from qaf.services import AssessmentView

CURRENT = "qaf_assessment_id"
DIMENSION = "qaf_dimension"  # plain key, shared by the workshop and the action plan: survives page changes


def _on_pick(picker_key: str) -> None:
    st.session_state[DIMENSION] = st.session_state[picker_key]


def dimension_picker(numbers: list[int], label: Callable[[int], str], picker_key: str, *,
                     compact: bool = False) -> int:
    """The dimension bar the facilitator drives on the projector: a row of choices, or one line (a drop-down) in
    presentation mode. The choice is shared between pages, kept in the address bar (``?dimension=3``) and
    restored after a reload. ``label`` gives plain text: the drop-down shows it as it is, the row (whose choices
    are Markdown) escaped."""
    requested = st.query_params.get("dimension", "")
    if DIMENSION not in st.session_state and requested.isdigit() and int(requested) in numbers:
        st.session_state[DIMENSION] = int(requested)
    current = st.session_state.get(DIMENSION, numbers[0])
    if current not in numbers:
        current = numbers[0]
    st.session_state[DIMENSION] = current
    key = f"{picker_key}:compact" if compact else picker_key
    st.session_state[key] = current
    if compact:
        st.selectbox(t("workshop.dimension_picker"), numbers, key=key, on_change=_on_pick, args=(key,),
                     format_func=label, label_visibility="collapsed")
    else:
        st.radio(t("workshop.dimension_picker"), numbers, key=key, horizontal=True, on_change=_on_pick,
                 args=(key,), format_func=lambda number: for_markdown(label(number)))
    st.query_params["dimension"] = str(current)
    return current


def set_dimension(number: int) -> None:
    st.session_state[DIMENSION] = number



def level_badge(level: Level | None) -> None:
    if level is None:
        badge(level_label(None), "#9AA5B1")
    else:
        badge(level_label(level), LEVEL_COLOURS[level], LEVEL_TEXT_COLOURS[level])


def open_assessment(assessment_id: int) -> None:
    st.session_state[CURRENT] = assessment_id


Results = tuple[AssessmentView, Framework, LevelSummary]


def current_results() -> Results | None:
    """The assessment chosen on the Assessments page with its framework and levels, loaded once per page run
    (the sidebar and the page share it), or ``None`` if there is none."""
    return once_per_run("qaf_current_results", _load_results)


def current_assessment() -> AssessmentView | None:
    results = current_results()
    return results[0] if results else None


def _load_results() -> Results | None:
    assessment_id = st.session_state.get(CURRENT)
    if assessment_id is None:
        # After a browser reload the session is new; the address bar still names the assessment.
        requested = st.query_params.get("assessment", "")
        if not requested.isdigit():
            return None
        assessment_id = int(requested)
    try:
        with unit_of_work() as session:
            results = services.assessment_results(session, assessment_id, actor=current_actor())
    except (NotFound, Forbidden):
        st.session_state.pop(CURRENT, None)
        return None
    st.session_state[CURRENT] = results[0].id
    return results


def require_results() -> Results:
    """The current assessment's results, or a pointer to the Assessments page and the end of this page."""
    results = current_results()
    if results is None:
        st.info(t("common.choose_assessment_first"))
        st.page_link("qaf/ui/assessments.py", label=t("nav.assessments"), icon=":material/list:")
        st.stop()
    st.query_params["assessment"] = str(results[0].id)
    return results


def assessment_header(view: AssessmentView, *, compact: bool = False) -> None:
    line = (f"{for_markdown(view.country)} · {format_date(view.assessed_on)} · {t(f'assessment.scope.{view.scope}')}"
            f" · {t(f'assessment.status.{view.status}')}")
    progress = t("workshop.progress", scored=view.scored_count, total=view.component_total)
    if compact:
        st.caption(f"{line} · {progress}")
    else:
        st.caption(line)
        st.progress(view.scored_count / max(1, view.component_total), text=progress)
    if view.working_translation:
        st.caption(f":material/translate: {t('translation.notice')}")
    if not view.can_edit:
        why, can = read_only_reason(view, current_actor())
        read_only_banner(why, can)


def read_only_reason(view: AssessmentView, actor: Actor) -> tuple[str, str]:
    """Why this person cannot change the assessment, and what they may still do."""
    if view.is_final:
        return t("assessment.read_only.final"), t("assessment.read_only.final_can")
    if actor.has(Role.MANAGER):
        return t("assessment.read_only.not_member"), t("assessment.read_only.manager_can")
    return t("assessment.read_only.not_member"), t("assessment.read_only.reader_can")
