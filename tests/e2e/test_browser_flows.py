"""The main flows in a real browser: first run, example data, sign-in per role, the workshop, lockout."""

from __future__ import annotations

import re
import time

from app.example import EXAMPLE_NAME
from tests.e2e.conftest import settle
from tests.e2e.helpers import click as _click
from tests.e2e.helpers import current_checkbox as _current_checkbox
from tests.e2e.helpers import expect
from tests.e2e.helpers import sign_in as _sign_in


def test_first_run_example_sign_in_and_workshop(page):
    tab = page
    expect(tab.get_by_text("Set up the first administrator")).to_be_visible()
    tab.get_by_label("Username").fill("admin")
    tab.get_by_label("Name", exact=True).fill("Programme Administrator")
    tab.get_by_label("Password", exact=True).fill("short")
    tab.get_by_label("Repeat the password").fill("short")
    _click(tab, "Create the administrator and sign in")
    expect(tab.get_by_text("Use at least 12 characters.")).to_be_visible()
    tab.get_by_label("Password", exact=True).fill("river stones sing at dawn")
    tab.get_by_label("Repeat the password").fill("river stones sing at dawn")
    _click(tab, "Create the administrator and sign in")
    expect(tab.get_by_role("heading", name="Accounts and agencies")).to_be_visible()

    tab.get_by_role("link", name="Example data").click()
    expect(tab.get_by_role("heading", name="Example data")).to_be_visible()
    _click(tab, "Load the example data")
    expect(tab.get_by_text("These passwords are shown only now")).to_be_visible()
    row = tab.locator("table tr", has_text="demo-facilitator")
    password = row.locator("td").last.inner_text().strip()
    assert re.fullmatch(r"[A-Za-z0-9]{4}(-[A-Za-z0-9]{4}){3}", password)

    expect(tab.get_by_role("button", name="Sign out")).to_be_visible()
    _click(tab, "Sign out")
    expect(tab.get_by_text("You are signed out.")).to_be_visible()
    _sign_in(tab, "demo-facilitator", "wrong password here")
    expect(tab.get_by_text("Sign-in failed: the username or password is not right")).to_be_visible()
    _sign_in(tab, "demo-facilitator", password)
    expect(tab.get_by_role("heading", name="Assessments")).to_be_visible()

    _click(tab, "Open in the workshop")
    expect(tab.get_by_role("heading", name="1. Case management response")).to_be_visible()
    expect(tab.get_by_text("Components scored: 17 / 17").first).to_be_visible()
    checkbox = _current_checkbox(tab, "Develop inter-agency response strategy.")
    expect(checkbox).to_have_count(1)
    was = checkbox.is_checked()
    tab.get_by_text("Develop inter-agency response strategy.", exact=True).click()  # the label, as a person does
    settle(tab)
    expect(checkbox).to_be_checked(checked=not was)
    expect(tab.get_by_text("Unsaved changes — press Save to record them.")).to_be_visible()
    _click(tab, "Save 1")
    expect(tab.get_by_text("Unsaved changes — press Save to record them.")).to_have_count(0)
    tab.get_by_text("Develop inter-agency response strategy.", exact=True).click()  # back again, not saved
    settle(tab)
    expect(checkbox).to_be_checked(checked=was)
    expect(tab.get_by_text("Unsaved changes — press Save to record them.")).to_be_visible()

    # A reload (a new Streamlit session) keeps the person signed in, on the same page, with the draft restored.
    tab.reload()
    settle(tab)
    expect(tab.get_by_role("heading", name="1. Case management response")).to_be_visible()
    expect(tab.get_by_role("button", name="Sign in")).to_have_count(0)
    expect(tab.get_by_text("Restored unsaved changes you made on")).to_be_visible()
    expect(checkbox).to_be_checked(checked=was)

    # A second tab of the same browser, opened from a link, is signed in too and sees the same draft.
    second = tab.context.new_page()
    second.goto(tab.url)
    settle(second)
    expect(second.get_by_role("heading", name="1. Case management response")).to_be_visible()
    twin = _current_checkbox(second, "Develop inter-agency response strategy.")
    expect(twin).to_have_count(1)
    expect(twin).to_be_checked(checked=was)
    second.close()

    _click(tab, "Discard changes")
    expect(tab.get_by_text("Restored unsaved changes you made on")).to_have_count(0)
    expect(checkbox).to_be_checked(checked=not was)  # what is saved
    expect(tab.get_by_text("Unsaved changes — press Save to record them.")).to_have_count(0)

    # Signing out ends the session for every tab: a reload asks to sign in again.
    _click(tab, "Sign out")
    tab.reload()
    settle(tab)
    expect(tab.get_by_role("button", name="Sign in")).to_be_visible()


def test_presentation_mode_fits_a_projector(page, tmp_path):
    """At 1024×768 in presentation mode, the first component's checkboxes are on screen without scrolling, and
    "Next dimension" opens the next one at its top."""
    from app.example import load_example
    from app.wiring import prepare_database
    from core.db import make_engine, session_scope

    engine = make_engine(f"sqlite:///{tmp_path / 'e2e.db'}")
    prepare_database(engine)
    with session_scope(engine) as session:
        passwords = {c.username: c.password for c in load_example(session).credentials}
    tab = page
    tab.set_viewport_size({"width": 1024, "height": 768})
    tab.reload()
    settle(tab)
    _sign_in(tab, "demo-facilitator", passwords["demo-facilitator"])
    _click(tab, "Open in the workshop")
    expect(tab.get_by_role("heading", name="1. Case management response")).to_be_visible()
    tab.get_by_text("Presentation mode").click()
    settle(tab)
    expect(tab.get_by_test_id("stSidebar")).to_have_attribute("data-collapsed", "true")
    first = tab.get_by_test_id("stCheckbox").first
    expect(first).to_be_visible()
    box = first.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 768, box
    tab.screenshot(path=str(tmp_path / "presentation-1024x768.png"))

    tab.mouse.wheel(0, 3000)  # down to the end of the dimension, where "next" is
    _click(tab, "2. Case management process ▶")
    expect(tab.get_by_role("heading", name="2. Case management process")).to_be_visible()
    heading = tab.get_by_role("heading", name="2. Case management process").bounding_box()
    assert heading is not None and 0 <= heading["y"] < 768, heading


def test_an_open_tab_of_a_deactivated_account_can_neither_save_nor_download(page, tmp_path):
    from sqlalchemy import func, select, update

    from accounts.models import Account
    from app.example import load_example
    from app.wiring import prepare_database
    from core.audit import AuditRecord
    from core.db import make_engine, session_scope
    from qaf.models import ComponentRating

    tab = page
    engine = make_engine(f"sqlite:///{tmp_path / 'e2e.db'}")
    prepare_database(engine)
    with session_scope(engine) as session:
        example = load_example(session)
    passwords = {c.username: c.password for c in example.credentials}

    def switch_off(username: str) -> None:
        with session_scope(engine) as session:
            session.execute(update(Account).where(Account.username == username).values(active=False))

    def count(**where: str) -> int:
        with session_scope(engine) as session:
            return session.scalar(select(func.count()).select_from(AuditRecord).filter_by(**where))

    def ratings_version() -> int:
        with session_scope(engine) as session:
            return session.scalar(select(func.sum(ComponentRating.version_id)))

    tab.reload()
    settle(tab)
    _sign_in(tab, "demo-facilitator", passwords["demo-facilitator"])
    _click(tab, "Open in the workshop")
    expect(tab.get_by_role("heading", name="1. Case management response")).to_be_visible()
    before = ratings_version()
    tab.get_by_text("Develop inter-agency response strategy.", exact=True).first.click()  # tick, then lose the account
    settle(tab)
    switch_off("demo-facilitator")
    _click(tab, "Save 1")
    expect(tab.get_by_text("This account cannot act any more")).to_be_visible()
    expect(tab.get_by_role("button", name="Sign in")).to_be_visible()
    assert ratings_version() == before

    _sign_in(tab, "demo-manager", passwords["demo-manager"])  # the address still names the workshop and assessment
    # The run after sign-in opens the assessment the address names (the sidebar shows it); only then use the menu,
    # whose links carry no assessment.
    expect(tab.get_by_test_id("stSidebar").get_by_text(EXAMPLE_NAME)).to_be_visible()
    expect(tab.get_by_role("link", name="Action plan")).to_be_visible()
    for _attempt in range(3):  # a click can be lost while the machine is busy with the previous run
        tab.get_by_role("link", name="Action plan").click()
        settle(tab)
        if tab.get_by_role("button", name="Download CSV").count():
            break
        tab.wait_for_timeout(500)
    expect(tab.get_by_role("button", name="Download CSV")).to_be_visible()
    exports, refusals = count(action="export"), count(action="access_refused")
    switch_off("demo-manager")
    for _attempt in range(3):  # a click can be lost while the machine is busy with the previous run
        tab.get_by_role("button", name="Download CSV").click()
        deadline = time.monotonic() + 15
        while count(action="access_refused") == refusals and time.monotonic() < deadline:
            tab.wait_for_timeout(200)  # polling the database for the refusal, not a fixed wait for the browser
        if count(action="access_refused") > refusals:
            break
    assert count(action="access_refused") >= refusals + 1
    assert count(action="export") == exports
    engine.dispose()
