"""What a person does in the browser, as steps the browser tests share. Every step waits on Streamlit's script
state (``settle``), never on a fixed sleep."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import settle

expect = pytest.importorskip("playwright.sync_api").expect
expect.set_options(timeout=30_000)  # CI runs this beside the other tests on two cores


def click(tab, name: str) -> None:  # type: ignore[no-untyped-def]
    tab.get_by_role("button", name=name).first.click()
    settle(tab)


def xpath_text(text: str) -> str:
    return f"'{text}'" if "'" not in text else f'"{text}"'


def current_checkbox(tab, label: str):  # type: ignore[no-untyped-def]
    """The checkbox as the current run drew it: Streamlit keeps the previous run's elements (marked stale) on
    screen until the new run has drawn over them, and under load both can be there at once."""
    return tab.locator(f"xpath=//input[@type='checkbox'][@aria-label={xpath_text(label)}]"
                       "[not(ancestor::*[@data-stale='true'])]")


def sign_in(tab, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    # Streamlit keeps the previous page's elements until the new run has drawn over them: wait for the form.
    expect(tab.get_by_role("button", name="Sign in")).to_be_visible()
    expect(tab.get_by_label("Username")).to_have_count(1)
    tab.get_by_label("Username").fill(username)
    tab.get_by_label("Password", exact=True).fill(password)
    click(tab, "Sign in")


def open_as(context, site, username: str, path: str = ""):  # type: ignore[no-untyped-def]
    """A new tab at ``path`` of the site, signed in as ``username``."""
    tab = context.new_page()
    tab.goto(f"{site.url}/{path}")
    settle(tab)
    sign_in(tab, username, site.passwords[username])
    expect(tab.get_by_role("button", name="Sign out")).to_be_visible()
    return tab


def go(tab, link: str, heading: str) -> None:  # type: ignore[no-untyped-def]
    """Follow a link in the menu, as a person does, to the page titled ``heading`` (a click lost while a run
    ends is clicked again)."""
    for _attempt in range(3):
        tab.get_by_test_id("stSidebar").get_by_role("link", name=link, exact=True).click()
        settle(tab)
        if tab.get_by_role("heading", name=heading).count():
            return
    expect(tab.get_by_role("heading", name=heading)).to_be_visible()


def download(tab, button: str) -> bytes:  # type: ignore[no-untyped-def]
    """Press a download button and return the file the browser saved. A click that lands while the page is being
    drawn again can be lost (the button it hit is replaced), so a person clicks again."""
    settle(tab)
    for attempt in range(3):
        try:
            with tab.expect_download(timeout=30_000 * (attempt + 1)) as caught:
                tab.locator("xpath=//button[not(ancestor::*[@data-stale='true'])][normalize-space(.)!='']") \
                    .filter(has_text=button).first.click()
            break
        except Exception:
            if attempt == 2:
                raise
            settle(tab)
    path = caught.value.path()
    with open(path, "rb") as saved:
        return saved.read()


def pdf_text(content: bytes) -> str:
    import io

    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)


def fill_date(tab, label: str, day) -> None:  # type: ignore[no-untyped-def]
    """Type a date into a date field (year, month and day segments, as the keyboard fills them)."""
    tab.get_by_role("spinbutton", name=f"year, {label}").first.click()
    tab.keyboard.type(f"{day.year:04d}{day.month:02d}{day.day:02d}")


def click_until(tab, name: str, shown, attempts: int = 3) -> None:  # type: ignore[no-untyped-def]
    """Press a button until ``shown`` (a locator) appears: a click that lands while the previous run is ending
    can be dropped by the browser, as a person would simply click again."""
    for _attempt in range(attempts):
        click(tab, name)
        try:
            expect(shown.first).to_be_visible(timeout=5_000)
            return
        except AssertionError:
            continue
    expect(shown.first).to_be_visible()
