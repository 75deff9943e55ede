"""Case file review settings as data: the SOP timeframes, the monthly sample size and the score thresholds.

The defaults are a data file (``content/review_settings.default.yaml``) validated against its schema; an agency's
own settings are stored as numbered versions of the same shape, and every review remembers the version it used.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from checklists.timeliness import Limit, RiskLevel, Step, Timeframes
from core.levels import Level

CONTENT_DIR = Path(__file__).resolve().parent / "content"
DEFAULT_SETTINGS = CONTENT_DIR / "review_settings.default.yaml"
SCHEMA_PATH = CONTENT_DIR / "review_settings.schema.json"


class SettingsError(ValueError):
    """The settings are invalid; the message names the bad entry."""


@dataclass(frozen=True)
class ScoreThresholds:
    """The lowest score (per cent) at which a review reaches each level above Critical to address."""

    requires_improvement: float = 50
    meets_minimum: float = 75
    good_practice: float = 90

    def level(self, percent: float) -> Level:
        if percent >= self.good_practice:
            return Level.GOOD_PRACTICE
        if percent >= self.meets_minimum:
            return Level.MEETS_MINIMUM
        if percent >= self.requires_improvement:
            return Level.REQUIRES_IMPROVEMENT
        return Level.CRITICAL


@dataclass(frozen=True)
class ReviewSettings:
    title: str
    timeframes: Timeframes
    files_per_caseworker: int
    thresholds: ScoreThresholds
    data: dict[str, Any]  # the data-file form, as stored


@cache
def _schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def settings_from_dict(data: Any) -> ReviewSettings:
    errors = sorted(jsonschema.Draft202012Validator(_schema()).iter_errors(data),
                    key=lambda e: list(e.absolute_path))
    if errors:
        where = ", ".join(str(p) for p in errors[0].absolute_path) or "top level"
        raise SettingsError(f"Review settings are invalid at {where}: {errors[0].message}")
    scoring = data["scoring"]
    thresholds = ScoreThresholds(float(scoring["requires_improvement"]), float(scoring["meets_minimum"]),
                                 float(scoring["good_practice"]))
    if not thresholds.requires_improvement <= thresholds.meets_minimum <= thresholds.good_practice:
        raise SettingsError("Review settings are invalid at scoring: each level's threshold must be at least the "
                            "one below it")
    limits = {Step(step): {RiskLevel(level): Limit(days=v.get("days", 0), months=v.get("months", 0))
                           for level, v in per_level.items()}
              for step, per_level in data["timeframes"].items()}
    return ReviewSettings(title=data["settings"]["title"], timeframes=Timeframes(limits),
                          files_per_caseworker=int(data["sampling"]["files_per_caseworker"]),
                          thresholds=thresholds, data=data)


@cache
def default_settings_data() -> dict[str, Any]:
    return yaml.safe_load(DEFAULT_SETTINGS.read_text(encoding="utf-8"))


def default_settings() -> ReviewSettings:
    return settings_from_dict(default_settings_data())
