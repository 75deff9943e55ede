"""Generic pieces every service uses: load a row or say it is gone, refuse to save over a change the person has
not seen (optimistic locking, with who made the change and when), and count by month in the database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import TypeVar

from dateutil.relativedelta import relativedelta
from sqlalchemy import ColumnElement, and_, case
from sqlalchemy.orm import Session

from core.errors import Conflict, NotFound
from core.i18n import format_datetime, t

Row = TypeVar("Row")


def as_utc(moment: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; we only ever store UTC, so naive means UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def get_or_raise(session: Session, model: type[Row], row_id: int | None, message_key: str) -> Row:
    """The row with this id, or ``NotFound`` with the message ``message_key`` says."""
    row = session.get(model, row_id) if row_id is not None else None
    if row is None:
        raise NotFound(t(message_key))
    return row


def check_version(row: object, expected_version: int | None) -> None:
    """Optimistic locking: refuse to save over a change the user has not seen, saying who made it and when.
    ``None`` means the caller did not load the row on a page (no check); ``-1`` means the caller expected no row
    at all, so any stored version conflicts."""
    if expected_version is None or getattr(row, "version_id", None) == expected_version:
        return
    when = getattr(row, "updated_at", None)
    raise Conflict(t("common.error.conflict", who=getattr(row, "updated_by_name", "") or "?",
                     when=format_datetime(as_utc(when)) if when else "?"))


def month_bucket(column: ColumnElement, months: Sequence[date | datetime]) -> ColumnElement[int]:
    """The index of the month ``column`` falls in (None outside), for GROUP BY: months given by their first day
    (or first moment, for a timestamp column), as CASE buckets, so the same query runs on SQLite and PostgreSQL
    (their date functions differ)."""
    return case(*[(and_(column >= m, column < m + relativedelta(months=1)), i) for i, m in enumerate(months)],
                else_=None)
