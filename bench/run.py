"""Benchmark: ``python -m bench.run [--repeat N]``.

Builds a large database (50 assessments with every component scored and 2,000 key actions, plus one assessment
whose plan holds all 135 Change Grid actions), then times each page script run (Streamlit AppTest, the same
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
TARGETS = {"page": 0.300, "pdf": 0.500}


def _time(action: Callable[[], object], repeat: int) -> list[float]:
    action()  # warm-up: imports, fonts, caches
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        runs.append(time.perf_counter() - start)
    return runs


def _page_runner(url: str, page: str, assessment_id: int, account_id: int) -> Callable[[], object]:
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

    print(f"\n{'measure':<42} {'best':>9} {'median':>9} {'worst':>9}  target")
    rows = {}
    for label, (kind, runs) in measures.items():
        best, median, worst = min(runs), statistics.median(runs), max(runs)
        target = TARGETS.get(kind)
        verdict = "" if target is None else (f"< {target * 1000:.0f} ms " + ("ok" if median < target else "MISSED"))
        print(f"{label:<42} {best * 1000:>7.0f}ms {median * 1000:>7.0f}ms {worst * 1000:>7.0f}ms  {verdict}")
        rows[label] = {"best_ms": round(best * 1000, 1), "median_ms": round(median * 1000, 1),
                       "worst_ms": round(worst * 1000, 1),
                       "target_ms": None if target is None else target * 1000}
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


if __name__ == "__main__":
    main()
