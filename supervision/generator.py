"""The supervision calendar generator: a deterministic greedy slot filler.

For each activity of the plan and each person (or the whole team), the frequency gives the windows in which an
occurrence is due (``frequency.windows``). Occurrences are placed tightest first: whole-team activities, then
the shortest windows, in date order. Each goes on the working day of its window that keeps the person's weeks
and the supervisor's days least loaded (and, for a weekly series, on the same weekday and time as the previous
week, so the calendar is regular), at the first free time of the preferred part of the day. Nobody is booked
twice, nothing falls outside working days, hours or closures, and the supervisor's daily cap holds.

The same inputs give the same calendar and the same identities (``key``), which name the activity, the person
and the window; regenerating keeps sessions already held or edited (passed in as ``kept``) and places the rest
around them. A session nobody touched stays where it is (``current``) as long as that time is still allowed and
free: a refresh moves only what a change displaced. An occurrence that cannot be placed is reported with the
reason, never dropped; ``propose`` then looks for the nearest plan that fits (shorter sessions, then less frequent
ones, within the guidelines' minimums).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from supervision.frequency import Cadence, Frequency, Window, windows
from supervision.plan import GENERATED, Activity, PlanEntry, SupervisionPlan, TimeOfDay
from supervision.working_time import WorkingCalendar

STEP_MINUTES = 15
NOON = 12 * 60
TEAM = "team"


@dataclass(frozen=True)
class Person:
    id: int
    key: str  # stable across databases (the staff member's UUID)
    name: str
    start_date: date | None = None
    active_from: date | None = None  # in the team from; none: always
    active_to: date | None = None  # in the team until (included); none: still there

    def active_on(self, day: date) -> bool:
        return (self.active_from is None or day >= self.active_from) and (self.active_to is None
                                                                          or day <= self.active_to)


@dataclass(frozen=True)
class Booking:
    """Time already taken: a session that stays (held, edited by hand, in another team's calendar)."""

    starts_at: datetime
    minutes: int
    people: frozenset[int]  # staff ids, the supervisor included when they take part
    supervisor_minutes: int = 0  # counts against the supervisor's daily cap


@dataclass(frozen=True)
class Occurrence:
    key: str
    activity: Activity
    caseworker_id: int | None  # none: the whole team
    window: Window
    minutes: int
    time_of_day: TimeOfDay
    series_weeks: int  # weeks between occurrences of a regular weekly series; 0 otherwise


@dataclass(frozen=True)
class Placed:
    key: str
    activity: Activity
    caseworker_id: int | None
    starts_at: datetime
    minutes: int
    due_on: date
    series_weeks: int

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.minutes)


class Reason:
    NO_SUPERVISOR = "no_supervisor"
    NO_WORKING_DAY = "no_working_day"
    DAILY_CAP = "daily_cap"
    NO_FREE_TIME = "no_free_time"
    LONGER_THAN_DAY = "longer_than_day"


@dataclass(frozen=True)
class Unplaced:
    key: str
    activity: Activity
    caseworker_id: int | None
    window: Window
    minutes: int
    reason: str


@dataclass(frozen=True)
class Generated:
    placed: tuple[Placed, ...]
    unplaced: tuple[Unplaced, ...]
    needed_minutes: int = 0  # the supervisor's time the plan asks for over the period
    available_minutes: int = 0  # their time the working calendar gives over the period

    @property
    def feasible(self) -> bool:
        return not self.unplaced


@dataclass(frozen=True)
class TeamInput:
    supervisor: Person | None
    caseworkers: tuple[Person, ...]
    kept: tuple[Booking, ...] = ()
    satisfied: frozenset[str] = frozenset()  # keys of occurrences a kept session already stands for
    current: Mapping[str, datetime] = field(default_factory=dict)  # where untouched sessions are now, by key


def occurrence_key(activity: Activity, person_key: str, frequency: Frequency, due: date) -> str:
    """What an occurrence stands for: the activity, the person (or the team), the frequency and the window. A
    changed frequency makes new occurrences (the old ones are cancelled), so a weekly series never turns into a
    fortnightly one under the same identity."""
    code = f"{frequency.cadence.value}{frequency.every}" + (f"w{frequency.weeks}" if frequency.weeks != 1 else "")
    return f"{activity.value}|{person_key}|{code}|{due.isoformat()}"


def series_key(key: str) -> str:
    """The series an occurrence belongs to: its key without the window."""
    return key.rsplit("|", 1)[0]


def occurrences(plan: SupervisionPlan, calendar: WorkingCalendar, team: TeamInput, first: date,
                last: date) -> list[Occurrence]:
    """Every occurrence the plan asks for in ``first``..``last``, tightest first. A window cut by either end
    of the period belongs to it only if it has a working day inside it; otherwise it belongs to the neighbouring
    period (a week that began before the 1st and has only its weekend left is last month's)."""
    found: list[Occurrence] = []
    order = {a: i for i, a in enumerate(GENERATED)}
    week = calendar.week_starts_on
    for entry in plan.active():
        if entry.activity.whole_team:
            for window in windows(entry.frequency, first, last, week_starts_on=week):
                if any(_overlaps_stay(p, window) for p in team.caseworkers):
                    found.append(_occurrence(entry, None, TEAM, window))
            continue
        for person in team.caseworkers:
            start = person.start_date or person.active_from
            for window in windows(entry.frequency, first, last, phase=person.id, start_date=start,
                                  week_starts_on=week):
                if _overlaps_stay(person, window):
                    found.append(_occurrence(entry, person.id, person.key, window))
    # An occurrence whose session already lies outside the period (a window cut by the period's end, placed by
    # an earlier, longer generation) belongs to that other period: it is left where it is.
    outside = {key for key, start in team.current.items() if not first <= start.date() <= last}
    found = [o for o in found if o.key not in team.satisfied and o.key not in outside and (
        (first <= o.window.start and o.window.end <= last)
        or any(calendar.is_working_day(d) for d in _days(o.window, first, last)))]
    found.sort(key=lambda o: (o.caseworker_id is not None, o.window.days, o.window.start, order[o.activity],
                              o.caseworker_id or 0))
    return found


def _overlaps_stay(person: Person, window: Window) -> bool:
    return ((person.active_from is None or window.end >= person.active_from)
            and (person.active_to is None or window.start <= person.active_to))


def _occurrence(entry: PlanEntry, caseworker_id: int | None, person_key: str, window: Window) -> Occurrence:
    return Occurrence(occurrence_key(entry.activity, person_key, entry.frequency, window.due), entry.activity,
                      caseworker_id, window, entry.minutes, entry.time_of_day, entry.frequency.weekly_grid)


def _minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute


class _Diary:
    """Who is busy when, day by day, and the supervisor's supervision minutes per day."""

    def __init__(self) -> None:
        self.busy: dict[tuple[int, date], list[tuple[int, int]]] = defaultdict(list)
        self.supervisor_day: dict[date, int] = defaultdict(int)
        self.supervisor_week: dict[date, int] = defaultdict(int)
        self.person_week: dict[tuple[int, date], int] = defaultdict(int)

    def free(self, people: Iterable[int], day: date, start: int, end: int) -> bool:
        return all(end <= s or start >= e for p in people for s, e in self.busy.get((p, day), ()))

    def book(self, people: Iterable[int], day: date, start: int, end: int, supervisor_minutes: int,
             week: date, counted: Iterable[int]) -> None:
        for p in people:
            self.busy[(p, day)].append((start, end))
        self.supervisor_day[day] += supervisor_minutes
        self.supervisor_week[week] += supervisor_minutes
        for p in counted:
            self.person_week[(p, week)] += 1


def generate(plan: SupervisionPlan, calendar: WorkingCalendar, team: TeamInput, first: date, last: date, *,
             progress: Callable[[int, int], None] | None = None) -> Generated:
    """The calendar for ``first``..``last`` (both included). Deterministic: same inputs, same result."""
    diary = _Diary()
    for booking in team.kept:
        day = booking.starts_at.date()
        start = booking.starts_at.hour * 60 + booking.starts_at.minute
        counted = [p for p in booking.people if team.supervisor is None or p != team.supervisor.id]
        diary.book(booking.people, day, start, start + booking.minutes, booking.supervisor_minutes,
                   calendar.week_of(day), counted)
    todo = occurrences(plan, calendar, team, first, last)
    placed: list[Placed] = []
    unplaced: list[Unplaced] = []
    series_slot: dict[tuple[Activity, int | None], tuple[int, int]] = {}  # -> (weekday, start minute)
    members = tuple(p.id for p in team.caseworkers)
    weeks: dict[date, date] = {}

    def week_of(day: date) -> date:
        if day not in weeks:
            weeks[day] = calendar.week_of(day)
        return weeks[day]

    day_start, day_end = _minutes(calendar.day_starts), _minutes(calendar.day_ends)
    rest: list[Occurrence] = []
    for occurrence in todo:  # first, every untouched session whose time still holds stays there
        start_at = team.current.get(occurrence.key)
        if team.supervisor is None or start_at is None or not _still_fits(
                start_at, occurrence, calendar, team, diary, first, last, day_start, day_end, members):
            rest.append(occurrence)
            continue
        day, start = start_at.date(), start_at.hour * 60 + start_at.minute
        attending = _attending(occurrence, team.caseworkers, members)
        diary.book((team.supervisor.id, *attending), day, start, start + occurrence.minutes, occurrence.minutes,
                   week_of(day), attending)
        if occurrence.series_weeks and occurrence.window.start >= first:
            series_slot.setdefault((occurrence.activity, occurrence.caseworker_id), (day.weekday(), start))
        placed.append(Placed(occurrence.key, occurrence.activity, occurrence.caseworker_id, start_at,
                             occurrence.minutes, occurrence.window.due, occurrence.series_weeks))
    for done, occurrence in enumerate(rest, start=len(todo) - len(rest)):
        if progress is not None and done % 250 == 0:
            progress(done, len(todo))
        if team.supervisor is None:
            unplaced.append(_unplaced(occurrence, Reason.NO_SUPERVISOR))
            continue
        if occurrence.minutes > min(calendar.max_supervision_minutes, day_end - day_start):
            unplaced.append(_unplaced(occurrence, Reason.LONGER_THAN_DAY))
            continue
        attending = _attending(occurrence, team.caseworkers, members)
        days = [d for d in _days(occurrence.window, first, last)
                if calendar.is_working_day(d) and all(_person(team, p).active_on(d) for p in attending)]
        if not days:
            unplaced.append(_unplaced(occurrence, Reason.NO_WORKING_DAY))
            continue
        people = (team.supervisor.id, *attending)
        slot = series_slot.get((occurrence.activity, occurrence.caseworker_id)) if occurrence.series_weeks else None
        days.sort(key=lambda d: (slot is None or d.weekday() != slot[0],
                                 sum(diary.person_week[(p, week_of(d))] for p in attending),
                                 diary.supervisor_day[d], diary.supervisor_week[week_of(d)], d))
        open_days = [d for d in days
                     if diary.supervisor_day[d] + occurrence.minutes <= calendar.max_supervision_minutes]
        capped = len(days) - len(open_days)
        # A weekly series starting now looks for a time that stays free in the coming weeks too (team meetings
        # are already placed), so that it can keep the same weekday and time all along.
        settle = occurrence.series_weeks and slot is None and occurrence.window.start >= first
        chosen = None
        if settle:
            chosen = _first_free(open_days, occurrence, day_start, day_end, None, diary, people,
                                 ahead=tuple(timedelta(weeks=occurrence.series_weeks * k) for k in range(1, 9)))
        if chosen is None:
            chosen = _first_free(open_days, occurrence, day_start, day_end, slot[1] if slot else None, diary,
                                 people)
        if chosen is None:
            unplaced.append(_unplaced(occurrence, Reason.DAILY_CAP if capped == len(days) else Reason.NO_FREE_TIME))
            continue
        day, start = chosen
        diary.book(people, day, start, start + occurrence.minutes, occurrence.minutes, calendar.week_of(day),
                   attending)
        if settle:  # the series' usual slot, set once (a week cut by the period's start sets nothing)
            series_slot[(occurrence.activity, occurrence.caseworker_id)] = (day.weekday(), start)
        placed.append(Placed(occurrence.key, occurrence.activity, occurrence.caseworker_id,
                             datetime.combine(day, time(start // 60, start % 60)), occurrence.minutes,
                             occurrence.window.due, occurrence.series_weeks))
    if progress is not None:
        progress(len(todo), len(todo))
    placed.sort(key=lambda p: (p.starts_at, p.key))
    available = len(calendar.working_days_between(first, last)) * calendar.max_supervision_minutes
    return Generated(tuple(placed), tuple(unplaced), sum(o.minutes for o in todo), available)


def _still_fits(start_at: datetime, occurrence: Occurrence, calendar: WorkingCalendar, team: TeamInput,
                diary: _Diary, first: date, last: date, day_start: int, day_end: int,
                members: tuple[int, ...]) -> bool:
    """Whether an untouched session may stay where it is: in its window and the period, on a working day, within
    hours, everyone in the team that day and free, the supervisor's cap not passed."""
    day = start_at.date()
    start = start_at.hour * 60 + start_at.minute
    end = start + occurrence.minutes
    if not (max(occurrence.window.start, first) <= day <= min(occurrence.window.end, last)) \
            or not calendar.is_working_day(day) or start < day_start or end > day_end:
        return False
    attending = _attending(occurrence, team.caseworkers, members)
    if not all(_person(team, p).active_on(day) for p in attending):
        return False
    if diary.supervisor_day[day] + occurrence.minutes > calendar.max_supervision_minutes:
        return False
    return diary.free((team.supervisor.id, *attending), day, start, end)  # type: ignore[union-attr]


def _first_free(days: list[date], occurrence: Occurrence, day_start: int, day_end: int, usual: int | None,
                diary: _Diary, people: tuple[int, ...], ahead: tuple[timedelta, ...] = ()) -> tuple[date, int] | None:
    """The first day and start time (in the order given) free for everyone, also ``ahead`` of it."""
    for day in days:
        for start in _times(occurrence, day_start, day_end, usual):
            end = start + occurrence.minutes
            if diary.free(people, day, start, end) and all(diary.free(people, day + later, start, end)
                                                           for later in ahead):
                return day, start
    return None


def _attending(occurrence: Occurrence, caseworkers: Sequence[Person], members: tuple[int, ...]) -> tuple[int, ...]:
    if occurrence.caseworker_id is not None:
        return (occurrence.caseworker_id,)
    window = occurrence.window
    return tuple(p.id for p in caseworkers if _overlaps_stay(p, window)) or members


def _person(team: TeamInput, staff_id: int) -> Person:
    return next(p for p in team.caseworkers if p.id == staff_id)


def _days(window: Window, first: date, last: date) -> list[date]:
    start, end = max(window.start, first), min(window.end, last)
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def _times(occurrence: Occurrence, day_start: int, day_end: int, series_start: int | None) -> list[int]:
    """Start times to try: the series' usual time, then the preferred part of the day, then the rest."""
    every = list(range(day_start, day_end - occurrence.minutes + 1, STEP_MINUTES))
    if occurrence.time_of_day is TimeOfDay.MORNING:
        preferred = [m for m in every if m < NOON]
    elif occurrence.time_of_day is TimeOfDay.AFTERNOON:
        preferred = [m for m in every if m >= NOON]
    else:
        preferred = every
    ordered = ([series_start] if series_start in every else []) + preferred + [m for m in every if m not in preferred]
    return list(dict.fromkeys(ordered))


def _unplaced(occurrence: Occurrence, reason: str) -> Unplaced:
    return Unplaced(occurrence.key, occurrence.activity, occurrence.caseworker_id, occurrence.window,
                    occurrence.minutes, reason)


# The nearest plan that fits --------------------------------------------------------------------------------------

# The least each activity may be relaxed to, by the guidelines: individual supervision never less than every
# two weeks; team meetings weekly or every two weeks; a case file review every month; capacity assessments
# every 3 to 6 months; observations every two weeks to every two months.
_SLOWEST = {Activity.INDIVIDUAL: Frequency(Cadence.WEEKS, 2), Activity.TEAM_MEETING: Frequency(Cadence.WEEKS, 2),
            Activity.CASE_FILE_REVIEW: Frequency(Cadence.MONTHS, 1),
            Activity.CAPACITY_ASSESSMENT: Frequency(Cadence.FROM_START, 6),
            Activity.OBSERVATION: Frequency(Cadence.MONTHS, 2)}
SHORTEST_MINUTES = {Activity.INDIVIDUAL: 30}  # 30 minutes a week is still an hour every two weeks


@dataclass(frozen=True)
class PlanChange:
    activity: Activity
    field: str  # minutes | frequency
    before: str
    after: str


@dataclass(frozen=True)
class Proposal:
    plan: SupervisionPlan
    changes: tuple[PlanChange, ...]
    result: Generated = field(compare=False)

    @property
    def feasible(self) -> bool:
        return self.result.feasible


def _slower(entry: PlanEntry) -> Frequency | None:
    f = entry.frequency
    candidate: Frequency | None = None
    if f.cadence is Cadence.WEEKS:
        candidate = replace(f, every=f.every * 2) if f.every < 4 else replace(f, cadence=Cadence.MONTHS, every=1)
    elif f.cadence is Cadence.TWICE_A_MONTH:
        candidate = Frequency(Cadence.MONTHS, 1)
    elif f.cadence in (Cadence.MONTHS, Cadence.FROM_START):
        candidate = replace(f, every=f.every + 1 if f.every < 6 else f.every * 2)
    elif f.cadence is Cadence.FIRST_MONTHS:
        candidate = replace(f, weeks=f.weeks * 2) if f.weeks < 4 else None
    slowest = _SLOWEST.get(entry.activity)
    if candidate is None or candidate.every > 24:
        return None
    if slowest is not None and _interval_days(candidate) > _interval_days(slowest):
        return None
    return candidate


def _interval_days(frequency: Frequency) -> float:
    return 28 / frequency.per_four_weeks()


def _candidate_changes(plan: SupervisionPlan, troubled: Sequence[Activity]) -> list[tuple[PlanChange, PlanEntry]]:
    shorter, slower = [], []
    for activity in troubled:
        entry = plan.entry(activity)
        if entry is None:
            continue
        floor = SHORTEST_MINUTES.get(activity, 45)
        for minutes in (45, 30):
            if floor <= minutes < entry.minutes:
                shorter.append((PlanChange(activity, "minutes", str(entry.minutes), str(minutes)),
                                replace(entry, minutes=minutes)))
                break
        frequency = _slower(entry)
        if frequency is not None:
            slower.append((PlanChange(activity, "frequency", entry.frequency.text, frequency.text),
                           replace(entry, frequency=frequency)))
    return shorter + slower


def propose(plan: SupervisionPlan, calendar: WorkingCalendar, team: TeamInput, first: date, last: date,
            result: Generated, *, attempts: int = 12) -> Proposal | None:
    """The nearest plan under which every session finds a place: first one change (a shorter session, then a
    less frequent one, for the activities that did not fit), then those changes together. ``None`` when the plan
    already fits or no change within the guidelines' minimums helps; otherwise the best found, which may still
    leave some sessions out (``feasible`` says)."""
    if result.feasible:
        return None
    troubled = list(dict.fromkeys(u.activity for u in sorted(
        result.unplaced, key=lambda u: -sum(1 for v in result.unplaced if v.activity is u.activity))))
    candidates = _candidate_changes(plan, troubled)
    best: Proposal | None = None
    tried = 0
    for change, entry in candidates:  # one change at a time, nearest first
        if tried >= attempts:
            break
        changed = plan.with_entry(entry)
        outcome = generate(changed, calendar, team, first, last)
        tried += 1
        proposal = Proposal(changed, (change,), outcome)
        if outcome.feasible:
            return proposal
        if best is None or len(outcome.unplaced) < len(best.result.unplaced):
            best = proposal
    changed, applied = plan, []
    for change, entry in candidates:  # then together, in the same order, until it fits
        if tried >= attempts:
            break
        current = changed.entry(entry.activity)
        if current is None:
            continue
        entry = replace(current, minutes=entry.minutes) if change.field == "minutes" else \
            replace(current, frequency=entry.frequency)
        changed = changed.with_entry(entry)
        applied.append(change)
        outcome = generate(changed, calendar, team, first, last)
        tried += 1
        if outcome.feasible or best is None or len(outcome.unplaced) < len(best.result.unplaced):
            best = Proposal(changed, tuple(applied), outcome)
        if outcome.feasible:
            break
    if best is not None and len(best.result.unplaced) >= len(result.unplaced):
        return None
    return best
