"""What a facilitator running a room meets: nothing typed is lost across a reload, trailing spaces are not an
"unsaved change", messages go when the answer is fixed, viewers are told why they cannot change anything, and the
example data loads once."""

from __future__ import annotations

from accounts.services import build_actor
from core.db import session_scope
from qaf import services
from qaf.framework import bundled_framework
from qaf.levels import Level
from qaf.ui.common import CURRENT
from tests.app.helpers import by_label, errors, texts

UNSAVED = "Unsaved changes — press Save to record them."


def test_a_reload_restores_the_unsaved_draft_and_it_can_be_discarded(open_page, example, app_engine):
    fac, assessment = example["demo-facilitator"], example["assessment"]
    action = bundled_framework().component("1").columns[2][1]
    box = f"qaf_w:{assessment}:1:{action.id}"
    at = open_page("qaf/ui/workshop.py", fac, **{CURRENT: assessment})
    at.checkbox(key=box).check().run()
    at.text_area(key=f"qaf_w:{assessment}:1:notes").input("Discussed with the task force; to confirm.").run()
    assert UNSAVED in [w.value for w in at.warning]

    # A reload is a new Streamlit session: nothing of the old one's state, the same person signed in.
    again = open_page("qaf/ui/workshop.py", fac, **{CURRENT: assessment})
    assert again.checkbox(key=box).value is True
    assert again.text_area(key=f"qaf_w:{assessment}:1:notes").value == "Discussed with the task force; to confirm."
    assert any("Restored unsaved changes you made on" in i.value for i in again.info)
    assert UNSAVED in [w.value for w in again.warning]

    again.button(key=f"qaf_w:{assessment}:1:discard").click().run()
    assert again.checkbox(key=box).value is False
    assert not any("Restored unsaved changes" in i.value for i in again.info)
    assert UNSAVED not in [w.value for w in again.warning]
    with session_scope(app_engine) as session:  # and the server forgot it: the next reload shows what is saved
        actor = build_actor(session, fac)
        assert services.drafts_for(session, actor=actor, assessment_id=assessment) == {}


def test_a_saved_draft_is_gone_from_the_server(open_page, example, app_engine):
    fac, assessment = example["demo-facilitator"], example["assessment"]
    at = open_page("qaf/ui/workshop.py", fac, **{CURRENT: assessment})
    at.text_area(key=f"qaf_w:{assessment}:1:notes").input("Agreed by all.").run()
    at.button(key=f"qaf_w:{assessment}:1:save").click().run()
    with session_scope(app_engine) as session:
        actor = build_actor(session, fac)
        assert services.drafts_for(session, actor=actor, assessment_id=assessment) == {}
    again = open_page("qaf/ui/workshop.py", fac, **{CURRENT: assessment})
    assert not any("Restored unsaved changes" in i.value for i in again.info)


def test_notes_ending_in_a_space_or_newline_are_saved_and_not_unsaved(open_page, example):
    fac, assessment = example["demo-facilitator"], example["assessment"]
    at = open_page("qaf/ui/workshop.py", fac, **{CURRENT: assessment})
    notes = f"qaf_w:{assessment}:1:notes"
    at.text_area(key=notes).input("Evidence: the 2026 SOPs. \n").run()
    assert UNSAVED in [w.value for w in at.warning]
    at.button(key=f"qaf_w:{assessment}:1:save").click().run()
    assert UNSAVED not in [w.value for w in at.warning]
    by_label(at.radio, "Dimension").set_value(2).run()
    by_label(at.radio, "Dimension").set_value(1).run()
    assert UNSAVED not in [w.value for w in at.warning]
    at.text_area(key=notes).input(at.text_area(key=notes).value + "  ").run()  # only spaces added: nothing to save
    assert UNSAVED not in [w.value for w in at.warning]


def test_a_field_message_goes_when_the_answer_changes(open_page, example):
    fac, assessment = example["demo-facilitator"], example["assessment"]
    at = open_page("qaf/ui/workshop.py", fac, **{CURRENT: assessment})
    key = f"qaf_w:{assessment}:1"
    at.selectbox(key=f"{key}:agreed").set_value(int(Level.GOOD_PRACTICE)).run()
    at.button(key=f"{key}:save").click().run()
    assert any("write why" in e for e in errors(at))
    at.text_area(key=f"{key}:reason").input("Every inter-agency action is in place since October.").run()
    assert not any("write why" in e for e in errors(at))


def test_the_saved_agreed_level_is_shown_never_a_blank_choice(open_page, example):
    fac, assessment = example["demo-facilitator"], example["assessment"]
    at = open_page("qaf/ui/workshop.py", fac, **{CURRENT: assessment})
    shown = at.selectbox(key=f"qaf_w:{assessment}:1:agreed")
    assert shown.value is not None and shown.format_func(shown.value) == "As derived from the actions in place"


def test_a_manager_sees_why_the_workshop_is_read_only(open_page, example):
    at = open_page("qaf/ui/workshop.py", example["demo-manager"], **{CURRENT: example["assessment"]})
    banner = " ".join(i.value for i in at.info)
    assert "Only its facilitator and the participants it names can change its answers." in banner
    assert "update the status and progress of its key actions on the Action plan page" in banner
    assert all(c.disabled for c in at.checkbox)


def test_the_example_loads_once_and_says_whom_to_sign_in_as(open_page, app_engine):
    from tests.conftest import make_account

    admin = make_account(app_engine, username="root-admin", roles=["administrator"])
    at = open_page("app/ui/example_data.py", admin)
    next(b for b in at.button if b.label == "Load the example data").click().run()
    assert "These passwords are shown only now" in texts(at)
    at = open_page("app/ui/example_data.py", admin)
    assert "The example data is loaded." in texts(at)
    assert "demo-facilitator" in texts(at)
    assert not [b for b in at.button if b.label == "Load the example data"]


def test_the_facilitator_archives_an_assessment_and_deletes_an_empty_draft(open_page, example, app_engine):
    from datetime import date

    from qaf.assessment import AssessmentDetails

    fac = example["demo-facilitator"]
    at = open_page("qaf/ui/assessments.py", fac)
    assert by_label(at.text_input, "Facilitator").value == "Zoé Martin"  # the signed-in facilitator, pre-filled
    listed = set(at.dataframe[0].value.iloc[:, 0])
    assert {"Riverside Displacement Response — inter-agency QAF 2026",
            "Riverside Displacement Response — inter-agency QAF 2025"} <= listed
    next(b for b in at.button if b.label == "Archive").click().run()
    listed = set(at.dataframe[0].value.iloc[:, 0])  # gone from the list; last year's stays
    assert "Riverside Displacement Response — inter-agency QAF 2026" not in listed
    assert "Riverside Displacement Response — inter-agency QAF 2025" in listed
    at.toggle[0].set_value(True).run()
    assert "Riverside Displacement Response — inter-agency QAF 2026" in set(at.dataframe[0].value.iloc[:, 0])
    with session_scope(app_engine) as session:  # archived, not deleted: still readable, still on record
        actor = build_actor(session, fac)
        assert services.get_assessment(session, example["assessment"], actor=actor).archived
        empty = services.create_assessment(session, actor=actor, details=AssessmentDetails(
            name="False start", country="X", scope="agency", assessed_on=date(2026, 11, 24), facilitator="Zoé"),
            framework_version_id=services.ensure_bundled_framework(session))
    at = open_page("qaf/ui/assessments.py", fac)
    by_label(at.selectbox, "Assessment to work on").set_value(empty).run()
    assert button_labels(at).count("Delete") == 1
    by_label(at.checkbox, "Delete this assessment for good.").check().run()
    next(b for b in at.button if b.label == "Delete").click().run()
    assert "Assessment deleted." in [toast.value for toast in at.toast]
    assert "False start" not in set(at.dataframe[0].value.iloc[:, 0])


def button_labels(at) -> list[str]:
    return [b.label for b in at.button]


def _colleague_saves(app_engine, example, code: str, notes: str) -> None:
    """Mariam Haddad (another facilitator) saves the component from her own laptop."""
    with session_scope(app_engine) as session:
        actor = build_actor(session, example["demo-caseworker"])
        _, _, summary = services.assessment_results(session, example["assessment"], actor=actor)
        result = next(r for r in summary.results if r.component.code == code)
        services.save_component_rating(
            session, actor=actor, assessment_id=example["assessment"], component_code=code,
            in_place=sorted(result.in_place), agreed_level=None, notes=notes,
            expected_version=result.version_id if result.scored else 0)


def _stored_notes(app_engine, example, code: str) -> str:
    with session_scope(app_engine) as session:
        actor = build_actor(session, example["demo-facilitator"])
        _, _, summary = services.assessment_results(session, example["assessment"], actor=actor)
        return next(r for r in summary.results if r.component.code == code).notes


def test_a_colleagues_save_shows_at_once_in_a_form_nobody_touched(open_page, example, app_engine):
    fac, assessment = example["demo-facilitator"], example["assessment"]
    notes = f"qaf_w:{assessment}:1:notes"
    at = open_page("qaf/ui/workshop.py", fac, **{CURRENT: assessment})
    _colleague_saves(app_engine, example, "1", "Mariam: the SOPs were signed last week.")
    at.run()  # any next click: moving to another dimension and back, a tick elsewhere
    assert at.text_area(key=notes).value == "Mariam: the SOPs were signed last week."
    assert "Mariam Haddad" in texts(at)
    # and what is now saved is what the form shows: typing over it and saving goes through
    at.text_area(key=notes).input("Mariam: the SOPs were signed last week. Zoé: and shared.").run()
    at.button(key=f"qaf_w:{assessment}:1:save").click().run()
    assert not errors(at)
    assert _stored_notes(app_engine, example, "1") == "Mariam: the SOPs were signed last week. Zoé: and shared."


def test_a_colleagues_save_before_my_first_change_is_never_overwritten_unseen(open_page, example, app_engine):
    """The form was filled before Mariam saved; Zoé then ticks and types, and saves: her save is refused, what
    Mariam saved is shown beside Zoé's changes, and only then can Zoé save hers over it (or take Mariam's)."""
    fac, assessment = example["demo-facilitator"], example["assessment"]
    action = bundled_framework().component("1").columns[2][1]
    notes = f"qaf_w:{assessment}:1:notes"
    at = open_page("qaf/ui/workshop.py", fac, **{CURRENT: assessment})
    _colleague_saves(app_engine, example, "1", "Mariam: the SOPs were signed last week.")
    at.text_area(key=notes).input("Zoé: the SOPs are still a draft.").run()
    at.checkbox(key=f"qaf_w:{assessment}:1:{action.id}").check()
    at.button(key=f"qaf_w:{assessment}:1:save").click().run()
    assert _stored_notes(app_engine, example, "1") == "Mariam: the SOPs were signed last week."
    assert any("Mariam Haddad changed this at" in e for e in errors(at))
    shown = texts(at)
    assert any("Mariam Haddad saved this component at" in w.value for w in at.warning)
    assert "Mariam: the SOPs were signed last week." in shown  # hers, beside...
    assert at.text_area(key=notes).value == "Zoé: the SOPs are still a draft."  # ...what Zoé typed, kept
    assert at.checkbox(key=f"qaf_w:{assessment}:1:{action.id}").value is True

    # Saving again with the ordinary button is still refused: she has to choose.
    at.button(key=f"qaf_w:{assessment}:1:save").click().run()
    assert _stored_notes(app_engine, example, "1") == "Mariam: the SOPs were signed last week."

    # Having seen Mariam's, Zoé merges both in her note and saves hers over it.
    at.text_area(key=notes).input("Signed last week (Mariam); still shared as a draft (Zoé).").run()
    at.button(key=f"qaf_w:{assessment}:1:save_mine").click().run()
    assert not errors(at)
    assert _stored_notes(app_engine, example, "1") == "Signed last week (Mariam); still shared as a draft (Zoé)."
    assert not any("saved this component at" in w.value for w in at.warning)
    assert UNSAVED not in [w.value for w in at.warning]


def test_taking_a_colleagues_save_drops_mine(open_page, example, app_engine):
    fac, assessment = example["demo-facilitator"], example["assessment"]
    notes = f"qaf_w:{assessment}:1:notes"
    at = open_page("qaf/ui/workshop.py", fac, **{CURRENT: assessment})
    at.text_area(key=notes).input("Zoé: the SOPs are still a draft.").run()
    _colleague_saves(app_engine, example, "1", "Mariam: the SOPs were signed last week.")
    at.run()  # any next click: moving to another dimension and back, a tick elsewhere
    assert any("Mariam Haddad saved this component at" in w.value for w in at.warning)
    at.button(key=f"qaf_w:{assessment}:1:take_theirs").click().run()
    assert at.text_area(key=notes).value == "Mariam: the SOPs were signed last week."
    assert not any("saved this component at" in w.value for w in at.warning)
    assert _stored_notes(app_engine, example, "1") == "Mariam: the SOPs were signed last week."


def test_a_reloaded_draft_made_before_a_colleagues_save_shows_both(open_page, example, app_engine):
    fac, assessment = example["demo-facilitator"], example["assessment"]
    notes = f"qaf_w:{assessment}:1:notes"
    at = open_page("qaf/ui/workshop.py", fac, **{CURRENT: assessment})
    at.text_area(key=notes).input("Zoé: the SOPs are still a draft.").run()
    _colleague_saves(app_engine, example, "1", "Mariam: the SOPs were signed last week.")
    again = open_page("qaf/ui/workshop.py", fac, **{CURRENT: assessment})  # a reload
    assert again.text_area(key=notes).value == "Zoé: the SOPs are still a draft."
    assert any("Mariam Haddad saved this component at" in w.value for w in again.warning)
    assert "Mariam: the SOPs were signed last week." in texts(again)
    again.button(key=f"qaf_w:{assessment}:1:save").click().run()
    assert _stored_notes(app_engine, example, "1") == "Mariam: the SOPs were signed last week."
