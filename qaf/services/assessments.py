"""Assessments: creating and editing them, the workshop's component ratings, finalising, and starting again from
a baseline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.models import Account
from accounts.services import PersonChoice, list_people, person_by_username
from core.actor import Actor, Role, require_role
from core.audit import binds_actor, mark_action
from core.errors import Forbidden, NotFound, ReadOnly, ValidationFailed
from core.i18n import t
from core.records import check_version
from core.safe_text import as_saved
from improvement_actions.models import ImprovementAction
from qaf.action_plan import SOURCE_KIND
from qaf.assessment import (
    AssessmentDetails,
    ComponentResult,
    LevelSummary,
    ParticipantEntry,
    summarise,
    validate_details,
)
from qaf.framework import Framework
from qaf.levels import Level, derive_level, level_label
from qaf.models import Assessment, AssessmentMember, ComponentRating, FrameworkVersion, Participant
from qaf.services.access import assessment_row, readable, require_draft
from qaf.services.drafts import NOTES_LIMIT, REASON_LIMIT, drop_draft
from qaf.services.frameworks import framework_of, frameworks_by_id


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
    archived: bool = False
    is_facilitator: bool = False  # the signed-in person facilitates it (may archive it, or delete an empty draft)
    framework_language: str = "en"
    working_translation: bool = False  # the framework's text is a working translation, not the official one

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
    version = row.framework_version
    return _assembled(row, actor, framework=framework_of(version), label=f"{version.title} — {version.version}",
                      language=version.language,
                      participants=[ParticipantEntry(p.name, p.agency, p.role) for p in row.participants],
                      members=[(m.account_id, m.role) for m in row.members],
                      scored=len(row.ratings) if scored is None else scored)


def _assembled(row: Any, actor: Actor, *, framework: Framework, label: str, language: str,
               participants: list[ParticipantEntry], members: list[tuple[int, str]], scored: int) -> AssessmentView:
    """The one way an assessment is shown, from its mapped row or a plain row with the same column names;
    ``members`` are (account id, role in the assessment)."""
    mine = [role for account_id, role in members if actor.account_id is not None and account_id == actor.account_id]
    return AssessmentView(
        id=row.id, name=row.name, country=row.country, scope=row.scope, assessed_on=row.assessed_on,
        facilitator=row.facilitator, agencies=list(row.agencies or []), participants=participants,
        status=row.status, finalised_at=row.finalised_at, framework_version_id=row.framework_version_id,
        framework_label=label, baseline_id=row.baseline_id, scored_count=scored,
        component_total=framework.component_count, version_id=row.version_id,
        can_edit=bool(mine) and row.status != "final",
        member_account_ids=tuple(a for a, role in members if role == "participant"),
        archived=row.archived_at is not None, is_facilitator="facilitator" in mine,
        framework_language=language, working_translation=bool(framework.meta.get("working_translation")),
    )


def is_facilitator(row: Assessment, actor: Actor) -> bool:
    return any(m.account_id == actor.account_id and m.role == "facilitator" for m in row.members)


def _set_members(session: Session, row: Assessment, actor: Actor, participant_account_ids: list[int],
                 participant_usernames: list[str] | None = None) -> None:
    """The facilitator who created it stays; participants are the accounts chosen on the form. Only the
    assessment's facilitator decides who may edit it, and only among the people they may see, as the form offers
    them (``people_to_choose``: their own agency and the members of the assessments they take part in), the
    assessment's present members, and someone of a partner agency named by exact username. An account id from
    anywhere else is refused with the same message as an unknown one, so ids cannot be probed."""
    named = [find_person(session, actor=actor, username=u).id for u in participant_usernames or [] if u.strip()]
    wanted = {int(a) for a in [*participant_account_ids, *named] if a != row.created_by_account_id}
    current = {m.account_id for m in row.members if m.role == "participant"}
    if wanted == current:
        return
    if row.id is not None and not is_facilitator(row, actor):
        raise Forbidden(t("assessment.error.only_facilitator_members"))
    visible = {p.id for p in people_to_choose(session, actor=actor)} | current | set(named)
    known = set(session.scalars(select(Account.id).where(Account.id.in_(wanted), Account.active.is_(True))).all())
    if wanted - (known & visible):
        raise ValidationFailed({"members": t("assessment.error.unknown_member")})
    keep = [m for m in row.members if m.role == "facilitator" or m.account_id in wanted]
    present = {m.account_id for m in keep}
    row.members = keep + [AssessmentMember(account_id=a, role="participant") for a in sorted(wanted - present)]


@binds_actor
def create_assessment(session: Session, *, actor: Actor, details: AssessmentDetails, framework_version_id: int,
                      baseline_id: int | None = None, participant_account_ids: list[int] | None = None,
                      participant_usernames: list[str] | None = None) -> int:
    require_role(actor, Role.FACILITATOR)
    if baseline_id is not None:
        assessment_row(session, baseline_id, actor)  # a baseline must be one the person may read
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
    _set_members(session, row, actor, participant_account_ids or [], participant_usernames)
    session.add(row)
    session.flush()
    return row.id


@binds_actor
def update_assessment_details(session: Session, *, actor: Actor, assessment_id: int, details: AssessmentDetails,
                              participant_account_ids: list[int] | None = None,
                              participant_usernames: list[str] | None = None,
                              expected_version: int | None = None) -> None:
    row = assessment_row(session, assessment_id, actor, edit=True)
    require_draft(row)
    check_version(row, expected_version)
    details = _clean_details(details)
    errors = validate_details(details)
    if details.assessed_on is not None:
        earliest = session.scalar(select(func.min(ImprovementAction.due_on)).where(
            ImprovementAction.source_kind == SOURCE_KIND, ImprovementAction.source_record_id == row.id))
        if earliest and earliest < details.assessed_on:
            errors["assessed_on"] = t("assessment.error.date_after_due", date=earliest.isoformat())
    if errors:
        raise ValidationFailed(errors)
    row.name, row.country, row.scope = details.name, details.country, details.scope
    row.assessed_on, row.facilitator, row.agencies = details.assessed_on, details.facilitator, details.agencies
    row.participants = [Participant(position=i, name=p.name, agency=p.agency, role=p.role)
                        for i, p in enumerate(details.participants)]
    if participant_account_ids is not None or participant_usernames:
        current = [m.account_id for m in row.members if m.role == "participant"]
        _set_members(session, row, actor, current if participant_account_ids is None else participant_account_ids,
                     participant_usernames)


def list_assessments(session: Session, *, actor: Actor, archived: bool = False) -> list[AssessmentView]:
    """The assessments the person may read; archived ones only when asked for. Read as plain rows (a country's
    list holds hundreds of assessments and thousands of participants; mapped objects would cost most of the
    page)."""
    chosen = select(Assessment.id).where(
        readable(actor), Assessment.archived_at.is_not(None) if archived else Assessment.archived_at.is_(None))
    rows = session.execute(
        select(Assessment.id, Assessment.name, Assessment.country, Assessment.scope, Assessment.assessed_on,
               Assessment.facilitator, Assessment.agencies, Assessment.status, Assessment.finalised_at,
               Assessment.framework_version_id, Assessment.baseline_id, Assessment.version_id,
               Assessment.archived_at, FrameworkVersion.title, FrameworkVersion.version, FrameworkVersion.language)
        .join(FrameworkVersion, FrameworkVersion.id == Assessment.framework_version_id)
        .where(Assessment.id.in_(chosen)).order_by(Assessment.assessed_on.desc(), Assessment.id.desc())).all()
    scored = dict(session.execute(select(ComponentRating.assessment_id, func.count()).where(
        ComponentRating.assessment_id.in_(chosen)).group_by(ComponentRating.assessment_id)).all())
    participants: dict[int, list[ParticipantEntry]] = {}
    for assessment_id, name, agency, role in session.execute(
            select(Participant.assessment_id, Participant.name, Participant.agency, Participant.role)
            .where(Participant.assessment_id.in_(chosen)).order_by(Participant.assessment_id, Participant.position,
                                                                   Participant.id)):
        participants.setdefault(assessment_id, []).append(ParticipantEntry(name, agency, role))
    members: dict[int, list[tuple[int, str]]] = {}
    for assessment_id, account_id, role in session.execute(
            select(AssessmentMember.assessment_id, AssessmentMember.account_id, AssessmentMember.role)
            .where(AssessmentMember.assessment_id.in_(chosen)).order_by(AssessmentMember.id)):
        members.setdefault(assessment_id, []).append((account_id, role))
    frameworks = frameworks_by_id(session, {r.framework_version_id for r in rows})
    return [_assembled(r, actor, framework=frameworks[r.framework_version_id], label=f"{r.title} — {r.version}",
                       language=r.language, participants=participants.get(r.id, []), members=members.get(r.id, []),
                       scored=scored.get(r.id, 0)) for r in rows]


def get_assessment(session: Session, assessment_id: int, *, actor: Actor) -> AssessmentView:
    return _view(assessment_row(session, assessment_id, actor), actor)


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
            version_id=rating.version_id, updated_by=rating.updated_by_name, from_baseline=rating.from_baseline,
        )
    return results


def assessment_results(session: Session, assessment_id: int, *,
                       actor: Actor) -> tuple[AssessmentView, Framework, LevelSummary]:
    row = assessment_row(session, assessment_id, actor)
    framework = framework_of(row.framework_version)
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
    row = assessment_row(session, assessment_id, actor, edit=True)
    require_draft(row)
    framework = framework_of(row.framework_version)
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
    reason, notes = as_saved(level_reason), as_saved(notes)
    if agreed != derived and not reason:
        raise ValidationFailed({"level_reason": t("workshop.error.reason_required", derived=level_label(derived),
                                                  agreed=level_label(agreed))})
    if len(reason) > REASON_LIMIT:
        raise ValidationFailed({"level_reason": t("common.error.too_long", limit=REASON_LIMIT)})
    if len(notes) > NOTES_LIMIT:
        raise ValidationFailed({"notes": t("common.error.too_long", limit=NOTES_LIMIT)})
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
    rating.notes = notes
    rating.from_baseline = False  # saved by this task force: confirmed or changed
    # The assessment's own row is left alone: its version guards its details, and touching it here made groups
    # saving different components at the same moment refuse each other.
    drop_draft(session, actor, assessment_id, component_code)  # saved: the draft has done its work
    session.flush()
    return ComponentResult(component=component, scored=True, in_place=frozenset(present), derived_level=derived,
                           agreed_level=agreed, level_reason=rating.level_reason, notes=rating.notes,
                           updated_at=rating.updated_at, version_id=rating.version_id,
                           updated_by=rating.updated_by_name)


@binds_actor
def finalise_assessment(session: Session, *, actor: Actor, assessment_id: int) -> None:
    row = assessment_row(session, assessment_id, actor, edit=True)
    require_draft(row)
    framework = framework_of(row.framework_version)
    missing = [c.code for c in framework.components() if c.code not in {r.component_code for r in row.ratings}]
    if missing:
        raise ValidationFailed({"status": t("assessment.error.unscored", codes=", ".join(missing))})
    mark_action(session, "finalise")
    row.status = "final"
    row.finalised_at = datetime.now(UTC)
    session.flush()


@binds_actor
def start_from_baseline(session: Session, *, actor: Actor, baseline_id: int, details: AssessmentDetails,
                        participant_account_ids: list[int] | None = None,
                        participant_usernames: list[str] | None = None) -> int:
    """A new draft assessment on the same framework version, pre-filled with the baseline's ratings so the task
    force reviews what changed instead of starting from nothing."""
    baseline = assessment_row(session, baseline_id, actor)
    new_id = create_assessment(session, actor=actor, details=details,
                               framework_version_id=baseline.framework_version_id, baseline_id=baseline.id,
                               participant_account_ids=participant_account_ids,
                               participant_usernames=participant_usernames)
    for rating in baseline.ratings:
        session.add(ComponentRating(
            assessment_id=new_id, component_code=rating.component_code,
            actions_in_place=list(rating.actions_in_place), derived_level=rating.derived_level,
            agreed_level=rating.agreed_level, level_reason=rating.level_reason, notes=rating.notes,
            from_baseline=True,
        ))
    session.flush()
    return new_id




def adopt_unowned_assessments(session: Session, account_id: int) -> set[str]:
    """Assessments made before accounts existed (an earlier version on this laptop) belong to nobody; the first
    administrator becomes their facilitator, so that no workshop is lost behind the new login. Returns the roles
    that person then needs."""
    orphans = session.scalars(select(Assessment.id).where(~Assessment.members.any())).all()
    for assessment_id in orphans:
        session.add(AssessmentMember(assessment_id=assessment_id, account_id=account_id, role="facilitator"))
    session.flush()
    return {Role.FACILITATOR.value} if orphans else set()


def people_to_choose(session: Session, *, actor: Actor) -> list[PersonChoice]:
    """Whom a facilitator may pick as an assessment's members: the active accounts of their own agency, and the
    members of the assessments they take part in (partners of an inter-agency workshop). Nobody sees another
    agency's whole directory; someone new from a partner agency is added by their exact username."""
    mine = select(AssessmentMember.assessment_id).where(AssessmentMember.account_id == (actor.account_id or -1))
    shared = select(AssessmentMember.account_id).where(AssessmentMember.assessment_id.in_(mine))
    return list_people(session, agency_id=actor.agency_id, also=shared)


def find_person(session: Session, *, actor: Actor, username: str) -> PersonChoice:
    """A person of another agency, found by the exact username they gave the facilitator (no browsing)."""
    require_role(actor, Role.FACILITATOR)
    found = person_by_username(session, username)
    if found is None:
        raise ValidationFailed({"members": t("assessment.error.no_such_username", username=username.strip())})
    return found


def _facilitated(session: Session, assessment_id: int, actor: Actor) -> Assessment:
    row = assessment_row(session, assessment_id, actor)
    if not is_facilitator(row, actor):
        raise Forbidden(t("assessment.error.only_facilitator_archives"))
    return row


@binds_actor
def archive_assessment(session: Session, *, actor: Actor, assessment_id: int, archived: bool = True) -> None:
    """Hide an assessment from the lists (or bring it back). Nothing is deleted: its ratings, action plan and
    audit trail stay, and its key actions can still be tracked."""
    row = _facilitated(session, assessment_id, actor)
    mark_action(session, "archive", field="archived_at")
    row.archived_at = datetime.now(UTC) if archived else None
    session.flush()


@binds_actor
def delete_assessment(session: Session, *, actor: Actor, assessment_id: int) -> None:
    """Delete a draft in which nothing was scored and no key action written (a false start). Anything with
    content is archived instead, so the record stays."""
    row = _facilitated(session, assessment_id, actor)
    has_actions = session.scalar(select(func.count()).select_from(ImprovementAction).where(
        ImprovementAction.source_kind == SOURCE_KIND, ImprovementAction.source_record_id == assessment_id))
    if row.status != "draft" or row.ratings or has_actions:
        raise ReadOnly(t("assessment.error.delete_only_empty", scored=len(row.ratings), actions=has_actions or 0))
    session.delete(row)
    session.flush()
