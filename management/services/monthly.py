"""The figures of the monthly management report for one month and scope (an agency, or one of its teams): QAF
status and the change since the previous assessment, improvement actions done, late and due, review scores and
the weakest checklist items, the indicators with their month-on-month change, supervision compliance, and ratio
alerts. The PDF, the workbook and the dashboard read the same figures."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from checklists.models import CaseFileReview, ChecklistTemplate, ReviewAnswer
from checklists.services.templates import checklist_of
from core.actor import Actor
from improvement_actions.rules import OPEN_STATUSES
from management.indicators import Figure, month_end, next_month
from management.services import progress
from management.services.indicators import Scope, agency_scope, indicator_figures
from management.services.tracker import TrackedAction, TrackerFilters, tracked_actions
from qaf.models import Assessment
from qaf.services.access import readable

Progress = Callable[[float, str], None]
LISTED = 200  # actions listed per group; the counts cover them all and the tracker lists every one


@dataclass(frozen=True)
class WeakItem:
    item_id: str
    text: str
    no: int
    answered: int


@dataclass(frozen=True)
class MonthlyReport:
    month: date
    scope: Scope
    as_of: date  # the month's last day, or today while the month runs
    qaf: progress.Comparison | None
    qaf_latest: progress.AssessmentPoint | None
    actions_done: list[TrackedAction]
    actions_late: list[TrackedAction]
    actions_due: list[TrackedAction]
    indicators: dict[str, tuple[Figure | None, Figure | None]]  # key -> (this month, the month before)
    weakest_items: list[WeakItem]
    reviews_by_team: list[progress.TeamMonth]
    supervision: list[progress.SupervisorMonth]
    ratio_alerts: list[progress.RatioStatus]
    action_totals: dict[str, int]  # done, late, due: every one counted; the lists hold at most LISTED of each


def _latest_assessment(session: Session, actor: Actor, scope: Scope,
                       as_of: date) -> tuple[progress.AssessmentPoint | None, progress.Comparison | None]:
    latest = session.execute(select(Assessment.id).where(
        readable(actor), Assessment.agency_id.in_(scope.agency_ids), Assessment.archived_at.is_(None),
        Assessment.assessed_on <= as_of).order_by(Assessment.assessed_on.desc(), Assessment.id.desc())).scalar()
    if latest is None:
        return None, None
    points = [p for p in progress.context_of(session, actor=actor, assessment_id=latest) if p.assessed_on <= as_of]
    point = next(p for p in points if p.id == latest)
    earlier = [p for p in points if p.id != latest and p.assessed_on <= point.assessed_on]
    if not earlier:
        return point, None
    return point, progress.compare(session, actor=actor, earlier_id=earlier[-1].id, later_id=latest)


def _weakest_items(session: Session, scope: Scope, month: date, limit: int = 5) -> list[WeakItem]:
    conditions = [CaseFileReview.agency_id.in_(scope.agency_ids), CaseFileReview.status == "completed",
                  CaseFileReview.month == month]
    if scope.team_id is not None:
        conditions.append(CaseFileReview.team_id == scope.team_id)
    no = func.sum(case((ReviewAnswer.answer == "no", 1), else_=0))
    rows = session.execute(select(ReviewAnswer.item_id, no, func.sum(case((ReviewAnswer.answer.in_(("yes", "no")), 1),
                                                                          else_=0)))
                           .join(CaseFileReview, CaseFileReview.id == ReviewAnswer.review_id).where(*conditions)
                           .group_by(ReviewAnswer.item_id).having(no > 0)
                           .order_by(no.desc(), ReviewAnswer.item_id).limit(limit)).all()
    texts: dict[str, str] = {}
    for template_id in session.scalars(select(CaseFileReview.template_id).where(*conditions).distinct()).all():
        row = session.get(ChecklistTemplate, template_id)
        if row is not None:
            for item in checklist_of(row).items():
                texts.setdefault(item.id, item.text)
    return [WeakItem(item, texts.get(item, ""), int(n or 0), int(answered or 0)) for item, n, answered in rows]


def monthly_report(session: Session, *, actor: Actor, month: date, team_id: int | None = None,
                   today: date | None = None, progress_to: Progress | None = None) -> MonthlyReport:
    """Every figure of the report, for people who may see the scope (a manager their agency or one of its
    teams, a supervisor their team). ``progress_to(fraction, what)`` is told as each section is done."""
    step = progress_to or (lambda _fraction, _what: None)
    today = today or date.today()
    month = month.replace(day=1)
    scope = agency_scope(session, actor=actor, team_id=team_id)
    as_of = min(month_end(month), today)
    step(0.05, "qaf")
    latest, comparison = _latest_assessment(session, actor, scope, as_of)
    step(0.2, "actions")
    base = TrackerFilters(agency_id=scope.agency_ids[0] if len(scope.agency_ids) == 1 else None,
                          team_id=scope.team_id)

    totals: dict[str, int] = {}

    def listed(group: str, **filters: object) -> list[TrackedAction]:
        found = tracked_actions(session, actor=actor, today=as_of, filters=replace(base, **filters), limit=LISTED)
        totals[group] = found.counts["total"]
        return found.actions

    done = listed("done", statuses=("done",), completed_between=(month, as_of + timedelta(days=1)))
    late = listed("late", overdue=True)
    due = listed("due", statuses=OPEN_STATUSES, due_between=(as_of, next_month(next_month(month))))
    step(0.35, "indicators")
    previous = month - relativedelta(months=1)
    figures = indicator_figures(session, scope=scope, months=[previous, month], today=today)
    indicators = {key: (by_month.get(month), by_month.get(previous)) for key, by_month in figures.items()}
    step(0.6, "reviews")
    weakest = _weakest_items(session, scope, month)
    by_team = progress.reviews_by_team(session, scope=scope, months=[month], today=today)
    step(0.8, "supervision")
    supervision = progress.supervision_by_supervisor(session, scope=scope, months=[month], today=today)
    alerts = [r for r in progress.ratios_by_team(session, actor=actor, scope=scope) if r.light in ("red", "amber")]
    step(0.9, "done")
    return MonthlyReport(month, scope, as_of, comparison, latest, done, late, due, indicators, weakest, by_team,
                         supervision, alerts, totals)
