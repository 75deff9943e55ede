"""Monthly sampling: which case files a supervisor reviews for each caseworker this month. No database.

For each caseworker: high-risk files first, then the files not reviewed for longest (never reviewed first), then a
reproducible random pick (seeded by the month and the caseworker, so the same month proposes the same files to
everyone who looks, and next month a different draw).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from checklists.timeliness import RiskLevel


@dataclass(frozen=True)
class Candidate:
    case_file_id: int
    case_code: str
    risk_level: str
    last_reviewed_on: date | None


def propose(candidates: Sequence[Candidate], *, month: date, caseworker_id: int, count: int) -> list[Candidate]:
    """The ``count`` files to review, in order of priority."""
    draw = random.Random(f"{month:%Y-%m}:{caseworker_id}")
    ids = sorted(c.case_file_id for c in candidates)
    draw.shuffle(ids)
    rank = {case_file_id: position for position, case_file_id in enumerate(ids)}
    ordered = sorted(candidates, key=lambda c: (c.risk_level != RiskLevel.HIGH, c.last_reviewed_on or date.min,
                                                rank[c.case_file_id]))
    return ordered[:max(0, count)]
