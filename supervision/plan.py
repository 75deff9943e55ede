"""A team's supervision plan as plain data: which activities, how often, how long, at what time of day, and the
staffing ratios the team is checked against.

The defaults are a data file (``content/supervision_plan.default.yaml``) validated against its schema; a team's
plan is stored in the same shape. Frequencies are phrases a person would say (see ``frequency``)."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from supervision.frequency import Frequency, FrequencyError, parse_frequency

CONTENT_DIR = Path(__file__).resolve().parent / "content"
DEFAULT_PLAN = CONTENT_DIR / "supervision_plan.default.yaml"
SCHEMA_PATH = CONTENT_DIR / "supervision_plan.schema.json"


class PlanError(ValueError):
    """The plan is invalid; the message names the bad entry."""


class Activity(StrEnum):
    INDIVIDUAL = "individual_supervision"
    TEAM_MEETING = "case_management_meeting"
    CASE_FILE_REVIEW = "case_file_review"
    CAPACITY_ASSESSMENT = "capacity_assessment"
    OBSERVATION = "observation"
    SHADOWING = "shadowing"
    PEER_SUPPORT = "peer_support"
    CASE_DISCUSSION = "case_discussion"  # when needed: added by hand, never generated

    @property
    def whole_team(self) -> bool:
        """Held with the whole team at once (everyone is booked), rather than with one caseworker."""
        return self in (Activity.TEAM_MEETING, Activity.PEER_SUPPORT)


GENERATED = tuple(a for a in Activity if a is not Activity.CASE_DISCUSSION)


class TimeOfDay(StrEnum):
    MORNING = "morning"
    AFTERNOON = "afternoon"
    ANY = "any"


@dataclass(frozen=True)
class PlanEntry:
    activity: Activity
    frequency: Frequency
    minutes: int
    time_of_day: TimeOfDay = TimeOfDay.ANY
    enabled: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"activity": self.activity.value, "frequency": self.frequency.text, "minutes": self.minutes,
                "time_of_day": self.time_of_day.value, "enabled": self.enabled}


@dataclass(frozen=True)
class RatioLimits:
    caseload_limit: int = 25
    high_risk_weight: float = 2
    caseworkers_per_supervisor: int = 6
    cases_per_data_entry: int = 100
    supervisor_experience_years: float = 2

    def to_dict(self) -> dict[str, Any]:
        return {"caseload_limit": self.caseload_limit, "high_risk_weight": self.high_risk_weight,
                "caseworkers_per_supervisor": self.caseworkers_per_supervisor,
                "cases_per_data_entry": self.cases_per_data_entry,
                "supervisor_experience_years": self.supervisor_experience_years}


@dataclass(frozen=True)
class SupervisionPlan:
    title: str
    entries: tuple[PlanEntry, ...]
    ratios: RatioLimits

    def entry(self, activity: Activity) -> PlanEntry | None:
        return next((e for e in self.entries if e.activity is activity), None)

    def active(self) -> tuple[PlanEntry, ...]:
        return tuple(e for e in self.entries if e.enabled)

    def with_entry(self, changed: PlanEntry) -> SupervisionPlan:
        return replace(self, entries=tuple(changed if e.activity is changed.activity else e for e in self.entries))

    def to_dict(self) -> dict[str, Any]:
        return {"plan": {"title": self.title}, "activities": [e.to_dict() for e in self.entries],
                "ratios": self.ratios.to_dict()}


@cache
def _schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def plan_from_dict(data: Any) -> SupervisionPlan:
    """Validate and read a plan. Raises ``PlanError`` naming the first bad entry."""
    errors = sorted(jsonschema.Draft202012Validator(_schema()).iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        where = ", ".join(str(p) for p in errors[0].absolute_path) or "top level"
        raise PlanError(f"The supervision plan is invalid at {where}: {errors[0].message}")
    entries = []
    seen: set[str] = set()
    for index, raw in enumerate(data["activities"]):
        if raw["activity"] in seen:
            raise PlanError(f"The supervision plan is invalid at activities, {index}: "
                            f"{raw['activity']} is listed twice")
        seen.add(raw["activity"])
        try:
            frequency = parse_frequency(raw["frequency"])
        except FrequencyError as exc:
            raise PlanError(f"The supervision plan is invalid at activities, {index}, frequency: {exc}") from exc
        entries.append(PlanEntry(Activity(raw["activity"]), frequency, int(raw["minutes"]),
                                 TimeOfDay(raw["time_of_day"]), bool(raw["enabled"])))
    ratios = data["ratios"]
    return SupervisionPlan(data["plan"]["title"], tuple(entries), RatioLimits(
        int(ratios["caseload_limit"]), float(ratios["high_risk_weight"]), int(ratios["caseworkers_per_supervisor"]),
        int(ratios["cases_per_data_entry"]), float(ratios["supervisor_experience_years"])))


@cache
def _default_data() -> dict[str, Any]:
    return yaml.safe_load(DEFAULT_PLAN.read_text(encoding="utf-8"))


def default_plan_data() -> dict[str, Any]:
    return copy.deepcopy(_default_data())


@cache
def default_plan() -> SupervisionPlan:
    """The shipped plan, read and checked once: a SupervisionPlan is immutable, so every team without its own
    plan may share it."""
    return plan_from_dict(default_plan_data())
