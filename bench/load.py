"""Many people at once on two app servers and one PostgreSQL database:
``python -m bench.load [--people 20] [--seconds 60] [--servers 2] [--report FILE.md] [--arrive-within 10]
[--steps 20,40,60,80,100] [--floor 12] [--pace click|action]``.

Starts the app twice (two processes on two loopback ports, as behind a proxy with sticky sessions) on one
database (``CPCM_LOAD_DATABASE_URL``, or a scratch database on the server ``CPCM_TEST_POSTGRES_URL`` names),
loads the example organisation and gives each simulated person an account. Then, for a bounded time, each person
drives a real session through Streamlit's own websocket protocol (``bench.stclient``), as a browser tab does,
thinking 2–8 s before each click (``--pace action``: only between actions, an action's clicks back to back):

- facilitators, two to a component, tick an action and save it (the second often meets the conflict message);
- supervisors, two to a review, answer an item, move to the next section, write the feedback and save the draft;
- managers, two to an action, change its status in the tracker and save, or open the dashboard and tracker.

Every click's time (from sending it to the end of the script run it caused) is kept. At the end the database is
read back: every save the person was told succeeded must be there (each record's version moved once per
confirmed save, and the last confirmed text is the stored one), every refused save was refused with the conflict
message, and nothing else went wrong. Prints (and with ``--report``, writes) p50/p95 per kind of click, and
memory per process and per session."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import ssl
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bench.run import percentile
from bench.serving import AppServer, rss_bytes, start, stop
from bench.stclient import Run, Tab, text, tick

CONFLICT_WORDS = ("changed this at", "at the same moment", "Nothing was saved")
THINK = (2.0, 8.0)  # seconds a person reads and thinks before a click
PACES = {"click": "before every click", "action": "between actions (an action's clicks back to back)"}
COMPONENTS = ["1", "2a", "2b", "2c", "3", "4", "5a", "6"]


@dataclass
class Person:
    username: str
    password: str
    role: str
    target: int | str  # the component, review or action this person works on (shared with one other person)
    server: int


@dataclass
class Tally:
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    confirmed: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    texts: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    refused: int = 0
    refused_texts: set[str] = field(default_factory=set)
    seen_before: dict[str, str] = field(default_factory=dict)  # text written -> the text on screen before it
    refusals: dict[str, str] = field(default_factory=dict)  # text refused -> the message shown
    unexpected: list[str] = field(default_factory=list)
    cpu: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))  # when measured (--floor)
    shapes: dict[str, dict[str, object]] = field(default_factory=dict)  # what each kind of click's page drew

    def time(self, kind: str, run: Run) -> Run:
        self.times[kind].append(run.seconds)
        if run.cpu is not None:
            self.cpu[kind].append(run.cpu)
            self.shapes[kind] = run.shape()
        if run.exceptions:
            self.unexpected.append(f"{kind}: {run.exceptions[0][:300]}")
        return run


# Setting up ---------------------------------------------------------------------------------------------------


def prepare(database_url: str, people: int) -> tuple[list[Person], dict[str, object]]:
    """The example organisation plus an account for every simulated person, and the records they share."""
    from accounts.models import Account, StaffMember
    from accounts.services import AccountDraft, agency_id_for, build_actor, create_account
    from app.example import LEAD_AGENCY, load_example
    from app.wiring import prepare_database
    from checklists.models import CaseFile
    from checklists.services.reviews import start_review
    from core.actor import SYSTEM
    from core.db import make_engine, session_scope
    from improvement_actions.models import ImprovementAction
    from qaf.models import AssessmentMember

    engine = make_engine(database_url)
    prepare_database(engine)
    roles = (["facilitator"] * 8 + ["supervisor"] * 6 + ["manager"] * 6) * (people // 20 + 1)
    with session_scope(engine) as session:
        example = load_example(session)
        lead = agency_id_for(session, LEAD_AGENCY)
        samuel = session.scalar(select(StaffMember.id).where(StaffMember.full_name == "Samuel Mensah"))
        supervisor = build_actor(session, session.scalar(select(Account.id).where(
            Account.username == "demo-supervisor")))
        files = session.scalars(select(CaseFile.id).order_by(CaseFile.id)).all()
        actions = session.scalars(select(ImprovementAction.id).where(ImprovementAction.status.in_(
            ["not_started", "in_progress"])).order_by(ImprovementAction.id)).all()
    crowd: list[Person] = []
    reviews: list[int] = []
    with session_scope(engine, actor=supervisor) as session:
        for case_file_id in files[:3]:
            reviews.append(start_review(session, actor=supervisor, case_file_id=case_file_id))
    with session_scope(engine) as session:
        counts: dict[str, int] = defaultdict(int)
        for number, role in enumerate(roles[:people]):
            index = counts[role]
            counts[role] += 1
            username = f"load-{role}-{index + 1:02d}"
            account_id, password = create_account(session, actor=SYSTEM, draft=AccountDraft(
                username=username, display_name=f"Load {role.title()} {index + 1}", roles=[role], agency_id=lead,
                staff_member_id=samuel if role == "supervisor" else None), must_change_password=False)
            if role == "facilitator":
                session.add(AssessmentMember(assessment_id=example.assessment_id, account_id=account_id,
                                             role="participant"))
                target: int | str = COMPONENTS[(index // 2) % len(COMPONENTS)]
            elif role == "supervisor":
                target = reviews[(index // 2) % len(reviews)]
            else:
                target = actions[(index // 2) % len(actions)] if index % 3 != 2 else 0  # 0: reads dashboards
            crowd.append(Person(username, password, role, target, number % 2))
    engine.dispose()
    return crowd, {"assessment": example.assessment_id}


# Being a person ----------------------------------------------------------------------------------------------


async def sign_in(tab: Tab, person: Person, tally: Tally) -> None:
    first = tally.time("open the app", await tab.open())
    username = first.widget("text_input", "Username")
    password = first.widget("text_input", "Password")
    run = tally.time("sign in", await tab.run(set_values=[text(username.id, person.username),
                                                           text(password.id, person.password)],
                                              triggers=[first.widget("button", "Sign in").id]))
    if not run.has_button("Sign out"):
        raise RuntimeError(f"{person.username} could not sign in: {run.errors}")
    tab.held = {}


def _outcome(kind: str, key: tuple[str, str], run: Run, tally: Tally, written: str = "", seen: str = "") -> bool:
    """Saved (the page confirms it), refused with the conflict message, or something unexpected."""
    if run.exceptions:
        return False
    problems = run.errors
    if not problems and run.widgets("toast"):
        tally.confirmed[key] += 1
        if written:
            tally.texts[key].add(written)
            tally.seen_before[written] = seen
        return True
    if any(word in message for message in problems for word in CONFLICT_WORDS):
        tally.refused += 1
        if written:
            tally.refused_texts.add(written)
            tally.refusals[written] = " | ".join(problems)[:300]
        return False
    tally.unexpected.append(f"{kind} {key}: {(problems or ['the save was neither confirmed nor refused'])[0][:300]}")
    return False


async def facilitator(tab: Tab, person: Person, tally: Tally, setup: dict[str, object], rng: random.Random) -> None:
    from core.safe_text import for_markdown
    from qaf.framework import bundled_framework

    framework = bundled_framework()
    code = str(person.target)
    component = framework.component(code)
    within = next(d for d in framework.dimensions if component in d.components)
    dimension, position = within.number, [c.code for c in within.components].index(code)
    page = tally.time("workshop: open a dimension", await tab.run(
        path="workshop", query=f"assessment={setup['assessment']}&dimension={dimension}"))
    action = rng.choice(list(component.actions))
    box = page.widget("checkbox", for_markdown(action.text))
    notes = [w for w in page.widgets("text_area") if w.label == "Notes and evidence"]
    written = f"{person.username} at {time.time():.3f}: agreed in the plenary."  # every save changes something
    tally.time("workshop: tick an action", await tab.run(set_values=[tick(box.id, not tab.on_screen(box))]))
    seen = tab.on_screen(notes[position])  # the note on screen just before the save types over it
    saved = tally.time("workshop: save a component", await tab.run(
        set_values=[text(notes[position].id, written)],
        triggers=[page.widget("button", f"Save {code}").id]))
    if not _outcome("component", ("component", code), saved, tally, written, seen) and \
            saved.has_button("Discard changes"):
        tally.time("workshop: discard", await tab.run(triggers=[saved.widget("button", "Discard changes").id]))


async def supervisor(tab: Tab, person: Person, tally: Tally, setup: dict[str, object], rng: random.Random) -> None:
    page = tally.time("review: open", await tab.run(path="review", query=f"review={person.target}"))
    # an item of the section on screen, answered before moving on (not one the dates decide: that needs a reason)
    decided = {w.id.rsplit("-override_", 1)[1] for w in page.widgets("text_input") if "-override_" in w.id}
    answer = rng.choice([w for w in page.widgets("radio") if w.id.rsplit("-answer_", 1)[1] not in decided])
    move = "Next section" if page.has_button("Next section") else "Previous section"  # back from the last one
    page = tally.time("review: another section", await tab.run(
        set_values=[text(answer.id, rng.choice(["Yes", "No", "Not applicable"]))],
        triggers=[page.widget("button", move).id]))
    feedback = page.widget("text_area", "Feedback for the caseworker")
    written = f"{person.username} at {time.time():.3f}: record each follow-up contact the same day."
    saved = tally.time("review: save the draft", await tab.run(
        set_values=[text(feedback.id, written)], triggers=[page.widget("button", "Save draft").id]))
    _outcome("review", ("review", str(person.target)), saved, tally, written)


async def manager(tab: Tab, person: Person, tally: Tally, setup: dict[str, object], rng: random.Random) -> None:
    if not person.target:
        tally.time("dashboard: open", await tab.run(path="dashboard", query=""))
        tally.time("tracker: open", await tab.run(path="tracker", query=""))
        return
    page = tally.time("tracker: open", await tab.run(path="tracker", query=""))
    grid = page.widgets("dataframe")[0]
    row = _row_of(grid, int(person.target))
    status = rng.choice(["In progress", "Not started"])
    note = f"{person.username} at {time.time():.3f}"
    edited = json.dumps({"edited_rows": {str(row): {"status": status, "note": note}}, "added_rows": [],
                         "deleted_rows": []})
    changed = tally.time("tracker: change a status", await tab.run(set_values=[text(grid.id, edited)]))
    button = next((b for b in changed.widgets("button") if b.label.startswith("Save 1 change")), None)
    if button is None:
        tally.unexpected.append(f"tracker: no save button after an edit ({changed.errors})")
        return
    saved = tally.time("tracker: save", await tab.run(triggers=[button.id]))
    _outcome("action", ("action", str(person.target)), saved, tally, note)


def _row_of(grid: object, action_id: int) -> int:
    import pyarrow as pa

    table = pa.ipc.open_stream(grid.arrow_data.data).read_all()  # type: ignore[attr-defined]
    ids = table.column("id").to_pylist()
    return ids.index(action_id)


ROLES = {"facilitator": facilitator, "supervisor": supervisor, "manager": manager}


class PacedTab(Tab):
    """A tab whose person reads and thinks before each click (once signed in), as the think time means."""

    def __init__(self, url: str, rng: random.Random, tls: ssl.SSLContext | None = None) -> None:
        super().__init__(url, tls=tls)
        self.rng, self.thinking = rng, False

    async def run(self, **click: Any) -> Run:
        if self.thinking:
            await asyncio.sleep(self.rng.uniform(*THINK))
        return await super().run(**click)


async def person_loop(url: str, person: Person, tally: Tally, setup: dict[str, object], until: float,
                      seed: int, arrive_within: float = 0.0, pace: str = "click",
                      tls: ssl.SSLContext | None = None) -> None:
    """One person's morning: arrive, sign in, then work until the end of the run. With ``pace="click"`` they
    think before every click; with ``"action"`` an action's clicks (open, tick, save) go back to back and they
    think between actions, three times the rate (the pace of this benchmark's earlier reports)."""
    rng = random.Random(seed)
    await asyncio.sleep(rng.uniform(0, arrive_within))  # people arrive in the same few seconds, not all at once
    tab = PacedTab(url, rng, tls)
    try:
        await sign_in(tab, person, tally)
        tab.thinking = pace == "click"
        while time.monotonic() < until:
            await ROLES[person.role](tab, person, tally, setup, rng)
            if pace == "action":
                await asyncio.sleep(rng.uniform(*THINK))  # a person reads before the next action
    except Exception as problem:
        tally.unexpected.append(f"{person.username}: {type(problem).__name__}: {problem}"[:400])
    finally:
        await tab.close()


# Checking what was stored ------------------------------------------------------------------------------------


def versions(database_url: str, setup: dict[str, object]) -> dict[tuple[str, str], tuple[int, str]]:
    from checklists.models import CaseFileReview
    from core.db import make_engine, session_scope
    from improvement_actions.models import ImprovementAction
    from qaf.models import ComponentRating

    engine = make_engine(database_url)
    found: dict[tuple[str, str], tuple[int, str]] = {}
    with session_scope(engine) as session:
        for code, version, notes in session.execute(select(
                ComponentRating.component_code, ComponentRating.version_id, ComponentRating.notes)
                .where(ComponentRating.assessment_id == setup["assessment"])):
            found[("component", code)] = (version, notes)
        for review_id, version, feedback in session.execute(select(
                CaseFileReview.id, CaseFileReview.version_id, CaseFileReview.feedback)):
            found[("review", str(review_id))] = (version, feedback)
        for action_id, version in session.execute(select(ImprovementAction.id, ImprovementAction.version_id)):
            found[("action", str(action_id))] = (version, "")
    engine.dispose()
    return found


def written_since(database_url: str, first_audit_id: int) -> str:
    """Every value the audit trail recorded as written since the run began, as one text to search."""
    from core.audit import AuditRecord
    from core.db import make_engine, session_scope

    engine = make_engine(database_url)
    with session_scope(engine) as session:
        changes = session.scalars(select(AuditRecord.changes).where(AuditRecord.id > first_audit_id)
                                  .order_by(AuditRecord.id)).all()  # a save's own record before any that replaced it
    engine.dispose()
    return "\n".join(json.dumps(c, ensure_ascii=False) for c in changes)


def last_audit_id(database_url: str) -> int:
    from sqlalchemy import func

    from core.audit import AuditRecord
    from core.db import make_engine, session_scope

    engine = make_engine(database_url)
    with session_scope(engine) as session:
        found = session.scalar(select(func.max(AuditRecord.id))) or 0
    engine.dispose()
    return found


SINGLE_UPDATE = ("component", "action")  # records a save updates with one statement: one version per save


def lost_updates(before: dict[tuple[str, str], tuple[int, str]], after: dict[tuple[str, str], tuple[int, str]],
                 tally: Tally, written: str) -> list[str]:
    """Every confirmed save is in the audit trail as written and no refused one is; for records one save updates
    once, the version moved exactly once per confirmed save (two saves over the same version would move it once);
    the text stored last is one a person was told was saved."""
    problems = []
    for key, confirmed in tally.confirmed.items():
        moved = after[key][0] - before.get(key, (0, ""))[0]
        if key[0] in SINGLE_UPDATE and moved != confirmed:
            problems.append(f"{key}: {confirmed} saves confirmed, the version moved {moved} times")
        if key in tally.texts and key[0] != "action" and after[key][1] not in tally.texts[key]:
            problems.append(f"{key}: the stored text is none of the confirmed saves' texts")
    records = written.split("\n")
    for saved_text, seen in tally.seen_before.items():  # the value a save replaced is the one its author had on screen
        quoted = json.dumps(saved_text, ensure_ascii=False)[1:-1]
        record = next((r for r in records if quoted in r), "")
        if record and seen and json.dumps(seen, ensure_ascii=False)[1:-1] not in record:
            problems.append(f"lost update: {saved_text!r} replaced a value its author never saw (on screen: {seen!r})")
    missing = [text for texts in tally.texts.values() for text in texts
               if json.dumps(text, ensure_ascii=False)[1:-1] not in written]
    if missing:
        problems.append(f"{len(missing)} confirmed saves are not in the audit trail, e.g. {missing[0]!r}")
    stored = [text for text in tally.refused_texts if json.dumps(text, ensure_ascii=False)[1:-1] in written]
    if stored:
        problems.append(f"{len(stored)} refused saves were written anyway, e.g. {stored[0]!r} "
                        f"(told: {tally.refusals.get(stored[0], '')})")
    return problems


# The run -----------------------------------------------------------------------------------------------------


@dataclass
class Result:
    people: int
    servers: int
    seconds: float
    clicks: int
    confirmed: int
    refused: int
    unexpected: list[str]
    lost: list[str]
    times: dict[str, list[float]]
    rss_idle: list[int]
    rss_busy: list[int]
    cpu_seconds: list[float] = field(default_factory=list)  # each app process's CPU (user + system) in the run
    costs: dict[str, tuple[float, float]] = field(default_factory=dict)  # kind -> (app, floor) CPU s per click
    memory_over_time: list[tuple[float, float]] = field(default_factory=list)  # (seconds, MiB per session)
    generator_cpu: float = 0.0  # this process's CPU: the simulated people, on the same two cores
    database_cpu: float | None = None  # PostgreSQL's processes on this machine, when it runs here

    def table(self) -> str:
        lines = ["| click | count | p50 | p95 |", "|---|---|---|---|"]
        every = [s for values in self.times.values() for s in values]
        for kind, values in [*sorted(self.times.items()), ("every click", every)]:
            if not values:  # nobody got that far (the problems below say why)
                lines.append(f"| {kind} | 0 | — | — |")
                continue
            lines.append(f"| {kind} | {len(values)} | {statistics.median(values) * 1000:.0f} ms | "
                         f"{percentile(values, 0.95) * 1000:.0f} ms |")
        per_session = (sum(self.rss_busy) - sum(self.rss_idle)) / max(1, self.people) / 2**20
        lines += ["", "| memory | value |", "|---|---|"]
        for number, (idle, busy) in enumerate(zip(self.rss_idle, self.rss_busy, strict=True), start=1):
            lines.append(f"| app process {number}: idle → with its sessions | {idle / 2**20:.0f} MiB → "
                         f"{busy / 2**20:.0f} MiB |")
        lines.append(f"| per session (growth ÷ {self.people} sessions) | {per_session:.1f} MiB |")
        if len(self.memory_over_time) > 2:  # is it steady once everyone is working?
            lines += ["", "| into the run | memory per session |", "|---|---|"]
            lines += [f"| {at / 60:.0f} min | {mib:.1f} MiB |" for at, mib in self.memory_over_time]
        if self.cpu_seconds:
            lines += ["", "| CPU | value |", "|---|---|"]
            for number, used in enumerate(self.cpu_seconds, start=1):
                lines.append(f"| app process {number} (user + system) | {used:.1f} s |")
            lines.append(f"| per click (every process ÷ {self.clicks} clicks) | "
                         f"{sum(self.cpu_seconds) / max(1, self.clicks) * 1000:.0f} ms |")
            if self.database_cpu is not None:
                lines.append(f"| PostgreSQL (the server's processes on this machine) | {self.database_cpu:.1f} s |")
            lines.append(f"| the load generator (the simulated people, on the same cores) | "
                         f"{self.generator_cpu:.1f} s |")
            lines.append(f"| machine's cores over the run | {self.seconds * (os.cpu_count() or 1):.0f} s |")
        if self.costs:
            lines += ["", "Cost per click against Streamlit's floor (CPU of the server process per click, one person "
                          "at a time on a quiet process; the floor is a bare Streamlit page drawing the same number "
                          "of each kind of element, with no database):", "",
                      "| click | app CPU per click | Streamlit's floor | × floor |", "|---|---|---|---|"]
            for kind, (app, floor) in sorted(self.costs.items()):
                lines.append(f"| {kind} | {app * 1000:.0f} ms | {floor * 1000:.0f} ms | "
                             f"{app / floor if floor else float('inf'):.1f} |")
        return "\n".join(lines)

    def worst_p95(self) -> float:
        return max((percentile(values, 0.95) for values in self.times.values() if values), default=float("inf"))

    def summary(self) -> str:
        return (f"{self.people} people on {self.servers} app processes for {self.seconds:.0f} s: {self.clicks} "
                f"clicks, {self.confirmed} saves confirmed, {self.refused} refused with the conflict message, "
                f"{len(self.unexpected)} unexpected errors, {len(self.lost)} lost updates.")


def cpu_seconds(pid: int, *, children: bool = False) -> float:
    """A process's CPU time so far, user and system (Linux); with ``children``, also that of the children it has
    waited for (a PostgreSQL server's ended connections)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if children else 0)
    return ticks / os.sysconf("SC_CLK_TCK")


def database_cpu_seconds() -> float | None:
    """CPU so far of every PostgreSQL server process on this machine (none when it runs elsewhere)."""
    total, found = 0.0, False
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                    total += cpu_seconds(int(entry.name), children=True)
                    found = True
            except OSError:  # the process ended meanwhile
                continue
    return total if found else None


def machine() -> str:
    """The machine a report's figures were measured on."""
    import platform

    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor() or "unknown CPU")
    memory = next((int(line.split()[1]) / 2**20 for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), 0)
    return (f"{os.cpu_count()} cores ({model}), {memory:.0f} GiB, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}")


def click_costs(app: AppServer, crowd: list[Person], setup: dict[str, object], rounds: int) -> Tally:
    """Each kind of click's CPU on a quiet app process: one person of each kind at a time goes through their
    round ``rounds`` times, each run timed by the process's CPU clock."""
    tally = Tally()
    kinds: dict[tuple[str, bool], Person] = {}
    for person in crowd:
        kinds.setdefault((person.role, bool(person.target)), person)

    async def one(person: Person) -> None:
        tab = Tab(app.url, cpu=lambda: cpu_seconds(app.pid))
        rng = random.Random(0)
        try:
            await sign_in(tab, person, tally)
            for _ in range(rounds):
                await ROLES[person.role](tab, person, tally, setup, rng)
        finally:
            await tab.close()

    for person in kinds.values():
        asyncio.run(one(person))
    return tally


def floor_costs(shapes: dict[str, dict[str, object]], rounds: int) -> dict[str, float]:
    """Streamlit's own CPU per click for each page shape (``bench.floor_app``): the page opened, then ``rounds``
    reruns by a tick, each timed by the process's CPU clock."""
    from urllib.parse import urlencode

    server = start("", script=Path(__file__).with_name("floor_app.py"))
    floors: dict[str, float] = {}
    try:
        async def one(shape: dict[str, object]) -> float:
            tab = Tab(server.url, cpu=lambda: cpu_seconds(server.pid))
            try:
                page = await tab.open(query=urlencode({"shape": json.dumps(shape)}))
                box = page.widgets("checkbox")[0]
                used = []
                for number in range(rounds):
                    used.append((await tab.run(set_values=[tick(box.id, number % 2 == 0)])).cpu or 0.0)
                return statistics.fmean(used)
            finally:
                await tab.close()

        for kind, shape in shapes.items():
            floors[kind] = asyncio.run(one(shape))
    finally:
        stop(server)
    return floors


def run_load(database_url: str, *, people: int = 20, seconds: float = 60, servers: int = 2,
             log_dir: Path | None = None, arrive_within: float = 0.0, floor_rounds: int = 0,
             pace: str = "click", ports: list[int] | None = None, through: str = "",
             tls: ssl.SSLContext | None = None) -> Result:
    """``through``: the address of a proxy in front of the app processes (started here on ``ports``, which the
    proxy names), every person's tab going through it; otherwise each tab talks to one process directly."""
    crowd, setup = prepare(database_url, people)
    apps = [start(database_url, port=ports[n] if ports else None, extra_env={"CPCM_TRUST_PROXY": "1"} if through
                  else None, log=(log_dir / f"app-{n}.log") if log_dir else None) for n in range(servers)]
    try:
        before = versions(database_url, setup)
        first_audit_id = last_audit_id(database_url)
        idle = [rss_bytes(a.pid) for a in apps]
        cpu_before = [cpu_seconds(a.pid) for a in apps]
        database_before, generator_before = database_cpu_seconds(), time.process_time()
        tally = Tally()
        started = time.monotonic()

        timeline: list[tuple[float, float]] = []

        async def watch_memory(until: float) -> None:
            """The processes' growth per session every few minutes (every sixth of the run, at least a minute)."""
            every = max(60.0, seconds / 6)
            while time.monotonic() + every <= until + 1:
                await asyncio.sleep(every)
                grown = sum(rss_bytes(a.pid) for a in apps) - sum(idle)
                timeline.append((time.monotonic() - started, grown / max(1, len(crowd)) / 2**20))

        async def everyone() -> None:
            until = time.monotonic() + seconds
            await asyncio.gather(watch_memory(until), *(person_loop(through or apps[p.server % servers].url, p,
                                                                    tally, setup, until, seed, arrive_within, pace,
                                                                    tls)
                                                        for seed, p in enumerate(crowd)))

        asyncio.run(everyone())
        elapsed = time.monotonic() - started
        busy = [rss_bytes(a.pid) for a in apps]
        used = [cpu_seconds(a.pid) - before_cpu for a, before_cpu in zip(apps, cpu_before, strict=True)]
        generator = time.process_time() - generator_before
        database_after = database_cpu_seconds()
        database = None if database_before is None or database_after is None else database_after - database_before
        after = versions(database_url, setup)
        measured = click_costs(apps[0], crowd, setup, floor_rounds) if floor_rounds else None
    finally:
        for app in apps:
            stop(app)
    costs: dict[str, tuple[float, float]] = {}
    if measured is not None:
        floors = floor_costs(measured.shapes, floor_rounds)
        costs = {kind: (statistics.fmean(used), floors[kind]) for kind, used in measured.cpu.items() if used}
    return Result(people=len(crowd), servers=servers, seconds=elapsed,
                  clicks=sum(len(v) for v in tally.times.values()), confirmed=sum(tally.confirmed.values()),
                  refused=tally.refused, unexpected=tally.unexpected,
                  lost=lost_updates(before, after, tally, written_since(database_url, first_audit_id)),
                  times=dict(tally.times), rss_idle=idle, rss_busy=busy, cpu_seconds=used, costs=costs,
                  memory_over_time=timeline, generator_cpu=generator, database_cpu=database)


def scratch_database() -> tuple[str, str]:
    """A fresh PostgreSQL database for the run, and the server URL to drop it with."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.conftest import create_scratch_postgres_database

    server = os.environ.get("CPCM_TEST_POSTGRES_URL", "")
    if not server:
        raise SystemExit("Set CPCM_LOAD_DATABASE_URL (an empty PostgreSQL database) or CPCM_TEST_POSTGRES_URL "
                         "(a server to create a scratch database on).")
    return create_scratch_postgres_database(server), server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--servers", type=int, default=2)
    parser.add_argument("--report", type=Path)
    parser.add_argument("--arrive-within", type=float, default=10.0, metavar="SECONDS",
                        help="people arrive at random moments within this many seconds of the start (default 10)")
    parser.add_argument("--steps", metavar="COUNTS",
                        help="capacity: a run for each count of people (e.g. 20,40,60,80,100), each on a fresh "
                             "database and fresh app processes; the report names the largest count at which every "
                             "kind of click's p95 stays within --limit")
    parser.add_argument("--floor", type=int, default=0, metavar="ROUNDS",
                        help="after the load, each kind of click's CPU on a quiet app process next to Streamlit's "
                             "own for a bare page of the same elements (bench.floor_app), over ROUNDS rounds each")
    parser.add_argument("--pace", choices=sorted(PACES), default="click",
                        help="think before every click (default), or only between actions, an action's clicks "
                             "back to back (three times the rate)")
    parser.add_argument("--limit", type=float, default=1.0, metavar="SECONDS",
                        help="the p95 a capacity step must stay within (default 1 s)")
    args = parser.parse_args()
    counts = [int(c) for c in args.steps.split(",")] if args.steps else [args.people]
    if len(counts) > 1 and os.environ.get("CPCM_LOAD_DATABASE_URL"):
        raise SystemExit("--steps makes a scratch database for each step: set CPCM_TEST_POSTGRES_URL (a server), "
                         "not CPCM_LOAD_DATABASE_URL.")
    sections, problems, capacity = [f"Machine: {machine()}. Think time {THINK[0]:.0f}–{THINK[1]:.0f} s "
                                    f"{PACES[args.pace]}; people arrive within {args.arrive_within:.0f} s.\n"], [], []
    for people in counts:
        result = _one_run(people, args)
        report = f"{result.summary()}\n\n{result.table()}\n"
        if result.unexpected or result.lost:
            report += "\nProblems:\n" + "\n".join(f"- {p}" for p in result.unexpected + result.lost) + "\n"
            problems += result.unexpected + result.lost
        print(report, flush=True)
        sections.append(f"## {people} people\n\n{report}" if args.steps else report)
        capacity.append((people, result.worst_p95(), not (result.unexpected or result.lost)))
    if args.steps:
        held = [people for people, worst, clean in capacity if worst <= args.limit and clean]
        lines = ["## Capacity", "", f"| people | worst p95 of any kind | within {args.limit:.1f} s |", "|---|---|---|"]
        lines += [f"| {people} | {worst * 1000:.0f} ms | {'yes' if worst <= args.limit and clean else 'no'} |"
                  for people, worst, clean in capacity]
        lines += ["", f"Capacity: **{max(held) if held else 0} people** (the largest count whose every kind of "
                      f"click kept its p95 within {args.limit:.1f} s, with no error and no lost update)."]
        print("\n".join(lines))
        sections.append("\n".join(lines) + "\n")
    if args.report:
        args.report.write_text("# Many people at once\n\n" + "\n".join(sections))
    sys.exit(1 if problems else 0)


def _one_run(people: int, args: argparse.Namespace) -> Result:
    url = os.environ.get("CPCM_LOAD_DATABASE_URL", "")
    scratch = not url
    if scratch:
        url, _server = scratch_database()
    try:
        return run_load(url, people=people, seconds=args.seconds, servers=args.servers,
                        arrive_within=args.arrive_within, floor_rounds=args.floor, pace=args.pace)
    finally:
        if scratch:
            from tests.conftest import drop_postgres_database

            drop_postgres_database(url)


if __name__ == "__main__":
    main()
