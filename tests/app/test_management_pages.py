"""The managers' pages as people meet them (AppTest, SQLite and PostgreSQL), on the example data: the tracker
with filters and a bulk change in its table, My actions, assessments compared, the dashboards, the evidence
beside the workshop's components, and the monthly report built with progress."""

from __future__ import annotations

import pytest

from tests.app.helpers import button, by_label, errors, texts

PAGES = ("management/ui/my_actions.py", "management/ui/tracker.py", "management/ui/dashboard.py",
         "management/ui/progress.py", "management/ui/monthly_report.py")
ALLOWED = {"demo-manager": PAGES, "demo-supervisor": PAGES, "demo-caseworker": PAGES[:4],
           "demo-facilitator": PAGES[:4]}


@pytest.mark.parametrize("who", sorted(ALLOWED))
def test_every_management_page_opens_for_each_role(open_page, example, who):
    for page in ALLOWED[who]:
        at = open_page(page, example[who])
        assert not at.exception, (page, [e.value for e in at.exception])
        assert not errors(at), (page, errors(at))


def _metric(at, label: str) -> int:  # type: ignore[no-untyped-def]
    return int(next(m for m in at.metric if m.label == label).value)


def _editor_key(at) -> str:  # type: ignore[no-untyped-def]
    return next(k for k in at.session_state._state.filtered_state if k.startswith("tracker_editor_") and not k.endswith(":versions"))


def test_the_tracker_filters_and_saves_several_statuses_at_once(open_page, example):
    at = open_page("management/ui/tracker.py", example["demo-manager"])
    overdue = _metric(at, "Overdue")
    assert overdue > 0 and _metric(at, "Open") > overdue
    by_label(at.checkbox, "Overdue only").check().run()
    assert _metric(at, "Open") == overdue  # only the overdue ones are listed
    frame = at.dataframe[0].value
    assert len(frame) == overdue and all(str(d).startswith("⚠ Overdue") for d in frame["due"])
    second = int(frame["id"].iloc[1])
    # Two rows changed in the table: one marked Done with no evidence, so nothing is saved.
    at.session_state[_editor_key(at)] = {"edited_rows": {"0": {"status": "In progress", "note": "Started"},
                                                         "1": {"status": "Done"}},
                                         "added_rows": [], "deleted_rows": []}
    at.run()
    button(at, "Save 2 changes").click().run()
    assert "Nothing was saved" in texts(at) and f"#{second}" in texts(at) and "evidence" in texts(at)
    assert _metric(at, "Open") == overdue
    at.session_state[_editor_key(at)] = {"edited_rows": {"0": {"status": "In progress", "note": "Started"},
                                                         "1": {"status": "Done", "note": "Signed list on file"}},
                                         "added_rows": [], "deleted_rows": []}
    at.run()
    button(at, "Save 2 changes").click().run()
    assert not errors(at)
    assert _metric(at, "Overdue") == overdue - 1  # the one done left the overdue list; the other is still late
    by_label(at.checkbox, "Overdue only").uncheck().run()
    by_label(at.selectbox, "Action").set_value(second).run()
    assert "Done: marked by Lucía Fernández" in texts(at)
    history = at.dataframe[-1].value
    assert "Signed list on file" in set(history["Note / evidence"])
    by_label(at.text_area, "Comment").input("Checked the list with the team")
    next(b for b in at.button if b.label == "Add comment").click().run()
    assert "Checked the list with the team" in set(at.dataframe[-1].value["Note / evidence"])


def test_my_actions_lists_what_the_person_owns(open_page, example):
    at = open_page("management/ui/my_actions.py", example["demo-caseworker"])
    assert _metric(at, "Late") + _metric(at, "Due in the next 7 days") + _metric(at, "Later") > 0
    assert at.dataframe and all("Review of" in s or "·" in s for s in at.dataframe[0].value["source"])
    manager = open_page("management/ui/my_actions.py", example["demo-manager"])  # her key actions, as the coordinator
    assert _metric(manager, "Late") + _metric(manager, "Later") > 0 and "not linked" not in texts(manager)


def test_assessments_compared_over_time_with_the_unconfirmed_copy_marked(open_page, example):
    at = open_page("management/ui/progress.py", example["demo-manager"])
    assert _metric(at, "Components up") > 0
    assert "Not yet confirmed by the task force (copied from the baseline): 7." in texts(at)
    table = at.dataframe[0].value
    assert "copied from the baseline, not confirmed" in " ".join(table["now"])
    assert any(str(c).startswith("↑ up") for c in table["change"])
    assert _metric(at, "Key actions completed between") > 0
    assert "Case file review scores and timeliness by team" in texts(at)


def test_the_dashboard_shows_each_figure_with_how_it_is_computed(open_page, example):
    at = open_page("management/ui/dashboard.py", example["demo-manager"])
    text = texts(at)
    for title in ("Case assessments within the agreed timeframe", "Cases closed with the case plan objectives "
                  "achieved", "Supervisors trained in supervision and coaching", "Supervision sessions held as "
                  "planned", "Improvement actions completed on time", "Cases per caseworker by risk level"):
        assert title in text
    assert "over all decided" in text and " of " in text  # how, and numerator of denominator
    assert "The records behind a figure" in text and at.dataframe[-1].value is not None
    facilitator = open_page("management/ui/dashboard.py", example["demo-facilitator"])
    assert "Inter-agency figures" in texts(facilitator) and "seen only by each agency" in texts(facilitator)


def test_the_workshop_shows_the_evidence_beside_each_component(open_page, example):
    at = open_page("qaf/ui/workshop.py", example["demo-facilitator"])
    at.query_params["assessment"] = str(example["assessment"])
    at.query_params["dimension"] = "2"
    at.run()
    labels = [e.label for e in at.expander]
    assert sum(label.startswith("Evidence this tool holds") for label in labels) == 7  # 2 and 2a-2f
    assert "Informative only" in texts(at)


def test_the_monthly_report_is_built_with_progress_and_offered_as_pdf_and_workbook(open_page, example):
    at = open_page("management/ui/monthly_report.py", example["demo-manager"])
    button(at, "Build the report").click().run()
    assert not errors(at)
    assert "is ready" in texts(at)
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Download the PDF", "Download the workbook (Excel)"]


def test_the_monthly_reports_files_are_drawn_when_clicked_and_refused_to_a_deactivated_account(
        open_page, app_engine, example, downloads):
    from sqlalchemy import func, select, update

    from accounts.models import Account
    from core.audit import AuditRecord
    from core.db import session_scope
    from core.errors import Forbidden
    at = open_page("management/ui/monthly_report.py", example["demo-manager"])
    button(at, "Build the report").click().run()

    def exports() -> int:
        with session_scope(app_engine) as session:
            return session.scalar(select(func.count()).where(AuditRecord.action == "export",
                                                             AuditRecord.entity_type == "MonthlyReport"))

    before = exports()
    assert downloads["Download the PDF"]().startswith(b"%PDF")
    assert downloads["Download the workbook (Excel)"]().startswith(b"PK")
    assert exports() == before + 2  # each download is an audited export of its own
    with session_scope(app_engine) as session:
        session.execute(update(Account).where(Account.id == example["demo-manager"]).values(active=False))
    with pytest.raises(Forbidden):
        downloads["Download the PDF"]()
    assert exports() == before + 2
