"""Who may see and change case files and reviews.

A caseworker sees their own case files and their completed reviews; a supervisor those of the caseworkers in the
team they currently supervise (and enters and edits them, and reviews them); a manager everything of their
agency (and enters, edits and imports case files, and keeps the agency's review settings and checklist copies);
an administrator none of it unless they hold another role. Checked here, in the services, whatever the menus
show."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.orm import Session

from accounts.models import StaffMember
from accounts.staff_services import current_members
from checklists.models import CaseFile, CaseFileReview
from core.actor import Actor, Role
from core.errors import Forbidden
from core.i18n import t
from core.records import get_or_raise


def team_case_files(actor: Actor) -> ColumnElement[bool] | None:
    if actor.has(Role.SUPERVISOR) and actor.supervised_team_ids:
        return CaseFile.caseworker_id.in_(current_members(actor.supervised_team_ids))
    return None


def readable_case_files(actor: Actor) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = []
    if actor.has(Role.MANAGER) and actor.agency_id is not None:
        conditions.append(CaseFile.agency_id == actor.agency_id)
    team = team_case_files(actor)
    if team is not None:
        conditions.append(team)
    if actor.has(Role.CASEWORKER) and actor.staff_member_id is not None:
        conditions.append(CaseFile.caseworker_id == actor.staff_member_id)
    return or_(*conditions) if conditions else false()


def editable_case_files(actor: Actor) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = []
    if actor.has(Role.MANAGER) and actor.agency_id is not None:
        conditions.append(CaseFile.agency_id == actor.agency_id)
    team = team_case_files(actor)
    if team is not None:
        conditions.append(team)
    return or_(*conditions) if conditions else false()


def assignable_caseworkers(actor: Actor) -> ColumnElement[bool]:
    """The staff a person may give case files to: their team's members, or their agency's active staff."""
    conditions: list[ColumnElement[bool]] = []
    if actor.has(Role.MANAGER) and actor.agency_id is not None:
        conditions.append(StaffMember.agency_id == actor.agency_id)
    if actor.has(Role.SUPERVISOR) and actor.supervised_team_ids:
        conditions.append(StaffMember.id.in_(current_members(actor.supervised_team_ids)))
    return and_(StaffMember.active.is_(True), or_(*conditions)) if conditions else false()


def readable_reviews(actor: Actor) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = []
    if actor.has(Role.MANAGER) and actor.agency_id is not None:
        conditions.append(CaseFileReview.agency_id == actor.agency_id)
    if actor.has(Role.SUPERVISOR):
        if actor.supervised_team_ids:
            conditions.append(CaseFileReview.caseworker_id.in_(current_members(actor.supervised_team_ids)))
        if actor.account_id is not None:
            conditions.append(CaseFileReview.reviewer_account_id == actor.account_id)
    if actor.has(Role.CASEWORKER) and actor.staff_member_id is not None:
        conditions.append(and_(CaseFileReview.caseworker_id == actor.staff_member_id,
                               CaseFileReview.status == "completed"))
    return or_(*conditions) if conditions else false()


def may_review(session: Session, actor: Actor, caseworker_id: int) -> bool:
    """Supervisors review the files of the caseworkers in the team they supervise."""
    if not (actor.has(Role.SUPERVISOR) and actor.supervised_team_ids):
        return False
    return session.scalar(select(StaffMember.id).where(
        StaffMember.id == caseworker_id, StaffMember.id.in_(current_members(actor.supervised_team_ids)))) is not None


def case_file_row(session: Session, case_file_id: int, actor: Actor, *, edit: bool = False) -> CaseFile:
    row = get_or_raise(session, CaseFile, case_file_id, "case_file.error.not_found")
    condition = editable_case_files(actor) if edit else readable_case_files(actor)
    if session.scalar(select(CaseFile.id).where(CaseFile.id == case_file_id, condition)) is None:
        raise Forbidden(t("common.error.forbidden"))
    return row


def review_row(session: Session, review_id: int, actor: Actor) -> CaseFileReview:
    row = get_or_raise(session, CaseFileReview, review_id, "review.error.not_found")
    if session.scalar(select(CaseFileReview.id).where(CaseFileReview.id == review_id,
                                                      readable_reviews(actor))) is None:
        raise Forbidden(t("common.error.forbidden"))
    return row
