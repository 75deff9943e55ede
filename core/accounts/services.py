"""Account use cases: first administrator, login with throttling and lockout, passwords, roles, agencies."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.accounts.models import Account, Agency
from core.accounts.passwords import hash_password, needs_rehash, password_problem, verify_password
from core.accounts.roles import ALL_ROLES, Actor, Role
from core.audit import binds_actor, record_event
from core.config import get_settings
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.i18n import format_date, t

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,79}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class AccountView:
    id: int
    username: str
    display_name: str
    email: str | None
    roles: tuple[Role, ...]
    agency_id: int | None
    agency_name: str
    staff_member_id: int | None
    active: bool
    locked_until: datetime | None
    must_change_password: bool
    last_login_at: datetime | None
    version_id: int


@dataclass
class AccountDraft:
    username: str
    display_name: str
    email: str = ""
    roles: list[str] = field(default_factory=list)
    agency_id: int | None = None
    staff_member_id: int | None = None
    active: bool = True


@dataclass(frozen=True)
class LoginResult:
    ok: bool
    message: str = ""
    account_id: int | None = None
    must_change_password: bool = False


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)  # SQLite returns naive datetimes; we only ever store UTC
    return moment


def _view(row: Account, agencies: dict[int, str]) -> AccountView:
    return AccountView(id=row.id, username=row.username, display_name=row.display_name, email=row.email,
                       roles=tuple(Role(r) for r in row.roles), agency_id=row.agency_id,
                       agency_name=agencies.get(row.agency_id or 0, ""), staff_member_id=row.staff_member_id,
                       active=row.active, locked_until=_aware(row.locked_until),
                       must_change_password=row.must_change_password, last_login_at=_aware(row.last_login_at),
                       version_id=row.version_id)


def _agency_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Agency.id, Agency.name)).all())


def generate_password() -> str:
    """A random password to hand over once (e.g. 'kT4m-9xQe-Lw2p-Zr7b')."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))


# ------------------------------------------------------------------------------------------------ first run


def has_any_account(session: Session) -> bool:
    return bool(session.scalar(select(func.count()).select_from(Account)))


@binds_actor
def create_first_administrator(session: Session, *, username: str, display_name: str, password: str,
                               email: str = "") -> int:
    """The first-run screen: only possible while there is no account at all. There is no default password."""
    if has_any_account(session):
        raise Forbidden(t("accounts.error.already_set_up"))
    draft = AccountDraft(username=username, display_name=display_name, email=email,
                         roles=[Role.ADMINISTRATOR.value])
    errors = _validate(session, draft, None)
    problem = password_problem(password, username=draft.username)
    if problem:
        errors["password"] = problem
    if errors:
        raise ValidationFailed(errors)
    row = _new_account(draft, hash_password(password))
    session.add(row)
    session.flush()
    _adopt_unowned_assessments(session, row)
    return row.id


def _adopt_unowned_assessments(session: Session, row: Account) -> None:
    """Assessments made before accounts existed (an earlier version on this laptop) belong to nobody; the first
    administrator becomes their facilitator, so that no workshop is lost behind the new login."""
    from qaf.models import Assessment, AssessmentMember

    orphans = session.scalars(select(Assessment.id).where(~Assessment.members.any())).all()
    if not orphans:
        return
    row.roles = sorted({*row.roles, Role.FACILITATOR.value})
    for assessment_id in orphans:
        session.add(AssessmentMember(assessment_id=assessment_id, account_id=row.id, role="facilitator"))
    session.flush()


# ------------------------------------------------------------------------------------------------ login


def authenticate(session: Session, *, username: str, password: str, now: datetime | None = None) -> LoginResult:
    """Check a password. Failures are counted; after too many the account locks for a while. Never raises, so
    the caller commits the counters whatever the outcome."""
    settings = get_settings()
    moment = now or _now()
    generic = t("accounts.error.login_failed")
    row = session.scalar(select(Account).where(Account.username == username.strip().lower()))
    if row is None:
        verify_password(None, password)  # same work as a real check: timing does not reveal unknown names
        record_event(session, action="login_failed", entity_type="Account", summary=username.strip()[:80],
                     actor=Actor(account_id=None, name=username.strip()[:80] or "?"))
        return LoginResult(ok=False, message=generic)
    who = Actor(account_id=row.id, name=row.display_name, agency_id=row.agency_id)
    locked_until = _aware(row.locked_until)
    if locked_until and locked_until > moment:
        record_event(session, action="login_refused_locked", entity_type="Account", entity_id=row.id, actor=who)
        return LoginResult(ok=False, message=t("accounts.error.locked", until=format_date(locked_until, fmt="short")))
    if not row.active or not verify_password(row.password_hash, password):
        row.failed_logins += 1
        if row.failed_logins >= settings.lockout_attempts:
            row.locked_until = moment + timedelta(minutes=settings.lockout_minutes)
            row.failed_logins = 0
            record_event(session, action="account_locked", entity_type="Account", entity_id=row.id, actor=who,
                         summary=t("accounts.audit.locked", minutes=settings.lockout_minutes))
            session.flush()
            return LoginResult(ok=False, message=t("accounts.error.locked_now", minutes=settings.lockout_minutes))
        record_event(session, action="login_failed", entity_type="Account", entity_id=row.id, actor=who)
        session.flush()
        return LoginResult(ok=False, message=generic)
    row.failed_logins = 0
    row.locked_until = None
    row.last_login_at = moment
    if row.password_hash and needs_rehash(row.password_hash):
        row.password_hash = hash_password(password)
    record_event(session, action="login", entity_type="Account", entity_id=row.id, actor=who)
    session.flush()
    return LoginResult(ok=True, account_id=row.id, must_change_password=row.must_change_password)


def account_for_email(session: Session, email: str) -> int | None:
    """Single sign-on: the identity provider vouches for the e-mail; it maps onto an existing active account."""
    if not email:
        return None
    row = session.scalar(select(Account).where(func.lower(Account.email) == email.strip().lower()))
    if row is None or not row.active:
        return None
    row.last_login_at = _now()
    record_event(session, action="login_sso", entity_type="Account", entity_id=row.id,
                 actor=Actor(account_id=row.id, name=row.display_name, agency_id=row.agency_id))
    return row.id


def build_actor(session: Session, account_id: int) -> Actor | None:
    """The acting person for an account, or ``None`` if it no longer exists or was deactivated."""
    row = session.get(Account, account_id)
    if row is None or not row.active:
        return None
    from supervision.services import teams_supervised_by  # late: supervision builds on core, not the reverse

    teams = teams_supervised_by(session, row.staff_member_id) if row.staff_member_id else frozenset()
    return Actor(account_id=row.id, name=row.display_name, roles=frozenset(Role(r) for r in row.roles),
                 agency_id=row.agency_id, staff_member_id=row.staff_member_id, supervised_team_ids=teams)


# ------------------------------------------------------------------------------------------------ passwords


@binds_actor
def change_password(session: Session, *, actor: Actor, current: str, new: str) -> None:
    row = session.get(Account, actor.account_id)
    if row is None:
        raise NotFound(t("accounts.error.not_found"))
    errors: dict[str, str] = {}
    if not verify_password(row.password_hash, current):
        errors["current"] = t("accounts.error.current_password")
    problem = password_problem(new, username=row.username)
    if problem:
        errors["new"] = problem
    elif new == current:
        errors["new"] = t("accounts.error.password_same")
    if errors:
        raise ValidationFailed(errors)
    row.password_hash = hash_password(new)
    row.password_changed_at = _now()
    row.must_change_password = False


@binds_actor
def reset_password(session: Session, *, actor: Actor, account_id: int) -> str:
    """An administrator sets a new random password, shown once; the person must change it at next login."""
    _require_admin(actor)
    row = session.get(Account, account_id)
    if row is None:
        raise NotFound(t("accounts.error.not_found"))
    password = generate_password()
    row.password_hash = hash_password(password)
    row.password_changed_at = _now()
    row.must_change_password = True
    row.locked_until = None
    row.failed_logins = 0
    session.flush()
    return password


# ------------------------------------------------------------------------------------------------ administration


def _require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden(t("common.error.forbidden"))


def _validate(session: Session, draft: AccountDraft, account_id: int | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    username = draft.username.strip().lower()
    if not USERNAME.match(username):
        errors["username"] = t("accounts.error.username")
    elif session.scalar(select(Account.id).where(Account.username == username, Account.id != (account_id or 0))):
        errors["username"] = t("accounts.error.username_taken", username=username)
    if not draft.display_name.strip():
        errors["display_name"] = t("accounts.error.display_name")
    elif len(draft.display_name) > 200:
        errors["display_name"] = t("common.error.too_long", limit=200)
    email = draft.email.strip().lower()
    if email and not EMAIL.match(email):
        errors["email"] = t("accounts.error.email")
    elif email and session.scalar(select(Account.id).where(func.lower(Account.email) == email,
                                                           Account.id != (account_id or 0))):
        errors["email"] = t("accounts.error.email_taken")
    unknown = [r for r in draft.roles if r not in {role.value for role in ALL_ROLES}]
    if not draft.roles or unknown:
        errors["roles"] = t("accounts.error.roles")
    if draft.agency_id is not None and session.get(Agency, draft.agency_id) is None:
        errors["agency_id"] = t("accounts.error.agency")
    return errors


def _new_account(draft: AccountDraft, password_hash: str | None) -> Account:
    return Account(username=draft.username.strip().lower(), display_name=draft.display_name.strip(),
                   email=draft.email.strip().lower() or None, roles=sorted(set(draft.roles)),
                   agency_id=draft.agency_id, staff_member_id=draft.staff_member_id, active=draft.active,
                   password_hash=password_hash, password_changed_at=_now())


@binds_actor
def create_account(session: Session, *, actor: Actor, draft: AccountDraft,
                   must_change_password: bool = True) -> tuple[int, str]:
    """Create an account with a random first password, returned once to show to the administrator. The person
    must replace it at first login unless told otherwise (the example accounts)."""
    _require_admin(actor)
    errors = _validate(session, draft, None)
    if errors:
        raise ValidationFailed(errors)
    password = generate_password()
    row = _new_account(draft, hash_password(password))
    row.must_change_password = must_change_password
    session.add(row)
    session.flush()
    return row.id, password


@binds_actor
def update_account(session: Session, *, actor: Actor, account_id: int, draft: AccountDraft,
                   expected_version: int | None = None) -> None:
    _require_admin(actor)
    row = session.get(Account, account_id)
    if row is None:
        raise NotFound(t("accounts.error.not_found"))
    check_version(row, expected_version)
    errors = _validate(session, draft, account_id)
    if row.id == actor.account_id and (not draft.active or Role.ADMINISTRATOR.value not in draft.roles):
        errors["roles"] = t("accounts.error.keep_own_admin")
    if errors:
        raise ValidationFailed(errors)
    row.username = draft.username.strip().lower()
    row.display_name = draft.display_name.strip()
    row.email = draft.email.strip().lower() or None
    row.roles = sorted(set(draft.roles))
    row.agency_id = draft.agency_id
    row.staff_member_id = draft.staff_member_id
    row.active = draft.active


def list_accounts(session: Session, *, actor: Actor) -> list[AccountView]:
    _require_admin(actor)
    agencies = _agency_names(session)
    return [_view(r, agencies) for r in session.scalars(select(Account).order_by(Account.username)).all()]


def get_account(session: Session, account_id: int) -> AccountView:
    row = session.get(Account, account_id)
    if row is None:
        raise NotFound(t("accounts.error.not_found"))
    return _view(row, _agency_names(session))


def check_version(row: object, expected_version: int | None) -> None:
    """Optimistic locking: refuse to save over a change the user has not seen, saying who made it and when."""
    if expected_version is None or getattr(row, "version_id", None) == expected_version:
        return
    when = getattr(row, "updated_at", None)
    raise Conflict(t("common.error.conflict", who=getattr(row, "updated_by_name", "") or "?",
                     when=format_date(_aware(when), fmt="short") if when else "?"))


# ------------------------------------------------------------------------------------------------ agencies


@dataclass(frozen=True)
class AgencyView:
    id: int
    name: str
    active: bool


def list_agencies(session: Session) -> list[AgencyView]:
    return [AgencyView(a.id, a.name, a.active) for a in session.scalars(select(Agency).order_by(Agency.name))]


@binds_actor
def create_agency(session: Session, *, actor: Actor, name: str) -> int:
    _require_admin(actor)
    clean = name.strip()
    if not clean:
        raise ValidationFailed({"name": t("accounts.error.agency_name")})
    if len(clean) > 200:
        raise ValidationFailed({"name": t("common.error.too_long", limit=200)})
    if session.scalar(select(Agency.id).where(func.lower(Agency.name) == clean.lower())):
        raise ValidationFailed({"name": t("accounts.error.agency_taken", name=clean)})
    row = Agency(name=clean)
    session.add(row)
    session.flush()
    return row.id


def agency_id_for(session: Session, name: str) -> int | None:
    return session.scalar(select(Agency.id).where(func.lower(Agency.name) == name.strip().lower()))


@dataclass(frozen=True)
class PersonChoice:
    id: int
    display_name: str


def list_people(session: Session) -> list[PersonChoice]:
    """Active accounts by display name, to choose who takes part in an assessment (names only, no details)."""
    rows = session.execute(select(Account.id, Account.display_name, Account.username).where(
        Account.active.is_(True)).order_by(Account.display_name)).all()
    return [PersonChoice(id=r.id, display_name=f"{r.display_name} ({r.username})") for r in rows]
