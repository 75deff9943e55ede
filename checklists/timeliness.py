"""Timeliness of a case file against the SOP timeframes: pure functions over dates, no database.

Each step of case management has a deadline counted from the step before it, set by the risk level (guidelines
2.1.1.D, contextualised in each SOP, so the limits come from ``Timeframes``):

- registration from identification/referral; assessment from registration; case plan from assessment; first
  implementation action from the case plan: a single deadline each;
- follow-up: from the case plan, while the case is open, no gap between contacts longer than the limit;
- case plan review: from the case plan, then from each review, within the limit (calendar months);
- post-closure follow-up: from closure (closed cases only; a transferred case is followed by the receiving
  agency).

The rules this module applies, in the words a supervisor would use:

- *As of* a date, the file is read as it stood that day: dates after it have not happened yet.
- The risk level that counts is the one in force on the day the step's clock starts. **A risk level change applies
  the new timeframes from the date of the change**: if the level changes while a step is pending and its deadline
  has not passed, the deadline becomes the change date plus the new level's limit (a case raised to high risk must
  be assessed that day; one lowered to low risk has two weeks from the change). A change after the deadline has
  passed does not excuse the lateness. A change on the day the step was done is too late to matter.
- No-risk cases have no step deadlines (unless the timeframes give the no-risk level a limit): not applicable.
- A step never done when the case was closed or transferred after its deadline was *missed*; one whose deadline
  fell after the closure is not applicable.
- A step done before the step it follows (dates out of order) is not applicable: the dates cannot be trusted.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum

from dateutil.relativedelta import relativedelta


class RiskLevel(StrEnum):
    __hash__ = str.__hash__  # hashed as its text, in C: these key every timeframe lookup

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    NO_RISK = "no_risk"


RISK_LEVELS = tuple(RiskLevel)


class CaseStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    TRANSFERRED = "transferred"


CASE_STATUSES = tuple(CaseStatus)


class Step(StrEnum):
    __hash__ = str.__hash__  # hashed as its text, in C: these key every timeframe lookup

    REGISTRATION = "registration"
    ASSESSMENT = "assessment"
    CASE_PLAN = "case_plan"
    FIRST_ACTION = "first_action"
    FOLLOW_UP = "follow_up"
    CASE_PLAN_REVIEW = "case_plan_review"
    POST_CLOSURE_FOLLOW_UP = "post_closure_follow_up"


STEPS = tuple(Step)


class Status(StrEnum):
    __hash__ = str.__hash__  # hashed as its text, in C: these key every timeframe lookup

    MET = "met"
    MISSED = "missed"
    OVERDUE = "overdue"
    NOT_YET_DUE = "not_yet_due"
    NOT_APPLICABLE = "not_applicable"


DECIDED = (Status.MET, Status.MISSED, Status.OVERDUE)  # the statuses a timeliness rate counts


class Reason(StrEnum):
    """Why a step is not applicable (message keys ``timeliness.reason.<value>``)."""

    NO_START = "no_start"  # the date the step is counted from is missing
    NO_RISK = "no_risk"
    OUT_OF_ORDER = "out_of_order"
    ENDED_BEFORE_DUE = "ended_before_due"  # closed or transferred before the step was due
    NOT_CLOSED = "not_closed"
    TRANSFERRED = "transferred"


@dataclass(frozen=True)
class Limit:
    """A timeframe: a number of calendar days, or of calendar months (a review ``3 months`` after 30 November is
    due on 28 February, or 29 in a leap year: month ends are kept, never skipped)."""

    days: int = 0
    months: int = 0

    def after(self, start: date) -> date:
        if not self.months:
            return start + timedelta(days=self.days)  # the common case, many times per case file: keep it cheap
        if not self.days:  # whole months, as relativedelta counts them (a month end is kept), without its cost
            index = start.month - 1 + self.months
            year, month = start.year + index // 12, index % 12 + 1
            return date(year, month, min(start.day, monthrange(year, month)[1]))
        return start + relativedelta(days=self.days, months=self.months)


# Where each step's clock starts and what ends it.
SINGLE_STEPS = {
    Step.REGISTRATION: ("identified_on", "registered_on"),
    Step.ASSESSMENT: ("registered_on", "assessed_on"),
    Step.CASE_PLAN: ("assessed_on", "case_plan_on"),
    Step.FIRST_ACTION: ("case_plan_on", "first_action_on"),
}


@dataclass(frozen=True)
class Timeframes:
    """The limit per step and risk level. A level without a limit for a step has no deadline for it."""

    limits: dict[Step, dict[RiskLevel, Limit]]

    def limit(self, step: Step, level: RiskLevel) -> Limit | None:
        return self.limits.get(step, {}).get(level)


def default_timeframes() -> Timeframes:
    """The guidelines' table (2.1.1.D) read as calendar days; reviews and post-closure follow-up in months."""
    def per_level(high: Limit, medium: Limit, low: Limit) -> dict[RiskLevel, Limit]:
        return {RiskLevel.HIGH: high, RiskLevel.MEDIUM: medium, RiskLevel.LOW: low}

    three_months = Limit(months=3)
    return Timeframes({
        Step.REGISTRATION: per_level(Limit(1), Limit(3), Limit(7)),
        Step.ASSESSMENT: per_level(Limit(0), Limit(7), Limit(14)),
        Step.CASE_PLAN: per_level(Limit(3), Limit(7), Limit(14)),
        Step.FIRST_ACTION: per_level(Limit(0), Limit(7), Limit(14)),
        Step.FOLLOW_UP: per_level(Limit(4), Limit(14), Limit(28)),
        Step.CASE_PLAN_REVIEW: per_level(three_months, three_months, three_months),
        Step.POST_CLOSURE_FOLLOW_UP: per_level(three_months, three_months, three_months),
    })


@dataclass(frozen=True)
class CaseDates:
    """What timeliness needs from a case file. ``risk_level`` is the current level; ``risk_changes`` the dated
    changes, each to the level named. Before the first recorded change the first change's level applies (it is
    usually the level set at registration); with no changes, ``risk_level`` applies throughout."""

    risk_level: RiskLevel
    status: CaseStatus = CaseStatus.OPEN
    identified_on: date | None = None
    registered_on: date | None = None
    assessed_on: date | None = None
    case_plan_on: date | None = None
    first_action_on: date | None = None
    follow_ups: tuple[date, ...] = ()
    case_plan_reviews: tuple[date, ...] = ()
    reassessments: tuple[date, ...] = ()
    risk_changes: tuple[tuple[date, RiskLevel], ...] = ()
    closed_on: date | None = None
    post_closure_follow_up_on: date | None = None

    def level_on(self, day: date) -> RiskLevel:
        if not self.risk_changes:
            return self.risk_level
        changes = sorted(self.risk_changes)
        level = changes[0][1]
        for changed_on, new_level in changes:
            if changed_on <= day:
                level = new_level
        return level

    def as_of(self, day: date) -> CaseDates:
        """The file as it stood on ``day``: later dates have not happened yet, so a case closed later was open."""
        def keep(value: date | None) -> date | None:
            return value if value is not None and value <= day else None

        def keep_all(values: Iterable[date]) -> tuple[date, ...]:
            return tuple(sorted(v for v in values if v <= day))

        changes = tuple(sorted(c for c in self.risk_changes if c[0] <= day))
        closed_on = keep(self.closed_on)
        current = changes[-1][1] if changes else (self.level_on(day) if self.risk_changes else self.risk_level)
        return replace(
            self, risk_level=current, status=self.status if closed_on else CaseStatus.OPEN,
            identified_on=keep(self.identified_on), registered_on=keep(self.registered_on),
            assessed_on=keep(self.assessed_on), case_plan_on=keep(self.case_plan_on),
            first_action_on=keep(self.first_action_on), follow_ups=keep_all(self.follow_ups),
            case_plan_reviews=keep_all(self.case_plan_reviews), reassessments=keep_all(self.reassessments),
            risk_changes=changes,
            closed_on=closed_on, post_closure_follow_up_on=keep(self.post_closure_follow_up_on))

    @property
    def ended_on(self) -> date | None:
        """The day the case left the caseworker's hands (closed or transferred)."""
        return self.closed_on if self.status != CaseStatus.OPEN else None


@dataclass(frozen=True)
class StepResult:
    step: Step
    status: Status
    risk_level: RiskLevel | None = None  # the level whose timeframe set the deadline
    due_on: date | None = None
    done_on: date | None = None
    days_late: int | None = None  # met: 0 or fewer days early shown as 0; missed/overdue: days past the deadline
    reason: Reason | None = None  # why not applicable
    gaps_over_limit: int = 0  # follow-ups and reviews: how many intervals were longer than allowed
    longest_gap: int | None = None  # follow-ups and reviews: the longest interval, in days
    first_interval_met: bool | None = None  # reviews: the first review came within the limit of the case plan
    intervals: tuple[Interval, ...] = field(default=(), compare=False)


@dataclass(frozen=True, slots=True)
class Interval:
    """One interval of a recurring step: from ``start`` to ``end`` (a contact, the closure, or the as-of day when
    still running), with its deadline."""

    start: date
    end: date
    due_on: date | None
    closed_by_contact: bool  # ended by a follow-up or review (not by closure or the as-of day)

    @property
    def days_late(self) -> int:
        return (self.end - self.due_on).days if self.due_on and self.end > self.due_on else 0


def _deadline(case: CaseDates, step: Step, timeframes: Timeframes, start: date,
              until: date) -> tuple[date | None, RiskLevel]:
    """The deadline of a step whose clock started on ``start``, walking the risk changes up to (not including)
    ``until``: the step's completion day, or the day after the as-of day while it is pending."""
    level = case.level_on(start)
    limit = timeframes.limit(step, level)
    due = limit.after(start) if limit else None
    if not case.risk_changes:
        return due, level
    for changed_on, new_level in case.risk_changes:  # sorted (see CaseDates)
        if not start < changed_on < until or new_level == level:
            continue
        if due is not None and due < changed_on:
            break  # already late: a later change does not excuse it
        level = new_level
        limit = timeframes.limit(step, level)
        due = limit.after(changed_on) if limit else None
    return due, level


def _single(case: CaseDates, step: Step, timeframes: Timeframes, as_of: date) -> StepResult:
    start_field, done_field = SINGLE_STEPS[step]
    start: date | None = getattr(case, start_field)
    done: date | None = getattr(case, done_field)
    if start is None:
        return StepResult(step, Status.NOT_APPLICABLE, done_on=done, reason=Reason.NO_START)
    if done is not None and done < start:
        return StepResult(step, Status.NOT_APPLICABLE, done_on=done, reason=Reason.OUT_OF_ORDER)
    ended = case.ended_on
    until = done if done is not None else (min(ended, as_of) if ended else as_of) + relativedelta(days=1)
    due, level = _deadline(case, step, timeframes, start, until)
    if due is None:
        return StepResult(step, Status.NOT_APPLICABLE, risk_level=level, done_on=done, reason=Reason.NO_RISK)
    if done is not None:
        late = (done - due).days
        return StepResult(step, Status.MET if late <= 0 else Status.MISSED, level, due, done, max(late, 0))
    if ended is not None:
        if ended > due:
            return StepResult(step, Status.MISSED, level, due, None, (ended - due).days)
        return StepResult(step, Status.NOT_APPLICABLE, level, due, reason=Reason.ENDED_BEFORE_DUE)
    if as_of > due:
        return StepResult(step, Status.OVERDUE, level, due, None, (as_of - due).days)
    return StepResult(step, Status.NOT_YET_DUE, level, due)


def _recurring(case: CaseDates, step: Step, contacts: Sequence[date], timeframes: Timeframes,
               as_of: date, window_start: date | None = None) -> StepResult:
    """Follow-ups and case plan reviews: intervals from the case plan to each contact and on to the end. With
    ``window_start``, only the intervals ending on or after it are worked out (each interval depends only on
    where it starts, so the earlier ones change nothing about the later ones)."""
    start = case.case_plan_on
    if start is None:
        return StepResult(step, Status.NOT_APPLICABLE, reason=Reason.NO_START)
    ended = case.ended_on
    end = ended or as_of
    points = sorted({d for d in contacts if start < d <= end})
    if window_start is not None:
        earlier = [p for p in points if p < window_start]
        if earlier:
            start = earlier[-1]
            points = points[len(earlier):]
    intervals: list[Interval] = []
    levels: list[RiskLevel] = []

    def add(begin: date, finish: date, by_contact: bool, until: date) -> None:
        due, level = _deadline(case, step, timeframes, begin, until)
        intervals.append(Interval(begin, finish, due, by_contact))
        levels.append(level)

    previous = start
    for point in points:
        add(previous, point, True, point)
        previous = point
    if ended is None:
        add(previous, as_of, False, as_of + relativedelta(days=1))  # still running
    elif end > previous:
        add(previous, end, False, end)  # from the last contact to the closure
    if not intervals:
        return StepResult(step, Status.NOT_APPLICABLE, risk_level=case.level_on(start),
                          reason=Reason.ENDED_BEFORE_DUE)
    if all(i.due_on is None for i in intervals):
        return StepResult(step, Status.NOT_APPLICABLE, risk_level=case.level_on(start), reason=Reason.NO_RISK,
                          intervals=tuple(intervals))
    done_on = points[-1] if points else None
    completed = [i for i in intervals if i.closed_by_contact or ended]
    running = intervals[-1] if intervals and not intervals[-1].closed_by_contact and not ended else None
    late = [i for i in completed if i.due_on is not None and i.end > i.due_on]
    longest = max(((i.end - i.start).days for i in intervals), default=None)
    first = intervals[0] if intervals else None
    first_met = None
    if first is not None and first.due_on is not None and (first.closed_by_contact or first.end > first.due_on):
        first_met = first.closed_by_contact and first.end <= first.due_on
    common = {"gaps_over_limit": len(late) + (1 if running and running.due_on and as_of > running.due_on else 0),
              "longest_gap": longest, "first_interval_met": first_met, "intervals": tuple(intervals)}
    if running is not None and running.due_on is not None and as_of > running.due_on:
        return StepResult(step, Status.OVERDUE, levels[-1], running.due_on, done_on,
                          (as_of - running.due_on).days, **common)
    if late:
        worst = max(late, key=lambda i: i.days_late)
        return StepResult(step, Status.MISSED, levels[intervals.index(worst)], worst.due_on, done_on,
                          worst.days_late, **common)
    next_due = running.due_on if running is not None else None
    if points:
        return StepResult(step, Status.MET, levels[-1], next_due, done_on, 0, **common)
    if running is not None:
        return StepResult(step, Status.NOT_YET_DUE, levels[-1], next_due, **common)
    return StepResult(step, Status.NOT_APPLICABLE, levels[-1] if levels else None,
                      reason=Reason.ENDED_BEFORE_DUE, **common)


def _post_closure(case: CaseDates, timeframes: Timeframes, as_of: date) -> StepResult:
    step = Step.POST_CLOSURE_FOLLOW_UP
    done = case.post_closure_follow_up_on
    if case.status == CaseStatus.TRANSFERRED:
        return StepResult(step, Status.NOT_APPLICABLE, done_on=done, reason=Reason.TRANSFERRED)
    if case.status != CaseStatus.CLOSED or case.closed_on is None:
        return StepResult(step, Status.NOT_APPLICABLE, done_on=done, reason=Reason.NOT_CLOSED)
    start = case.closed_on
    if done is not None and done < start:
        return StepResult(step, Status.NOT_APPLICABLE, done_on=done, reason=Reason.OUT_OF_ORDER)
    level = case.level_on(start)
    limit = timeframes.limit(step, level)
    if limit is None:
        return StepResult(step, Status.NOT_APPLICABLE, risk_level=level, done_on=done, reason=Reason.NO_RISK)
    due = limit.after(start)
    if done is not None:
        late = (done - due).days
        return StepResult(step, Status.MET if late <= 0 else Status.MISSED, level, due, done, max(late, 0))
    if as_of > due:
        return StepResult(step, Status.OVERDUE, level, due, None, (as_of - due).days)
    return StepResult(step, Status.NOT_YET_DUE, level, due)


def timeliness(case: CaseDates, timeframes: Timeframes, as_of: date,
               window_start: date | None = None, steps: Iterable[Step] | None = None) -> dict[Step, StepResult]:
    """Every step's result (or those of ``steps``) for the case file as it stood on ``as_of``. ``window_start``
    limits the recurring steps' intervals to those ending on or after it (for monthly figures; their counts then
    cover the window)."""
    wanted = set(STEPS if steps is None else steps)
    snapshot = case.as_of(as_of)
    results: dict[Step, StepResult] = {step: _single(snapshot, step, timeframes, as_of) for step in SINGLE_STEPS
                                       if step in wanted}
    if Step.FOLLOW_UP in wanted:
        results[Step.FOLLOW_UP] = _recurring(snapshot, Step.FOLLOW_UP, snapshot.follow_ups, timeframes, as_of,
                                             window_start)
    if Step.CASE_PLAN_REVIEW in wanted:
        results[Step.CASE_PLAN_REVIEW] = _recurring(snapshot, Step.CASE_PLAN_REVIEW, snapshot.case_plan_reviews,
                                                    timeframes, as_of, window_start)
    if Step.POST_CLOSURE_FOLLOW_UP in wanted:
        results[Step.POST_CLOSURE_FOLLOW_UP] = _post_closure(snapshot, timeframes, as_of)
    return results


@dataclass(frozen=True)
class Rate:
    """A share of decided steps that were met, and how many records it is computed over."""

    met: int
    decided: int

    @property
    def percent(self) -> float | None:
        return round(100 * self.met / self.decided, 1) if self.decided else None


def rate(results: Iterable[StepResult]) -> Rate:
    decided = [r for r in results if r.status in DECIDED]
    return Rate(sum(1 for r in decided if r.status == Status.MET), len(decided))


# The two timeliness indicators of the guidelines (2.1.5.A), kept per case file so the database can count them.
INDICATOR_STEPS = ("assessment", "first_case_plan_review")


@dataclass(frozen=True)
class IndicatorDeadline:
    """One indicator step of a case file: its deadline, when it was done, and ``outcome``: met, missed, pending
    (not done, the case still open: overdue once the deadline has passed) or none (not applicable)."""

    step: str
    due_on: date | None
    done_on: date | None
    outcome: str
    risk_level: str


def indicator_deadlines(case: CaseDates, timeframes: Timeframes, as_of: date) -> list[IndicatorDeadline]:
    """The assessment's deadline and the first case plan review's (three months after the case plan, by
    default), read by the same rules as every other step, as the file stands on ``as_of``."""
    first_review = case if len(case.case_plan_reviews) <= 1 else replace(
        case, case_plan_reviews=case.case_plan_reviews[:1])
    results = timeliness(first_review, timeframes, as_of, steps=(Step.ASSESSMENT, Step.CASE_PLAN_REVIEW))
    found = []
    assessment = results[Step.ASSESSMENT]
    outcome = {Status.MET: "met", Status.MISSED: "missed", Status.OVERDUE: "pending",
               Status.NOT_YET_DUE: "pending"}.get(assessment.status, "none")
    level = assessment.risk_level.value if assessment.risk_level else case.risk_level.value
    found.append(IndicatorDeadline("assessment", assessment.due_on if outcome != "none" else None,
                                   assessment.done_on, outcome, level))
    review = results[Step.CASE_PLAN_REVIEW]
    first = next((i for i in review.intervals if i.start == case.case_plan_on and i.due_on is not None), None)
    level = review.risk_level.value if review.risk_level else case.risk_level.value
    if first is None:
        found.append(IndicatorDeadline("first_case_plan_review", None, None, "none", level))
    elif first.closed_by_contact or first.end < as_of:
        found.append(IndicatorDeadline("first_case_plan_review", first.due_on,
                                       first.end if first.closed_by_contact else None,
                                       "met" if first.end <= first.due_on else "missed", level))
    else:
        found.append(IndicatorDeadline("first_case_plan_review", first.due_on, None, "pending", level))
    return found
