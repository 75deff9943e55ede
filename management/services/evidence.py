"""The evidence the tool holds for each QAF component of an assessment, for the workshop: the indicators, the case
file checklist answers and the workforce figures the mapping (``content/evidence_map.yaml``) points at, for the
assessment's agencies over the last months. Registered with the QAF by the application (``app.wiring``)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from accounts.models import StaffMember, TeamMembership
from checklists.models import CaseFileReview, ChecklistTemplate, ReviewAnswer
from checklists.services.templates import checklist_of
from core.actor import Actor
from core.i18n import format_month, format_number, t_plain
from management import indicators as ind
from management.evidence_map import EvidenceMap, default_evidence_map
from management.indicators import Figure, months_ending
from management.services.indicators import Scope, indicator_figures, task_force_scope
from qaf.evidence import EvidenceLine
from supervision.models import SupervisionSession


def _percent(numerator: float, denominator: float) -> str:
    if not denominator:
        return t_plain("evidence.no_data")
    return t_plain("evidence.percent", value=format_number(round(100 * numerator / denominator)),
                   numerator=format_number(numerator), denominator=format_number(denominator))


def _indicator_line(key: str, figures: dict[str, dict[date, Figure]], months: list[date]) -> EvidenceLine:
    by_month = figures.get(key, {})
    period = t_plain("evidence.period", first=format_month(months[0]), last=format_month(months[-1]))
    title = t_plain(f"indicator.{key.split('.')[0]}.title")
    if key.startswith(f"{ind.CASELOAD}."):
        latest = by_month.get(months[-1])
        level = t_plain(f"risk_level.{key.split('.')[1]}")
        figure = t_plain("evidence.caseload", value=format_number(latest.value or 0),
                         cases=format_number(latest.numerator),
                         caseworkers=format_number(latest.denominator)) if latest and latest.denominator else \
            t_plain("evidence.no_data")
        return EvidenceLine(f"{title} · {level}", figure, t_plain("evidence.at_end_of", month=format_month(months[-1])))
    numerator = sum(f.numerator for f in by_month.values())
    denominator = sum(f.denominator for f in by_month.values())
    if key == ind.REVIEW_SCORE:
        figure = t_plain("evidence.mean", value=format_number(round(numerator / denominator, 1)),
                         count=format_number(denominator)) if denominator else t_plain("evidence.no_data")
    else:
        figure = _percent(numerator, denominator)
    return EvidenceLine(title, figure, period)


def _item_lines(session: Session, scope: Scope, items: tuple[str, ...], first: date,
                last: date) -> dict[str, EvidenceLine]:
    """How often each checklist item was answered Yes in the completed reviews of the period (one query)."""
    rows = session.execute(
        select(ReviewAnswer.item_id, func.sum(case((ReviewAnswer.answer == "yes", 1), else_=0)),
               func.sum(case((ReviewAnswer.answer.in_(("yes", "no")), 1), else_=0)))
        .join(CaseFileReview, CaseFileReview.id == ReviewAnswer.review_id)
        .where(CaseFileReview.agency_id.in_(scope.agency_ids), CaseFileReview.status == "completed",
               CaseFileReview.month >= first, CaseFileReview.month <= last, ReviewAnswer.item_id.in_(items))
        .group_by(ReviewAnswer.item_id)).all()
    counts = {item: (int(yes or 0), int(answered or 0)) for item, yes, answered in rows}
    texts: dict[str, str] = {}
    template_ids = session.scalars(select(CaseFileReview.template_id).where(
        CaseFileReview.agency_id.in_(scope.agency_ids), CaseFileReview.month >= first).distinct()).all()
    for template_id in template_ids:
        row = session.get(ChecklistTemplate, template_id)
        if row is not None:
            for item in checklist_of(row).items():
                texts.setdefault(item.id, item.text)
    period = t_plain("evidence.period", first=format_month(first), last=format_month(last))
    return {item: EvidenceLine(t_plain("evidence.item", id=item, text=texts.get(item, "")),
                               t_plain("evidence.answered_yes", figure=_percent(*counts.get(item, (0, 0)))), period)
            for item in items}


def _current_caseworkers(scope: Scope):  # type: ignore[no-untyped-def]
    return select(StaffMember.id).where(
        StaffMember.agency_id.in_(scope.agency_ids), StaffMember.active.is_(True),
        StaffMember.programme_role == "caseworker")


def _workforce_line(session: Session, scope: Scope, name: str, today: date) -> EvidenceLine:
    caseworkers = _current_caseworkers(scope)
    if name == "caseworkers_per_supervisor":
        in_post = [TeamMembership.from_date <= today,
                   or_(TeamMembership.to_date.is_(None), TeamMembership.to_date > today)]
        staff_in_scope = select(StaffMember.id).where(StaffMember.agency_id.in_(scope.agency_ids))
        members = session.scalar(select(func.count(func.distinct(TeamMembership.staff_member_id))).where(
            *in_post, TeamMembership.role_in_team == "member", TeamMembership.staff_member_id.in_(caseworkers))) or 0
        supervisors = session.scalar(select(func.count(func.distinct(TeamMembership.staff_member_id))).where(
            *in_post, TeamMembership.role_in_team == "supervisor",
            TeamMembership.staff_member_id.in_(staff_in_scope))) or 0
        figure = t_plain("evidence.ratio", value=format_number(round(members / supervisors, 1)),
                         numerator=format_number(members), denominator=format_number(supervisors)) if supervisors \
            else t_plain("evidence.no_data")
        return EvidenceLine(t_plain("evidence.workforce.caseworkers_per_supervisor"), figure, t_plain("evidence.today"))
    if name == "female_caseworkers":
        total, female = session.execute(select(func.count(), func.sum(case((StaffMember.gender == "female", 1),
                                                                             else_=0)))
                                        .where(StaffMember.id.in_(caseworkers))).one()
        return EvidenceLine(t_plain("evidence.workforce.female_caseworkers"),
                            _percent(int(female or 0), int(total or 0)), t_plain("evidence.today"))
    # capacity_assessed: caseworkers whose capacity was assessed (a session held) in the last six months
    since = today - relativedelta(months=6)
    assessed = select(SupervisionSession.caseworker_id).where(
        SupervisionSession.activity == "capacity_assessment", SupervisionSession.status == "held",
        SupervisionSession.starts_at >= datetime.combine(since, time.min),
        SupervisionSession.starts_at < datetime.combine(today + timedelta(days=1), time.min))
    total, done = session.execute(select(func.count(), func.sum(case((StaffMember.id.in_(assessed), 1), else_=0)))
                                  .where(StaffMember.id.in_(caseworkers))).one()
    return EvidenceLine(t_plain("evidence.workforce.capacity_assessed"), _percent(int(done or 0), int(total or 0)),
                        t_plain("evidence.since", date=format_month(since)))


def component_evidence(session: Session, actor: Actor, assessment_id: int, *, today: date | None = None,
                       mapping: EvidenceMap | None = None) -> dict[str, list[EvidenceLine]]:
    """Component code -> evidence lines, for the agencies of the assessment (checked: people who may read it)."""
    mapping = mapping or default_evidence_map()
    today = today or date.today()
    scope = task_force_scope(session, actor=actor, assessment_id=assessment_id)
    if not scope.agency_ids:
        return {}
    months = months_ending(today, mapping.months)
    wanted = {k for entry in mapping.components.values() for k in entry.indicators}
    figures = indicator_figures(session, scope=scope, months=months, today=today) if wanted else {}
    items = tuple(dict.fromkeys(i for entry in mapping.components.values() for i in entry.checklist_items))
    item_lines = _item_lines(session, scope, items, months[0], months[-1]) if items else {}
    found: dict[str, list[EvidenceLine]] = {}
    for code, entry in mapping.components.items():
        lines = [_indicator_line(key, figures, months) for key in entry.indicators]
        lines += [_workforce_line(session, scope, name, today) for name in entry.workforce]
        lines += [item_lines[i] for i in entry.checklist_items]
        found[code] = lines
    return found
