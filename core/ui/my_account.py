"""My account: who I am, my roles, and changing my password."""

from __future__ import annotations

import streamlit as st

from core.accounts.services import get_account
from core.i18n import format_date, t
from core.ui import current_actor, unit_of_work
from core.ui.login import password_form

actor = current_actor()
st.title(t("my_account.title"))
with unit_of_work() as session:
    account = get_account(session, actor.account_id or 0)
st.markdown(f"**{account.display_name}** · `{account.username}`")
st.caption(t("my_account.roles", roles=", ".join(t(f"role.{r.value}") for r in account.roles)))
if account.agency_name:
    st.caption(t("my_account.agency", agency=account.agency_name))
if account.last_login_at:
    st.caption(t("my_account.last_login", when=format_date(account.last_login_at, fmt="short")))
st.subheader(t("accounts.change_password"))
password_form(actor)
