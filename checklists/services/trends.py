"""Trends per team and caseworker, by month: review scores, the checklist items most often answered No (the
team's training needs), timeliness rates per step and risk level, and two guideline indicators (2.1.5.A). Every
figure carries the records it is computed over, so a page can open them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy import case, func, null, or_, select
from sqlalchemy.orm import Session

from accounts.models import StaffMember
from accounts.staff_services import current_members
from checklists.models import CaseFile, CaseFileReview, ChecklistTemplate, ReviewAnswer
from checklists.services.access import readable_case_files, readable_reviews
from checklists.services.case_files import dates_of
from checklists.services.reviews import month_of
from checklists.services.templates import checklist_of, current_settings
from checklists.timeliness import DECIDED, STEPS, Status, Step, StepResult, timeliness
from core.actor import Actor

INDICATOR_ASSESSMENT = "assessment_on_time"
INDICATOR_PLAN_REVIEW = "plan_reviewed_within_three_months"


@dataclass(frozen=True)
class ScorePoint:
    month: date
    caseworker_id: int | None  # None: the whole selection
    caseworker_name: str
    reviews: int
    mean_score: float | None


@dataclass(frozen=True)
class ItemNo:
    item_id: str
    text: str
    no: int
    answered: int  # Yes or No

    @property
    def percent_no(self) -> float:
        return round(100 * self.no / self.answered, 1) if self.answered else 0.0


@dataclass(frozen=True)
class CaseRecord:
    case_file_id: int
    case_code: str
    caseworker_name: str
    status: str  # met | missed | overdue
    due_on: date | None
    done_on: date | None


@dataclass
class Rate:
    met: int = 0
    decided: int = 0
    records: list[CaseRecord] = field(default_factory=list)

    @property
    def percent(self) -> float | None:
        return round(100 * self.met / self.decided, 1) if self.decided else None

    def add(self, record: CaseRecord) -> None:
        self.decided += 1
        self.met += record.status == Status.MET
        self.records.append(record)


@dataclass(frozen=True)
class Trends:
    months: list[date]
    scores: list[ScorePoint]  # per caseworker and month, then the selection's own line (caseworker_id None)
    items_no: list[ItemNo]  # most often No first
    timeliness: dict[tuple[date, Step, str], Rate]  # (month the deadline fell in, step, risk level)
    indicators: dict[tuple[date, str], Rate]
    reviews_counted: int
    case_files_counted: int


def _months(start: date, end: date) -> list[date]:
    months, current = [], month_of(start)
    while current <= end:
        months.append(current)
        current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
    return months


def _review_filter(actor: Actor, team_id: int | None, caseworker_id: int | None, start: date, end: date) -> list:
    conditions = [readable_reviews(actor), CaseFileReview.status == "completed",
                  CaseFileReview.month >= month_of(start), CaseFileReview.month <= end]
    if team_id is not None:
        conditions.append(CaseFileReview.team_id == team_id)
    if caseworker_id is not None:
        conditions.append(CaseFileReview.caseworker_id == caseworker_id)
    return conditions


def data_token(session: Session, *, actor: Actor) -> tuple[object, ...]:
    """Changes whenever anything trends are computed from changes (case files, reviews, settings), so a page may
    keep a result while it stands. Counts and last changes only: nothing the actor may not see."""
    from checklists.models import ReviewSettingsVersion

    files = session.execute(select(func.count(), func.max(CaseFile.updated_at)).where(
        readable_case_files(actor))).one()
    done = session.execute(select(func.count(), func.max(CaseFileReview.updated_at)).where(
        readable_reviews(actor))).one()
    settings = session.scalar(select(func.max(ReviewSettingsVersion.id)))
    return (*files, *done, settings, actor.roles, actor.supervised_team_ids)


def review_records(session: Session, *, actor: Actor, start: date, end: date, team_id: int | None = None,
                   caseworker_id: int | None = None, item_id: str | None = None,
                   answer: str | None = None) -> list[tuple[int, str, str, date, float | None]]:
    """The completed reviews behind a figure: (id, case code, caseworker, date, score)."""
    query = (select(CaseFileReview.id, CaseFile.case_code, StaffMember.full_name, CaseFileReview.reviewed_on,
                    CaseFileReview.score)
             .join(CaseFile, CaseFile.id == CaseFileReview.case_file_id)
             .join(StaffMember, StaffMember.id == CaseFileReview.caseworker_id)
             .where(*_review_filter(actor, team_id, caseworker_id, start, end))
             .order_by(CaseFileReview.reviewed_on, CaseFileReview.id))
    if item_id is not None:
        query = query.join(ReviewAnswer, ReviewAnswer.review_id == CaseFileReview.id).where(
            ReviewAnswer.item_id == item_id, ReviewAnswer.answer == (answer or "no"))
    return [tuple(r) for r in session.execute(query).all()]  # type: ignore[misc]


def _interval_records(result: StepResult, start: date, end: date, as_of: date):
    """Each interval of a recurring step whose deadline fell in the period and is decided: (due, status)."""
    for interval in result.intervals:
        if interval.due_on is None or not start <= interval.due_on <= end:
            continue
        if interval.closed_by_contact or interval.end < as_of:
            yield interval, (Status.MET if interval.end <= interval.due_on else Status.MISSED)
        elif as_of > interval.due_on:
            yield interval, Status.OVERDUE


def review_trends(session: Session, *, actor: Actor, start: date, end: date, team_id: int | None = None,
                  caseworker_id: int | None = None, as_of: date | None = None) -> Trends:
    """Trends from ``start`` to ``end`` (months included whole) over what the actor may see."""
    months = _months(start, end)
    period_end = date(end.year + end.month // 12, end.month % 12 + 1, 1) if months else end
    last_day = date.fromordinal(period_end.toordinal() - 1)
    filters = _review_filter(actor, team_id, caseworker_id, start, end)
    per_caseworker = session.execute(
        select(CaseFileReview.month, CaseFileReview.caseworker_id, StaffMember.full_name, func.count(),
               func.avg(CaseFileReview.score))
        .join(StaffMember, StaffMember.id == CaseFileReview.caseworker_id).where(*filters)
        .group_by(CaseFileReview.month, CaseFileReview.caseworker_id, StaffMember.full_name)
        .order_by(CaseFileReview.month, StaffMember.full_name)).all()
    overall = session.execute(select(CaseFileReview.month, func.count(), func.avg(CaseFileReview.score))
                              .where(*filters).group_by(CaseFileReview.month)).all()
    scores = [ScorePoint(m, cw, name, n, round(float(avg), 1) if avg is not None else None)
              for m, cw, name, n, avg in per_caseworker]
    scores += [ScorePoint(m, None, "", n, round(float(avg), 1) if avg is not None else None)
               for m, n, avg in sorted(overall)]
    no_rows = session.execute(
        select(ReviewAnswer.item_id, func.sum(case((ReviewAnswer.answer == "no", 1), else_=0)),
               func.sum(case((ReviewAnswer.answer.in_(("yes", "no")), 1), else_=0)))
        .join(CaseFileReview, CaseFileReview.id == ReviewAnswer.review_id).where(*filters)
        .group_by(ReviewAnswer.item_id)).all()
    texts: dict[str, str] = {}
    for (template_id,) in session.execute(select(CaseFileReview.template_id).where(*filters).distinct()).all():
        template = session.get(ChecklistTemplate, template_id)
        if template is not None:
            for item in checklist_of(template).items():
                texts.setdefault(item.id, item.text)
    items_no = sorted((ItemNo(i, texts.get(i, ""), int(no or 0), int(answered or 0)) for i, no, answered in no_rows
                       if no), key=lambda x: (-x.no, -x.percent_no, x.item_id))
    counted = sum(n for _, n, _ in overall)

    conditions = [readable_case_files(actor)]
    if team_id is not None:
        conditions.append(CaseFile.caseworker_id.in_(current_members({team_id})))
    if caseworker_id is not None:
        conditions.append(CaseFile.caseworker_id == caseworker_id)
    rates, indicators, files = _case_rates(session, conditions, months, start, last_day, as_of)
    return Trends(months, scores, items_no, dict(rates), dict(indicators), counted, files)


def _case_rates(session: Session, conditions: list, months: list[date], start: date, last_day: date,
                as_of: date | None, steps: tuple[Step, ...] | None = None,
                ) -> tuple[dict[tuple[date, Step, str], Rate], dict[tuple[date, str], Rate], int]:
    """Timeliness per month, step and risk level, and the two timeliness indicators, over the case files that
    meet ``conditions``. Each file is read by the timeliness rules (risk level changes move deadlines, which no
    GROUP BY can say); files closed before the period cannot have a deadline in it and are not read."""
    first_day = months[0] if months else start
    wanted = set(STEPS if steps is None else steps)
    # Only the columns the wanted steps read: a file's follow-up dates can run to hundreds.
    follow_ups = CaseFile.follow_ups if Step.FOLLOW_UP in wanted else null().label("follow_ups")
    case_query = (select(CaseFile.id, CaseFile.case_code, CaseFile.agency_id, CaseFile.risk_level, CaseFile.status,
                         CaseFile.identified_on, CaseFile.registered_on, CaseFile.assessed_on, CaseFile.case_plan_on,
                         CaseFile.first_action_on, CaseFile.case_plan_reviews, CaseFile.risk_changes,
                         CaseFile.closed_on, CaseFile.post_closure_follow_up_on, CaseFile.reassessments, follow_ups,
                         StaffMember.full_name)
                  .join(StaffMember, StaffMember.id == CaseFile.caseworker_id)
                  .where(*conditions, or_(CaseFile.closed_on.is_(None), CaseFile.closed_on >= first_day)))
    # Without the follow-up step only the first case plan review counts (the indicator): later reviews are not read.
    first_review_only = Step.FOLLOW_UP not in wanted
    day = min(as_of or date.today(), last_day)
    rates: dict[tuple[date, Step, str], Rate] = defaultdict(Rate)
    indicators: dict[tuple[date, str], Rate] = defaultdict(Rate)
    settings_by_agency: dict[int, object] = {}
    files = 0
    for row in session.execute(case_query).all():
        name = row.full_name
        if row.agency_id not in settings_by_agency:
            settings_by_agency[row.agency_id] = current_settings(session, row.agency_id).settings.timeframes
        files += 1
        dates = dates_of(row)  # type: ignore[arg-type]
        if first_review_only and len(dates.case_plan_reviews) > 1:
            dates = replace(dates, case_plan_reviews=dates.case_plan_reviews[:1])
        results = timeliness(dates, settings_by_agency[row.agency_id], day,  # type: ignore[arg-type]
                             window_start=first_day, steps=steps)
        for step, result in results.items():
            if step in (Step.FOLLOW_UP, Step.CASE_PLAN_REVIEW):
                for interval, status in _interval_records(result, first_day, last_day, day):
                    record = CaseRecord(row.id, row.case_code, name, status, interval.due_on,
                                        interval.end if interval.closed_by_contact else None)
                    level = result.risk_level.value if result.risk_level else row.risk_level
                    rates[(month_of(interval.due_on), step, level)].add(record)  # type: ignore[arg-type]
                    if step == Step.CASE_PLAN_REVIEW and interval.start == row.case_plan_on:  # the first review
                        indicators[(month_of(interval.due_on), INDICATOR_PLAN_REVIEW)].add(record)  # type: ignore[arg-type]
                continue
            if result.status not in DECIDED or result.due_on is None or not first_day <= result.due_on <= last_day:
                continue
            record = CaseRecord(row.id, row.case_code, name, result.status, result.due_on, result.done_on)
            level = result.risk_level.value if result.risk_level else row.risk_level
            rates[(month_of(result.due_on), step, level)].add(record)
            if step == Step.ASSESSMENT:
                indicators[(month_of(result.due_on), INDICATOR_ASSESSMENT)].add(record)
    return dict(rates), dict(indicators), files

