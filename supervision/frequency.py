"""How often a supervision activity happens, said as a person says it ("every 2 weeks", "during the first 3
months after the start date"), and the periods ("windows") in which each occurrence is due.

Every window is aligned to a fixed grid (weeks counted from a fixed Monday, months from a fixed month, or the
person's start date), never to the period someone asks for: generating March alone or the whole year gives the
same windows, so each occurrence keeps one identity across regenerations. Date arithmetic is ``dateutil``'s:
``rrule`` walks the grid, ``relativedelta`` adds months and keeps to the month's end (31 January plus one month
is 28 or 29 February, never 3 March, and never a skipped month)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from dateutil.relativedelta import relativedelta
from dateutil.rrule import MONTHLY, WEEKLY, rrule

EPOCH_MONDAY = date(2024, 1, 1)  # a Monday: the week grid every weekly window is counted from
EPOCH_MONTH = date(2024, 1, 1)


class FrequencyError(ValueError):
    """The text is not a frequency the tool knows; the message says which ones it does."""


class Cadence(StrEnum):
    WEEKS = "weeks"  # every N weeks ("weekly" is N = 1)
    TWICE_A_MONTH = "twice_a_month"
    MONTHS = "months"  # every N months ("monthly" is N = 1)
    FIRST_MONTHS = "first_months"  # every W weeks during the first N months after the start date
    FROM_START = "from_start"  # on the start date, then every N months


@dataclass(frozen=True, order=True)
class Frequency:
    cadence: Cadence
    every: int = 1  # N weeks or months
    weeks: int = 1  # for FIRST_MONTHS: how many weeks between sessions in those months

    def __post_init__(self) -> None:
        if not 1 <= self.every <= 24 or not 1 <= self.weeks <= 8:
            raise FrequencyError(f"'{self.text}' is out of range: N must be 1 to 24 (weeks: 1 to 8)")

    @property
    def text(self) -> str:
        """The English phrase, which is also how plans store it; the pages translate it with ``describe``."""
        if self.cadence is Cadence.WEEKS:
            return "weekly" if self.every == 1 else f"every {self.every} weeks"
        if self.cadence is Cadence.TWICE_A_MONTH:
            return "twice a month"
        if self.cadence is Cadence.MONTHS:
            return "monthly" if self.every == 1 else f"every {self.every} months"
        if self.cadence is Cadence.FIRST_MONTHS:
            cadence = "weekly" if self.weeks == 1 else f"every {self.weeks} weeks"
            return f"{cadence} during the first {self.every} months after the start date"
        return f"from the start date, then every {self.every} months"

    @property
    def needs_start_date(self) -> bool:
        return self.cadence in (Cadence.FIRST_MONTHS, Cadence.FROM_START)

    @property
    def weekly_grid(self) -> int:
        """Weeks between occurrences when the activity repeats on a weekly grid (exported as a recurrence);
        0 when it does not."""
        if self.cadence is Cadence.WEEKS:
            return self.every
        return 0

    def per_four_weeks(self) -> float:
        """About how many occurrences fall in four weeks, for load estimates and proposals."""
        return {Cadence.WEEKS: 4 / self.every, Cadence.TWICE_A_MONTH: 2 * 12 / 13,
                Cadence.MONTHS: 12 / 13 / self.every, Cadence.FIRST_MONTHS: 4 / self.weeks,
                Cadence.FROM_START: 12 / 13 / self.every}[self.cadence]


_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "twelve": 12}
_PATTERNS: list[tuple[str, object]] = [
    (r"(?:weekly|every week|once a week)", lambda m: Frequency(Cadence.WEEKS, 1)),
    (r"(?:fortnightly|bi-?weekly|every (?:other|second) week)", lambda m: Frequency(Cadence.WEEKS, 2)),
    (r"every (\w+) weeks?", lambda m: Frequency(Cadence.WEEKS, _number(m.group(1)))),
    (r"(?:twice a month|two times a month|semi-?monthly)", lambda m: Frequency(Cadence.TWICE_A_MONTH)),
    (r"(?:monthly|every month|once a month)", lambda m: Frequency(Cadence.MONTHS, 1)),
    (r"(?:bi-?monthly|every (?:other|second) month)", lambda m: Frequency(Cadence.MONTHS, 2)),
    (r"(?:quarterly)", lambda m: Frequency(Cadence.MONTHS, 3)),
    (r"(?:half-?yearly|twice a year)", lambda m: Frequency(Cadence.MONTHS, 6)),
    (r"every (\w+) months?", lambda m: Frequency(Cadence.MONTHS, _number(m.group(1)))),
    (r"(?:(weekly|every (\w+) weeks?) )?(?:during|in) the first (\w+) months? (?:after|from) (?:the )?start"
     r"(?: date)?",
     lambda m: Frequency(Cadence.FIRST_MONTHS, _number(m.group(3)),
                         _number(m.group(2)) if m.group(2) else 1)),
    (r"from (?:the )?start(?: date)?,? then every (\w+) months?",
     lambda m: Frequency(Cadence.FROM_START, _number(m.group(1)))),
]
KNOWN = ("weekly", "every 2 weeks", "twice a month", "monthly", "every 2 months", "every 3 months",
         "every 6 months", "during the first 3 months after the start date",
         "from the start date, then every 3 months")


def _number(word: str) -> int:
    if word.isdigit():
        return int(word)
    if word in _NUMBER_WORDS:
        return _NUMBER_WORDS[word]
    raise FrequencyError(f"'{word}' is not a number")


def parse_frequency(text: str) -> Frequency:
    """The frequency a phrase names. Raises ``FrequencyError`` naming the phrases it understands."""
    said = re.sub(r"\s+", " ", str(text or "")).strip().lower().rstrip(".")
    for pattern, make in _PATTERNS:
        match = re.fullmatch(pattern, said)
        if match:
            return make(match)  # type: ignore[operator]
    raise FrequencyError(f"'{text}' is not a frequency the tool understands; say it like one of: "
                         + "; ".join(KNOWN))


@dataclass(frozen=True)
class Window:
    """The days an occurrence may be placed in (both ends included); ``due`` names the occurrence."""

    start: date
    end: date
    due: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def _month_end(day: date) -> date:
    return day + relativedelta(day=31)


def windows(frequency: Frequency, first: date, last: date, *, phase: int = 0,
            start_date: date | None = None, week_starts_on: int = 0) -> list[Window]:
    """The windows of ``frequency`` that overlap ``first``..``last``. ``phase`` staggers people on the same
    grid (two caseworkers seen every 2 weeks fall in alternate weeks); ``start_date`` is the person's, for the
    cadences that count from it (none without it); weekly windows begin on ``week_starts_on`` (Monday = 0,
    Sunday = 6), so a Sunday-to-Thursday week is one window."""
    if last < first:
        return []
    found: list[Window] = []
    if frequency.cadence is Cadence.WEEKS:
        n = frequency.every
        begin = EPOCH_MONDAY + timedelta(days=week_starts_on - 7 if week_starts_on else 0, weeks=phase % n)
        for start in rrule(WEEKLY, interval=n, dtstart=begin, until=last):
            day = start.date()
            if day + timedelta(weeks=n, days=-1) >= first:
                found.append(Window(day, day + timedelta(weeks=n, days=-1), day))
    elif frequency.cadence is Cadence.TWICE_A_MONTH:
        for start in rrule(MONTHLY, dtstart=first.replace(day=1), until=last):
            month = start.date()
            for window in (Window(month, month.replace(day=15), month),
                           Window(month.replace(day=16), _month_end(month), month.replace(day=16))):
                if window.end >= first and window.start <= last:
                    found.append(window)
    elif frequency.cadence is Cadence.MONTHS:
        n = frequency.every
        begin = EPOCH_MONTH + relativedelta(months=phase % n)
        for start in rrule(MONTHLY, interval=n, dtstart=begin, until=last):
            month = start.date()
            window = Window(month, _month_end(month + relativedelta(months=n - 1)), month)
            if window.end >= first:
                found.append(window)
    elif start_date is not None and frequency.cadence is Cadence.FIRST_MONTHS:
        until = start_date + relativedelta(months=frequency.every) - timedelta(days=1)
        step = frequency.weeks
        for start in rrule(WEEKLY, interval=step, dtstart=start_date, until=min(until, last)):
            day = start.date()
            window = Window(day, min(day + timedelta(weeks=step, days=-1), until), day)
            if window.end >= first:
                found.append(window)
    elif start_date is not None and frequency.cadence is Cadence.FROM_START:
        k = 0
        while True:
            due = start_date + relativedelta(months=k * frequency.every)  # from the start date, never drifting
            if due - timedelta(days=7) > last:
                break
            # The first right after recruitment (within two weeks); the others in the fortnight around the date.
            window = (Window(due, due + timedelta(days=13), due) if k == 0
                      else Window(due - timedelta(days=7), due + timedelta(days=6), due))
            if window.end >= first:
                found.append(window)
            k += 1
    return found
