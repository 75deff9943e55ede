"""Who may do what with an assessment.

Facilitators create assessments. The accounts that run or take part in an assessment (its members) may edit
it; managers read every assessment of their agency and track its key actions. Administrators manage accounts
and settings, not assessments. These checks run here, in the services, whatever the menus show.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, or_
from sqlalchemy.orm import Session

from core.actor import Actor, Role
from core.errors import Forbidden, ReadOnly
from core.i18n import t
from core.records import get_or_raise
from qaf.models import Assessment, AssessmentMember


def is_member(row: Assessment, actor: Actor) -> bool:
    return actor.account_id is not None and any(m.account_id == actor.account_id for m in row.members)


def may_read(row: Assessment, actor: Actor) -> bool:
    return is_member(row, actor) or (actor.has(Role.MANAGER) and actor.agency_id is not None
                                     and row.agency_id == actor.agency_id)


def readable(actor: Actor) -> ColumnElement[bool]:
    """The same rule as ``may_read``, as a query condition."""
    member = exists().where(AssessmentMember.assessment_id == Assessment.id,
                            AssessmentMember.account_id == (actor.account_id or -1))
    if actor.has(Role.MANAGER) and actor.agency_id is not None:
        return or_(member, Assessment.agency_id == actor.agency_id)
    return member


def require_draft(row: Assessment) -> None:
    if row.status == "final":
        raise ReadOnly(t("assessment.error.final_read_only"))


def assessment_row(session: Session, assessment_id: int, actor: Actor, *, edit: bool = False) -> Assessment:
    """The assessment, if the actor may read it (or, with ``edit``, change it)."""
    row = get_or_raise(session, Assessment, assessment_id, "assessment.error.not_found")
    if not (is_member(row, actor) if edit else may_read(row, actor)):
        raise Forbidden(t("common.error.forbidden"))
    return row
