"""Access control: for each role, which pages it reaches, and which records of its own team, another team and
another agency it can see and change. Checked through the pages (AppTest) and the services behind them."""

from __future__ import annotations

from datetime import date

import pytest

from core.accounts.roles import SYSTEM
from core.accounts.services import agency_id_for, create_agency
from core.audit import AuditFilter, list_audit
from core.db import session_scope
from core.errors import Forbidden
from qaf import services as qaf
from qaf.action_plan import KeyActionDraft
from qaf.assessment import AssessmentDetails
from supervision import services as people
from supervision.staff import StaffDraft
from tests.conftest import actor_for, make_account

QAF_PAGES = ["qaf/ui/assessments.py", "qaf/ui/workshop.py", "qaf/ui/summary.py", "qaf/ui/action_plan.py",
             "qaf/ui/frameworks.py"]
ALL_PAGES = [*QAF_PAGES, "supervision/ui/staff.py", "supervision/ui/teams.py", "core/ui/accounts_admin.py",
             "core/ui/audit_trail.py", "core/ui/my_account.py"]
REACHES = {
    "admin": {"supervision/ui/staff.py", "supervision/ui/teams.py", "core/ui/accounts_admin.py",
              "core/ui/audit_trail.py", "core/ui/my_account.py"},
    "manager": {*QAF_PAGES, "supervision/ui/staff.py", "supervision/ui/teams.py", "core/ui/audit_trail.py",
                "core/ui/my_account.py"},
    "supervisor": {*QAF_PAGES, "supervision/ui/staff.py", "supervision/ui/teams.py", "core/ui/my_account.py"},
    "caseworker": {*QAF_PAGES, "supervision/ui/staff.py", "core/ui/my_account.py"},
    "facilitator": {*QAF_PAGES, "supervision/ui/staff.py", "core/ui/my_account.py"},
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
            agencies = {e.account_id for e in entries}
            if audit == "agency":  # only what people of their own agency did
                everyone = list_audit(session, actor=world["actors"]["admin"], filters=AuditFilter(limit=5000))
                assert len(entries) < len(everyone)
                own = {a.account_id for a in world["actors"].values() if a.agency_id == actor.agency_id}
                assert agencies <= own


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
