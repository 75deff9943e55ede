"""The guidelines' indicators (section 2.1.5.A) and the other management figures as plain values: each figure
keeps its numerator and denominator, so every page and report can say what it is computed over, and the change
from one month to the next. No database here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dateutil.relativedelta import relativedelta

# Indicator keys, in the order pages and reports show them; messages ``indicator.<key>.*``.
ASSESSMENT_ON_TIME = "assessment_on_time"
PLAN_REVIEW_ON_TIME = "plan_review_on_time"
OBJECTIVES_ACHIEVED = "objectives_achieved"
CASELOAD = "caseload"  # open cases per caseworker at the month's end, per risk level (``caseload.<level>``)
SUPERVISORS_TRAINED = "supervisors_trained"
SUPERVISION_HELD = "supervision_held"
ACTIONS_ON_TIME = "actions_on_time"
REVIEW_SCORE = "review_score"
RISK_LEVELS = ("high", "medium", "low", "no_risk")
CASELOAD_KEYS = tuple(f"{CASELOAD}.{level}" for level in RISK_LEVELS)
KEYS = (ASSESSMENT_ON_TIME, PLAN_REVIEW_ON_TIME, OBJECTIVES_ACHIEVED, *CASELOAD_KEYS, SUPERVISORS_TRAINED,
        SUPERVISION_HELD, ACTIONS_ON_TIME, REVIEW_SCORE)
PERCENT_KEYS = (ASSESSMENT_ON_TIME, PLAN_REVIEW_ON_TIME, OBJECTIVES_ACHIEVED, SUPERVISORS_TRAINED,
                SUPERVISION_HELD, ACTIONS_ON_TIME)
# Where a higher figure is better (a lower caseload is better only up to a point: shown without a direction).
HIGHER_IS_BETTER = (*PERCENT_KEYS, REVIEW_SCORE)


@dataclass(frozen=True)
class Figure:
    """One indicator for one month: ``numerator`` over ``denominator``. A percentage for rates, a ratio for
    caseloads (cases per caseworker), a mean for review scores (sum of scores over reviews)."""

    key: str
    month: date
    numerator: float
    denominator: float

    @property
    def value(self) -> float | None:
        if not self.denominator:
            return None
        if self.key in PERCENT_KEYS:
            return round(100 * self.numerator / self.denominator, 1)
        return round(self.numerator / self.denominator, 1)


def change(current: Figure | None, previous: Figure | None) -> float | None:
    """The month-on-month change in the figure's own unit (percentage points for rates); none when either month
    has no figure."""
    if current is None or previous is None or current.value is None or previous.value is None:
        return None
    return round(current.value - previous.value, 1)


def direction(key: str, delta: float | None) -> str:
    """better | worse | same | "" (no figure, or no better direction), in words for pages and reports."""
    if delta is None or key not in HIGHER_IS_BETTER:
        return ""
    if delta == 0:
        return "same"
    return "better" if delta > 0 else "worse"


def months_ending(last: date, count: int) -> list[date]:
    """The first days of the ``count`` months ending with ``last``'s month, oldest first."""
    end = last.replace(day=1)
    return [end - relativedelta(months=n) for n in range(count - 1, -1, -1)]


def month_end(month: date) -> date:
    """The last day of the month starting ``month``."""
    return month + relativedelta(months=1, days=-1)


def next_month(month: date) -> date:
    return month + relativedelta(months=1)
