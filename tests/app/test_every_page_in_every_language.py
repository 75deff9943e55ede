"""Every page, for every role, in French, Spanish and Arabic, on the example data: no exception, no message key
shown raw, and the page in the person's language (the menu's sign-out button and the page's title)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import update

from accounts.models import Account
from core import i18n
from core.db import session_scope
from tests.app.helpers import texts
from tests.app.test_access_matrix import ALL_PAGES
from tests.conftest import laptop_conflict

PAGES = [*ALL_PAGES, "management/ui/my_actions.py", "management/ui/tracker.py", "management/ui/dashboard.py",
         "management/ui/progress.py", "management/ui/monthly_report.py", "sync/ui/exchanges.py",
         "sync/ui/conflicts.py"]
PEOPLE = ("demo-admin", "demo-manager", "demo-supervisor", "demo-caseworker", "demo-facilitator")
KEY = re.compile(r"\b[a-z_]+(?:\.[a-z0-9_]+)+\b")
WIDGETS = ("button", "selectbox", "multiselect", "text_input", "text_area", "checkbox", "radio", "date_input",
           "number_input", "toggle", "tabs", "expander")


def _raw_keys(at) -> set[str]:
    keys = set(i18n.catalogue("en")) | {k.rsplit(".", 1)[0] for k in i18n.catalogue("en")}
    shown = [texts(at)]
    for kind in WIDGETS:
        for widget in getattr(at, kind, []):
            shown.append(str(getattr(widget, "label", "")))
            shown += [str(o) for o in getattr(widget, "options", []) or []]
    return {match for text in shown for match in KEY.findall(text) if match in keys}


@pytest.mark.parametrize("language", ["fr", "es", "ar"])
def test_every_page_of_every_role_reads_in_the_persons_language(open_page, app_engine, example, language,
                                                                tmp_path):
    # a country server whose laptop left a conflict, so that sync's pages show all they can
    laptop_conflict(app_engine, tmp_path, admin="demo-admin", author="demo-facilitator",
                    assessment_id=example["assessment"])
    with session_scope(app_engine) as session:
        session.execute(update(Account).values(language=language))
    with i18n.using_locale(language):
        sign_out = i18n.t("login.logout")
    opened = 0
    for person in PEOPLE:
        with i18n.using_locale(language):
            at = open_page("", example[person])
        for page in PAGES:
            try:
                at.switch_page(page)
            except ValueError:  # not a page of this role
                continue
            with i18n.using_locale(language):  # AppTest formats the widgets' choices back in the test's thread
                at.run()
            assert not at.exception, (language, person, page, [e.value for e in at.exception])
            assert _raw_keys(at) == set(), (language, person, page)
            assert sign_out in [b.label for b in at.button], (language, person, page)
            opened += 1
    assert opened > 50
