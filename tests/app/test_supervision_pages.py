"""The supervision pages as a supervisor, a manager and a caseworker meet them (AppTest, SQLite and PostgreSQL):
the calendar with the example data, a supervisor's month (generate, move a session, hold one with an agreed
action, miss one, export), the plan with an infeasible team and its proposal, standards and ratios, and the
working calendar."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from tests.app.helpers import button, by_label, errors, texts

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


def _engine():
    import os

    from core.db import make_engine
    return make_engine(os.environ["CPCM_DATABASE_URL"])


def _sessions(example, who: str = "demo-supervisor", **filters):  # type: ignore[no-untyped-def]
    from accounts.services import build_actor
    from core.db import session_scope
    from supervision.services import sessions

    engine = _engine()
    try:
        with session_scope(engine) as session:
            actor = build_actor(session, example[who])
            return actor, sessions.list_sessions(session, actor=actor, **filters)
    finally:
        engine.dispose()


def _open(open_page, example, view, who="demo-supervisor"):  # type: ignore[no-untyped-def]
    """The calendar at the session's month, with the session opened (as clicking it in the grid does)."""
    at = open_page("supervision/ui/calendar.py", example[who])
    at.query_params["month"] = view.starts_at.strftime("%Y-%m")
    at.session_state["calendar_session"] = view.id
    return at.run()


def test_a_supervisors_month_generate_move_hold_miss_and_export(open_page, example):
    # Generate the coming month from the plan page, with the progress bar and what happened.
    at = open_page("supervision/ui/plan.py", example["demo-supervisor"])
    assert "Activities" in texts(at) and not errors(at)
    today = date.today()
    by_label(at.date_input, "To").set_value(today + timedelta(days=30)).run()
    button(at, "Generate the calendar").click().run()
    assert not errors(at), errors(at)
    assert any("Calendar from" in s.value for s in at.success)

    _actor, found = _sessions(example)
    now = datetime.now()
    upcoming = [v for v in found if v.status == "planned" and v.starts_at > now + timedelta(days=2)
                and v.caseworker_id]
    session = upcoming[0]

    # Move it onto a time someone is already booked: refused, saying with what.
    at = _open(open_page, example, session)
    assert f"{session.caseworker_name}" in texts(at)
    other = next(v for v in found if (v.status == "planned" and v.id != session.id and v.caseworker_id is None)
                 or (v.caseworker_id == session.caseworker_id and v.id != session.id and v.status == "planned"))
    by_label(at.date_input, "Date").set_value(other.starts_at.date())
    by_label(at.time_input, "Start").set_value(other.starts_at.time())
    button(at, "Move the session").click().run()
    assert any("already booked" in e or "daily supervision" in e or "over their" in e for e in errors(at)), \
        errors(at)
    # Onto a Friday (not a working day for this agency): refused.
    friday = today + timedelta(days=(4 - today.weekday()) % 7 or 7)
    by_label(at.date_input, "Date").set_value(friday)
    button(at, "Move the session").click().run()
    assert "That day is not a working day." in errors(at)
    # Onto a free time: moved, and marked as changed by hand in the agenda.
    free = _free_slot(session, found)
    by_label(at.date_input, "Date").set_value(free.date())
    by_label(at.time_input, "Start").set_value(free.time())
    button(at, "Move the session").click().run()
    assert not errors(at), errors(at)
    _, after = _sessions(example)
    moved = next(v for v in after if v.id == session.id)
    assert moved.starts_at == free and moved.touched

    # A past session nobody recorded: held, with notes and an agreed action.
    past = [v for v in after if v.status == "planned" and v.starts_at < now and v.caseworker_id]
    assert len(past) >= 2, "the example data leaves some past sessions unrecorded"
    at = _open(open_page, example, past[0])
    by_label(at.text_area, "Notes").input("Went through the follow-up plan for two cases.")
    button(at, "Record as held").click().run()
    assert not errors(at), errors(at)
    assert "Status: Held." in texts(at)
    by_label(at.text_area, "Agreed action").input("Update the follow-up log before Thursday.")
    by_label(at.text_input, "Owner").input("")
    button(at, "Add the action").click().run()
    assert "Name an owner — a person, an agency, or both." in errors(at)  # beside the field, text kept
    assert by_label(at.text_area, "Agreed action").value == "Update the follow-up log before Thursday."
    by_label(at.text_input, "Owner").input(past[0].caseworker_name)
    button(at, "Add the action").click().run()
    assert not errors(at), errors(at)
    assert "Update the follow-up log before Thursday." in list(at.dataframe[-1].value["Agreed action"])

    # Another: missed, for a reason from the list; "Other" needs a word of explanation.
    at = _open(open_page, example, past[1])
    by_label(at.selectbox, "Why was it missed?").set_value("other")
    button(at, "Record as missed").click().run()
    assert "Say in a few words why the session was missed." in errors(at)
    by_label(at.selectbox, "Why was it missed?").set_value("caseworker_absent")
    button(at, "Record as missed").click().run()
    assert not errors(at) and "Missed: Caseworker absent." in texts(at)

    # Cancelling an upcoming session asks to confirm first.
    later = next(v for v in upcoming[1:] if v.id != session.id)
    at = _open(open_page, example, later)
    assert button(at, "Cancel this session").disabled
    by_label(at.checkbox, "Yes, cancel it (it cannot be undone; a new session can be added by hand)").check().run()
    button(at, "Cancel this session").click().run()
    assert not errors(at) and "Status: Cancelled." in texts(at)

    # Export: the calendar file and the printable month are offered.
    labels = [b.proto.label for b in at.get("download_button")]
    assert any(label.startswith("Calendar file (.ics)") for label in labels)
    assert any(label.startswith("Printable calendar (PDF)") for label in labels)
    assert "How to open the calendar in Outlook or Google Calendar" in [e.proto.label for e in at.expander]


def _free_slot(view, found):  # type: ignore[no-untyped-def]
    """A time on the same day, in working hours, when neither the supervisor nor the caseworker is booked."""
    day = view.starts_at.date()
    same_day = [v for v in found if v.starts_at.date() == day and v.id != view.id and v.status != "cancelled"]
    for hour in (8, 9, 10, 11, 12, 13, 14):
        start = datetime.combine(day, time(hour))
        end = start + timedelta(minutes=view.minutes)
        if all(end <= v.starts_at or start >= v.ends_at for v in same_day) and \
                sum(v.minutes for v in same_day) + view.minutes <= 240:
            return start
    raise AssertionError("no free hour that day")


def test_a_caseworker_sees_their_own_sessions_and_notes_not_a_colleagues(open_page, example):
    at = open_page("supervision/ui/calendar.py", example["demo-caseworker"])
    assert not errors(at)
    assert by_label(at.selectbox, "Calendar of").options == ["My sessions"]
    _actor, mine = _sessions(example, "demo-caseworker")
    assert mine and {v.caseworker_name for v in mine} <= {"Mariam Haddad", ""}
    held = next(v for v in mine if v.status == "held" and v.caseworker_id)
    at = _open(open_page, example, held, who="demo-caseworker")
    assert "Notes:" in texts(at) and held.notes in texts(at)
    assert not [b for b in at.button if b.label == "Record as held"]  # nothing to change
    _, theirs = _sessions(example, "demo-supervisor")
    joseph = next(v for v in theirs if v.caseworker_name == "Joseph Banda")
    at = _open(open_page, example, joseph, who="demo-caseworker")
    assert "This session does not exist or is not yours to see." in errors(at) or \
        "not allowed" in " ".join(errors(at)).lower() or errors(at)
    assert "Joseph Banda" not in texts(at)


def test_an_infeasible_plan_lists_what_did_not_fit_and_applies_the_nearest_plan(open_page, example):
    from accounts.services import build_actor
    from core.db import session_scope
    from supervision.plan import default_plan_data
    from supervision.services import plans
    from supervision.services.access import visible_teams

    engine = _engine()
    with session_scope(engine) as session:
        actor = build_actor(session, example["demo-supervisor"])
        team_id = visible_teams(session, actor)[0][0]
    data = default_plan_data()
    meeting = next(a for a in data["activities"] if a["activity"] == "case_management_meeting")
    meeting["minutes"] = 300  # longer than the supervisor's four hours of supervision a day
    with session_scope(engine, actor=actor) as session:
        plans.save_team_plan(session, actor=actor, team_id=team_id, content=data)
    engine.dispose()
    at = open_page("supervision/ui/plan.py", example["demo-supervisor"])
    button(at, "Generate the calendar").click().run()
    assert any("could not be placed" in e for e in errors(at)), errors(at)
    reasons = set(at.dataframe[-1].value["Why it could not be placed"])
    assert reasons == {"the session is longer than the working day or the supervisor's daily supervision time."}
    assert "Case management meeting: 300 → 45 minutes" in texts(at)
    button(at, "Use this plan and generate again").click().run()
    assert not errors(at), errors(at)
    assert any("Calendar from" in s.value for s in at.success)
    assert "could not be placed" not in texts(at)


def test_the_manager_keeps_the_working_calendar(open_page, example):
    at = open_page("supervision/ui/working_calendar.py", example["demo-manager"])
    assert not errors(at)
    assert "Jordan" in by_label(at.selectbox, "Public holidays of").value or \
        by_label(at.selectbox, "Public holidays of").value == "JO"
    assert "Public holiday" in " ".join(str(x) for x in at.dataframe[0].value["From"])
    button(at, "Add").click().run()
    assert "Give the date." in errors(at) and "Give the day a name (e.g. “Office closure”)." in errors(at)
    by_label(at.text_input, "Name").input("Office move")
    by_label(at.date_input, "Date").set_value(date(date.today().year, 12, 30))
    button(at, "Add").click().run()
    assert not errors(at), errors(at)
    assert "Office move" in list(at.dataframe[0].value["Name"])
    # A closure on a day with planned sessions says so: generating again moves them.
    _, found = _sessions(example, "demo-supervisor")
    busy = next(v.starts_at.date() for v in found if v.status == "planned" and v.starts_at.date() > date.today())
    by_label(at.text_input, "Name").input("Day of mourning")
    by_label(at.date_input, "Date").set_value(busy)
    button(at, "Add").click().run()
    assert any("generate the calendar again to move them" in w.value for w in at.warning)


def test_standards_and_ratios_show_the_rule_and_the_figures(open_page, example):
    at = open_page("supervision/ui/compliance.py", example["demo-supervisor"])
    assert not errors(at)
    standards = at.dataframe[0].value
    assert set(standards["Who"]) == {"Mariam Haddad", "Joseph Banda", "Grace Achieng"}
    assert "Individual supervision at least every two weeks" in set(standards["Standard"])
    assert all(any(word in s for word in ("Met", "Attention", "Not met", "No figure")) for s in standards["Status"])
    ratios = at.dataframe[1].value
    assert "At most 6 caseworkers per supervisor" in set(ratios["Standard"])
    assert any("open cases" in f for f in ratios["Figures"])
    held = at.dataframe[2].value
    assert held["Held"].notna().all() and (held["Planned"] >= held["Held"]).all()
