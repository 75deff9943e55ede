"""My account: who I am, my roles, my language, and changing my password."""

from __future__ import annotations

import streamlit as st

from accounts.services import get_account, set_language
from accounts.ui.login import password_form
from core.config import get_settings
from core.i18n import LANGUAGE_NAMES, available_locales, format_datetime, t, t_plain
from core.ui import NOT_SAVED, current_actor, field_error, submit, unit_of_work, use_language

ERRORS = "my_account_errors"

actor = current_actor()
st.title(t("my_account.title"))
with unit_of_work() as session:
    account = get_account(session, actor.account_id or 0)
st.text(f"{account.display_name} · {account.username}")
st.caption(t("my_account.roles", roles=", ".join(t(f"role.{r.value}") for r in account.roles)))
if account.agency_name:
    st.caption(t("my_account.agency", agency=account.agency_name))
if account.last_login_at:
    st.caption(t("my_account.last_login", when=format_datetime(account.last_login_at)))

default = account.agency_language or get_settings().locale
choices: list[str | None] = [None, *available_locales()]
with st.form("language"):
    language = st.selectbox(
        t("my_account.language"), choices, index=choices.index(account.language) if account.language in choices else 0,
        format_func=lambda code: t_plain("my_account.language_default", language=LANGUAGE_NAMES.get(default, default))
        if code is None else LANGUAGE_NAMES.get(code, code))
    field_error(st.session_state.get(ERRORS, {}), "language")
    if st.form_submit_button(t("common.save")):
        saved = submit(lambda session: set_language(session, actor=actor, language=language), errors_key=ERRORS,
                       general_field="language", success=t("my_account.language_saved"))
        if saved is not NOT_SAVED:  # the page switches now; drafts live in session keys no widget owns
            use_language(language or default)
        st.rerun()

st.subheader(t("accounts.change_password"))
password_form(actor)
