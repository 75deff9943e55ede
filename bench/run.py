"""Benchmark: ``python -m bench.run [--repeat N]``.

Builds a large database (50 assessments with every component scored and 2,000 key actions, plus one assessment
whose plan holds all 135 Change Grid actions; and 70 caseworkers with 25 open case files each and 3 years of
monthly reviews, 2 per caseworker per month; and 12 supervision teams with 70 caseworkers whose year of supervision
is generated), then times each page script run (Streamlit AppTest, the same
harness as the tests), the full action plan PDF and the Excel export. Prints median and worst times and writes
them to ``bench/results/latest.json``. Set ``CPCM_BENCH_DATABASE_URL`` to measure on PostgreSQL."""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from core.db import make_engine, migrate_to_head, session_scope
from qaf import reports, services

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"page": 0.300, "pdf": 0.500, "team_pdf": 1.0, "import": 10.0, "generate": 2.0, "export": 1.0}


def _time(action: Callable[[], object], repeat: int) -> list[float]:
    action()  # warm-up: imports, fonts, caches
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        runs.append(time.perf_counter() - start)
    return runs


def _page_runner(url: str, page: str, assessment_id: int, account_id: int,
                 state: dict[str, object] | None = None) -> Callable[[], object]:
    import logging

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    # AppTest fills the session state from this thread, which Streamlit warns about once per key; harmless here.
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(logging.ERROR)

    from accounts import sessions
    from core.db import make_engine, session_scope
    from qaf.ui.common import CURRENT

    os.environ["CPCM_DATABASE_URL"] = url
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.session_state[CURRENT] = assessment_id
    for key, value in (state or {}).items():
        at.session_state[key] = value
    at.session_state["auth_account_id"] = account_id
    with session_scope(make_engine(url)) as session:  # signed in as the login page leaves it
        at.session_state["auth_session_id"] = sessions.open_session(session, account_id).id
    at.switch_page(page)

    def run() -> object:
        at.run()
        if at.exception:
            raise RuntimeError(at.exception[0].value)
        return at

    return run


def summarise(measures: dict[str, tuple[str, list[float]]], targets: dict[str, float],
              width: int = 42) -> dict[str, dict[str, float | None]]:
    """Print best, median and worst of each measure against its kind's target; return them for the results file."""
    print(f"\n{'measure':<{width}} {'best':>9} {'median':>9} {'worst':>9}  target")
    rows: dict[str, dict[str, float | None]] = {}
    for label, (kind, runs) in measures.items():
        best, median, worst = min(runs), statistics.median(runs), max(runs)
        target = targets.get(kind)
        verdict = "" if target is None else (f"< {target * 1000:.0f} ms " + ("ok" if median < target else "MISSED"))
        print(f"{label:<{width}} {best * 1000:>7.0f}ms {median * 1000:>7.0f}ms {worst * 1000:>7.0f}ms  {verdict}")
        rows[label] = {"best_ms": round(best * 1000, 1), "median_ms": round(median * 1000, 1),
                       "worst_ms": round(worst * 1000, 1), "target_ms": None if target is None else target * 1000}
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--assessments", type=int, default=50)
    parser.add_argument("--key-actions", type=int, default=2000)
    args = parser.parse_args()

    from bench.generate import build

    url = os.environ.get("CPCM_BENCH_DATABASE_URL")
    scratch = None
    if not url:
        scratch = tempfile.TemporaryDirectory()
        url = f"sqlite:///{Path(scratch.name) / 'bench.db'}"
    engine = make_engine(url)
    migrate_to_head(engine)
    print(f"Building {args.assessments} assessments and {args.key_actions} key actions on "
          f"{engine.url.get_backend_name()}…", flush=True)
    start = time.perf_counter()
    data = build(engine, assessments=args.assessments, key_actions=args.key_actions)
    print(f"  built in {time.perf_counter() - start:.1f} s", flush=True)

    from accounts.services import build_actor

    with session_scope(engine) as session:
        actor = build_actor(session, data.facilitator_account_id)

    def plan():
        with session_scope(engine) as session:
            return services.action_plan(session, data.full_plan_id, actor=actor)

    full_plan = plan()
    measures: dict[str, tuple[str, list[float]]] = {}
    measures["PDF, 135 key actions (query + render)"] = ("pdf", _time(lambda: reports.action_plan_pdf(plan()),
                                                                         args.repeat))
    measures["Excel export, 135 key actions"] = ("", _time(lambda: reports.action_plan_xlsx(plan()), args.repeat))
    measures["CSV export, 135 key actions"] = ("", _time(lambda: reports.action_plan_csv(plan()), args.repeat))

    def audited_export():
        with session_scope(engine, actor=actor) as session:
            return reports.export_action_plan(session, actor=actor, assessment_id=data.full_plan_id, fmt="pdf")

    measures["PDF download as the user gets it (audited)"] = ("pdf", _time(audited_export, args.repeat))
    typical = data.assessment_ids[-1]
    pages = [
        ("Assessments page (51 assessments)", "qaf/ui/assessments.py", typical),
        ("Workshop page (dimension 1)", "qaf/ui/workshop.py", typical),
        ("Summary page", "qaf/ui/summary.py", typical),
        ("Action plan page (40 key actions)", "qaf/ui/action_plan.py", typical),
        ("Action plan page (135 key actions)", "qaf/ui/action_plan.py", data.full_plan_id),
        ("Framework versions page", "qaf/ui/frameworks.py", typical),
    ]
    for label, page, assessment_id in pages:
        measures[label] = ("page", _time(_page_runner(url, page, assessment_id, data.facilitator_account_id),
                                         args.repeat))

    measures.update(_review_measures(engine, url, args.repeat))
    measures.update(_supervision_measures(engine, url, args.repeat))

    rows = summarise(measures, TARGETS)
    results_dir = ROOT / "bench" / "results"
    results_dir.mkdir(exist_ok=True)
    (results_dir / "latest.json").write_text(json.dumps({
        "backend": engine.url.get_backend_name(), "assessments": args.assessments + 1,
        "key_actions": data.key_actions, "pdf_pages_key_actions": len(full_plan.key_actions),
        "python": platform.python_version(), "machine": platform.machine(), "results": rows,
    }, indent=2))
    engine.dispose()
    if scratch is not None:
        scratch.cleanup()


def _review_measures(engine, url: str, repeat: int) -> dict[str, tuple[str, list[float]]]:  # type: ignore[no-untyped-def]
    """Case file reviews at a country's scale: pages, the team's monthly PDF, and a 5,000-row import."""
    import io
    from datetime import date, timedelta

    from openpyxl import Workbook

    from accounts.services import build_actor
    from bench.generate_reviews import build_reviews
    from checklists import reports as review_reports
    from checklists.services.imports import import_case_files

    print("Building 70 caseworkers, 1,750 case files and 3 years of monthly reviews…", flush=True)
    start = time.perf_counter()
    data = build_reviews(engine)
    print(f"  built {data.reviews} reviews in {time.perf_counter() - start:.1f} s", flush=True)
    with session_scope(engine) as session:
        supervisor = build_actor(session, data.supervisor_account_id)
        manager = build_actor(session, data.manager_account_id)
    measures: dict[str, tuple[str, list[float]]] = {}

    def team_pdf() -> bytes:
        with session_scope(engine, actor=supervisor) as session:
            return review_reports.export_team_month(session, actor=supervisor, team_id=data.team_id,
                                                    month=date.today(), fmt="pdf")

    measures["Team month PDF (5 caseworkers, audited)"] = ("team_pdf", _time(team_pdf, repeat))
    pages = [
        ("Monthly reviews page (supervisor)", "checklists/ui/reviews.py", data.supervisor_account_id, {}),
        ("Review page (31 items, completed)", "checklists/ui/review.py", data.supervisor_account_id,
         {"review_current": data.review_id}),
        ("Case files page (manager, 1,750 files)", "checklists/ui/case_files.py", data.manager_account_id, {}),
        ("Trends page (manager, 70 caseworkers, 12 months)", "checklists/ui/trends.py", data.manager_account_id, {}),
        ("Review settings page (manager)", "checklists/ui/settings.py", data.manager_account_id, {}),
    ]
    for label, page, account_id, state in pages:
        measures[label] = ("page", _time(_page_runner(url, page, 0, account_id, state), repeat))
    today = date.today()

    def workbook_for(run: int) -> bytes:
        """5,000 new case files (the codes carry the run's number), as an M&E officer's XLSX would hold them."""
        workbook = Workbook()
        sheet = workbook.active
        sheet.append(["case_code", "caseworker", "risk_level", "registered_on", "assessed_on", "case_plan_on",
                      "follow_ups"])
        for n in range(5000):
            sheet.append([f"IMPORT-{run}-{n:05d}", f"Caseworker {n % 14 + 1:02d}-{n % 5 + 1}",
                          ["high", "medium", "low"][n % 3], today - timedelta(days=60 + n % 200),
                          today - timedelta(days=50 + n % 200), today - timedelta(days=40 + n % 200),
                          (today - timedelta(days=20)).isoformat()])
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()

    import_repeat = max(1, repeat // 3)
    files = [workbook_for(run) for run in range(import_repeat + 1)]  # built before the clock starts

    def import_5000() -> object:
        with session_scope(engine, actor=manager) as session:
            return import_case_files(session, actor=manager, agency_id=manager.agency_id or 0,
                                     filename="cases.xlsx", content=files.pop())

    measures["Import 5,000 case files (XLSX, audited)"] = ("import", _time(import_5000, import_repeat))
    return measures


def _supervision_measures(engine, url: str, repeat: int) -> dict[str, tuple[str, list[float]]]:  # type: ignore[no-untyped-def]
    """Supervision calendars at a country's scale: a year for 12 supervisors and 70 caseworkers, its exports, and
    the supervision pages."""
    from datetime import date, timedelta

    import app.wiring  # noqa: F401  (the review counters the standards page uses)
    from accounts.services import build_actor
    from bench.generate_supervision import build_supervision
    from supervision import reports as calendar_reports
    from supervision.services.generation import generate_calendar

    print("Building 12 supervision teams (12 supervisors, 70 caseworkers)…", flush=True)
    data = build_supervision(engine)
    with session_scope(engine) as session:
        manager = build_actor(session, data.manager_account_id)
    today = date.today()
    last = today + timedelta(days=364)

    def generate_year() -> int:
        with session_scope(engine, actor=manager) as session:
            return sum(generate_calendar(session, actor=manager, team_id=team, first=today, last=last,
                                         with_proposal=False).created for team in data.team_ids)

    measures: dict[str, tuple[str, list[float]]] = {}
    start = time.perf_counter()
    created = generate_year()
    measures[f"Generate a year, 12 teams ({created} sessions)"] = ("generate", [time.perf_counter() - start])
    measures["Regenerate that year (nothing changed)"] = ("generate", _time(generate_year, repeat))
    scope = calendar_reports.Scope(data.team_ids[0], "team")

    def ics() -> bytes:
        with session_scope(engine, actor=manager) as session:
            return calendar_reports.export_calendar_ics(session, actor=manager, scope=scope)

    def pdf() -> bytes:
        with session_scope(engine, actor=manager) as session:
            return calendar_reports.export_calendar_pdf(session, actor=manager, scope=scope, first=today, last=last)

    measures["Calendar .ics, a team's year (audited)"] = ("export", _time(ics, repeat))
    measures["Calendar PDF, a team's year (audited)"] = ("export", _time(pdf, repeat))
    pages = [
        ("Supervision calendar page (month grid)", "supervision/ui/calendar.py", data.supervisor_account_id,
         "Supervision calendar"),
        ("Supervision plan page", "supervision/ui/plan.py", data.supervisor_account_id, "Supervision plan"),
        ("Standards and ratios page", "supervision/ui/compliance.py", data.supervisor_account_id,
         "Standards and ratios"),
        ("Working calendar page (manager)", "supervision/ui/working_calendar.py", data.manager_account_id,
         "Working calendar"),
    ]
    for label, page, account_id, title in pages:
        run = _page_runner(url, page, 0, account_id)
        shown = [t.value for t in run().title]  # type: ignore[attr-defined]
        if shown != [title]:  # a page that stopped early (signed out, refused) would time nothing
            raise RuntimeError(f"{page} showed {shown}, not {title!r}")
        measures[label] = ("page", _time(run, repeat))
    return measures


if __name__ == "__main__":
    main()
