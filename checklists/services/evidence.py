"""Figures other features read about case files, without importing this feature: the application passes these
functions to them (``app.wiring``). They take ids the caller has already checked access to."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from checklists.models import CaseFile, CaseFileReview


def completed_reviews_by_month(session: Session, caseworker_ids: list[int], first: date,
                               last: date) -> dict[tuple[int, date], int]:
    """(caseworker id, first day of the month) -> completed case file reviews of their files that month."""
    rows = session.execute(select(CaseFileReview.caseworker_id, CaseFileReview.month, func.count()).where(
        CaseFileReview.caseworker_id.in_(caseworker_ids), CaseFileReview.status == "completed",
        CaseFileReview.month >= first.replace(day=1), CaseFileReview.month <= last)
        .group_by(CaseFileReview.caseworker_id, CaseFileReview.month)).all()
    found: dict[tuple[int, date], int] = defaultdict(int)
    for caseworker, month, count in rows:
        found[(caseworker, month)] += count
    return dict(found)


def open_caseloads(session: Session, caseworker_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Caseworker id -> (open case files, of which high risk), for the case files kept in the tool."""
    rows = session.execute(select(CaseFile.caseworker_id, func.count(),
                                  func.sum(case((CaseFile.risk_level == "high", 1), else_=0))).where(
        CaseFile.caseworker_id.in_(caseworker_ids), CaseFile.status == "open").group_by(CaseFile.caseworker_id)).all()
    return {caseworker: (int(count), int(high or 0)) for caseworker, count, high in rows}
