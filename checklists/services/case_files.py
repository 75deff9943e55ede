"""Case file use cases: list, read, enter and edit pseudonymous case files, and their timeliness."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from accounts.models import StaffMember
from checklists.case_file import CaseFileDraft, looks_like_a_name, validate_case_file
from checklists.models import CaseFile, CaseFileReview
from checklists.services.access import assignable_caseworkers, case_file_row, readable_case_files
from checklists.services.templates import current_settings
from checklists.timeliness import CaseDates, CaseStatus, RiskLevel, Step, StepResult, timeliness
from core.actor import Actor, Role
from core.audit import binds_actor
from core.errors import Forbidden, ValidationFailed
from core.i18n import t
from core.records import check_version

EDITORS = (Role.SUPERVISOR, Role.MANAGER)  # who enters and edits case files (their team's, their agency's)


@dataclass(frozen=True)
class CaseFileView:
    id: int
    case_code: str
    agency_id: int
    caseworker_id: int
    caseworker_name: str
    risk_level: str
    status: str
    identified_on: date | None
    registered_on: date | None
    assessed_on: date | None
    case_plan_on: date | None
    first_action_on: date | None
    follow_ups: tuple[date, ...]
    case_plan_reviews: tuple[date, ...]
    reassessments: tuple[date, ...]
    risk_changes: tuple[tuple[date, str], ...]
    closed_on: date | None
    closure_reason: str
    post_closure_follow_up_on: date | None
    version_id: int
    objectives_achieved: str = ""
    last_reviewed_on: date | None = None

    def dates(self) -> CaseDates:
        return self.as_draft().dates()

    def as_draft(self) -> CaseFileDraft:
        return CaseFileDraft(
            case_code=self.case_code, caseworker_id=self.caseworker_id, risk_level=self.risk_level,
            status=self.status, identified_on=self.identified_on, registered_on=self.registered_on,
            assessed_on=self.assessed_on, case_plan_on=self.case_plan_on, first_action_on=self.first_action_on,
            follow_ups=list(self.follow_ups), case_plan_reviews=list(self.case_plan_reviews),
            reassessments=list(self.reassessments), risk_changes=list(self.risk_changes), closed_on=self.closed_on,
            closure_reason=self.closure_reason, post_closure_follow_up_on=self.post_closure_follow_up_on,
            objectives_achieved=self.objectives_achieved)


def _days(values: list[str] | None) -> tuple[date, ...]:
    return tuple(sorted(date.fromisoformat(v) for v in values or ()))


def dates_of(row: CaseFile) -> CaseDates:
    """The timeliness view of a stored case file."""
    return CaseDates(
        risk_level=RiskLevel(row.risk_level), status=CaseStatus(row.status), identified_on=row.identified_on,
        registered_on=row.registered_on, assessed_on=row.assessed_on, case_plan_on=row.case_plan_on,
        first_action_on=row.first_action_on, follow_ups=_days(row.follow_ups),
        case_plan_reviews=_days(row.case_plan_reviews), reassessments=_days(row.reassessments),
        risk_changes=tuple(sorted((date.fromisoformat(d), RiskLevel(lv)) for d, lv in row.risk_changes or ())),
        closed_on=row.closed_on, post_closure_follow_up_on=row.post_closure_follow_up_on)


def view_of(row: CaseFile, caseworker_name: str, last_reviewed_on: date | None = None) -> CaseFileView:
    return CaseFileView(
        id=row.id, case_code=row.case_code, agency_id=row.agency_id, caseworker_id=row.caseworker_id,
        caseworker_name=caseworker_name, risk_level=row.risk_level, status=row.status,
        identified_on=row.identified_on, registered_on=row.registered_on, assessed_on=row.assessed_on,
        case_plan_on=row.case_plan_on, first_action_on=row.first_action_on, follow_ups=_days(row.follow_ups),
        case_plan_reviews=_days(row.case_plan_reviews), reassessments=_days(row.reassessments),
        risk_changes=tuple(sorted((date.fromisoformat(d), lv) for d, lv in row.risk_changes or ())),
        closed_on=row.closed_on, closure_reason=row.closure_reason,
        post_closure_follow_up_on=row.post_closure_follow_up_on, version_id=row.version_id,
        last_reviewed_on=last_reviewed_on, objectives_achieved=row.objectives_achieved)


def list_case_files(session: Session, *, actor: Actor, caseworker_id: int | None = None,
                    status: str | None = None, risk_level: str | None = None,
                    code_contains: str = "") -> list[CaseFileView]:
    """The case files the actor may see, by case code."""
    last_review = (select(CaseFileReview.case_file_id, func.max(CaseFileReview.reviewed_on).label("last"))
                   .group_by(CaseFileReview.case_file_id).subquery())
    query = (select(CaseFile, StaffMember.full_name, last_review.c.last)
             .join(StaffMember, StaffMember.id == CaseFile.caseworker_id)
             .outerjoin(last_review, last_review.c.case_file_id == CaseFile.id)
             .where(readable_case_files(actor)).order_by(CaseFile.case_code))
    if caseworker_id is not None:
        query = query.where(CaseFile.caseworker_id == caseworker_id)
    if status:
        query = query.where(CaseFile.status == status)
    if risk_level:
        query = query.where(CaseFile.risk_level == risk_level)
    if code_contains.strip():
        query = query.where(func.lower(CaseFile.case_code).contains(code_contains.strip().lower()[:60],
                                                                    autoescape=True))
    return [view_of(row, name, last) for row, name, last in session.execute(query).all()]


@dataclass(frozen=True)
class CaseFileEntry:
    """One line of the case file list: what the list shows and filters on, without the file's dates."""
    id: int
    case_code: str
    caseworker_id: int
    caseworker_name: str
    risk_level: str
    status: str
    registered_on: date | None
    case_plan_on: date | None
    last_reviewed_on: date | None


@dataclass(frozen=True)
class CaseFileFilter:
    """What the case file list is narrowed to (``None`` or empty: anything)."""
    caseworker_id: int | None = None
    status: str = ""
    risk_level: str = ""
    code_contains: str = ""


def _index_query(actor: Actor, filters: CaseFileFilter) -> Select:
    query = (select(CaseFile.id).join(StaffMember, StaffMember.id == CaseFile.caseworker_id)
             .where(readable_case_files(actor)))
    if filters.caseworker_id is not None:
        query = query.where(CaseFile.caseworker_id == filters.caseworker_id)
    if filters.status:
        query = query.where(CaseFile.status == filters.status)
    if filters.risk_level:
        query = query.where(CaseFile.risk_level == filters.risk_level)
    if filters.code_contains.strip():
        query = query.where(func.lower(CaseFile.case_code).contains(filters.code_contains.strip().lower()[:60],
                                                                    autoescape=True))
    return query


def case_file_index(session: Session, *, actor: Actor, filters: CaseFileFilter = CaseFileFilter(),
                    offset: int = 0, limit: int | None = None) -> list[CaseFileEntry]:
    """The case files the actor may see that match ``filters``, by case code, as the list shows them: only the
    columns it needs, and with ``limit`` only one page of them (filtered, sorted and cut by the database)."""
    page = _index_query(actor, filters).order_by(CaseFile.case_code, CaseFile.id).offset(offset).limit(limit)
    chosen = page.subquery()
    last_review = (select(CaseFileReview.case_file_id, func.max(CaseFileReview.reviewed_on).label("last"))
                   .where(CaseFileReview.case_file_id.in_(select(chosen.c.id)))
                   .group_by(CaseFileReview.case_file_id).subquery())
    query = (select(CaseFile.id, CaseFile.case_code, CaseFile.caseworker_id, StaffMember.full_name,
                    CaseFile.risk_level, CaseFile.status, CaseFile.registered_on, CaseFile.case_plan_on,
                    last_review.c.last)
             .join(chosen, chosen.c.id == CaseFile.id)
             .join(StaffMember, StaffMember.id == CaseFile.caseworker_id)
             .outerjoin(last_review, last_review.c.case_file_id == CaseFile.id)
             .order_by(CaseFile.case_code, CaseFile.id))
    return [CaseFileEntry(*row) for row in session.execute(query).all()]


def count_case_files(session: Session, *, actor: Actor, filters: CaseFileFilter = CaseFileFilter()) -> int:
    return session.scalar(select(func.count()).select_from(_index_query(actor, filters).subquery())) or 0


def case_file_caseworkers(session: Session, *, actor: Actor) -> list[tuple[int, str]]:
    """The caseworkers of the case files the actor may see, by name: the list's filter."""
    return [(i, n) for i, n in session.execute(
        select(StaffMember.id, StaffMember.full_name).where(StaffMember.id.in_(
            select(CaseFile.caseworker_id).where(readable_case_files(actor)))).order_by(StaffMember.full_name))]


def get_case_file(session: Session, *, actor: Actor, case_file_id: int) -> CaseFileView:
    row = case_file_row(session, case_file_id, actor)
    name = session.scalar(select(StaffMember.full_name).where(StaffMember.id == row.caseworker_id)) or ""
    last = session.scalar(select(func.max(CaseFileReview.reviewed_on)).where(
        CaseFileReview.case_file_id == row.id))
    return view_of(row, name, last)


def case_file_timeliness(session: Session, *, actor: Actor, case_file_id: int,
                         as_of: date | None = None) -> dict[Step, StepResult]:
    """Every step's timeliness, against the agency's current timeframes."""
    row = case_file_row(session, case_file_id, actor)
    settings = current_settings(session, row.agency_id).settings
    return timeliness(dates_of(row), settings.timeframes, as_of or date.today())


@dataclass(frozen=True)
class Caseworker:
    id: int
    name: str
    agency_id: int


def caseworkers_to_choose(session: Session, *, actor: Actor) -> list[Caseworker]:
    """Whom the actor may give a case file to (their team, or their agency)."""
    rows = session.execute(select(StaffMember.id, StaffMember.full_name, StaffMember.agency_id)
                           .where(assignable_caseworkers(actor)).order_by(StaffMember.full_name)).all()
    return [Caseworker(i, n, a) for i, n, a in rows]


def name_warning(case_code: str) -> str:
    """A warning (not an error) when a case code looks like a person's name."""
    return t("case_file.warning.looks_like_name", code=case_code) if looks_like_a_name(case_code) else ""


def _clean(draft: CaseFileDraft) -> CaseFileDraft:
    draft.case_code = draft.case_code.strip()
    draft.closure_reason = draft.closure_reason.strip()
    return draft


def _caseworker_agency(session: Session, actor: Actor, caseworker_id: int | None) -> int | None:
    if caseworker_id is None:
        return None
    return session.scalar(select(StaffMember.agency_id).where(StaffMember.id == caseworker_id,
                                                              assignable_caseworkers(actor)))


def apply_draft(row: CaseFile, draft: CaseFileDraft) -> None:
    """Copy a valid draft onto a stored case file (lists sorted, dates as ISO text)."""
    row.case_code, row.caseworker_id = draft.case_code, int(draft.caseworker_id or 0)
    row.risk_level, row.status = draft.risk_level, draft.status
    for name in ("identified_on", "registered_on", "assessed_on", "case_plan_on", "first_action_on", "closed_on",
                 "post_closure_follow_up_on", "closure_reason", "objectives_achieved"):
        setattr(row, name, getattr(draft, name))
    row.follow_ups = [d.isoformat() for d in sorted(set(draft.follow_ups))]
    row.case_plan_reviews = [d.isoformat() for d in sorted(set(draft.case_plan_reviews))]
    row.reassessments = [d.isoformat() for d in sorted(set(draft.reassessments))]
    row.risk_changes = [[d.isoformat(), level] for d, level in sorted(draft.risk_changes)]


def _check(session: Session, actor: Actor, draft: CaseFileDraft, case_file_id: int | None) -> int:
    """Validate a draft for saving; returns the agency it belongs to."""
    agency_id = _caseworker_agency(session, actor, draft.caseworker_id)
    if draft.caseworker_id is not None and agency_id is None:
        raise Forbidden(t("case_file.error.caseworker_not_yours"))  # the form offers only the person's own staff
    errors = validate_case_file(draft, today=date.today())
    if agency_id is not None and "case_code" not in errors:
        taken = session.scalar(select(CaseFile.id).where(CaseFile.agency_id == agency_id,
                                                         CaseFile.case_code == draft.case_code))
        if taken is not None and taken != case_file_id:
            errors["case_code"] = t("case_file.error.code_taken", code=draft.case_code)
    if errors:
        raise ValidationFailed(errors)
    return int(agency_id or 0)


def _refresh_deadlines(session: Session, case_file_id: int) -> None:
    from checklists.services.deadlines import refresh_deadlines  # it reads case files through this module

    refresh_deadlines(session, case_file_ids=[case_file_id])


@binds_actor
def create_case_file(session: Session, *, actor: Actor, draft: CaseFileDraft) -> int:
    """Enter a case file by hand (a supervisor for their team's caseworkers, a manager for their agency)."""
    if not actor.has(*EDITORS):
        raise Forbidden(t("common.error.forbidden"))
    draft = _clean(draft)
    agency_id = _check(session, actor, draft, None)
    row = CaseFile(agency_id=agency_id)
    apply_draft(row, draft)
    session.add(row)
    session.flush()
    _refresh_deadlines(session, row.id)
    return row.id


@binds_actor
def update_case_file(session: Session, *, actor: Actor, case_file_id: int, draft: CaseFileDraft,
                     expected_version: int | None = None) -> None:
    row = case_file_row(session, case_file_id, actor, edit=True)
    check_version(row, expected_version)
    draft = _clean(draft)
    agency_id = _check(session, actor, draft, case_file_id)
    if agency_id != row.agency_id:
        raise ValidationFailed({"caseworker": t("case_file.error.other_agency")})
    apply_draft(row, draft)
    session.flush()
    _refresh_deadlines(session, row.id)

