"""Signing in: passwords, single sign-on, and what stops guessing.

Every failure looks and takes the same: an unknown username, a wrong password, a locked or deactivated account
all cost one password check and get the same message, so nobody learns which accounts exist or which are
locked. Two brakes work together:

- **per account**: after ``CPCM_LOCKOUT_ATTEMPTS`` failures in a row (6) the account locks for
  ``CPCM_LOCKOUT_MINUTES`` (30); an administrator can unlock it at once. The counters are updated in one
  statement each, so many attempts at the same moment never conflict.
- **per source** (the client's address, kept only as a salted pseudonym): after 3 failures from the same source
  each further attempt from there must wait twice as long as the last (2 s, 4 s, 8 s … up to 15 minutes); a
  success resets it, and a quiet hour forgets it.

The trade-off: a per-account lock alone lets anyone lock a known colleague out by typing wrong passwords; the
per-source delay slows a guesser down without locking anyone, and the administrator's unlock undoes a lock made
to annoy.
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
from core.actor import Actor, Role, require_role
from core.audit import binds_actor, record_event
from core.config import get_settings
from core.i18n import t
from core.records import as_utc, get_or_raise
from core.settings_store import pseudonym

FREE_FAILURES = 3  # failures from one source before it has to wait
MAX_WAIT_SECONDS = 15 * 60
FORGET_AFTER = timedelta(hours=1)


@dataclass(frozen=True)
class LoginResult:
    ok: bool
    message: str = ""
    account_id: int | None = None


def _now() -> datetime:
    return datetime.now(UTC)


def _source_key(session: Session, source: str) -> str:
    return pseudonym(session, f"sign-in source:{source or 'unknown'}")


def _wait_seconds(session: Session, key: str, moment: datetime) -> int:
    blocked = session.scalar(select(SignInThrottle.blocked_until).where(SignInThrottle.source_key == key))
    blocked = as_utc(blocked)
    return max(0, math.ceil((blocked - moment).total_seconds())) if blocked else 0


def _source_failed(session: Session, key: str, moment: datetime) -> None:
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
    if failures > FREE_FAILURES:
        wait = min(2 ** (failures - FREE_FAILURES), MAX_WAIT_SECONDS)
        session.execute(update(table).where(table.c.source_key == key)
                        .values(blocked_until=moment + timedelta(seconds=wait)))


def _account_failed(session: Session, row: Account, moment: datetime) -> bool:
    """Count a failure against a live account in one statement each; True when this failure locked it."""
    settings = get_settings()
    table = Account.__table__
    session.execute(update(table).where(table.c.id == row.id).values(failed_logins=table.c.failed_logins + 1))
    locked = session.execute(update(table).where(table.c.id == row.id,
                                                 table.c.failed_logins >= settings.lockout_attempts)
                             .values(failed_logins=0,
                                     locked_until=moment + timedelta(minutes=settings.lockout_minutes)))
    return bool(locked.rowcount)


def authenticate(session: Session, *, username: str, password: str, source: str = "",
                 now: datetime | None = None) -> LoginResult:
    """Check a password. Never raises, so the caller commits the counters and the trail whatever the outcome."""
    moment = now or _now()
    generic = t("accounts.error.login_failed")
    key = _source_key(session, source)
    # No username holds a NUL (PostgreSQL could not even compare one): such a name is simply nobody's.
    name = username.strip().lower()[:80].replace("\x00", "\ufffd")
    row = session.scalar(select(Account).where(Account.username == name)) if name else None
    matches = verify_password(row.password_hash if row is not None else None, password)  # always the same work
    wait = _wait_seconds(session, key, moment)
    who = (Actor(account_id=row.id, name=row.display_name, agency_id=row.agency_id) if row is not None
           else Actor(account_id=None, name=t("accounts.audit.unknown_user")))
    if wait:
        record_event(session, action="login_throttled", entity_type="Account", entity_id=row.id if row else "",
                     actor=who, details={"source": key})
        return LoginResult(ok=False, message=t("accounts.error.login_wait", seconds=wait))
    locked = row is not None and (as_utc(row.locked_until) or moment) > moment
    if row is not None and matches and row.active and not locked:
        values: dict[str, object] = {"failed_logins": 0, "locked_until": None, "last_login_at": moment}
        if row.password_hash and needs_rehash(row.password_hash):
            values["password_hash"] = hash_password(password)
        session.execute(update(Account.__table__).where(Account.__table__.c.id == row.id).values(**values))
        session.execute(delete(SignInThrottle).where(SignInThrottle.source_key == key))
        record_event(session, action="login", entity_type="Account", entity_id=row.id, actor=who)
        return LoginResult(ok=True, account_id=row.id)
    if row is None:
        # Never the text typed: it may be a password typed into the wrong field.
        record_event(session, action="login_failed", entity_type="Account", actor=who,
                     summary=t("accounts.audit.unknown_username", ref=pseudonym(session, f"username:{name}")))
    elif locked or not row.active:
        record_event(session, action="login_refused_locked" if locked else "login_refused_inactive",
                     entity_type="Account", entity_id=row.id, actor=who)
    elif _account_failed(session, row, moment):
        settings = get_settings()
        record_event(session, action="account_locked", entity_type="Account", entity_id=row.id, actor=who,
                     summary=t("accounts.audit.locked", minutes=settings.lockout_minutes))
    else:
        record_event(session, action="login_failed", entity_type="Account", entity_id=row.id, actor=who)
    _source_failed(session, key, moment)
    return LoginResult(ok=False, message=generic)


def account_for_email(session: Session, email: str) -> int | None:
    """Single sign-on: the identity provider vouches for the e-mail; it maps onto an existing active account."""
    if not email:
        return None
    row = session.scalar(select(Account).where(Account.email == email.strip().lower()))
    if row is None or not row.active or (as_utc(row.locked_until) or _now()) > _now():
        return None
    session.execute(update(Account.__table__).where(Account.__table__.c.id == row.id).values(last_login_at=_now()))
    record_event(session, action="login_sso", entity_type="Account", entity_id=row.id,
                 actor=Actor(account_id=row.id, name=row.display_name, agency_id=row.agency_id))
    return row.id


@binds_actor
def unlock_account(session: Session, *, actor: Actor, account_id: int) -> None:
    """An administrator lifts a lock at once (after checking with the person that the attempts were not theirs
    to worry about)."""
    require_role(actor, Role.ADMINISTRATOR)
    row = get_or_raise(session, Account, account_id, "accounts.error.not_found")
    row.locked_until = None
    row.failed_logins = 0
    record_event(session, action="unlock", entity_type="Account", entity_id=row.id, scope_agency_id=row.agency_id)
