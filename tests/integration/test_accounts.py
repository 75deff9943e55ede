"""Accounts on a real database: first run, lockout, passwords, single sign-on mapping, adoption of old data."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from core.accounts import services as accounts
from core.accounts.models import Account
from core.accounts.roles import SYSTEM, Role
from core.audit import AuditRecord
from core.db import session_scope
from core.errors import Forbidden, ValidationFailed
from tests.conftest import actor_for, make_account

GOOD = "river stones sing at dawn"


def _first_admin(engine):
    with session_scope(engine) as session:
        return accounts.create_first_administrator(session, username="Admin", display_name="Programme Admin",
                                                   password=GOOD)


def test_first_run_creates_one_administrator_only(engine):
    with session_scope(engine) as session:
        assert not accounts.has_any_account(session)
    with pytest.raises(ValidationFailed) as caught, session_scope(engine) as session:
        accounts.create_first_administrator(session, username="a", display_name="", password="admin")
    assert set(caught.value.field_errors) == {"username", "display_name", "password"}
    admin_id = _first_admin(engine)
    with session_scope(engine) as session:
        account = accounts.get_account(session, admin_id)
        assert account.username == "admin" and account.roles == (Role.ADMINISTRATOR,)
    with pytest.raises(Forbidden), session_scope(engine) as session:
        accounts.create_first_administrator(session, username="second", display_name="x", password=GOOD)


def test_six_failures_lock_the_account_for_thirty_minutes(engine):
    _first_admin(engine)
    start = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    for attempt in range(5):
        with session_scope(engine) as session:
            result = accounts.authenticate(session, username="admin", password=f"wrong {attempt}", now=start)
        assert not result.ok and result.message == "Username or password not recognised."
    with session_scope(engine) as session:
        result = accounts.authenticate(session, username="admin", password="wrong 6", now=start)
    assert result.message == "Too many failed sign-ins: this account is locked for 30 minutes."
    with session_scope(engine) as session:  # even the right password is refused while locked
        result = accounts.authenticate(session, username="ADMIN ", password=GOOD, now=start + timedelta(minutes=29))
    assert not result.ok and "locked" in result.message
    with session_scope(engine) as session:
        result = accounts.authenticate(session, username="admin", password=GOOD, now=start + timedelta(minutes=31))
    assert result.ok
    with session_scope(engine) as session:
        actions = session.scalars(select(AuditRecord.action).order_by(AuditRecord.id)).all()
    assert actions.count("login_failed") == 5
    assert "account_locked" in actions and "login_refused_locked" in actions and actions[-1] == "login"


def test_unknown_username_fails_like_a_wrong_password(engine):
    _first_admin(engine)
    with session_scope(engine) as session:
        result = accounts.authenticate(session, username="nobody", password=GOOD)
    assert not result.ok and result.message == "Username or password not recognised."


def test_password_change_and_admin_reset(engine):
    admin = actor_for(engine, _first_admin(engine))
    worker_id = make_account(engine, username="mariam", roles=["caseworker"])
    worker = actor_for(engine, worker_id)
    with pytest.raises(ValidationFailed) as caught, session_scope(engine) as session:
        accounts.change_password(session, actor=worker, current="not it", new="tiny")
    assert set(caught.value.field_errors) == {"current", "new"}
    with pytest.raises(Forbidden), session_scope(engine) as session:
        accounts.reset_password(session, actor=worker, account_id=worker_id)
    with session_scope(engine) as session:
        temporary = accounts.reset_password(session, actor=admin, account_id=worker_id)
    with session_scope(engine) as session:
        result = accounts.authenticate(session, username="mariam", password=temporary)
    assert result.ok and result.must_change_password
    with session_scope(engine) as session:
        accounts.change_password(session, actor=worker, current=temporary, new=GOOD)
    with session_scope(engine) as session:
        assert accounts.authenticate(session, username="mariam", password=GOOD).ok
        assert not accounts.get_account(session, worker_id).must_change_password


def test_accounts_are_validated_and_admins_keep_their_own_role(engine):
    admin_id = _first_admin(engine)
    admin = actor_for(engine, admin_id)
    with pytest.raises(ValidationFailed) as caught, session_scope(engine) as session:
        accounts.create_account(session, actor=admin, draft=accounts.AccountDraft(
            username="admin", display_name="Dup", email="not-an-email", roles=["boss"]))
    assert set(caught.value.field_errors) == {"username", "email", "roles"}
    with pytest.raises(ValidationFailed, match="your own administrator"), session_scope(engine) as session:
        accounts.update_account(session, actor=admin, account_id=admin_id, draft=accounts.AccountDraft(
            username="admin", display_name="Programme Admin", roles=["manager"]))


def test_single_sign_on_maps_e_mail_onto_an_active_account(engine):
    admin = actor_for(engine, _first_admin(engine))
    with session_scope(engine) as session:
        account_id, _ = accounts.create_account(session, actor=admin, draft=accounts.AccountDraft(
            username="lucia", display_name="Lucía", email="Lucia@Example.org", roles=["manager"]))
    with session_scope(engine) as session:
        assert accounts.account_for_email(session, "lucia@example.ORG") == account_id
        assert accounts.account_for_email(session, "stranger@example.org") is None
    with session_scope(engine) as session:
        accounts.update_account(session, actor=admin, account_id=account_id, draft=accounts.AccountDraft(
            username="lucia", display_name="Lucía", email="lucia@example.org", roles=["manager"], active=False))
    with session_scope(engine) as session:
        assert accounts.account_for_email(session, "lucia@example.org") is None
        assert accounts.build_actor(session, account_id) is None  # deactivation ends access at once


def test_first_administrator_adopts_assessments_made_before_accounts(engine, framework_version_id):
    from qaf import services
    from qaf.assessment import AssessmentDetails
    from qaf.models import AssessmentMember

    with session_scope(engine) as session:
        old = services.create_assessment(session, actor=SYSTEM, details=AssessmentDetails(
            name="Before accounts", country="X", scope="agency", assessed_on=date(2026, 1, 1), facilitator="F"),
            framework_version_id=framework_version_id)
        session.execute(AssessmentMember.__table__.delete())
    admin_id = _first_admin(engine)
    admin = actor_for(engine, admin_id)
    assert Role.FACILITATOR in admin.roles
    with session_scope(engine) as session:
        assert [a.id for a in services.list_assessments(session, actor=admin)] == [old]
        assert session.scalar(select(Account.roles).where(Account.id == admin_id)) == ["administrator", "facilitator"]
