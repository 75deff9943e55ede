"""Accounts on a real database: first run, lockout, passwords, single sign-on mapping, adoption of old data."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from accounts import services as accounts
from accounts import sign_in
from accounts.models import Account
from core.actor import SYSTEM, Role
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


FAILED = ("Sign-in failed: the username or password is not right, or this account cannot sign in now. If this goes "
          "on, ask an administrator.")


def test_six_failures_lock_the_account_for_thirty_minutes_and_every_failure_reads_the_same(engine):
    _first_admin(engine)
    start = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    for attempt in range(6):  # from six different places, so the per-source brake does not step in
        with session_scope(engine) as session:
            result = sign_in.authenticate(session, username="admin", password=f"wrong {attempt}", now=start,
                                          source=f"10.0.0.{attempt}")
        assert not result.ok and result.message == FAILED
    with session_scope(engine) as session:  # even the right password is refused while locked, with the same words
        result = sign_in.authenticate(session, username="ADMIN ", password=GOOD, now=start + timedelta(minutes=29))
    assert not result.ok and result.message == FAILED
    with session_scope(engine) as session:
        result = sign_in.authenticate(session, username="admin", password=GOOD, now=start + timedelta(minutes=31))
    assert result.ok
    with session_scope(engine) as session:
        actions = session.scalars(select(AuditRecord.action).order_by(AuditRecord.id)).all()
    assert actions.count("login_failed") == 5
    assert "account_locked" in actions and "login_refused_locked" in actions and actions[-1] == "login"


def test_every_failure_costs_one_password_check_and_says_the_same(engine, monkeypatch):
    """Unknown, wrong, locked and deactivated: same message, same work (one argon2 verification each), so neither
    words nor timing tell which accounts exist or are locked."""
    admin = actor_for(engine, _first_admin(engine))
    locked_id = make_account(engine, username="locked-one", roles=["caseworker"])
    gone_id = make_account(engine, username="gone-one", roles=["caseworker"])
    with session_scope(engine) as session:
        session.get(Account, locked_id).locked_until = datetime(2099, 1, 1, tzinfo=UTC)
        accounts.update_account(session, actor=admin, account_id=gone_id, draft=accounts.AccountDraft(
            username="gone-one", display_name="Gone One", roles=["caseworker"], active=False))
    checks = []
    real_verify = sign_in.verify_password
    monkeypatch.setattr(sign_in, "verify_password", lambda h, p: checks.append(1) or real_verify(h, p))
    for number, username in enumerate(("nobody", "admin", "locked-one", "gone-one")):
        checks.clear()
        with session_scope(engine) as session:
            result = sign_in.authenticate(session, username=username, password="wrong password here",
                                          source=f"10.1.0.{number}")
        assert (result.ok, result.message, len(checks)) == (False, FAILED, 1), username


def test_a_password_typed_as_a_username_never_reaches_the_trail(engine):
    _first_admin(engine)
    with session_scope(engine) as session:
        sign_in.authenticate(session, username="my secret passphrase", password="whatever")
        sign_in.authenticate(session, username="my secret passphrase", password="again", source="elsewhere")
    with session_scope(engine) as session:
        records = session.scalars(select(AuditRecord).where(AuditRecord.action == "login_failed")).all()
    dumped = " ".join(f"{r.actor_name} {r.summary} {r.changes} {r.entity_id}" for r in records)
    assert "secret" not in dumped and "passphrase" not in dumped
    assert len({r.summary for r in records}) == 1 and "reference" in records[0].summary  # same pseudonym twice


def test_one_source_waits_longer_after_each_failure_and_a_success_resets_it(engine):
    _first_admin(engine)
    moment = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    here, elsewhere = "203.0.113.9", "198.51.100.4"
    for failures in range(1, 7):
        moment += timedelta(minutes=20)  # long enough for any wait, too short to be forgotten
        with session_scope(engine) as session:
            assert sign_in.authenticate(session, username=f"guess{failures}", password="x", source=here,
                                        now=moment).message == FAILED
        if failures > 3:  # straight away again: refused, told how long, and not counted
            with session_scope(engine) as session:
                result = sign_in.authenticate(session, username="admin", password=GOOD, source=here, now=moment)
            assert (result.ok, result.message) == (
                False, f"Too many failed sign-ins from this device. Wait {2 ** (failures - 3)} seconds, then try "
                       "again.")
    with session_scope(engine) as session:  # another device is not slowed down
        assert sign_in.authenticate(session, username="admin", password=GOOD, source=elsewhere, now=moment).ok
    with session_scope(engine) as session:
        assert sign_in.authenticate(session, username="admin", password=GOOD, source=here,
                                    now=moment + timedelta(seconds=9)).ok
    with session_scope(engine) as session:  # the success reset the count: a slip is an ordinary failure again
        assert sign_in.authenticate(session, username="nobody", password="x", source=here,
                                    now=moment + timedelta(seconds=10)).message == FAILED


def test_an_administrator_unlocks_an_account(engine):
    admin = actor_for(engine, _first_admin(engine))
    worker = make_account(engine, username="mariam", roles=["caseworker"])
    colleague = actor_for(engine, make_account(engine, username="yusuf", roles=["supervisor"]))
    with session_scope(engine) as session:
        session.get(Account, worker).locked_until = datetime(2099, 1, 1, tzinfo=UTC)
    # A lock after failed sign-ins refuses new browsers only: anybody can cause one, so it ends nobody's session.
    assert actor_for(engine, worker) is not None
    with pytest.raises(Forbidden), session_scope(engine) as session:
        sign_in.unlock_account(session, actor=colleague, account_id=worker)
    with session_scope(engine, actor=admin) as session:
        sign_in.unlock_account(session, actor=admin, account_id=worker)
    with session_scope(engine) as session:
        assert accounts.get_account(session, worker).locked_until is None
        assert "unlock" in session.scalars(select(AuditRecord.action)).all()


def _known_device(engine, account_id: int) -> str:
    """The browser the person signed in from before: the cookie route remembered it."""
    from accounts import sessions

    with session_scope(engine) as session:
        return sessions.remember_device(session, account_id=account_id, device_token=None)


def test_nobody_can_lock_the_only_administrator_out_of_their_own_browser(engine, database_url, monkeypatch):
    """Six wrong passwords from six addresses lock the account to new browsers; the administrator signs in from
    the browser they used before at once, and the server's command line lifts the lock for any browser."""
    from app.__main__ import main

    admin_id = _first_admin(engine)
    device = _known_device(engine, admin_id)
    start = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    for attempt in range(6):
        with session_scope(engine) as session:
            assert not sign_in.authenticate(session, username="admin", password=f"wrong {attempt}", now=start,
                                            source=f"198.51.100.{attempt}").ok
    with session_scope(engine) as session:  # a new browser, right password: refused, in the same words
        result = sign_in.authenticate(session, username="admin", password=GOOD, source="192.0.2.7", now=start)
    assert (result.ok, result.message) == (False, FAILED)
    with session_scope(engine) as session:  # the administrator's own browser: straight in
        assert sign_in.authenticate(session, username="admin", password=GOOD, source="192.0.2.7", device=device,
                                    now=start).ok
    with session_scope(engine) as session:  # the lock on new browsers outlasts that visit
        assert not sign_in.authenticate(session, username="admin", password=GOOD, source="192.0.2.8",
                                        now=start + timedelta(minutes=1)).ok
    with session_scope(engine) as session:  # a device token the account never signed in from counts for nothing
        assert not sign_in.authenticate(session, username="admin", password=GOOD, source="192.0.2.8",
                                        device="made-up-token", now=start + timedelta(minutes=1)).ok
    monkeypatch.setenv("CPCM_DATABASE_URL", database_url)
    assert main(["unlock", "ADMIN"]) == 0
    with session_scope(engine) as session:
        assert sign_in.authenticate(session, username="admin", password=GOOD, source="192.0.2.8",
                                    now=start + timedelta(minutes=2)).ok
        actions = session.scalars(select(AuditRecord.action).order_by(AuditRecord.id)).all()
    assert "unlock" in actions and actions[-1] == "login"


def test_one_address_guessing_one_account_waits_longer_each_time_and_others_are_not_held(engine):
    admin_id = _first_admin(engine)
    device = _known_device(engine, admin_id)
    moment = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    guesser = "203.0.113.66"

    def guess() -> str:
        with session_scope(engine) as session:
            return sign_in.authenticate(session, username="admin", password="a guess", source=guesser,
                                        now=moment).message

    for _ in range(6):  # 20 s apart: past the per-address waits of a few seconds
        assert guess() == FAILED
        moment += timedelta(seconds=20)
    assert "Wait 30 minutes" in guess()  # the 6th failure stopped this address trying this account
    moment += timedelta(minutes=31)
    assert guess() == FAILED
    moment += timedelta(seconds=20)
    assert "Wait 60 minutes" in guess()  # and each further failure doubles it
    with session_scope(engine) as session:  # the owner, on their own browser at the same address, is not held
        assert sign_in.authenticate(session, username="admin", password=GOOD, source=guesser, device=device,
                                    now=moment).ok
    with session_scope(engine) as session:  # and their success lifts nothing of the guesser's
        assert "Wait" in sign_in.authenticate(session, username="admin", password="a guess", source=guesser,
                                              now=moment).message
    with session_scope(engine) as session:  # nor is anyone else, elsewhere, trying their own account
        assert sign_in.authenticate(session, username="nobody-else", password="x", source="192.0.2.99",
                                    now=moment).message == FAILED


def test_the_client_address_is_the_one_the_trusted_proxy_saw():
    """nginx appends the address that connected to it; whatever the client wrote stands further left."""
    forwarded = "1.2.3.4, 5.6.7.8, 203.0.113.9"  # the first two written by the client itself
    assert sign_in.client_address(peer="127.0.0.1", forwarded_for=forwarded, trusted_proxies=1) == "203.0.113.9"
    assert sign_in.client_address(peer="127.0.0.1", forwarded_for=forwarded, trusted_proxies=2) == "5.6.7.8"
    assert sign_in.client_address(peer="10.9.8.7", forwarded_for=forwarded, trusted_proxies=0) == "10.9.8.7"
    assert sign_in.client_address(peer="10.9.8.7", forwarded_for="", trusted_proxies=1) == "10.9.8.7"
    rotated = {sign_in.client_address(peer="127.0.0.1", forwarded_for=f"10.0.0.{n}, 203.0.113.9",
                                      trusted_proxies=1) for n in range(50)}
    assert rotated == {"203.0.113.9"}  # rotating the first entry buys a guesser nothing


def test_many_wrong_passwords_at_once_never_conflict(engine, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("real concurrent sign-ins need PostgreSQL (SQLite serialises writers on one file)")
    import threading

    _first_admin(engine)
    errors = []

    def attempt(n: int) -> None:
        try:
            with session_scope(engine) as session:
                result = sign_in.authenticate(session, username="admin", password=f"wrong {n}", source=f"10.2.0.{n}")
            assert not result.ok
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with session_scope(engine) as session:
        row = session.scalar(select(Account).where(Account.username == "admin"))
        assert row.locked_until is not None and row.failed_logins == 2  # locked at 6, two more counted after


def test_two_first_run_forms_at_once_make_one_administrator(database_url, engine):
    if not database_url.startswith("postgresql"):
        pytest.skip("real concurrent first runs need PostgreSQL (SQLite serialises writers on one file)")
    import threading

    outcomes = []

    def first_run(n: int) -> None:
        try:
            with session_scope(engine) as session:
                accounts.create_first_administrator(session, username=f"admin{n}", display_name=f"Admin {n}",
                                                    password=GOOD)
            outcomes.append("created")
        except Forbidden:
            outcomes.append("refused")

    threads = [threading.Thread(target=first_run, args=(n,)) for n in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["created", "refused", "refused", "refused", "refused"]
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Account)) == 1


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
        result = sign_in.authenticate(session, username="mariam", password=temporary)
    assert result.ok
    with session_scope(engine) as session:
        assert accounts.get_account(session, worker_id).must_change_password
    with session_scope(engine) as session:
        accounts.change_password(session, actor=worker, current=temporary, new=GOOD)
    with session_scope(engine) as session:
        assert sign_in.authenticate(session, username="mariam", password=GOOD).ok
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
        assert sign_in.account_for_email(session, "lucia@example.ORG") == account_id
        assert sign_in.account_for_email(session, "stranger@example.org") is None
    with session_scope(engine) as session:
        accounts.update_account(session, actor=admin, account_id=account_id, draft=accounts.AccountDraft(
            username="lucia", display_name="Lucía", email="lucia@example.org", roles=["manager"], active=False))
    with session_scope(engine) as session:
        assert sign_in.account_for_email(session, "lucia@example.org") is None
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
