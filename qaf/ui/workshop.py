"""The workshop: one view per dimension, driven from the projector. For each component, the guiding questions,
the three Change Grid columns as "in place" checkboxes, the derived level, the agreed level (a different choice
needs a reason) and notes. Saving is explicit per component; unsaved choices are kept as drafts while the
facilitator moves between dimensions and pages."""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.i18n import format_date, t
from core.safe_text import for_markdown
from core.ui import NOT_SAVED, current_actor, field_error, submit
from qaf import services
from qaf.assessment import ComponentResult
from qaf.framework import Component, Framework
from qaf.levels import COLUMN_TARGETS, Level, derive_level, level_label
from qaf.ui.common import (
    assessment_header,
    dimension_picker,
    level_badge,
    require_results,
    set_dimension,
)

DIMENSION_PICKER = "qaf_dimension_picker"
DRAFTS = "qaf_component_drafts"
ERRORS = "qaf_component_errors"


def _draft_key(assessment_id: int, code: str) -> str:
    return f"{assessment_id}:{code}"


def _saved_state(result: ComponentResult) -> dict[str, Any]:
    if not result.scored:
        return {"in_place": set(), "agreed": None, "reason": "", "notes": ""}
    agreed = None if result.agreed_level == result.derived_level else int(result.agreed_level or 0)
    return {"in_place": set(result.in_place), "agreed": agreed, "reason": result.level_reason, "notes": result.notes}


def _widget(assessment_id: int, code: str, name: str) -> str:
    return f"qaf_w:{assessment_id}:{code}:{name}"


def _seed(key: str, value: Any) -> None:
    if key not in st.session_state:
        st.session_state[key] = value


def _draft_from_widgets(assessment_id: int, component: Component) -> dict[str, Any]:
    """Read the component's widgets as they are now (a button callback runs before the page re-renders, so the
    values captured at the last render may be one keystroke old)."""
    state = st.session_state
    in_place = {a.id for a in component.actions if state.get(_widget(assessment_id, component.code, a.id))}
    derived = derive_level(component.column_action_ids, in_place)
    agreed = state.get(_widget(assessment_id, component.code, "agreed"))
    differs = agreed is not None and Level(agreed) != derived
    return {"in_place": in_place, "agreed": agreed,
            "reason": state.get(_widget(assessment_id, component.code, "reason"), "") if differs else "",
            "notes": state.get(_widget(assessment_id, component.code, "notes"), "")}


def _save(assessment_id: int, component: Component, loaded_version: int) -> None:
    key = _draft_key(assessment_id, component.code)
    draft = _draft_from_widgets(assessment_id, component)
    saved = submit(lambda session: services.save_component_rating(
        session, actor=current_actor(), assessment_id=assessment_id, component_code=component.code,
        expected_version=loaded_version, in_place=sorted(draft["in_place"]),
        agreed_level=None if draft["agreed"] is None else Level(draft["agreed"]),
        level_reason=draft["reason"], notes=draft["notes"]),
        errors_key=key, general_field="save", store=st.session_state[ERRORS],
        success=t("workshop.saved", component=component.label))
    if saved is NOT_SAVED:
        st.session_state[DRAFTS][key] = draft  # kept as typed: the facilitator can compare and save again
    else:
        st.session_state[DRAFTS].pop(key, None)


def _component(view: services.AssessmentView, component: Component, result: ComponentResult) -> None:
    aid, code = view.id, component.code
    key = _draft_key(aid, code)
    saved = _saved_state(result)
    draft = st.session_state[DRAFTS].get(key) or {**saved, "in_place": set(saved["in_place"])}
    errors = st.session_state[ERRORS].get(key, {})
    disabled = not view.can_edit

    with st.container(border=True):
        head, level_col = st.columns([3, 2])
        head.subheader(for_markdown(component.label), anchor=f"component-{code}")
        if component.guiding_questions:
            with st.expander(t("workshop.guiding_questions"), expanded=False):
                for question in component.guiding_questions:
                    st.markdown(f"- {for_markdown(question)}")
        columns = st.columns(3)
        in_place: set[str] = set()
        for index, (column, actions) in enumerate(zip(columns, component.columns, strict=True)):
            with column:
                st.markdown(f"**{t('workshop.column_heading', level=level_label(COLUMN_TARGETS[index]))}**")
                for action in actions:
                    widget_key = _widget(aid, code, action.id)
                    _seed(widget_key, action.id in draft["in_place"])
                    label = for_markdown(action.text) + (" ✎" if action.added_in_context else "")
                    help_text = "\n\n".join(for_markdown(s) for s in action.sources) if action.sources else None
                    if st.checkbox(label, key=widget_key, disabled=disabled, help=help_text, wrap=True,
                                   width="stretch"):
                        in_place.add(action.id)
        derived = derive_level(component.column_action_ids, in_place)
        options: list[int | None] = [None, *[int(level) for level in Level]]
        agreed_key = _widget(aid, code, "agreed")
        _seed(agreed_key, draft["agreed"])
        reason_key = _widget(aid, code, "reason")
        _seed(reason_key, draft["reason"])
        notes_key = _widget(aid, code, "notes")
        _seed(notes_key, draft["notes"])
        with level_col:
            st.caption(t("workshop.derived_level"))
            level_badge(derived)
        left, right = st.columns(2)
        agreed = left.selectbox(
            t("workshop.agreed_level"), options, key=agreed_key, disabled=disabled,
            format_func=lambda v: t("workshop.same_as_derived", level=level_label(derived)) if v is None
            else level_label(Level(v)),
        )
        effective = derived if agreed is None else Level(agreed)
        reason = ""
        with left:
            if effective != derived:
                reason = st.text_area(t("workshop.level_reason"), key=reason_key, disabled=disabled,
                                      help=t("workshop.level_reason_help"), max_chars=4000)
            field_error(errors, "level_reason")
        with right:
            notes = st.text_area(t("workshop.notes"), key=notes_key, disabled=disabled, max_chars=8000,
                                 help=t("common.no_identifying_details"))
            st.caption(t("common.no_identifying_details"))
            field_error(errors, "notes")
        draft = {"in_place": in_place, "agreed": agreed, "reason": reason if effective != derived else "",
                 "notes": notes}
        changed = (draft["in_place"] != saved["in_place"] or draft["agreed"] != saved["agreed"]
                   or draft["reason"] != saved["reason"] or draft["notes"] != saved["notes"])
        if changed:
            st.session_state[DRAFTS][key] = draft
        else:
            st.session_state[DRAFTS].pop(key, None)
        status_col, button_col = st.columns([3, 1])
        with status_col:
            if result.scored:
                when = format_date(result.updated_at, fmt="short") if result.updated_at else ""
                st.caption(t("workshop.saved_state", level=level_label(result.agreed_level),
                             who=for_markdown(result.updated_by), when=when))
            else:
                st.caption(t("workshop.not_saved_yet"))
            if changed and not disabled:
                st.warning(t("workshop.unsaved"), icon=":material/edit:")
            field_error(errors, "save")
            field_error(errors, "in_place")
        if not disabled:
            button_col.button(t("workshop.save_component", code=code), key=_widget(aid, code, "save"),
                              type="primary", on_click=_save, args=(aid, component, result.version_id),
                              width="stretch")


def render() -> None:
    view, framework, summary = require_results()
    st.session_state.setdefault(DRAFTS, {})
    st.session_state.setdefault(ERRORS, {})
    st.title(for_markdown(view.name))
    assessment_header(view)
    results = {r.component.code: r for r in summary.results}
    numbers = [d.number for d in framework.dimensions]

    current = dimension_picker(numbers, lambda n: _dimension_tab_label(framework, results, n), DIMENSION_PICKER)

    dimension = framework.dimension(current)
    st.header(for_markdown(dimension.label))
    for component in dimension.components:
        _component(view, component, results[component.code])

    position = numbers.index(current)
    prev_col, _, next_col = st.columns([1, 2, 1])
    if position > 0:
        prev_col.button(t("workshop.previous", label=framework.dimension(numbers[position - 1]).label),
                        on_click=set_dimension, args=(numbers[position - 1],), width="stretch")
    if position < len(numbers) - 1:
        next_col.button(t("workshop.next", label=framework.dimension(numbers[position + 1]).label),
                        on_click=set_dimension, args=(numbers[position + 1],), width="stretch")
    else:
        next_col.page_link("qaf/ui/summary.py", label=t("workshop.to_summary"), icon=":material/leaderboard:")


def _dimension_tab_label(framework: Framework, results: dict[str, ComponentResult], number: int) -> str:
    dimension = framework.dimension(number)
    done = sum(1 for c in dimension.components if results[c.code].scored)
    mark = "✓" if done == len(dimension.components) else f"{done}/{len(dimension.components)}"
    return f"{number}. {dimension.title} ({mark})"


render()
