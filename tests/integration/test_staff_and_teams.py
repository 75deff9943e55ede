"""Staff, teams and their history; the spreadsheet import is all or nothing."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from core.accounts.roles import SYSTEM
from core.accounts.services import create_agency
from core.db import session_scope
from core.errors import Forbidden, ValidationFailed
from supervision import services
from supervision.models import StaffMember
from supervision.staff import StaffDraft
from tests.conftest import actor_for, make_account


@pytest.fixture
def org(engine):
    with session_scope(engine) as session:
        brightpath = create_agency(session, actor=SYSTEM, name="Brightpath")
        horizon = create_agency(session, actor=SYSTEM, name="Horizon")
        east = services.create_team(session, actor=SYSTEM, name="East", agency_id=brightpath)
        west = services.create_team(session, actor=SYSTEM, name="West", agency_id=brightpath)
        north = services.create_team(session, actor=SYSTEM, name="North", agency_id=horizon)
    admin = actor_for(engine, make_account(engine, username="admin-one", roles=["administrator"]))
    return {"brightpath": brightpath, "horizon": horizon, "east": east, "west": west, "north": north, "admin": admin}


def _person(session, org, name, role="caseworker", team="east", agency="brightpath", supervisor=False):
    staff_id = services.create_staff(session, actor=org["admin"], draft=StaffDraft(
        full_name=name, programme_role=role, agency_id=org[agency], start_date=date(2025, 1, 6), gender="female"))
    services.assign_to_team(session, actor=org["admin"], staff_member_id=staff_id, team_id=org[team],
                            from_date=date(2025, 1, 6), as_supervisor=supervisor)
    return staff_id


def test_moves_keep_history_and_a_team_has_one_supervisor(engine, org):
    with session_scope(engine) as session:
        ana = _person(session, org, "Ana Pereira", role="supervisor", supervisor=True)
        sam = _person(session, org, "Samuel Mensah", role="supervisor", team="west", supervisor=True)
        grace = _person(session, org, "Grace Achieng")
        services.assign_to_team(session, actor=org["admin"], staff_member_id=grace, team_id=org["west"],
                                from_date=date(2026, 3, 1))
        services.assign_to_team(session, actor=org["admin"], staff_member_id=sam, team_id=org["east"],
                                from_date=date(2026, 4, 1), as_supervisor=True)
    with session_scope(engine) as session:
        history = services.team_history(session, actor=org["admin"], staff_member_id=grace)
        teams = {t.name: t for t in services.list_teams(session, actor=org["admin"])}
        assert services.teams_supervised_by(session, sam) == frozenset({org["east"]})
        assert services.teams_supervised_by(session, ana) == frozenset()
    assert [(h.team_name, h.from_date, h.to_date) for h in history] == [
        ("East", date(2025, 1, 6), date(2026, 3, 1)), ("West", date(2026, 3, 1), None)]
    assert teams["East"].supervisor_name == "Samuel Mensah" and teams["West"].member_count == 1


def test_only_supervisors_supervise_and_teams_stay_in_their_agency(engine, org):
    with pytest.raises(ValidationFailed, match="not a supervisor"), session_scope(engine) as session:
        _person(session, org, "Joseph Banda", supervisor=True)
    with pytest.raises(ValidationFailed, match="another agency"), session_scope(engine) as session:
        _person(session, org, "Joseph Banda", team="north")
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(StaffMember)) == 0


def test_deactivation_ends_the_current_team_stay(engine, org):
    with session_scope(engine) as session:
        yusuf = _person(session, org, "Yusuf Karim")
        services.deactivate_staff(session, actor=org["admin"], staff_member_id=yusuf, on=date(2026, 6, 30))
    with session_scope(engine) as session:
        view = services.get_staff(session, actor=org["admin"], staff_member_id=yusuf)
        history = services.team_history(session, actor=org["admin"], staff_member_id=yusuf)
    assert not view.active and view.team_id is None and history[0].to_date == date(2026, 6, 30)


def test_only_administrators_change_staff(engine, org):
    manager = actor_for(engine, make_account(engine, username="lucia-manager", roles=["manager"]))
    with pytest.raises(Forbidden), session_scope(engine) as session:
        services.create_staff(session, actor=manager, draft=StaffDraft(
            full_name="X", programme_role="caseworker", agency_id=org["brightpath"]))


def _csv(*rows: str) -> bytes:
    return ("full_name,programme_role,agency,team,start_date,gender,email,active\n" + "\n".join(rows)).encode()


def test_import_reports_every_bad_line_and_saves_nothing(engine, org):
    bad = _csv(
        "Amina Yusuf,caseworker,Brightpath,East,2026-01-15,female,amina@example.org,yes",
        "Omar Said,driver,Brightpath,East,2026-01-15,male,,yes",
        "Lina Haddad,caseworker,Nowhere Agency,,15/01/2026,female,,yes",
        ",caseworker,Brightpath,,,,,",
        "Amina Yusuf,caseworker,Brightpath,East,,female,,maybe",
    )
    with pytest.raises(ValidationFailed) as caught, session_scope(engine) as session:
        services.import_staff(session, actor=org["admin"], filename="staff.csv", content=bad)
    message = caught.value.field_errors["file"]
    assert "Line 3: Role must be one of" in message
    assert "Line 4: “15/01/2026” is not a date; write YYYY-MM-DD." in message
    assert "Line 5: Give the person's name." in message
    assert "Line 6: “maybe” is not yes or no." in message
    assert "Line 2" not in message
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(StaffMember)) == 0


def test_import_csv_and_xlsx_with_new_teams(engine, org):
    good = _csv("Amina Yusuf,caseworker,Brightpath,East,2026-01-15,female,amina@example.org,yes",
                "Omar Saïd,supervisor,brightpath,South,,male,,no")
    with session_scope(engine) as session:
        report = services.import_staff(session, actor=org["admin"], filename="staff.csv", content=good)
    assert report.created == 2 and report.teams_created == ["South"]
    template = load_workbook(io.BytesIO(services.staff_template_xlsx()))
    sheet = template["staff"]
    assert [c.value for c in sheet[1]] == ["full_name", "programme_role", "agency", "team", "start_date", "gender",
                                           "email", "active"]
    sheet.delete_rows(2)
    sheet.append(["Fatima Noor", "data_entry", "Horizon", "North", date(2024, 5, 2), "female", None, "yes"])
    buffer = io.BytesIO()
    template.save(buffer)
    with session_scope(engine) as session:
        services.import_staff(session, actor=org["admin"], filename="staff.xlsx", content=buffer.getvalue())
    with session_scope(engine) as session:
        staff = {s.full_name: s for s in services.list_staff(session, actor=org["admin"])}
    assert staff["Fatima Noor"].team_name == "North" and staff["Fatima Noor"].start_date == date(2024, 5, 2)
    assert not staff["Omar Saïd"].active
    with pytest.raises(ValidationFailed, match="already exists"), session_scope(engine) as session:
        services.import_staff(session, actor=org["admin"], filename="again.csv", content=good)


@pytest.mark.parametrize(("name", "content", "message"), [
    ("staff.txt", b"x", "Upload a .csv or .xlsx file."),
    ("staff.xlsx", b"not a workbook", "could not be read"),
    ("staff.csv", "full_name\nÉva".encode("latin-1"), "not UTF-8"),
    ("staff.csv", b"name,role\nA,B", "missing: full_name, programme_role, agency"),
])
def test_import_rejects_unusable_files(engine, org, name, content, message):
    with pytest.raises(ValidationFailed, match=message), session_scope(engine) as session:
        services.import_staff(session, actor=org["admin"], filename=name, content=content)
