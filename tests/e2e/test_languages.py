"""The tool in French, Spanish and Arabic as a person meets it in Chromium: the language picked on the sign-in
page, the pages in that language, and Arabic read from the right (the page, the sidebar at the right edge, tables
and forms). One screenshot per language and page is kept in ``test-artifacts/languages/``."""

from __future__ import annotations

import pytest

from core.i18n import LANGUAGE_NAMES, t, using_locale
from tests.e2e.conftest import ARTIFACTS, settle
from tests.e2e.helpers import expect, go

PAGES = (("nav.dashboard", "dashboard.title"), ("nav.tracker", "tracker.title"))


def _in(language: str, key: str) -> str:
    with using_locale(language):
        return t(key)


def _pick_language(tab, language: str) -> None:  # type: ignore[no-untyped-def]
    """Choose the language in the sign-in page's picker, as a person does (open the list, click the name)."""
    tab.get_by_test_id("stSelectbox").first.click()
    tab.get_by_role("option", name=LANGUAGE_NAMES[language]).click()
    settle(tab)
    expect(tab.get_by_role("button", name=_in(language, "login.button"))).to_be_visible()


@pytest.mark.parametrize("language", ["ar", "fr", "es"])
def test_a_manager_signs_in_and_works_in_their_language(example_site, context, language):
    tab = context.new_page()
    tab.goto(example_site.url)
    settle(tab)
    _pick_language(tab, language)
    tab.get_by_label(_in(language, "accounts.field.username")).fill("demo-manager")
    tab.get_by_label(_in(language, "accounts.field.password"), exact=True).fill(
        example_site.passwords["demo-manager"])
    tab.get_by_role("button", name=_in(language, "login.button")).click()
    settle(tab)
    expect(tab.get_by_role("button", name=_in(language, "login.logout"))).to_be_visible()
    out = ARTIFACTS / "languages"
    out.mkdir(parents=True, exist_ok=True)
    for link, heading in PAGES:
        go(tab, _in(language, link), _in(language, heading))
        if link == "nav.dashboard":  # the figures and their charts drawn, each with its labels
            expect(tab.get_by_test_id("stMetric").first).to_be_visible()
            chart = tab.get_by_test_id("stVegaLiteChart").first
            expect(chart.locator("canvas, svg").first).to_be_visible()
            tab.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"]')")
        tab.screenshot(path=str(out / f"{language}-{link.split('.')[1]}.png"), full_page=False)
        direction = tab.evaluate("() => getComputedStyle(document.querySelector('.stMain')).direction")
        sidebar = tab.get_by_test_id("stSidebar").bounding_box()
        main = tab.locator(".stMain").bounding_box()
        title = tab.get_by_role("heading", name=_in(language, heading)).bounding_box()
        if language == "ar":
            assert direction == "rtl"
            assert sidebar["x"] > main["x"]  # the sidebar at the right edge
            # the title starts at the right of the page, as Arabic is read
            assert title["x"] + title["width"] > main["x"] + main["width"] * 0.6
            table = tab.get_by_test_id("stDataFrame").first
            assert table.evaluate("e => getComputedStyle(e).direction") == "rtl"
        else:
            assert direction == "ltr" and sidebar["x"] < main["x"]
