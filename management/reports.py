"""Exports of the management views: the tracker as filtered (Excel, CSV) and the monthly management report
(PDF with charts, and the same figures as a workbook). Every cell and paragraph of user text goes through the one
cleaning function of ``core.reports``."""

from __future__ import annotations

from datetime import date

from openpyxl import Workbook
from sqlalchemy.orm import Session

from core.actor import Actor
from core.i18n import format_datetime, t
from core.reports.spreadsheet import csv_bytes, workbook_bytes, write_sheet
from management.services.tracker import TrackedAction, TrackerFilters, record_export, tracked_actions

TRACKER_COLUMNS = ("id", "source", "source_record", "item", "item_name", "action", "owner", "agency", "team",
                   "due_on", "due_state", "priority", "status", "completed", "updated", "updated_by")


def due_state(action: TrackedAction) -> str:
    if action.overdue:
        return t("tracker.due.overdue")
    if action.due_soon:
        return t("tracker.due.soon")
    return ""


def tracker_rows(actions: list[TrackedAction]) -> list[list[object]]:
    return [[a.id, t(f"tracker.source.{a.source_kind}"), a.source_label, a.item, a.item_label, a.text, a.owner,
             a.agency, a.team, a.due_on, due_state(a), t(f"improvement_action.priority.{a.priority}"),
             t(f"improvement_action.status.{a.status}"),
             f"{format_datetime(a.completed_at)} · {a.completed_by}" if a.completed_at else "",
             format_datetime(a.updated_at) if a.updated_at else "", a.updated_by] for a in actions]


def tracker_headers() -> list[str]:
    return [t(f"tracker.col.{c}") for c in TRACKER_COLUMNS]


def export_tracker(session: Session, *, actor: Actor, filters: TrackerFilters, fmt: str,
                   today: date | None = None) -> bytes:
    """Exactly what the tracker shows with these filters, in its order; audited like every export."""
    found = tracked_actions(session, actor=actor, filters=filters, today=today).actions
    rows = tracker_rows(found)
    record_export(session, count=len(found), fmt=fmt)
    if fmt == "csv":
        return csv_bytes(tracker_headers(), rows)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = t("tracker.sheet")[:31]
    write_sheet(sheet, tracker_headers(), rows, [7, 16, 28, 8, 30, 50, 26, 18, 18, 13, 12, 10, 12, 26, 18, 18],
                date_columns=[10])
    return workbook_bytes(workbook)
