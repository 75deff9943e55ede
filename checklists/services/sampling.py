"""The monthly sample: for each caseworker of a team, the case files to review this month, and which are done."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dateutil.relativedelta import relativedelta
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from accounts.models import StaffMember, Team
from accounts.staff_services import current_members
from checklists.models import CaseFile, CaseFileReview
from checklists.sampling import Candidate, propose
from checklists.services.access import readable_case_files
from checklists.services.reviews import month_of
from checklists.services.templates import current_settings
from core.actor import Actor, Role
from core.errors import Forbidden, NotFound
from core.i18n import t


@dataclass(frozen=True)
class ProposedFile:
    case_file_id: int
    case_code: str
    risk_level: str
    last_reviewed_on: date | None
    review_id: int | None  # this month's review of the file, if any
    review_status: str | None


@dataclass(frozen=True)
class CaseworkerSample:
    caseworker_id: int
    caseworker_name: str
    open_files: int
    proposed: list[ProposedFile]
    reviews_this_month: int  # of any of their files, proposed or not

    @property
    def done(self) -> int:
        return sum(1 for p in self.proposed if p.review_status == "completed")


def sample_teams(session: Session, *, actor: Actor) -> list[tuple[int, str]]:
    """The teams whose monthly sample the actor may see: those they supervise, or their agency's."""
    conditions = []
    if actor.has(Role.SUPERVISOR) and actor.supervised_team_ids:
        conditions.append(Team.id.in_(actor.supervised_team_ids))
    if actor.has(Role.MANAGER) and actor.agency_id is not None:
        conditions.append(Team.agency_id == actor.agency_id)
    if not conditions:
        return []
    return [(i, n) for i, n in session.execute(select(Team.id, Team.name).where(or_(*conditions))
                                              .order_by(Team.name)).all()]


def monthly_sample(session: Session, *, actor: Actor, team_id: int, month: date) -> list[CaseworkerSample]:
    """High-risk files first, then those not reviewed for longest, then a draw seeded by month and caseworker.
    The proposal reads the reviews made before the month, so it stays the same while the month's reviews are
    done; the files reviewed this month are marked."""
    if team_id not in {i for i, _ in sample_teams(session, actor=actor)}:
        raise Forbidden(t("common.error.forbidden"))
    team = session.get(Team, team_id)
    if team is None:
        raise NotFound(t("teams.error.not_found"))
    start = month_of(month)
    end = start + relativedelta(months=1)
    last_day = end - relativedelta(days=1)
    count = current_settings(session, team.agency_id).settings.files_per_caseworker
    people = session.execute(select(StaffMember.id, StaffMember.full_name).where(
        StaffMember.id.in_(current_members({team_id}, min(last_day, date.today()))), StaffMember.active.is_(True))
        .order_by(StaffMember.full_name)).all()
    before = (select(CaseFileReview.case_file_id, func.max(CaseFileReview.reviewed_on).label("last"))
              .where(CaseFileReview.reviewed_on < start).group_by(CaseFileReview.case_file_id).subquery())
    ids = [p for p, _ in people]
    files = session.execute(
        select(CaseFile.id, CaseFile.case_code, CaseFile.risk_level, CaseFile.caseworker_id, before.c.last)
        .outerjoin(before, before.c.case_file_id == CaseFile.id)
        .where(CaseFile.caseworker_id.in_(ids), readable_case_files(actor),
               or_(CaseFile.status == "open", CaseFile.closed_on >= start),
               or_(and_(CaseFile.registered_on.is_(None), CaseFile.identified_on.is_(None)),
                   func.coalesce(CaseFile.identified_on, CaseFile.registered_on) <= last_day))).all()
    this_month = {case_file_id: (review_id, status) for review_id, case_file_id, status in session.execute(
        select(CaseFileReview.id, CaseFileReview.case_file_id, CaseFileReview.status).where(
            CaseFileReview.month == start, CaseFileReview.caseworker_id.in_(ids))
        .order_by(CaseFileReview.id)).all()}
    reviewed_by_caseworker = dict(session.execute(
        select(CaseFileReview.caseworker_id, func.count()).where(
            CaseFileReview.month == start, CaseFileReview.caseworker_id.in_(ids))
        .group_by(CaseFileReview.caseworker_id)).all())
    samples = []
    for person_id, name in people:
        candidates = [Candidate(f, code, risk, last) for f, code, risk, owner, last in files if owner == person_id]
        picked = propose(candidates, month=start, caseworker_id=person_id, count=count)
        samples.append(CaseworkerSample(
            person_id, name, len(candidates),
            [ProposedFile(c.case_file_id, c.case_code, c.risk_level, c.last_reviewed_on,
                          *this_month.get(c.case_file_id, (None, None))) for c in picked],
            int(reviewed_by_caseworker.get(person_id, 0))))
    return samples
