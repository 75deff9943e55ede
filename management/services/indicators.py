"""The dashboards' figures for one scope (an agency, one of its teams, or the agencies of an inter-agency
assessment) over a run of months. Counting is done by the database (GROUP BY, with months as CASE buckets, the
same query on SQLite and PostgreSQL); the two timeliness indicators read each case file active in the period by
the timeliness rules, because risk level changes move deadlines in ways no GROUP BY can say.

Who sees what: a manager their agency and its teams; a supervisor the teams they supervise; the members of an
assessment (and the managers who read it) the agencies it names, as figures only: the records behind a figure
open only for the agency the person manages or the team they supervise."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from accounts.models import Agency, StaffMember, StaffTraining, Team, TeamMembership
from checklists.models import CaseFile, CaseFileDeadline, CaseFileReview
from checklists.services.deadlines import indicator_counts, indicator_records
from core.actor import Actor, Role
from core.errors import Forbidden
from core.i18n import t
from core.records import get_or_raise, month_bucket
from improvement_actions.models import ImprovementAction
from management import indicators as ind
from management.indicators import Figure, month_end, next_month
from management.services.tracker import team_column, with_sources
from qaf.models import Assessment
from qaf.services.access import may_read, readable
from supervision.models import SupervisionSession

# The case files' indicator steps and the indicators they give.
TIMELINESS = {"assessment": ind.ASSESSMENT_ON_TIME, "first_case_plan_review": ind.PLAN_REVIEW_ON_TIME}


@dataclass(frozen=True)
class Scope:
    agency_ids: tuple[int, ...]
    team_id: int | None
    label: str
    records_visible: bool  # may the person open the records behind the figures
    assessment_id: int | None = None


def agency_scope(session: Session, *, actor: Actor, team_id: int | None = None) -> Scope:
    """A manager's agency (or one of its teams), or a team its supervisor runs."""
    if team_id is not None:
        team = get_or_raise(session, Team, team_id, "teams.error.not_found")
        manages = actor.has(Role.MANAGER) and team.agency_id == actor.agency_id
        if not (manages or (actor.has(Role.SUPERVISOR) and team_id in actor.supervised_team_ids)):
            raise Forbidden(t("common.error.forbidden"))
        return Scope((team.agency_id,), team_id, team.name, True)
    if not actor.has(Role.MANAGER) or actor.agency_id is None:
        raise Forbidden(t("common.error.forbidden"))
    name = session.scalar(select(Agency.name).where(Agency.id == actor.agency_id)) or ""
    return Scope((actor.agency_id,), None, name, True)


def task_force_scope(session: Session, *, actor: Actor, assessment_id: int) -> Scope:
    """The agencies an assessment names (and its own), for the people who may read the assessment."""
    row = get_or_raise(session, Assessment, assessment_id, "assessment.error.not_found")
    if not may_read(row, actor):
        raise Forbidden(t("common.error.forbidden"))
    names = [n.strip().lower() for n in row.agencies or [] if n.strip()]
    ids = set(session.scalars(select(Agency.id).where(func.lower(Agency.name).in_(names))).all()) if names else set()
    if row.agency_id is not None:
        ids.add(row.agency_id)
    visible = actor.has(Role.MANAGER) and ids == {actor.agency_id}
    return Scope(tuple(sorted(ids)), None, row.name, visible, assessment_id)


def _moment(day: date) -> datetime:
    return datetime.combine(day, time.min)


def _team_members(scope: Scope, first: date, last: date):  # type: ignore[no-untyped-def]
    """The staff in the scope's team at any time in the period (a query of ids)."""
    return select(TeamMembership.staff_member_id).where(
        TeamMembership.team_id == scope.team_id, TeamMembership.from_date <= last,
        or_(TeamMembership.to_date.is_(None), TeamMembership.to_date > first))


def _deadline_scope(scope: Scope, first: date, last: date) -> list[ColumnElement[bool]]:
    conditions = [CaseFileDeadline.agency_id.in_(scope.agency_ids)]
    if scope.team_id is not None:
        conditions.append(CaseFileDeadline.caseworker_id.in_(_team_members(scope, first, last)))
    return conditions


def _supervisors_at(scope: Scope, day: date) -> list[ColumnElement[bool]]:
    """Staff of the scope supervising a team (the scope's team, if it has one) on ``day``."""
    stays = select(TeamMembership.staff_member_id).where(
        TeamMembership.role_in_team == "supervisor", TeamMembership.from_date <= day,
        or_(TeamMembership.to_date.is_(None), TeamMembership.to_date > day))
    if scope.team_id is not None:
        stays = stays.where(TeamMembership.team_id == scope.team_id)
    return [StaffMember.agency_id.in_(scope.agency_ids), StaffMember.id.in_(stays)]


def _trained(day: date):  # type: ignore[no-untyped-def]
    return select(StaffTraining.staff_member_id).where(StaffTraining.topic == "supervision_coaching",
                                                       StaffTraining.completed_on <= day)


def indicator_figures(session: Session, *, scope: Scope, months: list[date],
                      today: date | None = None) -> dict[str, dict[date, Figure]]:
    """Every indicator per month of ``months`` (first days, oldest first) for a scope already checked."""
    today = today or date.today()
    first, last = months[0], month_end(months[-1])
    figures: dict[str, dict[date, Figure]] = defaultdict(dict)

    def put(key: str, month: date, numerator: float, denominator: float) -> None:
        figures[key][month] = Figure(key, month, numerator, denominator)

    # Timeliness: each case file's indicator deadlines, kept by the case files' feature, counted per month.
    counts = indicator_counts(session, conditions=_deadline_scope(scope, first, last), months=months,
                              as_of=min(today, last))
    for month in months:
        for step, key in TIMELINESS.items():
            put(key, month, *counts.get((month, step), (0, 0)))

    case_scope = [CaseFile.agency_id.in_(scope.agency_ids)]
    if scope.team_id is not None:
        case_scope.append(CaseFile.caseworker_id.in_(_team_members(scope, first, last)))

    # Cases closed with the case plan objectives achieved: yes over those with an answer.
    bucket = month_bucket(CaseFile.closed_on, months)
    closed = dict.fromkeys(range(len(months)), (0, 0))
    for index, yes, answered in session.execute(
            select(bucket, func.sum(case((CaseFile.objectives_achieved == "yes", 1), else_=0)),
                   func.sum(case((CaseFile.objectives_achieved != "", 1), else_=0)))
            .where(*case_scope, CaseFile.status == "closed", CaseFile.closed_on >= first, CaseFile.closed_on <= last)
            .group_by(bucket)).all():
        if index is not None:
            closed[index] = (int(yes or 0), int(answered or 0))
    for index, month in enumerate(months):
        put(ind.OBJECTIVES_ACHIEVED, month, *closed[index])

    # Open cases per caseworker at each month's end, per risk level.
    for month in months:
        end = min(month_end(month), today)
        opened = func.coalesce(CaseFile.registered_on, CaseFile.identified_on)
        rows = session.execute(select(CaseFile.risk_level, func.count()).where(
            *case_scope, opened <= end, or_(CaseFile.closed_on.is_(None), CaseFile.closed_on > end))
            .group_by(CaseFile.risk_level)).all()
        caseworkers = session.scalar(select(func.count(func.distinct(CaseFile.caseworker_id))).where(
            *case_scope, opened <= end, or_(CaseFile.closed_on.is_(None), CaseFile.closed_on > end))) or 0
        counts = dict(rows)
        for level in ind.RISK_LEVELS:
            put(f"{ind.CASELOAD}.{level}", month, int(counts.get(level, 0)), caseworkers)

    # Supervisors trained in supervision and coaching by each month's end, of those supervising a team then.
    for month in months:
        end = month_end(month)
        total, done = session.execute(select(func.count(), func.sum(case((StaffMember.id.in_(_trained(end)), 1),
                                                                          else_=0)))
                                      .where(*_supervisors_at(scope, end))).one()
        put(ind.SUPERVISORS_TRAINED, month, int(done or 0), int(total or 0))

    # Supervision sessions held over those due by today (cancelled ones are not due).
    bucket = month_bucket(SupervisionSession.starts_at, [_moment(m) for m in months])
    session_scope_ = [SupervisionSession.agency_id.in_(scope.agency_ids),
                      SupervisionSession.starts_at >= _moment(first),
                      SupervisionSession.starts_at < _moment(min(next_month(months[-1]), today)),
                      SupervisionSession.status != "cancelled"]
    if scope.team_id is not None:
        session_scope_.append(SupervisionSession.team_id == scope.team_id)
    held = dict.fromkeys(range(len(months)), (0, 0))
    for index, done, due in session.execute(
            select(bucket, func.sum(case((SupervisionSession.status == "held", 1), else_=0)), func.count())
            .where(*session_scope_).group_by(bucket)).all():
        if index is not None:
            held[index] = (int(done or 0), int(due))
    for index, month in enumerate(months):
        put(ind.SUPERVISION_HELD, month, *held[index])

    # Improvement actions due in the month (and already due): done by their due date.
    bucket = month_bucket(ImprovementAction.due_on, months)
    on_time = case((and_(ImprovementAction.status == "done",
                         func.date(ImprovementAction.completed_at) <= ImprovementAction.due_on), 1), else_=0)
    action_scope = [ImprovementAction.agency_id.in_(scope.agency_ids), ImprovementAction.due_on >= first,
                    ImprovementAction.due_on <= last, ImprovementAction.due_on < today,
                    ImprovementAction.status != "dropped"]
    if scope.team_id is not None:
        action_scope.append(team_column(today) == scope.team_id)
    done_on_time = dict.fromkeys(range(len(months)), (0, 0))
    for index, done, due in session.execute(with_sources(select(bucket, func.sum(on_time), func.count())
                                                         .select_from(ImprovementAction))
                                            .where(*action_scope).group_by(bucket)).all():
        if index is not None:
            done_on_time[index] = (int(done or 0), int(due))
    for index, month in enumerate(months):
        put(ind.ACTIONS_ON_TIME, month, *done_on_time[index])

    # Case file review scores: the mean of the completed reviews' scores.
    review_scope = [CaseFileReview.agency_id.in_(scope.agency_ids), CaseFileReview.status == "completed",
                    CaseFileReview.month >= first, CaseFileReview.month <= last, CaseFileReview.score.is_not(None)]
    if scope.team_id is not None:
        review_scope.append(CaseFileReview.team_id == scope.team_id)
    scores = {m: (float(total or 0), int(n)) for m, total, n in session.execute(
        select(CaseFileReview.month, func.sum(CaseFileReview.score), func.count()).where(*review_scope)
        .group_by(CaseFileReview.month)).all()}
    for month in months:
        put(ind.REVIEW_SCORE, month, *scores.get(month, (0.0, 0)))
    return dict(figures)


@dataclass(frozen=True)
class Records:
    """The records behind one figure: column keys (messages ``indicator.col.<key>``) and rows."""

    columns: tuple[str, ...]
    rows: list[tuple[object, ...]]


def figure_records(session: Session, *, scope: Scope, key: str, month: date,
                   today: date | None = None) -> Records:
    """What one month's figure is computed over. Refused where the scope's figures are only figures (an
    inter-agency dashboard for someone who does not manage every agency in it)."""
    if not scope.records_visible:
        raise Forbidden(t("indicator.records_hidden"))
    today = today or date.today()
    first, last = month, month_end(month)
    case_scope = [CaseFile.agency_id.in_(scope.agency_ids)]
    if scope.team_id is not None:
        case_scope.append(CaseFile.caseworker_id.in_(_team_members(scope, first, last)))
    if key in TIMELINESS.values():
        step = next(s for s, k in TIMELINESS.items() if k == key)
        found = indicator_records(session, conditions=_deadline_scope(scope, first, last), step=step, first=first,
                                  last=last, as_of=min(today, last))
        return Records(("case_code", "caseworker", "due_on", "done_on", "status"), [
            (r.case_code, r.caseworker_name, r.due_on, r.done_on, t(f"timeliness.status.{r.status}"))
            for r in found])
    if key == ind.OBJECTIVES_ACHIEVED:
        rows = session.execute(select(CaseFile.case_code, StaffMember.full_name, CaseFile.closed_on,
                                      CaseFile.objectives_achieved)
                               .join(StaffMember, StaffMember.id == CaseFile.caseworker_id)
                               .where(*case_scope, CaseFile.status == "closed", CaseFile.closed_on >= first,
                                      CaseFile.closed_on <= last).order_by(CaseFile.closed_on)).all()
        return Records(("case_code", "caseworker", "closed_on", "objectives"), [
            (code, name, day, t(f"case_file.objectives.{answer or 'unknown'}")) for code, name, day, answer in rows])
    if key.startswith(f"{ind.CASELOAD}."):
        end = min(last, today)
        opened = func.coalesce(CaseFile.registered_on, CaseFile.identified_on)
        rows = session.execute(select(StaffMember.full_name, CaseFile.risk_level, func.count())
                               .join(StaffMember, StaffMember.id == CaseFile.caseworker_id)
                               .where(*case_scope, opened <= end,
                                      or_(CaseFile.closed_on.is_(None), CaseFile.closed_on > end))
                               .group_by(StaffMember.full_name, CaseFile.risk_level)
                               .order_by(StaffMember.full_name)).all()
        per: dict[str, dict[str, int]] = defaultdict(dict)
        for name, level, count in rows:
            per[name][level] = int(count)
        return Records(("caseworker", *ind.RISK_LEVELS, "total"), [
            (name, *(levels.get(lv, 0) for lv in ind.RISK_LEVELS), sum(levels.values()))
            for name, levels in per.items()])
    if key == ind.SUPERVISORS_TRAINED:
        last_training = (select(func.max(StaffTraining.completed_on)).where(
            StaffTraining.staff_member_id == StaffMember.id, StaffTraining.topic == "supervision_coaching",
            StaffTraining.completed_on <= last).correlate(StaffMember).scalar_subquery())
        rows = session.execute(select(StaffMember.full_name, last_training).where(*_supervisors_at(scope, last))
                               .order_by(StaffMember.full_name)).all()
        return Records(("supervisor", "trained_on"), [(name, day) for name, day in rows])
    if key == ind.SUPERVISION_HELD:
        supervisor, caseworker = (select(StaffMember.full_name).where(StaffMember.id == column)
                                  .correlate(SupervisionSession).scalar_subquery()
                                  for column in (SupervisionSession.supervisor_id, SupervisionSession.caseworker_id))
        conditions = [SupervisionSession.agency_id.in_(scope.agency_ids), SupervisionSession.status != "cancelled",
                      SupervisionSession.starts_at >= _moment(first),
                      SupervisionSession.starts_at < _moment(min(next_month(month), today))]
        if scope.team_id is not None:
            conditions.append(SupervisionSession.team_id == scope.team_id)
        rows = session.execute(select(SupervisionSession.starts_at, supervisor, caseworker,
                                      SupervisionSession.activity, SupervisionSession.status)
                               .where(*conditions).order_by(SupervisionSession.starts_at)).all()
        return Records(("when", "supervisor", "caseworker", "activity", "status"), [
            (when, sup or "", cw or t("session.whole_team"), t(f"activity.{activity}"), t(f"session.status.{status}"))
            for when, sup, cw, activity, status in rows])
    if key == ind.ACTIONS_ON_TIME:
        conditions = [ImprovementAction.agency_id.in_(scope.agency_ids), ImprovementAction.due_on >= first,
                      ImprovementAction.due_on <= last, ImprovementAction.due_on < today,
                      ImprovementAction.status != "dropped"]
        if scope.team_id is not None:
            conditions.append(team_column(today) == scope.team_id)
        rows = session.execute(with_sources(select(ImprovementAction.id, ImprovementAction.text,
                                                   ImprovementAction.due_on, ImprovementAction.status,
                                                   ImprovementAction.completed_at).select_from(ImprovementAction))
                               .where(*conditions).order_by(ImprovementAction.due_on)).all()
        return Records(("id", "action", "due_on", "status", "completed_at"), [
            (i, text, due, t(f"improvement_action.status.{status}"), done) for i, text, due, status, done in rows])
    if key == ind.REVIEW_SCORE:
        conditions = [CaseFileReview.agency_id.in_(scope.agency_ids), CaseFileReview.status == "completed",
                      CaseFileReview.month == month, CaseFileReview.score.is_not(None)]
        if scope.team_id is not None:
            conditions.append(CaseFileReview.team_id == scope.team_id)
        rows = session.execute(select(CaseFile.case_code, StaffMember.full_name, CaseFileReview.reviewed_on,
                                      CaseFileReview.score)
                               .join(CaseFile, CaseFile.id == CaseFileReview.case_file_id)
                               .join(StaffMember, StaffMember.id == CaseFileReview.caseworker_id)
                               .where(*conditions).order_by(CaseFileReview.reviewed_on)).all()
        return Records(("case_code", "caseworker", "reviewed_on", "score"), [tuple(r) for r in rows])
    raise ValueError(key)


@dataclass(frozen=True)
class ScopeChoices:
    agency: str | None  # the agency the person manages
    teams: list[tuple[int, str]]
    assessments: list[tuple[int, str]]  # inter-agency assessments the person may read


def scope_choices(session: Session, *, actor: Actor) -> ScopeChoices:
    agency = None
    conditions = []
    if actor.has(Role.MANAGER) and actor.agency_id is not None:
        agency = session.scalar(select(Agency.name).where(Agency.id == actor.agency_id))
        conditions.append(Team.agency_id == actor.agency_id)
    if actor.has(Role.SUPERVISOR) and actor.supervised_team_ids:
        conditions.append(Team.id.in_(actor.supervised_team_ids))
    teams = session.execute(select(Team.id, Team.name).where(or_(*conditions), Team.active.is_(True))
                            .order_by(func.lower(Team.name))).all() if conditions else []
    assessments = session.execute(select(Assessment.id, Assessment.name).where(
        readable(actor), Assessment.scope == "inter_agency", Assessment.archived_at.is_(None))
        .order_by(Assessment.assessed_on.desc())).all()
    return ScopeChoices(agency, [(i, n) for i, n in teams], [(i, n) for i, n in assessments])


def data_token(session: Session, *, scope: Scope) -> tuple[object, ...]:
    """Changes whenever anything the scope's figures are computed from changes, so a page may keep figures while
    it stands: counts and last changes of the scope's case files, reviews, sessions, actions and trainings."""
    parts: list[object] = []
    for model in (CaseFile, CaseFileReview, SupervisionSession, ImprovementAction):
        parts += list(session.execute(select(func.count(), func.max(model.updated_at)).where(
            model.agency_id.in_(scope.agency_ids))).one())
    parts += list(session.execute(select(func.count(), func.max(StaffTraining.updated_at)).join(
        StaffMember, StaffMember.id == StaffTraining.staff_member_id).where(
        StaffMember.agency_id.in_(scope.agency_ids))).one())
    parts.append(session.scalar(select(func.max(TeamMembership.updated_at))))
    return tuple(parts)
