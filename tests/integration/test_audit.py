"""The audit trail: every write service leaves an attributed record; records cannot be changed or deleted."""

from __future__ import annotations

import csv
import inspect
import io
import subprocess
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DatabaseError

from accounts import services as account_services
from accounts import staff_import
from accounts import staff_services as supervision_services
from accounts.staff import StaffDraft
from checklists import reports as review_reports
from checklists.case_file import CaseFileDraft
from checklists.models import ChecklistTemplate
from checklists.review import AnswerDraft
from checklists.services import case_files as review_case_files
from checklists.services import imports as review_imports
from checklists.services import reviews as review_services
from checklists.services import templates as review_templates
from checklists.settings import default_settings_data
from core.actor import SYSTEM
from core.audit import AuditFilter, AuditRecord, audit_csv, list_audit, record_event, verify_chain
from core.db import session_scope
from core.errors import Forbidden
from improvement_actions import services as actions
from improvement_actions.rules import ActionSource, ImprovementActionDraft
from management import reports as management_reports
from management.services import monthly as management_monthly
from management.services import tracker as management_tracker
from management.services.tracker import TrackerFilters
from qaf import reports
from qaf import services as qaf_services
from qaf.action_plan import KeyActionDraft
from qaf.assessment import AssessmentDetails
from qaf.models import FrameworkVersion
from qaf.services import action_plans, assessments, frameworks
from supervision import reports as calendar_reports
from supervision.plan import default_plan_data
from supervision.services import calendars as calendar_settings
from supervision.services import compliance as calendar_compliance
from supervision.services import generation as calendar_generation
from supervision.services import plans as calendar_plans
from supervision.services import sessions as calendar_sessions
from tests.conftest import actor_for, as_database_owner, make_account

WRITE_PREFIXES = ("archive_", "create_",
                  "update_", "save_", "delete_", "finalise_", "add_", "import_", "start_", "reset_",
                  "change_", "deactivate_", "assign_", "export_", "generate_calendar", "move_", "cancel_", "mark_")
MODULES = [account_services, supervision_services, staff_import, frameworks, assessments, action_plans, actions,
           reports, review_case_files, review_imports, review_services, review_templates, review_reports,
           calendar_plans, calendar_settings, calendar_generation, calendar_sessions, calendar_compliance,
           calendar_reports, management_reports, management_tracker]
DETAILS = AssessmentDetails(name="Audit QAF", country="X", scope="agency", assessed_on=date(2026, 11, 1),
                            facilitator="Zoé")


def write_services() -> set[str]:
    names = set()
    for module in MODULES:
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ == module.__name__ and name.startswith(WRITE_PREFIXES):
                names.add(f"{module.__name__}.{name}")
    return names


@pytest.fixture
def world(engine, framework_version_id):
    with session_scope(engine) as session:
        admin_id = account_services.create_first_administrator(session, username="admin", display_name="Admin",
                                                               password="river stones sing at dawn")
        agency = account_services.create_agency(session, actor=SYSTEM, name="Brightpath")
    fac_id = make_account(engine, username="zoe", roles=["facilitator"])
    admin, fac = actor_for(engine, admin_id), actor_for(engine, fac_id)
    with session_scope(engine) as session:
        assessment = qaf_services.create_assessment(session, actor=fac, details=DETAILS,
                                                    framework_version_id=framework_version_id)
        for code in ("1", "2"):
            qaf_services.save_component_rating(session, actor=fac, assessment_id=assessment, component_code=code,
                                               in_place=[], agreed_level=None)
        key_action = qaf_services.add_key_action(session, actor=fac, assessment_id=assessment, draft=KeyActionDraft(
            component_code="1", text="Do it", owner_person="Zoé", due_on=date(2027, 1, 1)))
        team = supervision_services.create_team(session, actor=admin, name="East", agency_id=agency)
        staff = supervision_services.create_staff(session, actor=admin, draft=StaffDraft(
            full_name="Grace", programme_role="caseworker", agency_id=agency))
        copy = qaf_services.create_contextualised_copy(session, actor=fac, base_version_id=framework_version_id,
                                                       version="ctx-1", title="Context")
    return dict(admin=admin, fac=fac, agency=agency, assessment=assessment, key_action=key_action, team=team,
                staff=staff, copy=copy, framework=framework_version_id, **_review_world(engine, agency, team, staff))


def _review_world(engine, agency, team, grace):  # type: ignore[no-untyped-def]
    """Team East with supervisor Sam and caseworker Grace; a case file of Grace's with a draft review."""
    with session_scope(engine) as session:
        sam = supervision_services.create_staff(session, actor=SYSTEM, draft=StaffDraft(
            full_name="Sam", programme_role="supervisor", agency_id=agency))
        supervision_services.assign_to_team(session, actor=SYSTEM, staff_member_id=sam, team_id=team,
                                            from_date=date(2025, 1, 1), as_supervisor=True)
        supervision_services.assign_to_team(session, actor=SYSTEM, staff_member_id=grace, team_id=team,
                                            from_date=date(2025, 1, 1))
    supervisor = actor_for(engine, make_account(engine, username="sam", roles=["supervisor"], staff_member_id=sam))
    manager = actor_for(engine, make_account(engine, username="lucia", roles=["manager"]))
    with session_scope(engine, actor=supervisor) as session:
        template = review_templates.ensure_bundled_checklist(session)
        case_file = review_case_files.create_case_file(session, actor=supervisor, draft=CaseFileDraft(
            case_code="CP-1", caseworker_id=grace, risk_level="low"))
        review = review_services.start_review(session, actor=supervisor, case_file_id=case_file)
    with session_scope(engine, actor=manager) as session:
        checklist_copy = review_templates.create_contextual_copy(session, actor=manager, base_template_id=template,
                                                                 version="ctx-cl", context_note="")
    return dict(supervisor=supervisor, manager=manager, case_file=case_file, review=review, template=template,
                checklist_copy=checklist_copy, grace=grace)


def scenarios(w):  # type: ignore[no-untyped-def]
    """One call of every write service, as a user would make it."""
    fac, admin = w["fac"], w["admin"]
    grid_two_b = [[{"id": "2b.1.1", "text": "Assess within the SOP timeframes."}],
                  [{"id": "2b.2.1", "text": "Use the set format."}], [{"id": "2b.3.1", "text": "Consider all levels."}]]
    return {
        "accounts.services.create_first_administrator": (None, None),  # covered by the world fixture
        "accounts.services.create_account": ("create", lambda s: account_services.create_account(
            s, actor=admin, draft=account_services.AccountDraft(username="new-one", display_name="New",
                                                                roles=["caseworker"]))),
        "accounts.services.update_account": ("update", lambda s: account_services.update_account(
            s, actor=admin, account_id=fac.account_id, draft=account_services.AccountDraft(
                username="zoe", display_name="Zoé M.", roles=["facilitator"], agency_id=w["agency"]))),
        "accounts.services.reset_password": ("update", lambda s: account_services.reset_password(
            s, actor=admin, account_id=fac.account_id)),
        "accounts.services.change_password": ("update", lambda s: account_services.change_password(
            s, actor=admin, current="river stones sing at dawn", new="quiet harbour lights at nine")),
        "accounts.services.create_agency": ("create", lambda s: account_services.create_agency(
            s, actor=admin, name="Horizon")),
        "qaf.services.assessments.create_assessment": ("create", lambda s: qaf_services.create_assessment(
            s, actor=fac, details=DETAILS, framework_version_id=w["framework"])),
        "qaf.services.assessments.update_assessment_details": ("update", lambda s: qaf_services.update_assessment_details(
            s, actor=fac, assessment_id=w["assessment"], details=AssessmentDetails(
                name="Audit QAF (renamed)", country="X", scope="agency", assessed_on=date(2026, 11, 1),
                facilitator="Zoé"))),
        "qaf.services.assessments.save_component_rating": ("create", lambda s: qaf_services.save_component_rating(
            s, actor=fac, assessment_id=w["assessment"], component_code="3", in_place=[], agreed_level=None)),
        "qaf.services.action_plans.add_key_action": ("create", lambda s: qaf_services.add_key_action(
            s, actor=fac, assessment_id=w["assessment"], draft=KeyActionDraft(
                component_code="2", text="Train", owner_agency="Brightpath", due_on=date(2027, 2, 1)))),
        "qaf.services.action_plans.update_key_action": ("update", lambda s: qaf_services.update_key_action(
            s, actor=fac, key_action_id=w["key_action"], draft=KeyActionDraft(
                component_code="1", text="Do it", owner_person="Zoé", due_on=date(2027, 1, 1), status="done",
                progress_notes="Signed SOPs on file"))),
        "qaf.services.action_plans.delete_key_action": ("delete", lambda s: qaf_services.delete_key_action(
            s, actor=fac, key_action_id=w["key_action"])),
        "qaf.services.assessments.finalise_assessment": ("finalise", lambda s: _finalise(s, w)),
        "qaf.services.assessments.archive_assessment": ("archive", lambda s: qaf_services.archive_assessment(
            s, actor=fac, assessment_id=w["assessment"])),
        "qaf.services.assessments.delete_assessment": ("delete", lambda s: qaf_services.delete_assessment(
            s, actor=fac, assessment_id=qaf_services.create_assessment(
                s, actor=fac, details=DETAILS, framework_version_id=w["framework"]))),
        "qaf.services.assessments.start_from_baseline": ("create", lambda s: qaf_services.start_from_baseline(
            s, actor=fac, baseline_id=w["assessment"], details=DETAILS)),
        "qaf.services.frameworks.import_translation": ("create", lambda s: qaf_services.import_translation(
            s, actor=fac, source_version_id=w["framework"], language="fr", version="fr-2", filename="fr.csv",
            data=_translation_csv(s.get(FrameworkVersion, w["framework"]).content))),
        "qaf.services.frameworks.create_contextualised_copy": ("create", lambda s: qaf_services.create_contextualised_copy(
            s, actor=fac, base_version_id=w["framework"], version="ctx-2", title="Context 2")),
        "qaf.services.frameworks.save_contextualised_component": ("update", lambda s: qaf_services.save_contextualised_component(
            s, actor=fac, framework_version_id=w["copy"], component_code="2b", columns=grid_two_b)),
        "improvement_actions.services.create_action": ("create", lambda s: actions.create_action(
            s, actor=fac, source=ActionSource("qaf_assessment", w["assessment"], "2"), draft=ImprovementActionDraft(
                text="Train", owner_agency="Brightpath", due_on=date(2027, 2, 1)))),
        "improvement_actions.services.update_action": ("update", lambda s: actions.update_action(
            s, actor=fac, action_id=w["key_action"], draft=ImprovementActionDraft(
                text="Do it", owner_person="Zoé", due_on=date(2027, 1, 1), status="in_progress"))),
        "improvement_actions.services.change_status": ("update", lambda s: actions.change_status(
            s, actor=fac, action_id=w["key_action"], status="done", note="Attendance sheet on file")),
        "improvement_actions.services.add_comment": ("create", lambda s: actions.add_comment(
            s, actor=fac, action_id=w["key_action"], text="Waiting for the budget line")),
        "improvement_actions.services.delete_action": ("delete", lambda s: actions.delete_action(
            s, actor=fac, action_id=w["key_action"])),
        "qaf.reports.export_action_plan": ("export", lambda s: reports.export_action_plan(
            s, actor=fac, assessment_id=w["assessment"], fmt="pdf")),
        "accounts.staff_services.create_team": ("create", lambda s: supervision_services.create_team(
            s, actor=admin, name="West", agency_id=w["agency"])),
        "accounts.staff_services.create_staff": ("create", lambda s: supervision_services.create_staff(
            s, actor=admin, draft=StaffDraft(full_name="Joseph", programme_role="caseworker",
                                              agency_id=w["agency"]))),
        "accounts.staff_services.update_staff": ("update", lambda s: supervision_services.update_staff(
            s, actor=admin, staff_member_id=w["staff"], draft=StaffDraft(
                full_name="Grace Achieng", programme_role="caseworker", agency_id=w["agency"]))),
        "accounts.staff_services.deactivate_staff": ("update", lambda s: supervision_services.deactivate_staff(
            s, actor=admin, staff_member_id=w["staff"])),
        "accounts.staff_services.assign_to_team": ("create", lambda s: supervision_services.assign_to_team(
            s, actor=admin, staff_member_id=w["staff"], team_id=w["team"], from_date=date(2026, 1, 1))),
        "accounts.staff_import.import_staff": ("import", lambda s: staff_import.import_staff(
            s, actor=admin, filename="staff.csv",
            content=b"full_name,programme_role,agency\nYusuf,caseworker,Brightpath\n")),
        "accounts.staff_services.add_training": ("create", lambda s: supervision_services.add_training(
            s, actor=admin, staff_member_id=w["staff"], topic="supervision_coaching", completed_on=date(2026, 3, 1),
            provider="CP AoR")),
        "management.services.tracker.change_statuses": ("update", lambda s: management_tracker.change_statuses(
            s, actor=fac, changes=[management_tracker.StatusChange(w["key_action"], "in_progress", "Started", None)])),
        "management.reports.export_tracker": ("export", lambda s: management_reports.export_tracker(
            s, actor=fac, filters=TrackerFilters(), fmt="csv")),
        "management.reports.export_monthly_report": ("export", lambda s: management_reports.export_monthly_report(
            s, actor=w["manager"], month=date.today(), fmt="xlsx")),
        "management.reports.export_monthly_files": ("export", lambda s: management_reports.export_monthly_files(
            s, actor=w["manager"], month=date.today(), formats=("pdf",))),
        "management.reports.export_built_monthly_report": ("export", lambda s: (
            management_reports.export_built_monthly_report(s, actor=w["manager"], fmt="pdf", report=(
                management_monthly.monthly_report(s, actor=w["manager"], month=date.today()))))),
        **_review_scenarios(w),
        **_calendar_scenarios(w),
    }


def _calendar_scenarios(w):  # type: ignore[no-untyped-def]
    """Team East's calendar, run by its supervisor Sam; the working calendar kept by the manager."""
    sup, manager = w.get("supervisor"), w.get("manager")
    today = date.today()

    def a_session(s):  # type: ignore[no-untyped-def]
        calendar_generation.generate_calendar(s, actor=sup, team_id=w["team"], first=today,
                                              last=today + timedelta(days=30), with_proposal=False)
        found = calendar_sessions.list_sessions(s, actor=sup, team_id=w["team"], include_cancelled=False)
        return next(v for v in found if v.caseworker_id == w["grace"])

    def past_session(s):  # type: ignore[no-untyped-def]
        return calendar_sessions.add_session(s, actor=sup, team_id=w["team"], activity="case_discussion",
                                             caseworker_id=w["grace"], starts_at=_last_working_morning(),
                                             minutes=60)

    scope = calendar_reports.Scope(w.get("team", 0), "team")
    return {
        "supervision.services.plans.save_team_plan": ("create", lambda s: calendar_plans.save_team_plan(
            s, actor=sup, team_id=w["team"], content=default_plan_data())),
        "supervision.services.calendars.save_working_calendar": ("create", lambda s:
            calendar_settings.save_working_calendar(s, actor=manager, settings=calendar_settings.DEFAULT)),
        "supervision.services.calendars.add_closure_day": ("create", lambda s: calendar_settings.add_closure_day(
            s, actor=manager, day=date(2027, 3, 3), name="Office move")),
        "supervision.services.calendars.update_public_holiday": ("create", lambda s:
            calendar_settings.update_public_holiday(s, actor=manager, day=date(2027, 1, 1), worked=True)),
        "supervision.services.calendars.import_closure_days": ("create", lambda s:
            calendar_settings.import_closure_days(s, actor=manager, filename="closures.csv",
                                                  content=b"date,name\n2027-04-04,Retreat\n")),
        "supervision.services.generation.generate_calendar": ("generate_calendar", lambda s:
            calendar_generation.generate_calendar(s, actor=sup, team_id=w["team"], first=today,
                                                  last=today + timedelta(days=30), with_proposal=False)),
        "supervision.services.sessions.move_session": ("move_session", lambda s: calendar_sessions.move_session(
            s, actor=sup, session_id=(v := a_session(s)).id, starts_at=v.starts_at, minutes=v.minutes - 15)),
        "supervision.services.sessions.cancel_session": ("cancel_session", lambda s:
            calendar_sessions.cancel_session(s, actor=sup, session_id=a_session(s).id)),
        "supervision.services.sessions.mark_held": ("hold_session", lambda s: calendar_sessions.mark_held(
            s, actor=sup, session_id=past_session(s), held_on=_last_working_morning().date(), minutes=50,
            notes="Went through the follow-up plan.")),
        "supervision.services.sessions.mark_missed": ("miss_session", lambda s: calendar_sessions.mark_missed(
            s, actor=sup, session_id=past_session(s), reason="emergency")),
        "supervision.services.sessions.add_session": ("create", past_session),
        "supervision.services.sessions.add_session_action": ("create", lambda s:
            calendar_sessions.add_session_action(s, actor=sup, session_id=past_session(s),
                                                 draft=ImprovementActionDraft(text="Update the log",
                                                                              owner_person="Grace",
                                                                              due_on=date.today() + timedelta(days=7)))),
        "supervision.services.compliance.add_manual_caseload": ("create", lambda s:
            calendar_compliance.add_manual_caseload(s, actor=sup, team_id=w["team"], staff_member_id=w["grace"],
                                                    open_cases=12, high_risk_cases=3, counted_on=today)),
        "supervision.reports.export_calendar_ics": ("export", lambda s: calendar_reports.export_calendar_ics(
            s, actor=sup, scope=scope)),
        "supervision.reports.export_calendar_pdf": ("export", lambda s: calendar_reports.export_calendar_pdf(
            s, actor=sup, scope=scope, first=today, last=today + timedelta(days=30))),
    }


def _last_working_morning():  # type: ignore[no-untyped-def]
    """10:00 on the last Monday-to-Friday day before today (the default working calendar)."""
    day = date.today() - timedelta(days=1)
    while day.weekday() > 4:
        day -= timedelta(days=1)
    return datetime.combine(day, time(10))


def _review_scenarios(w):  # type: ignore[no-untyped-def]
    sup, manager = w.get("supervisor"), w.get("manager")
    return {
        "checklists.services.case_files.create_case_file": ("create", lambda s: review_case_files.create_case_file(
            s, actor=sup, draft=CaseFileDraft(case_code="CP-2", caseworker_id=w["grace"], risk_level="high"))),
        "checklists.services.case_files.update_case_file": ("update", lambda s: review_case_files.update_case_file(
            s, actor=sup, case_file_id=w["case_file"], draft=CaseFileDraft(case_code="CP-1", caseworker_id=w["grace"],
                                                                          risk_level="medium"))),
        "checklists.services.imports.import_case_files": ("import", lambda s: review_imports.import_case_files(
            s, actor=manager, agency_id=w["agency"], filename="cases.csv",
            content=b"case_code,caseworker,risk_level\nCP-9,Grace,low\n")),
        "checklists.services.reviews.start_review": ("create", lambda s: review_services.start_review(
            s, actor=sup, case_file_id=review_case_files.create_case_file(s, actor=sup, draft=CaseFileDraft(
                case_code="CP-3", caseworker_id=w["grace"], risk_level="low")))),
        "checklists.services.reviews.save_review": ("complete", lambda s: review_services.save_review(
            s, actor=sup, review_id=w["review"], strengths="", feedback="Keep the follow-up log.", complete=True,
            answers={i.id: AnswerDraft(i.id, "yes", override_reason="checked") for i in review_templates.get_checklist(
                s, actor=sup, template_id=w["template"]).items()})),
        "checklists.services.reviews.delete_draft_review": ("delete", lambda s: review_services.delete_draft_review(
            s, actor=sup, review_id=w["review"])),
        "checklists.services.reviews.add_follow_up_action": ("create", lambda s: review_services.add_follow_up_action(
            s, actor=sup, review_id=w["review"], item_id="1.2", draft=ImprovementActionDraft(
                text="Complete the forms", owner_person="Grace", due_on=date.today()))),
        "checklists.services.templates.import_checklist_translation": ("create", lambda s:
            review_templates.import_checklist_translation(
                s, actor=manager, source_template_id=w["template"], language="fr", version="cl-fr", filename="fr.csv",
                data=_translation_csv(s.get(ChecklistTemplate, w["template"]).content))),
        "checklists.services.templates.create_contextual_copy": ("create", lambda s:
            review_templates.create_contextual_copy(s, actor=manager, base_template_id=w["template"],
                                                    version="ctx-cl-2", context_note="")),
        "checklists.services.templates.save_template_content": ("update", lambda s:
            review_templates.save_template_content(s, actor=manager, template_id=w["checklist_copy"],
                                                   content=_one_item_less(s, w))),
        "checklists.services.templates.save_review_settings": ("create", lambda s:
            review_templates.save_review_settings(s, actor=manager, content=default_settings_data())),
        "checklists.reports.export_review_pdf": ("export", lambda s: review_reports.export_review_pdf(
            s, actor=sup, review_id=w["review"])),
        "checklists.reports.export_team_month": ("export", lambda s: review_reports.export_team_month(
            s, actor=sup, team_id=w["team"], month=date.today(), fmt="pdf")),
    }


def _one_item_less(session, w):  # type: ignore[no-untyped-def]
    content = review_templates.get_checklist(session, actor=w["manager"], template_id=w["checklist_copy"]).to_dict()
    content["sections"][0]["items"].pop()
    return content


def _finalise(session, w):  # type: ignore[no-untyped-def]
    for component in qaf_services.get_framework(session, w["framework"]).components():
        qaf_services.save_component_rating(session, actor=w["fac"], assessment_id=w["assessment"],
                                           component_code=component.code, in_place=[], agreed_level=None)
    qaf_services.finalise_assessment(session, actor=w["fac"], assessment_id=w["assessment"])


def _translation_csv(content) -> bytes:  # type: ignore[no-untyped-def]
    """A filled translation file for ``content``: every text, prefixed."""
    from core.content_translation import text_entries

    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(["identifier", "translation"])
    for entry in text_entries(content):
        writer.writerow([entry.identifier, f"fr {entry.text}"])
    return buffer.getvalue().encode()


def test_every_write_service_is_covered_here():
    assert set(scenarios({k: None for k in ("fac", "admin", "grace")}).keys()) == write_services()


@pytest.mark.parametrize("service", sorted(write_services()))
def test_each_write_service_leaves_an_attributed_record(engine, world, service):
    expected_action, call = scenarios(world)[service]
    if call is None:
        with session_scope(engine) as session:
            assert session.scalar(select(func.count()).where(AuditRecord.entity_type == "Account",
                                                             AuditRecord.action == "create")) >= 1
        return
    with session_scope(engine) as session:
        before = session.scalar(select(func.max(AuditRecord.id)))
    with session_scope(engine, actor=world["admin"] if service.startswith("accounts.")
                       else world["fac"]) as session:
        call(session)
    with session_scope(engine) as session:
        records = session.scalars(select(AuditRecord).where(AuditRecord.id > before)).all()
    assert records, f"{service} left no audit record"
    assert expected_action in {r.action for r in records}
    assert all(r.actor_name and r.occurred_at for r in records)
    assert any(r.account_id in (world["admin"].account_id, world["fac"].account_id) for r in records)


def test_updates_record_before_and_after(engine, world):
    with session_scope(engine, actor=world["fac"]) as session:
        qaf_services.update_key_action(session, actor=world["fac"], key_action_id=world["key_action"],
                                       draft=KeyActionDraft(component_code="1", text="Do it", owner_person="Zoé",
                                                            due_on=date(2027, 3, 1), status="in_progress"))
    with session_scope(engine) as session:
        record = session.scalars(select(AuditRecord).where(AuditRecord.entity_type == "ImprovementAction")
                                 .order_by(AuditRecord.id.desc())).first()
    assert record.action == "update" and record.actor_name == "Zoe"
    assert record.changes == {"due_on": ["2027-01-01", "2027-03-01"], "status": ["not_started", "in_progress"]}


def test_passwords_never_reach_the_trail(engine, world):
    with session_scope(engine, actor=world["admin"]) as session:
        account_services.reset_password(session, actor=world["admin"], account_id=world["fac"].account_id)
    with session_scope(engine) as session:
        dumped = " ".join(str(r.changes) for r in session.scalars(select(AuditRecord)))
    assert "$argon2" not in dumped


def test_records_cannot_be_changed_or_deleted(engine, world):
    for statement in (update(AuditRecord).values(actor_name="someone else"), AuditRecord.__table__.delete()):
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as connection:
            connection.execute(statement)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM audit_records")).scalar() > 0


def test_trail_is_filtered_by_role_and_exported(engine, world):
    worker = actor_for(engine, make_account(engine, username="cw-one", roles=["caseworker"]))
    manager = actor_for(engine, make_account(engine, username="boss", roles=["manager"]))
    other = actor_for(engine, make_account(engine, username="far", roles=["manager"], agency="Horizon"))
    with pytest.raises(Forbidden), session_scope(engine) as session:
        list_audit(session, actor=worker, filters=AuditFilter())
    with session_scope(engine) as session:
        everything = list_audit(session, actor=world["admin"], filters=AuditFilter())
        mine = list_audit(session, actor=manager, filters=AuditFilter())
        theirs = list_audit(session, actor=other, filters=AuditFilter())
        key_actions = list_audit(session, actor=world["admin"], filters=AuditFilter(entity_type="ImprovementAction"))
    assert len(mine) > 0 and len(mine) < len(everything)
    assert {"Assessment", "ImprovementAction"} <= {e.entity_type for e in mine}
    # Horizon's manager reads only what concerns Horizon: its own agency and accounts, nothing of Brightpath's.
    assert theirs and {(e.entity_type, e.action) for e in theirs} <= {("Agency", "create"), ("Account", "create")}
    assert {e.entity_type for e in key_actions} == {"ImprovementAction"}
    rows = list(csv.reader(io.StringIO(audit_csv(key_actions).decode("utf-8-sig"))))
    assert rows[0][:4] == ["id", "occurred_at", "actor", "action"] and len(rows) == len(key_actions) + 1


def test_finalise_is_named_as_such(engine, world):
    with session_scope(engine, actor=world["fac"]) as session:
        _finalise(session, world)
    with session_scope(engine) as session:
        actions = session.scalars(select(AuditRecord.action).where(AuditRecord.entity_type == "Assessment")).all()
    assert "finalise" in actions


def _count(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM audit_records")).scalar_one()


def test_a_replacing_insert_and_truncate_are_refused(engine, world):
    before = _count(engine)
    with engine.connect() as connection:
        row = connection.execute(select(AuditRecord.__table__).order_by(AuditRecord.id).limit(1)).mappings().one()
    if engine.dialect.name == "sqlite":
        forged = dict(row, summary="nothing happened")
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as connection:
            connection.execute(AuditRecord.__table__.insert().prefix_with("OR REPLACE"), forged)
    else:
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as connection:
            connection.execute(text("TRUNCATE audit_records"))
    assert _count(engine) == before


def _run_cli(engine, *args: str) -> subprocess.CompletedProcess[str]:
    import os
    import sys

    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "CPCM_DATABASE_URL": engine.url.render_as_string(hide_password=False)})


def _bypass_triggers(engine, statement: str) -> None:
    """What someone with the database owner's rights could do: switch the guards off and rewrite the trail."""
    as_database_owner(engine, (statement, {}))


@pytest.mark.parametrize(("tampering", "problem"), [
    ("UPDATE audit_records SET summary = 'nothing to see' WHERE id = {middle}", "content"),
    ("DELETE FROM audit_records WHERE id = {middle}", "link"),
    ("DELETE FROM audit_records WHERE id = {last}", "end"),
])
def test_the_chain_names_the_first_broken_link(engine, world, tampering, problem):
    with session_scope(engine) as session:
        assert verify_chain(session).ok
        ids = session.scalars(select(AuditRecord.id).order_by(AuditRecord.id)).all()
    middle, last = ids[len(ids) // 2], ids[-1]
    ok = _run_cli(engine, "verify-audit")
    assert ok.returncode == 0 and f"intact: {len(ids)} records" in ok.stdout
    _bypass_triggers(engine, tampering.format(middle=middle, last=last))
    with session_scope(engine) as session:
        check = verify_chain(session)
    assert not check.ok and check.problem == problem
    expected = {"content": middle, "link": ids[ids.index(middle) + 1], "end": ids[-2]}[problem]
    assert check.first_broken_id == expected
    broken = _run_cli(engine, "verify-audit")
    assert broken.returncode == 1 and f"broken at record {expected}" in broken.stdout


def test_concurrent_writers_never_fork_the_chain(engine, world, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("real concurrent writers need PostgreSQL (SQLite serialises writers on one file)")
    import threading

    def write(n: int) -> None:
        for i in range(5):
            with session_scope(engine, actor=world["admin"]) as session:
                record_event(session, action="export", entity_type="Test", entity_id=f"{n}-{i}")

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with session_scope(engine) as session:
        check = verify_chain(session)
        written = session.scalar(select(func.count()).where(AuditRecord.entity_type == "Test"))
    assert check.ok, check
    assert written == 40
