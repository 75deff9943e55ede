from __future__ import annotations

import pytest

from qaf.levels import Level, derive_level

COLUMNS = [["a1", "a2"], ["b1", "b2", "b3"], ["c1"]]


@pytest.mark.parametrize(("in_place", "expected"), [
    (set(), Level.CRITICAL),
    ({"a1"}, Level.CRITICAL),
    ({"a1", "a2"}, Level.REQUIRES_IMPROVEMENT),
    ({"a1", "a2", "b1", "b2"}, Level.REQUIRES_IMPROVEMENT),
    ({"a1", "a2", "b1", "b2", "b3"}, Level.MEETS_MINIMUM),
    ({"a1", "a2", "b1", "b2", "b3", "c1"}, Level.GOOD_PRACTICE),
    # Later columns do not count while an earlier column has a gap.
    ({"a1", "b1", "b2", "b3", "c1"}, Level.CRITICAL),
    ({"a1", "a2", "b1", "c1"}, Level.REQUIRES_IMPROVEMENT),
])
def test_level_is_the_highest_whose_preceding_columns_are_complete(in_place, expected):
    assert derive_level(COLUMNS, in_place) == expected


def test_levels_are_ordered_and_named():
    assert Level.CRITICAL < Level.REQUIRES_IMPROVEMENT < Level.MEETS_MINIMUM < Level.GOOD_PRACTICE
    assert Level.from_key("meets_minimum") is Level.MEETS_MINIMUM
    assert Level.GOOD_PRACTICE.key == "good_practice"
