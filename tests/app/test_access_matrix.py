"""Access control: for each role, which pages it reaches, and which records of its own team, another team and
another agency it can see and change. Checked through the pages (AppTest) and the services behind them."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest

from accounts import staff_services as people
from accounts.services import agency_id_for, create_agency
from accounts.staff import StaffDraft
from core.actor import SYSTEM
from core.audit import AuditFilter, list_audit
from core.db import session_scope
from core.errors import Forbidden, ValidationFailed
from qaf import models as qaf_models
from qaf import services as qaf
from qaf.action_plan import KeyActionDraft
from qaf.assessment import AssessmentDetails
from tests.conftest import SYNC_PASS, actor_for, laptop_conflict, make_account

QAF_PAGES = ["qaf/ui/assessments.py", "qaf/ui/workshop.py", "qaf/ui/summary.py", "qaf/ui/action_plan.py",
             "qaf/ui/frameworks.py"]
REVIEW_PAGES = ["checklists/ui/reviews.py", "checklists/ui/review.py", "checklists/ui/case_files.py"]
RUN_CALENDAR = ["supervision/ui/calendar.py", "supervision/ui/plan.py", "supervision/ui/compliance.py"]
ALL_PAGES = [*QAF_PAGES, *REVIEW_PAGES, *RUN_CALENDAR, "supervision/ui/working_calendar.py",
             "checklists/ui/trends.py", "checklists/ui/settings.py", "accounts/ui/staff.py", "accounts/ui/teams.py",
             "accounts/ui/accounts_admin.py",
             "accounts/ui/audit_trail.py", "accounts/ui/my_account.py", "app/ui/example_data.py"]
REACHES = {
    "admin": {"accounts/ui/staff.py", "accounts/ui/teams.py", "accounts/ui/accounts_admin.py",
              "accounts/ui/audit_trail.py", "accounts/ui/my_account.py", "app/ui/example_data.py"},
    "manager": {*QAF_PAGES, *REVIEW_PAGES, *RUN_CALENDAR, "supervision/ui/working_calendar.py",
                "checklists/ui/trends.py", "checklists/ui/settings.py",
                "accounts/ui/staff.py", "accounts/ui/teams.py", "accounts/ui/audit_trail.py",
                "accounts/ui/my_account.py"},
    "supervisor": {*QAF_PAGES, *REVIEW_PAGES, *RUN_CALENDAR, "checklists/ui/trends.py", "accounts/ui/staff.py",
                   "accounts/ui/teams.py", "accounts/ui/my_account.py"},
    "caseworker": {*QAF_PAGES, *REVIEW_PAGES, "supervision/ui/calendar.py", "accounts/ui/staff.py",
                   "accounts/ui/my_account.py"},
    "facilitator": {*QAF_PAGES, "accounts/ui/staff.py", "accounts/ui/my_account.py"},
}


@pytest.fixture
def world(app_engine):
    """Two agencies. In Brightpath: team East (supervisor Sam, caseworker Mariam) and team West (caseworker
    Yusuf); a facilitator runs assessment A with Mariam taking part. In Horizon: assessment B and staff."""
    with session_scope(app_engine) as session:
        bright = create_agency(session, actor=SYSTEM, name="Brightpath")
        horizon = create_agency(session, actor=SYSTEM, name="Horizon")
        east = people.create_team(session, actor=SYSTEM, name="East", agency_id=bright)
        west = people.create_team(session, actor=SYSTEM, name="West", agency_id=bright)
        north = people.create_team(session, actor=SYSTEM, name="North", agency_id=horizon)
        staff = {}
        for name, role, team, agency, lead in [("Sam", "supervisor", east, bright, True),
                                               ("Mariam", "caseworker", east, bright, False),
                                               ("Yusuf", "caseworker", west, bright, False),
                                               ("Hana", "caseworker", north, horizon, False)]:
            staff[name] = people.create_staff(session, actor=SYSTEM, draft=StaffDraft(
                full_name=name, programme_role=role, agency_id=agency))
            people.assign_to_team(session, actor=SYSTEM, staff_member_id=staff[name], team_id=team,
                                  from_date=date(2025, 1, 1), as_supervisor=lead)
        assert agency_id_for(session, "Brightpath") == bright
    ids = {
        "admin": make_account(app_engine, username="admin-one", roles=["administrator"]),
        "manager": make_account(app_engine, username="lucia", roles=["manager"]),
        "supervisor": make_account(app_engine, username="sam", roles=["supervisor"], staff_member_id=staff["Sam"]),
        "caseworker": make_account(app_engine, username="mariam", roles=["caseworker"],
                                   staff_member_id=staff["Mariam"]),
        "facilitator": make_account(app_engine, username="zoe", roles=["facilitator"]),
        "other_facilitator": make_account(app_engine, username="omar", roles=["facilitator"], agency="Horizon"),
        "other_manager": make_account(app_engine, username="ines", roles=["manager"], agency="Horizon"),
    }
    actors = {role: actor_for(app_engine, account_id) for role, account_id in ids.items()}
    details = AssessmentDetails(name="A", country="X", scope="agency", assessed_on=date(2026, 11, 1), facilitator="Z")
    with session_scope(app_engine) as session:
        version = qaf.ensure_bundled_framework(session)
    created = {}
    for key, actor, members in (("a", actors["facilitator"], [ids["caseworker"]]),
                                ("b", actors["other_facilitator"], [])):
        with session_scope(app_engine, actor=actor) as session:  # one unit of work is one person's
            created[key] = qaf.create_assessment(session, actor=actor, details=details, framework_version_id=version,
                                                 participant_account_ids=members)
            qaf.save_component_rating(session, actor=actor, assessment_id=created[key], component_code="1",
                                      in_place=[], agreed_level=None)
            qaf.add_key_action(session, actor=actor, assessment_id=created[key], draft=KeyActionDraft(
                component_code="1", text="Act", owner_person="Z", due_on=date(2027, 1, 1)))
    a, b = created["a"], created["b"]
    return {"ids": ids, "actors": actors, "a": a, "b": b, "engine": app_engine}


@pytest.mark.parametrize("role", sorted(REACHES))
def test_pages_each_role_reaches(open_page, world, role):
    at = open_page("", world["ids"][role])
    reached = set()
    for page in ALL_PAGES:
        try:
            at.switch_page(page)
        except ValueError:
            continue
        at.run()
        assert not at.exception, (page, [e.value for e in at.exception])
        reached.add(page)
    assert reached == REACHES[role]


# role -> (assessments visible, may edit A, may track A's key actions, staff visible, teams visible, audit)
EXPECTED = {
    "admin": (set(), False, False, {"Sam", "Mariam", "Yusuf", "Hana"}, {"East", "West", "North"}, "all"),
    "manager": ({"a"}, False, True, {"Sam", "Mariam", "Yusuf"}, {"East", "West"}, "agency"),
    "supervisor": (set(), False, False, {"Sam", "Mariam"}, {"East"}, None),
    "caseworker": ({"a"}, True, True, {"Mariam"}, set(), None),
    "facilitator": ({"a"}, True, True, set(), set(), None),
    "other_facilitator": ({"b"}, False, False, set(), set(), None),
    "other_manager": ({"b"}, False, False, {"Hana"}, {"North"}, "agency"),
}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_records_each_role_sees_and_changes(world, role):
    engine, actor = world["engine"], world["actors"][role]
    assessments, may_edit, may_track, staff, teams, audit = EXPECTED[role]
    names = {world["a"]: "a", world["b"]: "b"}
    with session_scope(engine) as session:
        assert {names[v.id] for v in qaf.list_assessments(session, actor=actor)} == assessments
        assert {s.full_name for s in people.list_staff(session, actor=actor)} == staff
        assert {t.name for t in people.list_teams(session, actor=actor)} == teams
    try:
        with session_scope(engine, actor=actor) as session:
            qaf.save_component_rating(session, actor=actor, assessment_id=world["a"], component_code="2",
                                      in_place=[], agreed_level=None)
        edited = True
    except Forbidden:
        edited = False
    assert edited == may_edit
    try:
        with session_scope(engine, actor=actor) as session:
            action = qaf.action_plan(session, world["a"], actor=actor).key_actions[0]
            draft = action.as_draft()
            draft.status = "in_progress"
            qaf.update_key_action(session, actor=actor, key_action_id=action.id, draft=draft)
        tracked = True
    except Forbidden:
        tracked = False
    assert tracked == may_track
    with session_scope(engine) as session:
        if audit is None:
            with pytest.raises(Forbidden):
                list_audit(session, actor=actor, filters=AuditFilter())
        else:
            entries = list_audit(session, actor=actor, filters=AuditFilter())
            assert entries, f"{role} should see audit records"
            if audit == "agency":  # only records of their own agency's records, whoever wrote them
                everyone = list_audit(session, actor=world["actors"]["admin"], filters=AuditFilter(limit=5000))
                assert len(entries) < len(everyone)
                assert {e.scope_agency_id for e in entries} == {actor.agency_id}


def test_the_trail_follows_the_record_not_the_writer(world):
    """A participant from Horizon writes a note in Brightpath's assessment: Brightpath's manager reads that in
    the trail, Horizon's manager does not (they cannot read the assessment either)."""
    engine = world["engine"]
    with session_scope(engine) as session:
        qaf.update_assessment_details(session, actor=world["actors"]["facilitator"], assessment_id=world["a"],
                                      details=qaf.get_assessment(session, world["a"],
                                                                 actor=world["actors"]["facilitator"]).details,
                                      participant_account_ids=[world["ids"]["caseworker"]],
                                      participant_usernames=["omar"])
    guest = world["actors"]["other_facilitator"]
    with session_scope(engine, actor=guest) as session:
        qaf.save_component_rating(session, actor=guest, assessment_id=world["a"], component_code="3", in_place=[],
                                  agreed_level=None, notes="Referral pathway to the clinic is unclear")

    def notes_seen_by(role: str) -> bool:
        with session_scope(engine) as session:
            entries = list_audit(session, actor=world["actors"][role], filters=AuditFilter(limit=5000))
        return any("Referral pathway" in str(e.changes) for e in entries)

    assert notes_seen_by("manager") and not notes_seen_by("other_manager")


def test_a_manager_tracks_but_does_not_rewrite_the_plan(world):
    engine, manager = world["engine"], world["actors"]["manager"]
    from core.errors import ReadOnly

    with pytest.raises(ReadOnly), session_scope(engine, actor=manager) as session:
        action = qaf.action_plan(session, world["a"], actor=manager).key_actions[0]
        draft = action.as_draft()
        draft.text = "Something else"
        qaf.update_key_action(session, actor=manager, key_action_id=action.id, draft=draft)


def test_nobody_reads_another_agencys_assessment_by_id(world):
    engine = world["engine"]
    for role in ("manager", "facilitator", "caseworker", "supervisor", "admin"):
        with pytest.raises(Forbidden), session_scope(engine) as session:
            qaf.get_assessment(session, world["b"], actor=world["actors"][role])


def test_framework_copies_are_changed_only_by_their_agencys_facilitators(world):
    engine, mine, theirs = world["engine"], world["actors"]["facilitator"], world["actors"]["other_facilitator"]
    with session_scope(engine) as session:
        base = qaf.ensure_bundled_framework(session)
    with session_scope(engine, actor=theirs) as session:
        copy = qaf.create_contextualised_copy(session, actor=theirs, base_version_id=base, version="hz-1",
                                              title="Horizon's grid")
    with session_scope(engine) as session:
        component = qaf.get_framework(session, copy).component("8")
    columns = [[{"id": a.id, "text": a.text + " (edited)"} for a in column] for column in component.columns]
    with pytest.raises(Forbidden), session_scope(engine, actor=mine) as session:
        qaf.save_contextualised_component(session, actor=mine, framework_version_id=copy, component_code="8",
                                          columns=columns)
    with session_scope(engine, actor=theirs) as session:
        qaf.save_contextualised_component(session, actor=theirs, framework_version_id=copy, component_code="8",
                                          columns=columns)


def test_only_the_facilitator_decides_who_takes_part(world):
    engine, participant = world["engine"], world["actors"]["caseworker"]
    with session_scope(engine) as session:
        view = qaf.get_assessment(session, world["a"], actor=participant)
    outsider = world["ids"]["other_facilitator"]
    with pytest.raises(Forbidden), session_scope(engine, actor=participant) as session:
        qaf.update_assessment_details(session, actor=participant, assessment_id=world["a"], details=view.details,
                                      participant_account_ids=[*view.member_account_ids, outsider])
    with session_scope(engine, actor=participant) as session:  # their other edits still go through
        qaf.update_assessment_details(session, actor=participant, assessment_id=world["a"], details=view.details,
                                      participant_account_ids=list(view.member_account_ids))


def test_a_facilitator_adds_another_agencys_person_only_by_their_exact_username(world):
    """The people directory shows a facilitator their own agency and their fellow members; someone of another
    agency is added by the username they gave. An account id from elsewhere, sent as if chosen from the list, is
    refused like an unknown one, on a new assessment and on an existing one."""
    engine, mine, ids = world["engine"], world["actors"]["facilitator"], world["ids"]
    details = AssessmentDetails(name="C", country="X", scope="inter_agency", assessed_on=date(2026, 11, 2),
                                facilitator="Z")
    with session_scope(engine) as session:
        version = session.get(qaf_models.Assessment, world["a"]).framework_version_id
        view = qaf.get_assessment(session, world["a"], actor=mine)
    for outsider in (ids["other_manager"], ids["other_facilitator"]):
        with pytest.raises(ValidationFailed) as refused, session_scope(engine, actor=mine) as session:
            qaf.create_assessment(session, actor=mine, details=details, framework_version_id=version,
                                  participant_account_ids=[outsider])
        assert "members" in refused.value.field_errors
        with pytest.raises(ValidationFailed), session_scope(engine, actor=mine) as session:
            qaf.update_assessment_details(session, actor=mine, assessment_id=world["a"], details=view.details,
                                          participant_account_ids=[*view.member_account_ids, outsider])
    with session_scope(engine, actor=mine) as session:  # the same person, named by their exact username
        qaf.update_assessment_details(session, actor=mine, assessment_id=world["a"], details=view.details,
                                      participant_account_ids=list(view.member_account_ids),
                                      participant_usernames=["ines"])
    with session_scope(engine) as session:
        assert ids["other_manager"] in qaf.get_assessment(session, world["a"], actor=mine).member_account_ids
    with session_scope(engine, actor=mine) as session:  # from then on a fellow member, offered in the list
        assert ids["other_manager"] in {p.id for p in qaf.people_to_choose(session, actor=mine)}


def test_a_baseline_must_be_one_the_facilitator_may_read(world):
    engine, mine = world["engine"], world["actors"]["facilitator"]
    details = AssessmentDetails(name="Follow-up", country="X", scope="agency", assessed_on=date(2027, 5, 1),
                                facilitator="Z")
    with session_scope(engine) as session:
        version = qaf.ensure_bundled_framework(session)
    with pytest.raises(Forbidden), session_scope(engine, actor=mine) as session:
        qaf.create_assessment(session, actor=mine, details=details, framework_version_id=version,
                              baseline_id=world["b"])


def test_the_people_directory_shows_only_what_the_role_needs(world):
    engine, mine = world["engine"], world["actors"]["facilitator"]
    with session_scope(engine) as session:
        names = {p.display_name.split(" (")[0] for p in qaf.people_to_choose(session, actor=mine)}
        found = qaf.find_person(session, actor=mine, username="omar")
    assert {"Lucia", "Mariam", "Zoe"} <= names and not names & {"Omar", "Ines"}
    assert found.id == world["ids"]["other_facilitator"]
    with pytest.raises(ValidationFailed), session_scope(engine) as session:
        qaf.find_person(session, actor=mine, username="om")  # exact usernames only: no browsing by prefix


# ------------------------------------------------------------------------------------------------ every service

SERVICE_MODULES = ["accounts.services", "accounts.staff_services", "accounts.staff_import", "accounts.sign_in",
                   "improvement_actions.services", "qaf.services.frameworks", "qaf.services.assessments",
                   "qaf.services.action_plans", "qaf.services.drafts", "qaf.reports", "core.audit",
                   "accounts.sessions", "checklists.services.case_files", "checklists.services.imports",
                   "checklists.services.reviews", "checklists.services.sampling", "checklists.services.templates",
                   "checklists.services.trends", "checklists.reports", "checklists.services.evidence",
                   "checklists.services.deadlines",
                   "supervision.services.plans", "supervision.services.calendars", "supervision.services.generation",
                   "supervision.services.sessions", "supervision.services.compliance", "supervision.reports",
                   "management.services.tracker", "management.reports", "management.services.indicators",
                   "management.services.progress", "management.services.monthly", "management.services.evidence",
                   "qaf.services.evidence", "sync.exchange", "sync.conflicts"]
# Functions that take no acting person, and why that is safe.
UNSCOPED = {
    "accounts.services.agency_id_for": "an agency's id from its name, for imports and the example",
    "accounts.services.build_actor": "builds the acting person from an account (the sign-in gate)",
    "accounts.services.create_first_administrator": "refuses once any account exists",
    "accounts.services.get_account": "pages call it with the signed-in person's own id",
    "accounts.services.preferences": "the sign-in gate reads the checked person's own language and password state",
    "accounts.services.has_any_account": "a yes/no for the first-run screen",
    "accounts.services.list_agencies": "agency names, shown to every signed-in person",
    "accounts.services.list_people": "called only through qaf people_to_choose, which scopes it",
    "accounts.services.person_by_username": "called only through qaf find_person (facilitators, exact name)",
    "accounts.staff_services.teams_supervised_by": "part of building the acting person",
    "accounts.sign_in.account_for_email": "single sign-on: the identity provider vouches for the person",
    "accounts.sign_in.authenticate": "signing in: no one is acting yet",
    "qaf.services.frameworks.ensure_bundled_framework": "start-up seeding",
    "qaf.services.frameworks.ensure_bundled_translations": "start-up seeding",
    "checklists.services.templates.ensure_bundled_checklist_translations": "start-up seeding",
    "accounts.services.language_of_staff": "a language code, for a calendar the caller may already export",
    "qaf.services.frameworks.get_framework": "the Change Grid is published material",
    "qaf.services.frameworks.framework_for_reader": "a framework version's text in a language (published material)",
    "qaf.services.frameworks.frameworks_by_id": "framework versions' content (published material)",
    "qaf.services.frameworks.list_framework_versions": "framework titles and versions",
    "qaf.services.assessments.adopt_unowned_assessments": "the first administrator's hook",
    "qaf.services.drafts.drop_draft": "deletes only the acting person's own draft; its callers check access",
    "accounts.sessions.open_session": "signing in: the password (or identity provider) was checked first",
    "accounts.sessions.claim_handoff": "the cookie route: a one-time code only the signed-in page was given",
    "accounts.sessions.check": "checks a sign-in session and builds its person (the gate, callbacks)",
    "accounts.sessions.resume": "a browser's own session cookie",
    "accounts.sessions.end_session": "signing out",
    "accounts.sessions.remember_device": "the cookie route, for the account whose one-time code it just claimed",
    "accounts.sessions.is_known_device": "signing in: whether this browser's own device token is the account's",
    "accounts.sign_in.unlock_from_server": "the server's command line (whoever runs the server holds its secrets)",
    "core.audit.retire_checkpoint_after_restore": "the server's command line, after a restore it just made",
    "accounts.sessions.account_of": "the account of a session the gate has just checked",
    "core.audit.actor_of": "reads the unit of work's person", "core.audit.agency_of": "audit scoping",
    "core.audit.mark_action": "names the next audit record", "core.audit.record_event": "appends to the trail",
    "core.audit.append_merged_records": "appends other replicas' records, from a bundle whose import was checked",
    "core.audit.verify_chain": "a yes/no about the trail's integrity, for administrators and the command line",
    "accounts.staff_services.current_team_of": "a team id, for a review the caller may already make",
    "checklists.services.templates.ensure_bundled_checklist": "start-up seeding",
    "checklists.services.templates.template_for_new_reviews": "the checklist new reviews of an agency use",
    "checklists.services.templates.current_settings": "an agency's timeframes, for a case file the caller reads",
    "checklists.services.templates.settings_by_id": "the settings a review the caller reads was scored with",
    "checklists.services.evidence.completed_reviews_by_month": "counts for caseworkers whose team the caller runs",
    "checklists.services.evidence.open_caseloads": "counts for caseworkers whose team the caller runs",
    "supervision.services.plans.plan_of": "the plan of a team whose calendar the caller was checked to run",
    "supervision.services.plans.plans_of": "the plans of teams whose calendars the caller was checked to run",
    "supervision.services.calendars.closures_of": "an agency's closed days, for a calendar already checked",
    "supervision.services.calendars.working_calendar_of": "an agency's working days, for a calendar already checked",
    "supervision.services.generation.team_people": "a team's people, for a calendar already checked",
    "supervision.services.generation.teams_people": "teams' people, for calendars already checked",
    "checklists.services.deadlines.refresh_deadlines": "derived data of case files a checked write just changed",
    "checklists.services.deadlines.fill_missing_deadlines": "start-up: derived data for every case file",
    "checklists.services.deadlines.indicator_counts": "counts over conditions the caller built from a checked scope",
    "checklists.services.deadlines.indicator_records": "records under conditions built from a checked scope",
    "management.services.tracker.record_export": "appends the export event of a list its caller built",
    "management.services.indicators.indicator_figures": "figures over a scope the caller made (and so checked)",
    "management.services.indicators.figure_records": "records of a scope the caller made; refused where hidden",
    "management.services.indicators.data_token": "counts and last changes over a scope the caller made",
    "management.services.progress.reviews_by_team": "figures over a scope the caller made (and so checked)",
    "management.services.progress.supervision_by_supervisor": "figures over a scope the caller made",
    "sync.exchange.agency_choices": "agency names, for the administrator's enrolment form",
    "sync.exchange.content_digest": "a digest of the synced records, for the command line's comparison of replicas",
    "sync.exchange.content_rows": "the synced records as they travel, for the command line's comparison",
    "sync.exchange.sync_status": "names and dates of exchanges: the Sync page shows it to administrators only on a "
                                 "server, and to a laptop's own people",
    "sync.exchange.this_replica": "whether this database is a server, a laptop or neither",
    "sync.conflicts.open_conflict_count": "a count of the reader's own agency's conflicts, for the dashboard",
}
EVERYONE = {"admin", "manager", "supervisor", "caseworker", "facilitator", "other_facilitator", "other_manager"}
MEMBERS = {"caseworker", "facilitator"}
READERS_OF_A = {"manager", *MEMBERS}
FACILITATORS = {"facilitator", "other_facilitator"}


def _service_names() -> set[str]:
    import importlib
    import inspect

    names = set()
    for module_name in SERVICE_MODULES:
        module = importlib.import_module(module_name)
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ == module_name and not name.startswith("_") \
                    and "session" in inspect.signature(function).parameters:
                names.add(f"{module_name}.{name}")
    return names


def _matrix(w):  # type: ignore[no-untyped-def]
    """service -> (who may, call(session, actor)). Each call is made, then rolled back."""
    from accounts import services as acc
    from accounts import sign_in, staff_import
    from core import audit
    from improvement_actions import services as actions
    from improvement_actions.rules import ActionSource, ImprovementActionDraft
    from management import reports as management_reports
    from management.services import tracker
    from qaf import reports
    from qaf.action_plan import SOURCE_KIND

    ids, a, staff, team, key, copy = w["ids"], w["a"], w["staff"], w["team"], w["key"], w["copy"]
    details = AssessmentDetails(name="A", country="X", scope="agency", assessed_on=date(2026, 11, 1), facilitator="Z")
    draft = KeyActionDraft(component_code="1", text="Act", owner_person="Z", due_on=date(2027, 1, 1),
                           status="in_progress")
    plain = ImprovementActionDraft(text="Act", owner_person="Z", due_on=date(2027, 1, 1), status="in_progress")
    account = acc.AccountDraft(username="new-one", display_name="New One", roles=["caseworker"])
    staff_draft = StaffDraft(full_name="New Person", programme_role="caseworker", agency_id=w["agency"])
    return {
        "accounts.services.change_password": (EVERYONE, lambda s, x: acc.change_password(
            s, actor=x, current="river stones sing at dawn", new="quiet harbour lights at nine")),
        "accounts.services.create_account": ({"admin"}, lambda s, x: acc.create_account(s, actor=x, draft=account)),
        "accounts.services.create_agency": ({"admin"}, lambda s, x: acc.create_agency(s, actor=x, name="Third")),
        "accounts.services.list_accounts": ({"admin"}, lambda s, x: acc.list_accounts(s, actor=x)),
        "accounts.services.reset_password": ({"admin"}, lambda s, x: acc.reset_password(
            s, actor=x, account_id=ids["caseworker"])),
        "accounts.services.set_language": (EVERYONE, lambda s, x: acc.set_language(s, actor=x, language="en")),
        "accounts.services.set_agency_language": ({"admin"}, lambda s, x: acc.set_agency_language(
            s, actor=x, agency_id=w["agency"], language="fr")),
        "accounts.services.update_account": ({"admin"}, lambda s, x: acc.update_account(
            s, actor=x, account_id=ids["caseworker"], draft=acc.AccountDraft(
                username="mariam", display_name="Mariam H", roles=["caseworker"], agency_id=w["agency"]))),
        "accounts.staff_services.assign_to_team": ({"admin"}, lambda s, x: people.assign_to_team(
            s, actor=x, staff_member_id=staff, team_id=team, from_date=date(2026, 6, 1))),
        "accounts.staff_services.create_staff": ({"admin"}, lambda s, x: people.create_staff(
            s, actor=x, draft=staff_draft)),
        "accounts.staff_services.create_team": ({"admin"}, lambda s, x: people.create_team(
            s, actor=x, name="South", agency_id=w["agency"])),
        "accounts.staff_services.deactivate_staff": ({"admin"}, lambda s, x: people.deactivate_staff(
            s, actor=x, staff_member_id=staff)),
        "accounts.staff_services.update_staff": ({"admin"}, lambda s, x: people.update_staff(
            s, actor=x, staff_member_id=staff, draft=StaffDraft(full_name="Mariam", programme_role="caseworker",
                                                               agency_id=w["agency"]))),
        "accounts.staff_services.get_staff": ({"admin", "manager", "supervisor", "caseworker"},
                                              lambda s, x: people.get_staff(s, actor=x, staff_member_id=staff)),
        "accounts.staff_services.team_history": ({"admin", "manager", "supervisor", "caseworker"},
                                                 lambda s, x: people.team_history(s, actor=x, staff_member_id=staff)),
        "accounts.staff_services.list_staff": (EVERYONE, lambda s, x: people.list_staff(s, actor=x)),
        "accounts.staff_services.list_teams": (EVERYONE, lambda s, x: people.list_teams(s, actor=x)),
        "accounts.staff_import.import_staff": ({"admin"}, lambda s, x: staff_import.import_staff(
            s, actor=x, filename="s.csv", content=b"full_name,programme_role,agency\nNew,caseworker,Brightpath\n")),
        "accounts.sign_in.unlock_account": ({"admin"}, lambda s, x: sign_in.unlock_account(
            s, actor=x, account_id=ids["caseworker"])),
        "improvement_actions.services.access_to": (EVERYONE, lambda s, x: actions.access_to(
            s, x, SOURCE_KIND, a)),
        "improvement_actions.services.actions_for_source": (READERS_OF_A, lambda s, x: actions.actions_for_source(
            s, actor=x, source_kind=SOURCE_KIND, record_id=a)),
        "improvement_actions.services.create_action": (MEMBERS, lambda s, x: actions.create_action(
            s, actor=x, source=ActionSource(SOURCE_KIND, a, "1"), draft=plain)),
        "improvement_actions.services.delete_action": (MEMBERS, lambda s, x: actions.delete_action(
            s, actor=x, action_id=key)),
        "improvement_actions.services.get_action": (READERS_OF_A, lambda s, x: actions.get_action(
            s, actor=x, action_id=key)),
        "improvement_actions.services.progress_history": (READERS_OF_A, lambda s, x: actions.progress_history(
            s, actor=x, action_id=key)),
        "improvement_actions.services.update_action": (READERS_OF_A, lambda s, x: actions.update_action(
            s, actor=x, action_id=key, draft=ImprovementActionDraft(text="Act", owner_person="Z",
                                                                   due_on=date(2027, 1, 1), status="done",
                                                                   progress_notes="Done"))),
        "improvement_actions.services.change_status": (READERS_OF_A, lambda s, x: actions.change_status(
            s, actor=x, action_id=key, status="in_progress", note="Started")),
        "improvement_actions.services.add_comment": (READERS_OF_A, lambda s, x: actions.add_comment(
            s, actor=x, action_id=key, text="A comment")),
        # The tracker lists only what each person may see: nobody is refused, the list is filtered.
        "management.services.tracker.tracked_actions": (EVERYONE, lambda s, x: tracker.tracked_actions(
            s, actor=x)),
        "management.services.tracker.my_actions": (EVERYONE, lambda s, x: tracker.my_actions(s, actor=x)),
        "management.services.tracker.filter_choices": (EVERYONE, lambda s, x: tracker.filter_choices(s, actor=x)),
        "management.services.tracker.change_statuses": (READERS_OF_A, lambda s, x: tracker.change_statuses(
            s, actor=x, changes=[tracker.StatusChange(key, "in_progress", "Started", None)])),
        "management.reports.export_tracker": (EVERYONE, lambda s, x: management_reports.export_tracker(
            s, actor=x, filters=tracker.TrackerFilters(), fmt="csv")),
        "qaf.services.frameworks.create_contextualised_copy": (FACILITATORS, lambda s, x: qaf.create_contextualised_copy(
            s, actor=x, base_version_id=w["version"], version="v-x", title="Copy")),
        "qaf.services.frameworks.translation_workbook_for": (FACILITATORS, lambda s, x:
            qaf.translation_workbook_for(s, actor=x, framework_version_id=w["version"], target_language="fr")),
        "qaf.services.frameworks.import_translation": (FACILITATORS, lambda s, x: qaf.import_translation(
            s, actor=x, source_version_id=w["version"], language="fr", version="v-fr", filename="fr.csv",
            data=b"identifier,translation\n")),
        "qaf.services.frameworks.save_contextualised_component": ({"facilitator"}, lambda s, x:
            qaf.save_contextualised_component(s, actor=x, framework_version_id=copy, component_code="8",
                                              columns=w["columns"])),
        "qaf.services.assessments.assessment_results": (READERS_OF_A, lambda s, x: qaf.assessment_results(
            s, a, actor=x)),
        "qaf.services.assessments.create_assessment": (FACILITATORS, lambda s, x: qaf.create_assessment(
            s, actor=x, details=details, framework_version_id=w["version"])),
        "qaf.services.assessments.archive_assessment": ({"facilitator"}, lambda s, x: qaf.archive_assessment(
            s, actor=x, assessment_id=a)),
        "qaf.services.assessments.delete_assessment": ({"facilitator"}, lambda s, x: _delete_empty(s, x, w, details)),
        "qaf.services.assessments.finalise_assessment": (MEMBERS, lambda s, x: qaf.finalise_assessment(
            s, actor=x, assessment_id=a)),
        "qaf.services.assessments.find_person": (FACILITATORS, lambda s, x: qaf.find_person(
            s, actor=x, username="mariam")),
        "qaf.services.assessments.get_assessment": (READERS_OF_A, lambda s, x: qaf.get_assessment(s, a, actor=x)),
        "qaf.services.assessments.list_assessments": (EVERYONE, lambda s, x: qaf.list_assessments(s, actor=x)),
        "qaf.services.assessments.people_to_choose": (EVERYONE, lambda s, x: qaf.people_to_choose(s, actor=x)),
        "qaf.services.assessments.save_component_rating": (MEMBERS, lambda s, x: qaf.save_component_rating(
            s, actor=x, assessment_id=a, component_code="2", in_place=[], agreed_level=None)),
        "qaf.services.assessments.start_from_baseline": ({"facilitator"}, lambda s, x: qaf.start_from_baseline(
            s, actor=x, baseline_id=a, details=details)),
        "qaf.services.assessments.update_assessment_details": (MEMBERS, lambda s, x:
            qaf.update_assessment_details(s, actor=x, assessment_id=a, details=details)),
        "qaf.services.action_plans.action_plan": (READERS_OF_A, lambda s, x: qaf.action_plan(s, a, actor=x)),
        "qaf.services.action_plans.add_key_action": (MEMBERS, lambda s, x: qaf.add_key_action(
            s, actor=x, assessment_id=a, draft=draft)),
        "qaf.services.action_plans.delete_key_action": (MEMBERS, lambda s, x: qaf.delete_key_action(
            s, actor=x, key_action_id=key)),
        "qaf.services.action_plans.update_key_action": (READERS_OF_A, lambda s, x: qaf.update_key_action(
            s, actor=x, key_action_id=key, draft=KeyActionDraft(component_code="1", text="Act", owner_person="Z",
                                                               due_on=date(2027, 1, 1), status="done", progress_notes="Done"))),
        "qaf.services.drafts.drafts_for": (READERS_OF_A, lambda s, x: qaf.drafts_for(s, actor=x, assessment_id=a)),
        "qaf.services.drafts.keep_draft": (MEMBERS, lambda s, x: qaf.keep_draft(
            s, actor=x, assessment_id=a, component_code="2", in_place=[], agreed=None, reason="", notes="n",
            base_version=None)),
        "qaf.services.drafts.discard_draft": (READERS_OF_A, lambda s, x: qaf.discard_draft(
            s, actor=x, assessment_id=a, component_code="2")),
        "qaf.reports.export_action_plan": (READERS_OF_A, lambda s, x: reports.export_action_plan(
            s, actor=x, assessment_id=a, fmt="csv")),
        "core.audit.export_audit": ({"admin", "manager", "other_manager"}, lambda s, x: audit.export_audit(
            s, actor=x, filters=AuditFilter())),
        "core.audit.list_audit": ({"admin", "manager", "other_manager"}, lambda s, x: audit.list_audit(
            s, actor=x, filters=AuditFilter())),
        "core.audit.count_audit": ({"admin", "manager", "other_manager"}, lambda s, x: audit.count_audit(
            s, actor=x, filters=AuditFilter())),
        **_review_matrix(w),
        **_calendar_matrix(w),
        **_sync_matrix(w),
    }


def _sync_matrix(w):  # type: ignore[no-untyped-def]
    """On a server with one enrolled laptop, whose bundle left one conflict to decide."""
    from sync import conflicts, exchange

    folder, bundle = w.get("sync_folder", Path()), w.get("sync_bundle", Path("up.cpcmsync"))
    return {
        "sync.exchange.enrol_laptop": ({"admin"}, lambda s, x: exchange.enrol_laptop(
            s, actor=x, name="Laptop Z", agency_id=w["agency"], out=folder / "z.cpcmsync", passphrase=SYNC_PASS)),
        "sync.exchange.revoke_laptop": ({"admin"}, lambda s, x: exchange.revoke_laptop(s, actor=x, name="Laptop W")),
        "sync.exchange.export_changes": ({"admin"}, lambda s, x: exchange.export_changes(
            s, actor=x, out=folder / "down.cpcmsync", passphrase=SYNC_PASS, for_laptop="Laptop W")),
        "sync.exchange.import_bundle": ({"admin"}, lambda s, x: exchange.import_bundle(
            s, actor=x, path=bundle, passphrase=SYNC_PASS)),
        "sync.exchange.import_uploaded": ({"admin"}, lambda s, x: exchange.import_uploaded(
            s, actor=x, data=bundle.read_bytes(), passphrase=SYNC_PASS)),
        "sync.conflicts.list_conflicts": ({"admin", "manager", "facilitator", "other_manager", "other_facilitator"},
                                          lambda s, x: conflicts.list_conflicts(s, actor=x)),
        "sync.conflicts.resolve_conflict": ({"manager", "facilitator"}, lambda s, x: conflicts.resolve_conflict(
            s, actor=x, conflict_id=w["conflict"], choice="replica")),
    }


def _calendar_matrix(w):  # type: ignore[no-untyped-def]
    """The supervision services: team East's calendar (supervisor Sam, caseworker Mariam) in Brightpath."""
    from accounts import staff_services as people_services
    from improvement_actions.rules import ImprovementActionDraft
    from management import reports as management_reports
    from management.services import evidence as management_evidence
    from management.services import indicators as management_indicators
    from management.services import monthly as management_monthly
    from management.services import progress as management_progress
    from qaf.services import evidence as qaf_evidence
    from supervision import reports as calendar_reports
    from supervision.plan import default_plan_data
    from supervision.services import calendars, compliance, generation, plans, sessions

    east, mariam, upcoming, past = w.get("east", 0), w.get("mariam", 0), w.get("upcoming", 0), w.get("past", 0)
    today = date.today()
    runners = {"manager", "supervisor"}
    readers = {"manager", "supervisor", "caseworker"}
    agency_people = {"manager", "supervisor", "caseworker", "other_manager"}
    keepers = {"manager", "other_manager"}
    scope = calendar_reports.Scope(east, "team")
    return {
        "supervision.services.plans.team_plan": (runners, lambda s, x: plans.team_plan(s, actor=x, team_id=east)),
        "supervision.services.plans.save_team_plan": (runners, lambda s, x: plans.save_team_plan(
            s, actor=x, team_id=east, content=default_plan_data())),
        "supervision.services.calendars.working_calendar": (agency_people, lambda s, x: calendars.working_calendar(
            s, actor=x, year=today.year)),
        "supervision.services.calendars.calendar_for_team": (readers, lambda s, x: calendars.calendar_for_team(
            s, actor=x, team_id=east, years=[today.year])),
        "supervision.services.calendars.save_working_calendar": (keepers, lambda s, x:
            calendars.save_working_calendar(s, actor=x, settings=calendars.DEFAULT)),
        "supervision.services.calendars.add_closure_day": (keepers, lambda s, x: calendars.add_closure_day(
            s, actor=x, day=date(2027, 3, 3), name="Office move")),
        "supervision.services.calendars.update_public_holiday": (keepers, lambda s, x:
            calendars.update_public_holiday(s, actor=x, day=date(2027, 1, 1), worked=True)),
        "supervision.services.calendars.import_closure_days": (keepers, lambda s, x: calendars.import_closure_days(
            s, actor=x, filename="c.csv", content=b"date,name\n2027-04-04,Retreat\n")),
        "supervision.services.generation.generate_calendar": (runners, lambda s, x: generation.generate_calendar(
            s, actor=x, team_id=east, first=today, last=today + timedelta(days=14), with_proposal=False)),
        "supervision.services.sessions.list_sessions": (EVERYONE, lambda s, x: sessions.list_sessions(s, actor=x)),
        "supervision.services.sessions.get_session": (readers, lambda s, x: sessions.get_session(
            s, actor=x, session_id=upcoming)),
        "supervision.services.sessions.move_session": (runners, lambda s, x: sessions.move_session(
            s, actor=x, session_id=upcoming, starts_at=None, minutes=60)),
        "supervision.services.sessions.cancel_session": (runners, lambda s, x: sessions.cancel_session(
            s, actor=x, session_id=upcoming)),
        "supervision.services.sessions.mark_held": (runners, lambda s, x: sessions.mark_held(
            s, actor=x, session_id=past, held_on=None, minutes=60)),
        "supervision.services.sessions.mark_missed": (runners, lambda s, x: sessions.mark_missed(
            s, actor=x, session_id=past, reason="emergency")),
        "supervision.services.sessions.add_session": (runners, lambda s, x: sessions.add_session(
            s, actor=x, team_id=east, activity="case_discussion", caseworker_id=mariam, starts_at=None,
            minutes=60)),
        "supervision.services.sessions.session_actions": (readers, lambda s, x: sessions.session_actions(
            s, actor=x, session_id=past)),
        "supervision.services.sessions.add_session_action": (runners, lambda s, x: sessions.add_session_action(
            s, actor=x, session_id=past, draft=ImprovementActionDraft(text="Act", owner_person="Mariam",
                                                                      due_on=today + timedelta(days=7)))),
        "supervision.services.compliance.held_vs_planned": (runners, lambda s, x: compliance.held_vs_planned(
            s, actor=x, team_id=east, first=today - timedelta(days=30), last=today)),
        "supervision.services.compliance.standards": (runners, lambda s, x: compliance.standards(
            s, actor=x, team_id=east)),
        "supervision.services.compliance.ratios": (runners, lambda s, x: compliance.ratios(s, actor=x, team_id=east)),
        "supervision.services.compliance.ratios_of_teams": (runners, lambda s, x: compliance.ratios_of_teams(
            s, actor=x, team_ids=[east])),
        # Management: scopes are checked when they are made; figures are then computed over a checked scope.
        "management.services.indicators.agency_scope": ({"manager", "other_manager"}, lambda s, x:
            management_indicators.agency_scope(s, actor=x)),
        "management.services.indicators.task_force_scope": (READERS_OF_A, lambda s, x:
            management_indicators.task_force_scope(s, actor=x, assessment_id=w["a"])),
        "management.services.indicators.scope_choices": (EVERYONE, lambda s, x:
            management_indicators.scope_choices(s, actor=x)),
        "management.services.progress.context_of": (READERS_OF_A, lambda s, x: management_progress.context_of(
            s, actor=x, assessment_id=w["a"])),
        "management.services.progress.levels_over_time": (READERS_OF_A, lambda s, x:
            management_progress.levels_over_time(s, actor=x, points=[
                management_progress.AssessmentPoint(w["a"], "A", today, "draft")])),
        "management.services.progress.compare": (READERS_OF_A, lambda s, x: management_progress.compare(
            s, actor=x, earlier_id=w["a"], later_id=w["a"])),
        "management.services.progress.ratios_by_team": (runners, lambda s, x: management_progress.ratios_by_team(
            s, actor=x, scope=management_indicators.Scope((w["agency"],), east, "East", True))),
        "management.services.monthly.monthly_report": ({"manager", "other_manager"}, lambda s, x:
            management_monthly.monthly_report(s, actor=x, month=today)),
        "management.reports.export_monthly_report": ({"manager", "other_manager"}, lambda s, x:
            management_reports.export_monthly_report(s, actor=x, month=today, fmt="xlsx")),
        "management.reports.export_monthly_files": ({"manager", "other_manager"}, lambda s, x:
            management_reports.export_monthly_files(s, actor=x, month=today, formats=("xlsx",))),
        "management.reports.export_built_monthly_report": ({"manager"}, lambda s, x:
            management_reports.export_built_monthly_report(s, actor=x, fmt="xlsx", report=management_monthly.monthly_report(
                s, actor=w["actors"]["manager"], month=today))),
        "management.services.evidence.component_evidence": (READERS_OF_A, lambda s, x:
            management_evidence.component_evidence(s, x, w["a"])),
        "qaf.services.evidence.evidence_for": (READERS_OF_A, lambda s, x: qaf_evidence.evidence_for(
            s, actor=x, assessment_id=w["a"])),
        "accounts.staff_services.list_trainings": ({"admin"}, lambda s, x: people_services.list_trainings(
            s, actor=x, staff_member_id=mariam)),
        "accounts.staff_services.add_training": ({"admin"}, lambda s, x: people_services.add_training(
            s, actor=x, staff_member_id=mariam, topic="supervision_coaching", completed_on=today)),
        "supervision.services.compliance.add_manual_caseload": (runners, lambda s, x:
            compliance.add_manual_caseload(s, actor=x, team_id=east, staff_member_id=mariam, open_cases=10,
                                           high_risk_cases=2, counted_on=today)),
        "supervision.reports.export_calendar_ics": (runners, lambda s, x: calendar_reports.export_calendar_ics(
            s, actor=x, scope=scope)),
        "supervision.reports.export_calendar_pdf": (runners, lambda s, x: calendar_reports.export_calendar_pdf(
            s, actor=x, scope=scope, first=today, last=today + timedelta(days=14))),
    }


REVIEWERS = {"manager", "supervisor"}  # enter and edit the team's (or agency's) case files


def _review_matrix(w):  # type: ignore[no-untyped-def]
    """The case file review services: a case file and a completed review of Mariam's (East team, supervisor
    Sam, agency Brightpath)."""
    from checklists import reports as review_reports
    from checklists.case_file import CaseFileDraft
    from checklists.review import AnswerDraft
    from checklists.services import case_files, imports, reviews, sampling, templates, trends
    from improvement_actions.rules import ImprovementActionDraft

    cf, review, team_east = w.get("case_file", 0), w.get("review", 0), w.get("east", 0)
    mariam = w.get("mariam", 0)
    today = date.today()
    new_file = CaseFileDraft(case_code="CP-NEW-1", caseworker_id=mariam, risk_level="low")
    same_file = CaseFileDraft(case_code="CP-0001", caseworker_id=mariam, risk_level="medium")
    readers_of_file = {"manager", "supervisor", "caseworker"}
    csv = b"case_code,caseworker,risk_level\nCP-IMP-1,Mariam,low\n"
    settings_data = w.get("settings_data", {})
    return {
        "checklists.services.case_files.list_case_files": (EVERYONE, lambda s, x: case_files.list_case_files(
            s, actor=x)),
        "checklists.services.case_files.case_file_index": (EVERYONE, lambda s, x: case_files.case_file_index(
            s, actor=x)),
        "checklists.services.case_files.count_case_files": (EVERYONE, lambda s, x: case_files.count_case_files(
            s, actor=x)),
        "checklists.services.case_files.case_file_caseworkers": (EVERYONE, lambda s, x: (
            case_files.case_file_caseworkers(s, actor=x))),
        "checklists.services.case_files.get_case_file": (readers_of_file, lambda s, x: case_files.get_case_file(
            s, actor=x, case_file_id=cf)),
        "checklists.services.case_files.case_file_timeliness": (readers_of_file, lambda s, x:
            case_files.case_file_timeliness(s, actor=x, case_file_id=cf)),
        "checklists.services.case_files.caseworkers_to_choose": (EVERYONE, lambda s, x:
            case_files.caseworkers_to_choose(s, actor=x)),
        "checklists.services.case_files.create_case_file": (REVIEWERS, lambda s, x: case_files.create_case_file(
            s, actor=x, draft=new_file)),
        "checklists.services.case_files.update_case_file": (REVIEWERS, lambda s, x: case_files.update_case_file(
            s, actor=x, case_file_id=cf, draft=same_file)),
        "checklists.services.imports.import_case_files": (REVIEWERS | {"other_manager"}, lambda s, x:
            imports.import_case_files(s, actor=x, agency_id=w["agency"], filename="c.csv", content=csv)),
        "checklists.services.imports.agencies_to_import_into": (REVIEWERS | {"other_manager"}, lambda s, x:
            imports.agencies_to_import_into(s, actor=x)),
        "checklists.services.reviews.list_reviews": (EVERYONE, lambda s, x: reviews.list_reviews(s, actor=x)),
        "checklists.services.reviews.get_review": (readers_of_file, lambda s, x: reviews.get_review(
            s, actor=x, review_id=review)),
        "checklists.services.reviews.start_review": ({"supervisor"}, lambda s, x: reviews.start_review(
            s, actor=x, case_file_id=cf)),
        "checklists.services.reviews.save_review": ({"supervisor"}, lambda s, x: reviews.save_review(
            s, actor=x, review_id=w.get("draft_review", 0), answers={"1.1": AnswerDraft("1.1", "yes")},
            strengths="", feedback="")),
        "checklists.services.reviews.delete_draft_review": ({"supervisor"}, lambda s, x:
            reviews.delete_draft_review(s, actor=x, review_id=w.get("draft_review", 0))),
        "checklists.services.reviews.acknowledge_review": ({"caseworker"}, lambda s, x: reviews.acknowledge_review(
            s, actor=x, review_id=review)),
        "checklists.services.reviews.follow_up_actions": (readers_of_file, lambda s, x: reviews.follow_up_actions(
            s, actor=x, review_id=review)),
        "checklists.services.reviews.add_follow_up_action": ({"supervisor"}, lambda s, x:
            reviews.add_follow_up_action(s, actor=x, review_id=review, item_id="1.1", draft=ImprovementActionDraft(
                text="Act", owner_person="Mariam", due_on=today))),
        "checklists.services.reviews.reviewable_case_files": (EVERYONE, lambda s, x: reviews.reviewable_case_files(
            s, actor=x)),
        "checklists.services.sampling.sample_teams": (EVERYONE, lambda s, x: sampling.sample_teams(s, actor=x)),
        "checklists.services.sampling.monthly_sample": (REVIEWERS, lambda s, x: sampling.monthly_sample(
            s, actor=x, team_id=team_east, month=today)),
        "checklists.services.templates.list_templates": (EVERYONE, lambda s, x: templates.list_templates(
            s, actor=x)),
        "checklists.services.templates.get_checklist": (EVERYONE, lambda s, x: templates.get_checklist(
            s, actor=x, template_id=w.get("template", 0))),
        "checklists.services.templates.checklist_translation_workbook": ({"manager", "other_manager"},
            lambda s, x: templates.checklist_translation_workbook(s, actor=x, template_id=w.get("template", 0),
                                                                  target_language="fr")),
        "checklists.services.templates.import_checklist_translation": ({"manager", "other_manager"},
            lambda s, x: templates.import_checklist_translation(
                s, actor=x, source_template_id=w.get("template", 0), language="fr", version="ctx-fr",
                filename="fr.csv", data=b"identifier,translation\n")),
        "checklists.services.templates.create_contextual_copy": ({"manager", "other_manager"}, lambda s, x:
            templates.create_contextual_copy(s, actor=x, base_template_id=w.get("template", 0), version="ctx-1",
                                             context_note="")),
        "checklists.services.templates.save_template_content": ({"manager"}, lambda s, x:
            templates.save_template_content(s, actor=x, template_id=w.get("copy_checklist", 0),
                                            content=w.get("copy_content", {}))),
        "checklists.services.templates.review_settings": (EVERYONE, lambda s, x: templates.review_settings(
            s, actor=x)),
        "checklists.services.templates.save_review_settings": ({"manager", "other_manager"}, lambda s, x:
            templates.save_review_settings(s, actor=x, content=settings_data)),
        "checklists.services.trends.review_trends": (EVERYONE, lambda s, x: trends.review_trends(
            s, actor=x, start=today, end=today)),
        "checklists.services.trends.data_token": (EVERYONE, lambda s, x: trends.data_token(s, actor=x)),
        "checklists.services.trends.review_records": (EVERYONE, lambda s, x: trends.review_records(
            s, actor=x, start=today, end=today)),
        "checklists.reports.export_review_pdf": (readers_of_file, lambda s, x: review_reports.export_review_pdf(
            s, actor=x, review_id=review)),
        "checklists.reports.team_month": (REVIEWERS, lambda s, x: review_reports.team_month(
            s, actor=x, team_id=team_east, month=today)),
        "checklists.reports.export_team_month": (REVIEWERS, lambda s, x: review_reports.export_team_month(
            s, actor=x, team_id=team_east, month=today, fmt="xlsx")),
    }


def _delete_empty(session, actor, world, details):  # type: ignore[no-untyped-def]
    """Deleting is for empty drafts: the probe makes one (as the facilitator of A), then asks to delete it."""
    facilitator = world["actors"]["facilitator"]
    empty = qaf.create_assessment(session, actor=facilitator, details=details,
                                  framework_version_id=world["version"])
    qaf.delete_assessment(session, actor=actor, assessment_id=empty)


class _RollBack(Exception):
    """Ends a probe's unit of work without keeping anything."""


@pytest.fixture
def full_world(world, tmp_path):
    from sqlalchemy import select

    from accounts.models import StaffMember, Team

    engine = world["engine"]
    facilitator = world["actors"]["facilitator"]
    with session_scope(engine) as session:
        version = qaf.ensure_bundled_framework(session)
        staff = session.scalar(select(StaffMember.id).where(StaffMember.full_name == "Mariam"))
        team = session.scalar(select(Team.id).where(Team.name == "West"))
        key = qaf.action_plan(session, world["a"], actor=facilitator).key_actions[0].id
        component = qaf.get_framework(session, version).component("8")
    with session_scope(engine, actor=facilitator) as session:
        copy = qaf.create_contextualised_copy(session, actor=facilitator, base_version_id=version, version="bp-1",
                                              title="Brightpath's grid")
    columns = [[{"id": x.id, "text": x.text} for x in column] for column in component.columns]
    return {**world, "version": version, "staff": staff, "team": team, "key": key, "copy": copy,
            "columns": columns, "agency": facilitator.agency_id, **_review_world(world, staff),
            **_sync_world(world, tmp_path)}


def _sync_world(world, folder: Path):  # type: ignore[no-untyped-def]
    """The database becomes a country server with Laptop W; the laptop and the server wrote different notes for a
    component of assessment A, so the laptop's bundle left one open conflict."""
    conflict = laptop_conflict(world["engine"], folder, admin="admin-one", author="zoe", assessment_id=world["a"])
    return {"sync_folder": folder, "sync_bundle": folder / "Laptop W-up.cpcmsync", "conflict": conflict}


def _review_world(world, mariam):  # type: ignore[no-untyped-def]
    """Mariam's case file with a completed review and a draft one, and a manager's checklist copy."""
    from sqlalchemy import select

    from accounts.models import Team
    from checklists.case_file import CaseFileDraft
    from checklists.review import AnswerDraft
    from checklists.services import case_files, reviews, templates
    from checklists.settings import default_settings_data

    engine, actors = world["engine"], world["actors"]
    sam, manager = actors["supervisor"], actors["manager"]
    with session_scope(engine, actor=sam) as session:
        template = templates.ensure_bundled_checklist(session)
        east = session.scalar(select(Team.id).where(Team.name == "East"))
        case_file = case_files.create_case_file(session, actor=sam, draft=CaseFileDraft(
            case_code="CP-0001", caseworker_id=mariam, risk_level="medium", registered_on=date(2026, 1, 5),
            assessed_on=date(2026, 1, 9)))
        other = case_files.create_case_file(session, actor=sam, draft=CaseFileDraft(
            case_code="CP-0002", caseworker_id=mariam, risk_level="low"))
        review = reviews.start_review(session, actor=sam, case_file_id=case_file)
        checklist = templates.get_checklist(session, actor=sam, template_id=template)
        reviews.save_review(session, actor=sam, review_id=review, feedback="Good", strengths="", complete=True,
                            answers={i.id: AnswerDraft(i.id, "yes" if i.computed is None else "na",
                                                       override_reason="n/a") for i in checklist.items()})
        draft_review = reviews.start_review(session, actor=sam, case_file_id=other)
    with session_scope(engine, actor=manager) as session:
        copy = templates.create_contextual_copy(session, actor=manager, base_template_id=template, version="bp-cl",
                                                context_note="")
        copy_content = templates.get_checklist(session, actor=manager, template_id=copy).to_dict()
    return {"case_file": case_file, "review": review, "draft_review": draft_review, "east": east,
            "mariam": mariam, "template": template, "copy_checklist": copy, "copy_content": copy_content,
            "settings_data": default_settings_data(), **_calendar_world(engine, sam, east, mariam)}


def _calendar_world(engine, sam, east, mariam):  # type: ignore[no-untyped-def]
    """East's calendar for the coming weeks, and a case discussion with Mariam held yesterday."""
    from supervision.services import generation, sessions

    today = date.today()
    with session_scope(engine, actor=sam) as session:
        generation.generate_calendar(session, actor=sam, team_id=east, first=today, last=today + timedelta(days=30),
                                     with_proposal=False)
        upcoming = next(v.id for v in sessions.list_sessions(session, actor=sam, team_id=east)
                        if v.caseworker_id == mariam)
        day = today - timedelta(days=1)
        while day.weekday() > 4:
            day -= timedelta(days=1)
        past = sessions.add_session(session, actor=sam, team_id=east, activity="case_discussion",
                                    caseworker_id=mariam, starts_at=datetime.combine(day, time(10)), minutes=60)
    return {"upcoming": upcoming, "past": past}


def test_every_service_is_in_the_access_matrix():
    """A new service must say who may call it (here) or why it needs no acting person (UNSCOPED)."""
    matrix = set(_matrix({k: 0 for k in ("ids", "a", "staff", "team", "key", "copy", "agency", "version",
                                         "columns")} | {"ids": {"caseworker": 0}}))
    assert _service_names() - matrix - set(UNSCOPED) == set()
    assert (matrix | set(UNSCOPED)) - _service_names() == set()


def test_each_service_refuses_exactly_who_it_should(full_world):
    from core.errors import NotFound, ReadOnly

    engine, actors = full_world["engine"], full_world["actors"]
    wrong = []
    for service, (allowed, call) in sorted(_matrix(full_world).items()):
        for role, actor in actors.items():
            refused = False
            try:
                with session_scope(engine, actor=actor) as session:
                    call(session, actor)
                    raise _RollBack
            except _RollBack:
                pass
            except (Forbidden, ReadOnly, NotFound):
                refused = True
            except ValidationFailed:
                pass  # got past the access check; the arguments are what was refused
            if refused == (role in allowed):
                wrong.append(f"{service} as {role}: {'refused' if refused else 'allowed'}")
    assert wrong == []
