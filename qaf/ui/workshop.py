"""The workshop: one view per dimension, driven from the projector. For each component, the guiding questions,
the three Change Grid columns as "in place" checkboxes, the derived level, the agreed level (a different choice
needs a reason) and notes. Saving is explicit per component; unsaved choices are kept as drafts while the
facilitator moves between dimensions and pages."""

from __future__ import annotations

import time
from typing import Any

import pandas as pd
import streamlit as st

from core.errors import Forbidden
from core.i18n import format_datetime, t
from core.safe_text import as_saved, for_markdown
from core.ui import NOT_SAVED, current_actor, field_error, page_part, part_rerun, submit, unit_of_work
from core.ui.layout import ask_scroll_to_top, collapse_sidebar, presentation_toggle, scroll_to_top_if_asked
from qaf import services
from qaf.assessment import ComponentResult
from qaf.evidence import EvidenceLine
from qaf.framework import Component, Framework
from qaf.levels import COLUMN_TARGETS, Level, derive_level, level_label
from qaf.services.drafts import NOTES_LIMIT, REASON_LIMIT
from qaf.services.evidence import evidence_for
from qaf.ui.common import (
    assessment_header,
    dimension_picker,
    level_badge,
    require_results,
    set_dimension,
)

DIMENSION_PICKER = "qaf_dimension_picker"
DRAFTS = "qaf_component_drafts"  # this tab's unsaved answers, by component (the widgets come and go)
KEPT = "qaf_component_drafts_kept"  # what was last written to the server, by component
RESTORED = "qaf_component_drafts_restored"  # components whose draft came back from the server: when it was kept
BASES = "qaf_component_bases"  # the saved version the form was filled from, and its answers: a save names it
ERRORS = "qaf_component_errors"
EVIDENCE = "qaf_workshop_evidence"  # the evidence lines of the open assessment, and when they were computed
EVIDENCE_SECONDS = 300
AS_DERIVED = "as_derived"  # the agreed-level choice "the same as the actions in place give"


def _draft_key(assessment_id: int, code: str) -> str:
    return f"{assessment_id}:{code}"


def _saved_state(result: ComponentResult) -> dict[str, Any]:
    if not result.scored:
        return {"in_place": set(), "agreed": AS_DERIVED, "reason": "", "notes": ""}
    agreed = AS_DERIVED if result.agreed_level == result.derived_level else int(result.agreed_level or 0)
    return {"in_place": set(result.in_place), "agreed": agreed, "reason": result.level_reason, "notes": result.notes}


def _comparable(draft: dict[str, Any]) -> tuple[Any, ...]:
    """A draft as it would be saved: text without leading or trailing spaces (as the service stores it)."""
    return (frozenset(draft["in_place"]), draft["agreed"], as_saved(draft["reason"]), as_saved(draft["notes"]))


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
    agreed = state.get(_widget(assessment_id, component.code, "agreed"), AS_DERIVED)
    if agreed not in (AS_DERIVED, *(int(level) for level in Level)):
        agreed = AS_DERIVED  # never a label the browser held from an older run
    differs = agreed != AS_DERIVED and Level(agreed) != derived
    return {"in_place": in_place, "agreed": agreed,
            "reason": state.get(_widget(assessment_id, component.code, "reason"), "") if differs else "",
            "notes": state.get(_widget(assessment_id, component.code, "notes"), "")}


def _forget_widgets(assessment_id: int, component: Component) -> None:
    for name in [*(a.id for a in component.actions), "agreed", "reason", "notes"]:
        st.session_state.pop(_widget(assessment_id, component.code, name), None)


def _forget_draft(key: str) -> None:
    for store in (DRAFTS, KEPT, RESTORED, BASES):
        st.session_state[store].pop(key, None)


def _save(assessment_id: int, component: Component, loaded_version: int) -> None:
    key = _draft_key(assessment_id, component.code)
    draft = _draft_from_widgets(assessment_id, component)
    saved = submit(lambda session: services.save_component_rating(
        session, actor=current_actor(), assessment_id=assessment_id, component_code=component.code,
        expected_version=loaded_version, in_place=sorted(draft["in_place"]),
        agreed_level=None if draft["agreed"] == AS_DERIVED else Level(draft["agreed"]),
        level_reason=draft["reason"], notes=draft["notes"]),
        errors_key=key, general_field="save", store=st.session_state[ERRORS],
        success=t("workshop.saved", component=component.label))
    if saved is NOT_SAVED:
        st.session_state[DRAFTS][key] = draft  # kept as typed: the facilitator can compare and save again
    else:
        _forget_draft(key)  # the service removed the server's copy in the same transaction
        _forget_widgets(assessment_id, component)  # shown again as saved (notes without trailing spaces)


def _discard(assessment_id: int, component: Component) -> None:
    key = _draft_key(assessment_id, component.code)
    if submit(lambda session: services.discard_draft(session, actor=current_actor(), assessment_id=assessment_id,
                                                     component_code=component.code),
              errors_key=key, general_field="save", store=st.session_state[ERRORS],
              success=t("workshop.draft_discarded", component=component.label)) is not NOT_SAVED:
        _forget_draft(key)
        _forget_widgets(assessment_id, component)


def _clear_errors(key: str) -> None:
    """A changed answer: the messages about the old one no longer apply."""
    st.session_state[ERRORS].pop(key, None)


def _untouched(assessment_id: int, component: Component, base: dict[str, Any]) -> bool:
    """The form still holds the answers it was filled with (nothing ticked, chosen or typed since)."""
    if base["state"] is None:  # a draft brought back from the server: its author changed something
        return False
    if _widget(assessment_id, component.code, "notes") not in st.session_state:
        return _draft_key(assessment_id, component.code) not in st.session_state[DRAFTS]
    return _comparable(_draft_from_widgets(assessment_id, component)) == _comparable(base["state"])


def _base(view: services.AssessmentView, component: Component, result: ComponentResult) -> dict[str, Any]:
    """The saved version this person's form was filled from. A colleague's save shows at once in a form nobody
    has touched since; in a form with changes it stays unseen until the person looks at it (``_overtaken``), and
    a save names the version the form was filled from, so it never replaces answers its author has not seen."""
    key = _draft_key(view.id, component.code)
    bases = st.session_state[BASES]
    current = {"version": result.version_id if result.scored else 0, "state": _saved_state(result)}
    base = bases.get(key)
    if base is None or (base["version"] != current["version"] and _untouched(view.id, component, base)):
        if base is not None:
            _forget_widgets(view.id, component)
            st.session_state[DRAFTS].pop(key, None)
        bases[key] = base = current
    return base


def _rebase(view: services.AssessmentView, component: Component, result: ComponentResult) -> None:
    """The person has seen the colleague's saved answers: their next save may replace them."""
    st.session_state[BASES][_draft_key(view.id, component.code)] = {
        "version": result.version_id if result.scored else 0, "state": _saved_state(result)}


def _overtaken(view: services.AssessmentView, component: Component, result: ComponentResult) -> None:
    """Someone saved the component after this person's form was filled: what they saved, beside the changes this
    person has not saved, and the two ways on (drop mine, or save mine over theirs now that I have seen it)."""
    aid, code = view.id, component.code
    st.warning(t("workshop.overtaken", who=for_markdown(result.updated_by),
                 when=format_datetime(result.updated_at) if result.updated_at else ""), icon=":material/group:")
    with st.container(border=True):
        texts = [for_markdown(a.text) for a in component.actions if a.id in set(result.in_place)]
        st.markdown(f"**{t('workshop.theirs_level')}** {level_label(result.agreed_level)}")
        st.markdown(f"**{t('workshop.theirs_in_place', count=len(texts))}**")
        for text in texts:
            st.markdown(f"- {text}")
        if result.level_reason:
            st.markdown(f"**{t('workshop.level_reason')}**")
            st.text(result.level_reason)
        st.markdown(f"**{t('workshop.notes')}**")
        st.text(result.notes or "—")
        mine, theirs = st.columns(2)
        mine.button(t("workshop.save_mine", code=code), key=_widget(aid, code, "save_mine"), on_click=_save,
                    args=(aid, component, result.version_id if result.scored else 0), width="stretch")
        theirs.button(t("workshop.discard_draft"), key=_widget(aid, code, "take_theirs"), on_click=_discard,
                      args=(aid, component), width="stretch")


def _keep_on_server(view: services.AssessmentView, code: str, draft: dict[str, Any] | None,
                    base_version: int) -> None:
    """Write the draft to the server when it changed since it was last written (or remove it when the answers
    are back to what is saved)."""
    key = _draft_key(view.id, code)
    kept = st.session_state[KEPT].get(key)
    if draft is None:
        if kept is not None:
            with unit_of_work() as session:
                services.discard_draft(session, actor=current_actor(), assessment_id=view.id, component_code=code)
            st.session_state[KEPT].pop(key, None)
        return
    if kept is not None and _comparable(kept) == _comparable(draft):
        return
    with unit_of_work() as session:
        services.keep_draft(session, actor=current_actor(), assessment_id=view.id, component_code=code,
                            in_place=sorted(draft["in_place"]),
                            agreed=None if draft["agreed"] == AS_DERIVED else int(draft["agreed"]),
                            reason=draft["reason"], notes=draft["notes"], base_version=base_version)
    st.session_state[KEPT][key] = {**draft, "in_place": set(draft["in_place"])}


def _from_server(kept: services.DraftView) -> dict[str, Any]:
    return {"in_place": set(kept.in_place), "agreed": AS_DERIVED if kept.agreed is None else kept.agreed,
            "reason": kept.reason, "notes": kept.notes}


def _evidence(lines: list[EvidenceLine]) -> None:
    """What the tool already holds for the component, beside the Change Grid: informative, it ticks nothing."""
    with st.expander(t("workshop.evidence_heading", count=len(lines)), icon=":material/query_stats:"):
        st.caption(t("workshop.evidence_help"))
        st.dataframe(pd.DataFrame([{t("workshop.evidence_col.what"): x.label,
                                    t("workshop.evidence_col.figure"): x.figure,
                                    t("workshop.evidence_col.over"): x.detail} for x in lines]),
                     hide_index=True, width="stretch")


def _component(view: services.AssessmentView, component: Component, result: ComponentResult,
               server_drafts: dict[str, services.DraftView], evidence: list[EvidenceLine]) -> None:
    aid, code = view.id, component.code
    key = _draft_key(aid, code)
    saved = _saved_state(result)
    draft = st.session_state[DRAFTS].get(key)
    if draft is None and code in server_drafts and key not in st.session_state[KEPT]:
        # A new browser session (a reload, another tab, after a dropped connection): bring the draft back.
        draft = _from_server(server_drafts[code])
        st.session_state[DRAFTS][key] = draft
        st.session_state[KEPT][key] = dict(draft)
        st.session_state[RESTORED][key] = server_drafts[code].updated_at
        base_version = server_drafts[code].base_version
        st.session_state[BASES][key] = {"version": result.version_id if base_version is None else base_version,
                                        "state": None}
        _forget_widgets(aid, component)
    base = _base(view, component, result)
    draft = st.session_state[DRAFTS].get(key) or {**saved, "in_place": set(saved["in_place"])}
    errors = st.session_state[ERRORS].get(key, {})
    disabled = not view.can_edit
    on_change = {"on_change": _clear_errors, "args": (key,)}

    with st.container(border=True):
        head, level_col = st.columns([3, 2])
        head.subheader(for_markdown(component.label), anchor=f"component-{code}")
        restored = st.session_state[RESTORED].get(key)
        current_version = result.version_id if result.scored else 0
        if restored and not disabled and base["version"] == current_version:
            note, discard = st.columns([4, 1])
            note.info(t("workshop.restored", when=format_datetime(restored)), icon=":material/restore:")
            discard.button(t("workshop.discard_draft"), key=_widget(aid, code, "discard"), on_click=_discard,
                           args=(aid, component), width="stretch")
        if result.from_baseline:
            st.warning(t("workshop.from_baseline"), icon=":material/history:")
        if component.guiding_questions:
            with st.expander(t("workshop.guiding_questions"), expanded=False):
                for question in component.guiding_questions:
                    st.markdown(f"- {for_markdown(question)}")
        if evidence:
            _evidence(evidence)
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
                                   width="stretch", **on_change):
                        in_place.add(action.id)
        derived = derive_level(component.column_action_ids, in_place)
        options: list[int | str] = [AS_DERIVED, *[int(level) for level in Level]]
        agreed_key = _widget(aid, code, "agreed")
        _seed(agreed_key, draft["agreed"])
        if st.session_state[agreed_key] not in options:
            st.session_state[agreed_key] = AS_DERIVED
        reason_key = _widget(aid, code, "reason")
        _seed(reason_key, draft["reason"])
        notes_key = _widget(aid, code, "notes")
        _seed(notes_key, draft["notes"])
        with level_col:
            st.caption(t("workshop.derived_level"))
            level_badge(derived)
        left, right = st.columns(2)
        agreed = left.selectbox(
            t("workshop.agreed_level"), options, key=agreed_key, disabled=disabled, **on_change,
            # Labels stay the same from run to run: the browser sends back the label it shows, and a label that
            # followed the derived level would no longer name an option after a tick.
            format_func=lambda v: t("workshop.same_as_derived") if v == AS_DERIVED else level_label(Level(v)),
        )
        effective = derived if agreed == AS_DERIVED else Level(agreed)
        reason = ""
        with left:
            if effective != derived:
                reason = st.text_area(t("workshop.level_reason"), key=reason_key, disabled=disabled, **on_change,
                                      help=t("workshop.level_reason_help"), max_chars=REASON_LIMIT)
            field_error(errors, "level_reason")
        with right:
            notes = st.text_area(t("workshop.notes"), key=notes_key, disabled=disabled, max_chars=NOTES_LIMIT,
                                 help=t("common.no_identifying_details"), **on_change)
            st.caption(t("common.no_identifying_details"))
            field_error(errors, "notes")
        draft = {"in_place": in_place, "agreed": agreed, "reason": reason if effective != derived else "",
                 "notes": notes}
        changed = _comparable(draft) != _comparable(saved)
        if changed:
            st.session_state[DRAFTS][key] = draft
        else:
            st.session_state[DRAFTS].pop(key, None)
            st.session_state[RESTORED].pop(key, None)
        if not changed and base["version"] != current_version:
            _rebase(view, component, result)  # the colleague saved what this person has: nothing to compare
            base = st.session_state[BASES][key]
        if not disabled:
            _keep_on_server(view, code, draft if changed else None, base["version"])
        status_col, button_col = st.columns([3, 1])
        with status_col:
            if result.from_baseline:
                st.caption(t("workshop.copied_state", level=level_label(result.agreed_level)))
            elif result.scored:
                st.caption(t("workshop.saved_state", level=level_label(result.agreed_level),
                             who=for_markdown(result.updated_by),
                             when=format_datetime(result.updated_at) if result.updated_at else ""))
            else:
                st.caption(t("workshop.not_saved_yet"))
            if changed and not disabled:
                st.warning(t("workshop.unsaved"), icon=":material/edit:")
            field_error(errors, "save")
            field_error(errors, "in_place")
        if changed and not disabled and base["version"] != current_version:
            _overtaken(view, component, result)
        if not disabled:
            label = "workshop.confirm_component" if result.from_baseline and not changed else "workshop.save_component"
            button_col.button(t(label, code=code), key=_widget(aid, code, "save"),
                              type="primary", on_click=_save, args=(aid, component, base["version"]),
                              width="stretch")


@page_part
def _component_part(view: services.AssessmentView, component: Component, result: ComponentResult,
                    server_drafts: dict[str, services.DraftView], evidence: list[EvidenceLine]) -> None:
    """One component, redrawn on its own by a tick, a choice or a save inside it. On its own runs it reads the
    assessment afresh (a colleague's save shows at once); when what the rest of the page shows has changed with
    it (a first save adds to the counts in the dimension tabs, the assessment was finalised), the whole page is
    drawn again instead."""
    if part_rerun():
        with unit_of_work() as session:
            fresh_view, _framework, summary = services.assessment_results(session, view.id, actor=current_actor())
        fresh = next(r for r in summary.results if r.component.code == component.code)
        if (fresh_view.status, fresh_view.can_edit, fresh.scored, fresh.from_baseline) != (
                view.status, view.can_edit, result.scored, result.from_baseline):
            st.rerun(scope="app")
        view, result, server_drafts = fresh_view, fresh, {}  # drafts come back from the server on a whole run only
    _component(view, component, result, server_drafts, evidence)


def _next(number: int) -> None:
    set_dimension(number)
    ask_scroll_to_top()


def render() -> None:
    view, framework, summary = require_results()
    for store in (DRAFTS, KEPT, RESTORED, BASES, ERRORS):
        st.session_state.setdefault(store, {})
    scroll_to_top_if_asked()
    title, switch = st.columns([3, 1], vertical_alignment="center")
    with switch:
        presenting = presentation_toggle()
    collapse_sidebar(presenting)
    title.title(for_markdown(view.name))
    assessment_header(view, compact=presenting)
    results = {r.component.code: r for r in summary.results}
    numbers = [d.number for d in framework.dimensions]
    server_drafts: dict[str, services.DraftView] = {}
    if view.can_edit:
        with unit_of_work() as session:
            server_drafts = services.drafts_for(session, actor=current_actor(), assessment_id=view.id)

    current = dimension_picker(numbers, lambda n: _dimension_tab_label(framework, results, n), DIMENSION_PICKER,
                               compact=presenting)

    dimension = framework.dimension(current)
    st.header(for_markdown(dimension.label))
    evidence = _evidence_of(view.id)
    for component in dimension.components:
        _component_part(view, component, results[component.code], server_drafts, evidence.get(component.code, []))

    position = numbers.index(current)
    prev_col, _, next_col = st.columns([1, 2, 1])
    if position > 0:
        prev_col.button(t("workshop.previous", label=framework.dimension(numbers[position - 1]).label),
                        on_click=_next, args=(numbers[position - 1],), width="stretch")
    if position < len(numbers) - 1:
        next_col.button(t("workshop.next", label=framework.dimension(numbers[position + 1]).label),
                        on_click=_next, args=(numbers[position + 1],), width="stretch")
    else:
        next_col.page_link("qaf/ui/summary.py", label=t("workshop.to_summary"), icon=":material/leaderboard:")


def _evidence_of(assessment_id: int) -> dict[str, list[EvidenceLine]]:
    """The evidence for every component, computed once and kept for this browser session a few minutes: it
    summarises months of records, and the facilitator's every tick reruns the page."""
    kept = st.session_state.get(EVIDENCE)
    if kept and kept["assessment"] == assessment_id and time.monotonic() - kept["at"] < EVIDENCE_SECONDS:
        return kept["lines"]
    try:
        with unit_of_work() as session:
            lines = evidence_for(session, actor=current_actor(), assessment_id=assessment_id)
    except Forbidden:
        lines = {}
    st.session_state[EVIDENCE] = {"assessment": assessment_id, "at": time.monotonic(), "lines": lines}
    return lines


def _dimension_tab_label(framework: Framework, results: dict[str, ComponentResult], number: int) -> str:
    dimension = framework.dimension(number)
    done = sum(1 for c in dimension.components if results[c.code].scored)
    mark = "✓" if done == len(dimension.components) else f"{done}/{len(dimension.components)}"
    return f"{number}. {dimension.title} ({mark})"


render()
