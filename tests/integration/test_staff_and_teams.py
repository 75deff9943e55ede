"""Staff, teams and their history; the spreadsheet import is all or nothing."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from accounts import staff_import
from accounts import staff_services as services
from accounts.models import StaffMember
from accounts.services import create_agency
from accounts.staff import StaffDraft
from core.actor import SYSTEM
from core.db import session_scope
from core.errors import Forbidden, ValidationFailed
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
        staff_import.import_staff(session, actor=org["admin"], filename="staff.csv", content=bad)
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
        report = staff_import.import_staff(session, actor=org["admin"], filename="staff.csv", content=good)
    assert report.created == 2 and report.teams_created == ["South"]
    template = load_workbook(io.BytesIO(staff_import.staff_template_xlsx()))
    sheet = template["staff"]
    assert [c.value for c in sheet[1]] == ["full_name", "programme_role", "agency", "team", "start_date", "gender",
                                           "email", "active"]
    sheet.delete_rows(2)
    sheet.append(["Fatima Noor", "data_entry", "Horizon", "North", date(2024, 5, 2), "female", None, "yes"])
    buffer = io.BytesIO()
    template.save(buffer)
    with session_scope(engine) as session:
        staff_import.import_staff(session, actor=org["admin"], filename="staff.xlsx", content=buffer.getvalue())
    with session_scope(engine) as session:
        staff = {s.full_name: s for s in services.list_staff(session, actor=org["admin"])}
    assert staff["Fatima Noor"].team_name == "North" and staff["Fatima Noor"].start_date == date(2024, 5, 2)
    assert not staff["Omar Saïd"].active
    with pytest.raises(ValidationFailed, match="already exists"), session_scope(engine) as session:
        staff_import.import_staff(session, actor=org["admin"], filename="again.csv", content=good)


@pytest.mark.parametrize(("name", "content", "message"), [
    ("staff.txt", b"x", "Upload a .csv or .xlsx file."),
    ("staff.xlsx", b"not a workbook", "could not be read"),
    ("staff.csv", "full_name\nÉva".encode("latin-1"), "not UTF-8"),
    ("staff.csv", b"name,role\nA,B", "missing: full_name, programme_role, agency"),
])
def test_import_rejects_unusable_files(engine, org, name, content, message):
    with pytest.raises(ValidationFailed, match=message), session_scope(engine) as session:
        staff_import.import_staff(session, actor=org["admin"], filename=name, content=content)


def _workbook(rows: list[list[object]], header=("full_name", "programme_role", "agency", "team", "start_date")):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(("filename", "content", "message"), [
    ("staff.xlsx", b"PK\x03\x04" + b"\x00" * 200, "The file could not be read as an Excel workbook."),
    ("staff.csv", b"full_name,programme_role,agency\rAmina,caseworker,Brightpath\rJo\x00e,caseworker,Brightpath\r",
     "Line 3: the full_name cell holds an invisible control character (NUL); retype it."),
    ("staff.csv", b"full_name,programme_role,agency,start_date\nAmina,caseworker,Brightpath,2026-02-29\n",
     "Line 2: “2026-02-29” is not a date; write YYYY-MM-DD."),
    ("staff.csv", ("full_name,programme_role,agency,team\nAmina,caseworker,Brightpath," + "T" * 300 + "\n").encode(),
     "Line 2: the team name is longer than 200 characters."),
    ("staff.csv", ("full_name,programme_role,agency\n" + "A" * 1200 + ",caseworker,Brightpath\n").encode(),
     "Line 2: the full_name cell is longer than 1000 characters."),
])
def test_damaged_and_odd_files_get_a_message_naming_line_and_column(org, engine, filename, content, message):
    with pytest.raises(ValidationFailed) as caught, session_scope(engine) as session:
        staff_import.import_staff(session, actor=org["admin"], filename=filename, content=content)
    assert caught.value.field_errors["file"].startswith(message)


def test_cr_only_line_endings_import(org, engine):
    content = b"full_name,programme_role,agency\rAmina Yusuf,caseworker,Brightpath\rJoseph,caseworker,Brightpath\r"
    with session_scope(engine) as session:
        report = staff_import.import_staff(session, actor=org["admin"], filename="mac.csv", content=content)
    assert report.created == 2


def test_an_oversized_sheet_stops_at_the_row_cap_without_reading_everything(org, engine):
    content = _workbook([[f"Person {n}", "caseworker", "Brightpath"] for n in range(5002)])
    with pytest.raises(ValidationFailed, match=r"At most 5000 rows per file\."), session_scope(engine) as session:
        staff_import.import_staff(session, actor=org["admin"], filename="big.xlsx", content=content)
    with pytest.raises(ValidationFailed, match="larger than 5 MB"), session_scope(engine) as session:
        staff_import.import_staff(session, actor=org["admin"], filename="huge.csv", content=b"x" * 5_000_001)
