"""Held vs planned, the minimum supervision standards as traffic lights, and the staffing ratios of a team.

The case file reviews and the caseloads live in the review feature; this feature does not import it. The
application registers how to count them (``register_review_counter``, ``register_caseload_counter``); without
them the checks say the figures are not available rather than guessing."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise

from dateutil.relativedelta import relativedelta
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.models import StaffMember, TeamMembership
from accounts.staff_services import in_team_on
from core.actor import Actor
from core.audit import binds_actor
from core.errors import Forbidden, ValidationFailed
from core.i18n import format_date, format_month, format_number, t, t_plain, tn_plain
from supervision.models import ManualCaseload, SupervisionSession
from supervision.plan import Activity, RatioLimits
from supervision.services.access import team_row, team_rows
from supervision.services.generation import Person, team_people, teams_people
from supervision.services.plans import plans_of

GREEN, AMBER, RED, NONE = "green", "amber", "red", "none"

ReviewCounter = Callable[[Session, list[int], date, date], dict[tuple[int, date], int]]
CaseloadCounter = Callable[[Session, list[int]], dict[int, tuple[int, int]]]
_review_counter: list[ReviewCounter] = []
_caseload_counter: list[CaseloadCounter] = []


def register_review_counter(counter: ReviewCounter) -> None:
    """How many completed case file reviews each caseworker had per month ((id, first of month) -> count)."""
    _review_counter[:] = [counter]


def register_caseload_counter(counter: CaseloadCounter) -> None:
    """Each caseworker's open case files kept in the tool: id -> (open, of which high risk)."""
    _caseload_counter[:] = [counter]


@dataclass(frozen=True)
class HeldRow:
    supervisor: str
    person: str  # the caseworker, or "whole team"
    activity: str
    planned: int  # every session of the period that was not dropped by a plan change
    held: int
    missed: int
    cancelled: int
    not_recorded: int  # past, still marked planned

    @property
    def rate(self) -> float | None:
        due = self.held + self.missed + self.not_recorded
        return 100 * self.held / due if due else None


def held_vs_planned(session: Session, *, actor: Actor, team_id: int, first: date, last: date,
                    today: date | None = None) -> list[HeldRow]:
    """Per supervisor, caseworker and activity over ``first``..``last``. The rate is held over what was due
    by today (held, missed, or past and not recorded)."""
    team_row(session, actor, team_id)
    today = today or date.today()
    rows = session.scalars(select(SupervisionSession).where(
        SupervisionSession.team_id == team_id,
        SupervisionSession.starts_at >= datetime.combine(first, datetime.min.time()),
        SupervisionSession.starts_at < datetime.combine(last + timedelta(days=1), datetime.min.time()),
        SupervisionSession.cancel_reason != "plan_changed")).all()
    names = _names(session, {r.supervisor_id for r in rows} | {r.caseworker_id for r in rows})
    counts: dict[tuple[str, str, str], Counter[str]] = defaultdict(Counter)
    now = datetime.combine(today, datetime.min.time())
    for r in rows:
        key = (names.get(r.supervisor_id, "—"), names.get(r.caseworker_id, "") if r.caseworker_id
               else t_plain("session.whole_team"), r.activity)
        c = counts[key]
        c["planned"] += 1
        if r.status == "planned" and r.starts_at < now:
            c["not_recorded"] += 1
        elif r.status in ("held", "missed", "cancelled"):
            c[r.status] += 1
    order = {a.value: i for i, a in enumerate(Activity)}
    return [HeldRow(s, p, a, c["planned"], c["held"], c["missed"], c["cancelled"], c["not_recorded"])
            for (s, p, a), c in sorted(counts.items(), key=lambda kv: (kv[0][0], kv[0][1], order[kv[0][2]]))]


def _names(session: Session, ids: set[int | None]) -> dict[int | None, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return dict(session.execute(select(StaffMember.id, StaffMember.full_name).where(
        StaffMember.id.in_(wanted))).all())


@dataclass(frozen=True)
class Check:
    """One line of a table (on the page, in the monthly report): plain text, its messages made with ``t_plain``."""

    subject: str  # a caseworker, the supervisor, or the team
    rule: str  # the standard, as the guidelines say it
    light: str  # green | amber | red | none (no figure)
    figure: str  # the figures behind the light


def _held_days(session: Session, team_id: int, caseworker_id: int, activity: Activity) -> list[date]:
    return sorted(d for d in session.scalars(select(SupervisionSession.held_on).where(
        SupervisionSession.team_id == team_id, SupervisionSession.caseworker_id == caseworker_id,
        SupervisionSession.activity == activity.value, SupervisionSession.status == "held")).all() if d)


def standards(session: Session, *, actor: Actor, team_id: int, as_of: date | None = None) -> list[Check]:
    """The minimum standards per caseworker: individual supervision at least every two weeks (over the last
    eight weeks); a capacity assessment within six months of the last one (or of the start date, the first right
    after recruitment); a case file review each month (the last three months)."""
    team_row(session, actor, team_id)
    today = as_of or date.today()
    _supervisor, caseworkers = team_people(session, team_id, today, today)
    ids = [p.id for p in caseworkers]
    months = [(today - relativedelta(months=n)).replace(day=1) for n in (3, 2, 1, 0)]
    reviews = _review_counter[0](session, ids, months[0], today) if _review_counter and ids else None
    checks: list[Check] = []
    for person in caseworkers:
        joined = max(d for d in (person.active_from, person.start_date, today - timedelta(weeks=8)) if d)
        checks.append(_individual_check(person.name, joined, today,
                                        _held_days(session, team_id, person.id, Activity.INDIVIDUAL)))
        checks.append(_capacity_check(person.name, person.start_date or person.active_from, today,
                                      _held_days(session, team_id, person.id, Activity.CAPACITY_ASSESSMENT)))
        checks.append(_review_check(person.name, person.active_from, months, reviews, person.id))
    return checks


def _individual_check(name: str, since: date, today: date, held: list[date]) -> Check:
    rule = t_plain("standard.individual")
    if since >= today:
        return Check(name, rule, NONE, t_plain("standard.too_new"))
    points = [since, *[d for d in held if since <= d <= today], today]
    longest = max((b - a).days for a, b in pairwise(points))
    light = GREEN if longest <= 14 else AMBER if longest <= 21 else RED
    last = max((d for d in held if d <= today), default=None)
    return Check(name, rule, light, t_plain("standard.individual_figure", longest=longest, since=format_date(since),
                                            last=format_date(last) if last else t_plain("standard.never")))


def _capacity_check(name: str, start: date | None, today: date, held: list[date]) -> Check:
    rule = t_plain("standard.capacity")
    done = [d for d in held if d <= today]
    if not done:
        if start is None:
            return Check(name, rule, NONE, t_plain("standard.no_start_date"))
        light = AMBER if (today - start).days <= 30 else RED
        return Check(name, rule, light, t_plain("standard.capacity_never", start=format_date(start)))
    last = done[-1]
    due = last + relativedelta(months=6)
    light = GREEN if today <= due - timedelta(days=30) else AMBER if today <= due else RED
    return Check(name, rule, light, t_plain("standard.capacity_figure", last=format_date(last), due=format_date(due)))


def _review_check(name: str, joined: date | None, months: list[date],
                  reviews: dict[tuple[int, date], int] | None, staff_id: int) -> Check:
    rule = t_plain("standard.review")
    if reviews is None:
        return Check(name, rule, NONE, t_plain("standard.reviews_unavailable"))
    counted = [m for m in months if joined is None or m >= joined.replace(day=1)]
    past, current = [m for m in counted if m != months[-1]], months[-1]
    without = [m for m in past if reviews.get((staff_id, m), 0) == 0]
    this_month = reviews.get((staff_id, current), 0)
    light = RED if without else GREEN if this_month else AMBER
    figure = ", ".join(f"{format_month(m)}: {format_number(reviews.get((staff_id, m), 0))}" for m in counted)
    return Check(name, rule, light, figure or t_plain("standard.too_new"))


def ratios(session: Session, *, actor: Actor, team_id: int, as_of: date | None = None) -> list[Check]:
    """The team's staffing ratios (guidelines 2.1.6.A): each caseworker's open caseload against the limit (high
    risk cases weighted), the supervisor's caseworkers, cases per data entry staff, a female caseworker for girls,
    and the supervisor's experience."""
    return ratios_of_teams(session, actor=actor, team_ids=[team_id], as_of=as_of)[team_id]


def ratios_of_teams(session: Session, *, actor: Actor, team_ids: list[int],
                    as_of: date | None = None) -> dict[int, list[Check]]:
    """``ratios`` for many teams, read with one query per kind of figure rather than per team (a country's
    monthly report judges a hundred teams)."""
    team_rows(session, actor, team_ids)
    today = as_of or date.today()
    plans = plans_of(session, team_ids)
    people = teams_people(session, team_ids, today, today)
    ids = sorted({p.id for _supervisor, caseworkers in people.values() for p in caseworkers})
    kept = _caseload_counter[0](session, ids) if _caseload_counter and ids else {}
    manual = _manual_caseloads(session, ids)
    entry = _data_entry_staff(session, team_ids, today)
    genders = dict(session.execute(select(StaffMember.id, StaffMember.gender).where(
        StaffMember.id.in_(ids))).all()) if ids else {}
    return {team_id: _team_ratios(plans[team_id].ratios, *people[team_id], kept, manual, entry.get(team_id, 0),
                                  genders, today) for team_id in team_ids}


def _team_ratios(limits: RatioLimits, supervisor: Person | None, caseworkers: tuple[Person, ...],
                 kept: dict[int, tuple[int, int]], manual: dict[int, tuple[int, int, date]], entry: int,
                 genders: dict[int, str | None], today: date) -> list[Check]:
    checks: list[Check] = []
    total = 0
    for person in caseworkers:
        rule = t_plain("ratio.caseload", limit=limits.caseload_limit, weight=format_number(limits.high_risk_weight))
        if person.id in kept and kept[person.id][0]:
            open_cases, high, source = *kept[person.id], t_plain("ratio.source_files")
        elif person.id in manual:
            open_cases, high, counted_on = manual[person.id]
            source = t_plain("ratio.source_manual", date=format_date(counted_on))
        else:
            checks.append(Check(person.name, rule, NONE, t_plain("ratio.no_caseload")))
            continue
        total += open_cases
        weighted = open_cases + (limits.high_risk_weight - 1) * high
        light = GREEN if weighted <= limits.caseload_limit else RED
        checks.append(Check(person.name, rule, light, t_plain(
            "ratio.caseload_figure", open=open_cases, high=high, weighted=format_number(round(weighted, 1)),
            source=source)))
    team_label = t_plain("ratio.team")
    limit = limits.caseworkers_per_supervisor
    count = len(caseworkers)
    if supervisor is None:
        checks.append(Check(team_label, t_plain("ratio.supervisor", limit=limit), RED, t_plain("ratio.no_supervisor")))
    else:
        light = GREEN if count < limit else AMBER if count == limit else RED
        checks.append(Check(supervisor.name, t_plain("ratio.supervisor", limit=limit), light,
                            tn_plain("ratio.supervisor_figure", count)))
    rule = t_plain("ratio.data_entry", limit=limits.cases_per_data_entry)
    if not entry:
        checks.append(Check(team_label, rule, NONE, t_plain("ratio.no_data_entry", cases=total)))
    else:
        per = total / entry
        checks.append(Check(team_label, rule, GREEN if per <= limits.cases_per_data_entry else RED,
                            t_plain("ratio.data_entry_figure", cases=total, staff=entry,
                                    per=format_number(round(per, 1)))))
    team_genders = [genders.get(p.id) for p in caseworkers]
    women = sum(1 for g in team_genders if g == "female")
    unknown = sum(1 for g in team_genders if g not in ("female", "male"))
    checks.append(Check(team_label, t_plain("ratio.female"), GREEN if women else AMBER if unknown else RED,
                        tn_plain("ratio.female_figure", len(team_genders), women=women, unknown=unknown)))
    rule = t_plain("ratio.experience", years=format_number(limits.supervisor_experience_years))
    if supervisor is None or supervisor.start_date is None:
        checks.append(Check(supervisor.name if supervisor else team_label, rule, NONE, t_plain("ratio.no_start_date")))
    else:
        years = (today - supervisor.start_date).days / 365.25
        checks.append(Check(supervisor.name, rule,
                            GREEN if years >= limits.supervisor_experience_years else RED,
                            t_plain("ratio.experience_figure", years=format_number(round(years, 1)),
                                    start=format_date(supervisor.start_date))))
    return checks


def _data_entry_staff(session: Session, team_ids: list[int], day: date) -> dict[int, int]:
    """Team id -> its active data entry staff on ``day``."""
    return {team: int(n) for team, n in session.execute(
        select(TeamMembership.team_id, func.count(TeamMembership.id)).join(
            StaffMember, StaffMember.id == TeamMembership.staff_member_id).where(
            TeamMembership.team_id.in_(team_ids), StaffMember.programme_role == "data_entry",
            StaffMember.active.is_(True), in_team_on(day)).group_by(TeamMembership.team_id)).all()}


def _manual_caseloads(session: Session, ids: list[int]) -> dict[int, tuple[int, int, date]]:
    found: dict[int, tuple[int, int, date]] = {}
    if not ids:
        return found
    for row in session.scalars(select(ManualCaseload).where(ManualCaseload.staff_member_id.in_(ids))
                               .order_by(ManualCaseload.counted_on, ManualCaseload.id)).all():
        found[row.staff_member_id] = (row.open_cases, row.high_risk_cases, row.counted_on)
    return found


@binds_actor
def add_manual_caseload(session: Session, *, actor: Actor, team_id: int, staff_member_id: int,
                    open_cases: int | None, high_risk_cases: int | None, counted_on: date | None) -> None:
    """A caseload counted by hand, for a team whose case files are kept elsewhere."""
    team_row(session, actor, team_id)
    _supervisor, caseworkers = team_people(session, team_id, date.today(), date.today())
    if staff_member_id not in {p.id for p in caseworkers}:
        raise Forbidden(t("common.error.forbidden"))
    errors = {}
    if open_cases is None or not 0 <= open_cases <= 1000:
        errors["open_cases"] = t("caseload.error.open")
    if high_risk_cases is None or not 0 <= high_risk_cases <= (open_cases or 0):
        errors["high_risk_cases"] = t("caseload.error.high")
    if counted_on is None or counted_on > date.today():
        errors["counted_on"] = t("caseload.error.date")
    if errors:
        raise ValidationFailed(errors)
    session.add(ManualCaseload(staff_member_id=staff_member_id, open_cases=open_cases,
                               high_risk_cases=high_risk_cases, counted_on=counted_on))
    session.flush()
