"""Example data: a fictional organisation, one account per role (passwords shown once) and a complete example
assessment with its action plan, for trying the tool."""

from __future__ import annotations

import streamlit as st

from accounts.ui import shown_once
from app.example import example_loaded, load_example
from core.actor import Role
from core.i18n import t
from core.ui import NOT_SAVED, field_error, page_for, submit, unit_of_work

ERRORS = "example_errors"

page_for(Role.ADMINISTRATOR)
st.title(t("example.title"))
st.caption(t("example.help"))
shown_once.show()
with unit_of_work() as session:
    loaded = example_loaded(session)
if loaded:
    st.info(t("example.already_loaded"), icon=":material/check_circle:")
    st.markdown(t("example.who_to_sign_in_as"))
elif st.button(t("example.load"), icon=":material/auto_awesome:", type="primary"):
    with st.spinner(t("example.loading")):
        outcome = submit(lambda session: [
            {t("accounts.field.username"): c.username, t("accounts.field.display_name"): c.display_name,
             t("accounts.field.roles"): c.roles, t("accounts.field.password"): c.password}
            for c in load_example(session).credentials], errors_key=ERRORS, general_field="example")
    if outcome is not NOT_SAVED:
        shown_once.remember(outcome)  # type: ignore[arg-type]
    st.rerun()
field_error(st.session_state.get(ERRORS, {}), "example")
