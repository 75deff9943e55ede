"""Assessment rules that need no database: what a valid assessment looks like, how results are summarised,
which components need attention first."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from core.i18n import t
from qaf.framework import Component, Framework
from qaf.levels import Level, derive_level

SCOPES = ("agency", "inter_agency")
MAX_NAME = 200


@dataclass
class ParticipantEntry:
    name: str
    agency: str = ""
    role: str = ""


@dataclass
class AssessmentDetails:
    name: str
    country: str
    scope: str
    assessed_on: date | None
    facilitator: str
    agencies: list[str] = field(default_factory=list)
    participants: list[ParticipantEntry] = field(default_factory=list)


def validate_details(details: AssessmentDetails) -> dict[str, str]:
    errors: dict[str, str] = {}
    for name in ("name", "country", "facilitator"):
        value = (getattr(details, name) or "").strip()
        if not value:
            errors[name] = t(f"assessment.error.{name}_required")
        elif len(value) > MAX_NAME:
            errors[name] = t("common.error.too_long", limit=MAX_NAME)
    if details.scope not in SCOPES:
        errors["scope"] = t("assessment.error.scope")
    if details.assessed_on is None:
        errors["assessed_on"] = t("assessment.error.date_required")
    for index, participant in enumerate(details.participants, start=1):
        if not participant.name.strip():
            errors["participants"] = t("assessment.error.participant_name", line=index)
            break
        if max(len(participant.name), len(participant.agency), len(participant.role)) > MAX_NAME:
            errors["participants"] = t("assessment.error.participant_too_long", line=index, limit=MAX_NAME)
            break
    if any(len(a) > MAX_NAME for a in details.agencies):
        errors["agencies"] = t("common.error.too_long", limit=MAX_NAME)
    return errors


@dataclass(frozen=True)
class ComponentResult:
    component: Component
    scored: bool
    in_place: frozenset[str] = frozenset()
    derived_level: Level = Level.CRITICAL
    agreed_level: Level | None = None
    level_reason: str = ""
    notes: str = ""
    updated_at: datetime | None = None
    version_id: int = 0  # 0: not saved yet
    updated_by: str = ""
    from_baseline: bool = False  # copied from the baseline, not yet confirmed or changed

    @property
    def level(self) -> Level | None:
        return self.agreed_level if self.scored else None


def result_for(component: Component, in_place: Iterable[str] | None, agreed: Level | None = None) -> ComponentResult:
    if in_place is None:
        return ComponentResult(component=component, scored=False)
    present = frozenset(in_place)
    derived = derive_level(component.column_action_ids, present)
    return ComponentResult(
        component=component, scored=True, in_place=present, derived_level=derived,
        agreed_level=derived if agreed is None else agreed,
    )


@dataclass(frozen=True)
class LevelSummary:
    results: list[ComponentResult]

    @property
    def scored_count(self) -> int:
        return sum(1 for r in self.results if r.scored)

    @property
    def total(self) -> int:
        return len(self.results)

    @property
    def counts(self) -> dict[Level, int]:
        counted = Counter(r.agreed_level for r in self.results if r.scored and r.agreed_level is not None)
        return {level: counted.get(level, 0) for level in Level}

    def needing_attention(self) -> list[ComponentResult]:
        """Scored components below Meets minimum levels, the lowest first, then in framework order.

        The QAF treats Critical to address and Requires improvement as the levels to act on first; within a
        level, framework order keeps the list stable and matches how the task force walked the grid.
        """
        below = [r for r in self.results if r.scored and r.agreed_level is not None
                 and r.agreed_level < Level.MEETS_MINIMUM]
        order = {r.component.code: i for i, r in enumerate(self.results)}
        return sorted(below, key=lambda r: (int(r.agreed_level or 0), order[r.component.code]))


def summarise(framework: Framework, results_by_code: dict[str, ComponentResult]) -> LevelSummary:
    return LevelSummary(
        results=[results_by_code.get(c.code) or ComponentResult(component=c, scored=False)
                 for c in framework.components()]
    )
