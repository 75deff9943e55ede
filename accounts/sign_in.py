"""Signing in: passwords, single sign-on, and what stops guessing.

Every failure looks and takes the same: an unknown username, a wrong password, a locked or deactivated account
all cost one password check and get the same message, so nobody learns which accounts exist or which are
locked. The brakes on guessing (``authenticate``) are per address, per address and username, and per account for
browsers it never signed in from; a browser the account signed in from before (``KnownDevice``) is held only by its
own failures. So a guesser gains nothing from many addresses, and an anonymous person cannot lock anybody out of
their own browser: the trade-off the single per-account lock made (anyone could lock a known colleague out,
the only administrator included) is gone. An administrator, or the server's command line, lifts a lock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from accounts.models import Account, SignInThrottle
from accounts.passwords import hash_password, needs_rehash, verify_password
from accounts.sessions import is_known_device
from core.actor import Actor, Role, require_role
from core.audit import binds_actor, record_event
from core.config import get_settings
from core.i18n import t, t_plain
from core.records import as_utc, get_or_raise
from core.settings_store import pseudonym

FREE_FAILURES = 3  # failures from one source before it has to wait
MAX_WAIT_SECONDS = 15 * 60
FORGET_AFTER = timedelta(hours=1)
MAX_PAIR_WAIT_SECONDS = 24 * 3600


@dataclass(frozen=True)
class LoginResult:
    ok: bool
    message: str = ""
    account_id: int | None = None


def _now() -> datetime:
    return datetime.now(UTC)


def _source_key(session: Session, source: str) -> str:
    return pseudonym(session, f"sign-in source:{source or 'unknown'}")


def _wait_seconds(session: Session, key: str | None, moment: datetime) -> int:
    blocked = session.scalar(select(SignInThrottle.blocked_until).where(SignInThrottle.source_key == key))
    blocked = as_utc(blocked)
    return max(0, math.ceil((blocked - moment).total_seconds())) if blocked else 0


def _failed(session: Session, key: str, moment: datetime, *, free: int, first_wait: float, cap: float) -> None:
    """Count a failure against ``key`` (a source, or a source trying one username); past ``free`` failures each
    further one makes the next attempt wait twice as long as the last, from ``first_wait`` up to ``cap`` seconds.
    A quiet hour forgets the count."""
    table = SignInThrottle.__table__
    row = session.execute(select(table.c.last_failure_at).where(table.c.source_key == key)).first()
    if row is not None and as_utc(row.last_failure_at) and as_utc(row.last_failure_at) < moment - FORGET_AFTER:
        session.execute(update(table).where(table.c.source_key == key).values(failures=0))
    # One statement whether or not the source has failed before, so attempts at the same moment never collide.
    dialect_insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(dialect_insert(table).values(source_key=key, failures=1, last_failure_at=moment)
                    .on_conflict_do_update(index_elements=[table.c.source_key],
                                           set_={"failures": table.c.failures + 1, "last_failure_at": moment}))
    failures = session.scalar(select(table.c.failures).where(table.c.source_key == key)) or 0
    if failures > free:
        wait = min(first_wait * 2 ** (failures - free - 1), cap)
        session.execute(update(table).where(table.c.source_key == key)
                        .values(blocked_until=moment + timedelta(seconds=wait)))


def _account_failed(session: Session, row: Account, moment: datetime) -> bool:
    """Count a failure against a live account in one statement each; True when this failure locked it to new
    devices."""
    settings = get_settings()
    table = Account.__table__
    session.execute(update(table).where(table.c.id == row.id).values(failed_logins=table.c.failed_logins + 1))
    locked = session.execute(update(table).where(table.c.id == row.id,
                                                 table.c.failed_logins >= settings.lockout_attempts)
                             .values(failed_logins=0,
                                     locked_until=moment + timedelta(minutes=settings.lockout_minutes)))
    return bool(locked.rowcount)


def _pair_key(session: Session, name: str, source: str) -> str:
    """The brake on one source trying one username: the username's pseudonym first, so that an unlock lifts the
    brakes on that username from every source (and on nothing else)."""
    return f"{_username_key(session, name)}:{_source_key(session, source)}"


def _username_key(session: Session, name: str) -> str:
    return "u" + pseudonym(session, f"sign-in username:{name}")


def _wait_message(seconds: int) -> str:
    if seconds >= 120:
        return t("accounts.error.login_wait_minutes", minutes=math.ceil(seconds / 60))
    return t("accounts.error.login_wait", seconds=seconds)


def authenticate(session: Session, *, username: str, password: str, source: str = "", device: str | None = None,
                 now: datetime | None = None) -> LoginResult:
    """Check a password. Never raises, so the caller commits the counters and the trail whatever the outcome.

    ``source`` is the client's address (see ``client_address``); ``device`` the token of the browser's
    known-device cookie, if it has one. Three brakes, none of which an anonymous person can turn against the
    account's owner on the owner's own browser:

    - per source, whatever username is typed: past 3 failures each attempt waits twice as long (2 s … 15 min);
    - per source and typed username: the 6th failure (``CPCM_LOCKOUT_ATTEMPTS``) stops that source trying that
      username for 30 minutes (``CPCM_LOCKOUT_MINUTES``), twice as long after each further failure (up to a day);
      an unknown username is braked the same way, so nothing tells which accounts exist;
    - per account, from every source together: the 6th failure locks the account for 30 minutes to browsers it
      never signed in from, so guessing from many addresses gains nothing.

    A browser the account signed in from before (a known device) is stopped by none of them but its own
    failures: the person keeps getting in while someone else guesses, and an administrator (page or
    ``python -m app unlock``) lifts the rest."""
    moment = now or _now()
    settings = get_settings()
    generic = t("accounts.error.login_failed")
    key = _source_key(session, source)
    # No username holds a NUL (PostgreSQL could not even compare one): such a name is simply nobody's.
    name = username.strip().lower()[:80].replace("\x00", "\ufffd")
    pair = _pair_key(session, name, source)
    row = session.scalar(select(Account).where(Account.username == name)) if name else None
    matches = verify_password(row.password_hash if row is not None else None, password)  # always the same work
    known = row is not None and is_known_device(session, row.id, device)
    own_key = pseudonym(session, f"sign-in device:{device}") if known else None
    waits = [_wait_seconds(session, own_key, moment)] if own_key else [
        _wait_seconds(session, key, moment), _wait_seconds(session, pair, moment)]
    wait = max(waits)
    who = (Actor(account_id=row.id, name=row.display_name, agency_id=row.agency_id) if row is not None
           else Actor(account_id=None, name=t("accounts.audit.unknown_user")))
    if wait:
        record_event(session, action="login_throttled", entity_type="Account", entity_id=row.id if row else "",
                     actor=who, details={"source": key, "known_device": known})
        return LoginResult(ok=False, message=_wait_message(wait))
    locked = row is not None and not known and (as_utc(row.locked_until) or moment) > moment
    if row is not None and matches and row.active and not locked:
        values: dict[str, object] = {"last_login_at": moment}
        if not (as_utc(row.locked_until) or moment) > moment:  # a lock for new devices outlasts a known one's visit
            values.update(failed_logins=0, locked_until=None)
        if row.password_hash and needs_rehash(row.password_hash):
            values["password_hash"] = hash_password(password)
        session.execute(update(Account.__table__).where(Account.__table__.c.id == row.id).values(**values))
        # A success clears the brakes it passed: a known browser only its own (a guesser at the same address keeps
        # theirs), a new browser those of its address and of this username from there.
        session.execute(delete(SignInThrottle).where(SignInThrottle.source_key.in_(
            [own_key] if own_key else [key, pair])))
        record_event(session, action="login", entity_type="Account", entity_id=row.id, actor=who,
                     details={"known_device": known} if known else None)
        return LoginResult(ok=True, account_id=row.id)
    if row is None:
        # Never the text typed: it may be a password typed into the wrong field.
        record_event(session, action="login_failed", entity_type="Account", actor=who,
                     summary=t_plain("accounts.audit.unknown_username", ref=pseudonym(session, f"username:{name}")))
    elif locked or not row.active:
        record_event(session, action="login_refused_locked" if locked else "login_refused_inactive",
                     entity_type="Account", entity_id=row.id, actor=who)
    elif _account_failed(session, row, moment):
        record_event(session, action="account_locked", entity_type="Account", entity_id=row.id, actor=who,
                     summary=t_plain("accounts.audit.locked", minutes=settings.lockout_minutes))
    else:
        record_event(session, action="login_failed", entity_type="Account", entity_id=row.id, actor=who)
    if own_key:  # the person's own browser: only its own failures slow it down
        _failed(session, own_key, moment, free=FREE_FAILURES, first_wait=2, cap=MAX_WAIT_SECONDS)
    else:
        _failed(session, key, moment, free=FREE_FAILURES, first_wait=2, cap=MAX_WAIT_SECONDS)
        _failed(session, pair, moment, free=settings.lockout_attempts - 1, first_wait=settings.lockout_minutes * 60,
                cap=MAX_PAIR_WAIT_SECONDS)
    return LoginResult(ok=False, message=generic)


def client_address(*, peer: str, forwarded_for: str, trusted_proxies: int) -> str:
    """The address a sign-in attempt comes from. Directly connected (``trusted_proxies`` 0): the connection's
    own. Behind ``trusted_proxies`` reverse proxies of the deployment's own: the address the outermost of them
    saw, which is that many entries from the right of X-Forwarded-For (each proxy appends the address that
    connected to it; whatever stands further left, the client wrote itself and could change at every attempt)."""
    entries = [entry.strip() for entry in forwarded_for.split(",") if entry.strip()]
    if trusted_proxies <= 0 or not entries:
        return peer
    return entries[max(0, len(entries) - trusted_proxies)]


def account_for_email(session: Session, email: str) -> int | None:
    """Single sign-on: the identity provider vouches for the e-mail; it maps onto an existing active account."""
    if not email:
        return None
    row = session.scalar(select(Account).where(Account.email == email.strip().lower()))
    if row is None or not row.active:  # a lock after failed passwords is about passwords, not the provider's word
        return None
    session.execute(update(Account.__table__).where(Account.__table__.c.id == row.id).values(last_login_at=_now()))
    record_event(session, action="login_sso", entity_type="Account", entity_id=row.id,
                 actor=Actor(account_id=row.id, name=row.display_name, agency_id=row.agency_id))
    return row.id


def unlock_from_server(session: Session, *, username: str) -> bool:
    """``python -m app unlock USERNAME``: for whoever runs the server, when the only administrator is locked out
    of every browser they have; recorded in the trail as done from the server's command line."""
    row = session.scalar(select(Account).where(Account.username == username.strip().lower()))
    if row is None:
        return False
    _lift(session, row, Actor(account_id=None, name=t("accounts.audit.server_command_line"),
                              roles=frozenset({Role.ADMINISTRATOR})))
    return True


def _lift(session: Session, row: Account, actor: Actor) -> None:
    row.locked_until = None
    row.failed_logins = 0
    # The brakes on this username from every source (the person's own, and a guesser's); a guesser's brake on
    # their own source, whatever they type, stays.
    session.execute(delete(SignInThrottle).where(SignInThrottle.source_key.like(
        f"{_username_key(session, row.username)}:%")))
    record_event(session, action="unlock", entity_type="Account", entity_id=row.id, scope_agency_id=row.agency_id,
                 actor=actor)


@binds_actor
def unlock_account(session: Session, *, actor: Actor, account_id: int) -> None:
    """An administrator lifts a lock at once (after checking with the person that the attempts were not theirs
    to worry about)."""
    require_role(actor, Role.ADMINISTRATOR)
    row = get_or_raise(session, Account, account_id, "accounts.error.not_found")
    _lift(session, row, actor)
