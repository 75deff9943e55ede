"""Progress over time for one context: its successive assessments side by side (levels then and now, the change,
the key actions completed between them and those still open from the earlier plan), and the other features'
figures by month and team or supervisor."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from accounts.models import StaffMember, Team, TeamMembership
from checklists.models import CaseFileDeadline, CaseFileReview
from checklists.services.deadlines import indicator_counts
from core.actor import Actor
from core.levels import Level
from core.records import month_bucket
from improvement_actions.rules import OPEN_STATUSES
from management.indicators import month_end, next_month
from management.services.indicators import Scope
from management.services.tracker import TrackedAction, TrackerFilters, tracked_actions
from qaf.models import Assessment
from qaf.services import assessment_results, framework_for_reader
from qaf.services.access import assessment_row, readable
from supervision.models import SupervisionSession
from supervision.services.compliance import ratios_of_teams


@dataclass(frozen=True)
class AssessmentPoint:
    id: int
    name: str
    assessed_on: date
    status: str


@dataclass(frozen=True)
class ComponentChange:
    code: str
    title: str
    dimension: int
    before: Level | None
    after: Level | None
    unconfirmed: bool  # the later rating is still the baseline's copy

    @property
    def change(self) -> int | None:
        if self.before is None or self.after is None:
            return None
        return int(self.after) - int(self.before)


@dataclass(frozen=True)
class Comparison:
    earlier: AssessmentPoint
    later: AssessmentPoint
    components: list[ComponentChange]
    completed_between: list[TrackedAction]
    still_open: list[TrackedAction]


def context_of(session: Session, *, actor: Actor, assessment_id: int) -> list[AssessmentPoint]:
    """The assessments of the same context the person may read, oldest first: those linked to it as baseline or
    re-assessment (at any distance), and those of the same agency, country and scope."""
    row = assessment_row(session, assessment_id, actor)
    linked = {row.id}
    frontier = {row.id}
    while frontier:  # follow baseline links both ways
        found = set(session.scalars(select(Assessment.id).where(or_(
            Assessment.baseline_id.in_(frontier),
            Assessment.id.in_(select(Assessment.baseline_id).where(Assessment.id.in_(frontier))))))) - linked
        linked |= found
        frontier = found
    same_place = and_(Assessment.country == row.country, Assessment.scope == row.scope,
                      Assessment.agency_id == row.agency_id if row.agency_id is not None
                      else Assessment.agency_id.is_(None))
    rows = session.execute(select(Assessment.id, Assessment.name, Assessment.assessed_on, Assessment.status).where(
        readable(actor), Assessment.archived_at.is_(None), or_(Assessment.id.in_(linked), same_place))
        .order_by(Assessment.assessed_on, Assessment.id)).all()
    return [AssessmentPoint(*r) for r in rows]


def levels_over_time(session: Session, *, actor: Actor,
                     points: list[AssessmentPoint]) -> dict[int, dict[str, Level | None]]:
    """Assessment id -> component code -> agreed level (None: not scored)."""
    found = {}
    for point in points:
        _view, _framework, summary = assessment_results(session, point.id, actor=actor)
        found[point.id] = {r.component.code: r.agreed_level if r.scored else None for r in summary.results}
    return found


def compare(session: Session, *, actor: Actor, earlier_id: int, later_id: int) -> Comparison:
    """Two assessments of a context side by side. Components are matched by code, so a contextualised copy of
    the framework still compares with the version it came from."""
    before_view, _f, before = assessment_results(session, earlier_id, actor=actor)
    after_view, _framework, after = assessment_results(session, later_id, actor=actor)
    if before_view.assessed_on > after_view.assessed_on:
        before_view, after_view, before, after = after_view, before_view, after, before
    then = {r.component.code: r for r in before.results}
    reader = {c.code: c.title for c in framework_for_reader(session, after_view.framework_version_id).components()}
    changes = []
    for result in after.results:
        old = then.get(result.component.code)
        changes.append(ComponentChange(
            result.component.code, reader.get(result.component.code, result.component.title),
            result.component.dimension_number,
            old.agreed_level if old is not None and old.scored else None,
            result.agreed_level if result.scored else None, result.from_baseline))
    plan = tracked_actions(session, actor=actor, filters=TrackerFilters(assessment_ids=(before_view.id,))).actions
    completed = [a for a in plan if a.status == "done" and a.completed_at is not None
                 and before_view.assessed_on <= a.completed_at.date() <= after_view.assessed_on]
    still_open = [a for a in plan if a.status in OPEN_STATUSES]
    return Comparison(AssessmentPoint(before_view.id, before_view.name, before_view.assessed_on, before_view.status),
                      AssessmentPoint(after_view.id, after_view.name, after_view.assessed_on, after_view.status),
                      changes, completed, still_open)



@dataclass(frozen=True)
class TeamMonth:
    team: str
    month: date
    reviews: int
    mean_score: float | None
    assessment_on_time: tuple[int, int]  # met, decided
    plan_review_on_time: tuple[int, int]


@dataclass(frozen=True)
class SupervisorMonth:
    supervisor: str
    month: date
    held: int
    due: int  # held, missed, or past and not recorded (cancelled ones are not due)


@dataclass(frozen=True)
class RatioStatus:
    team: str
    subject: str
    rule: str
    light: str  # green | amber | red | none
    figure: str


def reviews_by_team(session: Session, *, scope: Scope, months: list[date],
                    today: date | None = None) -> list[TeamMonth]:
    """Review scores and the two timeliness indicators per team and month, counted by the database (deadlines by
    caseworker, each caseworker counted in the team they were in during the period)."""
    today = today or date.today()
    first, last = months[0], month_end(months[-1])
    conditions = [CaseFileReview.agency_id.in_(scope.agency_ids), CaseFileReview.status == "completed",
                  CaseFileReview.month >= first, CaseFileReview.month <= last]
    teams = _teams(session, scope)
    scores = {(team, month): (int(n), avg) for team, month, n, avg in session.execute(
        select(CaseFileReview.team_id, CaseFileReview.month, func.count(), func.avg(CaseFileReview.score))
        .where(*conditions).group_by(CaseFileReview.team_id, CaseFileReview.month)).all()}
    team_of = dict(session.execute(select(TeamMembership.staff_member_id, TeamMembership.team_id).where(
        TeamMembership.team_id.in_([i for i, _ in teams]), TeamMembership.from_date <= last,
        or_(TeamMembership.to_date.is_(None), TeamMembership.to_date > first))
        .order_by(TeamMembership.from_date)).all())  # the latest stay wins
    counts = indicator_counts(session, conditions=[CaseFileDeadline.agency_id.in_(scope.agency_ids)],
                              months=months, as_of=min(today, last), group_by=CaseFileDeadline.caseworker_id)
    per_team: dict[tuple[int, date, str], list[int]] = defaultdict(lambda: [0, 0])
    for (month, step, caseworker), (met, decided) in counts.items():
        if caseworker in team_of:
            total = per_team[(team_of[caseworker], month, step)]
            total[0] += met
            total[1] += decided
    found = []
    for team_id, name in teams:
        for month in months:
            n, avg = scores.get((team_id, month), (0, None))
            found.append(TeamMonth(name, month, n, round(float(avg), 1) if avg is not None else None,
                                   tuple(per_team.get((team_id, month, "assessment"), (0, 0))),  # type: ignore[arg-type]
                                   tuple(per_team.get((team_id, month, "first_case_plan_review"), (0, 0)))))  # type: ignore[arg-type]
    return found


def supervision_by_supervisor(session: Session, *, scope: Scope, months: list[date],
                              today: date | None = None) -> list[SupervisorMonth]:
    """Sessions held over those due, per supervisor and month (GROUP BY in the database)."""
    today = today or date.today()
    moments = [datetime.combine(m, time.min) for m in months]
    bucket = month_bucket(SupervisionSession.starts_at, moments)
    conditions = [SupervisionSession.agency_id.in_(scope.agency_ids), SupervisionSession.status != "cancelled",
                  SupervisionSession.starts_at >= moments[0],
                  SupervisionSession.starts_at < datetime.combine(min(next_month(months[-1]), today), time.min)]
    if scope.team_id is not None:
        conditions.append(SupervisionSession.team_id == scope.team_id)
    rows = session.execute(
        select(StaffMember.full_name, bucket, func.sum(case((SupervisionSession.status == "held", 1), else_=0)),
               func.count())
        .join(StaffMember, StaffMember.id == SupervisionSession.supervisor_id).where(*conditions)
        .group_by(StaffMember.full_name, bucket).order_by(StaffMember.full_name, bucket)).all()
    return [SupervisorMonth(name, months[index], int(held or 0), int(due)) for name, index, held, due in rows
            if index is not None]


def ratios_by_team(session: Session, *, actor: Actor, scope: Scope) -> list[RatioStatus]:
    """Each team's staffing ratios as the supervision pages judge them (caseloads, caseworkers per supervisor,
    a female caseworker, the supervisor's experience)."""
    teams = _teams(session, scope)
    checked = ratios_of_teams(session, actor=actor, team_ids=[team_id for team_id, _name in teams])
    return [RatioStatus(name, check.subject, check.rule, check.light, check.figure)
            for team_id, name in teams for check in checked[team_id]]


def _teams(session: Session, scope: Scope) -> list[tuple[int, str]]:
    query = select(Team.id, Team.name).where(Team.agency_id.in_(scope.agency_ids), Team.active.is_(True))
    if scope.team_id is not None:
        query = query.where(Team.id == scope.team_id)
    return [(i, n) for i, n in session.execute(query.order_by(func.lower(Team.name))).all()]
