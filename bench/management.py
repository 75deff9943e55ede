"""Managers' benchmark: ``python -m bench.management [--scale 1|10] [--repeat N]``.

Builds an organisation (``bench.generate_management``: at scale 1, 12 supervisors, 70 caseworkers, 3 years of
case files, reviews, supervision sessions and follow-up actions; at scale 10, ten times all of it) and times the
dashboard page (the first run, computing every figure, and a rerun while the data stands), the action tracker
page, My actions, and the monthly report as PDF and workbook (audited, as a user gets them). Prints best, median
and worst and writes ``bench/results/management-<scale>x-<backend>.json``. Runs on a scratch SQLite file unless
``CPCM_BENCH_DATABASE_URL`` names a database (an empty PostgreSQL database for the 10× run)."""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from datetime import date
from pathlib import Path

from bench.run import ROOT, _page_runner, _time, summarise
from core.db import make_engine, migrate_to_head, session_scope

TARGETS = {"dashboard": 0.500, "page": 0.300, "report": 2.0}


Measures = dict[str, tuple[str, list[float]]]


def management_measures(url: str, *, scale: int, repeat: int) -> tuple[Measures, dict[str, int]]:
    """Build the managers' organisation at ``scale`` in the database ``url`` and time its pages and reports."""
    import app.wiring  # noqa: F401  (counters and evidence registered, as at start-up)
    from accounts.services import build_actor
    from bench.generate_management import build_management
    from management.reports import export_monthly_files, export_monthly_report

    engine = make_engine(url)
    migrate_to_head(engine)
    print(f"Building the organisation at {scale}× on {engine.url.get_backend_name()}…", flush=True)
    start = time.perf_counter()
    data = build_management(engine, scale=scale)
    print(f"  {data.teams} teams, {data.caseworkers} caseworkers, {data.case_files} case files, {data.reviews} "
          f"reviews, {data.sessions} sessions, {data.actions} actions in {time.perf_counter() - start:.0f} s",
          flush=True)
    with session_scope(engine) as session:
        manager = build_actor(session, data.manager_account_id)
    measures: dict[str, tuple[str, list[float]]] = {}

    import streamlit as st

    dashboard = _page_runner(url, "management/ui/dashboard.py", 0, data.manager_account_id)

    def dashboard_first_run() -> object:
        st.cache_data.clear()  # every figure computed again, as on the first visit after a change
        return dashboard()

    measures["Dashboard page, first run (agency, 6 months)"] = ("dashboard", _time(dashboard_first_run, repeat))
    measures["Dashboard page, rerun (figures kept)"] = ("page", _time(dashboard, repeat))
    measures["Action tracker page (manager, every action)"] = ("page", _time(
        _page_runner(url, "management/ui/tracker.py", 0, data.manager_account_id), repeat))
    month = date.today().replace(day=1)

    def report_pdf() -> bytes:
        with session_scope(engine, actor=manager) as session:
            return export_monthly_report(session, actor=manager, month=month, fmt="pdf")

    def report_both() -> dict[str, bytes]:
        with session_scope(engine, actor=manager) as session:
            return export_monthly_files(session, actor=manager, month=month)

    measures["Monthly report PDF (agency, audited)"] = ("report", _time(report_pdf, repeat))
    measures["Monthly report PDF + workbook, as the page builds"] = ("report", _time(report_both, repeat))
    engine.dispose()
    sizes = {"teams": data.teams, "caseworkers": data.caseworkers, "case_files": data.case_files,
             "reviews": data.reviews, "sessions": data.sessions, "actions": data.actions}
    return measures, sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    url = os.environ.get("CPCM_BENCH_DATABASE_URL")
    scratch = None
    if not url:
        scratch = tempfile.TemporaryDirectory()
        url = f"sqlite:///{Path(scratch.name) / 'bench.db'}"
    measures, sizes = management_measures(url, scale=args.scale, repeat=args.repeat)
    rows = summarise(measures, TARGETS, width=52)
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    backend = make_engine(url).url.get_backend_name()
    (results / f"management-{args.scale}x-{backend}.json").write_text(json.dumps({
        "backend": backend, "scale": args.scale, **sizes, "python": platform.python_version(),
        "machine": platform.machine(), "results": rows}, indent=2))
    if scratch is not None:
        scratch.cleanup()


if __name__ == "__main__":
    main()
