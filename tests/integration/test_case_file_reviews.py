"""Case file reviews through the services, on SQLite and PostgreSQL: imports (good, bad, hostile, large), access
by id, sampling, reviews and their follow-up actions, reports read back, and the command line."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import date, timedelta

import pytest
from openpyxl import Workbook, load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select

from app.example import load_example
from checklists import reports
from checklists.models import CaseFile, CaseFileReview
from checklists.services import case_files, imports, reviews, sampling
from core.db import session_scope
from core.errors import Forbidden, ValidationFailed
from improvement_actions.models import ImprovementAction
from tests.conftest import PROJECT_ROOT, actor_for

TODAY = date.today()


@pytest.fixture
def example(engine, framework_version_id):
    from accounts.models import Account

    with session_scope(engine) as session:
        load_example(session)
        ids = dict(session.execute(select(Account.username, Account.id)).all())
    return {name: actor_for(engine, account_id) for name, account_id in ids.items()}


def _agency(example):
    return example["demo-manager"].agency_id


def _csv(rows: list[str], header: str = "case_code,caseworker,risk_level,status,registered_on,assessed_on,"
                                         "case_plan_on,follow_ups,risk_changes,closed_on") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def _count(engine) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(CaseFile))


def _import(engine, actor, content: bytes, filename: str = "cases.csv", **kwargs):
    with session_scope(engine, actor=actor) as session:
        return imports.import_case_files(session, actor=actor, agency_id=actor.agency_id, filename=filename,
                                         content=content, **kwargs)


def test_an_import_creates_then_updates_the_same_case_files(engine, example):
    manager = example["demo-manager"]
    before = _count(engine)
    day = (TODAY - timedelta(days=40)).isoformat()
    content = _csv([f"IMP-001,Mariam Haddad,high,open,{day},{day},,,,",
                    f"IMP-002,Joseph Banda,low,closed,{day},,,,,{TODAY.isoformat()}"])
    report = _import(engine, manager, content)
    assert (report.created, report.updated) == (2, 0)
    report = _import(engine, manager, content.replace(b"IMP-001,Mariam Haddad,high", b"imp-001,Mariam Haddad,medium"))
    assert (report.created, report.updated) == (0, 2)
    assert _count(engine) == before + 2
    with session_scope(engine) as session:
        row = session.scalar(select(CaseFile).where(CaseFile.case_code == "IMP-001"))
        assert row.risk_level == "medium"


def test_every_problem_is_named_by_line_and_column_and_nothing_is_saved(engine, example):
    manager = example["demo-manager"]
    before = _count(engine)
    future = (TODAY + timedelta(days=3)).isoformat()
    content = _csv([
        "BAD-1,Nobody Known,high,open,,,,,,",
        "BAD-2,Mariam Haddad,critical,open,,,,,,",
        "BAD-3,Mariam Haddad,low,open,2026-03-10,2026-03-12,2026-03-11,,,",
        f"BAD-4,Mariam Haddad,low,open,{future},,,,,",
        "BAD-5,Mariam Haddad,low,open,14/03/2026,,,,,",
        "BAD-6,Mariam Haddad,low,open,,,,,,",
        "BAD-6,Mariam Haddad,low,open,,,,,,",
    ])
    with pytest.raises(ValidationFailed) as failure:
        _import(engine, manager, content)
    message = failure.value.field_errors["file"]
    assert "Line 2: column caseworker: no staff member “Nobody Known”" in message
    assert "Line 3: column risk_level: Unknown risk level “critical”" in message
    assert "Line 4: column case_plan_on: Case plan on (11 Mar 2026) is before Assessed on (12 Mar 2026)." in message
    assert "Line 5: column registered_on:" in message and "is in the future" in message
    assert "Line 6: column registered_on: “14/03/2026” is not a date" in message
    assert "Line 8: column case_code: BAD-6 is also on line 7 of this file." in message
    assert _count(engine) == before


def test_risk_labels_of_another_system_are_mapped_per_import(engine, example):
    manager = example["demo-manager"]
    content = _csv(["MAP-1,Mariam Haddad,critical,open,,,,,,"])
    assert imports.unmapped_risk_labels("c.csv", content) == ["critical"]
    report = _import(engine, manager, content, risk_mapping={"critical": "high"})
    assert report.created == 1


def test_a_primero_export_is_read_with_its_own_column_names(engine, example):
    manager = example["demo-manager"]
    day = (TODAY - timedelta(days=20)).isoformat()
    content = _csv([f"PRM-1,mariam haddad,medium,{day},{day},"],
                   header="case_id_display,owned_by,risk_level,registration_date,date_case_plan,date_closure")
    assert _import(engine, manager, content).created == 1


def test_hostile_cells_are_stored_as_text_and_exported_safely(engine, example):
    manager = example["demo-manager"]
    content = _csv(['"=HYPERLINK(""http://x"")",Mariam Haddad,low,open,,,,,,'])
    _import(engine, manager, content)
    with session_scope(engine) as session:
        assert session.scalar(select(CaseFile.case_code).where(CaseFile.case_code.like("=HYPERLINK%")))


def test_xlsx_with_real_date_cells_and_a_file_of_five_thousand_rows(engine, example):
    manager = example["demo-manager"]
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["case_code", "caseworker", "risk_level", "registered_on", "assessed_on"])
    for n in range(5000):
        sheet.append([f"BULK-{n:05d}", "Grace Achieng", ["high", "medium", "low"][n % 3],
                      TODAY - timedelta(days=30 + n % 300), TODAY - timedelta(days=20 + n % 300)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    before = _count(engine)
    report = _import(engine, manager, buffer.getvalue(), filename="bulk.xlsx")
    assert report.created == 5000 and _count(engine) == before + 5000


def test_the_import_template_reads_back(engine, example):
    sheet = load_workbook(io.BytesIO(imports.case_file_template_xlsx())).worksheets[0]
    assert [c.value for c in sheet[1]] == list(imports.IMPORT_COLUMNS)


def test_a_caseworker_reads_only_their_own_case_files_and_reviews_even_by_id(engine, example):
    mariam, supervisor = example["demo-caseworker"], example["demo-supervisor"]
    with session_scope(engine) as session:
        own = {f.caseworker_name for f in case_files.list_case_files(session, actor=mariam)}
        others = session.scalars(select(CaseFile.id).where(CaseFile.caseworker_id != mariam.staff_member_id)).all()
        other_review = session.scalar(select(CaseFileReview.id).where(
            CaseFileReview.caseworker_id != mariam.staff_member_id))
        team_files = case_files.list_case_files(session, actor=supervisor)
    assert own == {"Mariam Haddad"}
    assert {f.caseworker_name for f in team_files} == {"Mariam Haddad", "Joseph Banda", "Grace Achieng"}
    for call in (lambda s: case_files.get_case_file(s, actor=mariam, case_file_id=others[0]),
                 lambda s: reviews.get_review(s, actor=mariam, review_id=other_review),
                 lambda s: reports.export_review_pdf(s, actor=mariam, review_id=other_review),
                 lambda s: reviews.start_review(s, actor=mariam, case_file_id=others[0])):
        with pytest.raises(Forbidden), session_scope(engine) as session:
            call(session)


def test_a_draft_review_is_not_shown_to_the_caseworker(engine, example):
    mariam = example["demo-caseworker"]
    with session_scope(engine) as session:
        statuses = {r.status for r in reviews.list_reviews(session, actor=mariam)}
    assert statuses == {"completed"}


def test_the_sample_is_the_same_for_everyone_who_looks_and_marks_what_is_done(engine, example):
    supervisor, manager = example["demo-supervisor"], example["demo-manager"]
    with session_scope(engine) as session:
        team_id = sampling.sample_teams(session, actor=supervisor)[0][0]
        first = sampling.monthly_sample(session, actor=supervisor, team_id=team_id, month=TODAY)
        second = sampling.monthly_sample(session, actor=manager, team_id=team_id, month=TODAY)
    assert [[p.case_file_id for p in line.proposed] for line in first] == \
        [[p.case_file_id for p in line.proposed] for line in second]
    assert all(len(line.proposed) == min(2, line.open_files) for line in first)
    target = first[0].proposed[0]
    with session_scope(engine, actor=supervisor) as session:
        review_id = reviews.start_review(session, actor=supervisor, case_file_id=target.case_file_id)
    with session_scope(engine) as session:
        again = sampling.monthly_sample(session, actor=supervisor, team_id=team_id, month=TODAY)
    assert again[0].proposed[0].review_id == review_id


def test_follow_up_actions_are_improvement_actions_whose_source_is_the_review(engine, example):
    with session_scope(engine) as session:
        rows = session.execute(select(ImprovementAction.source_kind, ImprovementAction.source_item)
                               .where(ImprovementAction.source_kind == reviews.SOURCE_KIND)).all()
    assert rows and all(item for _, item in rows)


def test_a_completed_review_is_read_only_and_acknowledged_once(engine, example):
    supervisor, mariam = example["demo-supervisor"], example["demo-caseworker"]
    with session_scope(engine) as session:
        done = reviews.list_reviews(session, actor=mariam, status="completed")
    waiting = next(r for r in done if r.acknowledged_on is None) if any(
        r.acknowledged_on is None for r in done) else done[0]
    from core.errors import ReadOnly
    with pytest.raises(ReadOnly), session_scope(engine, actor=supervisor) as session:
        reviews.save_review(session, actor=supervisor, review_id=waiting.id, answers={}, strengths="",
                            feedback="changed")
    with session_scope(engine, actor=mariam) as session:
        reviews.acknowledge_review(session, actor=mariam, review_id=waiting.id)
    with session_scope(engine) as session:
        view = reviews.get_review(session, actor=mariam, review_id=waiting.id)
    assert view.acknowledged_on == TODAY and view.acknowledged_by == "Mariam Haddad"


def test_the_review_pdf_and_the_team_month_read_back(engine, example):
    supervisor = example["demo-supervisor"]
    with session_scope(engine) as session:
        review = reviews.list_reviews(session, actor=supervisor, status="completed")[0]
        pdf = reports.export_review_pdf(session, actor=supervisor, review_id=review.id)
        team_id = sampling.sample_teams(session, actor=supervisor)[0][0]
        month = review.month
        team_pdf = reports.export_team_month(session, actor=supervisor, team_id=team_id, month=month, fmt="pdf")
        team_xlsx = reports.export_team_month(session, actor=supervisor, team_id=team_id, month=month, fmt="xlsx")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert review.case_code in text and "Score = Yes ÷ (Yes + No)" in text
    assert "Timeliness on the day of the review" in text and "Page 1 of" in text
    team_text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(team_pdf)).pages)
    assert "Reviews per caseworker" in team_text and "Items most often answered No" in team_text
    workbook = load_workbook(io.BytesIO(team_xlsx))
    assert workbook.sheetnames == ["Reviews", "Items answered No", "Timeliness", "Follow-up actions"]
    codes = [row[0] for row in workbook["Reviews"].iter_rows(min_row=2, values_only=True)]
    assert review.case_code in codes


def _cli(*args: str, env_url: str | None = None) -> subprocess.CompletedProcess[str]:
    import os

    env = {**os.environ, **({"CPCM_DATABASE_URL": env_url} if env_url else {})}
    return subprocess.run([sys.executable, "-m", "checklists", *args], capture_output=True, text=True,
                          cwd=PROJECT_ROOT, env=env, timeout=120)


def test_the_command_line_reports_timeliness_without_storing_anything(tmp_path):
    source = tmp_path / "export.csv"
    source.write_bytes(_csv(["CP-1,,medium,open,2026-03-02,2026-03-12,2026-03-16,2026-03-30,,",
                             "CP-2,,high,closed,2026-03-02,2026-03-02,2026-03-04,,,2026-04-01"]))
    out = tmp_path / "result.csv"
    result = _cli("timeliness", str(source), "--as-of", "2026-05-01", "--out", str(out))
    assert result.returncode == 0, result.stderr
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "case_code,step,status,due_on,done_on,days_late"
    assert "CP-1,assessment,missed,2026-03-09,2026-03-12,3" in lines
    assert "CP-2,post_closure_follow_up,not_yet_due,2026-07-01,," in lines
    assert "assessment" in result.stdout and "met / decided" in result.stdout


def test_the_command_line_refuses_a_bad_file_with_line_and_column(tmp_path):
    source = tmp_path / "bad.csv"
    source.write_bytes(_csv(["CP-1,,urgent,open,,,,,,"]))
    result = _cli("timeliness", str(source))
    assert result.returncode != 0
    assert "Line 2: column risk_level: Unknown risk level “urgent”" in result.stderr


def test_the_command_line_import_is_all_or_nothing(engine, example, database_url, tmp_path):
    source = tmp_path / "cases.csv"
    source.write_bytes(_csv(["CLI-1,Mariam Haddad,low,open,,,,,,", "CLI-2,Nobody,low,open,,,,,,"]))
    before = _count(engine)
    result = _cli("import-cases", str(source), "--agency", "Brightpath Children's Aid (example)",
                  env_url=database_url)
    assert result.returncode != 0 and "Line 3: column caseworker" in result.stderr
    assert _count(engine) == before
    source.write_bytes(_csv(["CLI-1,Mariam Haddad,low,open,,,,,,"]))
    result = _cli("import-cases", str(source), "--agency", "Brightpath Children's Aid (example)",
                  env_url=database_url)
    assert result.returncode == 0, result.stderr
    assert _count(engine) == before + 1
