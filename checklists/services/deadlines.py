"""The case files' deadlines for the two timeliness indicators, kept in ``case_file_deadlines`` so dashboards and
reports count them with GROUP BY. Rewritten after every change to a case file (entered, edited, imported) and to
an agency's timeframes; rebuilt at start-up for files that have none (after a restore or an upgrade). Figures are
then counted by ``indicator_counts``: met over decided, a pending deadline counting as decided (overdue) once it
has passed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, case, delete, func, insert, or_, select
from sqlalchemy.orm import Session

from accounts.models import StaffMember
from checklists.models import CaseFile, CaseFileDeadline
from checklists.services.case_files import dates_of
from checklists.services.templates import current_settings
from checklists.timeliness import indicator_deadlines
from core.records import month_bucket

BATCH = 2_000


def refresh_deadlines(session: Session, *, case_file_ids: Iterable[int] | None = None,
                      agency_id: int | None = None, today: date | None = None) -> int:
    """Recompute the deadlines of these case files (or of every file of an agency); returns how many files."""
    today = today or date.today()
    query = select(CaseFile)
    if case_file_ids is not None:
        ids = list(case_file_ids)
        if not ids:
            return 0
        query = query.where(CaseFile.id.in_(ids))
    if agency_id is not None:
        query = query.where(CaseFile.agency_id == agency_id)
    timeframes: dict[int, object] = {}
    done = 0
    rows: list[dict] = []
    stale: list[int] = []
    for row in session.execute(query.execution_options(yield_per=BATCH)).scalars():
        if row.agency_id not in timeframes:
            timeframes[row.agency_id] = current_settings(session, row.agency_id).settings.timeframes
        stale.append(row.id)
        for found in indicator_deadlines(dates_of(row), timeframes[row.agency_id], today):  # type: ignore[arg-type]
            rows.append({"case_file_id": row.id, "agency_id": row.agency_id, "caseworker_id": row.caseworker_id,
                         "step": found.step, "due_on": found.due_on, "done_on": found.done_on,
                         "outcome": found.outcome, "risk_level": found.risk_level})
        done += 1
        if len(stale) >= BATCH:
            _write(session, stale, rows)
            stale, rows = [], []
    _write(session, stale, rows)
    return done


def _write(session: Session, stale: list[int], rows: list[dict]) -> None:
    if stale:
        session.execute(delete(CaseFileDeadline).where(CaseFileDeadline.case_file_id.in_(stale)))
    if rows:
        session.execute(insert(CaseFileDeadline.__table__), rows)  # the table's plain executemany: on psycopg
        # the ORM's bulk path took ten times as long for the same rows


def fill_missing_deadlines(session: Session) -> int:
    """Deadlines for the case files that have none (a restore, an upgrade, data written in bulk)."""
    missing = session.scalars(select(CaseFile.id).where(~select(CaseFileDeadline.id).where(
        CaseFileDeadline.case_file_id == CaseFile.id).exists())).all()
    done = 0
    for start in range(0, len(missing), BATCH):
        done += refresh_deadlines(session, case_file_ids=missing[start:start + BATCH])
    return done


@dataclass(frozen=True)
class DeadlineRecord:
    case_file_id: int
    case_code: str
    caseworker_name: str
    due_on: date
    done_on: date | None
    status: str  # met | missed | overdue


def _decided(as_of: date) -> ColumnElement[bool]:
    return or_(CaseFileDeadline.outcome.in_(("met", "missed")),
               and_(CaseFileDeadline.outcome == "pending", CaseFileDeadline.due_on < as_of))


def indicator_counts(session: Session, *, conditions: list[ColumnElement[bool]], months: list[date],
                     as_of: date, group_by: ColumnElement | None = None) -> dict[tuple, tuple[int, int]]:
    """(month, step[, group]) -> (met, decided) for the deadlines meeting ``conditions`` (on CaseFileDeadline)
    that fell in ``months`` (first days, oldest first). A deadline still pending counts once it has passed
    ``as_of``. Counted by the database."""
    from dateutil.relativedelta import relativedelta

    bucket = month_bucket(CaseFileDeadline.due_on, months)
    columns = [bucket, CaseFileDeadline.step] + ([group_by] if group_by is not None else [])
    rows = session.execute(
        select(*columns, func.sum(case((CaseFileDeadline.outcome == "met", 1), else_=0)),
               func.sum(case((_decided(as_of), 1), else_=0)))
        .where(*conditions, CaseFileDeadline.due_on >= months[0],
               CaseFileDeadline.due_on < months[-1] + relativedelta(months=1))
        .group_by(*columns)).all()
    found: dict[tuple, tuple[int, int]] = defaultdict(lambda: (0, 0))
    for row in rows:
        index, step, *group, met, decided = row
        if index is not None:
            found[(months[index], step, *group)] = (int(met or 0), int(decided or 0))
    return found


def indicator_records(session: Session, *, conditions: list[ColumnElement[bool]], step: str, first: date,
                      last: date, as_of: date) -> list[DeadlineRecord]:
    """The decided deadlines of one step that fell from ``first`` to ``last``: what a figure is computed over."""
    rows = session.execute(
        select(CaseFile.id, CaseFile.case_code, StaffMember.full_name, CaseFileDeadline.due_on,
               CaseFileDeadline.done_on, CaseFileDeadline.outcome)
        .join(CaseFile, CaseFile.id == CaseFileDeadline.case_file_id)
        .join(StaffMember, StaffMember.id == CaseFileDeadline.caseworker_id)
        .where(*conditions, CaseFileDeadline.step == step, CaseFileDeadline.due_on >= first,
               CaseFileDeadline.due_on <= last, _decided(as_of))
        .order_by(CaseFileDeadline.due_on, CaseFile.case_code)).all()
    return [DeadlineRecord(i, code, name, due, done, "overdue" if outcome == "pending" else outcome)
            for i, code, name, due, done, outcome in rows]
