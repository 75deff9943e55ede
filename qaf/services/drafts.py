"""Workshop drafts on the server: what one facilitator has ticked and typed for a component and not saved yet.
The workshop page keeps them as they change, so a reload, a second tab, a dropped connection or a closed laptop
lid loses nothing; saving the component or discarding the draft removes it. Each person sees only their own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.actor import Actor
from core.errors import NotFound, ValidationFailed
from core.i18n import t
from qaf.models import ComponentDraft
from qaf.services.access import assessment_row, require_draft
from qaf.services.frameworks import framework_of

REASON_LIMIT = 4000
NOTES_LIMIT = 8000


@dataclass(frozen=True)
class DraftView:
    component_code: str
    in_place: frozenset[str]
    agreed: int | None  # None: as derived
    reason: str
    notes: str
    base_version: int | None  # the saved rating's version it was typed over (0: nothing saved then)
    updated_at: datetime


def _view(row: ComponentDraft) -> DraftView:
    content = row.content or {}
    agreed = content.get("agreed")
    return DraftView(component_code=row.component_code, in_place=frozenset(content.get("in_place") or []),
                     agreed=int(agreed) if agreed is not None else None, reason=str(content.get("reason") or ""),
                     notes=str(content.get("notes") or ""), base_version=row.base_version,
                     updated_at=row.updated_at if row.updated_at.tzinfo else row.updated_at.replace(tzinfo=UTC))


def drafts_for(session: Session, *, actor: Actor, assessment_id: int) -> dict[str, DraftView]:
    """The signed-in person's drafts for one assessment they may edit, by component code."""
    row = assessment_row(session, assessment_id, actor)
    if actor.account_id is None or row.status != "draft":
        return {}
    rows = session.scalars(select(ComponentDraft).where(ComponentDraft.account_id == actor.account_id,
                                                        ComponentDraft.assessment_id == assessment_id))
    return {r.component_code: _view(r) for r in rows}


def keep_draft(session: Session, *, actor: Actor, assessment_id: int, component_code: str, in_place: list[str],
               agreed: int | None, reason: str, notes: str, base_version: int | None) -> None:
    """Keep (or replace) the person's draft of one component of an assessment they may edit."""
    assessment = assessment_row(session, assessment_id, actor, edit=True)
    require_draft(assessment)
    try:
        component = framework_of(assessment.framework_version).component(component_code)
    except KeyError as exc:
        raise NotFound(t("framework.error.component_not_found", code=component_code)) from exc
    unknown = sorted(set(in_place) - {a.id for a in component.actions})
    if unknown:
        raise ValidationFailed({"in_place": t("workshop.error.unknown_actions", ids=", ".join(unknown))})
    if len(reason) > REASON_LIMIT:
        raise ValidationFailed({"level_reason": t("common.error.too_long", limit=REASON_LIMIT)})
    if len(notes) > NOTES_LIMIT:
        raise ValidationFailed({"notes": t("common.error.too_long", limit=NOTES_LIMIT)})
    content = {"in_place": sorted(set(in_place)), "agreed": agreed, "reason": reason, "notes": notes}
    row = session.scalar(select(ComponentDraft).where(ComponentDraft.account_id == actor.account_id,
                                                      ComponentDraft.assessment_id == assessment_id,
                                                      ComponentDraft.component_code == component_code))
    if row is None:
        row = ComponentDraft(account_id=actor.account_id, assessment_id=assessment_id, component_code=component_code)
        session.add(row)
    row.content, row.base_version, row.updated_at = content, base_version, datetime.now(UTC)
    session.flush()


def discard_draft(session: Session, *, actor: Actor, assessment_id: int, component_code: str) -> None:
    """Forget the person's draft of one component: the saved answers stand."""
    assessment_row(session, assessment_id, actor)
    drop_draft(session, actor, assessment_id, component_code)


def drop_draft(session: Session, actor: Actor, assessment_id: int, component_code: str) -> None:
    session.execute(delete(ComponentDraft).where(ComponentDraft.account_id == actor.account_id,
                                                 ComponentDraft.assessment_id == assessment_id,
                                                 ComponentDraft.component_code == component_code))
