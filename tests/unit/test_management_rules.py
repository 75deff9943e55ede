"""The indicator arithmetic and the evidence map, with no database."""

from __future__ import annotations

from datetime import date

import pytest

from improvement_actions.rules import is_due_soon, is_overdue, validate_action
from management import indicators as ind
from management.evidence_map import EvidenceMapError, default_evidence_map, evidence_map_from_dict
from management.indicators import Figure, change, direction, month_end, months_ending


def test_a_figure_is_a_percentage_a_ratio_or_a_mean_and_nothing_without_a_denominator():
    assert Figure(ind.ASSESSMENT_ON_TIME, date(2026, 10, 1), 1, 3).value == 33.3
    assert Figure("caseload.high", date(2026, 10, 1), 3, 2).value == 1.5
    assert Figure(ind.REVIEW_SCORE, date(2026, 10, 1), 140.0, 2).value == 70.0
    assert Figure(ind.ASSESSMENT_ON_TIME, date(2026, 10, 1), 0, 0).value is None


def test_month_on_month_change_and_its_direction():
    october = Figure(ind.SUPERVISION_HELD, date(2026, 10, 1), 1, 4)
    november = Figure(ind.SUPERVISION_HELD, date(2026, 11, 1), 3, 4)
    assert change(november, october) == 50.0 and direction(ind.SUPERVISION_HELD, 50.0) == "better"
    assert direction(ind.SUPERVISION_HELD, -1) == "worse" and direction(ind.SUPERVISION_HELD, 0) == "same"
    assert direction("caseload.high", 2.0) == ""  # more cases is not simply better or worse
    assert change(november, Figure(ind.SUPERVISION_HELD, date(2026, 10, 1), 0, 0)) is None


def test_months_end_where_they_should():
    assert months_ending(date(2026, 3, 31), 3) == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    assert month_end(date(2028, 2, 1)) == date(2028, 2, 29)


def test_overdue_and_due_soon_are_for_open_actions_only():
    today = date(2026, 11, 20)
    assert is_overdue(date(2026, 11, 19), "in_progress", today) and not is_overdue(date(2026, 11, 19), "done", today)
    assert is_due_soon(date(2026, 12, 4), "not_started", today) and not is_due_soon(date(2026, 12, 5), "not_started",
                                                                                    today)


def test_done_needs_a_note_of_evidence():
    values = {"text": "Train", "owner_person": "Zoé", "owner_agency": "", "owner_staff_member_id": None,
              "owner_agency_id": None, "due_on": date(2027, 1, 1), "resources": "", "priority": "high",
              "status": "done", "progress_notes": ""}
    assert "evidence" in validate_action(values, not_before=None)["progress_notes"]
    assert validate_action({**values, "progress_notes": "Signed attendance list"}, not_before=None) == {}


def test_the_shipped_evidence_map_points_at_real_indicators_and_items():
    mapping = default_evidence_map()
    assert mapping.for_component("2b").indicators == (ind.ASSESSMENT_ON_TIME,)
    assert "3.1" in mapping.for_component("2b").checklist_items
    assert "capacity_assessed" in mapping.for_component("5d").workforce


@pytest.mark.parametrize(("data", "where"), [
    ({"version": "1", "framework": "f", "checklist": "c", "months": 6, "components": {"2b": {"indicators":
                                                                                            ["no_such"]}}},
     "no indicator no_such"),
    ({"version": "1", "framework": "f", "checklist": "c", "months": 0, "components": {"2b": {"indicators": []}}},
     "months"),
    ({"version": "1", "framework": "f", "checklist": "c", "months": 6, "components": {"2b": {"colour": "red"}}},
     "components, 2b"),
])
def test_a_broken_evidence_map_is_refused_naming_where(data, where):
    with pytest.raises(EvidenceMapError, match=where):
        evidence_map_from_dict(data)
