"""Signed-in browsers that outlive one Streamlit session: a reload, a second tab or a link opened from an e-mail
finds the person still signed in, within the idle timeout.

How the browser gets its cookie: signing in opens a session record with a one-time hand-off code (valid for two
minutes). The page sends that code to the server's own route (``accounts.web``), which swaps it for a random
token and sets it as an HttpOnly, SameSite=Strict cookie: no script can read it, another site cannot send it.
A new Streamlit session reads the cookie from its connection and resumes the record. Only SHA-256 digests of the
code and the token are stored. Every page run and every button callback checks the record again: ended
(signed out in another tab, password changed) or idle too long means signed out."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from accounts.models import KnownDevice, SignInSession
from accounts.services import build_actor
from core.actor import Actor
from core.config import get_settings
from core.i18n import t
from core.records import as_utc

COOKIE = "cpcm_session"
DEVICE_COOKIE = "cpcm_device"  # a browser that signed in before: see KnownDevice
DEVICE_DAYS = 180
HANDOFF_SECONDS = 120
TOUCH_EVERY = timedelta(seconds=30)  # last_seen is written at most this often: not one write per click


def _now() -> datetime:
    return datetime.now(UTC)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _idle_limit() -> timedelta:
    return timedelta(minutes=get_settings().idle_timeout_minutes)


@dataclass(frozen=True)
class Opened:
    id: int
    handoff: str  # give this to the browser's cookie route once; it is worth nothing after


def open_session(session: Session, account_id: int, *, now: datetime | None = None) -> Opened:
    now = now or _now()
    handoff = secrets.token_urlsafe(32)
    row = SignInSession(account_id=account_id, handoff_hash=_digest(handoff),
                        handoff_expires_at=now + timedelta(seconds=HANDOFF_SECONDS), started_at=now,
                        last_seen_at=now)
    session.add(row)
    session.flush()
    return Opened(row.id, handoff)


@dataclass(frozen=True)
class Claimed:
    token: str  # the session cookie's value
    account_id: int


def claim_handoff(session: Session, handoff: str, *, now: datetime | None = None) -> Claimed | None:
    """The cookie token for a valid, unused hand-off code of a live session; ``None`` otherwise."""
    now = now or _now()
    if not handoff or len(handoff) > 100:
        return None
    row = session.scalar(select(SignInSession).where(SignInSession.handoff_hash == _digest(handoff)))
    if row is None or row.ended_at is not None or (as_utc(row.handoff_expires_at) or now) < now:
        return None
    token = secrets.token_urlsafe(32)
    row.token_hash, row.handoff_hash, row.handoff_expires_at = _digest(token), None, None
    return Claimed(token, row.account_id)


def remember_device(session: Session, *, account_id: int, device_token: str | None,
                    now: datetime | None = None) -> str:
    """The browser that just claimed its sign-in cookie is now a device this account signed in from; returns the
    device token the browser should keep (its own, or a new one when it had none)."""
    now = now or _now()
    if not isinstance(device_token, str) or not device_token or len(device_token) > 100:
        device_token = secrets.token_urlsafe(32)
    digest = _digest(device_token)
    touched = session.execute(update(KnownDevice).where(KnownDevice.account_id == account_id,
                                                        KnownDevice.device_hash == digest)
                              .values(last_seen_at=now)).rowcount
    if not touched:
        session.add(KnownDevice(account_id=account_id, device_hash=digest, first_seen_at=now, last_seen_at=now))
    return device_token


def is_known_device(session: Session, account_id: int, device_token: str | None) -> bool:
    """Has this browser signed in to this account before (within the last ``DEVICE_DAYS``)?"""
    if not isinstance(device_token, str) or not device_token or len(device_token) > 100:
        return False
    since = _now() - timedelta(days=DEVICE_DAYS)
    return session.scalar(select(KnownDevice.id).where(
        KnownDevice.account_id == account_id, KnownDevice.device_hash == _digest(device_token),
        KnownDevice.last_seen_at >= since)) is not None


@dataclass(frozen=True)
class Standing:
    """Where a signed-in browser stands now: the person who may act, or why not."""

    actor: Actor | None
    reason: str = ""
    cookie_set: bool = False


def check(session: Session, session_id: int | None, *, now: datetime | None = None) -> Standing:
    """The session record checked now (live, within the idle timeout) and its account (active, not locked, with
    its current roles). A live session counts as activity."""
    now = now or _now()
    row = session.get(SignInSession, session_id) if session_id is not None else None
    if row is None or row.ended_at is not None:
        return Standing(None, t("common.error.signed_out"))
    if now - as_utc(row.last_seen_at) > _idle_limit():  # type: ignore[operator]
        row.ended_at = now
        return Standing(None, t("login.timed_out", minutes=get_settings().idle_timeout_minutes))
    actor = build_actor(session, row.account_id)
    if actor is None:
        row.ended_at = now
        return Standing(None, t("login.account_disabled"))
    if now - as_utc(row.last_seen_at) > TOUCH_EVERY:  # type: ignore[operator]
        row.last_seen_at = now
    return Standing(actor, cookie_set=row.token_hash is not None)


def resume(session: Session, token: str, *, now: datetime | None = None) -> int | None:
    """The session a browser's cookie names, if it is still live (a reload, a new tab); ``None`` otherwise."""
    if not token or len(token) > 100:
        return None
    row = session.scalar(select(SignInSession).where(SignInSession.token_hash == _digest(token)))
    if row is None or not check(session, row.id, now=now).actor:
        return None
    return row.id


def end_session(session: Session, session_id: int | None, *, now: datetime | None = None) -> None:
    if session_id is not None:
        session.execute(update(SignInSession).where(SignInSession.id == session_id, SignInSession.ended_at.is_(None))
                        .values(ended_at=now or _now()))


def account_of(session: Session, session_id: int) -> int | None:
    row = session.get(SignInSession, session_id)
    return row.account_id if row else None
