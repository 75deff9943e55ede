"""Each page as a user meets it (Streamlit AppTest, on SQLite and PostgreSQL)."""

from __future__ import annotations

import os
from datetime import date, timedelta

import pytest
from sqlalchemy import create_engine

from accounts.services import build_actor
from app.example import EXAMPLE_NAME
from core.db import session_scope
from core.i18n import format_date
from qaf import services
from qaf.framework import bundled_framework
from qaf.levels import Level
from qaf.ui.common import CURRENT
from tests.app.helpers import button, by_label, errors, texts
from tests.conftest import actor_for


@pytest.fixture
def example_id(example):
    return example["assessment"]


@pytest.fixture
def fac(example):
    """The example's facilitator account."""
    return example["demo-facilitator"]


def _finalise(app_database, assessment_id, account_id):
    engine = create_engine(app_database)
    with session_scope(engine) as session:
        services.finalise_assessment(session, actor=build_actor(session, account_id),
                                     assessment_id=assessment_id)
    engine.dispose()


def _assessed_on(assessment_id):
    from qaf.models import Assessment

    engine = create_engine(os.environ["CPCM_DATABASE_URL"])
    with session_scope(engine) as session:
        assessed_on = session.get(Assessment, assessment_id).assessed_on
    engine.dispose()
    return assessed_on


# ------------------------------------------------------------------------------------------ assessments


def test_example_is_listed_for_its_facilitator(open_page, fac):
    at = open_page("qaf/ui/assessments.py", fac)
    table = at.dataframe[0].value
    assert table.iloc[0]["Assessment"] == EXAMPLE_NAME
    assert table.iloc[0]["Components scored"] == "17 / 17"


def test_edit_details_rejects_a_blank_country(open_page, example_id, fac):
    at = open_page("qaf/ui/assessments.py", fac, **{CURRENT: example_id})
    country = [w for w in at.text_input if w.label == "Country / response"][1]
    country.input("   ")
    next(b for b in at.button if b.label == "Save").click().run()
    assert "Say which country or response this assessment covers." in errors(at)
    assert at.dataframe[0].value.iloc[0]["Country / response"] == "Northern Province, Valdoria (fictional)"


def test_start_a_follow_up_from_a_final_assessment(open_page, example_id, app_database, fac):
    _finalise(app_database, example_id, fac)
    at = open_page("qaf/ui/assessments.py", fac, **{CURRENT: example_id})
    assert "Start a new assessment from a final one" in [e.label for e in at.expander]
    button(at, "Start from this baseline").click().run()
    assert not at.exception
    new_id = at.session_state[CURRENT]
    assert new_id != example_id
    engine = create_engine(app_database)
    with session_scope(engine) as session:
        view = services.get_assessment(session, new_id, actor=build_actor(session, fac))
    engine.dispose()
    assert view.baseline_id == example_id and view.scored_count == 17 and view.name.endswith("(follow-up)")


# ------------------------------------------------------------------------------------------ workshop


def test_workshop_without_an_assessment_points_to_the_list(open_page, fac):
    at = open_page("qaf/ui/workshop.py", fac)
    assert "Choose or create an assessment first." in [i.value for i in at.info]


def test_reload_finds_the_assessment_in_the_address_bar(open_page, example_id, fac):
    at = open_page("qaf/ui/workshop.py", fac)
    assert at.info
    at.query_params["assessment"] = str(example_id)
    at.query_params["dimension"] = "5"
    at.run()
    assert "5. Appropriate staffing and capacity building" in [h.value for h in at.header]


def test_a_different_level_needs_a_reason_next_to_the_field(open_page, example_id, fac):
    at = open_page("qaf/ui/workshop.py", fac, **{CURRENT: example_id})
    key = f"qaf_w:{example_id}:1"
    at.selectbox(key=f"{key}:agreed").set_value(int(Level.GOOD_PRACTICE)).run()
    assert by_label(at.text_area, "Why the task force agreed a different level").value == ""
    at.button(key=f"{key}:save").click().run()
    assert 'The agreed level (Good practice) differs from the level the actions in place give (Meets minimum levels): write why, or choose "As derived".' in errors(at)
    reason = by_label(at.text_area, "Why the task force agreed a different level")
    reason.input("All inter-agency actions are in place since October.")
    at.button(key=f"{key}:save").click().run()
    assert not errors(at)
    assert "Saved: Good practice" in texts(at)


def test_unsaved_ticks_survive_moving_between_dimensions_and_pages(open_page, example_id, fac):
    at = open_page("qaf/ui/workshop.py", fac, **{CURRENT: example_id})
    action = bundled_framework().component("1").columns[2][1]
    checkbox_key = f"qaf_w:{example_id}:1:{action.id}"
    assert at.checkbox(key=checkbox_key).value is False
    at.checkbox(key=checkbox_key).check().run()
    by_label(at.radio, "Dimension").set_value(8).run()
    assert "8. Monitoring, evaluation, accountability and learning" in [h.value for h in at.header]
    at.switch_page("qaf/ui/summary.py").run()
    at.switch_page("qaf/ui/workshop.py").run()
    by_label(at.radio, "Dimension").set_value(1).run()
    assert at.checkbox(key=checkbox_key).value is True
    assert "Unsaved changes — press Save to record them." in [w.value for w in at.warning]


def test_final_assessment_is_read_only_in_the_workshop(open_page, example_id, app_database, fac):
    _finalise(app_database, example_id, fac)
    at = open_page("qaf/ui/workshop.py", fac, **{CURRENT: example_id})
    assert any("This assessment is final, so its answers and levels are read-only." in i.value for i in at.info)
    assert all(c.disabled for c in at.checkbox)
    assert not [b for b in at.button if b.label.startswith("Save ")]


# ------------------------------------------------------------------------------------------ summary


def test_summary_shows_levels_and_attention(open_page, example_id, fac):
    at = open_page("qaf/ui/summary.py", fac, **{CURRENT: example_id})
    metrics = {m.label: m.value for m in at.metric}
    # Component 7 is still as copied from last year's assessment (Critical to address), not yet confirmed.
    assert metrics == {"Critical to address": "6", "Requires improvement": "6", "Meets minimum levels": "5",
                       "Good practice": "0", "Not scored yet": "0"}
    table = at.table[0].value
    assert len(table) == 17 and "Why the agreed level differs" not in table.columns[0]
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")  # the chart, with levels scored
    attention = texts(at).split("Components to address first")[1]
    assert attention.index("2c Case planning") < attention.index("2 Case management process (general)")


def test_finalise_from_the_summary(open_page, example_id, fac):
    at = open_page("qaf/ui/summary.py", fac, **{CURRENT: example_id})
    assert button(at, "Finalise").disabled
    by_label(at.checkbox, "The task force has agreed every level and the action plan.").check().run()
    button(at, "Finalise").click().run()
    assert not at.exception
    assert any("This assessment is final, so its answers and levels are read-only." in i.value for i in at.info)


def test_finalise_refuses_an_incomplete_assessment(open_page, app_database, fac):
    engine = create_engine(app_database)
    with session_scope(engine) as session:
        from qaf.assessment import AssessmentDetails

        version = services.ensure_bundled_framework(session)
        assessment_id = services.create_assessment(
            session, actor=build_actor(session, fac), details=AssessmentDetails(
            name="Half done", country="X", scope="agency", assessed_on=date(2026, 11, 1), facilitator="F"),
            framework_version_id=version)
    engine.dispose()
    at = open_page("qaf/ui/summary.py", fac, **{CURRENT: assessment_id})
    assert "No component has been scored yet." in texts(at)
    assert "No chart yet — it shows once a component is scored in the workshop." in texts(at)
    assert not at.get("arrow_vega_lite_chart") and not at.get("vega_lite_chart")
    by_label(at.checkbox, "The task force has agreed every level and the action plan.").check().run()
    button(at, "Finalise").click().run()
    assert any("Not scored yet: 1, 2, 2a" in e for e in errors(at))


# ------------------------------------------------------------------------------------------ action plan


def test_action_plan_edit_and_delete(open_page, example_id, fac):
    at = open_page("qaf/ui/action_plan.py", fac, **{CURRENT: example_id})
    before = len(at.dataframe[0].value)
    first = at.dataframe[0].value.iloc[0]
    edit = next(b for b in at.button if b.label == "Edit")
    edit.click().run()
    by_label(at.selectbox, "Status").set_value("done")
    by_label(at.text_area, "Progress notes").input("Strategy endorsed by the task force.")
    button(at, "Save key action").click().run()
    assert not errors(at)
    row = at.dataframe[0].value.iloc[0]
    assert row["Key action"] == first["Key action"] and row["Status"] == "Done"
    next(b for b in at.button if b.label == "Delete").click().run()
    assert len(at.dataframe[0].value) == before - 1


def test_due_date_before_the_assessment_is_refused(open_page, example_id, fac):
    at = open_page("qaf/ui/action_plan.py", fac, **{CURRENT: example_id})
    by_label(at.radio, "Dimension").set_value(3).run()
    at.button(key="own_3").click().run()
    by_label(at.text_area, "Key action").input("Map the national case management system")
    by_label(at.text_input, "Owner (agency)").input("Department of Social Welfare")
    button(at, "Save key action").click().run()
    assert "Give a due date: the day by which the action should be done." in errors(at)
    assessed_on = _assessed_on(example_id)
    by_label(at.date_input, "Due date").set_value(assessed_on - timedelta(days=3))  # kept as typed, not emptied
    button(at, "Save key action").click().run()
    assert f"The due date must be on or after {format_date(assessed_on)} (the assessment date)." in errors(at)
    assert "Map the national case management system" not in set(at.dataframe[0].value["Key action"])


def test_final_plan_keeps_tracking_status_only(open_page, example_id, app_database, fac):
    _finalise(app_database, example_id, fac)
    at = open_page("qaf/ui/action_plan.py", fac, **{CURRENT: example_id})
    assert not [b for b in at.button if b.label in ("Delete", "Make key action", "Add our own action")]
    next(b for b in at.button if b.label == "Edit").click().run()
    assert by_label(at.text_area, "Key action").disabled
    assert not by_label(at.selectbox, "Status").disabled
    by_label(at.selectbox, "Status").set_value("in_progress")
    button(at, "Save key action").click().run()
    assert not errors(at)
    assert at.dataframe[0].value.iloc[0]["Status"] == "In progress"


def test_download_buttons_offer_three_formats(open_page, example_id, fac):
    at = open_page("qaf/ui/action_plan.py", fac, **{CURRENT: example_id})
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Download PDF", "Download Excel", "Download CSV"]


# ------------------------------------------------------------------------------------------ frameworks


def test_framework_page_lists_and_copies(open_page, fac):
    at = open_page("qaf/ui/frameworks.py", fac)
    assert "8 dimensions · 17 components · 135 suggested actions" in texts(at)
    assert at.dataframe[0].value.iloc[0]["Kind"] == "Original"
    button(at, "Make the copy").click().run()
    assert "Give the copy a version label." in errors(at)
    by_label(at.text_input, "Version").input("2019.1-valdoria")
    button(at, "Make the copy").click().run()
    assert not errors(at)
    kinds = list(at.dataframe[0].value["Kind"])
    assert kinds == ["Original", "Translation", "Translation", "Translation", "Contextualised copy"]


def test_a_colleague_saved_first_so_my_save_is_refused_and_my_ticks_stay(open_page, app_database, example,
                                                                          example_id, fac):
    at = open_page("qaf/ui/workshop.py", fac, **{CURRENT: example_id})
    action = bundled_framework().component("1").columns[2][1]
    checkbox_key = f"qaf_w:{example_id}:1:{action.id}"
    at.checkbox(key=checkbox_key).check().run()
    # Meanwhile a colleague taking part in the same assessment saves component 1.
    db = create_engine(app_database)
    colleague = actor_for(db, example["demo-caseworker"])
    with session_scope(db, actor=colleague) as session:
        services.save_component_rating(session, actor=colleague, assessment_id=example_id, component_code="1",
                                       in_place=[], agreed_level=None, notes="Colleague's view")
    db.dispose()
    at.button(key=f"qaf_w:{example_id}:1:save").click().run()
    assert any(e.startswith("Mariam Haddad changed this at") for e in errors(at))
    assert at.checkbox(key=checkbox_key).value is True
    assert "Unsaved changes — press Save to record them." in [w.value for w in at.warning]


def test_my_account_shows_roles(open_page, fac):
    at = open_page("accounts/ui/my_account.py", fac)
    assert "Roles: Facilitator" in texts(at)
    assert "Change password" in [b.label for b in at.button]
