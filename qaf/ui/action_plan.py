"""The action plan: for each component below Good practice, the next column's actions not yet in place are
offered as key actions; the task force picks them, adds its own, and gives each an owner, a due date, resources,
a priority and a status. Downloads as PDF, Excel and CSV."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy.orm import Session

from core.i18n import format_date, t, tn
from core.safe_text import for_markdown, markdown_code
from core.ui import NOT_SAVED, current_actor, deferred_download, field_error, submit, unit_of_work
from improvement_actions.rules import PRIORITIES, STATUSES
from qaf import reports, services
from qaf.action_plan import KeyActionDraft
from qaf.framework import Component
from qaf.levels import Level, level_label
from qaf.ui.common import assessment_header, dimension_picker, level_badge, require_results

EDITING = "qaf_key_action_editing"
PICKER = "qaf_plan_dimension_picker"
ERRORS = "qaf_key_action_errors"


def _start_editing(component_code: str, key_action: services.KeyActionView | None = None,
                   suggestion_id: str | None = None, suggestion_text: str = "") -> None:
    if key_action is not None:
        draft = key_action.as_draft().__dict__
    else:
        draft = KeyActionDraft(component_code=component_code, text=suggestion_text,
                               change_grid_action_id=suggestion_id).__dict__
    st.session_state[EDITING] = {"id": key_action.id if key_action else None, "draft": dict(draft),
                                 "version": key_action.version_id if key_action else None}
    st.session_state[ERRORS] = {}


def _cancel() -> None:
    st.session_state.pop(EDITING, None)
    st.session_state[ERRORS] = {}


def _delete(key_action_id: int) -> None:
    submit(lambda session: services.delete_key_action(session, actor=current_actor(), key_action_id=key_action_id),
           errors_key=ERRORS, general_field="delete", success=t("action_plan.deleted"))


def _editor(view: services.AssessmentView, component: Component) -> None:
    editing: dict[str, Any] = st.session_state[EDITING]
    draft: dict[str, Any] = editing["draft"]
    errors: dict[str, str] = st.session_state.get(ERRORS, {})
    final = not view.can_edit  # final, or a manager tracking: only status and progress change
    heading = t("action_plan.edit_heading") if editing["id"] else t("action_plan.new_heading")
    with st.form(f"key_action_form_{component.code}"):
        st.markdown(f"**{heading}**")
        if draft.get("change_grid_action_id"):
            st.caption(t("action_plan.from_grid", id=draft["change_grid_action_id"]))
        text = st.text_area(t("report.col.key_action"), value=draft["text"], disabled=final, max_chars=2000)
        field_error(errors, "text")
        left, right = st.columns(2)
        owner_person = left.text_input(t("action_plan.field.owner_person"), value=draft["owner_person"],
                                       disabled=final, max_chars=200)
        owner_agency = right.text_input(t("action_plan.field.owner_agency"), value=draft["owner_agency"],
                                        disabled=final, max_chars=200)
        field_error(errors, "owner")
        left, mid, right = st.columns(3)
        due_on = left.date_input(t("action_plan.field.due_on"), value=draft["due_on"], disabled=final,
                                 format="YYYY-MM-DD", help=t("action_plan.due_on_help",
                                                              date=format_date(view.assessed_on)))
        with left:
            field_error(errors, "due_on")
        priority = mid.selectbox(t("report.col.priority"), PRIORITIES, index=PRIORITIES.index(draft["priority"]),
                                 format_func=lambda p: t(f"improvement_action.priority.{p}"), disabled=final)
        status = right.selectbox(t("report.col.status"), STATUSES, index=STATUSES.index(draft["status"]),
                                 format_func=lambda s: t(f"improvement_action.status.{s}"))
        resources = st.text_input(t("report.col.resources"), value=draft["resources"], disabled=final,
                                  max_chars=2000)
        field_error(errors, "resources")
        progress_notes = st.text_area(t("report.col.progress"), value=draft["progress_notes"], max_chars=2000,
                                      help=t("common.no_identifying_details"))
        field_error(errors, "progress_notes")
        save_col, cancel_col = st.columns([1, 1])
        saved = save_col.form_submit_button(t("action_plan.save"), type="primary")
        cancelled = cancel_col.form_submit_button(t("common.cancel"))
    if cancelled:
        _cancel()
        st.rerun()
    if not saved:
        return
    new_draft = KeyActionDraft(
        component_code=component.code, text=text, owner_person=owner_person, owner_agency=owner_agency,
        due_on=due_on if isinstance(due_on, date) else None, resources=resources, priority=priority,
        status=status, progress_notes=progress_notes, change_grid_action_id=draft.get("change_grid_action_id"),
    )
    editing["draft"] = dict(new_draft.__dict__)  # what was typed stays in the form whatever happens

    def save(session: Session) -> None:
        if editing["id"]:
            services.update_key_action(session, actor=current_actor(), key_action_id=editing["id"], draft=new_draft,
                                       expected_version=editing.get("version"))
        else:
            services.add_key_action(session, actor=current_actor(), assessment_id=view.id, draft=new_draft)

    if submit(save, errors_key=ERRORS, general_field="text", success=t("action_plan.saved")) is not NOT_SAVED:
        _cancel()
    st.rerun()


def _key_action_row(view: services.AssessmentView, action: services.KeyActionView, number: int) -> None:
    text_col, meta_col, buttons = st.columns([5, 4, 2])
    grid = f" {markdown_code(action.change_grid_action_id)}" if action.change_grid_action_id else ""
    text_col.markdown(f"{number}. {for_markdown(action.text)}{grid}")
    meta_col.caption(" · ".join(for_markdown(x) for x in (
        action.owner, format_date(action.due_on), t(f"improvement_action.priority.{action.priority}"),
        t(f"improvement_action.status.{action.status}")) if x))
    buttons.button(t("action_plan.edit"), key=f"edit_{action.id}", on_click=_start_editing,
                   args=(action.component_code, action), width="stretch")
    if view.can_edit:
        buttons.button(t("action_plan.delete"), key=f"delete_{action.id}", on_click=_delete, args=(action.id,),
                       width="stretch")


def _dimension_label(plan: services.ActionPlan, number: int) -> str:
    dimension = plan.framework.dimension(number)
    count = sum(len(plan.actions_for(c.code)) for c in dimension.components)
    return f"{number}. {dimension.title} ({count})"


def render() -> None:
    view = require_results()[0]
    st.session_state.setdefault(ERRORS, {})
    with unit_of_work() as session:
        plan = services.action_plan(session, view.id, actor=current_actor())
    view = plan.assessment
    st.title(t("action_plan.title"))
    st.subheader(for_markdown(view.name))
    assessment_header(view)

    with_notes = st.checkbox(t("report.include_notes"), key="qaf_pdf_with_notes")
    downloads = st.columns(3)
    for column, (fmt, label, mime, icon) in zip(downloads, (
            ("pdf", "action_plan.download_pdf", "application/pdf", ":material/picture_as_pdf:"),
            ("xlsx", "action_plan.download_xlsx",
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ":material/table:"),
            ("csv", "action_plan.download_csv", "text/csv", ":material/csv:")), strict=True):
        deferred_download(column, t(label), file_name=reports.report_filename(plan, fmt), mime=mime, icon=icon,
                          build=lambda session, actor, fmt=fmt: reports.export_action_plan(
                              session, actor=actor, assessment_id=view.id, fmt=fmt, include_notes=with_notes))

    if plan.key_actions:
        frame = pd.DataFrame([{
            t("report.col.component"): a.component_code, t("report.col.key_action"): a.text,
            t("report.col.owner"): a.owner, t("report.col.due"): a.due_on,
            t("report.col.priority"): t(f"improvement_action.priority.{a.priority}"),
            t("report.col.status"): t(f"improvement_action.status.{a.status}"),
        } for a in plan.key_actions])
        st.caption(tn("action_plan.count", len(plan.key_actions)))
        st.dataframe(frame, hide_index=True, width="stretch",
                     column_config={
                         t("report.col.component"): st.column_config.TextColumn(width="small"),
                         t("report.col.key_action"): st.column_config.TextColumn(width="large"),
                         t("report.col.owner"): st.column_config.TextColumn(width="medium"),
                         t("report.col.due"): st.column_config.DateColumn(format="YYYY-MM-DD", width="small"),
                         t("report.col.priority"): st.column_config.TextColumn(width="small"),
                         t("report.col.status"): st.column_config.TextColumn(width="small"),
                     })
    else:
        st.info(t("action_plan.empty"))
    field_error(st.session_state[ERRORS], "delete")

    editing = st.session_state.get(EDITING)
    results = {r.component.code: r for r in plan.summary.results}
    st.divider()
    numbers = [d.number for d in plan.framework.dimensions]
    current = dimension_picker(numbers, lambda n: _dimension_label(plan, n), PICKER)
    for dimension in [plan.framework.dimension(current)]:
        st.header(for_markdown(dimension.label))
        for component in dimension.components:
            result = results[component.code]
            actions = plan.actions_for(component.code)
            suggestions = plan.suggestions.get(component.code, [])
            with st.container(border=True):
                title_col, badge_col = st.columns([3, 1])
                title_col.subheader(for_markdown(component.label))
                with badge_col:
                    level_badge(result.level)
                if not result.scored:
                    st.caption(t("action_plan.not_scored"))
                elif result.level == Level.GOOD_PRACTICE and not actions:
                    st.caption(t("action_plan.good_practice"))
                for number, action in enumerate(actions, start=1):
                    _key_action_row(view, action, number)
                if suggestions and view.can_edit:
                    target = level_label(Level(int(result.level or 0) + 1))
                    st.markdown(f"*{t('action_plan.suggested', level=target)}*")
                    for suggestion in suggestions:
                        text_col, button_col = st.columns([9, 2])
                        text_col.markdown(f"- {for_markdown(suggestion.text)} {markdown_code(suggestion.id)}")
                        button_col.button(t("action_plan.make_key"), key=f"pick_{suggestion.id}",
                                          on_click=_start_editing,
                                          args=(component.code, None, suggestion.id, suggestion.text),
                                          width="stretch")
                if view.can_edit and result.scored:
                    st.button(t("action_plan.add_own"), key=f"own_{component.code}", on_click=_start_editing,
                              args=(component.code,), icon=":material/add:")
                if editing and editing["draft"]["component_code"] == component.code:
                    _editor(view, component)


render()
