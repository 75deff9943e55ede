"""Staff: everyone the actor may see; administrators add, edit, deactivate and import."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from accounts import staff_import
from accounts import staff_services as services
from accounts.services import list_agencies
from accounts.staff import GENDERS, PROGRAMME_ROLES, StaffDraft
from core.i18n import format_date, t
from core.safe_text import for_markdown
from core.ui import current_actor, field_error, submit, unit_of_work

ERRORS = "staff_errors"
IMPORT_RESULT = "staff_import_result"

actor = current_actor()
st.session_state.setdefault(ERRORS, {})
errors: dict[str, str] = st.session_state[ERRORS]
st.title(t("staff.title"))

with unit_of_work() as session:
    staff = services.list_staff(session, actor=actor)
    agencies = {a.id: a.name for a in list_agencies(session)}
    teams = {tm.id: f"{tm.name} — {tm.agency_name}" for tm in services.list_teams(session, actor=actor)}

if staff:
    st.dataframe(pd.DataFrame([{
        t("staff.col.name"): s.full_name, t("staff.col.role"): t(f"staff.role.{s.programme_role}"),
        t("staff.col.agency"): s.agency_name, t("staff.col.team"): s.team_name,
        t("staff.col.start"): format_date(s.start_date), t("staff.col.gender"): t(f"staff.gender.{s.gender}"),
        t("staff.col.active"): t("common.yes") if s.active else t("common.no"),
    } for s in staff]), hide_index=True, width="stretch")
else:
    st.info(t("staff.empty"))

if staff:
    labels = {s.id: f"{s.full_name} ({s.agency_name})" for s in staff}
    chosen_id = st.selectbox(t("staff.choose"), list(labels), format_func=labels.get)
    with unit_of_work() as session:
        history = services.team_history(session, actor=actor, staff_member_id=chosen_id)
    st.caption(t("staff.history"))
    st.dataframe(pd.DataFrame([{
        t("staff.col.team"): h.team_name, t("staff.col.role_in_team"): t(f"teams.role.{h.role_in_team}"),
        t("staff.col.from"): format_date(h.from_date), t("staff.col.to"): format_date(h.to_date) or "—",
    } for h in history]), hide_index=True, width="stretch")

if not actor.is_admin:
    st.stop()


def staff_form(key: str, current: services.StaffView | None) -> tuple[StaffDraft, int | None] | None:
    with st.form(key):
        name = st.text_input(t("staff.col.name"), value=current.full_name if current else "", max_chars=200)
        field_error(errors, "full_name")
        left, right = st.columns(2)
        role = left.selectbox(t("staff.col.role"), PROGRAMME_ROLES,
                              index=PROGRAMME_ROLES.index(current.programme_role) if current else 0,
                              format_func=lambda r: t(f"staff.role.{r}"))
        gender = right.selectbox(t("staff.col.gender"), GENDERS,
                                 index=GENDERS.index(current.gender) if current else 3,
                                 format_func=lambda g: t(f"staff.gender.{g}"))
        agency_ids = list(agencies)
        agency_id = left.selectbox(t("staff.col.agency"), agency_ids, format_func=agencies.get,
                                   index=agency_ids.index(current.agency_id) if current else 0)
        with left:
            field_error(errors, "agency_id")
        start = right.date_input(t("staff.col.start"), value=current.start_date if current else None,
                                 format="YYYY-MM-DD")
        email = st.text_input(t("accounts.field.email"), value=(current.email or "") if current else "")
        field_error(errors, "email")
        team_id = None
        if current is None:
            team_ids = [None, *teams]
            team_id = st.selectbox(t("staff.col.team"), team_ids,
                                   format_func=lambda i: t("staff.no_team") if i is None else teams[i])
        active = st.checkbox(t("staff.col.active"), value=current.active if current else True)
        if not st.form_submit_button(t("common.save"), type="primary"):
            return None
    return StaffDraft(full_name=name, programme_role=role, agency_id=agency_id,
                      start_date=start if isinstance(start, date) else None, gender=gender, email=email,
                      active=active), team_id


def _run(action) -> None:  # type: ignore[no-untyped-def]
    submit(action, errors_key=ERRORS, general_field="full_name", success=t("common.saved"))
    st.rerun()


if not agencies:
    st.warning(t("staff.no_agencies"))
    st.stop()

tab_add, tab_edit, tab_import = st.tabs([t("staff.add"), t("staff.edit"), t("staff.import.title")])
with tab_add:
    added = staff_form("add_staff", None)
    if added:
        _run(lambda s: services.create_staff(s, actor=actor, draft=added[0], team_id=added[1],
                                             from_date=added[0].start_date or date.today()))
with tab_edit:
    if staff:
        current = next(s for s in staff if s.id == chosen_id)
        edited = staff_form(f"edit_staff_{current.id}", current)
        if edited:
            _run(lambda s: services.update_staff(s, actor=actor, staff_member_id=current.id, draft=edited[0],
                                                 expected_version=current.version_id))
        st.markdown(f"**{t('staff.move_heading')}**")
        with st.form(f"move_{current.id}"):
            target = st.selectbox(t("staff.col.team"), list(teams), format_func=teams.get)
            move_on = st.date_input(t("staff.col.from"), value=date.today(), format="YYYY-MM-DD")
            field_error(errors, "from_date")
            field_error(errors, "team_id")
            as_supervisor = st.checkbox(t("staff.as_supervisor"))
            if st.form_submit_button(t("staff.move")) and target is not None:
                _run(lambda s: services.assign_to_team(s, actor=actor, staff_member_id=current.id,
                                                       team_id=target, from_date=move_on,
                                                       as_supervisor=as_supervisor))
        st.markdown(f"**{t('staff.training.heading')}**")
        st.caption(t("staff.training.help"))
        with unit_of_work() as session:
            trainings = services.list_trainings(session, actor=actor, staff_member_id=current.id)
        if trainings:
            st.dataframe(pd.DataFrame([{t("staff.training.topic"): t(f"staff.training.topics.{x.topic}"),
                                        t("staff.training.completed_on"): format_date(x.completed_on),
                                        t("staff.training.provider"): x.provider} for x in trainings]),
                         hide_index=True, width="stretch", key=f"trainings_{current.id}")
        with st.form(f"training_{current.id}_{len(trainings)}"):
            a, b, c = st.columns(3)
            topic = a.selectbox(t("staff.training.topic"), services.TRAINING_TOPICS,
                                format_func=lambda x: t(f"staff.training.topics.{x}"))
            field_error(errors, "topic")
            done_on = b.date_input(t("staff.training.completed_on"), value=None, format="YYYY-MM-DD",
                                   max_value=date.today())
            field_error(errors, "completed_on")
            provider = c.text_input(t("staff.training.provider"), max_chars=200)
            field_error(errors, "provider")
            if st.form_submit_button(t("staff.training.add")):
                _run(lambda s: services.add_training(s, actor=actor, staff_member_id=current.id, topic=topic,
                                                     completed_on=done_on if isinstance(done_on, date) else None,
                                                     provider=provider))
        if current.active and st.button(t("staff.deactivate")):
            _run(lambda s: services.deactivate_staff(s, actor=actor, staff_member_id=current.id))
with tab_import:
    st.caption(t("staff.import.intro"))
    left, right = st.columns(2)
    left.download_button(t("staff.import.template_xlsx"), data=staff_import.staff_template_xlsx,
                         file_name="staff-import-template.xlsx", icon=":material/table:",
                         mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    right.download_button(t("staff.import.template_csv"), data=staff_import.staff_template_csv,
                          file_name="staff-import-template.csv", mime="text/csv", icon=":material/csv:")
    upload = st.file_uploader(t("staff.import.file"), type=["csv", "xlsx"])
    field_error(errors, "file")
    if upload is not None and st.button(t("staff.import.button"), type="primary"):
        with st.spinner(t("staff.import.running")):
            report = submit(lambda session: staff_import.import_staff(
                session, actor=actor, filename=upload.name, content=upload.getvalue()),
                errors_key=ERRORS, general_field="file")
        if isinstance(report, staff_import.ImportReport):
            st.session_state[IMPORT_RESULT] = t("staff.import.done", count=report.created,
                                                teams=", ".join(report.teams_created) or "—")
        st.rerun()
    if st.session_state.get(IMPORT_RESULT):
        st.success(for_markdown(st.session_state.pop(IMPORT_RESULT)))
