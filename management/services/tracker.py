"""One tracker of every improvement action the person may see, whatever produced it, filtered and sorted in the
database; and My actions. Status changes and comments go through ``improvement_actions.services``, which asks
each source's policy again."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, select
from sqlalchemy.orm import Session, aliased

from accounts.models import Agency, StaffMember, Team, TeamMembership
from accounts.staff_services import in_team_on
from checklists.models import CaseFile, CaseFileReview, ChecklistTemplate
from checklists.services.reviews import SOURCE_KIND as REVIEW
from checklists.services.templates import checklist_of
from core.actor import Actor
from core.audit import record_event
from core.i18n import format_date, t, t_plain
from core.records import as_utc
from improvement_actions.models import ImprovementAction
from improvement_actions.rules import OPEN_STATUSES, is_due_soon, is_overdue
from improvement_actions.services import readable_actions
from qaf.action_plan import SOURCE_KIND as QAF
from qaf.models import Assessment
from qaf.services.frameworks import framework_for_reader
from supervision.models import SupervisionSession
from supervision.plan import Activity
from supervision.services.sessions import SOURCE_KIND as SESSION

SOURCES = (QAF, REVIEW, SESSION)
ACTIVITIES = frozenset(a.value for a in Activity)  # a session's actions name its activity as their item
DUE_SOON_DAYS = 14
SORTS = ("due_on", "priority", "status", "updated_at", "owner")


@dataclass(frozen=True)
class TrackerFilters:
    statuses: tuple[str, ...] = ()
    owner: str = ""  # part of the owner's name (person, agency or staff member)
    agency_id: int | None = None
    team_id: int | None = None
    sources: tuple[str, ...] = ()
    component: str = ""  # a QAF component code or a checklist item id
    overdue: bool = False
    due_soon: bool = False  # due in the next 14 days
    mine: bool = False  # owned by the person
    sort: str = "due_on"
    assessment_ids: tuple[int, ...] = ()  # only the key actions of these assessments
    due_between: tuple[date, date] | None = None  # due on or after the first day and before the second
    completed_between: tuple[date, date] | None = None  # marked done on or after the first day, before the second


@dataclass(frozen=True)
class TrackedAction:
    id: int
    source_kind: str
    source_record_id: int
    source_label: str
    item: str  # component code or checklist item id
    item_label: str
    text: str
    owner: str
    agency: str
    team: str
    due_on: date | None
    priority: str
    status: str
    updated_at: datetime | None
    updated_by: str
    completed_at: datetime | None
    completed_by: str
    version_id: int
    overdue: bool
    due_soon: bool
    progress_notes: str = ""
    session_team_id: int | None = None  # a supervision session's team and day, for the link to its calendar
    session_day: date | None = None


@dataclass(frozen=True)
class Tracker:
    actions: list[TrackedAction]
    counts: dict[str, int] = field(default_factory=dict)  # open, overdue, due_soon, done


def team_column(today: date) -> ColumnElement[int]:
    """The team an action belongs to: its review's or session's team, else its owner's team today."""
    owner_team = (select(func.min(TeamMembership.team_id)).where(
        TeamMembership.staff_member_id == ImprovementAction.owner_staff_member_id, in_team_on(today))
        .correlate(ImprovementAction).scalar_subquery())
    return func.coalesce(CaseFileReview.team_id, SupervisionSession.team_id, owner_team)


OWNER_STAFF = aliased(StaffMember)
# The action's own columns a tracked action shows (plain columns, not the mapped object: a thousand rows load
# several times faster without the identity map).
ACTION_COLUMNS = ("id", "source_kind", "source_record_id", "source_item", "text", "owner_person", "owner_agency",
                  "due_on", "priority", "status", "updated_at", "updated_by_name", "completed_at", "completed_by",
                  "version_id", "progress_notes")


def _joined(query: Select, actor: Actor) -> Select:
    """Each action with its agency, owner and source records, limited to what the person may see."""
    return with_sources(query).where(readable_actions(actor))


def with_sources(query: Select) -> Select:
    """Each action with its agency, owner and source records (for figures counted over a checked scope)."""
    return (query
            .outerjoin(Agency, Agency.id == ImprovementAction.agency_id)
            .outerjoin(OWNER_STAFF, OWNER_STAFF.id == ImprovementAction.owner_staff_member_id)
            .outerjoin(Assessment, and_(ImprovementAction.source_kind == QAF,
                                        Assessment.id == ImprovementAction.source_record_id))
            .outerjoin(CaseFileReview, and_(ImprovementAction.source_kind == REVIEW,
                                            CaseFileReview.id == ImprovementAction.source_record_id))
            .outerjoin(CaseFile, CaseFile.id == CaseFileReview.case_file_id)
            .outerjoin(SupervisionSession, and_(ImprovementAction.source_kind == SESSION,
                                                SupervisionSession.id == ImprovementAction.source_record_id)))


def _query(actor: Actor, filters: TrackerFilters, today: date, *, lean: bool = False) -> Select:
    """The tracker's query; ``lean`` selects only what its counts need (status and due date)."""
    team_id = team_column(today)
    owner_text = func.trim(func.coalesce(OWNER_STAFF.full_name, "") + literal(" ") + ImprovementAction.owner_person
                           + literal(" ") + ImprovementAction.owner_agency)
    columns = (ImprovementAction.status, ImprovementAction.due_on) if lean else (
        *(getattr(ImprovementAction, name) for name in ACTION_COLUMNS), Agency.name.label("agency"),
        team_id.label("team_id"), OWNER_STAFF.full_name.label("owner_staff"), Assessment.name.label("assessment"),
        Assessment.framework_version_id, CaseFile.case_code, CaseFileReview.reviewed_on, CaseFileReview.template_id,
        SupervisionSession.activity, SupervisionSession.starts_at, SupervisionSession.team_id.label("session_team"))
    query = _joined(select(*columns).select_from(ImprovementAction), actor)
    if filters.statuses:
        query = query.where(ImprovementAction.status.in_(filters.statuses))
    if filters.owner.strip():
        query = query.where(func.lower(owner_text).contains(filters.owner.strip().lower(), autoescape=True))
    if filters.agency_id is not None:
        query = query.where(ImprovementAction.agency_id == filters.agency_id)
    if filters.team_id is not None:
        query = query.where(team_id == filters.team_id)
    if filters.sources:
        query = query.where(ImprovementAction.source_kind.in_(filters.sources))
    if filters.component.strip():
        query = query.where(func.lower(ImprovementAction.source_item) == filters.component.strip().lower())
    if filters.overdue:
        query = query.where(ImprovementAction.due_on < today, ImprovementAction.status.in_(OPEN_STATUSES))
    if filters.due_soon:
        query = query.where(ImprovementAction.due_on >= today,
                            ImprovementAction.due_on <= today + timedelta(days=DUE_SOON_DAYS),
                            ImprovementAction.status.in_(OPEN_STATUSES))
    if filters.mine:
        query = query.where(ImprovementAction.owner_staff_member_id == (actor.staff_member_id or -1))
    if filters.due_between is not None:
        query = query.where(ImprovementAction.due_on >= filters.due_between[0],
                            ImprovementAction.due_on < filters.due_between[1])
    if filters.completed_between is not None:
        start, end = (datetime.combine(day, time.min, tzinfo=UTC) for day in filters.completed_between)
        query = query.where(ImprovementAction.completed_at >= start, ImprovementAction.completed_at < end)
    if filters.assessment_ids:
        query = query.where(ImprovementAction.source_kind == QAF,
                            ImprovementAction.source_record_id.in_(filters.assessment_ids))
    priority = case({"high": 0, "medium": 1, "low": 2}, value=ImprovementAction.priority, else_=3)
    status = case({"not_started": 0, "in_progress": 1, "done": 2, "dropped": 3}, value=ImprovementAction.status,
                  else_=4)
    order = {"due_on": [ImprovementAction.due_on.is_(None), ImprovementAction.due_on, priority],
             "priority": [priority, ImprovementAction.due_on],
             "status": [status, ImprovementAction.due_on],
             "updated_at": [ImprovementAction.updated_at.desc()],
             "owner": [func.lower(owner_text), ImprovementAction.due_on]}[filters.sort if filters.sort in SORTS
                                                                          else "due_on"]
    return query.order_by(*order, ImprovementAction.id)


class _Labels:
    """Component and checklist item names, read once per framework version or checklist template."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.frameworks: dict[int, dict[str, str]] = {}
        self.checklists: dict[int, dict[str, str]] = {}

    def component(self, version_id: int | None, code: str) -> str:
        if version_id is None or not code:
            return ""
        if version_id not in self.frameworks:
            self.frameworks[version_id] = {c.code: c.title for c in framework_for_reader(
                self.session, version_id).components()}
        return self.frameworks[version_id].get(code, "")

    def item(self, template_id: int | None, item_id: str) -> str:
        if template_id is None or not item_id:
            return ""
        if template_id not in self.checklists:
            row = self.session.get(ChecklistTemplate, template_id)
            self.checklists[template_id] = {i.id: i.text for i in checklist_of(row).items()} if row else {}
        return self.checklists[template_id].get(item_id, "")


def tracked_actions(session: Session, *, actor: Actor, filters: TrackerFilters = TrackerFilters(),
                    today: date | None = None, limit: int | None = None, offset: int = 0) -> Tracker:
    """The actions the person may see that match ``filters``, in the chosen order, with counts over them; with
    ``limit``, one page of them (from ``offset``), the counts still over every match."""
    today = today or date.today()
    query = _query(actor, filters, today)
    counts = _counts(session, _query(actor, filters, today, lean=True), today) if limit is not None else None
    if limit is not None:
        query = query.offset(offset).limit(limit)
    rows = session.execute(query).all()
    team_ids = {r.team_id for r in rows if r.team_id is not None}
    team_names = dict(session.execute(select(Team.id, Team.name).where(Team.id.in_(team_ids))).all()) \
        if team_ids else {}
    labels = _Labels(session)
    found: list[TrackedAction] = []
    for row in rows:
        kind, starts_at = row.source_kind, row.starts_at
        if kind == QAF:
            source, item_label = row.assessment or "", labels.component(row.framework_version_id, row.source_item)
        elif kind == REVIEW:
            source = t_plain("tracker.source_review", code=row.case_code or "?",
                             date=format_date(row.reviewed_on) if row.reviewed_on else "")
            item_label = labels.item(row.template_id, row.source_item)
        elif kind == SESSION:
            source = t_plain("tracker.source_session",
                             activity=t_plain(f"activity.{row.activity}") if row.activity else "?",
                             date=format_date(starts_at.date()) if starts_at else "")
            item_label = t(f"activity.{row.source_item}") if row.source_item in ACTIVITIES else ""
        else:
            source, item_label = kind, ""
        owner = " / ".join(dict.fromkeys(x for x in (row.owner_staff or "", row.owner_person, row.owner_agency)
                                         if x))
        found.append(TrackedAction(
            id=row.id, source_kind=kind, source_record_id=row.source_record_id,
            source_label=source, item=row.source_item, item_label=item_label, text=row.text, owner=owner,
            agency=row.agency or "", team=team_names.get(row.team_id, ""), due_on=row.due_on, priority=row.priority,
            status=row.status, updated_at=as_utc(row.updated_at), updated_by=row.updated_by_name,
            completed_at=as_utc(row.completed_at), completed_by=row.completed_by, version_id=row.version_id,
            progress_notes=row.progress_notes, session_team_id=row.session_team,
            session_day=starts_at.date() if starts_at else None,
            overdue=is_overdue(row.due_on, row.status, today),
            due_soon=is_due_soon(row.due_on, row.status, today, DUE_SOON_DAYS)))
    if counts is None:
        counts = {"open": sum(a.status in OPEN_STATUSES for a in found), "overdue": sum(a.overdue for a in found),
                  "due_soon": sum(a.due_soon for a in found), "done": sum(a.status == "done" for a in found),
                  "total": len(found)}
    return Tracker(found, counts)


def _counts(session: Session, query: Select, today: date) -> dict[str, int]:
    """The tracker's counts over every matching action, counted by the database (the page lists only the first
    rows)."""
    rows = query.order_by(None).subquery()
    is_open = rows.c.status.in_(OPEN_STATUSES)
    soon = today + timedelta(days=DUE_SOON_DAYS)
    total, open_, overdue, due_soon, done = session.execute(select(
        func.count(), func.sum(case((is_open, 1), else_=0)),
        func.sum(case((and_(is_open, rows.c.due_on < today), 1), else_=0)),
        func.sum(case((and_(is_open, rows.c.due_on >= today, rows.c.due_on <= soon), 1), else_=0)),
        func.sum(case((rows.c.status == "done", 1), else_=0)))).one()
    return {"total": int(total or 0), "open": int(open_ or 0), "overdue": int(overdue or 0),
            "due_soon": int(due_soon or 0), "done": int(done or 0)}


def my_actions(session: Session, *, actor: Actor, today: date | None = None) -> dict[str, list[TrackedAction]]:
    """What the person owns, still open: late, due in the next 7 days, and the rest."""
    today = today or date.today()
    mine = tracked_actions(session, actor=actor, today=today,
                           filters=TrackerFilters(mine=True, statuses=OPEN_STATUSES)).actions
    week_end = today + timedelta(days=7)
    late = [a for a in mine if a.overdue]
    this_week = [a for a in mine if not a.overdue and a.due_on is not None and a.due_on <= week_end]
    later = [a for a in mine if a not in late and a not in this_week]
    return {"late": late, "this_week": this_week, "later": later}


def record_export(session: Session, *, count: int, fmt: str) -> None:
    record_event(session, action="export", entity_type="ImprovementAction", summary=f"tracker.{fmt}",
                 details={"format": fmt, "actions": count})


@dataclass(frozen=True)
class StatusChange:
    action_id: int
    status: str
    note: str
    expected_version: int | None


def change_statuses(session: Session, *, actor: Actor, changes: list[StatusChange]) -> int:
    """Several status changes as one: all are saved, or none and each problem is named by its action (so the
    tracker can say which rows to fix). Each change asks the action's source again."""
    from core.errors import Conflict, ValidationFailed
    from improvement_actions.services import change_status

    problems: dict[str, str] = {}
    for change in changes:
        try:  # each is checked before anything of it is changed; one refusal rolls back the whole transaction
            change_status(session, actor=actor, action_id=change.action_id, status=change.status,
                          note=change.note, expected_version=change.expected_version)
        except ValidationFailed as exc:
            problems[str(change.action_id)] = " ".join(exc.field_errors.values())
        except Conflict as exc:  # someone changed it meanwhile; a refusal of access stops everything at once
            problems[str(change.action_id)] = str(exc)
    if problems:
        raise ValidationFailed(problems)
    return len(changes)


@dataclass(frozen=True)
class FilterChoices:
    agencies: list[tuple[int, str]]
    teams: list[tuple[int, str]]
    items: list[str]  # component codes and checklist item ids in use
    sources: list[str]


def filter_choices(session: Session, *, actor: Actor, today: date | None = None) -> FilterChoices:
    """What the filters can offer: only values found among the actions the person may see."""
    today = today or date.today()
    base = _joined(select(ImprovementAction.agency_id, team_column(today).label("team_id"),
                          ImprovementAction.source_item, ImprovementAction.source_kind)
                   .select_from(ImprovementAction), actor).subquery()
    agencies = session.execute(select(Agency.id, Agency.name).where(
        Agency.id.in_(select(base.c.agency_id))).order_by(func.lower(Agency.name))).all()
    teams = session.execute(select(Team.id, Team.name).where(
        Team.id.in_(select(base.c.team_id))).order_by(func.lower(Team.name))).all()
    items = session.execute(select(base.c.source_item).where(base.c.source_item != "").distinct()).scalars().all()
    sources = session.execute(select(base.c.source_kind).distinct()).scalars().all()
    return FilterChoices([(i, n) for i, n in agencies], [(i, n) for i, n in teams],
                         sorted(items, key=lambda x: (len(x) > 3, x)), [s for s in SOURCES if s in sources])
