"""The managers' figures through the services, on SQLite and PostgreSQL, against a small data set whose every
figure was worked out by hand: each indicator month by month (including months with nothing, a month with no
review, a month where every assessment was late), the records behind the figures, the tracker's filters,
bulk changes (all or nothing), comments and who may see what, assessments compared over time, the evidence
for the workshop, and the monthly report read back against the dashboard's figures."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from io import BytesIO

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

import app.wiring  # noqa: F401  (evidence provider and counters registered, as at start-up)
from accounts.models import StaffTraining
from accounts.services import create_agency
from accounts.staff import StaffDraft
from accounts.staff_services import assign_to_team, create_staff, create_team
from checklists.models import CaseFile, CaseFileReview, ReviewAnswer
from checklists.services.deadlines import fill_missing_deadlines
from checklists.services.templates import ensure_bundled_checklist
from core.actor import SYSTEM
from core.db import session_scope
from core.errors import Forbidden, ValidationFailed
from improvement_actions.models import ImprovementAction
from management import indicators as ind
from management.__main__ import main
from management.reports import export_monthly_report, export_tracker
from management.services import evidence, indicators, monthly, progress, tracker
from qaf import services as qaf
from qaf.action_plan import KeyActionDraft
from qaf.assessment import AssessmentDetails
from supervision.models import SupervisionSession
from tests.conftest import actor_for, make_account

TODAY = date(2026, 11, 20)
SEP, OCT, NOV = date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)
MONTHS = [SEP, OCT, NOV]


@dataclass
class World:
    engine: object
    manager: object
    supervisor: object
    caseworker: object
    other_manager: object
    facilitator: object
    agency: int
    east: int
    mariam: int
    assessment: int
    actions: dict[str, int]


def _case(session, agency, caseworker, code, risk, **values) -> int:  # type: ignore[no-untyped-def]
    row = CaseFile(agency_id=agency, case_code=code, caseworker_id=caseworker, risk_level=risk,
                   status=values.pop("status", "open"), **values)
    session.add(row)
    session.flush()
    return row.id


def _at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour))


@pytest.fixture
def world(engine, framework_version_id) -> World:
    with session_scope(engine, actor=SYSTEM) as session:
        agency = create_agency(session, actor=SYSTEM, name="Brightpath")
        other = create_agency(session, actor=SYSTEM, name="Horizon")
        east = create_team(session, actor=SYSTEM, name="East", agency_id=agency)
        west = create_team(session, actor=SYSTEM, name="West", agency_id=agency)
        create_team(session, actor=SYSTEM, name="North", agency_id=other)
        staff = {}
        for name, role, team, lead, gender in [("Sam", "supervisor", east, True, "male"),
                                               ("Mariam", "caseworker", east, False, "female"),
                                               ("Joseph", "caseworker", east, False, "male"),
                                               ("Ana", "supervisor", west, True, "female")]:
            staff[name] = create_staff(session, actor=SYSTEM, draft=StaffDraft(
                full_name=name, programme_role=role, agency_id=agency, gender=gender))
            assign_to_team(session, actor=SYSTEM, staff_member_id=staff[name], team_id=team,
                           from_date=date(2025, 1, 1), as_supervisor=lead)
        session.add(StaffTraining(staff_member_id=staff["Sam"], topic="supervision_coaching",
                                  completed_on=date(2026, 10, 10)))
        session.add(StaffTraining(staff_member_id=staff["Ana"], topic="case_management",
                                  completed_on=date(2026, 9, 10)))  # not supervision and coaching
        m, j = staff["Mariam"], staff["Joseph"]
        # Assessments (medium 7 days, low 14, high same day, from registration): Sep C4 met; Oct C1 met, C2 late;
        # Nov C3 overdue (every assessment due in November late).
        c1 = _case(session, agency, m, "C1", "medium", registered_on=date(2026, 10, 1), assessed_on=date(2026, 10, 5))
        _case(session, agency, j, "C2", "medium", registered_on=date(2026, 10, 10), assessed_on=date(2026, 10, 20))
        _case(session, agency, m, "C3", "low", registered_on=date(2026, 10, 20))
        _case(session, agency, m, "C4", "high", registered_on=date(2026, 9, 1), assessed_on=date(2026, 9, 1))
        # First case plan reviews (three months after the plan): Sep C5 in time; Oct C6 overdue.
        _case(session, agency, j, "C5", "medium", registered_on=date(2026, 6, 1), assessed_on=date(2026, 6, 2),
              case_plan_on=date(2026, 6, 5), case_plan_reviews=["2026-09-01"])
        _case(session, agency, j, "C6", "low", registered_on=date(2026, 7, 1), assessed_on=date(2026, 7, 3),
              case_plan_on=date(2026, 7, 8))
        # Closures: Oct yes, no, not recorded; Nov partly.
        for code, risk, who, closed, achieved in [("C7", "medium", j, date(2026, 10, 15), "yes"),
                                                  ("C8", "high", j, date(2026, 10, 20), "no"),
                                                  ("C9", "low", m, date(2026, 10, 25), ""),
                                                  ("C10", "low", m, date(2026, 11, 2), "partly")]:
            _case(session, agency, who, code, risk, registered_on=date(2026, 5, 1), status="closed", closed_on=closed,
                  objectives_achieved=achieved)
        fill_missing_deadlines(session)  # written in bulk here: the indicators' deadlines as start-up makes them
        template = ensure_bundled_checklist(session)
        for day, score, status, answers in [(date(2026, 10, 3), 80.0, "completed", {"3.1": "no", "4.4": "no"}),
                                            (date(2026, 10, 9), 60.0, "completed", {"3.1": "no", "4.4": "yes"}),
                                            (date(2026, 10, 12), 10.0, "draft", {"3.1": "no"}),
                                            (date(2026, 11, 4), 90.0, "completed", {"3.1": "yes"})]:
            review = CaseFileReview(case_file_id=c1, agency_id=agency, caseworker_id=m, team_id=east,
                                    reviewer_name="Sam", reviewed_on=day, month=day.replace(day=1),
                                    template_id=template, status=status, score=score)
            session.add(review)
            session.flush()
            for item, answer in answers.items():
                session.add(ReviewAnswer(review_id=review.id, item_id=item, answer=answer))
        # Supervision (East): Oct held, missed, past and not recorded, cancelled; Nov held twice, one to come.
        for day, status in [(date(2026, 10, 5), "held"), (date(2026, 10, 12), "missed"),
                            (date(2026, 10, 19), "planned"), (date(2026, 10, 26), "cancelled"),
                            (date(2026, 11, 2), "held"), (date(2026, 11, 9), "held"), (date(2026, 11, 25), "planned")]:
            session.add(SupervisionSession(
                team_id=east, agency_id=agency, supervisor_id=staff["Sam"], caseworker_id=m,
                activity="individual_supervision", occurrence_key=f"k-{day}", due_on=day, starts_at=_at(day),
                minutes=60, planned_starts_at=_at(day), status=status))
    manager = actor_for(engine, make_account(engine, username="lucia", roles=["manager"]))
    supervisor = actor_for(engine, make_account(engine, username="sam", roles=["supervisor"],
                                                staff_member_id=staff["Sam"]))
    caseworker = actor_for(engine, make_account(engine, username="mariam", roles=["caseworker"],
                                                staff_member_id=m))
    other_manager = actor_for(engine, make_account(engine, username="ines", roles=["manager"], agency="Horizon"))
    facilitator = actor_for(engine, make_account(engine, username="zoe", roles=["facilitator"]))
    with session_scope(engine, actor=facilitator) as session:
        assessment = qaf.create_assessment(session, actor=facilitator, details=AssessmentDetails(
            name="QAF 2026", country="X", scope="agency", assessed_on=date(2026, 9, 1), facilitator="Zoé"),
            framework_version_id=framework_version_id)
    actions = {}
    # Improvement actions due: Oct done on time, done late, still open, dropped; Nov done on time; one not yet due.
    with session_scope(engine, actor=facilitator) as session:
        for name, due, status, done_on in [("A1", date(2026, 10, 10), "done", date(2026, 10, 8)),
                                           ("A2", date(2026, 10, 20), "done", date(2026, 10, 25)),
                                           ("A3", date(2026, 10, 30), "not_started", None),
                                           ("A4", date(2026, 10, 15), "dropped", None),
                                           ("A5", date(2026, 11, 5), "done", date(2026, 11, 1)),
                                           ("A6", date(2026, 11, 28), "in_progress", None)]:
            actions[name] = qaf.add_key_action(session, actor=facilitator, assessment_id=assessment, draft=KeyActionDraft(
                component_code="2b", text=f"Action {name}", owner_person="Mariam", owner_staff_member_id=m,
                due_on=due, status=status, progress_notes="Evidence on file" if status in ("done", "dropped") else ""))
            if done_on is not None:
                session.get(ImprovementAction, actions[name]).completed_at = datetime.combine(
                    done_on, time(15), tzinfo=UTC)
    return World(engine, manager, supervisor, caseworker, other_manager, facilitator, agency, east, m, assessment,
                 actions)


def _figures(world: World, team_id: int | None = None) -> dict[str, dict[date, ind.Figure]]:
    with session_scope(world.engine, actor=world.manager) as session:
        scope = indicators.agency_scope(session, actor=world.manager, team_id=team_id)
        return indicators.indicator_figures(session, scope=scope, months=MONTHS, today=TODAY)


def _pairs(figures, key):  # type: ignore[no-untyped-def]
    return [(figures[key][m].numerator, figures[key][m].denominator, figures[key][m].value) for m in MONTHS]


def test_every_indicator_matches_the_hand_computed_figures(world):
    figures = _figures(world)
    assert _pairs(figures, ind.ASSESSMENT_ON_TIME) == [(1, 1, 100.0), (1, 2, 50.0), (0, 1, 0.0)]  # Nov: all late
    assert _pairs(figures, ind.PLAN_REVIEW_ON_TIME) == [(1, 1, 100.0), (0, 1, 0.0), (0, 0, None)]  # Nov: nothing due
    assert _pairs(figures, ind.OBJECTIVES_ACHIEVED) == [(0, 0, None), (1, 2, 50.0), (0, 1, 0.0)]
    assert _pairs(figures, ind.SUPERVISORS_TRAINED) == [(0, 2, 0.0), (1, 2, 50.0), (1, 2, 50.0)]
    assert _pairs(figures, ind.SUPERVISION_HELD) == [(0, 0, None), (1, 3, 33.3), (2, 2, 100.0)]
    assert _pairs(figures, ind.ACTIONS_ON_TIME) == [(0, 0, None), (1, 3, 33.3), (1, 1, 100.0)]
    assert _pairs(figures, ind.REVIEW_SCORE) == [(0, 0, None), (140.0, 2, 70.0), (90.0, 1, 90.0)]  # Sep: no review
    # Open cases per caseworker at each month's end (November: as of today).
    assert [(figures[f"caseload.{lv}"][SEP].numerator) for lv in ind.RISK_LEVELS] == [2, 2, 3, 0]
    assert [(figures[f"caseload.{lv}"][OCT].numerator) for lv in ind.RISK_LEVELS] == [1, 3, 3, 0]
    assert [(figures[f"caseload.{lv}"][NOV].numerator) for lv in ind.RISK_LEVELS] == [1, 3, 2, 0]
    assert figures["caseload.medium"][OCT].denominator == 2 and figures["caseload.medium"][OCT].value == 1.5
    # Month on month, in the figure's own unit, with a word.
    assert ind.change(figures[ind.REVIEW_SCORE][NOV], figures[ind.REVIEW_SCORE][OCT]) == 20.0
    assert ind.direction(ind.ASSESSMENT_ON_TIME, ind.change(figures[ind.ASSESSMENT_ON_TIME][NOV],
                                                           figures[ind.ASSESSMENT_ON_TIME][OCT])) == "worse"


def test_a_teams_figures_count_only_its_people(world):
    east = _figures(world, world.east)
    assert _pairs(east, ind.SUPERVISORS_TRAINED) == [(0, 1, 0.0), (1, 1, 100.0), (1, 1, 100.0)]  # Sam only
    assert _pairs(east, ind.SUPERVISION_HELD)[1] == (1, 3, 33.3)


def test_the_records_behind_a_figure_are_the_ones_it_counts(world):
    with session_scope(world.engine, actor=world.manager) as session:
        scope = indicators.agency_scope(session, actor=world.manager)
        behind = {key: indicators.figure_records(session, scope=scope, key=key, month=OCT, today=TODAY)
                  for key in (ind.ASSESSMENT_ON_TIME, ind.OBJECTIVES_ACHIEVED, ind.SUPERVISION_HELD,
                              ind.ACTIONS_ON_TIME, ind.REVIEW_SCORE, "caseload.high", ind.SUPERVISORS_TRAINED)}
    assert sorted(r[0] for r in behind[ind.ASSESSMENT_ON_TIME].rows) == ["C1", "C2"]
    assert sorted(r[0] for r in behind[ind.OBJECTIVES_ACHIEVED].rows) == ["C7", "C8", "C9"]
    assert len(behind[ind.SUPERVISION_HELD].rows) == 3  # the cancelled one is not due
    assert sorted(r[1] for r in behind[ind.ACTIONS_ON_TIME].rows) == ["Action A1", "Action A2", "Action A3"]
    assert sorted(r[3] for r in behind[ind.REVIEW_SCORE].rows) == [60.0, 80.0]
    assert {r[0]: r[-1] for r in behind["caseload.high"].rows} == {"Mariam": 4, "Joseph": 3}
    assert sorted(behind[ind.SUPERVISORS_TRAINED].rows) == [("Ana", None), ("Sam", date(2026, 10, 10))]


def test_scopes_are_checked_and_inter_agency_figures_hide_their_records(world):
    with session_scope(world.engine, actor=world.supervisor) as session:
        with pytest.raises(Forbidden):
            indicators.agency_scope(session, actor=world.supervisor)  # a supervisor sees their team, not the agency
        assert indicators.agency_scope(session, actor=world.supervisor, team_id=world.east).team_id == world.east
    with session_scope(world.engine, actor=world.other_manager) as session, pytest.raises(Forbidden):
        indicators.agency_scope(session, actor=world.other_manager, team_id=world.east)
    with session_scope(world.engine, actor=world.facilitator) as session:
        scope = indicators.task_force_scope(session, actor=world.facilitator, assessment_id=world.assessment)
        assert scope.agency_ids == (world.agency,) and not scope.records_visible
        assert indicators.indicator_figures(session, scope=scope, months=MONTHS, today=TODAY)[
            ind.OBJECTIVES_ACHIEVED][OCT].value == 50.0
        with pytest.raises(Forbidden):
            indicators.figure_records(session, scope=scope, key=ind.OBJECTIVES_ACHIEVED, month=OCT)
    with session_scope(world.engine, actor=world.other_manager) as session, pytest.raises(Forbidden):
        indicators.task_force_scope(session, actor=world.other_manager, assessment_id=world.assessment)


def test_the_tracker_filters_in_the_database_and_shows_each_person_what_is_theirs(world):
    with session_scope(world.engine, actor=world.manager) as session:
        def ids(**filters):  # type: ignore[no-untyped-def]
            found = tracker.tracked_actions(session, actor=world.manager, today=TODAY,
                                            filters=tracker.TrackerFilters(**filters)).actions
            return sorted(a.text[-2:] for a in found)

        assert ids() == ["A1", "A2", "A3", "A4", "A5", "A6"]
        assert ids(overdue=True) == ["A3"]
        assert ids(due_soon=True) == ["A6"]
        assert ids(statuses=("done",)) == ["A1", "A2", "A5"]
        assert ids(team_id=world.east) == ids()  # owned by Mariam, of East
        assert ids(component="2B") == ids() and ids(component="3") == []
        assert ids(owner="mari") == ids() and ids(owner="nobody") == []
        assert ids(sources=("case_file_review",)) == []
        listed = tracker.tracked_actions(session, actor=world.manager, today=TODAY).actions
        assert [a.text[-2:] for a in listed] == ["A1", "A4", "A2", "A3", "A5", "A6"]  # by due date
        late = next(a for a in listed if a.text.endswith("A3"))
        assert late.overdue and late.owner == "Mariam" and late.source_label == "QAF 2026" and late.team == "East"
    with session_scope(world.engine, actor=world.caseworker) as session:  # owner: sees and tracks their own
        mine = tracker.my_actions(session, actor=world.caseworker, today=TODAY)
        assert [a.text[-2:] for a in mine["late"]] == ["A3"]
        assert [a.text[-2:] for a in mine["later"]] == ["A6"] and mine["this_week"] == []
    with session_scope(world.engine, actor=world.other_manager) as session:
        assert tracker.tracked_actions(session, actor=world.other_manager).actions == []


def test_a_bulk_status_change_is_all_or_nothing_and_done_needs_evidence(world):
    a3, a6 = world.actions["A3"], world.actions["A6"]
    with session_scope(world.engine, actor=world.caseworker) as session:
        versions = {a.id: a.version_id for a in tracker.tracked_actions(session, actor=world.caseworker).actions}
    with pytest.raises(ValidationFailed) as refused, session_scope(world.engine, actor=world.caseworker) as session:
        tracker.change_statuses(session, actor=world.caseworker, changes=[
            tracker.StatusChange(a3, "in_progress", "Started the training plan", versions[a3]),
            tracker.StatusChange(a6, "done", "", versions[a6])])  # A6 has no note of evidence
    assert list(refused.value.field_errors) == [str(a6)]
    with session_scope(world.engine) as session:
        assert session.get(ImprovementAction, a3).status == "not_started"  # nothing half-saved
    with session_scope(world.engine, actor=world.caseworker) as session:
        tracker.change_statuses(session, actor=world.caseworker, changes=[
            tracker.StatusChange(a3, "in_progress", "Started the training plan", versions[a3]),
            tracker.StatusChange(a6, "done", "Attendance sheet signed on 19 Nov", versions[a6])])
        from improvement_actions import services as actions

        actions.add_comment(session, actor=world.caseworker, action_id=a6, text="Copy sent to the manager")
        history = actions.progress_history(session, actor=world.caseworker, action_id=a6)
        done = actions.get_action(session, actor=world.caseworker, action_id=a6)
    assert done.completed_by == world.caseworker.name and done.completed_at is not None  # who and when
    assert [(h.kind, h.status, h.note) for h in history][-2:] == [
        ("progress", "done", "Attendance sheet signed on 19 Nov"), ("comment", "done", "Copy sent to the manager")]
    with pytest.raises(ValidationFailed), session_scope(world.engine, actor=world.caseworker) as session:
        actions.add_comment(session, actor=world.caseworker, action_id=a6, text="   ")
    with pytest.raises(Forbidden), session_scope(world.engine, actor=world.other_manager) as session:
        tracker.change_statuses(session, actor=world.other_manager, changes=[
            tracker.StatusChange(a3, "dropped", "no", None)])


def test_the_tracker_export_holds_exactly_what_is_filtered(world):
    with session_scope(world.engine, actor=world.manager) as session:
        data = export_tracker(session, actor=world.manager, filters=tracker.TrackerFilters(statuses=("done",)),
                              fmt="xlsx", today=TODAY)
        text = export_tracker(session, actor=world.manager, filters=tracker.TrackerFilters(overdue=True), fmt="csv",
                              today=TODAY).decode("utf-8-sig")
    sheet = load_workbook(BytesIO(data)).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert sorted(r[5] for r in rows) == ["Action A1", "Action A2", "Action A5"]
    assert "Action A3" in text and "Overdue" in text and "Action A1" not in text


def test_successive_assessments_compare_with_the_baseline_marked(world, framework_version_id):
    fac = world.facilitator
    with session_scope(world.engine, actor=fac) as session:
        for code in ("2b", "5b"):
            qaf.save_component_rating(session, actor=fac, assessment_id=world.assessment, component_code=code,
                                      in_place=[], agreed_level=None)
        later = qaf.start_from_baseline(session, actor=fac, baseline_id=world.assessment,
                                        details=AssessmentDetails(name="QAF 2027", country="X", scope="agency",
                                                                  assessed_on=TODAY, facilitator="Zoé"))
        framework = qaf.get_framework(session, framework_version_id)
        first_column = [a.id for a in framework.component("2b").columns[0]]
        qaf.save_component_rating(session, actor=fac, assessment_id=later, component_code="2b",
                                  in_place=first_column, agreed_level=None)
    with session_scope(world.engine, actor=fac) as session:
        points = progress.context_of(session, actor=fac, assessment_id=later)
        comparison = progress.compare(session, actor=fac, earlier_id=world.assessment, later_id=later)
    assert [p.name for p in points] == ["QAF 2026", "QAF 2027"]
    by_code = {c.code: c for c in comparison.components}
    assert by_code["2b"].change == 1 and not by_code["2b"].unconfirmed  # changed and saved by the task force
    assert by_code["5b"].change == 0 and by_code["5b"].unconfirmed  # still the baseline's copy
    assert by_code["3"].before is None and by_code["3"].change is None
    assert sorted(a.text for a in comparison.completed_between) == ["Action A1", "Action A2", "Action A5"]
    assert sorted(a.text for a in comparison.still_open) == ["Action A3", "Action A6"]


def test_the_workshop_sees_the_evidence_the_tool_holds_without_ticking_anything(world):
    with session_scope(world.engine, actor=world.facilitator) as session:
        found = evidence.component_evidence(session, world.facilitator, world.assessment, today=TODAY)
        from qaf.services.evidence import evidence_for

        registered = evidence_for(session, actor=world.facilitator, assessment_id=world.assessment)
        results = qaf.assessment_results(session, world.assessment, actor=world.facilitator)[2]
    assert registered.keys() == found.keys()
    lines = {line.label: line.figure for line in found["2b"]}
    # Six months to November: on time in June (C5), July (C6), September (C4) and October (C1) of six due.
    assert lines["Case assessments within the agreed timeframe"] == "67 % (4 of 6)"
    item = next(v for k, v in lines.items() if k.startswith("Checklist 3.1"))
    assert item == "Yes in 33 % (1 of 3) of the reviewed files"  # the draft review is not counted
    assert any(line.label == "Female caseworkers" and line.figure == "50 % (1 of 2)" for line in found["5b"])
    assert results.scored_count == 0  # nothing was ticked by the evidence


def test_the_monthly_report_reads_back_with_the_dashboards_figures(world):
    told: list[float] = []
    with session_scope(world.engine, actor=world.manager) as session:
        pdf = export_monthly_report(session, actor=world.manager, month=OCT, fmt="pdf", today=TODAY,
                                    progress_to=lambda fraction, _what: told.append(fraction))
        xlsx = export_monthly_report(session, actor=world.manager, month=OCT, fmt="xlsx", today=TODAY)
        report = monthly.monthly_report(session, actor=world.manager, month=OCT, today=TODAY)
    figures = _figures(world)
    assert told == sorted(told) and told[-1] == 1.0
    workbook = load_workbook(BytesIO(xlsx))
    assert len(workbook.sheetnames) == 7
    sheet = workbook[workbook.sheetnames[2]]
    by_title = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    for key in (ind.ASSESSMENT_ON_TIME, ind.OBJECTIVES_ACHIEVED, ind.SUPERVISION_HELD, ind.ACTIONS_ON_TIME,
                ind.REVIEW_SCORE):
        title = next(t for t in by_title if t.startswith(_title(key)))
        assert by_title[title][4] == figures[key][OCT].value, key
    assert by_title[next(t for t in by_title if t.startswith(_title(ind.REVIEW_SCORE)))][5] is None  # no Sep review
    text = " ".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)
    assert "Monthly management report — Brightpath, October 2026" in text
    assert "50 %" in text and "1 of 2" in text  # objectives achieved, with its numerator and denominator
    assert "3.1" in text and "2 of 2" in text  # the weakest item, answered No in both completed reviews
    assert [a.text for a in report.actions_done] == ["Action A1", "Action A2"]
    assert [a.text for a in report.actions_late] == ["Action A3"]
    assert report.weakest_items[0].item_id == "3.1" and report.weakest_items[0].no == 2


def _title(key: str) -> str:
    from core.i18n import t

    return t(f"indicator.{key}.title")


def test_the_monthly_report_command_writes_both_files(world, tmp_path, monkeypatch, database_url):
    monkeypatch.setenv("CPCM_DATABASE_URL", database_url)
    pdf, xlsx = tmp_path / "r.pdf", tmp_path / "r.xlsx"
    assert main(["monthly-report", "--month", "2026-10", "--agency", "brightpath", "--team", "East", "--pdf",
                 str(pdf), "--xlsx", str(xlsx)]) == 0
    assert PdfReader(str(pdf)).pages and load_workbook(xlsx).sheetnames
    assert "East, October 2026" in PdfReader(str(pdf)).pages[0].extract_text()
    assert main(["monthly-report", "--month", "2026-10", "--agency", "Nowhere", "--pdf", str(pdf)]) == 2
    with pytest.raises(SystemExit):
        main(["monthly-report", "--month", "October", "--agency", "Brightpath", "--pdf", str(pdf)])



def test_the_indicators_follow_every_change_to_a_case_file_and_to_the_timeframes(world):
    from checklists.services import case_files
    from checklists.services.templates import save_review_settings
    from checklists.settings import default_settings_data

    with session_scope(world.engine, actor=world.manager) as session:
        c3 = next(f for f in case_files.list_case_files(session, actor=world.manager) if f.case_code == "C3")
        draft = c3.as_draft()
        draft.assessed_on = date(2026, 10, 30)  # done in time after all (low risk: 14 days from 20 October)
        case_files.update_case_file(session, actor=world.manager, case_file_id=c3.id, draft=draft,
                                    expected_version=c3.version_id)
    assert _pairs(_figures(world), ind.ASSESSMENT_ON_TIME)[2] == (1, 1, 100.0)
    data = copy.deepcopy(default_settings_data())  # the defaults are shared: change a copy
    data["timeframes"]["assessment"]["medium"] = {"days": 3}  # C1 (4 days) becomes late; C2 stays late
    with session_scope(world.engine, actor=world.manager) as session:
        save_review_settings(session, actor=world.manager, content=data, note="Shorter assessment timeframe")
    assert _pairs(_figures(world), ind.ASSESSMENT_ON_TIME)[1] == (0, 2, 0.0)
    with session_scope(world.engine, actor=world.manager) as session:
        case_files.create_case_file(session, actor=world.manager, draft=case_files.CaseFileDraft(
            case_code="C11", caseworker_id=world.mariam, risk_level="high", registered_on=date(2026, 10, 2),
            assessed_on=date(2026, 10, 2)))
    assert _pairs(_figures(world), ind.ASSESSMENT_ON_TIME)[1] == (1, 3, 33.3)
