"""The four quality levels of the QAF, shared by every feature that rates something on them: a QAF component, a
case file review's score, a dashboard indicator."""

from __future__ import annotations

from enum import IntEnum

from core.i18n import t


class Level(IntEnum):
    CRITICAL = 0
    REQUIRES_IMPROVEMENT = 1
    MEETS_MINIMUM = 2
    GOOD_PRACTICE = 3

    @property
    def key(self) -> str:
        return self.name.lower()

    @classmethod
    def from_key(cls, key: str) -> Level:
        return cls[key.upper()]


# Colours used on screen and in print: red, amber, light green, green.
LEVEL_COLOURS = {
    Level.CRITICAL: "#C62828",
    Level.REQUIRES_IMPROVEMENT: "#EF8F00",
    Level.MEETS_MINIMUM: "#7CB342",
    Level.GOOD_PRACTICE: "#2E7D32",
}
LEVEL_TEXT_COLOURS = {
    Level.CRITICAL: "#FFFFFF",
    Level.REQUIRES_IMPROVEMENT: "#000000",
    Level.MEETS_MINIMUM: "#000000",
    Level.GOOD_PRACTICE: "#FFFFFF",
}


def level_label(level: Level | None) -> str:
    """The level's name as people read it, or "Not scored yet"."""
    return t(f"level.{level.key}") if level is not None else t("level.not_scored")
