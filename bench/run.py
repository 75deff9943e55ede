"""Benchmark: ``python -m bench.run [--scale org|country] [--repeat N] [--report FILE.md]``.

``--scale org`` is an organisation (the sizes below); ``--scale country`` is ten times every volume (assessments
and key actions, teams, caseworkers and their case files and reviews, the managers' organisation), while the
work timed stays the same (a year generated for 12 teams, 5,000 files imported, a team's calendar), so the two
runs compare how each figure grows with the database. ``--report`` writes a markdown report: every page's script
run (median and p95), every report's build, calendar generation, imports, the peak memory of the process (which
runs the pages as the app server does), and, when the other scale's results are in ``bench/results``, the ratio
country ÷ organisation for each figure.

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
TARGETS = {"page": 0.300, "pdf": 0.500, "team_year": 1.0, "team_pdf": 1.0, "import": 10.0, "generate": 2.0,
           "export": 1.0, "dashboard": 0.500, "report": 2.0}
SCALES = {"org": 1, "country": 10}


def bare_table_pdf(plan: object) -> bytes:
    """ReportLab alone, building the action plan's key actions table (the same rows and columns, as plain text in
    ReportLab's sample style, on the same page size): the floor the action plan PDF is compared with."""
    import io
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    from core.reports.pdf import PAGE_SIZE
    from qaf.reports import _action_rows

    style = getSampleStyleSheet()["BodyText"]
    rows = [[Paragraph(escape(getattr(c, "text", str(c))), style) for c in row]
            for row in _action_rows(plan.key_actions)]  # type: ignore[attr-defined]
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=PAGE_SIZE).build([Table(rows, repeatRows=1, style=TableStyle(
        [("GRID", (0, 0), (-1, -1), 0.25, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")]))])
    return buffer.getvalue()


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
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=sorted(SCALES), default="org")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--report", type=Path)
    args = parser.parse_args()
    factor = SCALES[args.scale]

    from bench.generate import build
    from bench.management import management_measures
    from bench.serving import peak_rss_bytes

    url = os.environ.get("CPCM_BENCH_DATABASE_URL")
    scratch = None
    if not url:
        scratch = tempfile.TemporaryDirectory()
        url = f"sqlite:///{Path(scratch.name) / 'bench.db'}"
    engine = make_engine(url)
    migrate_to_head(engine)
    backend = engine.url.get_backend_name()
    assessments, key_actions = 50 * factor, 2000 * factor
    print(f"Building {assessments} assessments and {key_actions} key actions on {backend}…", flush=True)
    start = time.perf_counter()
    data = build(engine, assessments=assessments, key_actions=key_actions)
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
    measures["Bare ReportLab, the same key actions table"] = ("", _time(lambda: bare_table_pdf(plan()),
                                                                         args.repeat))
    typical = data.assessment_ids[-1]
    pages = [
        ("Assessments page", "qaf/ui/assessments.py", typical),
        ("Workshop page (dimension 1)", "qaf/ui/workshop.py", typical),
        ("Summary page", "qaf/ui/summary.py", typical),
        ("Action plan page (40 key actions)", "qaf/ui/action_plan.py", typical),
        ("Action plan page (135 key actions)", "qaf/ui/action_plan.py", data.full_plan_id),
        ("Framework versions page", "qaf/ui/frameworks.py", typical),
    ]
    for label, page, assessment_id in pages:
        measures[label] = ("page", _time(_page_runner(url, page, assessment_id, data.facilitator_account_id),
                                         args.repeat))

    measures.update(_review_measures(engine, url, args.repeat, factor))
    measures.update(_supervision_measures(engine, url, args.repeat))
    managed, sizes = management_measures(url, scale=factor, repeat=args.repeat)
    measures.update(managed)
    measures.update(_audit_measures(engine, url, args.repeat, factor))

    rows = summarise(measures, TARGETS, width=52)
    bare = statistics.median(measures["Bare ReportLab, the same key actions table"][1])
    ours = statistics.median(measures["PDF, 135 key actions (query + render)"][1])
    print(f"Action plan PDF ÷ bare ReportLab building the same table: {ours / bare:.2f}× (target ≤ 1.5×)")
    peak = peak_rss_bytes(os.getpid())
    results_dir = ROOT / "bench" / "results"
    results_dir.mkdir(exist_ok=True)
    result = {
        "scale": args.scale, "backend": backend, "assessments": assessments + 1, "key_actions": data.key_actions,
        "pdf_pages_key_actions": len(full_plan.key_actions), "management": sizes,
        "peak_rss_mib": round(peak / 2**20), "python": platform.python_version(), "machine": platform.machine(),
        "results": rows, "runs": {label: [round(r * 1000, 1) for r in runs] for label, (_k, runs) in measures.items()},
        "kinds": {label: kind for label, (kind, _r) in measures.items()},
        "pdf_over_bare_reportlab": round(ours / bare, 2),
    }
    (results_dir / f"{args.scale}-{backend}.json").write_text(json.dumps(result, indent=2))
    (results_dir / "latest.json").write_text(json.dumps(result, indent=2))
    if args.report:
        args.report.write_text(report(result, results_dir))
        print(f"Report written to {args.report}")
    engine.dispose()
    if scratch is not None:
        scratch.cleanup()


def _audit_measures(engine, url: str, repeat: int, scale: int) -> dict[str, tuple[str, list[float]]]:  # type: ignore[no-untyped-def]
    """The audit trail page over 10,000 records per organisation (100,000 at a country's scale): the trail is
    topped up with sealed records, as months of work would leave them, then the first page is timed as an
    administrator (everything) and filtered by a person's name."""
    from datetime import UTC, datetime

    from sqlalchemy import func, select

    from accounts.services import AccountDraft, create_account
    from core.actor import SYSTEM
    from core.audit import AuditRecord, _append

    wanted = 10_000 * scale
    with session_scope(engine) as session:
        admin_id, _password = create_account(session, actor=SYSTEM, draft=AccountDraft(
            username="bench-audit-admin", display_name="Audit Reader", roles=["administrator"]),
            must_change_password=False)
        have = session.scalar(select(func.count()).select_from(AuditRecord)) or 0
    print(f"Topping the audit trail up from {have:,} to {wanted:,} records…", flush=True)
    while have < wanted:
        batch = min(5_000, wanted - have)
        with session_scope(engine) as session:
            _append(session, [{"account_id": None, "actor_name": f"Officer {n % 97}", "actor_agency_id": None,
                               "action": "update", "entity_type": "improvement_action", "entity_id": str(n),
                               "summary": f"Action {n}", "changes": {"status": ["not_started", "in_progress"]},
                               "occurred_at": datetime.now(UTC), "scope_agency_id": None}
                              for n in range(have, have + batch)])
        have += batch
    label = f"{wanted // 1000}k"
    everything = _page_runner(url, "accounts/ui/audit_trail.py", 0, admin_id)
    measures = {f"Audit trail page (administrator, {label} records)": ("page", _time(everything, repeat))}
    by_name = _page_runner(url, "accounts/ui/audit_trail.py", 0, admin_id)
    by_name().text_input[0].input("Officer 5")  # type: ignore[attr-defined]  # the filter stays for the runs
    measures[f"Audit trail page (filtered by a name, {label} records)"] = ("page", _time(by_name, repeat))
    return measures


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def report(result: dict, results_dir: Path) -> str:  # type: ignore[type-arg]
    """The markdown report: this run's figures, and the ratio to the organisation scale when both are there."""
    other = None
    if result["scale"] == "country":
        for backend in (result["backend"], "postgresql", "sqlite"):
            path = results_dir / f"org-{backend}.json"
            if path.exists():
                other = json.loads(path.read_text())
                break
    lines = [f"# Benchmark: {result['scale']} scale on {result['backend']}", "",
             f"{result['assessments']} assessments, {result['key_actions']} key actions; managers' organisation: "
             + ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in result["management"].items())
             + f". Python {result['python']} on {result['machine']}. Peak memory of the process that ran the "
             f"pages: {result['peak_rss_mib']} MiB.", ""]
    header = "| measure | median | p95 | target | verdict |"
    rule = "|---|---|---|---|---|"
    if other:
        header += f" {other['backend']} org median | ratio |"
        rule += "---|---|"
    lines += [header, rule]
    for label, runs in result["runs"].items():
        kind = result["kinds"][label]
        target = TARGETS.get(kind)
        median, p95 = statistics.median(runs), percentile(runs, 0.95)
        verdict = "" if target is None else ("ok" if median < target * 1000 else "**missed**")
        row = (f"| {label} | {median:,.0f} ms | {p95:,.0f} ms | "
               f"{'' if target is None else f'< {target * 1000:,.0f} ms'} | {verdict} |")
        if other:
            base = other["runs"].get(label)
            if base:
                ratio = median / statistics.median(base)
                row += f" {statistics.median(base):,.0f} ms | {ratio:.1f}×{' **over 3×**' if ratio > 3 else ''} |"
            else:
                row += " | |"
        lines.append(row)
    return "\n".join(lines) + "\n"


def _review_measures(engine, url: str, repeat: int, scale: int = 1) -> dict[str, tuple[str, list[float]]]:  # type: ignore[no-untyped-def]
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
    data = build_reviews(engine, scale=scale)
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
        ("Case files page (manager, every file)", "checklists/ui/case_files.py", data.manager_account_id, {}),
        ("Trends page (manager, every caseworker, 12 months)", "checklists/ui/trends.py", data.manager_account_id,
         {}),
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
    each_team, created = [], 0
    for team in data.team_ids:  # the first year of each team, one at a time, as a supervisor makes it
        started = time.perf_counter()
        with session_scope(engine, actor=manager) as session:
            created += generate_calendar(session, actor=manager, team_id=team, first=today, last=last,
                                         with_proposal=False).created
        each_team.append(time.perf_counter() - started)
    measures[f"Generate a year, 12 teams ({created} sessions)"] = ("generate", [sum(each_team)])
    measures["Regenerate that year (nothing changed)"] = ("generate", _time(generate_year, repeat))

    measures["Generate a year for one team (each of the 12, the first time)"] = ("team_year", each_team)
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
