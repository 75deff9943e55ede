"""The supervision calendar generator, with no database: every frequency a person says, month ends, Sunday to
Thursday weeks, public holidays, nobody double-booked, the daily cap, an even spread over the weeks, the same
identities every time, infeasible plans reported with the nearest plan that fits, and regeneration around kept
sessions."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supervision.frequency import Cadence, Frequency, FrequencyError, parse_frequency, windows
from supervision.generator import Booking, Person, TeamInput, generate, occurrences, propose
from supervision.plan import Activity, PlanError, default_plan, default_plan_data, plan_from_dict
from supervision.working_time import WorkingCalendar, public_holidays

SUN_THU = frozenset({6, 0, 1, 2, 3})
JO = WorkingCalendar(SUN_THU, time(8), time(16), 240, "Asia/Amman", "JO", public_holidays("JO", [2026, 2027]))
YEAR = (date(2026, 1, 1), date(2026, 12, 31))


def team(n: int, *, start: date = date(2024, 3, 1), first_id: int = 2) -> TeamInput:
    return TeamInput(Person(1, "sup", "Supervisor", date(2015, 1, 1)),
                     tuple(Person(i, f"cw{i}", f"Caseworker {i}", start) for i in range(first_id, first_id + n)))


@pytest.mark.parametrize(("said", "expected"), [
    ("weekly", Frequency(Cadence.WEEKS, 1)),
    ("every 2 weeks", Frequency(Cadence.WEEKS, 2)),
    ("Every two weeks", Frequency(Cadence.WEEKS, 2)),
    ("fortnightly", Frequency(Cadence.WEEKS, 2)),
    ("twice a month", Frequency(Cadence.TWICE_A_MONTH)),
    ("monthly", Frequency(Cadence.MONTHS, 1)),
    ("every 2 months", Frequency(Cadence.MONTHS, 2)),
    ("every 3 months", Frequency(Cadence.MONTHS, 3)),
    ("every 6 months", Frequency(Cadence.MONTHS, 6)),
    ("during the first 3 months after the start date", Frequency(Cadence.FIRST_MONTHS, 3)),
    ("every 2 weeks during the first 6 months after the start date", Frequency(Cadence.FIRST_MONTHS, 6, 2)),
    ("from the start date, then every 3 months", Frequency(Cadence.FROM_START, 3)),
])
def test_frequencies_are_read_as_people_say_them(said, expected):
    assert parse_frequency(said) == expected
    assert parse_frequency(expected.text) == expected  # what the tool writes, it reads back


@pytest.mark.parametrize("said", ["", "sometimes", "every 0 weeks", "every 99 months", "weekly; drop table"])
def test_an_unknown_frequency_says_which_ones_are_understood(said):
    with pytest.raises(FrequencyError) as raised:
        parse_frequency(said)
    assert "every 2 weeks" in str(raised.value) or "out of range" in str(raised.value)


def test_weekly_windows_follow_the_working_week():
    monday_weeks = windows(Frequency(Cadence.WEEKS, 1), date(2026, 3, 1), date(2026, 3, 31))
    sunday_weeks = windows(Frequency(Cadence.WEEKS, 1), date(2026, 3, 1), date(2026, 3, 31), week_starts_on=6)
    assert {w.start.weekday() for w in monday_weeks} == {0} and {w.start.weekday() for w in sunday_weeks} == {6}
    assert all(w.days == 7 for w in monday_weeks + sunday_weeks)
    fortnights = windows(Frequency(Cadence.WEEKS, 2), date(2026, 3, 1), date(2026, 3, 31), phase=1)
    assert [b.start - a.start for a, b in itertools.pairwise(fortnights)] == [timedelta(weeks=2)] * (
        len(fortnights) - 1)


def test_twice_a_month_and_monthly_windows_cover_every_month_to_its_end():
    halves = windows(Frequency(Cadence.TWICE_A_MONTH), date(2026, 1, 1), date(2026, 12, 31))
    assert len(halves) == 24 and halves[3].end == date(2026, 2, 28)
    months = windows(Frequency(Cadence.MONTHS, 1), date(2026, 1, 1), date(2026, 12, 31))
    assert [w.start.month for w in months] == list(range(1, 13))
    assert months[1].end == date(2026, 2, 28) and months[3].end == date(2026, 4, 30)
    quarters = windows(Frequency(Cadence.MONTHS, 3), date(2026, 1, 1), date(2026, 12, 31))
    assert len(quarters) == 4 and all(w.days >= 89 for w in quarters)


def test_from_the_31st_no_short_month_is_skipped():
    monthly = windows(Frequency(Cadence.FROM_START, 1), date(2027, 1, 1), date(2027, 12, 31),
                      start_date=date(2027, 1, 31))
    assert [w.due for w in monthly[:5]] == [date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31),
                                            date(2027, 4, 30), date(2027, 5, 31)]
    quarterly = windows(Frequency(Cadence.FROM_START, 3), date(2027, 1, 1), date(2027, 12, 31),
                        start_date=date(2026, 11, 30))
    assert [w.due for w in quarterly] == [date(2027, 2, 28), date(2027, 5, 30), date(2027, 8, 30),
                                          date(2027, 11, 30)]
    assert quarterly[0].start <= date(2027, 2, 28) <= quarterly[0].end


def test_shadowing_happens_only_in_the_first_months():
    found = windows(Frequency(Cadence.FIRST_MONTHS, 3), date(2026, 1, 1), date(2026, 12, 31),
                    start_date=date(2026, 2, 10))
    assert found[0].start == date(2026, 2, 10) and found[-1].end <= date(2026, 5, 9)
    assert len(found) == 13
    assert windows(Frequency(Cadence.FIRST_MONTHS, 3), date(2026, 1, 1), date(2026, 12, 31)) == []  # no start


def _intervals(result, team_input):  # type: ignore[no-untyped-def]
    """person -> [(start, end)] for every placed session, team meetings booking every caseworker."""
    booked = defaultdict(list)
    everyone = [p.id for p in team_input.caseworkers]
    for p in result.placed:
        people = [team_input.supervisor.id, *([p.caseworker_id] if p.caseworker_id else everyone)]
        for person in people:
            booked[person].append((p.starts_at, p.ends_at))
    return booked


def test_a_year_for_a_sunday_to_thursday_team_keeps_every_rule():
    members = team(6)
    result = generate(default_plan(), JO, members, *YEAR)
    assert result.placed
    for placed in result.placed:
        day = placed.starts_at.date()
        assert day.weekday() in SUN_THU, placed
        assert day not in JO.closures, placed
        assert placed.starts_at.time() >= time(8) and placed.ends_at.time() <= time(16), placed
    for person, slots in _intervals(result, members).items():
        slots.sort()
        for (_, end), (start, _) in itertools.pairwise(slots):
            assert end <= start, f"person {person} double-booked at {start}"
    per_day = Counter()
    for placed in result.placed:
        per_day[placed.starts_at.date()] += placed.minutes
    assert max(per_day.values()) <= 240


def test_load_is_spread_evenly_over_the_weeks():
    members = team(5)
    result = generate(default_plan(), JO, members, *YEAR)
    for person in members.caseworkers:
        weeks = Counter(JO.week_of(p.starts_at.date()) for p in result.placed if p.caseworker_id == person.id)
        average = sum(weeks.values()) / 52
        assert max(weeks.values()) <= average + 1, (person.name, max(weeks.values()), average)


def test_weekly_supervision_keeps_its_weekday_and_time():
    result = generate(default_plan(), JO, team(4), *YEAR)
    for person in range(2, 6):
        slots = Counter((p.starts_at.weekday(), p.starts_at.time()) for p in result.placed
                        if p.caseworker_id == person and p.activity is Activity.INDIVIDUAL)
        assert slots.most_common(1)[0][1] >= 0.8 * sum(slots.values())


def test_the_same_inputs_give_the_same_calendar_and_identities():
    first = generate(default_plan(), JO, team(6), *YEAR)
    second = generate(default_plan(), JO, team(6), *YEAR)
    assert first == second
    assert len({p.key for p in first.placed}) == len(first.placed)
    # a shorter period inside the year names the same occurrences the same way
    march = generate(default_plan(), JO, team(6), date(2026, 3, 1), date(2026, 3, 31))
    assert {p.key for p in march.placed} <= {p.key for p in first.placed} | {u.key for u in first.unplaced}


def test_no_working_day_in_a_window_is_reported_not_dropped():
    closed = {date(2026, 4, 1) + timedelta(days=n): "Closure" for n in range(30)}
    calendar = WorkingCalendar(SUN_THU, time(8), time(16), 240, "UTC", "", closed)
    result = generate(default_plan(), calendar, team(2), date(2026, 4, 1), date(2026, 4, 30))
    assert not result.placed
    reviews = [u for u in result.unplaced if u.activity is Activity.CASE_FILE_REVIEW]
    assert len(reviews) == 2 and {u.reason for u in reviews} == {"no_working_day"}
    wanted = occurrences(default_plan(), calendar, team(2), date(2026, 4, 1), date(2026, 4, 30))
    assert len(result.placed) + len(result.unplaced) == len(wanted)


def test_too_many_caseworkers_are_reported_with_the_nearest_plan_that_fits():
    members = team(9)
    calendar = WorkingCalendar(frozenset(range(5)), time(8, 30), time(16, 30), 180, "UTC")
    result = generate(default_plan(), calendar, members, date(2026, 3, 1), date(2026, 5, 31))
    assert result.unplaced and {u.reason for u in result.unplaced} <= {"daily_cap", "no_free_time"}
    wanted = occurrences(default_plan(), calendar, members, date(2026, 3, 1), date(2026, 5, 31))
    assert len(result.placed) + len(result.unplaced) == len(wanted)
    proposal = propose(default_plan(), calendar, members, date(2026, 3, 1), date(2026, 5, 31), result)
    assert proposal is not None and proposal.changes
    assert len(proposal.result.unplaced) < len(result.unplaced)
    individual = proposal.plan.entry(Activity.INDIVIDUAL)
    assert individual.frequency.every <= 2 and individual.minutes >= 30  # never below the guidelines' minimum


def test_a_team_without_a_supervisor_is_told_so():
    members = TeamInput(None, team(2).caseworkers)
    result = generate(default_plan(), JO, members, date(2026, 3, 1), date(2026, 3, 31))
    assert not result.placed and {u.reason for u in result.unplaced} == {"no_supervisor"}


def test_regeneration_places_around_kept_sessions_and_does_not_repeat_them():
    members = team(3)
    first = generate(default_plan(), JO, members, date(2026, 3, 1), date(2026, 3, 31))
    held = first.placed[0]
    moved_to = datetime.combine(held.starts_at.date(), time(13))
    kept = TeamInput(members.supervisor, members.caseworkers,
                     kept=(Booking(moved_to, held.minutes, frozenset({1, held.caseworker_id or 2}), held.minutes),),
                     satisfied=frozenset({held.key}))
    again = generate(default_plan(), JO, kept, date(2026, 3, 1), date(2026, 3, 31))
    assert held.key not in {p.key for p in again.placed}
    for placed in again.placed:
        if placed.starts_at.date() == moved_to.date() and placed.caseworker_id in (held.caseworker_id, None):
            assert placed.ends_at <= moved_to or placed.starts_at >= moved_to + timedelta(minutes=held.minutes)


def test_people_joining_and_leaving_are_planned_only_while_in_the_team():
    joiner = Person(7, "cw7", "New", date(2026, 5, 10), active_from=date(2026, 5, 10))
    leaver = Person(8, "cw8", "Leaving", date(2020, 1, 1), active_to=date(2026, 4, 15))
    members = TeamInput(Person(1, "sup", "S"), (joiner, leaver))
    result = generate(default_plan(), JO, members, *YEAR)
    assert min(p.starts_at.date() for p in result.placed if p.caseworker_id == 7) >= date(2026, 5, 10)
    assert max(p.starts_at.date() for p in result.placed if p.caseworker_id == 8) <= date(2026, 4, 15)
    shadowing = [p for p in result.placed if p.activity is Activity.SHADOWING]
    assert shadowing and {p.caseworker_id for p in shadowing} == {7}
    assert max(p.starts_at.date() for p in shadowing) < date(2026, 8, 10)
    first_assessment = min(p.starts_at.date() for p in result.placed
                           if p.caseworker_id == 7 and p.activity is Activity.CAPACITY_ASSESSMENT)
    assert first_assessment <= date(2026, 5, 24)  # right after recruitment


def test_the_plan_file_is_validated():
    data = default_plan_data()
    data["activities"][0]["frequency"] = "now and then"
    with pytest.raises(PlanError, match="activities, 0, frequency"):
        plan_from_dict(data)
    data = default_plan_data()
    data["activities"][1]["activity"] = "individual_supervision"
    with pytest.raises(PlanError, match="listed twice"):
        plan_from_dict(data)
    data = default_plan_data()
    data["activities"][0]["minutes"] = 7
    with pytest.raises(PlanError, match="minutes"):
        plan_from_dict(data)


@settings(max_examples=25, deadline=None)
@given(size=st.integers(1, 8), cap=st.integers(2, 8), days=st.sets(st.integers(0, 6), min_size=1),
       start=st.dates(date(2025, 1, 1), date(2027, 12, 1)), length=st.integers(0, 60))
def test_whatever_the_team_nothing_overlaps_and_nothing_is_lost(size, cap, days, start, length):
    calendar = WorkingCalendar(frozenset(days), time(8), time(17), cap * 60, "UTC")
    members = team(size, start=start - timedelta(days=45))
    last = start + timedelta(days=length)
    result = generate(default_plan(), calendar, members, start, last)
    wanted = occurrences(default_plan(), calendar, members, start, last)
    assert len(result.placed) + len(result.unplaced) == len(wanted)
    for slots in _intervals(result, members).values():
        slots.sort()
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(slots))
    per_day = Counter()
    for placed in result.placed:
        assert placed.starts_at.weekday() in days and start <= placed.starts_at.date() <= last
        per_day[placed.starts_at.date()] += placed.minutes
    assert not per_day or max(per_day.values()) <= cap * 60


def test_a_refresh_keeps_every_untouched_session_where_it_is():
    members = team(5)
    first = generate(default_plan(), JO, members, *YEAR)
    later = date(2026, 2, 17)  # refreshed weeks later, nothing changed: what is past stays as it was
    past = [p for p in first.placed if p.starts_at.date() < later]
    where = {p.key: p.starts_at for p in first.placed if p.starts_at.date() >= later}
    refresh = TeamInput(members.supervisor, members.caseworkers, satisfied=frozenset(p.key for p in past),
                        current=where)
    refreshed = generate(default_plan(), JO, refresh, later, YEAR[1])
    moved = [p for p in refreshed.placed if where.get(p.key) != p.starts_at]
    assert refreshed.placed and moved == []
    # A closure day added on a busy day moves that day's sessions, and only them.
    busy = Counter(p.starts_at.date() for p in refreshed.placed if p.starts_at.month == 4).most_common(1)[0][0]
    closed = WorkingCalendar(JO.working_days, JO.day_starts, JO.day_ends, JO.max_supervision_minutes, JO.timezone,
                             JO.country, {**JO.closures, busy: "Office closed"})
    again = generate(default_plan(), closed, refresh, later, YEAR[1])
    moved = {p.key for p in again.placed if where.get(p.key) != p.starts_at}
    assert moved and moved == {k for k, start in where.items() if start.date() == busy} & {p.key for p in again.placed}


def test_a_shorter_refresh_leaves_the_sessions_beyond_its_end_alone():
    members = team(5)
    first = generate(default_plan(), JO, members, *YEAR)
    where = {p.key: p.starts_at for p in first.placed}
    end = date(2026, 6, 2)  # a Tuesday: that week's window is cut by the refresh's end
    refreshed = generate(default_plan(), JO, TeamInput(members.supervisor, members.caseworkers, current=where),
                         YEAR[0], end)
    assert {u.key for u in refreshed.unplaced} <= {u.key for u in first.unplaced}  # nothing new left out
    assert [p for p in refreshed.placed if where.get(p.key) != p.starts_at] == []
    assert all(p.starts_at.date() <= end for p in refreshed.placed)
