"""Case file reviews: start one from a case file (computed items pre-answered from its dates), save it as a draft,
complete it (read-only from then on), the caseworker acknowledges it; follow-up actions are improvement actions
whose source is the review and the checklist item."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from accounts.models import StaffMember, Team
from accounts.staff_services import current_team_of
from checklists.checklist import Checklist
from checklists.models import CaseFile, CaseFileReview, ChecklistTemplate, ReviewAnswer, ReviewSettingsVersion
from checklists.review import AnswerDraft, Score, computed_answer, score, validate_answers
from checklists.services.access import case_file_row, may_review, readable_reviews, review_row, team_case_files
from checklists.services.case_files import dates_of
from checklists.services.templates import (
    checklist_of,
    current_settings,
    settings_by_id,
    template_for_new_reviews,
)
from checklists.settings import ReviewSettings
from checklists.timeliness import Step, StepResult, timeliness
from core.actor import Actor, Role
from core.audit import binds_actor, mark_action
from core.errors import Forbidden, ReadOnly, ValidationFailed
from core.i18n import format_date, t
from core.levels import Level
from core.records import check_version
from improvement_actions import services as actions
from improvement_actions.models import ImprovementAction
from improvement_actions.rules import Access, ActionSource, ImprovementActionDraft
from improvement_actions.services import ImprovementActionView, SourceAccess

SOURCE_KIND = "case_file_review"
MAX_TEXT = 4000


def month_of(day: date) -> date:
    return day.replace(day=1)


def _action_access(session: Session, actor: Actor, review_id: int) -> SourceAccess:
    """The supervisor of the caseworker agrees and edits the follow-up actions; the caseworker (once the review
    is completed) and the agency's managers track them."""
    row = session.get(CaseFileReview, review_id)
    if row is None or session.scalar(select(CaseFileReview.id).where(
            CaseFileReview.id == review_id, readable_reviews(actor))) is None:
        return SourceAccess(Access.NONE)
    floor = {"agency_id": row.agency_id, "due_not_before": row.reviewed_on,
             "too_early": t("review.error.due_before_review", date=format_date(row.reviewed_on))}
    if may_review(session, actor, row.caseworker_id):
        return SourceAccess(Access.EDIT, **floor)
    return SourceAccess(Access.TRACK, reason=t("review.error.actions_tracking_only"), **floor)


def _readable_follow_ups(actor: Actor) -> ColumnElement[bool]:
    return ImprovementAction.source_record_id.in_(select(CaseFileReview.id).where(readable_reviews(actor)))


actions.register_source(SOURCE_KIND, _action_access, _readable_follow_ups)


@dataclass(frozen=True)
class ReviewSummary:
    id: int
    case_file_id: int
    case_code: str
    caseworker_id: int
    caseworker_name: str
    team_name: str
    reviewer_name: str
    reviewed_on: date
    month: date
    status: str
    score: float | None
    level: Level | None
    acknowledged_on: date | None
    version_id: int

    @property
    def is_completed(self) -> bool:
        return self.status == "completed"


@dataclass(frozen=True)
class ReviewView(ReviewSummary):
    strengths: str = ""
    feedback: str = ""
    acknowledged_by: str = ""
    completed_at: datetime | None = None
    template_label: str = ""
    settings_number: int = 0
    checklist: Checklist | None = None
    answers: dict[str, AnswerDraft] = field(default_factory=dict)
    timeliness: dict[Step, StepResult] = field(default_factory=dict)
    result: Score | None = None
    may_edit: bool = False
    may_add_actions: bool = False  # the caseworker's supervisor, also once the review is completed
    may_acknowledge: bool = False
    thresholds_text: str = ""


def _summary_query() -> Select:
    return (select(CaseFileReview, CaseFile.case_code, StaffMember.full_name, Team.name)
            .join(CaseFile, CaseFile.id == CaseFileReview.case_file_id)
            .join(StaffMember, StaffMember.id == CaseFileReview.caseworker_id)
            .outerjoin(Team, Team.id == CaseFileReview.team_id))


def _summary(row: CaseFileReview, code: str, caseworker: str, team: str | None) -> dict[str, object]:
    return {"id": row.id, "case_file_id": row.case_file_id, "case_code": code, "caseworker_id": row.caseworker_id,
            "caseworker_name": caseworker, "team_name": team or "", "reviewer_name": row.reviewer_name,
            "reviewed_on": row.reviewed_on, "month": row.month, "status": row.status, "score": row.score,
            "level": Level.from_key(row.level) if row.level else None, "acknowledged_on": row.acknowledged_on,
            "version_id": row.version_id}


def list_reviews(session: Session, *, actor: Actor, month: date | None = None, team_id: int | None = None,
                 caseworker_id: int | None = None, case_file_id: int | None = None,
                 status: str | None = None, limit: int = 1000) -> list[ReviewSummary]:
    """The reviews the actor may see, newest first."""
    query = _summary_query().where(readable_reviews(actor)).order_by(
        CaseFileReview.reviewed_on.desc(), CaseFileReview.id.desc()).limit(limit)
    if month is not None:
        query = query.where(CaseFileReview.month == month_of(month))
    if team_id is not None:
        query = query.where(CaseFileReview.team_id == team_id)
    if caseworker_id is not None:
        query = query.where(CaseFileReview.caseworker_id == caseworker_id)
    if case_file_id is not None:
        query = query.where(CaseFileReview.case_file_id == case_file_id)
    if status:
        query = query.where(CaseFileReview.status == status)
    return [ReviewSummary(**_summary(*r)) for r in session.execute(query).all()]  # type: ignore[arg-type]


def _answers_of(row: CaseFileReview) -> dict[str, AnswerDraft]:
    return {a.item_id: AnswerDraft(item_id=a.item_id, answer=a.answer, comment=a.comment,
                                   recommendation=a.recommendation, computed_answer=a.computed_answer,
                                   override_reason=a.override_reason) for a in row.answers}


def thresholds_text(settings: ReviewSettings) -> str:
    th = settings.thresholds
    return t("review.score_explained", requires_improvement=f"{th.requires_improvement:g}",
             meets_minimum=f"{th.meets_minimum:g}", good_practice=f"{th.good_practice:g}")


def get_review(session: Session, *, actor: Actor, review_id: int) -> ReviewView:
    row = review_row(session, review_id, actor)
    code, caseworker, team = session.execute(
        select(CaseFile.case_code, StaffMember.full_name, Team.name).select_from(CaseFileReview)
        .join(StaffMember, StaffMember.id == CaseFileReview.caseworker_id)
        .join(CaseFile, CaseFile.id == CaseFileReview.case_file_id)
        .outerjoin(Team, Team.id == CaseFileReview.team_id).where(CaseFileReview.id == review_id)).one()
    template = session.get(ChecklistTemplate, row.template_id)
    checklist = checklist_of(template) if template else None
    settings = settings_by_id(session, row.settings_id)
    case_file = session.get(CaseFile, row.case_file_id)
    results = timeliness(dates_of(case_file), settings.timeframes, row.reviewed_on) if case_file else {}
    answers = _answers_of(row)
    number = session.scalar(select(ReviewSettingsVersion.number).where(
        ReviewSettingsVersion.id == row.settings_id)) if row.settings_id else 0
    supervises = may_review(session, actor, row.caseworker_id)
    editable = row.status == "draft" and supervises
    return ReviewView(
        **_summary(row, code, caseworker, team),  # type: ignore[arg-type]
        strengths=row.strengths, feedback=row.feedback, acknowledged_by=row.acknowledged_by,
        completed_at=row.completed_at, template_label=(f"{template.title} — {template.version}"
                        + (f" ({t('translation.notice')})" if checklist and checklist.meta.get("working_translation")
                           else "")) if template else "",
        settings_number=number, checklist=checklist, answers=answers, timeliness=results,
        result=score(answers.values(), settings.thresholds), may_edit=editable, may_add_actions=supervises,
        may_acknowledge=(row.status == "completed" and row.acknowledged_on is None
                         and actor.has(Role.CASEWORKER) and actor.staff_member_id == row.caseworker_id),
        thresholds_text=thresholds_text(settings))


@binds_actor
def start_review(session: Session, *, actor: Actor, case_file_id: int, reviewed_on: date | None = None) -> int:
    """Open a draft review of a case file, its computed items answered from the dates. A file already has at
    most one draft: starting again opens the draft that is there."""
    case_file = case_file_row(session, case_file_id, actor)
    if not may_review(session, actor, case_file.caseworker_id):
        raise Forbidden(t("review.error.not_your_team"))
    day = reviewed_on or date.today()
    if day > date.today():
        raise ValidationFailed({"reviewed_on": t("review.error.future")})
    existing = session.scalar(select(CaseFileReview.id).where(CaseFileReview.case_file_id == case_file_id,
                                                              CaseFileReview.status == "draft"))
    if existing is not None:
        return existing
    template = template_for_new_reviews(session, case_file.agency_id)
    checklist = checklist_of(template)
    info = current_settings(session, case_file.agency_id)
    results = timeliness(dates_of(case_file), info.settings.timeframes, day)
    row = CaseFileReview(
        case_file_id=case_file_id, agency_id=case_file.agency_id, caseworker_id=case_file.caseworker_id,
        team_id=current_team_of(session, case_file.caseworker_id, day), reviewer_account_id=actor.account_id,
        reviewer_name=actor.name, reviewed_on=day, month=month_of(day), template_id=template.id,
        settings_id=info.version_row_id, status="draft")
    for item in checklist.items():
        answer = computed_answer(results[item.computed]) if item.computed else None
        row.answers.append(ReviewAnswer(item_id=item.id, answer=answer or "", computed=item.computed is not None,
                                        computed_answer=answer))
    _store_score(row, info.settings)
    session.add(row)
    session.flush()
    return row.id


def _store_score(row: CaseFileReview, settings: ReviewSettings) -> None:
    result = score(_answers_of(row).values(), settings.thresholds)
    row.yes_count, row.no_count, row.na_count = result.yes, result.no, result.na
    row.score = result.percent
    row.level = result.level.key if result.level is not None else None


@binds_actor
def save_review(session: Session, *, actor: Actor, review_id: int, answers: dict[str, AnswerDraft],
                strengths: str, feedback: str, expected_version: int | None = None,
                complete: bool = False) -> None:
    """Save the reviewer's answers; with ``complete``, every item must be answered and the review becomes
    read-only. Computed items keep what the dates said; a different answer needs a reason."""
    row = review_row(session, review_id, actor)
    if not may_review(session, actor, row.caseworker_id):
        raise Forbidden(t("review.error.not_your_team"))
    if row.status != "draft":
        raise ReadOnly(t("review.error.completed_read_only"))
    check_version(row, expected_version)
    template = session.get(ChecklistTemplate, row.template_id)
    checklist = checklist_of(template) if template else None
    if checklist is None:
        raise ValidationFailed({"answers": t("checklist.error.not_found")})
    stored = {a.item_id: a for a in row.answers}
    cleaned: dict[str, AnswerDraft] = {}
    for item_id, draft in answers.items():
        computed = stored[item_id].computed_answer if item_id in stored else None
        cleaned[item_id] = AnswerDraft(item_id=item_id, answer=draft.answer, comment=draft.comment.strip(),
                                       recommendation=draft.recommendation.strip(), computed_answer=computed,
                                       override_reason=draft.override_reason.strip())
    for item_id, answer in stored.items():
        cleaned.setdefault(item_id, AnswerDraft(item_id, answer.answer, answer.comment, answer.recommendation,
                                                answer.computed_answer, answer.override_reason))
    errors = validate_answers(checklist, cleaned, completing=complete)
    strengths, feedback = strengths.strip(), feedback.strip()
    for name, value in (("strengths", strengths), ("feedback", feedback)):
        if len(value) > MAX_TEXT:
            errors[name] = t("common.error.too_long", limit=MAX_TEXT)
    if complete and not feedback:
        errors["feedback"] = t("review.error.feedback_required")
    if errors:
        raise ValidationFailed(errors)
    for item_id, draft in cleaned.items():
        answer = stored.get(item_id)
        if answer is None:
            answer = ReviewAnswer(item_id=item_id, computed=False)
            row.answers.append(answer)
        answer.answer, answer.comment, answer.recommendation = draft.answer, draft.comment, draft.recommendation
        answer.override_reason = draft.override_reason if draft.overridden else ""
    row.strengths, row.feedback = strengths, feedback
    _store_score(row, settings_by_id(session, row.settings_id))
    if complete:
        row.status = "completed"
        row.completed_at = datetime.now(UTC)
        mark_action(session, "complete")
    session.flush()


@binds_actor
def acknowledge_review(session: Session, *, actor: Actor, review_id: int) -> None:
    """The caseworker confirms they have read the review and its feedback (dated)."""
    row = review_row(session, review_id, actor)
    if not (actor.has(Role.CASEWORKER) and actor.staff_member_id == row.caseworker_id):
        raise Forbidden(t("review.error.not_yours"))
    if row.status != "completed":
        raise ReadOnly(t("review.error.not_completed"))
    if row.acknowledged_on is not None:
        return
    row.acknowledged_on = date.today()
    row.acknowledged_by = actor.name
    mark_action(session, "acknowledge", field="acknowledged_on")
    session.flush()


@binds_actor
def delete_draft_review(session: Session, *, actor: Actor, review_id: int) -> None:
    """A draft started by mistake can be thrown away; a completed review stays."""
    row = review_row(session, review_id, actor)
    if not may_review(session, actor, row.caseworker_id):
        raise Forbidden(t("review.error.not_your_team"))
    if row.status != "draft":
        raise ReadOnly(t("review.error.completed_read_only"))
    for action in actions.actions_for_source(session, actor=actor, source_kind=SOURCE_KIND, record_id=review_id):
        actions.delete_action(session, actor=actor, action_id=action.id)
    session.delete(row)
    session.flush()


def follow_up_actions(session: Session, *, actor: Actor, review_id: int) -> list[ImprovementActionView]:
    return actions.actions_for_source(session, actor=actor, source_kind=SOURCE_KIND, record_id=review_id)


@binds_actor
def add_follow_up_action(session: Session, *, actor: Actor, review_id: int, item_id: str,
                         draft: ImprovementActionDraft) -> int:
    """An action agreed in the review, for one checklist item (or none: the review as a whole)."""
    row = review_row(session, review_id, actor)
    template = session.get(ChecklistTemplate, row.template_id)
    errors: dict[str, str] = {}
    if item_id and template is not None:
        try:
            checklist_of(template).item(item_id)
        except KeyError:
            errors["item"] = t("review.error.unknown_items", items=item_id[:20])
    return actions.create_action(session, actor=actor, source=ActionSource(SOURCE_KIND, review_id, item_id),
                                 draft=draft, source_errors=errors)


def reviewable_case_files(session: Session, *, actor: Actor) -> list[tuple[int, str, str]]:
    """(id, case code, caseworker) of the files the actor may review now."""
    condition = team_case_files(actor)
    if condition is None:
        return []
    rows = session.execute(select(CaseFile.id, CaseFile.case_code, StaffMember.full_name)
                           .join(StaffMember, StaffMember.id == CaseFile.caseworker_id)
                           .where(condition).order_by(StaffMember.full_name, CaseFile.case_code)).all()
    return [(i, c, n) for i, c, n in rows]
