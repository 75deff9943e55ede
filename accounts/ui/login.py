"""The login gate: first-run administrator, password login (throttled), optional single sign-on, forced
password change, idle timeout and logout. ``gate()`` returns the signed-in person or stops the script."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import streamlit as st
from sqlalchemy.orm import Session

from accounts import services as accounts
from accounts import sessions
from accounts import sign_in as sign_in_service
from accounts.web import PREFIX
from core.actor import Actor
from core.config import get_settings
from core.i18n import LANGUAGE_NAMES, available_locales, t
from core.page_scripts import script_tag
from core.ui import (
    ACCOUNT,
    ACTOR,
    LOCALE,
    NOT_SAVED,
    SESSION,
    field_error,
    set_session_check,
    submit,
    unit_of_work,
    use_language,
)

NOTICE = "auth_notice"
# what else an empty installation may offer under its first-run form (a laptop's starting bundle): registered by
# the application, which knows the features
FIRST_RUN_EXTRAS: list[Callable[[], None]] = []
ERRORS = "auth_errors"
HANDOFF = "auth_cookie_handoff"  # the one-time code the browser swaps for its cookie, until it has done so
FORGET_COOKIE = "auth_forget_cookie"
WANTED = "auth_wanted_page"  # the page (and its query) the address named when the sign-in page was shown
LANGUAGE_PICK = "auth_language_pick"  # chosen on the sign-in page; stored on the account once signed in
LANGUAGE_WIDGET = "auth_language_widget"


def _check(session: Session, session_id: int | None) -> tuple[Actor | None, str]:
    standing = sessions.check(session, session_id)
    return standing.actor, standing.reason


set_session_check(_check)  # button callbacks and downloads check the sign-in session with this


def sign_in(account_id: int) -> None:
    """Open a sign-in session for this browser: this tab now, its other tabs and reloads once the cookie is set."""
    with unit_of_work() as session:
        opened = sessions.open_session(session, account_id)
    st.session_state[ACCOUNT] = account_id
    st.session_state[SESSION] = opened.id
    st.session_state[HANDOFF] = opened.handoff


def sign_out(notice: str = "") -> None:
    """End the sign-in session (every tab of this browser is signed out at its next click) and forget this tab's
    state: nothing of the last person's work stays in this browser session."""
    session_id = st.session_state.get(SESSION)
    if session_id is not None:
        with unit_of_work() as session:
            sessions.end_session(session, session_id)
    leave_provider = _signed_in_by_sso()  # else the identity provider's cookie signs the person straight back in
    language = st.session_state.get(LOCALE)
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    st.session_state[FORGET_COOKIE] = True
    if language:  # the sign-in page stays in the language the person was using
        use_language(language)
    if notice:
        st.session_state[NOTICE] = notice
    if leave_provider:  # the browser goes to the provider's sign-out, then to a new session: nothing more to draw
        st.logout()
        st.stop()


def _post(route: str, body: str = "") -> None:
    """Send one same-origin POST from the page (the cookie routes); nothing shows."""
    st.html(script_tag("post.js", route=PREFIX + route, body=body), unsafe_allow_javascript=True)


def _resume_from_cookie() -> None:
    """A reload, a new tab or a link from an e-mail: the browser's cookie names a live sign-in session."""
    token = st.context.cookies.get(sessions.COOKIE)
    if not isinstance(token, str) or not token:
        return
    with unit_of_work() as session:
        session_id = sessions.resume(session, token)
        account_id = sessions.account_of(session, session_id) if session_id is not None else None
    if session_id is not None and account_id is not None:
        st.session_state[ACCOUNT] = account_id
        st.session_state[SESSION] = session_id


def _client_address() -> str:
    """Where the attempt comes from, for the brakes on guessing: behind the deployment's own proxies
    (``CPCM_TRUST_PROXY``), the address the outermost of them saw; otherwise the connection's."""
    address = st.context.ip_address
    return sign_in_service.client_address(peer=address if isinstance(address, str) else "",
                                          forwarded_for=st.context.headers.get("X-Forwarded-For", ""),
                                          trusted_proxies=get_settings().trusted_proxies)


def _signed_in_by_sso() -> bool:
    try:
        return bool(st.user.is_logged_in)
    except Exception:  # single sign-on not configured
        return False


def _sso_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all: single sign-on is simply not configured
        return False


def _new_password_fields(errors: dict[str, str], label_key: str, field: str) -> tuple[str, bool]:
    """A new password typed twice; returns it and whether both entries match."""
    password = st.text_input(t(label_key), type="password", help=t("accounts.password_rules"))
    field_error(errors, field)
    repeat = st.text_input(t("accounts.field.password_repeat"), type="password")
    field_error(errors, "repeat")
    return password, password == repeat


def _on_language_picked() -> None:
    use_language(st.session_state[LANGUAGE_WIDGET])
    st.session_state[LANGUAGE_PICK] = st.session_state[LANGUAGE_WIDGET]


def _language_picker() -> None:
    """The language of the sign-in page, and of the account once signed in. The page switches as soon as it
    is chosen."""
    codes = available_locales()
    current = st.session_state.get(LOCALE) or get_settings().locale
    if st.session_state.get(LANGUAGE_WIDGET) not in codes:
        st.session_state[LANGUAGE_WIDGET] = current if current in codes else codes[0]
    _, right = st.columns([3, 1])
    right.selectbox(t("login.language"), codes, key=LANGUAGE_WIDGET, on_change=_on_language_picked,
                    format_func=lambda code: LANGUAGE_NAMES.get(code, code))


def _first_run() -> None:
    _language_picker()
    st.title(t("login.first_run_title"))
    st.write(t("login.first_run_intro"))
    errors = st.session_state.get(ERRORS, {})
    with st.form("first_admin"):
        username = st.text_input(t("accounts.field.username"), max_chars=80)
        field_error(errors, "username")
        display_name = st.text_input(t("accounts.field.display_name"), max_chars=200)
        field_error(errors, "display_name")
        email = st.text_input(t("accounts.field.email"), max_chars=254)
        field_error(errors, "email")
        password, matches = _new_password_fields(errors, "accounts.field.password", "password")
        submitted = st.form_submit_button(t("login.create_admin"), type="primary")
    if submitted:
        if not matches:
            st.session_state[ERRORS] = {"repeat": t("accounts.error.password_mismatch")}
            st.rerun()
        account_id = submit(lambda session: accounts.create_first_administrator(
            session, username=username, display_name=display_name, password=password, email=email),
            errors_key=ERRORS, general_field="username")
        if account_id is not NOT_SAVED:
            sign_in(int(account_id))  # type: ignore[call-overload]
        st.rerun()
    for extra in FIRST_RUN_EXTRAS:
        extra()


def _login() -> None:
    _language_picker()
    st.title(t("app.title"))
    notice = st.session_state.pop(NOTICE, "")
    if notice:
        st.info(notice)
    errors = st.session_state.get(ERRORS, {})
    with st.form("login"):
        st.subheader(t("login.title"))
        username = st.text_input(t("accounts.field.username"), max_chars=80)
        password = st.text_input(t("accounts.field.password"), type="password", max_chars=256)
        field_error(errors, "login")
        submitted = st.form_submit_button(t("login.button"), type="primary")
    if submitted:
        with unit_of_work() as session:
            result = sign_in_service.authenticate(session, username=username, password=password,
                                                  source=_client_address(),
                                                  device=st.context.cookies.get(sessions.DEVICE_COOKIE))
        if result.ok and result.account_id is not None:
            st.session_state[ERRORS] = {}
            sign_in(result.account_id)
        else:
            st.session_state[ERRORS] = {"login": result.message}
        st.rerun()
    if _sso_configured():
        st.divider()
        if _signed_in_by_sso():  # an identity with no account here (see _from_sso)
            if st.button(t("login.sso_sign_out"), icon=":material/logout:"):
                st.logout()
        elif st.button(t("login.sso"), icon=":material/key:"):
            st.login()


def _remember_wanted_page() -> None:
    """A link to a page (from a colleague, an e-mail, a bookmark) opened before signing in: kept, so that signing
    in lands there rather than on the person's start page (the menu that knows the page exists comes after)."""
    if WANTED not in st.session_state:  # (st.context.url carries the path; the query is st.query_params)
        st.session_state[WANTED] = (urlsplit(str(st.context.url or "")).path.strip("/"), st.query_params.to_dict())


def wanted_page() -> tuple[str, dict[str, str]] | None:
    """Once, after signing in: the page path and query the address named before, if it named one."""
    path, query = st.session_state.pop(WANTED, ("", {}))
    return (path, query) if path or query else None


def _from_sso() -> None:
    """After the identity provider redirects back: map the e-mail it vouches for onto an account."""
    if not _signed_in_by_sso() or ACCOUNT in st.session_state:
        return
    with unit_of_work() as session:
        account_id = sign_in_service.account_for_email(session, str(st.user.get("email", "")))
    if account_id is None:  # said on the sign-in page, which offers to leave that identity (another one, or none)
        st.session_state[NOTICE] = t("login.sso_no_account")
    else:
        sign_in(account_id)


def _must_change_password(actor: Actor) -> None:
    st.title(t("login.change_title"))
    st.info(t("login.change_required"))
    password_form(actor)


def password_form(actor: Actor) -> None:
    errors = st.session_state.get(ERRORS, {})
    with st.form("change_password"):
        current = st.text_input(t("accounts.field.current_password"), type="password")
        field_error(errors, "current")
        new, matches = _new_password_fields(errors, "accounts.field.new_password", "new")
        submitted = st.form_submit_button(t("accounts.change_password"), type="primary")
    if submitted:
        if not matches:
            st.session_state[ERRORS] = {"repeat": t("accounts.error.password_mismatch")}
        else:
            submit(lambda session: accounts.change_password(session, actor=actor, current=current, new=new),
                   errors_key=ERRORS, general_field="current", success=t("accounts.password_changed"))
        st.rerun()


def gate() -> Actor:
    """Return the signed-in person, or render the right screen (first run, login, password change) and stop.
    The page and assessment named in the address are kept: after signing in the person lands where the link
    pointed."""
    st.session_state.pop(ACTOR, None)
    if SESSION not in st.session_state:  # a signed-in browser needs no asking (its session is checked below)
        with unit_of_work() as session:
            set_up = accounts.has_any_account(session)
        if not set_up:
            _first_run()
            st.stop()
    _from_sso()
    if SESSION not in st.session_state and not st.session_state.get(FORGET_COOKIE):
        _resume_from_cookie()
    session_id = st.session_state.get(SESSION)
    if session_id is None:
        _remember_wanted_page()
        if st.session_state.pop(FORGET_COOKIE, False):
            _post("/sign-out")
        _login()
        st.stop()
    with unit_of_work() as session:
        standing = sessions.check(session, session_id)
        account = accounts.preferences(session, standing.actor.account_id) if standing.actor else None
    if standing.actor is None or account is None:
        sign_out(standing.reason)
        st.rerun()
    actor = standing.actor
    if standing.cookie_set:
        st.session_state.pop(HANDOFF, None)
    elif HANDOFF in st.session_state:
        with st.sidebar:
            _post("/session", f"handoff={st.session_state[HANDOFF]}")
    st.session_state[ACTOR] = actor
    picked = st.session_state.pop(LANGUAGE_PICK, None)
    if picked and picked != account.language:
        with unit_of_work() as session:
            accounts.set_language(session, actor=actor, language=picked)
    use_language(picked or account.interface_language)
    if account.must_change_password:
        _must_change_password(actor)
        st.stop()
    return actor
