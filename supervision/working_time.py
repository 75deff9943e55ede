"""When supervision can happen: an agency's working days and hours, the most a supervisor spends on supervision in
a day, its time zone, and the days it is closed (public holidays from the ``holidays`` package for its country,
as edited by the agency, and closure days it adds or imports)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from functools import cache
from zoneinfo import available_timezones

import holidays
from babel import Locale

MONDAY, SUNDAY = 0, 6
# Countries where many child protection responses work; the rest the package knows follow.
RESPONSE_COUNTRIES = ("JO", "LB", "IQ", "SY", "YE", "BD", "SS", "UA", "TR", "PS", "SD", "SO", "ET", "KE", "UG",
                      "CD", "CF", "NG", "ML", "BF", "NE", "TD", "CM", "MZ", "AF", "PK", "MM", "CO", "VE", "HT")


@dataclass(frozen=True)
class WorkingCalendar:
    working_days: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # Monday = 0 ... Sunday = 6
    day_starts: time = time(8, 30)
    day_ends: time = time(16, 30)
    max_supervision_minutes: int = 240  # a supervisor's supervision time in one day, at most
    timezone: str = "UTC"
    country: str = ""
    closures: Mapping[date, str] = field(default_factory=dict)  # date -> holiday or closure name

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.working_days and day not in self.closures

    @property
    def week_starts_on(self) -> int:
        """The weekday a working week starts on: Sunday for a Sunday-to-Thursday week, otherwise Monday."""
        return SUNDAY if SUNDAY in self.working_days and 5 not in self.working_days else MONDAY

    def week_of(self, day: date) -> date:
        """The first day of ``day``'s working week."""
        return day - timedelta(days=(day.weekday() - self.week_starts_on) % 7)

    @property
    def day_minutes(self) -> int:
        return (self.day_ends.hour * 60 + self.day_ends.minute) - (self.day_starts.hour * 60 + self.day_starts.minute)

    def working_days_between(self, first: date, last: date) -> list[date]:
        return [first + timedelta(days=n) for n in range((last - first).days + 1)
                if self.is_working_day(first + timedelta(days=n))]


def public_holidays(country: str, years: Iterable[int]) -> dict[date, str]:
    """The public holidays the ``holidays`` package knows for ``country`` (ISO code) in ``years``; Islamic
    holidays are estimates there, so the agency checks and edits them."""
    if not country:
        return {}
    found = holidays.country_holidays(country, years=sorted(set(years)))
    return {day: str(name) for day, name in sorted(found.items())}


@cache
def supported_countries() -> tuple[str, ...]:
    """Every country the holidays package knows, the usual response countries first."""
    known = set(holidays.list_supported_countries())
    first = [c for c in RESPONSE_COUNTRIES if c in known]
    return (*first, *sorted(known - set(first), key=country_name))


def country_name(code: str) -> str:
    return Locale("en").territories.get(code, code) if code else ""


@cache
def time_zones() -> tuple[str, ...]:
    return tuple(sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))))
