"""Roles and the person acting. Services decide what an actor may see and change; menus only follow.

The base layer knows who acts (every change is attributed and audited); the ``accounts`` package stores who may
sign in and builds an ``Actor`` from an account."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from core.errors import Forbidden
from core.i18n import t


class Role(StrEnum):
    ADMINISTRATOR = "administrator"  # accounts and settings
    MANAGER = "manager"  # everything in their agency, read and track
    SUPERVISOR = "supervisor"  # their own team's people, reviews and calendar
    CASEWORKER = "caseworker"  # their own reviews, feedback and calendar
    FACILITATOR = "facilitator"  # QAF assessments they run or take part in


ALL_ROLES = tuple(Role)


@dataclass(frozen=True)
class Actor:
    """Who is acting, with what they may reach. Built once per request from the account."""

    account_id: int | None
    name: str
    roles: frozenset[Role] = frozenset()
    agency_id: int | None = None
    staff_member_id: int | None = None
    supervised_team_ids: frozenset[int] = field(default_factory=frozenset)

    def has(self, *roles: Role) -> bool:
        return any(role in self.roles for role in roles)

    @property
    def is_admin(self) -> bool:
        return Role.ADMINISTRATOR in self.roles


SYSTEM = Actor(account_id=None, name="system", roles=frozenset(ALL_ROLES))


def require_role(actor: Actor, *roles: Role) -> None:
    """Refuse unless the actor holds one of ``roles``."""
    if not actor.has(*roles):
        raise Forbidden(t("common.error.forbidden"))
