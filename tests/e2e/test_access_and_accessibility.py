"""In a real browser: what a person may not see stays out of reach by address as well as by menu, and every page
passes axe-core with no critical or serious violation in the tool's own markup (Streamlit's own are reported
separately, in ``test-artifacts/axe-streamlit.json``)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from tests.e2e.conftest import ARTIFACTS, Site, settle
from tests.e2e.helpers import expect, open_as

OTHER_MANAGER = "partner-manager"


@pytest.fixture(scope="module")
def site(example_site: Site) -> Iterator[Site]:
    """The example, plus a manager of the partner agency (another agency's data must stay out of her reach)."""
    from accounts.services import AccountDraft, agency_id_for, create_account
    from app.example import PARTNER_AGENCY
    from core.actor import SYSTEM
    from core.db import make_engine, session_scope

    engine = make_engine(example_site.database_url)
    with session_scope(engine) as session:
        _id, password = create_account(session, actor=SYSTEM, draft=AccountDraft(
            username=OTHER_MANAGER, display_name="Partner Manager", roles=["manager"],
            agency_id=agency_id_for(session, PARTNER_AGENCY)), must_change_password=False)
    engine.dispose()
    yield Site(example_site.url, example_site.database_url, {**example_site.passwords, OTHER_MANAGER: password})


def _ids(site: Site) -> dict[str, int]:
    from accounts.models import StaffMember, Team
    from checklists.models import CaseFileReview
    from core.db import make_engine, session_scope

    engine = make_engine(site.database_url)
    with session_scope(engine) as session:
        def review_of(name: str) -> int:
            return session.scalar(select(CaseFileReview.id).join(
                StaffMember, StaffMember.id == CaseFileReview.caseworker_id).where(
                StaffMember.full_name == name, CaseFileReview.status == "completed").limit(1))
        ids = {"joseph_review": review_of("Joseph Banda"), "mariam_review": review_of("Mariam Haddad"),
               "team": session.scalar(select(Team.id).order_by(Team.id).limit(1))}
    engine.dispose()
    return ids


def _main_text(tab) -> str:  # type: ignore[no-untyped-def]
    return tab.get_by_test_id("stMain").inner_text()


def test_a_caseworker_cannot_reach_another_caseworkers_reviews_by_address(site, context):
    ids = _ids(site)
    tab = open_as(context, site, "demo-caseworker")
    tab.goto(f"{site.url}/review?review={ids['joseph_review']}")
    settle(tab)
    expect(tab.get_by_text("You do not have access to this.")).to_be_visible()
    assert "Joseph Banda" not in _main_text(tab)
    tab.goto(f"{site.url}/review?review={ids['mariam_review']}")  # her own opens
    settle(tab)
    expect(tab.get_by_text("Caseworker: Mariam Haddad", exact=False)).to_be_visible()
    # Pages outside her role are neither in her menu nor reachable by typing their address.
    sidebar = tab.get_by_test_id("stSidebar")
    for page, title in (("trends", "Trends"), ("monthly_report", "Monthly report"), ("accounts", "Accounts"),
                        ("working_calendar", "Working calendar")):
        expect(sidebar.get_by_role("link", name=title, exact=True)).to_have_count(0)
        tab.goto(f"{site.url}/{page}")
        settle(tab)
        expect(tab.get_by_role("heading", name=title, exact=True)).to_have_count(0)


def test_a_manager_cannot_reach_another_agencys_data_by_address(site, context):
    ids = _ids(site)
    tab = open_as(context, site, OTHER_MANAGER)
    tab.goto(f"{site.url}/review?review={ids['joseph_review']}")
    settle(tab)
    expect(tab.get_by_text("You do not have access to this.")).to_be_visible()
    tab.goto(f"{site.url}/calendar?team={ids['team']}")  # the example agency's team
    settle(tab)
    text = _main_text(tab)
    assert "Mariam Haddad" not in text and "Joseph Banda" not in text
    tab.goto(f"{site.url}/tracker")
    settle(tab)
    expect(tab.get_by_role("heading", name="Action tracker")).to_be_visible()
    assert "Brightpath" not in _main_text(tab)
    tab.goto(f"{site.url}/case_files")
    settle(tab)
    assert "BCA-" not in _main_text(tab)


# Accessibility ---------------------------------------------------------------------------------------------------

SERIOUS = {"critical", "serious"}
# Markup the tool writes itself (markdown, captions, its own HTML and widgets' labels); everything else on the page
# is Streamlit's.
OURS = ("stMarkdownContainer", "stHtml", "stCaptionContainer", "stAlertContentError")


def _axe(tab) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(tab, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa"]}})
    return [v for v in results.response["violations"] if v.get("impact") in SERIOUS]


def _split(violations: list[dict[str, object]]) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    ours, theirs = [], []
    for violation in violations:
        for node in violation["nodes"]:  # type: ignore[attr-defined]
            entry = {"rule": violation["id"], "impact": violation["impact"], "target": node["target"],
                     "html": node["html"][:300]}
            (ours if any(marker in node["html"] or marker in json.dumps(node["target"])
                         for marker in OURS) else theirs).append(entry)
    return ours, theirs


@pytest.mark.parametrize("who", ["demo-manager", "demo-caseworker", "demo-admin", "demo-facilitator"])
def test_every_page_passes_axe(site, context, who):
    pytest.importorskip("axe_playwright_python")
    tab = open_as(context, site, who)
    links = tab.get_by_test_id("stSidebar").get_by_role("link")
    expect(links.first).to_be_visible()  # the menu is drawn just after the sign-out button: wait for it
    addresses = sorted({links.nth(i).get_attribute("href") or "" for i in range(links.count())})
    assert len(addresses) >= 3
    ours_all: dict[str, list[dict[str, object]]] = {}
    theirs_all: dict[str, list[dict[str, object]]] = {}
    for address in addresses:
        tab.goto(address)
        settle(tab)
        expect(tab.get_by_test_id("stException")).to_have_count(0)
        ours, theirs = _split(_axe(tab))
        if ours:
            ours_all[address] = ours
        if theirs:
            theirs_all[address] = theirs
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"axe-streamlit-{who}.json").write_text(json.dumps(theirs_all, indent=1))
    assert not ours_all, json.dumps(ours_all, indent=1)[:4000]
