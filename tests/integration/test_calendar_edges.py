"""The days a calendar is most likely to be got wrong on: 29 February and 31 December. The flows that depend on
today's date (the example organisation with its months of reviews, calendars and actions; staff with start dates,
typed or imported; each month's reports, indicators and standards) run again with the clock frozen on each."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from pypdf import PdfReader
from sqlalchemy import select

from accounts.models import Account, Team
from accounts.services import build_actor
from accounts.staff import StaffDraft
from core.db import session_scope

FROZEN_DAYS = [datetime(2028, 2, 29, 10, 30, tzinfo=UTC), datetime(2026, 12, 31, 22, 45, tzinfo=UTC)]


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)


@pytest.mark.parametrize("moment", FROZEN_DAYS, ids=lambda m: m.date().isoformat())
def test_every_dated_flow_works_on_the_edge_days(engine, moment):
    import icalendar

    from accounts.staff_import import import_staff
    from accounts.staff_services import create_staff, update_staff
    from app.example import load_example
    from checklists import reports as review_reports
    from checklists.models import CaseFileReview
    from management.reports import export_monthly_report
    from management.services import indicators
    from supervision import reports as calendar_reports
    from supervision.services.compliance import ratios, standards

    with time_machine.travel(moment, tick=False):
        today = date.today()
        assert today == moment.date()
        with session_scope(engine) as session:
            load_example(session)  # months of case files, reviews, sessions and actions, counted back from today
            ids = dict(session.execute(select(Account.username, Account.id)).all())
            admin = build_actor(session, ids["demo-admin"])
            manager = build_actor(session, ids["demo-manager"])
            team_id = session.scalar(select(Team.id).where(Team.name == "East team"))
        with session_scope(engine, actor=admin) as session:
            agency_id = admin.agency_id or manager.agency_id
            staff_id = create_staff(session, actor=admin, draft=StaffDraft(
                full_name="Leap Day Starter", programme_role="caseworker", agency_id=agency_id, start_date=today))
            update_staff(session, actor=admin, staff_member_id=staff_id, draft=StaffDraft(
                full_name="Leap Day Starter", programme_role="caseworker", agency_id=agency_id,
                start_date=today + timedelta(days=300)), expected_version=1)
        with session_scope(engine, actor=admin) as session:
            csv_text = ("full_name,programme_role,agency,team,start_date,gender,email,active\n"
                        f"Imported On The Day,caseworker,Brightpath Children's Aid (example),East team,{today.isoformat()},"
                        "female,,yes\n")
            report = import_staff(session, actor=admin, filename="staff.csv", content=csv_text.encode())
            assert report.created == 1
        with session_scope(engine, actor=manager) as session:
            month = today.replace(day=1)
            review_id = session.scalar(select(CaseFileReview.id).where(CaseFileReview.status == "completed")
                                       .order_by(CaseFileReview.month.desc()).limit(1))
            assert "Case file review" in _pdf_text(review_reports.export_review_pdf(session, actor=manager,
                                                                                     review_id=review_id))
            scope = calendar_reports.Scope(team_id, "team")
            calendar = icalendar.Calendar.from_ical(calendar_reports.export_calendar_ics(session, actor=manager,
                                                                                         scope=scope))
            assert list(calendar.walk("VEVENT"))
            last = month + timedelta(days=40)
            assert _pdf_text(calendar_reports.export_calendar_pdf(session, actor=manager, scope=scope, first=month,
                                                                  last=last.replace(day=1) - timedelta(days=1)))
            for fmt in ("pdf", "xlsx"):
                assert export_monthly_report(session, actor=manager, month=month, fmt=fmt)
                assert export_monthly_report(session, actor=manager, month=(month - timedelta(days=1)).replace(
                    day=1), fmt=fmt)
            assert standards(session, actor=manager, team_id=team_id)
            assert ratios(session, actor=manager, team_id=team_id)
            scope = indicators.agency_scope(session, actor=manager)
            months = [(month - timedelta(days=31 * n)).replace(day=1) for n in (2, 1, 0)]
            assert indicators.indicator_figures(session, scope=scope, months=months)
