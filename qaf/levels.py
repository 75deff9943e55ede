"""The QAF levels (``core.levels``) and how a component's level follows from the Change Grid actions in place."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from core.levels import LEVEL_COLOURS, LEVEL_TEXT_COLOURS, Level, level_label

__all__ = ["COLUMN_TARGETS", "LEVEL_COLOURS", "LEVEL_TEXT_COLOURS", "Level", "derive_level", "level_label"]

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
