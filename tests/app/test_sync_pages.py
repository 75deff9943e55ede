"""The Sync and Conflicts pages (AppTest): an administrator enrols a laptop and compares fingerprints, the
laptop's people download their bundle, the administrator uploads it on the server, a manager decides the
conflict it brought."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import select

from core.actor import SYSTEM
from core.db import make_engine, session_scope
from qaf.assessment import AssessmentDetails
from qaf.models import ComponentRating
from qaf.services import create_assessment, ensure_bundled_framework, save_component_rating
from sync import exchange
from tests.app.helpers import button, by_label, errors, texts
from tests.conftest import actor_for, make_account

PASS = "a passphrase for the page"


@pytest.fixture
def server(app_engine):
    admin = make_account(app_engine, username="ada-admin", roles=["administrator"])
    facilitator = make_account(app_engine, username="zoe-facilitator", roles=["facilitator", "manager"])
    with session_scope(app_engine) as session:
        assessment = create_assessment(session, actor=actor_for(app_engine, facilitator),
                                       framework_version_id=ensure_bundled_framework(session),
                                       details=AssessmentDetails(name="Review 2026", country="Jordan",
                                                                 scope="agency", assessed_on=date(2026, 11, 3),
                                                                 facilitator="Zoe"))
        save_component_rating(session, actor=actor_for(app_engine, facilitator), assessment_id=assessment,
                              component_code="1", in_place=[], agreed_level=None, notes="Agreed in March")
    return {"admin": admin, "facilitator": facilitator, "assessment": assessment}


def enrol_on_the_page(open_page, server) -> bytes:
    at = open_page("sync/ui/exchanges.py", server["admin"])
    assert "does not exchange with laptops yet" in texts(at)
    by_label(at.text_input, "Laptop's name").input("Field office laptop")
    by_label(at.text_input, "Passphrase").input(PASS)
    by_label(at.text_input, "The same passphrase again").input(PASS)
    at.run()
    button(at, "Enrol and make the starting bundle").click().run()
    assert not errors(at)
    shown = texts(at)
    assert "Field office laptop is enrolled" in shown
    enrolled = at.session_state["sync_enrolled"]
    assert enrolled["laptop"] in shown and enrolled["server"] in shown  # the fingerprints to read aloud
    assert [b.proto.label for b in at.get("download_button")] == ["Download the starting bundle"]
    return enrolled["data"]


def test_an_administrator_enrols_a_laptop_and_a_mistyped_passphrase_is_caught(open_page, server):
    at = open_page("sync/ui/exchanges.py", server["admin"])
    by_label(at.text_input, "Laptop's name").input("Field office laptop")
    by_label(at.text_input, "Passphrase").input(PASS)
    by_label(at.text_input, "The same passphrase again").input(PASS + "x")
    at.run()
    assert "The two passphrases differ" in " ".join(errors(at))
    assert button(at, "Enrol and make the starting bundle").disabled
    data = enrol_on_the_page(open_page, server)
    assert data.startswith(b"CPCM-SYNC-BUNDLE-1\n")


def test_a_laptops_work_goes_to_the_server_and_a_manager_decides_its_conflict(
        open_page, server, app_engine, app_database, tmp_path: Path, sqlite_template: Path, monkeypatch, downloads):
    start = tmp_path / "start.cpcmsync"
    start.write_bytes(enrol_on_the_page(open_page, server))
    laptop_path = tmp_path / "laptop.db"
    shutil.copy(sqlite_template, laptop_path)
    laptop = make_engine(f"sqlite:///{laptop_path}")
    with session_scope(laptop) as session:
        exchange.import_bundle(session, actor=SYSTEM, path=start, passphrase=PASS)
    from accounts.models import Account
    from accounts.services import build_actor
    with session_scope(laptop) as session:
        person = build_actor(session, session.scalar(select(Account.id).where(Account.username == "zoe-facilitator")))
        laptop_assessment = session.scalar(select(ComponentRating.assessment_id))
        save_component_rating(session, actor=person, assessment_id=laptop_assessment, component_code="1",
                              in_place=[], agreed_level=None, notes="The laptop's words")
    with session_scope(app_engine) as session:
        save_component_rating(session, actor=actor_for(app_engine, server["facilitator"]),
                              assessment_id=server["assessment"], component_code="1", in_place=[],
                              agreed_level=None, notes="The server's words")

    # on the laptop: its Sync page, as the facilitator
    monkeypatch.setenv("CPCM_DATABASE_URL", f"sqlite:///{laptop_path}")
    st.cache_resource.clear()
    with session_scope(laptop) as session:
        laptop_person = session.scalar(select(Account.id).where(Account.username == "zoe-facilitator"))
    at = open_page("sync/ui/exchanges.py", laptop_person)
    shown = texts(at)
    assert "This computer is Field office laptop" in shown
    assert by_label(at.metric, "Changes waiting to go").value == "1"
    by_label(at.text_input, "Passphrase").input(PASS)
    by_label(at.text_input, "The same passphrase again").input(PASS)
    at.run()
    up = tmp_path / "up.cpcmsync"
    up.write_bytes(downloads["Download the bundle for the server"]())
    laptop.dispose()

    # on the server: the administrator uploads it
    monkeypatch.setenv("CPCM_DATABASE_URL", app_database)
    st.cache_resource.clear()
    at = open_page("sync/ui/exchanges.py", server["admin"])
    assert "Field office laptop" in list(at.dataframe[0].value["Laptop"])
    upload = next(u for u in at.file_uploader if u.key == "from_laptop_file")
    upload.set_value(("up.cpcmsync", up.read_bytes(), "application/octet-stream"))
    passphrases = [t for t in at.text_input if t.key == "from_laptop_passphrase"]
    passphrases[0].input("not the passphrase")
    at.run()
    next(b for b in at.button if b.key == "from_laptop_import").click().run()
    assert "The passphrase is wrong" in " ".join(texts(at).splitlines() + errors(at))
    next(t for t in at.text_input if t.key == "from_laptop_passphrase").input(PASS)
    at.run()
    next(b for b in at.button if b.key == "from_laptop_import").click().run()
    shown = texts(at)
    assert "Imported the bundle from Field office laptop" in shown
    assert "1 conflict waits for a decision" in shown

    # a manager decides it: the laptop's words are taken
    at = open_page("sync/ui/conflicts.py", server["facilitator"])
    shown = texts(at)
    assert "The laptop's words" in shown and "The server's words" in shown and "Agreed in March" in shown
    at.radio[0].set_value("replica").run()
    button(at, "Save the decision").click().run()
    assert not errors(at)
    assert "No conflict waits for a decision." in texts(at)
    with session_scope(app_engine) as session:
        assert session.scalar(select(ComponentRating.notes)) == "The laptop's words"


def test_an_empty_installation_starts_as_a_laptop_from_its_starting_bundle(open_page, app_engine, tmp_path: Path,
                                                                          sqlite_template: Path):
    """No terminal: the first-run screen takes the starting bundle; afterwards the agency's people sign in."""
    server_path = tmp_path / "server.db"
    shutil.copy(sqlite_template, server_path)
    server_engine = make_engine(f"sqlite:///{server_path}")
    admin = actor_for(server_engine, make_account(server_engine, username="ada-admin", roles=["administrator"]))
    make_account(server_engine, username="zoe-facilitator", roles=["facilitator"])
    start = tmp_path / "start.cpcmsync"
    with session_scope(server_engine) as session:
        done = exchange.enrol_laptop(session, actor=admin, name="Camp laptop", agency_id=admin.agency_id, out=start,
                                     passphrase=PASS)
    server_engine.dispose()
    at = open_page("", None)
    assert "Start this laptop from the bundle" in [b.label for b in at.button]
    by_label(at.file_uploader, "Bundle file (.cpcmsync)").set_value(
        ("start.cpcmsync", start.read_bytes(), "application/octet-stream"))
    next(t for t in at.text_input if t.key == "first_run_passphrase").input("wrong passphrase")
    at.run()
    button(at, "Start this laptop from the bundle").click().run()
    assert "The passphrase is wrong" in " ".join(errors(at) + texts(at).splitlines())
    next(t for t in at.text_input if t.key == "first_run_passphrase").input(PASS)
    at.run()
    button(at, "Start this laptop from the bundle").click().run()
    shown = texts(at)
    assert "This computer is now Camp laptop" in shown
    assert done.laptop_fingerprint in shown and done.server_fingerprint in shown
    with session_scope(app_engine) as session:
        from accounts.models import Account
        assert set(session.scalars(select(Account.username))) == {"ada-admin", "zoe-facilitator"}
