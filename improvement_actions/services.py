"""Improvement action use cases. Access is decided by the feature that owns the action's source: it registers a
policy for its source kind (``register_source``), and every function here asks it before reading or writing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.orm import Session

from accounts.staff_services import current_members
from core.actor import Actor, Role
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
    validate_comment,
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
# The same policy's "may read" as a query condition on ImprovementAction (usually ``source_record_id IN (the
# records the person may read)``), so that lists across sources are filtered in the database.
ReadableSources = Callable[[Actor], ColumnElement[bool]]
_policies: dict[str, SourcePolicy] = {}
_readable: dict[str, ReadableSources] = {}


def register_source(kind: str, policy: SourcePolicy, readable: ReadableSources | None = None) -> None:
    """A feature declares a kind of source and who may do what with its actions. Called once, when the feature's
    services are imported; registering the same kind again replaces its policy."""
    _policies[kind] = policy
    if readable is not None:
        _readable[kind] = readable


def source_kinds() -> tuple[str, ...]:
    return tuple(_policies)


def _owned_or_supervised(actor: Actor) -> list[ColumnElement[bool]]:
    """Owners track their own actions whatever produced them; supervisors those their team's members own."""
    conditions: list[ColumnElement[bool]] = []
    if actor.staff_member_id is not None:
        conditions.append(ImprovementAction.owner_staff_member_id == actor.staff_member_id)
    if actor.has(Role.SUPERVISOR) and actor.supervised_team_ids:
        conditions.append(ImprovementAction.owner_staff_member_id.in_(current_members(actor.supervised_team_ids)))
    return conditions


def readable_actions(actor: Actor) -> ColumnElement[bool]:
    """Every action the person may see: those of sources they may read (each feature's rule), those they own,
    and, for a supervisor, those the members of their team own."""
    conditions = [(ImprovementAction.source_kind == kind) & readable(actor) for kind, readable in _readable.items()]
    conditions += _owned_or_supervised(actor)
    return or_(*conditions) if conditions else false()


def access_to(session: Session, actor: Actor, source_kind: str, record_id: int) -> SourceAccess:
    policy = _policies.get(source_kind)
    if policy is None:
        return SourceAccess(Access.NONE)
    return policy(session, actor, record_id)


def _require(session: Session, actor: Actor, kind: str, record_id: int, needed: Access,
             row: ImprovementAction | None = None) -> SourceAccess:
    """Refuse unless the person may do ``needed``: read-only when the source says why (a signed-off plan),
    otherwise no access at all. The owner of an action (and their supervisor) track it whatever its source."""
    access = access_to(session, actor, kind, record_id)
    if access.level >= needed:
        return access
    if row is not None and needed <= Access.TRACK and access.level < Access.TRACK:
        owned = _owned_or_supervised(actor)
        if owned and session.scalar(select(ImprovementAction.id).where(
                ImprovementAction.id == row.id, or_(*owned))) is not None:
            return SourceAccess(Access.TRACK, reason=access.reason or t("improvement_action.error.tracking_only"),
                                agency_id=row.agency_id)
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
    completed_at: datetime | None = None
    completed_by: str = ""

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
    kind: str = "progress"  # progress | comment


def view_of(row: ImprovementAction) -> ImprovementActionView:
    return ImprovementActionView(
        id=row.id, source=ActionSource(row.source_kind, row.source_record_id, row.source_item, row.source_reference),
        text=row.text, owner_person=row.owner_person, owner_agency=row.owner_agency,
        owner_staff_member_id=row.owner_staff_member_id, owner_agency_id=row.owner_agency_id, due_on=row.due_on,
        resources=row.resources, priority=row.priority, status=row.status, progress_notes=row.progress_notes,
        version_id=row.version_id, updated_by=row.updated_by_name, completed_at=as_utc(row.completed_at),
        completed_by=row.completed_by)


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
    _require(session, actor, row.source_kind, row.source_record_id, Access.READ, row)
    return view_of(row)


def _record_progress(session: Session, row: ImprovementAction, *, became_done: bool = False) -> None:
    who = actor_of(session)
    row.updates.append(ProgressUpdate(account_id=who.account_id, author_name=who.name, status=row.status,
                                      note=row.progress_notes))
    if became_done:
        row.completed_at, row.completed_by = datetime.now(UTC), who.name
    elif row.status != "done":
        row.completed_at, row.completed_by = None, ""


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
    _record_progress(session, row, became_done=row.status == "done")
    session.flush()
    return row.id


@binds_actor
def update_action(session: Session, *, actor: Actor, action_id: int, draft: ImprovementActionDraft,
                  expected_version: int | None = None) -> None:
    """Change an action. Someone who only tracks it may change its status and progress notes; the source's
    policy says who that is and why."""
    row = get_or_raise(session, ImprovementAction, action_id, "improvement_action.error.not_found")
    access = _require(session, actor, row.source_kind, row.source_record_id, Access.TRACK, row)
    check_version(row, expected_version)
    values = clean(draft)
    stored = {name: getattr(row, name) for name in values}
    if access.level < Access.EDIT and beyond_tracking(values, stored):
        raise ReadOnly(access.reason or t("improvement_action.error.tracking_only"))
    errors = validate_action(values, not_before=access.due_not_before, too_early=access.too_early)
    if errors:
        raise ValidationFailed(errors)
    progressed = values["status"] != row.status or values["progress_notes"] != row.progress_notes
    became_done = values["status"] == "done" and row.status != "done"
    for name, value in values.items():
        setattr(row, name, value)
    if progressed:
        _record_progress(session, row, became_done=became_done)
    session.flush()


@binds_actor
def change_status(session: Session, *, actor: Actor, action_id: int, status: str, note: str = "",
               expected_version: int | None = None) -> None:
    """Move an action to another status (the tracker's bulk change): ``note``, when given, becomes its progress
    note. Marking it done needs a note of evidence, given now or already there."""
    view = get_action(session, actor=actor, action_id=action_id)
    draft = ImprovementActionDraft(**view.draft_values())  # type: ignore[arg-type]
    draft.status = status
    if note.strip():
        draft.progress_notes = note
    update_action(session, actor=actor, action_id=action_id, draft=draft, expected_version=expected_version)


@binds_actor
def add_comment(session: Session, *, actor: Actor, action_id: int, text: str) -> None:
    """A comment in the action's history: anyone who tracks the action may add one; it changes nothing else."""
    row = get_or_raise(session, ImprovementAction, action_id, "improvement_action.error.not_found")
    _require(session, actor, row.source_kind, row.source_record_id, Access.TRACK, row)
    text = text.strip()
    errors = validate_comment(text)
    if errors:
        raise ValidationFailed(errors)
    who = actor_of(session)
    row.updates.append(ProgressUpdate(account_id=who.account_id, author_name=who.name, status=row.status,
                                      note=text, kind="comment"))
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
    _require(session, actor, row.source_kind, row.source_record_id, Access.READ, row)
    return [ProgressEntry(as_utc(u.recorded_at) or u.recorded_at, u.author_name, u.status, u.note, u.kind)
            for u in row.updates]
