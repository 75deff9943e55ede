"""Assessments: open one, create one, start one from a final baseline, load the example."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TypeVar

import pandas as pd
import streamlit as st
from sqlalchemy.orm import Session

from core.actor import Role
from core.i18n import format_date, t
from core.ui import NOT_SAVED, current_actor, field_error, submit, unit_of_work
from core.ui.layout import ask_scroll_to_top
from qaf import services
from qaf.assessment import SCOPES, AssessmentDetails, ParticipantEntry
from qaf.ui.common import CURRENT, open_assessment

ERRORS = "qaf_assessment_form_errors"
T = TypeVar("T")


def details_form(form_key: str, defaults: AssessmentDetails | None, framework_choices: dict[int, str] | None,
                 submit_label: str, people: dict[int, str],
                 members: list[int]) -> tuple[AssessmentDetails, int | None, list[int], str] | None:
    """The assessment details form; returns what was entered when submitted."""
    errors: dict[str, str] = st.session_state.get(ERRORS, {}).get(form_key, {})
    d = defaults or AssessmentDetails(name="", country="", scope="agency", assessed_on=date.today(), facilitator="")
    with st.form(form_key):
        name = st.text_input(t("assessment.field.name"), value=d.name, max_chars=200)
        field_error(errors, "name")
        left, right = st.columns(2)
        country = left.text_input(t("assessment.field.country"), value=d.country, max_chars=200)
        with left:
            field_error(errors, "country")
        assessed_on = right.date_input(t("assessment.field.assessed_on"), value=d.assessed_on, format="YYYY-MM-DD")
        with right:
            field_error(errors, "assessed_on")
        scope = left.radio(t("assessment.field.scope"), SCOPES, index=SCOPES.index(d.scope),
                           format_func=lambda s: t(f"assessment.scope.{s}"), horizontal=True)
        facilitator = right.text_input(t("assessment.field.facilitator"), value=d.facilitator, max_chars=200)
        with right:
            field_error(errors, "facilitator")
        agencies = st.text_area(t("assessment.field.agencies"), value="\n".join(d.agencies),
                                help=t("assessment.help.agencies"))
        field_error(errors, "agencies")
        st.markdown(f"**{t('assessment.field.participants')}**")
        st.caption(t("assessment.help.participants"))
        frame = pd.DataFrame([{"name": p.name, "agency": p.agency, "role": p.role} for p in d.participants],
                             columns=["name", "agency", "role"])
        edited = st.data_editor(
            frame, num_rows="dynamic", width="stretch", key=f"{form_key}_participants",
            column_config={
                "name": st.column_config.TextColumn(t("assessment.field.participant_name"), max_chars=200),
                "agency": st.column_config.TextColumn(t("assessment.field.participant_agency"), max_chars=200),
                "role": st.column_config.TextColumn(t("assessment.field.participant_role"), max_chars=200),
            },
        )
        field_error(errors, "participants")
        chosen_members = st.multiselect(t("assessment.field.members"), list(people), default=members,
                                        format_func=people.get, help=t("assessment.help.members"))
        from_partner = st.text_input(t("assessment.field.member_by_username"), max_chars=80,
                                     help=t("assessment.help.member_by_username"))
        field_error(errors, "members")
        framework_version_id = None
        if framework_choices:
            framework_version_id = st.selectbox(t("assessment.field.framework"), list(framework_choices),
                                                format_func=framework_choices.get)
        submitted = st.form_submit_button(submit_label, type="primary")
    if not submitted:
        return None
    participants = [
        ParticipantEntry(str(r.get("name") or ""), str(r.get("agency") or ""), str(r.get("role") or ""))
        for r in edited.fillna("").to_dict("records")
    ]
    details = AssessmentDetails(name=name, country=country, scope=scope, assessed_on=assessed_on,
                                facilitator=facilitator, agencies=agencies.splitlines(), participants=participants)
    return details, framework_version_id, [int(m) for m in chosen_members], from_partner


def _submit(form_key: str, general_field: str, action: Callable[[Session], T], success: str = "") -> T | object:
    """The shared submit helper, with this page's messages kept per form."""
    return submit(action, errors_key=form_key, general_field=general_field, success=success,
                  store=st.session_state.setdefault(ERRORS, {}))


def _open_or_rerun(new_id: object) -> None:
    """Open a newly made assessment in the workshop; if it was not saved, show the form again with its messages."""
    if new_id is NOT_SAVED:
        st.rerun()
    open_assessment(int(new_id))  # type: ignore[call-overload]
    ask_scroll_to_top()  # the workshop opens at its top, not where this page was scrolled to
    st.switch_page("qaf/ui/workshop.py")


def _empty_state_role() -> str:
    """What this person can do next when there is nothing to list."""
    for role in (Role.FACILITATOR, Role.ADMINISTRATOR, Role.MANAGER):
        if actor.has(role):
            return role.value
    return "member"


def _manage(view: services.AssessmentView) -> None:
    """The facilitator archives an assessment (or brings it back), or deletes an empty draft."""
    with st.expander(t("assessments.manage_heading", name=view.name)):
        errors = st.session_state.get(ERRORS, {}).get("manage", {})
        st.caption(t("assessments.archive_help"))
        archive = not view.archived
        if st.button(t("assessments.archive_button" if archive else "assessments.unarchive_button"),
                     icon=":material/archive:" if archive else ":material/unarchive:"):
            _submit("manage", "manage", lambda session: services.archive_assessment(
                session, actor=actor, assessment_id=view.id, archived=archive),
                success=t("assessments.archived" if archive else "assessments.unarchived"))
            st.rerun()
        if view.status == "draft" and not view.scored_count:
            st.caption(t("assessments.delete_help"))
            sure = st.checkbox(t("assessments.delete_confirm"))
            if st.button(t("assessments.delete_button"), icon=":material/delete:", disabled=not sure):
                if _submit("manage", "manage", lambda session: services.delete_assessment(
                        session, actor=actor, assessment_id=view.id), success=t("assessments.deleted")) \
                        is not NOT_SAVED:
                    st.session_state.pop(CURRENT, None)
                st.rerun()
        field_error(errors, "manage")


actor = current_actor()
st.title(t("assessments.title"))
st.caption(t("assessments.intro"))

show_archived = st.toggle(t("assessments.show_archived"))
with unit_of_work() as session:
    assessments = services.list_assessments(session, actor=actor, archived=show_archived)
    people = {a.id: a.display_name for a in services.people_to_choose(session, actor=actor)}
    versions = services.list_framework_versions(session)

if assessments:
    table = pd.DataFrame([{
        t("assessments.col.name"): a.name,
        t("assessment.field.country"): a.country,
        t("assessment.field.assessed_on"): format_date(a.assessed_on),
        t("assessment.field.scope"): t(f"assessment.scope.{a.scope}"),
        t("assessment.field.status"): t(f"assessment.status.{a.status}"),
        t("assessments.col.scored"): f"{a.scored_count} / {a.component_total}",
    } for a in assessments])
    st.dataframe(table, hide_index=True, width="stretch")
    ids = [a.id for a in assessments]
    labels = {a.id: f"{a.name} — {format_date(a.assessed_on)}" for a in assessments}
    current = st.session_state.get(CURRENT)
    choice = st.selectbox(t("assessments.open_label"), ids, format_func=labels.get,
                          index=ids.index(current) if current in ids else 0)
    if st.button(t("assessments.open_button"), type="primary"):
        open_assessment(choice)
        ask_scroll_to_top()
        st.switch_page("qaf/ui/workshop.py")
    chosen = next(a for a in assessments if a.id == choice)
    if chosen.is_facilitator:
        _manage(chosen)
elif show_archived:
    st.info(t("assessments.archived_empty"))
else:
    st.info(t(f"assessments.empty.{_empty_state_role()}"))

if actor.has(Role.FACILITATOR):
    st.divider()
    st.subheader(t("assessments.new_heading"))
    choices = {v.id: v.label for v in versions}
    blank = AssessmentDetails(name="", country="", scope="agency", assessed_on=date.today(), facilitator=actor.name)
    submitted = details_form("new_assessment", blank, choices, t("assessments.create_button"), people, [])
    if submitted:
        details, version_id, members, from_partner = submitted
        _open_or_rerun(_submit("new_assessment", "name", lambda session: services.create_assessment(
            session, actor=actor, details=details, framework_version_id=int(version_id or 0),
            participant_account_ids=members, participant_usernames=[from_partner])))
else:
    st.caption(t("assessments.facilitators_create"))

current = next((a for a in assessments if a.id == st.session_state.get(CURRENT)), None)
if current is not None and current.can_edit:
    with st.expander(t("assessments.edit_heading", name=current.name)):
        field_error(st.session_state.get(ERRORS, {}).get("edit_assessment", {}), "save")
        edited_details = details_form("edit_assessment", current.details, None, t("common.save"), people,
                                      list(current.member_account_ids))
        if edited_details:
            _submit("edit_assessment", "save", lambda session: services.update_assessment_details(
                session, actor=actor, assessment_id=current.id, details=edited_details[0],
                participant_account_ids=edited_details[2], participant_usernames=[edited_details[3]],
                expected_version=current.version_id),
                success=t("common.saved"))
            st.rerun()

finals = [a for a in assessments if a.is_final] if actor.has(Role.FACILITATOR) else []
if finals:
    with st.expander(t("assessments.baseline_heading")):
        st.caption(t("assessments.baseline_help"))
        final_labels = {a.id: f"{a.name} — {format_date(a.assessed_on)}" for a in finals}
        baseline_id = st.selectbox(t("assessments.baseline_label"), list(final_labels), format_func=final_labels.get)
        base = next(a for a in finals if a.id == baseline_id)
        defaults = AssessmentDetails(name=f"{base.name} ({t('assessments.follow_up')})", country=base.country,
                                     scope=base.scope, assessed_on=date.today(), facilitator=base.facilitator,
                                     agencies=base.agencies, participants=base.participants)
        started = details_form("baseline_assessment", defaults, None, t("assessments.baseline_button"), people, [])
        if started:
            _open_or_rerun(_submit("baseline_assessment", "name", lambda session: services.start_from_baseline(
                session, actor=actor, baseline_id=baseline_id, details=started[0])))
