"""An app process killed in the middle of a save loses nothing that was confirmed saved, and last night's export
restored into a fresh server gives every record back with its audit chain intact: both driven as people and
operators meet them (a browser, ``kill -9``, the ``python -m app`` commands)."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import select

from bench.serving import serving, start
from tests.conftest import PROJECT_ROOT, create_scratch_postgres_database, drop_postgres_database, postgres_server_url
from tests.e2e.conftest import settle
from tests.e2e.helpers import click, current_checkbox, expect, sign_in

PASSPHRASE = "night shift export passphrase"


def _app_command(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CPCM_DATABASE_URL": database_url, "CPCM_BACKUP_PASSPHRASE": PASSPHRASE}
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=PROJECT_ROOT, env=env, capture_output=True,
                          text=True, timeout=300, check=False)


def _unticked(database_url: str, component: str) -> list[str]:
    from core.db import make_engine, session_scope
    from qaf.framework import bundled_framework
    from qaf.models import ComponentRating

    engine = make_engine(database_url)
    with session_scope(engine) as session:
        ticked = session.scalars(select(ComponentRating.actions_in_place).where(
            ComponentRating.component_code == component).order_by(ComponentRating.id.desc()).limit(1)).one()
    engine.dispose()
    return [a.text for a in bundled_framework().component(component).actions if a.id not in ticked]


def _open_workshop(tab, url: str, password: str) -> None:  # type: ignore[no-untyped-def]
    tab.goto(url)
    settle(tab)
    signed_in = tab.get_by_role("button", name="Sign out")
    try:  # a restarted server still knows the sign-in: the browser's cookie brings it back after the first run
        expect(signed_in).to_be_visible(timeout=8_000)
    except AssertionError:
        sign_in(tab, "demo-facilitator", password)
    click(tab, "Open in the workshop")
    expect(tab.get_by_role("heading", name="1. Case management response")).to_be_visible()


def _tick(tab, label: str) -> None:  # type: ignore[no-untyped-def]
    tab.get_by_text(label, exact=True).first.click()
    settle(tab)
    expect(current_checkbox(tab, label)).to_be_checked()


def test_a_killed_process_loses_nothing_saved_and_an_export_restores_into_a_fresh_server(browser, tmp_path):
    from app.example import load_example
    from app.wiring import prepare_database
    from core.backup import export_data
    from core.db import make_engine, session_scope

    database_url = f"sqlite:///{tmp_path / 'laptop.db'}"
    engine = make_engine(database_url)
    prepare_database(engine)
    with session_scope(engine) as session:
        password = next(c.password for c in load_example(session).credentials if c.username == "demo-facilitator")
    engine.dispose()
    confirmed, in_flight = _unticked(database_url, "1")[:2]

    app = start(database_url)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    try:
        _open_workshop(tab, app.url, password)
        _tick(tab, confirmed)
        click(tab, "Save 1")
        expect(tab.get_by_text("Unsaved changes — press Save to record them.")).to_have_count(0)  # confirmed
        tab.get_by_text(in_flight, exact=True).first.click()
        tab.get_by_role("button", name="Save 1", exact=True).first.click(no_wait_after=True)
    finally:
        app.kill()  # mid-request: the Save of component 2 may be anywhere in its run
    assert app.process.returncode == -9

    # Restarted on the same file: what was confirmed is there, the chain holds, and people carry on.
    assert _app_command(database_url, "verify-audit").returncode == 0
    with serving(database_url) as again:
        tab = context.new_page()
        _open_workshop(tab, again.url, password)
        expect(current_checkbox(tab, confirmed)).to_be_checked()
    context.close()

    # Last night's export, restored into a fresh server (PostgreSQL when one is configured), gives back every
    # record, and its audit chain verifies.
    export = tmp_path / "nightly.cpcm"
    done = _app_command(database_url, "backup", "export", str(export))
    assert done.returncode == 0, done.stderr
    server = postgres_server_url()
    fresh = create_scratch_postgres_database(server) if server else f"sqlite:///{tmp_path / 'fresh.db'}"
    try:
        done = _app_command(fresh, "backup", "restore", str(export))
        assert done.returncode == 0, done.stderr
        assert _app_command(fresh, "verify-audit").returncode == 0
        source, target = make_engine(database_url), make_engine(fresh)
        assert export_data(target)["tables"] == export_data(source)["tables"]
        source.dispose()
        target.dispose()
        with serving(fresh) as restored:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            tab = context.new_page()
            _open_workshop(tab, restored.url, password)
            expect(current_checkbox(tab, confirmed)).to_be_checked()
            context.close()
    finally:
        if server:
            drop_postgres_database(fresh)
