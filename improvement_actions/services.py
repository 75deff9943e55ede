"""Improvement action use cases. Access is decided by the feature that owns the action's source: it registers a
policy for its source kind (``register_source``), and every function here asks it before reading or writing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.actor import Actor
from core.audit import actor_of, binds_actor
from core.errors import Forbidden, ReadOnly, ValidationFailed
from core.i18n import t
from core.records import as_utc, check_version, get_or_raise
from improvement_actions.models import ImprovementAction, ProgressUpdate
from improvement_actions.rules import (
    Access,
    ActionSource,
    ImprovementActionDraft,
    beyond_tracking,
    clean,
    validate_action,
)


@dataclass(frozen=True)
class SourceAccess:
    """What the person may do with one source's actions; ``reason`` says why they may not do more. Due dates may
    not be before ``due_not_before`` (an action plan's assessment date), and ``too_early`` says so."""

    level: Access
    reason: str = ""
    agency_id: int | None = None  # the agency the source's actions belong to
    due_not_before: date | None = None
    too_early: str = ""


SourcePolicy = Callable[[Session, Actor, int], SourceAccess]
_policies: dict[str, SourcePolicy] = {}


def register_source(kind: str, policy: SourcePolicy) -> None:
    """A feature declares a kind of source and who may do what with its actions. Called once, when the feature's
    services are imported; registering the same kind again replaces its policy."""
    _policies[kind] = policy


def access_to(session: Session, actor: Actor, source_kind: str, record_id: int) -> SourceAccess:
    policy = _policies.get(source_kind)
    if policy is None:
        return SourceAccess(Access.NONE)
    return policy(session, actor, record_id)


def _require(session: Session, actor: Actor, kind: str, record_id: int, needed: Access) -> SourceAccess:
    """Refuse unless the person may do ``needed``: read-only when the source says why (a signed-off plan),
    otherwise no access at all."""
    access = access_to(session, actor, kind, record_id)
    if access.level >= needed:
        return access
    if access.level > Access.NONE and access.reason:
        raise ReadOnly(access.reason)
    raise Forbidden(t("common.error.forbidden"))


@dataclass(frozen=True)
class ImprovementActionView:
    id: int
    source: ActionSource
    text: str
    owner_person: str
    owner_agency: str
    owner_staff_member_id: int | None
    owner_agency_id: int | None
    due_on: date | None
    resources: str
    priority: str
    status: str
    progress_notes: str
    version_id: int
    updated_by: str = ""

    @property
    def owner(self) -> str:
        return " / ".join(x for x in (self.owner_person, self.owner_agency) if x)

    def draft_values(self) -> dict[str, object]:
        return {"text": self.text, "owner_person": self.owner_person, "owner_agency": self.owner_agency,
                "due_on": self.due_on, "resources": self.resources, "priority": self.priority,
                "status": self.status, "progress_notes": self.progress_notes,
                "owner_staff_member_id": self.owner_staff_member_id, "owner_agency_id": self.owner_agency_id}


@dataclass(frozen=True)
class ProgressEntry:
    recorded_at: datetime
    author_name: str
    status: str
    note: str


def view_of(row: ImprovementAction) -> ImprovementActionView:
    return ImprovementActionView(
        id=row.id, source=ActionSource(row.source_kind, row.source_record_id, row.source_item, row.source_reference),
        text=row.text, owner_person=row.owner_person, owner_agency=row.owner_agency,
        owner_staff_member_id=row.owner_staff_member_id, owner_agency_id=row.owner_agency_id, due_on=row.due_on,
        resources=row.resources, priority=row.priority, status=row.status, progress_notes=row.progress_notes,
        version_id=row.version_id, updated_by=row.updated_by_name)


def actions_for_source(session: Session, *, actor: Actor, source_kind: str,
                       record_id: int) -> list[ImprovementActionView]:
    """Every action of one source record, oldest first."""
    _require(session, actor, source_kind, record_id, Access.READ)
    rows = session.scalars(select(ImprovementAction).where(
        ImprovementAction.source_kind == source_kind, ImprovementAction.source_record_id == record_id)
        .order_by(ImprovementAction.id)).all()
    return [view_of(r) for r in rows]


def get_action(session: Session, *, actor: Actor, action_id: int) -> ImprovementActionView:
    row = get_or_raise(session, ImprovementAction, action_id, "improvement_action.error.not_found")
    _require(session, actor, row.source_kind, row.source_record_id, Access.READ)
    return view_of(row)


def _record_progress(session: Session, row: ImprovementAction) -> None:
    who = actor_of(session)
    row.updates.append(ProgressUpdate(account_id=who.account_id, author_name=who.name, status=row.status,
                                      note=row.progress_notes))


@binds_actor
def create_action(session: Session, *, actor: Actor, source: ActionSource, draft: ImprovementActionDraft,
                  source_errors: dict[str, str] | None = None) -> int:
    """Add an action to a source. ``source_errors`` are what the source's feature found wrong with it (say, a
    component that is not in the framework); they are reported with the action's own problems, all at once."""
    access = _require(session, actor, source.kind, source.record_id, Access.EDIT)
    values = clean(draft)
    errors = {**validate_action(values, not_before=access.due_not_before, too_early=access.too_early),
              **(source_errors or {})}
    if errors:
        raise ValidationFailed(errors)
    row = ImprovementAction(source_kind=source.kind, source_record_id=source.record_id, source_item=source.item,
                            source_reference=source.reference or None, agency_id=access.agency_id, **values)
    session.add(row)
    _record_progress(session, row)
    session.flush()
    return row.id


@binds_actor
def update_action(session: Session, *, actor: Actor, action_id: int, draft: ImprovementActionDraft,
                  expected_version: int | None = None) -> None:
    """Change an action. Someone who only tracks it may change its status and progress notes; the source's
    policy says who that is and why."""
    row = get_or_raise(session, ImprovementAction, action_id, "improvement_action.error.not_found")
    access = _require(session, actor, row.source_kind, row.source_record_id, Access.TRACK)
    check_version(row, expected_version)
    values = clean(draft)
    stored = {name: getattr(row, name) for name in values}
    if access.level < Access.EDIT and beyond_tracking(values, stored):
        raise ReadOnly(access.reason or t("improvement_action.error.tracking_only"))
    errors = validate_action(values, not_before=access.due_not_before, too_early=access.too_early)
    if errors:
        raise ValidationFailed(errors)
    progressed = values["status"] != row.status or values["progress_notes"] != row.progress_notes
    for name, value in values.items():
        setattr(row, name, value)
    if progressed:
        _record_progress(session, row)
    session.flush()


@binds_actor
def delete_action(session: Session, *, actor: Actor, action_id: int) -> None:
    row = get_or_raise(session, ImprovementAction, action_id, "improvement_action.error.not_found")
    _require(session, actor, row.source_kind, row.source_record_id, Access.EDIT)
    session.delete(row)
    session.flush()


def progress_history(session: Session, *, actor: Actor, action_id: int) -> list[ProgressEntry]:
    """Every status and progress note the action was given, oldest first."""
    row = get_or_raise(session, ImprovementAction, action_id, "improvement_action.error.not_found")
    _require(session, actor, row.source_kind, row.source_record_id, Access.READ)
    return [ProgressEntry(as_utc(u.recorded_at) or u.recorded_at, u.author_name, u.status, u.note)
            for u in row.updates]
