"""Sync in the browser, as a programme lives it: the country server and a facilitator's laptop, each served by the
real app. Both changed the notes of one workshop component while apart; the facilitator downloads the laptop's
bundle, the administrator imports it on the server, a manager decides the conflict, and the laptop receives the
decision with the server's next bundle."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from bench.serving import serving
from tests.e2e.conftest import save_artifacts, settle
from tests.e2e.helpers import click, click_until, download, expect, go, sign_in

PASS = "a passphrase agreed by phone"
SERVER_WORDS = "Server: the SOPs were signed in May"
LAPTOP_WORDS = "Laptop: SOPs signed, staff briefed in June"


@dataclass(frozen=True)
class Programme:
    server: str
    laptop: str
    server_url: str
    laptop_url: str
    passwords: dict[str, str]


def _notes(database_url: str, code: str = "1") -> str:
    from core.db import make_engine, session_scope
    from qaf.models import Assessment, ComponentRating

    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            return session.scalar(select(ComponentRating.notes).join(Assessment).where(
                Assessment.status == "draft", ComponentRating.component_code == code))
    finally:
        engine.dispose()


def _write_notes(database_url: str, username: str, words: str, code: str = "1") -> None:
    """Someone changes the component's notes, keeping what else the rating holds (as the workshop page saves)."""
    from accounts.models import Account
    from accounts.services import build_actor
    from core.db import make_engine, session_scope
    from qaf.levels import Level
    from qaf.models import Assessment, ComponentRating
    from qaf.services import save_component_rating

    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            actor = build_actor(session, session.scalar(select(Account.id).where(Account.username == username)))
            row = session.scalar(select(ComponentRating).join(Assessment).where(
                Assessment.status == "draft", ComponentRating.component_code == code))
            save_component_rating(session, actor=actor, assessment_id=row.assessment_id, component_code=code,
                                  in_place=list(row.actions_in_place), agreed_level=Level(row.agreed_level),
                                  level_reason=row.level_reason, notes=words)
    finally:
        engine.dispose()


@pytest.fixture
def programme(tmp_path: Path) -> Iterator[Programme]:
    """A server with the example organisation, a laptop enrolled from it (its starting bundle imported), and the
    same component's notes written differently on each while they were apart."""
    from app.example import load_example
    from app.wiring import prepare_database
    from core.actor import SYSTEM
    from core.db import make_engine, session_scope
    from sync import exchange

    server_url, laptop_url = f"sqlite:///{tmp_path / 'server.db'}", f"sqlite:///{tmp_path / 'laptop.db'}"
    server, laptop = make_engine(server_url), make_engine(laptop_url)
    prepare_database(server)
    prepare_database(laptop)
    with session_scope(server) as session:
        passwords = {c.username: c.password for c in load_example(session).credentials}
    from accounts.models import Account
    from accounts.services import build_actor

    with session_scope(server) as session:
        admin = build_actor(session, session.scalar(select(Account.id).where(Account.username == "demo-admin")))
        exchange.enrol_laptop(session, actor=admin, name="Laptop A", agency_id=admin.agency_id,
                              out=tmp_path / "start.cpcmsync", passphrase=PASS)
    with session_scope(laptop) as session:
        exchange.import_bundle(session, actor=SYSTEM, path=tmp_path / "start.cpcmsync", passphrase=PASS)
    server.dispose()
    laptop.dispose()
    _write_notes(laptop_url, "demo-facilitator", LAPTOP_WORDS)
    _write_notes(server_url, "demo-caseworker", SERVER_WORDS)  # a co-facilitator, at the office
    with serving(server_url) as on_server, serving(laptop_url) as on_laptop:
        yield Programme(on_server.url, on_laptop.url, server_url, laptop_url, passwords)


def _open(context, url: str, username: str, password: str):  # type: ignore[no-untyped-def]
    tab = context.new_page()
    tab.goto(url)
    settle(tab)
    sign_in(tab, username, password)
    expect(tab.get_by_role("button", name="Sign out")).to_be_visible()
    return tab


def _passphrase(tab, key: str, *, twice: bool) -> None:  # type: ignore[no-untyped-def]
    for field in (f"{key}_passphrase", f"{key}_passphrase_again")[: 2 if twice else 1]:
        tab.locator(f".st-key-{field} input").fill(PASS)
        tab.locator(f".st-key-{field} input").press("Enter")
        settle(tab)


def _import(tab, section: str, bundle: Path) -> None:  # type: ignore[no-untyped-def]
    tab.locator(f".st-key-{section}_file input[type=file]").set_input_files(str(bundle))
    expect(tab.locator(f".st-key-{section}_file:not([data-stale=true])")).to_contain_text(
        re.compile(r"cpcmsync\s*[0-9.]+\s*[kKM]?B"))  # the file is listed with its size
    _passphrase(tab, section, twice=False)
    click(tab, "Import the bundle")


def test_a_laptops_work_reaches_the_server_a_manager_decides_the_conflict_and_the_laptop_receives_it(
        programme, browser, tmp_path, request):
    # the facilitator, on the laptop, sees what waits to go and downloads the bundle for the server
    laptop_person = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    server_people = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    manager_context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        laptop = _open(laptop_person, programme.laptop, "demo-facilitator", programme.passwords["demo-facilitator"])
        go(laptop, "Sync", "Sync")
        expect(laptop.get_by_text("Changes waiting to go")).to_be_visible()
        _passphrase(laptop, "send", twice=True)
        up = tmp_path / "Laptop A-to-server.cpcmsync"
        up.write_bytes(download(laptop, "Download the bundle for the server"))

        # the administrator imports it on the server: one conflict waits, the server's words stay
        admin = _open(server_people, programme.server, "demo-admin", programme.passwords["demo-admin"])
        go(admin, "Sync", "Sync")
        expect(admin.get_by_test_id("stDataFrame").get_by_text("Laptop A")).to_be_attached()  # the laptops
        _import(admin, "from_laptop", up)
        expect(admin.get_by_text("Imported the bundle from Laptop A")).to_be_visible()
        expect(admin.get_by_text("1 conflict waits for a decision")).to_be_visible()
        expect(admin.get_by_test_id("stMetricValue").nth(1)).to_have_text("1")  # open conflicts
        assert _notes(programme.server_url) == SERVER_WORDS

        # the manager sees both values, who wrote each, and takes the laptop's
        manager = _open(manager_context, programme.server, "demo-manager", programme.passwords["demo-manager"])
        go(manager, "Dashboard", "Dashboard")
        expect(manager.get_by_text("1 sync conflict waits for a decision")).to_be_visible()
        manager.get_by_role("link", name="Decide them on the Conflicts page").click()
        settle(manager)
        expect(manager.get_by_role("heading", name="Conflicts")).to_be_visible()
        expect(manager.get_by_text(re.compile(r"Component rating · Riverside .* · 1 · Notes and evidence"))) \
            .to_be_visible()  # the record and field as people know them
        expect(manager.get_by_text(SERVER_WORDS)).to_be_visible()
        expect(manager.get_by_text(LAPTOP_WORDS)).to_be_visible()
        manager.get_by_text("Take the laptop's value").click()
        click_until(manager, "Save the decision", manager.get_by_text("Decision saved"))
        expect(manager.get_by_text("No conflict waits")).to_be_visible()
        assert _notes(programme.server_url) == LAPTOP_WORDS

        # the administrator makes the laptop's bundle; the facilitator imports it on the laptop
        admin.reload()
        settle(admin)
        _passphrase(admin, "for_laptop", twice=True)
        down = tmp_path / "server-to-Laptop A.cpcmsync"
        down.write_bytes(download(admin, "Download the bundle for Laptop A"))
        _import(laptop, "receive", down)
        expect(laptop.get_by_text("Imported the bundle from")).to_be_visible()
        assert _notes(programme.laptop_url) == LAPTOP_WORDS
        expect(laptop.get_by_test_id("stMetricValue").first).to_have_text("0")  # nothing waits to go any more

        # importing the same bundle again changes nothing
        _import(laptop, "receive", down)
        expect(laptop.get_by_text("This bundle was imported before")).to_be_visible()
    except BaseException:
        for context in (laptop_person, server_people, manager_context):
            save_artifacts(context, request.node.nodeid + f"-{id(context)}")
        raise
    finally:
        for context in (laptop_person, server_people, manager_context):
            context.close()
