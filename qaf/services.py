"""QAF use cases. Each takes an open session (one transaction, see ``core.db.session_scope``) and returns plain
values; pages never touch ORM objects."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from core.accounts.models import Account
from core.accounts.roles import Actor, Role
from core.accounts.services import check_version
from core.audit import binds_actor, mark_action
from core.errors import Forbidden, NotFound, ReadOnly, ValidationFailed
from core.i18n import t
from qaf.action_plan import KeyActionDraft, suggested_actions, validate_key_action
from qaf.assessment import (
    AssessmentDetails,
    ComponentResult,
    LevelSummary,
    ParticipantEntry,
    summarise,
    validate_details,
)
from qaf.framework import ChangeGridAction, Framework, FrameworkError, bundled_framework, framework_from_dict
from qaf.levels import Level, derive_level
from qaf.models import Assessment, AssessmentMember, ComponentRating, FrameworkVersion, KeyAction, Participant

# --------------------------------------------------------------------------------------------------------------
# Who may do what
#
# Facilitators create assessments. The accounts that run or take part in an assessment (its members) may edit
# it; managers read every assessment of their agency and track its key actions. Administrators manage accounts
# and settings, not assessments. These checks run here, in the services, whatever the menus show.


def _is_member(row: Assessment, actor: Actor) -> bool:
    return actor.account_id is not None and any(m.account_id == actor.account_id for m in row.members)


def _may_read(row: Assessment, actor: Actor) -> bool:
    return _is_member(row, actor) or (actor.has(Role.MANAGER) and actor.agency_id is not None
                                      and row.agency_id == actor.agency_id)


def _require_read(row: Assessment, actor: Actor) -> None:
    if not _may_read(row, actor):
        raise Forbidden(t("common.error.forbidden"))


def _require_edit(row: Assessment, actor: Actor) -> None:
    if not _is_member(row, actor):
        raise Forbidden(t("common.error.forbidden"))


def _require_facilitator(actor: Actor) -> None:
    if not actor.has(Role.FACILITATOR):
        raise Forbidden(t("common.error.forbidden"))


def _readable(actor: Actor):  # type: ignore[no-untyped-def]
    member = exists().where(AssessmentMember.assessment_id == Assessment.id,
                            AssessmentMember.account_id == (actor.account_id or -1))
    if actor.has(Role.MANAGER) and actor.agency_id is not None:
        return or_(member, Assessment.agency_id == actor.agency_id)
    return member


# --------------------------------------------------------------------------------------------------------------
# Framework versions


@dataclass(frozen=True)
class FrameworkVersionInfo:
    id: int
    key: str
    version: str
    title: str
    language: str
    parent_id: int | None
    context_note: str
    assessments_using: int

    @property
    def is_contextualised(self) -> bool:
        return self.parent_id is not None

    @property
    def editable(self) -> bool:
        return self.is_contextualised and self.assessments_using == 0

    @property
    def label(self) -> str:
        return f"{self.title} — {self.version}"


def _content_hash(content: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


_framework_cache: dict[str, Framework] = {}


def _framework_of(row: FrameworkVersion) -> Framework:
    cached = _framework_cache.get(row.content_sha256)
    if cached is None:
        cached = framework_from_dict(row.content)
        _framework_cache[row.content_sha256] = cached
    return cached


def ensure_bundled_framework(session: Session) -> int:
    """Store the framework shipped with the tool, once per version; return its id."""
    framework = bundled_framework()
    existing = session.scalar(
        select(FrameworkVersion).where(FrameworkVersion.key == framework.key,
                                       FrameworkVersion.version == framework.version)
    )
    if existing is not None:
        return existing.id
    content = framework.to_dict()
    row = FrameworkVersion(key=framework.key, version=framework.version, title=framework.title,
                           language=framework.language, content=content, content_sha256=_content_hash(content))
    session.add(row)
    session.flush()
    return row.id


def list_framework_versions(session: Session) -> list[FrameworkVersionInfo]:
    usage = dict(session.execute(
        select(Assessment.framework_version_id, func.count()).group_by(Assessment.framework_version_id)
    ).all())
    rows = session.scalars(select(FrameworkVersion).order_by(FrameworkVersion.id)).all()
    return [
        FrameworkVersionInfo(id=r.id, key=r.key, version=r.version, title=r.title, language=r.language,
                             parent_id=r.parent_id, context_note=r.context_note,
                             assessments_using=usage.get(r.id, 0))
        for r in rows
    ]


def get_framework(session: Session, framework_version_id: int) -> Framework:
    row = session.get(FrameworkVersion, framework_version_id)
    if row is None:
        raise NotFound(t("framework.error.not_found"))
    return _framework_of(row)


@binds_actor
def create_contextualised_copy(session: Session, *, actor: Actor, base_version_id: int, version: str, title: str,
                               context_note: str = "") -> int:
    """Copy a framework so a task force can adapt it to its context; the original stays as it was."""
    _require_facilitator(actor)
    base = session.get(FrameworkVersion, base_version_id)
    if base is None:
        raise NotFound(t("framework.error.not_found"))
    errors: dict[str, str] = {}
    if not version.strip():
        errors["version"] = t("framework.error.version_required")
    elif len(version) > 40:
        errors["version"] = t("common.error.too_long", limit=40)
    elif session.scalar(select(FrameworkVersion.id).where(FrameworkVersion.key == base.key,
                                                          FrameworkVersion.version == version.strip())):
        errors["version"] = t("framework.error.version_taken", version=version.strip())
    if not title.strip():
        errors["title"] = t("framework.error.title_required")
    if errors:
        raise ValidationFailed(errors)
    content = json.loads(json.dumps(base.content))
    content["framework"].update(version=version.strip(), title=title.strip(),
                                based_on=f"{base.key} {base.version}")
    if context_note.strip():
        content["framework"]["context_note"] = context_note.strip()
    row = FrameworkVersion(key=base.key, version=version.strip(), title=title.strip(), language=base.language,
                           content=content, content_sha256=_content_hash(content), parent_id=base.id,
                           context_note=context_note.strip())
    session.add(row)
    session.flush()
    return row.id


@binds_actor
def save_contextualised_component(session: Session, *, actor: Actor, framework_version_id: int,
                                  component_code: str, columns: list[list[dict[str, str]]]) -> None:
    """Replace one component's three columns of actions in a contextualised copy.

    ``columns`` holds, per column, dicts with ``id`` (empty for a new action) and ``text``. Actions without an
    id get the next free id in their column and are marked as added in context. A copy already used by an
    assessment is frozen, so past assessments keep exactly what they scored.
    """
    row = session.get(FrameworkVersion, framework_version_id)
    if row is None:
        raise NotFound(t("framework.error.not_found"))
    if row.parent_id is None:
        raise ReadOnly(t("framework.error.original_read_only"))
    in_use = session.scalar(select(func.count()).where(Assessment.framework_version_id == row.id))
    if in_use:
        raise ReadOnly(t("framework.error.in_use", count=in_use))
    content = json.loads(json.dumps(row.content))
    target = next((c for d in content["dimensions"] for c in d["components"] if c["code"] == component_code), None)
    if target is None:
        raise NotFound(t("framework.error.component_not_found", code=component_code))
    original_ids = {a["id"] for col in target["columns"] for a in col["actions"]}
    new_columns = []
    for index, column in enumerate(columns, start=1):
        texts = [(a.get("id") or "", (a.get("text") or "").strip()) for a in column]
        texts = [(i, x) for i, x in texts if x]
        if not texts:
            raise ValidationFailed({f"column_{index}": t("framework.error.column_empty", column=index)})
        used = {i for i, _ in texts if i}
        actions = []
        counter = 0
        for action_id, text in texts:
            if action_id and action_id in original_ids:
                old = next(a for col in target["columns"] for a in col["actions"] if a["id"] == action_id)
                if not action_id.startswith(f"{component_code}.{index}."):
                    raise ValidationFailed({f"column_{index}": t("framework.error.action_moved", id=action_id)})
                actions.append({**old, "text": text})
                continue
            counter += 1
            new_id = f"{component_code}.{index}.c{counter}"
            while new_id in used or new_id in original_ids:
                counter += 1
                new_id = f"{component_code}.{index}.c{counter}"
            used.add(new_id)
            actions.append({"id": new_id, "text": text, "added_in_context": True})
        new_columns.append(actions)
    for column_data, actions in zip(target["columns"], new_columns, strict=True):
        column_data["actions"] = actions
    try:
        framework_from_dict(content)
    except FrameworkError as exc:
        raise ValidationFailed({"framework": str(exc)}) from exc
    row.content = content
    row.content_sha256 = _content_hash(content)


# --------------------------------------------------------------------------------------------------------------
# Assessments


@dataclass(frozen=True)
class AssessmentView:
    id: int
    name: str
    country: str
    scope: str
    assessed_on: date
    facilitator: str
    agencies: list[str]
    participants: list[ParticipantEntry]
    status: str
    finalised_at: datetime | None
    framework_version_id: int
    framework_label: str
    baseline_id: int | None
    scored_count: int = 0
    component_total: int = 0
    version_id: int = 1
    can_edit: bool = False
    member_account_ids: tuple[int, ...] = ()

    @property
    def is_final(self) -> bool:
        return self.status == "final"

    @property
    def details(self) -> AssessmentDetails:
        return AssessmentDetails(name=self.name, country=self.country, scope=self.scope,
                                 assessed_on=self.assessed_on, facilitator=self.facilitator,
                                 agencies=list(self.agencies), participants=list(self.participants))


def _clean_details(details: AssessmentDetails) -> AssessmentDetails:
    agencies = []
    for agency in details.agencies:
        if agency.strip() and agency.strip() not in agencies:
            agencies.append(agency.strip())
    participants = [ParticipantEntry(p.name.strip(), p.agency.strip(), p.role.strip())
                    for p in details.participants if (p.name + p.agency + p.role).strip()]
    return AssessmentDetails(name=details.name.strip(), country=details.country.strip(), scope=details.scope,
                             assessed_on=details.assessed_on, facilitator=details.facilitator.strip(),
                             agencies=agencies, participants=participants)


def _view(row: Assessment, actor: Actor, scored: int | None = None) -> AssessmentView:
    framework = _framework_of(row.framework_version)
    return AssessmentView(
        id=row.id, name=row.name, country=row.country, scope=row.scope, assessed_on=row.assessed_on,
        facilitator=row.facilitator, agencies=list(row.agencies or []),
        participants=[ParticipantEntry(p.name, p.agency, p.role) for p in row.participants],
        status=row.status, finalised_at=row.finalised_at, framework_version_id=row.framework_version_id,
        framework_label=f"{row.framework_version.title} — {row.framework_version.version}",
        baseline_id=row.baseline_id,
        scored_count=len(row.ratings) if scored is None else scored,
        component_total=framework.component_count, version_id=row.version_id,
        can_edit=_is_member(row, actor) and row.status != "final",
        member_account_ids=tuple(m.account_id for m in row.members if m.role == "participant"),
    )


def _get_assessment_row(session: Session, assessment_id: int, actor: Actor, *, edit: bool = False) -> Assessment:
    row = session.get(Assessment, assessment_id)
    if row is None:
        raise NotFound(t("assessment.error.not_found"))
    if edit:
        _require_edit(row, actor)
    else:
        _require_read(row, actor)
    return row


def _set_members(session: Session, row: Assessment, actor: Actor, participant_account_ids: list[int]) -> None:
    """The facilitator who created it stays; participants are the accounts chosen on the form."""
    wanted = {int(a) for a in participant_account_ids if a != row.created_by_account_id}
    known = set(session.scalars(select(Account.id).where(Account.id.in_(wanted), Account.active.is_(True))).all())
    if wanted - known:
        raise ValidationFailed({"members": t("assessment.error.unknown_member")})
    keep = [m for m in row.members if m.role == "facilitator" or m.account_id in wanted]
    present = {m.account_id for m in keep}
    row.members = keep + [AssessmentMember(account_id=a, role="participant") for a in sorted(wanted - present)]


def _require_draft(row: Assessment) -> None:
    if row.status == "final":
        raise ReadOnly(t("assessment.error.final_read_only"))


@binds_actor
def create_assessment(session: Session, *, actor: Actor, details: AssessmentDetails, framework_version_id: int,
                      baseline_id: int | None = None, participant_account_ids: list[int] | None = None) -> int:
    _require_facilitator(actor)
    details = _clean_details(details)
    errors = validate_details(details)
    if session.get(FrameworkVersion, framework_version_id) is None:
        errors["framework_version_id"] = t("framework.error.not_found")
    if errors:
        raise ValidationFailed(errors)
    row = Assessment(name=details.name, country=details.country, scope=details.scope,
                     assessed_on=details.assessed_on, facilitator=details.facilitator, agencies=details.agencies,
                     framework_version_id=framework_version_id, baseline_id=baseline_id, status="draft",
                     agency_id=actor.agency_id, created_by_account_id=actor.account_id)
    row.participants = [Participant(position=i, name=p.name, agency=p.agency, role=p.role)
                        for i, p in enumerate(details.participants)]
    if actor.account_id is not None:
        row.members = [AssessmentMember(account_id=actor.account_id, role="facilitator")]
    _set_members(session, row, actor, participant_account_ids or [])
    session.add(row)
    session.flush()
    return row.id


@binds_actor
def update_assessment_details(session: Session, *, actor: Actor, assessment_id: int, details: AssessmentDetails,
                              participant_account_ids: list[int] | None = None,
                              expected_version: int | None = None) -> None:
    row = _get_assessment_row(session, assessment_id, actor, edit=True)
    _require_draft(row)
    check_version(row, expected_version)
    details = _clean_details(details)
    errors = validate_details(details)
    if row.key_actions and details.assessed_on is not None:
        earliest = min((a.due_on for a in row.key_actions if a.due_on), default=None)
        if earliest and earliest < details.assessed_on:
            errors["assessed_on"] = t("assessment.error.date_after_due", date=earliest.isoformat())
    if errors:
        raise ValidationFailed(errors)
    row.name, row.country, row.scope = details.name, details.country, details.scope
    row.assessed_on, row.facilitator, row.agencies = details.assessed_on, details.facilitator, details.agencies
    row.participants = [Participant(position=i, name=p.name, agency=p.agency, role=p.role)
                        for i, p in enumerate(details.participants)]
    if participant_account_ids is not None:
        _set_members(session, row, actor, participant_account_ids)


def list_assessments(session: Session, *, actor: Actor) -> list[AssessmentView]:
    scored = dict(session.execute(
        select(ComponentRating.assessment_id, func.count()).group_by(ComponentRating.assessment_id)
    ).all())
    rows = session.scalars(
        select(Assessment)
        .where(_readable(actor))
        .options(selectinload(Assessment.participants), selectinload(Assessment.framework_version),
                 selectinload(Assessment.members))
        .order_by(Assessment.assessed_on.desc(), Assessment.id.desc())
    ).all()
    return [_view(r, actor, scored.get(r.id, 0)) for r in rows]


def get_assessment(session: Session, assessment_id: int, *, actor: Actor) -> AssessmentView:
    return _view(_get_assessment_row(session, assessment_id, actor), actor)


def _results(framework: Framework, ratings: list[ComponentRating]) -> dict[str, ComponentResult]:
    results: dict[str, ComponentResult] = {}
    for rating in ratings:
        try:
            component = framework.component(rating.component_code)
        except KeyError:
            continue
        results[rating.component_code] = ComponentResult(
            component=component, scored=True, in_place=frozenset(rating.actions_in_place),
            derived_level=Level(rating.derived_level), agreed_level=Level(rating.agreed_level),
            level_reason=rating.level_reason, notes=rating.notes, updated_at=rating.updated_at,
            version_id=rating.version_id, updated_by=rating.updated_by_name,
        )
    return results


def assessment_results(session: Session, assessment_id: int, *,
                       actor: Actor) -> tuple[AssessmentView, Framework, LevelSummary]:
    row = _get_assessment_row(session, assessment_id, actor)
    framework = _framework_of(row.framework_version)
    summary = summarise(framework, _results(framework, list(row.ratings)))
    return _view(row, actor, summary.scored_count), framework, summary


@binds_actor
def save_component_rating(session: Session, *, actor: Actor, assessment_id: int, component_code: str,
                          in_place: list[str], agreed_level: Level | None, level_reason: str = "", notes: str = "",
                          expected_version: int | None = None) -> ComponentResult:
    """Record the task force's judgement for one component. The derived level is recomputed here, never trusted
    from the page; an agreed level that differs from it needs a written reason. ``expected_version`` is the
    rating's version when the page loaded it (0 when it was not saved yet): a save over someone else's newer
    change is refused with who made it and when."""
    row = _get_assessment_row(session, assessment_id, actor, edit=True)
    _require_draft(row)
    framework = _framework_of(row.framework_version)
    try:
        component = framework.component(component_code)
    except KeyError as exc:
        raise NotFound(t("framework.error.component_not_found", code=component_code)) from exc
    known = {a.id for a in component.actions}
    unknown = sorted(set(in_place) - known)
    if unknown:
        raise ValidationFailed({"in_place": t("workshop.error.unknown_actions", ids=", ".join(unknown))})
    present = [a.id for a in component.actions if a.id in set(in_place)]
    derived = derive_level(component.column_action_ids, present)
    agreed = derived if agreed_level is None else Level(agreed_level)
    reason = (level_reason or "").strip()
    if agreed != derived and not reason:
        raise ValidationFailed({"level_reason": t("workshop.error.reason_required")})
    if len(reason) > 4000 or len(notes or "") > 8000:
        raise ValidationFailed({"notes": t("common.error.too_long", limit=8000)})
    rating = session.scalar(select(ComponentRating).where(ComponentRating.assessment_id == assessment_id,
                                                          ComponentRating.component_code == component_code))
    if rating is None:
        if expected_version:
            raise NotFound(t("workshop.error.rating_gone"))
        rating = ComponentRating(assessment_id=assessment_id, component_code=component_code)
        session.add(rating)
    elif expected_version == 0:
        check_version(rating, -1)
    else:
        check_version(rating, expected_version)
    rating.actions_in_place = present
    rating.derived_level = int(derived)
    rating.agreed_level = int(agreed)
    rating.level_reason = reason if agreed != derived else ""
    rating.notes = (notes or "").strip()
    row.updated_at = datetime.now(UTC)
    session.flush()
    return ComponentResult(component=component, scored=True, in_place=frozenset(present), derived_level=derived,
                           agreed_level=agreed, level_reason=rating.level_reason, notes=rating.notes,
                           updated_at=rating.updated_at, version_id=rating.version_id,
                           updated_by=rating.updated_by_name)


@binds_actor
def finalise_assessment(session: Session, *, actor: Actor, assessment_id: int) -> None:
    row = _get_assessment_row(session, assessment_id, actor, edit=True)
    _require_draft(row)
    framework = _framework_of(row.framework_version)
    missing = [c.code for c in framework.components() if c.code not in {r.component_code for r in row.ratings}]
    if missing:
        raise ValidationFailed({"status": t("assessment.error.unscored", codes=", ".join(missing))})
    mark_action(session, "finalise")
    row.status = "final"
    row.finalised_at = datetime.now(UTC)
    session.flush()


@binds_actor
def start_from_baseline(session: Session, *, actor: Actor, baseline_id: int, details: AssessmentDetails) -> int:
    """A new draft assessment on the same framework version, pre-filled with the baseline's ratings so the task
    force reviews what changed instead of starting from nothing."""
    baseline = _get_assessment_row(session, baseline_id, actor)
    new_id = create_assessment(session, actor=actor, details=details,
                               framework_version_id=baseline.framework_version_id, baseline_id=baseline.id)
    for rating in baseline.ratings:
        session.add(ComponentRating(
            assessment_id=new_id, component_code=rating.component_code,
            actions_in_place=list(rating.actions_in_place), derived_level=rating.derived_level,
            agreed_level=rating.agreed_level, level_reason=rating.level_reason, notes=rating.notes,
        ))
    session.flush()
    return new_id


# --------------------------------------------------------------------------------------------------------------
# Action plan


@dataclass(frozen=True)
class KeyActionView:
    id: int
    component_code: str
    change_grid_action_id: str | None
    text: str
    owner_person: str
    owner_agency: str
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

    def as_draft(self) -> KeyActionDraft:
        return KeyActionDraft(component_code=self.component_code, text=self.text, owner_person=self.owner_person,
                              owner_agency=self.owner_agency, due_on=self.due_on, resources=self.resources,
                              priority=self.priority, status=self.status, progress_notes=self.progress_notes,
                              change_grid_action_id=self.change_grid_action_id)


@dataclass(frozen=True)
class ActionPlan:
    assessment: AssessmentView
    framework: Framework
    summary: LevelSummary
    key_actions: list[KeyActionView]
    suggestions: dict[str, list[ChangeGridAction]] = field(default_factory=dict)

    def actions_for(self, component_code: str) -> list[KeyActionView]:
        return [a for a in self.key_actions if a.component_code == component_code]


def _key_action_view(row: KeyAction) -> KeyActionView:
    return KeyActionView(id=row.id, component_code=row.component_code,
                         change_grid_action_id=row.change_grid_action_id, text=row.text,
                         owner_person=row.owner_person, owner_agency=row.owner_agency, due_on=row.due_on,
                         resources=row.resources, priority=row.priority, status=row.status,
                         progress_notes=row.progress_notes, version_id=row.version_id,
                         updated_by=row.updated_by_name)


def _framework_order(framework: Framework) -> dict[str, int]:
    return {c.code: i for i, c in enumerate(framework.components())}


def action_plan(session: Session, assessment_id: int, *, actor: Actor) -> ActionPlan:
    view, framework, summary = assessment_results(session, assessment_id, actor=actor)
    rows = session.scalars(select(KeyAction).where(KeyAction.assessment_id == assessment_id)).all()
    order = _framework_order(framework)
    action_order = {a.id: i for i, a in enumerate(a for c in framework.components() for a in c.actions)}
    rows = sorted(rows, key=lambda r: (order.get(r.component_code, 999),
                                       action_order.get(r.change_grid_action_id or "", 10_000), r.id))
    chosen = {(r.component_code, r.change_grid_action_id) for r in rows}
    suggestions = {
        r.component.code: [a for a in suggested_actions(r) if (r.component.code, a.id) not in chosen]
        for r in summary.results
    }
    return ActionPlan(assessment=view, framework=framework, summary=summary,
                      key_actions=[_key_action_view(r) for r in rows], suggestions=suggestions)


def _clean_draft(draft: KeyActionDraft) -> KeyActionDraft:
    return KeyActionDraft(
        component_code=draft.component_code, text=draft.text.strip(), owner_person=draft.owner_person.strip(),
        owner_agency=draft.owner_agency.strip(), due_on=draft.due_on, resources=draft.resources.strip(),
        priority=draft.priority, status=draft.status, progress_notes=draft.progress_notes.strip(),
        change_grid_action_id=draft.change_grid_action_id or None,
    )


@binds_actor
def add_key_action(session: Session, *, actor: Actor, assessment_id: int, draft: KeyActionDraft) -> int:
    row = _get_assessment_row(session, assessment_id, actor, edit=True)
    _require_draft(row)
    framework = _framework_of(row.framework_version)
    draft = _clean_draft(draft)
    errors = validate_key_action(draft, assessed_on=row.assessed_on,
                                 component_codes={c.code for c in framework.components()})
    if draft.change_grid_action_id:
        try:
            action = framework.action(draft.change_grid_action_id)
        except KeyError:
            errors["change_grid_action_id"] = t("action_plan.error.unknown_action")
        else:
            if not draft.change_grid_action_id.startswith(f"{draft.component_code}.") or action is None:
                errors["change_grid_action_id"] = t("action_plan.error.unknown_action")
    if errors:
        raise ValidationFailed(errors)
    key_action = KeyAction(assessment_id=assessment_id, **draft.__dict__)
    session.add(key_action)
    session.flush()
    return key_action.id


def _get_key_action(session: Session, key_action_id: int) -> KeyAction:
    row = session.get(KeyAction, key_action_id)
    if row is None:
        raise NotFound(t("action_plan.error.not_found"))
    return row


@binds_actor
def update_key_action(session: Session, *, actor: Actor, key_action_id: int, draft: KeyActionDraft,
                      expected_version: int | None = None) -> None:
    """Change a key action. On a final assessment only status and progress notes may change: the plan itself is
    signed off, but it is still tracked to done. Managers of the agency track status and progress too."""
    row = _get_key_action(session, key_action_id)
    assessment = row.assessment
    _require_read(assessment, actor)
    check_version(row, expected_version)
    tracking_only = assessment.status == "final" or not _is_member(assessment, actor)
    draft = _clean_draft(draft)
    draft.component_code = row.component_code
    draft.change_grid_action_id = row.change_grid_action_id
    if tracking_only:
        frozen = ("text", "owner_person", "owner_agency", "due_on", "resources", "priority")
        if any(getattr(draft, name) != getattr(row, name) for name in frozen):
            raise ReadOnly(t("action_plan.error.final_only_progress"))
    framework = _framework_of(assessment.framework_version)
    errors = validate_key_action(draft, assessed_on=assessment.assessed_on,
                                 component_codes={c.code for c in framework.components()})
    if errors:
        raise ValidationFailed(errors)
    for name, value in draft.__dict__.items():
        setattr(row, name, value)
    session.flush()


@binds_actor
def delete_key_action(session: Session, *, actor: Actor, key_action_id: int) -> None:
    row = _get_key_action(session, key_action_id)
    _require_edit(row.assessment, actor)
    _require_draft(row.assessment)
    session.delete(row)
    session.flush()
