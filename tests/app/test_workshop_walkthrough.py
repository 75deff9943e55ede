"""A whole workshop as a facilitator runs it: create -> score every component -> action plan -> download."""

from __future__ import annotations

import io
from datetime import date, timedelta

from pypdf import PdfReader
from sqlalchemy import create_engine

from accounts.services import build_actor
from core.db import session_scope
from qaf import reports, services
from qaf.framework import bundled_framework
from qaf.ui.common import CURRENT
from tests.app.helpers import button, by_label, errors, texts


def test_full_workshop(open_page, app_database, facilitator_id):
    at = open_page("qaf/ui/assessments.py", account=facilitator_id)
    assert "No assessments yet" in texts(at)

    # 1. Create the assessment; a missing field is reported next to it and nothing is saved.
    button(at, "Create and start the workshop").click().run()
    assert "Give the assessment a name." in errors(at)
    assert by_label(at.text_input, "Facilitator").value  # pre-filled with the signed-in facilitator
    by_label(at.text_input, "Assessment name").input("Lakeside QAF")
    by_label(at.text_input, "Country / response").input("Valdoria (fictional)")
    by_label(at.text_input, "Facilitator").input("Zoé Martin")
    by_label(at.text_area, "Participating agencies").input("Brightpath\nHorizon")
    by_label(at.radio, "Scope").set_value("inter_agency")
    button(at, "Create and start the workshop").click().run()
    assert not at.exception
    assessment_id = at.session_state[CURRENT]
    assert "Lakeside QAF" in texts(at)
    assert "Components scored: 0 / 17" in texts(at)
    # The app switched to the workshop page; AppTest needs telling for the runs that follow.
    at.switch_page("qaf/ui/workshop.py").run()

    # 2. Walk every dimension; tick column 1 (and for 2a also column 2), save each component.
    framework = bundled_framework()
    for dimension in framework.dimensions:
        by_label(at.radio, "Dimension").set_value(dimension.number).run()
        assert not at.exception, [e.value for e in at.exception]
        assert dimension.label in [h.value for h in at.header]
        for component in dimension.components:
            ticked = list(component.columns[0]) + (list(component.columns[1]) if component.code == "2a" else [])
            for action in ticked:
                at.checkbox(key=f"qaf_w:{assessment_id}:{component.code}:{action.id}").check()
            at.run()
            assert "Unsaved changes — press Save to record them." in [w.value for w in at.warning]
            at.button(key=f"qaf_w:{assessment_id}:{component.code}:save").click().run()
            assert not at.exception
    assert "Components scored: 17 / 17" in texts(at)
    assert not at.warning

    # 3. The summary shows the levels and what to address first.
    at.switch_page("qaf/ui/summary.py").run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Requires improvement"] == "16" and metrics["Meets minimum levels"] == "1"
    assert metrics["Critical to address"] == "0"
    assert "2a Identification and registration" not in texts(at).split("Components to address first")[1]

    # 4. Action plan: pick a suggested action, give it an owner and a due date.
    at.switch_page("qaf/ui/action_plan.py").run()
    assert "No key actions yet" in texts(at)
    # The plan opens on the dimension the workshop was last on.
    assert by_label(at.radio, "Dimension").value == 8
    by_label(at.radio, "Dimension").set_value(2).run()
    at.button(key="pick_2a.3.1").click().run()
    assert by_label(at.text_area, "Key action").value.startswith("Raise awareness with children")
    button(at, "Save key action").click().run()
    assert "Name an owner — a person, an agency, or both." in errors(at)
    by_label(at.text_input, "Owner (person)").input("Lucía Fernández")
    by_label(at.date_input, "Due date").set_value(date.today() + timedelta(days=60))
    by_label(at.selectbox, "Priority").set_value("high")
    button(at, "Save key action").click().run()
    assert not errors(at)
    assert "1 key action" in texts(at)
    frame = at.dataframe[0].value
    assert frame.iloc[0]["Owner"] == "Lucía Fernández" and frame.iloc[0]["Priority"] == "High"

    # 5. Download: the PDF the button builds holds the key action.
    engine = create_engine(app_database)
    with session_scope(engine) as session:
        plan = services.action_plan(session, assessment_id, actor=build_actor(session, facilitator_id))
    engine.dispose()
    pdf_text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(reports.action_plan_pdf(plan))).pages)
    assert "Lakeside QAF" in pdf_text and "Lucía Fernández" in pdf_text
