"""Administration pages: accounts (password shown once), staff import, teams, audit trail."""

from __future__ import annotations

from accounts.services import create_agency
from core.actor import SYSTEM
from core.db import session_scope
from tests.app.helpers import button, by_label, errors, texts
from tests.conftest import make_account


def _admin(app_engine):
    with session_scope(app_engine) as session:
        create_agency(session, actor=SYSTEM, name="Brightpath")
    return make_account(app_engine, username="admin-one", roles=["administrator"])


def test_create_an_account_and_see_its_password_once(open_page, app_engine):
    admin = _admin(app_engine)
    at = open_page("accounts/ui/accounts_admin.py", admin)
    button(at, "Save").click().run()
    assert any("Usernames are 3–80 characters" in e for e in errors(at))
    by_label(at.text_input, "Username").input("mariam")
    by_label(at.text_input, "Name").input("Mariam Haddad")
    by_label(at.multiselect, "Roles").select("caseworker")
    button(at, "Save").click().run()
    assert not errors(at)
    assert "These passwords are shown only now." in " ".join(w.value for w in at.warning)
    shown = at.table[0].value
    assert list(shown.index) == ["mariam"] and len(shown.iloc[0, 0]) == 19
    at.run()
    assert not at.table  # gone on the next run
    assert "mariam" in list(at.dataframe[0].value["Username"])


def test_staff_import_from_the_page(open_page, app_engine):
    admin = _admin(app_engine)
    at = open_page("accounts/ui/staff.py", admin)
    assert "No staff records you can see." in texts(at)
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Download the Excel template", "Download the CSV template"]


def test_audit_trail_page_shows_what_happened(open_page, app_engine):
    admin = _admin(app_engine)
    at = open_page("accounts/ui/accounts_admin.py", admin)
    by_label(at.text_input, "Username").input("yusuf")
    by_label(at.text_input, "Name").input("Yusuf Karim")
    by_label(at.multiselect, "Roles").select("supervisor")
    button(at, "Save").click().run()
    at.switch_page("accounts/ui/audit_trail.py").run()
    table = at.dataframe[0].value
    created = table[(table["Action"] == "Created") & (table["Record"].str.startswith("Account"))]
    assert "Admin One" in set(created["Who"])
    assert "Yusuf Karim (yusuf)" in set(created["What"])  # the record's title, not only "Account 7"
    assert all(record.split(" ")[-1].isdigit() for record in created["Record"])  # with its id on create rows
    assert any("username: yusuf" in c for c in created["Changes (before → after)"])
    assert "•••" in " ".join(created["Changes (before → after)"])  # the password hash never shows


def test_teams_page_for_a_supervisor(open_page, app_engine):
    admin = _admin(app_engine)
    at = open_page("accounts/ui/teams.py", admin)
    by_label(at.text_input, "Team").input("East")
    button(at, "Create the team").click().run()
    assert not errors(at)
    assert list(at.dataframe[0].value["Team"]) == ["East"]
    button(at, "Create the team").click().run()
    assert "East already exists in this agency." in errors(at)


def test_the_audit_trail_shows_level_names_and_before_after(open_page, example, app_engine):
    from accounts.models import Account
    from qaf.levels import Level
    from qaf.ui.common import CURRENT

    fac = example["demo-facilitator"]
    at = open_page("qaf/ui/workshop.py", fac, **{CURRENT: example["assessment"]})
    key = f"qaf_w:{example['assessment']}:1"
    at.selectbox(key=f"{key}:agreed").set_value(int(Level.GOOD_PRACTICE)).run()
    at.text_area(key=f"{key}:reason").input("Everything is in place since October.").run()
    at.button(key=f"{key}:save").click().run()
    with session_scope(app_engine) as session:
        from sqlalchemy import select

        admin = session.scalar(select(Account.id).where(Account.username == "demo-admin"))
    at = open_page("accounts/ui/audit_trail.py", admin)
    table = at.dataframe[0].value
    changed = table[(table["Action"] == "Changed") & table["Record"].str.startswith("ComponentRating")]
    assert any("agreed level: Meets minimum levels → Good practice" in c
               for c in changed["Changes (before → after)"])
    assert any(w.startswith("1 · Riverside Displacement Response") for w in changed["What"])
