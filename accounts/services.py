"""Account use cases: first administrator, login with throttling and lockout, passwords, roles, agencies."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from accounts.models import Account, Agency, SignInSession, StaffMember, TeamMembership
from accounts.passwords import hash_password, password_problem, verify_password
from accounts.staff_services import in_team_on, teams_supervised_by
from core.actor import ALL_ROLES, Actor, Role, require_role
from core.audit import binds_actor
from core.config import get_settings
from core.errors import Forbidden, ValidationFailed
from core.i18n import available_locales, t
from core.records import as_utc, check_version, get_or_raise
from core.safe_text import text_problem
from core.settings_store import InstallationSetting

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
    language: str | None = None
    agency_language: str | None = None  # the agency's default, for a person who chose none

    @property
    def interface_language(self) -> str:
        """The person's language: their own choice, else their agency's, else the server's."""
        return self.language or self.agency_language or get_settings().locale


@dataclass
class AccountDraft:
    username: str
    display_name: str
    email: str = ""
    roles: list[str] = field(default_factory=list)
    agency_id: int | None = None
    staff_member_id: int | None = None
    active: bool = True


def _now() -> datetime:
    return datetime.now(UTC)




def _view(row: Account, agencies: dict[int, str]) -> AccountView:
    return AccountView(id=row.id, username=row.username, display_name=row.display_name, email=row.email,
                       roles=tuple(Role(r) for r in row.roles), agency_id=row.agency_id,
                       agency_name=agencies.get(row.agency_id or 0, ""), staff_member_id=row.staff_member_id,
                       active=row.active, locked_until=as_utc(row.locked_until),
                       must_change_password=row.must_change_password, last_login_at=as_utc(row.last_login_at),
                       version_id=row.version_id, language=row.language)


def _agency_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Agency.id, Agency.name)).all())


def generate_password() -> str:
    """A random password to hand over once (e.g. 'kT4m-9xQe-Lw2p-Zr7b')."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))


# ------------------------------------------------------------------------------------------------ first run

# Features that had data before accounts existed register here (at start-up, from the top of the app) what the
# first administrator takes over; each returns the roles that person then needs. Accounts know no feature.
FIRST_RUN_KEY = "first_administrator"
FIRST_ADMINISTRATOR_HOOKS: list[Callable[[Session, int], set[str]]] = []


def has_any_account(session: Session) -> bool:
    return bool(session.scalar(select(func.count()).select_from(Account)))


def _claim_first_run(session: Session) -> None:
    """Two first-run forms sent at the same moment must not make two administrators: each inserts the same
    one-time marker, and the database lets only one of them have it."""
    session.add(InstallationSetting(key=FIRST_RUN_KEY, value=_now().isoformat()))
    try:
        session.flush()
    except IntegrityError as exc:  # the other form got there first; this transaction is rolled back whole
        raise Forbidden(t("accounts.error.already_set_up")) from exc


@binds_actor
def create_first_administrator(session: Session, *, username: str, display_name: str, password: str,
                               email: str = "") -> int:
    """The first-run screen: only possible while there is no account at all. There is no default password."""
    if has_any_account(session):
        raise Forbidden(t("accounts.error.already_set_up"))
    _claim_first_run(session)
    draft = AccountDraft(username=username, display_name=display_name, email=email,
                         roles=[Role.ADMINISTRATOR.value])
    errors = _validate(session, draft, None)
    problem = password_problem(password, context=[draft.username, draft.display_name, draft.email])
    if problem:
        errors["password"] = problem
    if errors:
        raise ValidationFailed(errors)
    row = _new_account(draft, hash_password(password))
    session.add(row)
    session.flush()
    extra_roles = set().union(*(hook(session, row.id) for hook in FIRST_ADMINISTRATOR_HOOKS))
    if extra_roles:
        row.roles = sorted({*row.roles, *extra_roles})
        session.flush()
    return row.id



# ------------------------------------------------------------------------------------------------ the acting person


def build_actor(session: Session, account_id: int) -> Actor | None:
    """The acting person for an account, as the database says now, or ``None`` if it no longer exists or was
    deactivated. A lock after failed sign-ins refuses new sign-ins from unknown browsers only: anybody can cause
    one by typing wrong passwords, so it never ends the person's own open sessions."""
    row = session.get(Account, account_id)
    if row is None or not row.active:
        return None
    teams = teams_supervised_by(session, row.staff_member_id) if row.staff_member_id else frozenset()
    return Actor(account_id=row.id, name=row.display_name, roles=frozenset(Role(r) for r in row.roles),
                 agency_id=row.agency_id, staff_member_id=row.staff_member_id, supervised_team_ids=teams)


# ------------------------------------------------------------------------------------------------ passwords


@binds_actor
def change_password(session: Session, *, actor: Actor, current: str, new: str) -> None:
    row = get_or_raise(session, Account, actor.account_id, "accounts.error.not_found")
    errors: dict[str, str] = {}
    if not verify_password(row.password_hash, current):
        errors["current"] = t("accounts.error.current_password")
    agency = session.get(Agency, row.agency_id) if row.agency_id else None
    problem = password_problem(new, context=[row.username, row.display_name, row.email or "",
                                             agency.name if agency else ""])
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
    require_role(actor, Role.ADMINISTRATOR)
    row = get_or_raise(session, Account, account_id, "accounts.error.not_found")
    password = generate_password()
    row.password_hash = hash_password(password)
    row.password_changed_at = _now()
    row.must_change_password = True
    row.locked_until = None
    row.failed_logins = 0
    # Whoever knew the old password may be signed in somewhere: every browser of this account signs in again.
    session.execute(update(SignInSession).where(SignInSession.account_id == row.id, SignInSession.ended_at.is_(None))
                    .values(ended_at=_now()))
    session.flush()
    return password


@binds_actor
def set_language(session: Session, *, actor: Actor, language: str | None) -> None:
    """The person's interface language; ``None`` follows the server's default."""
    if language is not None and language not in available_locales():
        raise ValidationFailed({"language": t("accounts.error.language")})
    row = get_or_raise(session, Account, actor.account_id, "accounts.error.not_found")
    row.language = language


# ------------------------------------------------------------------------------------------------ administration



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
    require_role(actor, Role.ADMINISTRATOR)
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
    require_role(actor, Role.ADMINISTRATOR)
    row = get_or_raise(session, Account, account_id, "accounts.error.not_found")
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
    require_role(actor, Role.ADMINISTRATOR)
    agencies = _agency_names(session)
    return [_view(r, agencies) for r in session.scalars(select(Account).order_by(Account.username)).all()]


def get_account(session: Session, account_id: int) -> AccountView:
    row = get_or_raise(session, Account, account_id, "accounts.error.not_found")
    view = _view(row, _agency_names(session))
    if row.agency_id is None:
        return view
    agency_language = session.scalar(select(Agency.default_language).where(Agency.id == row.agency_id))
    return replace(view, agency_language=agency_language)


@dataclass(frozen=True)
class Preferences:
    """What the sign-in gate needs of a signed-in account at every page run, read in one query."""
    language: str | None
    interface_language: str
    must_change_password: bool


def preferences(session: Session, account_id: int) -> Preferences | None:
    """The account's language (its own choice, else its agency's, else the server's) and whether it must change
    its password; ``None`` if the account is gone."""
    row = session.execute(select(Account.language, Account.must_change_password, Agency.default_language)
                          .outerjoin(Agency, Agency.id == Account.agency_id).where(Account.id == account_id)).first()
    if row is None:
        return None
    language, must_change, agency_language = row
    return Preferences(language, language or agency_language or get_settings().locale, bool(must_change))


# ------------------------------------------------------------------------------------------------ agencies


@dataclass(frozen=True)
class AgencyView:
    id: int
    name: str
    active: bool
    default_language: str | None = None


def list_agencies(session: Session) -> list[AgencyView]:
    return [AgencyView(a.id, a.name, a.active, a.default_language)
            for a in session.scalars(select(Agency).order_by(Agency.name))]


def language_of_staff(session: Session, *, staff_member_id: int | None = None,
                      team_id: int | None = None) -> str | None:
    """The language of the person something is made for (a calendar's owner): the account linked to that staff
    member, or to the team's current supervisor: its own choice, else its agency's default. None when neither
    says."""
    if staff_member_id is None and team_id is not None:
        staff_member_id = session.scalar(select(TeamMembership.staff_member_id).where(
            TeamMembership.team_id == team_id, TeamMembership.role_in_team == "supervisor", in_team_on())
            .order_by(TeamMembership.id).limit(1))
    if staff_member_id is None:
        return None
    row = session.execute(select(Account.language, Agency.default_language)
                          .join(Agency, Agency.id == Account.agency_id, isouter=True)
                          .where(Account.staff_member_id == staff_member_id, Account.active.is_(True))
                          .order_by(Account.id).limit(1)).first()
    if row is not None and (row[0] or row[1]):
        return row[0] or row[1]
    return session.scalar(select(Agency.default_language).join(StaffMember, StaffMember.agency_id == Agency.id)
                          .where(StaffMember.id == staff_member_id))


@binds_actor
def set_agency_language(session: Session, *, actor: Actor, agency_id: int, language: str | None) -> None:
    """The interface language of the agency's people who chose none; ``None`` follows the server's default."""
    require_role(actor, Role.ADMINISTRATOR)
    if language is not None and language not in available_locales():
        raise ValidationFailed({"agency_language": t("accounts.error.language")})
    row = get_or_raise(session, Agency, agency_id, "accounts.error.not_found")
    row.default_language = language


@binds_actor
def create_agency(session: Session, *, actor: Actor, name: str) -> int:
    require_role(actor, Role.ADMINISTRATOR)
    clean = name.strip()
    if not clean:
        raise ValidationFailed({"name": t("accounts.error.agency_name")})
    if problem := text_problem(clean, 200):
        raise ValidationFailed({"name": problem})
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


def list_people(session: Session, *, agency_id: int | None, also: Select | None = None) -> list[PersonChoice]:
    """Active accounts of one agency (and the accounts ``also`` selects), by display name, to choose who takes
    part in something (names only, no details)."""
    scope = Account.agency_id == agency_id if agency_id is not None else Account.id.is_(None)
    if also is not None:
        scope = or_(scope, Account.id.in_(also))
    rows = session.execute(select(Account.id, Account.display_name, Account.username).where(
        Account.active.is_(True), scope).order_by(Account.display_name)).all()
    return [PersonChoice(id=r.id, display_name=f"{r.display_name} ({r.username})") for r in rows]


def person_by_username(session: Session, username: str) -> PersonChoice | None:
    name = username.strip().lower()
    if not name or len(name) > 80 or "\x00" in name:  # no username is like that: nobody to find
        return None
    row = session.scalar(select(Account).where(Account.username == name, Account.active.is_(True)))
    return PersonChoice(id=row.id, display_name=f"{row.display_name} ({row.username})") if row else None
