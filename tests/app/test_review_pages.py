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


def _section_buttons(at) -> list:  # type: ignore[no-untyped-def]
    """The checklist's section buttons, in order ("1. General documentation · 0/3", ...)."""
    return [b for b in at.button if b.key and "review_go_" in b.key]


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
    # One section at a time, each named with how many of its items are answered.
    sections = _section_buttons(at)
    assert [b.label.split(" · ")[0] for b in sections][:2] == ["1. General documentation",
                                                               "2. Identification and registration"]
    assert len(sections) == 7 and sections[0].label.endswith("· 0/3")
    assert len(at.radio) == 3 and "1. General documentation" in [h.value for h in at.subheader]
    # Completing with items unanswered and no feedback is refused next to the fields; nothing is completed.
    button(at, "Complete the review").click().run()
    assert "Answer this item (Yes, No or Not applicable)." in errors(at)
    assert "Write the feedback for the caseworker before completing the review." in errors(at)
    # Working down the checklist: what is typed in a section stays when the supervisor moves on and comes back.
    at.radio(key=f"answer_{review_id}_1.1").set_value("yes")
    at.text_input(key=f"comment_{review_id}_1.1").input("Consent form signed and filed.")
    button(at, "Next section").click().run()
    assert "2. Identification and registration" in [h.value for h in at.subheader]
    assert _section_buttons(at)[0].label.endswith("· 1/3")
    _section_buttons(at)[0].click().run()
    assert at.radio(key=f"answer_{review_id}_1.1").value == "yes"
    assert at.text_input(key=f"comment_{review_id}_1.1").value == "Consent form signed and filed."
    computed_seen = False
    for index in range(len(sections)):
        computed_seen = computed_seen or "Computed from the dates:" in texts(at)  # items the dates decide
        for radio in at.radio:
            if radio.value == "":
                radio.set_value("no" if radio.key.endswith("_1.2") else "yes")
        if index < len(sections) - 1:
            button(at, "Next section").click().run()
    assert computed_seen
    # every section left behind is marked done; the one on screen counts what it held when it was opened
    assert all(b.proto.icon == ":material/check_circle:" for b in _section_buttons(at)[:-1])
    by_label(at.text_area, "Feedback for the caseworker").input("Record every follow-up contact the same day.")
    button(at, "Complete the review").click().run()
    assert not errors(at), errors(at)
    assert "Completed" in [m.value for m in at.metric]
    assert any("%" in str(m.value) for m in at.metric)
    shown = next(d.value for d in at.dataframe if "Comment" in d.value.columns)  # every section's answers
    assert shown.iloc[0]["Comment"] == "Consent form signed and filed."
    assert shown.set_index("Item").loc["1.2", "Answer"] == "No"
    # The caseworker sees it waiting, opens it and acknowledges it.
    at = open_page("checklists/ui/reviews.py", example["demo-caseworker"])
    assert "waiting for you to read and acknowledge" in texts(at)
    at = open_page("checklists/ui/review.py", example["demo-caseworker"], review_current=review_id)
    assert "Record every follow-up contact the same day." in texts(at)
    button(at, "I have read this review").click().run()
    assert "Acknowledged by Mariam Haddad" in texts(at)


def test_a_refused_complete_opens_the_first_section_with_a_message(open_page, example):
    """Everything answered but one item of a later section: Complete is refused, the page shows that section
    with the message under the item, its button marked, and nothing typed anywhere is lost."""
    case_file_id = _proposed_file_of(example, "Joseph Banda")
    at = open_page("checklists/ui/reviews.py", example["demo-supervisor"])
    at.button(key=f"start_{case_file_id}").click().run()
    review_id = at.session_state["review_current"]
    at = open_page("checklists/ui/review.py", example["demo-supervisor"], review_current=review_id)
    sections = _section_buttons(at)
    for index in range(len(sections)):
        for radio in at.radio:
            if radio.value == "" and not radio.key.endswith("_4.2"):
                radio.set_value("yes")
        if index < len(sections) - 1:
            button(at, "Next section").click().run()
    by_label(at.text_area, "Feedback for the caseworker").input("Good follow-up.")
    button(at, "Complete the review").click().run()
    assert errors(at) == ["Answer this item (Yes, No or Not applicable)."]
    assert "4. Case planning" in [h.value for h in at.subheader]
    assert _section_buttons(at)[3].proto.icon == ":material/error:"
    assert by_label(at.text_area, "Feedback for the caseworker").value == "Good follow-up."
    at.radio(key=f"answer_{review_id}_4.2").set_value("na")
    button(at, "Complete the review").click().run()
    assert not errors(at), errors(at)
    assert "Completed" in [m.value for m in at.metric]


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
