"""One case file review: the checklist answered item by item (items the dates decide come pre-answered and
marked "computed"), strengths, feedback and agreed follow-up actions; saved as a draft, then completed (read-only).
The caseworker reads it here and acknowledges it."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from checklists import reports
from checklists.review import ANSWERS, AnswerDraft
from checklists.services import reviews as services
from checklists.ui.common import timeliness_table
from core.actor import Role
from core.errors import Forbidden, NotFound
from core.i18n import format_date, format_datetime, t
from core.levels import level_label
from core.safe_text import for_markdown
from core.ui import NOT_SAVED, current_actor, deferred_download, field_error, page_for, submit, unit_of_work
from core.ui.layout import read_only_banner
from improvement_actions.rules import PRIORITIES, ImprovementActionDraft

ERRORS = "review_errors"
CURRENT_REVIEW = "review_current"

actor = page_for(Role.SUPERVISOR, Role.MANAGER, Role.CASEWORKER)
st.session_state.setdefault(ERRORS, {})
errors: dict[str, str] = st.session_state[ERRORS]

requested = st.query_params.get("review", "")
review_id = int(requested) if requested.isdigit() else st.session_state.get(CURRENT_REVIEW)
view = None
if review_id is not None:
    try:
        with unit_of_work() as session:
            view = services.get_review(session, actor=actor, review_id=int(review_id))
            found_actions = services.follow_up_actions(session, actor=actor, review_id=int(review_id))
    except (NotFound, Forbidden) as exc:
        st.error(for_markdown(str(exc)))
        st.session_state.pop(CURRENT_REVIEW, None)
if view is None:
    st.title(t("review.title"))
    st.info(t("review.none_open"))
    st.page_link("checklists/ui/reviews.py", label=t("nav.reviews"), icon=":material/fact_check:")
    st.stop()
st.session_state[CURRENT_REVIEW] = view.id
st.query_params["review"] = str(view.id)
checklist = view.checklist
assert checklist is not None

st.title(t("review.heading", code=view.case_code))
st.caption(t("review.subtitle", caseworker=view.caseworker_name, reviewer=view.reviewer_name,
             date=format_date(view.reviewed_on), checklist=view.template_label))
result = view.result
one, two, three = st.columns(3)
one.metric(t("review.field.score"), reports.score_text(result.percent if result else None))
two.metric(t("review.field.level"), level_label(result.level if result else None))
three.metric(t("review.field.status"), t(f"review.status.{view.status}"))
st.caption(t("review.counts", yes=result.yes if result else 0, no=result.no if result else 0,
             na=result.na if result else 0, unanswered=result.unanswered if result else 0) + " " + view.thresholds_text)

if view.is_completed:
    if view.acknowledged_on:
        st.success(t("review.acknowledged_line", name=view.acknowledged_by, date=format_date(view.acknowledged_on)),
                   icon=":material/done_all:")
    elif view.may_acknowledge:
        st.info(t("review.acknowledge_help"), icon=":material/mark_email_unread:")
        if st.button(t("review.acknowledge"), type="primary"):
            submit(lambda s: services.acknowledge_review(s, actor=current_actor(), review_id=view.id),
                   errors_key=ERRORS, general_field="general", success=t("review.acknowledged"))
            st.rerun()
    else:
        st.caption(t("review.not_acknowledged"))
field_error(errors, "general")

with st.expander(t("review.timeliness_heading", date=format_date(view.reviewed_on)), expanded=not view.is_completed):
    timeliness_table(view.timeliness)


def answer_text(answer: str) -> str:
    return reports.answer_label(answer)


def _draft(review_id: int) -> dict[str, dict[str, str]]:
    """What this person has on the checklist, item by item, across every section: the widgets of the section on
    screen are copied in whenever the form is submitted (another section, Save, Complete), so a section drawn
    again shows what was typed there, and a save sends every section's answers."""
    return st.session_state[f"review_draft_{review_id}"]


def _keep(review_id: int, item_ids: list[str]) -> None:
    """Copy the section on screen into the draft; an item changed since a refused Complete loses its message."""
    state, draft, errors = st.session_state, _draft(review_id), st.session_state[ERRORS]
    for item_id in item_ids:
        entry = draft[item_id]
        for name in ("answer", "comment", "recommendation", "override"):
            key = f"{name}_{review_id}_{item_id}"
            if key in state:
                value = str(state[key] or "")
                if value != entry[name]:
                    entry[name] = value
                    errors.pop(f"item:{item_id}", None)


def _go(review_id: int, item_ids: list[str], section: int) -> None:
    """Another section: keep what was typed in this one, then draw that one."""
    _keep(review_id, item_ids)
    st.session_state[f"review_section_{review_id}"] = section


def _save(review_id: int, computed: dict[str, str | None], sections: list[list[str]], shown: int, loaded_key: str,
          complete: bool) -> None:
    """The form's Save or Complete, run before the page is drawn again (one script run per click, not two): every
    section's answers as this person has them, against the version they started from."""
    state = st.session_state
    _keep(review_id, sections[shown])
    draft = _draft(review_id)
    drafts = {item_id: AnswerDraft(item_id, draft[item_id]["answer"], draft[item_id]["comment"],
                                   draft[item_id]["recommendation"], answer,
                                   draft[item_id]["override"] if answer is not None else "")
              for item_id, answer in computed.items()}
    outcome = submit(lambda s: services.save_review(
        s, actor=current_actor(), review_id=review_id, answers=drafts,
        strengths=str(state.get(f"strengths_{review_id}") or ""),
        feedback=str(state.get(f"feedback_{review_id}") or ""),
        expected_version=state[loaded_key], complete=complete),
        errors_key=ERRORS, general_field="general", success=t("review.completed") if complete else t("review.saved"))
    # Saved: the next edit starts from the new version. Refused: the message names who changed it; a second
    # Save, after checking, goes over their version with what is on screen.
    if outcome is not NOT_SAVED:
        state.pop(f"feedback_{review_id}", None)  # drawn afresh from what is now saved
        return
    wrong = state[ERRORS]
    if "general" in wrong:
        with unit_of_work() as session:
            state[loaded_key] = services.get_review(session, actor=current_actor(), review_id=review_id).version_id
    if not any(f"item:{item_id}" in wrong for item_id in sections[shown]):  # the first section with a message
        state[f"review_section_{review_id}"] = next(
            (index for index, items in enumerate(sections) if any(f"item:{i}" in wrong for i in items)), shown)


if view.may_edit:
    st.info(t("review.how_to"), icon=":material/info:")
    # The version this person started from: a save over someone else's later save is refused (the version read in
    # the same run as the click would let it overwrite unseen), and the form and its fields keep stable keys so
    # what was typed stays on screen whatever happens in between.
    loaded_key = f"review_loaded_{view.id}"
    if f"feedback_{view.id}" not in st.session_state:  # the form is drawn afresh: it shows this version
        st.session_state[loaded_key] = view.version_id
        st.session_state[f"review_draft_{view.id}"] = {
            item.id: {"answer": stored.answer or "", "comment": stored.comment,
                      "recommendation": stored.recommendation, "override": stored.override_reason}
            for item in checklist.items() for stored in [view.answers.get(item.id) or AnswerDraft(item.id)]}
    draft = _draft(view.id)
    # One section at a time: a checklist drawn whole is 31 items of four fields each, and every click on the page
    # draws all of them again.
    sections = [[item.id for item in section.items] for section in checklist.sections]
    shown = min(int(st.session_state.get(f"review_section_{view.id}", 0)), len(sections) - 1)
    section = checklist.sections[shown]
    computed = {item.id: (view.answers.get(item.id) or AnswerDraft(item.id)).computed_answer
                for item in checklist.items()}
    with st.form(f"review_{view.id}"):
        menu, body = st.columns([1, 3], gap="medium")
        with menu:
            st.caption(t("review.sections"))
            for index, (part, item_ids) in enumerate(zip(checklist.sections, sections, strict=True)):
                answered = sum(1 for i in item_ids if draft[i]["answer"])
                wrong = any(f"item:{i}" in errors for i in item_ids)
                st.form_submit_button(
                    t("review.section_button", section=part.label, answered=answered, items=len(item_ids)),
                    key=f"review_go_{view.id}_{index}", type="primary" if index == shown else "tertiary",
                    icon=":material/error:" if wrong else ":material/check_circle:" if answered == len(item_ids)
                    else ":material/radio_button_unchecked:",
                    on_click=_go, args=(view.id, sections[shown], index), wrap=True)
        with body:
            st.subheader(for_markdown(section.label))
            for item in section.items:
                entry, was = draft[item.id], computed[item.id]
                st.markdown(f"**{for_markdown(item.id)}** {for_markdown(item.text)}")
                if item.guidance:
                    st.caption(for_markdown(item.guidance))
                if was is not None:
                    st.caption(t("review.computed_says", answer=answer_text(was)))
                options = ["", *ANSWERS]
                st.radio(t("review.answer_label", item=item.id), options, horizontal=True,
                         index=options.index(entry["answer"]) if entry["answer"] in options else 0,
                         format_func=answer_text, key=f"answer_{view.id}_{item.id}", label_visibility="collapsed")
                left, right = st.columns(2)
                left.text_input(t("review.comment"), value=entry["comment"], max_chars=2000,
                                key=f"comment_{view.id}_{item.id}")
                right.text_input(t("review.recommendation"), value=entry["recommendation"], max_chars=2000,
                                 key=f"recommendation_{view.id}_{item.id}")
                if was is not None:
                    st.text_input(t("review.override_reason"), value=entry["override"], max_chars=2000,
                                  help=t("review.override_help"), key=f"override_{view.id}_{item.id}")
                field_error(errors, f"item:{item.id}")
            back, forward = st.columns(2)
            if shown > 0:
                back.form_submit_button(t("review.previous_section"), icon=":material/arrow_back:",
                                        key=f"review_back_{view.id}", on_click=_go,
                                        args=(view.id, sections[shown], shown - 1))
            if shown < len(sections) - 1:
                forward.form_submit_button(t("review.next_section"), icon=":material/arrow_forward:",
                                           key=f"review_next_{view.id}", on_click=_go,
                                           args=(view.id, sections[shown], shown + 1))
        st.subheader(t("review.summary_heading"))
        st.caption(t("review.no_names"))
        st.text_area(t("review.field.strengths"), value=view.strengths, max_chars=4000, key=f"strengths_{view.id}")
        field_error(errors, "strengths")
        st.text_area(t("review.field.feedback"), value=view.feedback, max_chars=4000, help=t("review.feedback_help"),
                     key=f"feedback_{view.id}")
        field_error(errors, "feedback")
        field_error(errors, "answers")
        save_col, complete_col = st.columns(2)
        save_col.form_submit_button(t("review.save_draft"), icon=":material/save:", on_click=_save,
                                    args=(view.id, computed, sections, shown, loaded_key, False))
        complete_col.form_submit_button(t("review.complete"), type="primary", icon=":material/task_alt:",
                                        on_click=_save, args=(view.id, computed, sections, shown, loaded_key, True))
else:
    if not view.is_completed:
        read_only_banner(t("review.read_only_draft"))
    rows = []
    for section in checklist.sections:
        for item in section.items:
            answer = view.answers.get(item.id) or AnswerDraft(item.id)
            mark = ""
            if answer.computed_answer is not None:
                mark = t("review.overridden") if answer.overridden else t("review.computed")
            rows.append({t("review.report.col.item"): item.id, t("review.report.col.text"): item.text,
                         t("review.report.col.answer"): answer_text(answer.answer) + (f" ({mark})" if mark else ""),
                         t("review.report.col.comment"): " ".join(x for x in (answer.comment, answer.override_reason)
                                                                  if x),
                         t("review.report.col.recommendation"): answer.recommendation})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    st.subheader(t("review.field.strengths"))
    st.text(view.strengths or "—")
    st.subheader(t("review.field.feedback"))
    st.text(view.feedback or "—")
    if view.completed_at:
        st.caption(t("review.completed_at", when=format_datetime(view.completed_at)))

st.subheader(t("review.actions_heading"))
st.caption(t("review.actions_help"))
if found_actions:
    st.dataframe(pd.DataFrame([{
        t("review.report.col.item"): a.source.item or "—", t("review.report.col.action"): a.text,
        t("review.report.col.owner"): a.owner, t("review.report.col.due_on"): format_date(a.due_on),
        t("review.report.col.status"): t(f"improvement_action.status.{a.status}"),
    } for a in found_actions]), hide_index=True, width="stretch")
else:
    st.caption(t("review.no_actions"))
if view.may_add_actions:
    with st.form(f"add_action_{view.id}", clear_on_submit=True):
        items = ["", *[i.id for i in checklist.items()]]
        texts = {i.id: f"{i.id} {i.text}"[:90] for i in checklist.items()}
        item_id = st.selectbox(t("review.action_item"), items,
                               format_func=lambda i: texts.get(i, t("review.action_whole")))
        text = st.text_area(t("review.action_text"), max_chars=2000)
        field_error(errors, "text")
        left, mid, right = st.columns(3)
        owner = left.text_input(t("review.action_owner"), value=view.caseworker_name, max_chars=200)
        with left:
            field_error(errors, "owner")
        due = mid.date_input(t("review.action_due"), value=view.reviewed_on + timedelta(days=30),
                             format="YYYY-MM-DD")
        with mid:
            field_error(errors, "due_on")
        priority = right.selectbox(t("review.action_priority"), PRIORITIES, index=1,
                                   format_func=lambda p: t(f"improvement_action.priority.{p}"))
        field_error(errors, "item")
        if st.form_submit_button(t("review.action_add"), icon=":material/add_task:"):
            outcome = submit(lambda s: services.add_follow_up_action(
                s, actor=current_actor(), review_id=view.id, item_id=item_id,
                draft=ImprovementActionDraft(text=text, owner_person=owner,
                                             due_on=due if isinstance(due, date) else None, priority=priority)),
                errors_key=ERRORS, general_field="general", success=t("review.action_added"))
            if outcome is not NOT_SAVED:
                st.rerun()

st.divider()
left, right = st.columns(2)
deferred_download(left, t("review.download_pdf"), file_name=reports.review_filename(view), mime="application/pdf",
                  icon=":material/picture_as_pdf:",
                  build=lambda session, who: reports.export_review_pdf(session, actor=who, review_id=view.id))
if view.may_edit and not view.is_completed:
    with right.popover(t("review.delete_draft"), icon=":material/delete:"):
        st.caption(t("review.delete_help"))
        if st.button(t("review.delete_confirm"), type="primary"):
            outcome = submit(lambda s: services.delete_draft_review(s, actor=current_actor(), review_id=view.id),
                             errors_key=ERRORS, general_field="general", success=t("review.deleted"))
            if outcome is not NOT_SAVED:
                st.session_state.pop(CURRENT_REVIEW, None)
                st.switch_page("checklists/ui/reviews.py")
            st.rerun()
