"""The login gate as a user meets it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from accounts.models import SignInSession
from accounts.services import reset_password
from core.db import session_scope
from tests.app.helpers import button, by_label, errors, texts
from tests.conftest import actor_for, make_account

FAILED = ("Sign-in failed: the username or password is not right, or this account cannot sign in now. If this goes "
          "on, ask an administrator.")
GOOD = "river stones sing at dawn"


def _password_field(at, label="Password"):
    return by_label(at.text_input, label)


def test_first_run_asks_for_the_administrator(open_page, app_engine):
    at = open_page("")
    assert "Set up the first administrator" in texts(at)
    by_label(at.text_input, "Username").input("admin")
    by_label(at.text_input, "Name").input("Programme Administrator")
    _password_field(at).input(GOOD)
    _password_field(at, "Repeat the password").input(GOOD + " ")
    button(at, "Create the administrator and sign in").click().run()
    assert "The two passwords differ." in errors(at)
    _password_field(at).input(GOOD)
    _password_field(at, "Repeat the password").input(GOOD)
    button(at, "Create the administrator and sign in").click().run()
    assert not at.exception
    assert "Accounts and agencies" in texts(at)
    assert "Programme Administrator" in texts(at)


def _sign_in(at, username, password):
    by_label(at.text_input, "Username").input(username)
    _password_field(at).input(password)
    button(at, "Sign in").click().run()


def test_sign_in_lockout_and_sign_out(open_page, app_engine):
    make_account(app_engine, username="admin-one", roles=["administrator"])
    account = make_account(app_engine, username="zoe", roles=["facilitator"])
    with session_scope(app_engine) as session:
        password = reset_password(session, actor=actor_for(app_engine, 1), account_id=account)
    at = open_page("")
    assert "Sign in" in [b.label for b in at.button]
    for attempt in range(4):
        _sign_in(at, "zoe", f"wrong guess {attempt}")
        assert errors(at) == [FAILED]
    _sign_in(at, "zoe", password)  # this browser now waits before it may try again, even with the right one
    assert re.fullmatch(r"Too many failed sign-ins from this device\. Wait \d seconds, then try again\.", errors(at)[0])
    assert "Sign in" in [b.label for b in at.button]


def test_forced_password_change_then_work(open_page, app_engine):
    make_account(app_engine, username="admin-one", roles=["administrator"])
    account = make_account(app_engine, username="zoe", roles=["facilitator"])
    with session_scope(app_engine) as session:
        password = reset_password(session, actor=actor_for(app_engine, 1), account_id=account)
    at = open_page("")
    _sign_in(at, "zoe", password)
    assert "Choose a new password" in texts(at)
    by_label(at.text_input, "Current password").input(password)
    by_label(at.text_input, "New password").input("short")
    by_label(at.text_input, "Repeat the password").input("short")
    button(at, "Change password").click().run()
    assert "Use at least 12 characters." in errors(at)
    by_label(at.text_input, "Current password").input(password)
    by_label(at.text_input, "New password").input(GOOD)
    by_label(at.text_input, "Repeat the password").input(GOOD)
    button(at, "Change password").click().run()
    assert "Assessments" in texts(at)
    button(at, "Sign out").click().run()
    assert "You are signed out." in texts(at)


def test_idle_session_times_out(open_page, app_engine):
    account = make_account(app_engine, username="zoe", roles=["facilitator"])
    at = open_page("", account)
    assert "Assessments" in texts(at)
    with session_scope(app_engine) as session:  # nobody used this browser's tabs for an hour
        session.execute(update(SignInSession).where(SignInSession.id == at.session_state["auth_session_id"])
                        .values(last_seen_at=datetime.now(UTC) - timedelta(minutes=61)))
    at.run()
    assert "You were signed out after 60 minutes without activity." in texts(at)
    assert "Sign in" in [b.label for b in at.button]


def test_a_deactivated_account_is_signed_out_at_once(open_page, app_engine):
    account = make_account(app_engine, username="zoe", roles=["facilitator"])
    at = open_page("", account)
    from sqlalchemy import update

    from accounts.models import Account

    with session_scope(app_engine) as session:
        session.execute(update(Account).where(Account.id == account).values(active=False))
    at.run()
    assert "This account cannot act any more (deactivated or locked)." in texts(at)
