"""The four QAF levels and how a component's level follows from the Change Grid actions in place."""

from __future__ import annotations

from collections.abc import Collection, Sequence
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

# The Change Grid's columns, in order: column n holds the actions that move a component up to level n.
COLUMN_TARGETS = (Level.REQUIRES_IMPROVEMENT, Level.MEETS_MINIMUM, Level.GOOD_PRACTICE)


def derive_level(column_action_ids: Sequence[Collection[str]], in_place: Collection[str]) -> Level:
    """A component is at the highest level whose preceding columns are fully in place.

    Column 1 complete -> Requires improvement; columns 1 and 2 -> Meets minimum levels; all three -> Good practice.
    Actions in place in a later column do not count while an earlier column has gaps.
    """
    present = set(in_place)
    level = Level.CRITICAL
    for target, column in zip(COLUMN_TARGETS, column_action_ids, strict=True):
        if not set(column) <= present:
            break
        level = target
    return level


def level_label(level: Level | None) -> str:
    """The level's name as people read it, or "Not scored yet"."""
    return t(f"level.{level.key}") if level is not None else t("level.not_scored")
