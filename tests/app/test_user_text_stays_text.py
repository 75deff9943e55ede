"""User text never becomes Markdown or HTML on any page: an image link would make every viewer's browser fetch
an address, a javascript link would run, raw HTML would render."""

from __future__ import annotations

import re

from accounts import staff_services
from accounts.staff import StaffDraft
from core.actor import SYSTEM
from core.db import session_scope
from qaf import services
from qaf.assessment import AssessmentDetails
from qaf.ui.common import CURRENT
from tests.conftest import actor_for

PAYLOAD = "![x](http://tracker.example/p.png) [y](javascript:alert(1)) <img src=x onerror=alert(1)>"
# A Markdown link or image, or an HTML tag, not escaped.
ACTIVE = re.compile(r"(?<!\\)\]\((?:http|javascript)|(?<!\\)<img")


def _rendered(at) -> list[str]:
    shown = []
    for kind in ("markdown", "caption", "title", "header", "subheader", "info", "warning", "error", "success"):
        shown += [str(e.value) for e in getattr(at, kind)]
    shown += [c.label for c in at.checkbox] + [e.label for e in at.expander]
    return shown


def test_user_text_on_every_page_is_shown_as_text(open_page, app_engine, example):
    fac, assessment = example["demo-facilitator"], example["assessment"]
    facilitator = actor_for(app_engine, fac)
    with session_scope(app_engine, actor=facilitator) as session:
        view = services.get_assessment(session, assessment, actor=facilitator)
        details = view.details
        services.update_assessment_details(session, actor=facilitator, assessment_id=assessment,
                                           details=AssessmentDetails(**{**details.__dict__, "name": PAYLOAD,
                                                                        "country": PAYLOAD}))
        plan = services.action_plan(session, assessment, actor=facilitator)
        draft = plan.key_actions[0].as_draft()
        draft.text, draft.owner_person = PAYLOAD, PAYLOAD[:150]
        services.update_key_action(session, actor=facilitator, key_action_id=plan.key_actions[0].id, draft=draft)
    with session_scope(app_engine) as session:
        team = staff_services.list_teams(session, actor=SYSTEM)[0]
        staff_services.create_staff(session, actor=SYSTEM, draft=StaffDraft(
            full_name=PAYLOAD[:190], programme_role="caseworker", agency_id=team.agency_id), team_id=team.id)
    pages = [("qaf/ui/workshop.py", fac), ("qaf/ui/summary.py", fac), ("qaf/ui/action_plan.py", fac),
             ("accounts/ui/teams.py", example["demo-manager"])]
    for page, account in pages:
        at = open_page(page, account, **{CURRENT: assessment})
        shown = _rendered(at)
        assert any("tracker" in text for text in shown), page  # the text is there, as text
        assert [text for text in shown if ACTIVE.search(text)] == [], page
