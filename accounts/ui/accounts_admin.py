"""Administration: agencies and accounts (roles, activation, password reset)."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from accounts import services as accounts
from accounts import sign_in
from accounts.staff_services import list_staff
from accounts.ui import shown_once
from core.actor import ALL_ROLES, Role
from core.i18n import LANGUAGE_NAMES, available_locales, format_datetime, t
from core.ui import field_error, label, page_for, submit, unit_of_work

ERRORS = "admin_errors"

actor = page_for(Role.ADMINISTRATOR)
errors: dict[str, str] = st.session_state.setdefault(ERRORS, {})
st.title(t("admin.title"))

shown_once.show()

with unit_of_work() as session:
    people = accounts.list_accounts(session, actor=actor)
    agency_rows = accounts.list_agencies(session)
    agencies = {a.id: a.name for a in agency_rows}
    staff = {s.id: f"{s.full_name} ({s.agency_name})" for s in list_staff(session, actor=actor)}

st.dataframe(pd.DataFrame([{
    t("accounts.field.username"): a.username, t("accounts.field.display_name"): a.display_name,
    t("accounts.field.roles"): ", ".join(t(f"role.{r.value}") for r in a.roles),
    t("staff.col.agency"): a.agency_name, t("staff.col.active"): t("common.yes") if a.active else t("common.no"),
    t("admin.col.locked"): format_datetime(a.locked_until) if a.locked_until else "",
    t("admin.col.last_login"): format_datetime(a.last_login_at) if a.last_login_at else "",
} for a in people]), hide_index=True, width="stretch")


def _run(action, success: str = "") -> None:  # type: ignore[no-untyped-def]
    outcome = submit(action, errors_key=ERRORS, general_field="username", success=success)
    if isinstance(outcome, list):
        shown_once.remember(outcome)
    st.rerun()


def account_form(key: str, current: accounts.AccountView | None) -> accounts.AccountDraft | None:
    with st.form(key):
        username = st.text_input(t("accounts.field.username"), value=current.username if current else "",
                                 max_chars=80)
        field_error(errors, "username")
        display_name = st.text_input(t("accounts.field.display_name"),
                                     value=current.display_name if current else "", max_chars=200)
        field_error(errors, "display_name")
        email = st.text_input(t("accounts.field.email"), value=(current.email or "") if current else "")
        field_error(errors, "email")
        roles = st.multiselect(t("accounts.field.roles"), [r.value for r in ALL_ROLES],
                               default=[r.value for r in current.roles] if current else [],
                               format_func=lambda r: t(f"role.{r}"))
        field_error(errors, "roles")
        agency_ids = [None, *agencies]
        agency_id = st.selectbox(t("staff.col.agency"), agency_ids,
                                 index=agency_ids.index(current.agency_id) if current else 0,
                                 format_func=lambda i: "—" if i is None else agencies[i])
        staff_ids = [None, *staff]
        staff_member_id = st.selectbox(
            t("admin.staff_link"), staff_ids, format_func=lambda i: "—" if i is None else staff[i],
            index=staff_ids.index(current.staff_member_id) if current and current.staff_member_id in staff_ids
            else 0, help=t("admin.staff_link_help"))
        active = st.checkbox(t("staff.col.active"), value=current.active if current else True)
        if not st.form_submit_button(t("common.save"), type="primary"):
            return None
    return accounts.AccountDraft(username=username, display_name=display_name, email=email, roles=roles,
                                 agency_id=agency_id, staff_member_id=staff_member_id, active=active)


tab_new, tab_edit, tab_agencies = st.tabs([t("admin.new_account"), t("admin.edit_account"), t("admin.agencies")])
with tab_new:
    draft = account_form("new_account", None)
    if draft:
        def create(session):  # type: ignore[no-untyped-def]
            _id, password = accounts.create_account(session, actor=actor, draft=draft)
            return [{t("accounts.field.username"): draft.username.strip().lower(),
                     t("accounts.field.password"): password}]

        _run(create)
with tab_edit:
    labels = {a.id: f"{a.display_name} ({a.username})" for a in people}
    chosen = st.selectbox(t("admin.choose_account"), list(labels), format_func=labels.get)
    current = next(a for a in people if a.id == chosen)
    draft = account_form(f"edit_account_{chosen}", current)
    if draft:
        _run(lambda s: accounts.update_account(s, actor=actor, account_id=chosen, draft=draft,
                                               expected_version=current.version_id), t("common.saved"))
    if current.locked_until and current.locked_until > datetime.now(UTC):
        st.warning(t("admin.locked_notice", until=format_datetime(current.locked_until)),
                   icon=":material/lock:")
        if st.button(t("admin.unlock"), icon=":material/lock_open:"):
            _run(lambda s: sign_in.unlock_account(s, actor=actor, account_id=chosen), t("admin.unlocked"))
    if st.button(t("admin.reset_password"), icon=":material/lock_reset:"):
        _run(lambda s: [{t("accounts.field.username"): current.username,
                         t("accounts.field.password"): accounts.reset_password(s, actor=actor, account_id=chosen)}])
with tab_agencies:
    st.markdown(label(*agencies.values(), sep=", ") or t("admin.no_agencies"))
    if agencies:
        with st.form("agency_language"):
            languages = {a.id: a.default_language for a in agency_rows}
            agency_id = st.selectbox(t("admin.agency_name"), list(agencies), format_func=agencies.get)
            choices: list[str | None] = [None, *available_locales()]
            language = st.selectbox(t("admin.agency_language"), choices, help=t("admin.agency_language_help"),
                                    format_func=lambda code: t("admin.language_server_default")
                                    if code is None else LANGUAGE_NAMES.get(code, code))
            field_error(errors, "agency_language")
            st.caption(t("admin.agency_languages", languages=", ".join(
                f"{agencies[i]}: {LANGUAGE_NAMES.get(code, code) if code else t('admin.language_server_default')}"
                for i, code in languages.items())))
            if st.form_submit_button(t("admin.save_agency_language")):
                _run(lambda s: accounts.set_agency_language(s, actor=actor, agency_id=agency_id, language=language),
                     t("common.saved"))
    with st.form("new_agency"):
        name = st.text_input(t("admin.agency_name"), max_chars=200)
        field_error(errors, "name")
        if st.form_submit_button(t("admin.add_agency")):
            _run(lambda s: accounts.create_agency(s, actor=actor, name=name), t("common.saved"))
