"""Long lists come a page at a time (AppTest, SQLite and PostgreSQL): the tracker, the audit trail and the case
files show the first 100 rows with where they stand in the whole list, go to the next page and back, and return
to the first page when the filters change; counts are over every match, not the page."""

from __future__ import annotations

import uuid

from sqlalchemy import func, inspect, select

from checklists.models import CaseFile
from core.audit import record_event
from core.db import session_scope
from improvement_actions.models import ImprovementAction
from tests.app.helpers import button, by_label, errors, texts


def _copies(engine, model, count: int, change) -> int:  # type: ignore[no-untyped-def]
    """``count`` more rows like the first of ``model``'s (new ids and UUIDs, ``change`` applied to each)."""
    with session_scope(engine) as session:
        first = session.scalars(select(model).order_by(model.id)).first()
        columns = [c.key for c in inspect(model).column_attrs if c.key not in ("id", "uuid")]
        for n in range(count):
            row = model(**{c: getattr(first, c) for c in columns})
            row.uuid = uuid.uuid4()
            change(row, n)
            session.add(row)
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(model))


def _rows(at) -> int:  # type: ignore[no-untyped-def]
    return len(at.dataframe[0].value)


def _table(at) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(str(v) for v in at.dataframe[0].value.to_numpy().flatten())


def test_the_tracker_pages_through_every_action(open_page, example, app_engine):
    def change(row, n):  # type: ignore[no-untyped-def]
        row.text = f"Paged action {n:03d}"
    total = _copies(app_engine, ImprovementAction, 230, change)
    at = open_page("management/ui/tracker.py", example["demo-manager"])
    assert not errors(at)
    assert _rows(at) == 100
    assert f"Rows 1–100 of {total:,}" in texts(at)
    first_page = set(at.dataframe[0].value["id"])
    pages = -(-total // 100)
    button(at, "Next").click().run()
    assert f"Rows 101–200 of {total:,}" in texts(at) and f"Page 2 of {pages}" in texts(at)
    assert not first_page & set(at.dataframe[0].value["id"])  # another page, not the same rows again
    for _ in range(pages - 2):
        button(at, "Next").click().run()
    last = 100 * (pages - 1)
    assert _rows(at) == total - last and f"Rows {last + 1}–{total} of {total}" in texts(at)
    assert button(at, "Next").disabled
    button(at, "Previous").click().run()
    assert f"Page {pages - 1} of {pages}" in texts(at)
    # A filter: back to the first page, and the counts are over every match, not the page
    by_label(at.text_input, "Owner").input("nobody of that name").run()
    assert "No action matches." in texts(at) and "Page" not in texts(at)


def test_the_audit_trail_counts_every_record_and_pages(open_page, example, app_engine):
    with session_scope(app_engine) as session:
        for n in range(260):
            record_event(session, action="export", entity_type="Report", summary=f"paged export {n}")
    at = open_page("accounts/ui/audit_trail.py", example["demo-admin"])
    with session_scope(app_engine) as session:
        from core.audit import AuditRecord
        total = session.scalar(select(func.count()).select_from(AuditRecord))
    assert f"{total:,} records match the filters, newest first" in texts(at)
    assert _rows(at) == 100 and "paged export 259" in _table(at)
    button(at, "Next").click().run()
    assert "Rows 101–200" in texts(at) and "paged export 159" in _table(at) and "paged export 259" not in _table(at)
    by_label(at.text_input, "Who").input("Example administrator").run()
    assert "Rows 101–" not in texts(at)  # the first page of the new list


def test_the_case_files_list_pages_and_filters_in_the_database(open_page, example, app_engine):
    def change(row, n):  # type: ignore[no-untyped-def]
        row.case_code = f"PAGE-{n:04d}"
    total = _copies(app_engine, CaseFile, 150, change)
    at = open_page("checklists/ui/case_files.py", example["demo-manager"])
    assert not errors(at)
    assert f"{total} of {total} case files match the filters." in texts(at) and _rows(at) == 100
    button(at, "Next").click().run()
    assert _rows(at) == total - 100
    by_label(at.text_input, "Case code contains").input("page-00").run()
    assert f"100 of {total} case files match the filters." in texts(at) and _rows(at) == 100
    by_label(at.text_input, "Case code contains").input("page-014").run()
    assert f"10 of {total} case files match the filters." in texts(at) and _rows(at) == 10
