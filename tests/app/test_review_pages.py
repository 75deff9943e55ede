"""The case file review pages as a supervisor, a manager and a caseworker meet them (AppTest, SQLite and
PostgreSQL): the month's sample, a review from start to acknowledgement, case files, trends and settings."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.app.helpers import button, by_label, errors, texts

PAGES = ("checklists/ui/reviews.py", "checklists/ui/review.py", "checklists/ui/case_files.py",
         "checklists/ui/trends.py", "checklists/ui/settings.py")


@pytest.mark.parametrize("who", ["demo-supervisor", "demo-manager", "demo-caseworker"])
def test_every_review_page_opens_for_each_role(open_page, example, who):
    for page in PAGES:
        if page.endswith("settings.py") and who != "demo-manager":
            continue
        if page.endswith("trends.py") and who == "demo-caseworker":
            continue
        at = open_page(page, example[who])
        assert not errors(at), (page, errors(at))



def _engine():
    import os

    from core.db import make_engine
    return make_engine(os.environ["CPCM_DATABASE_URL"])


def _proposed_file_of(example, caseworker: str) -> int:
    """The first file the month's sample proposes for a caseworker of the example's East team."""
    from datetime import date

    from accounts.services import build_actor
    from checklists.services.sampling import monthly_sample, sample_teams
    from core.db import session_scope

    engine = _engine()
    with session_scope(engine) as session:
        actor = build_actor(session, example["demo-supervisor"])
        team_id = sample_teams(session, actor=actor)[0][0]
        sample = monthly_sample(session, actor=actor, team_id=team_id, month=date.today())
    engine.dispose()
    line = next(s for s in sample if s.caseworker_name == caseworker)
    return next(p.case_file_id for p in line.proposed if p.review_id is None)


def test_a_review_from_the_sample_to_the_caseworker_acknowledging_it(open_page, example):
    case_file_id = _proposed_file_of(example, "Mariam Haddad")
    at = open_page("checklists/ui/reviews.py", example["demo-supervisor"])
    assert "Mariam Haddad" in texts(at) and "The sample for" in texts(at)
    at.button(key=f"start_{case_file_id}").click().run()
    assert not at.exception
    assert at.title[0].value.startswith("Case file review — BCA-")
    review_id = at.session_state["review_current"]
    # The review page, as the switch left it (AppTest keeps the first page for later runs, so open it again).
    at = open_page("checklists/ui/review.py", example["demo-supervisor"], review_current=review_id)
    # Items the dates decide come pre-answered and say so.
    assert "Computed from the dates:" in texts(at)
    # Completing with items unanswered and no feedback is refused next to the fields; nothing is completed.
    button(at, "Complete the review").click().run()
    assert "Answer this item (Yes, No or Not applicable)." in errors(at)
    assert "Write the feedback for the caseworker before completing the review." in errors(at)
    for radio in at.radio:
        if radio.value == "":
            radio.set_value("yes")
    first_unanswered_no = next(r for r in at.radio if r.key.endswith("_1.2"))
    first_unanswered_no.set_value("no")
    by_label(at.text_area, "Feedback for the caseworker").input("Record every follow-up contact the same day.")
    button(at, "Complete the review").click().run()
    assert not errors(at), errors(at)
    assert "Completed" in [m.value for m in at.metric]
    assert any("%" in str(m.value) for m in at.metric)
    # The caseworker sees it waiting, opens it and acknowledges it.
    at = open_page("checklists/ui/reviews.py", example["demo-caseworker"])
    assert "waiting for you to read and acknowledge" in texts(at)
    at = open_page("checklists/ui/review.py", example["demo-caseworker"], review_current=review_id)
    assert "Record every follow-up contact the same day." in texts(at)
    button(at, "I have read this review").click().run()
    assert "Acknowledged by Mariam Haddad" in texts(at)


def test_a_caseworker_cannot_open_another_caseworkers_review(open_page, example):
    from sqlalchemy import select

    from accounts.models import StaffMember
    from checklists.models import CaseFileReview
    from core.db import session_scope

    engine = _engine()
    with session_scope(engine) as session:
        other = session.scalar(select(CaseFileReview.id).join(StaffMember, StaffMember.id == CaseFileReview.caseworker_id)
                               .where(StaffMember.full_name == "Joseph Banda", CaseFileReview.status == "completed"))
    engine.dispose()
    at = open_page("checklists/ui/review.py", example["demo-caseworker"], review_current=other)
    assert "You do not have access to this." in errors(at)
    assert "No review open" in texts(at)


def test_a_supervisor_adds_a_case_file_and_is_told_what_is_wrong(open_page, example):
    at = open_page("checklists/ui/case_files.py", example["demo-supervisor"])
    assert "Case code only. Never a child's name" in texts(at)
    form_code = next(w for w in at.text_input if w.label == "Case code")
    form_code.input("Amina Yusuf")
    dates = {}
    for widget in at.date_input:  # the first form on the page is the new case file's
        dates.setdefault(widget.label, widget)
    dates["Assessed on"].set_value(date.today() - timedelta(days=5))
    dates["Case plan on"].set_value(date.today() - timedelta(days=9))
    submit = next(b for b in at.button if b.label == "Save")
    submit.click().run()
    assert any("is before Assessed on" in e for e in errors(at)), errors(at)
    next(w for w in at.date_input if w.label == "Case plan on").set_value(date.today() - timedelta(days=2))
    next(b for b in at.button if b.label == "Save").click().run()
    assert not errors(at), errors(at)
    assert "looks like a personal name" in texts(at)
    assert "Amina Yusuf" in at.dataframe[0].value.iloc[:, 0].tolist()


def test_trends_and_settings_show_their_figures_and_what_they_are_computed_over(open_page, example):
    at = open_page("checklists/ui/trends.py", example["demo-manager"])
    assert "Computed over" in texts(at) and "completed reviews" in texts(at)
    assert "% of case assessments carried out within the agreed timeframe" in at.dataframe[2].value.iloc[:, 0].tolist()
    at = open_page("checklists/ui/settings.py", example["demo-manager"])
    assert "uses the defaults" in texts(at)
    by_label(at.number_input, "Files to review per caseworker each month").set_value(3)
    button(at, "Save as a new version").click().run()
    assert not errors(at), errors(at)
    assert "version 1" in texts(at)
