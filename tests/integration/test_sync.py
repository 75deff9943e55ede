"""Sync between the country server and laptops, as the command line and pages drive it: enrol, exchange both ways,
merge, conflicts, refusals. The server runs on each configured database; laptops are SQLite files."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from core.actor import SYSTEM
from core.audit import ACTOR_KEY, verify_chain
from core.db import make_engine, session_scope
from qaf.assessment import AssessmentDetails
from qaf.models import Assessment, ComponentRating
from qaf.services import create_assessment, ensure_bundled_framework, save_component_rating
from sync import exchange
from sync.models import SyncConflict
from tests.conftest import actor_for, make_account

PASS = "a long sync passphrase"


@pytest.fixture
def laptop_factory(tmp_path: Path, sqlite_template: Path):
    engines: list[Engine] = []

    def make(name: str) -> Engine:
        path = tmp_path / f"{name}.db"
        shutil.copy(sqlite_template, path)
        engine = make_engine(f"sqlite:///{path}")
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.dispose()


@pytest.fixture
def programme(engine: Engine, tmp_path: Path):
    """A server with an administrator, a facilitator and a draft assessment of the Brightpath agency."""
    admin = actor_for(engine, make_account(engine, username="ada-admin", roles=["administrator"]))
    facilitator = actor_for(engine, make_account(engine, username="zoe-facilitator", roles=["facilitator"]))
    with session_scope(engine) as session:
        framework = ensure_bundled_framework(session)
        assessment_id = create_assessment(session, actor=facilitator, framework_version_id=framework,
                                          details=AssessmentDetails(name="Review 2026", country="Jordan",
                                                                    scope="agency", assessed_on=date(2026, 11, 3),
                                                                    facilitator="Zoe"))
    return {"admin": admin, "facilitator": facilitator, "assessment_id": assessment_id}


def enrol(engine: Engine, programme: dict, laptop: Engine, folder: Path, name: str = "Laptop A") -> None:
    start = folder / f"{name}.cpcmsync"
    with session_scope(engine) as session:
        exchange.enrol_laptop(session, actor=programme["admin"], name=name, agency_id=programme["admin"].agency_id,
                              out=start, passphrase=PASS)
    with session_scope(laptop) as session:
        result = exchange.import_bundle(session, actor=SYSTEM, path=start, passphrase=PASS)
    assert result.became == name


def up(laptop: Engine, server: Engine, folder: Path, name: str = "up") -> exchange.ImportResult:
    path = folder / f"{name}.cpcmsync"
    with session_scope(laptop) as session:
        exchange.export_changes(session, actor=SYSTEM, out=path, passphrase=PASS)
    with session_scope(server) as session:
        return exchange.import_bundle(session, actor=SYSTEM, path=path, passphrase=PASS)


def down(server: Engine, programme: dict, laptop: Engine, folder: Path, laptop_name: str = "Laptop A",
         name: str = "down") -> exchange.ImportResult:
    path = folder / f"{name}.cpcmsync"
    with session_scope(server) as session:
        exchange.export_changes(session, actor=programme["admin"], out=path, passphrase=PASS, for_laptop=laptop_name)
    with session_scope(laptop) as session:
        return exchange.import_bundle(session, actor=SYSTEM, path=path, passphrase=PASS)


def assert_same(laptop: Engine, server: Engine) -> None:
    mine, theirs = digest(laptop), digest(server)
    differences = [f"{key}: {f} laptop={mine[key].get(f)!r} server={theirs[key].get(f)!r}"
                   for key in mine.keys() & theirs.keys() for f in theirs[key] if mine[key].get(f) != theirs[key].get(f)]
    differences += [f"only on the laptop: {key}" for key in mine.keys() - theirs.keys()]
    differences += [f"only on the server: {key}" for key in theirs.keys() - mine.keys()]
    assert differences == []


def laptop_actor(laptop: Engine, username: str):
    from accounts.models import Account
    from accounts.services import build_actor

    with session_scope(laptop) as session:
        return build_actor(session, session.scalar(select(Account.id).where(Account.username == username)))


def laptop_assessment(laptop: Engine) -> int:
    with session_scope(laptop) as session:
        return session.scalar(select(Assessment.id))


def rating(engine: Engine, code: str) -> ComponentRating | None:
    with session_scope(engine) as session:
        row = session.scalar(select(ComponentRating).where(ComponentRating.component_code == code))
        if row is not None:
            session.expunge(row)
        return row


def digest(engine: Engine) -> dict:
    """Every synced record as it travels, by table and id: two replicas holding the same compare equal (and a
    failing comparison names the records that differ)."""
    with session_scope(engine) as session:
        return exchange.content_rows(session)


def test_a_laptop_enrolled_on_the_server_holds_its_agency_and_its_people_sign_in_as_themselves(
        engine, programme, laptop_factory, tmp_path):
    laptop = laptop_factory("a")
    enrol(engine, programme, laptop, tmp_path)
    assert_same(laptop, engine)
    facilitator = laptop_actor(laptop, "zoe-facilitator")
    assert facilitator.name == programme["facilitator"].name
    with session_scope(laptop) as session:
        assert session.scalar(select(Assessment.name)) == "Review 2026"
        status = exchange.sync_status(session)
    assert status.me.role == "laptop" and status.me.name == "Laptop A"
    assert [p.name for p in status.peers] == ["Country server"]


def test_work_done_on_both_sides_merges_and_both_end_with_the_same_records(engine, programme, laptop_factory,
                                                                           tmp_path):
    laptop = laptop_factory("a")
    enrol(engine, programme, laptop, tmp_path)
    on_laptop = laptop_actor(laptop, "zoe-facilitator")
    with session_scope(laptop) as session:
        save_component_rating(session, actor=on_laptop, assessment_id=laptop_assessment(laptop),
                              component_code="1", in_place=["1.1.1"], agreed_level=None, notes="Seen in the field")
    with session_scope(engine) as session:
        save_component_rating(session, actor=programme["facilitator"], assessment_id=programme["assessment_id"],
                              component_code="2", in_place=[], agreed_level=None, notes="From the office")
    with session_scope(laptop) as session:
        assert exchange.sync_status(session).waiting == 1
    result = up(laptop, engine, tmp_path)
    assert result.conflicts == 0 and result.applied >= 1
    down(engine, programme, laptop, tmp_path)
    assert rating(engine, "1").notes == "Seen in the field"
    assert rating(laptop, "2").notes == "From the office"
    assert_same(laptop, engine)
    with session_scope(laptop) as session:
        assert exchange.sync_status(session).waiting == 0
    for side in (engine, laptop):
        with session_scope(side) as session:
            assert verify_chain(session).ok


def test_the_same_field_changed_differently_on_both_sides_is_a_conflict_and_the_server_value_stays(
        engine, programme, laptop_factory, tmp_path):
    with session_scope(engine) as session:
        save_component_rating(session, actor=programme["facilitator"], assessment_id=programme["assessment_id"],
                              component_code="1", in_place=[], agreed_level=None, notes="Agreed in March")
    laptop = laptop_factory("a")
    enrol(engine, programme, laptop, tmp_path)
    on_laptop = laptop_actor(laptop, "zoe-facilitator")
    with session_scope(laptop) as session:
        save_component_rating(session, actor=on_laptop, assessment_id=laptop_assessment(laptop),
                              component_code="1", in_place=["1.1.1"], agreed_level=None, notes="Laptop's words")
    with session_scope(engine) as session:
        save_component_rating(session, actor=programme["facilitator"], assessment_id=programme["assessment_id"],
                              component_code="1", in_place=["1.1.2"], agreed_level=None, notes="Server's words")
    result = up(laptop, engine, tmp_path)
    assert result.conflicts == 1
    with session_scope(engine) as session:
        conflict = session.scalar(select(SyncConflict))
        assert (conflict.field, conflict.base_value, conflict.server_value, conflict.replica_value) == (
            "notes", "Agreed in March", "Server's words", "Laptop's words")
    merged = rating(engine, "1")
    assert merged.notes == "Server's words"
    assert sorted(merged.actions_in_place) == ["1.1.1", "1.1.2"]  # ticks merge: each side's tick kept
    # the same bundle again changes nothing and records no second conflict
    with session_scope(engine) as session:
        again = exchange.import_bundle(session, actor=SYSTEM, path=tmp_path / "up.cpcmsync", passphrase=PASS)
        assert again.already_imported
        assert session.scalar(select(func.count()).select_from(SyncConflict)) == 1
    down(engine, programme, laptop, tmp_path)
    assert_same(laptop, engine)


# ------------------------------------------------------------------------------------------------ refusals


def laptop_with_a_change(engine, programme, laptop_factory, tmp_path) -> tuple[Engine, Path]:
    laptop = laptop_factory("a")
    enrol(engine, programme, laptop, tmp_path)
    with session_scope(laptop) as session:
        save_component_rating(session, actor=laptop_actor(laptop, "zoe-facilitator"),
                              assessment_id=laptop_assessment(laptop), component_code="1", in_place=[],
                              agreed_level=None, notes="Typed on the laptop")
    path = tmp_path / "up.cpcmsync"
    with session_scope(laptop) as session:
        exchange.export_changes(session, actor=SYSTEM, out=path, passphrase=PASS)
    return laptop, path


def refused(engine: Engine, path: Path, expected: str, passphrase: str = PASS) -> None:
    before = digest(engine)
    with session_scope(engine) as session:
        conflicts = session.scalar(select(func.count()).select_from(SyncConflict))
    with pytest.raises((exchange.SyncRefused, bundle_module.BundleError), match=expected), \
            session_scope(engine) as session:
        exchange.import_bundle(session, actor=SYSTEM, path=path, passphrase=passphrase)
    assert digest(engine) == before
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(SyncConflict)) == conflicts
        assert verify_chain(session).ok


from sync import bundle as bundle_module  # noqa: E402


def test_a_tampered_bundle_is_refused_and_nothing_changes(engine, programme, laptop_factory, tmp_path):
    _laptop, path = laptop_with_a_change(engine, programme, laptop_factory, tmp_path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    tampered = tmp_path / "tampered.cpcmsync"
    tampered.write_bytes(bytes(data))
    refused(engine, tampered, "signature")


def test_a_truncated_bundle_is_refused_and_nothing_changes(engine, programme, laptop_factory, tmp_path):
    _laptop, path = laptop_with_a_change(engine, programme, laptop_factory, tmp_path)
    cut = tmp_path / "cut.cpcmsync"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size - 200])
    refused(engine, cut, "signature|cut short")


def test_a_wrong_passphrase_is_refused_and_nothing_changes(engine, programme, laptop_factory, tmp_path):
    _laptop, path = laptop_with_a_change(engine, programme, laptop_factory, tmp_path)
    refused(engine, path, "passphrase is wrong", passphrase="not the passphrase")


def test_a_bundle_of_a_revoked_laptop_is_refused(engine, programme, laptop_factory, tmp_path):
    _laptop, path = laptop_with_a_change(engine, programme, laptop_factory, tmp_path)
    with session_scope(engine) as session:
        exchange.revoke_laptop(session, actor=programme["admin"], name="Laptop A")
    refused(engine, path, "revoked")


def test_a_bundle_of_a_laptop_this_server_never_enrolled_is_refused(engine, programme, laptop_factory, tmp_path,
                                                                   sqlite_template):
    _laptop, _path = laptop_with_a_change(engine, programme, laptop_factory, tmp_path)
    with session_scope(engine) as session:
        ours = exchange.this_replica(session).uuid
    other = laptop_factory("other-server")
    make_account(other, username="other-admin", roles=["administrator"])
    admin = actor_for(other, 1)
    start = tmp_path / "stranger.cpcmsync"
    with session_scope(other) as session:
        exchange.enrol_laptop(session, actor=admin, name="Stranger", agency_id=admin.agency_id, out=start,
                              passphrase=PASS)
    stranger = laptop_factory("stranger")
    with session_scope(stranger) as session:
        exchange.import_bundle(session, actor=SYSTEM, path=start, passphrase=PASS)
    with session_scope(stranger) as session:
        from sync.models import Replica
        server = session.scalar(select(Replica).where(Replica.role == "server"))
        # a bundle addressed to this server by a laptop it does not know
        server.uuid = ours
    forged = tmp_path / "forged.cpcmsync"
    with session_scope(stranger) as session:
        exchange.export_changes(session, actor=SYSTEM, out=forged, passphrase=PASS)
    refused(engine, forged, "not registered here")


def test_a_bundle_made_by_another_schema_version_is_refused(engine, programme, laptop_factory, tmp_path):
    laptop, _path = laptop_with_a_change(engine, programme, laptop_factory, tmp_path)
    from sqlalchemy import text
    with laptop.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    newer = tmp_path / "newer.cpcmsync"
    with session_scope(laptop) as session:
        exchange.export_changes(session, actor=SYSTEM, out=newer, passphrase=PASS)
    refused(engine, newer, "schema 9999")


def test_a_change_to_another_agencys_record_is_refused(engine, programme, laptop_factory, tmp_path):
    """A laptop whose database was altered by hand to hold a record of another agency: the server checks every
    change against its own records and refuses the bundle."""
    other_facilitator = actor_for(engine, make_account(engine, username="omar-horizon", roles=["facilitator"],
                                                       agency="Horizon"))
    with session_scope(engine) as session:
        framework = ensure_bundled_framework(session)
        theirs = create_assessment(session, actor=other_facilitator, framework_version_id=framework,
                                   details=AssessmentDetails(name="Horizon's own", country="Jordan", scope="agency",
                                                             assessed_on=date(2026, 10, 1), facilitator="Omar"))
        their_uuid = session.get(Assessment, theirs).uuid
    laptop, _path = laptop_with_a_change(engine, programme, laptop_factory, tmp_path)
    with session_scope(laptop) as session:  # the laptop's own assessment takes the other agency's record's id
        session.info[ACTOR_KEY] = laptop_actor(laptop, "zoe-facilitator")
        row = session.scalar(select(Assessment))
        row.uuid = their_uuid
        row.name = "Renamed from a laptop"
    with session_scope(laptop) as session:
        from sync.models import LocalChange
        # what the altered laptop would send: a change to that record
        change = session.scalars(select(LocalChange).where(LocalChange.table_name == "qaf_assessments")).all()
        assert change
    path = tmp_path / "intruding.cpcmsync"
    with session_scope(laptop) as session:
        exchange.export_changes(session, actor=SYSTEM, out=path, passphrase=PASS)
    refused(engine, path, "another agency")


def test_a_change_by_an_account_without_the_role_on_the_server_is_refused(engine, programme, laptop_factory,
                                                                         tmp_path):
    _laptop, path = laptop_with_a_change(engine, programme, laptop_factory, tmp_path)
    from accounts.models import Account
    with session_scope(engine) as session:  # on the server, the facilitator lost the role meanwhile
        account = session.scalar(select(Account).where(Account.username == "zoe-facilitator"))
        account.roles = ["caseworker"]
    refused(engine, path, "do not allow it")


# ------------------------------------------------------------------------------------------------ decisions


def conflicting_notes(engine, programme, laptop_factory, tmp_path) -> Engine:
    """The server and a laptop wrote different notes for component 1: one open conflict on the server."""
    with session_scope(engine) as session:
        save_component_rating(session, actor=programme["facilitator"], assessment_id=programme["assessment_id"],
                              component_code="1", in_place=[], agreed_level=None, notes="Agreed in March")
    laptop = laptop_factory("a")
    enrol(engine, programme, laptop, tmp_path)
    with session_scope(laptop) as session:
        save_component_rating(session, actor=laptop_actor(laptop, "zoe-facilitator"),
                              assessment_id=laptop_assessment(laptop), component_code="1", in_place=[],
                              agreed_level=None, notes="Laptop's words")
    with session_scope(engine) as session:
        save_component_rating(session, actor=programme["facilitator"], assessment_id=programme["assessment_id"],
                              component_code="1", in_place=[], agreed_level=None, notes="Server's words")
    assert up(laptop, engine, tmp_path).conflicts == 1
    return laptop


@pytest.mark.parametrize(("choice", "typed", "expected"), [
    ("server", "", "Server's words"), ("replica", "", "Laptop's words"), ("typed", "Both: agreed", "Both: agreed")])
def test_a_decided_conflict_is_audited_and_reaches_the_laptop(engine, programme, laptop_factory, tmp_path, choice,
                                                              typed, expected):
    from sync.conflicts import list_conflicts, resolve_conflict

    laptop = conflicting_notes(engine, programme, laptop_factory, tmp_path)
    with session_scope(engine) as session:
        [conflict] = list_conflicts(session, actor=programme["facilitator"])
        assert (conflict.kind, conflict.replica_name, conflict.typed_allowed) == ("field", "Laptop A", True)
        resolve_conflict(session, actor=programme["facilitator"], conflict_id=conflict.id, choice=choice,
                         typed=typed, expected_version=conflict.version)
    with session_scope(engine) as session:
        assert list_conflicts(session, actor=programme["facilitator"]) == []
        [done] = list_conflicts(session, actor=programme["facilitator"], status="resolved")
        assert (done.resolution, done.resolved_by) == (choice, programme["facilitator"].name)
        from core.audit import AuditRecord
        assert session.scalar(select(func.count()).select_from(AuditRecord).where(
            AuditRecord.action == "sync_resolve")) == 1
    assert rating(engine, "1").notes == expected
    down(engine, programme, laptop, tmp_path)
    assert rating(laptop, "1").notes == expected
    assert_same(laptop, engine)


def test_a_conflict_is_decided_only_by_a_manager_or_facilitator_of_its_agency(engine, programme, laptop_factory,
                                                                            tmp_path):
    from core.errors import Forbidden
    from sync.conflicts import resolve_conflict

    conflicting_notes(engine, programme, laptop_factory, tmp_path)
    outsider = actor_for(engine, make_account(engine, username="omar-horizon", roles=["manager"], agency="Horizon"))
    with session_scope(engine) as session:
        conflict_id = session.scalar(select(SyncConflict.id))
    with pytest.raises(Forbidden), session_scope(engine) as session:
        resolve_conflict(session, actor=outsider, conflict_id=conflict_id, choice="server")
    with pytest.raises(Forbidden), session_scope(engine) as session:
        resolve_conflict(session, actor=programme["admin"], conflict_id=conflict_id, choice="server")


def test_a_merged_value_too_long_for_its_field_is_refused_next_to_the_field(engine, programme, laptop_factory,
                                                                           tmp_path):
    from core.errors import ValidationFailed
    from sync.conflicts import resolve_conflict

    conflicting_notes(engine, programme, laptop_factory, tmp_path)
    with session_scope(engine) as session:
        conflict_id = session.scalar(select(SyncConflict.id))
    with pytest.raises(ValidationFailed) as refused_input, session_scope(engine) as session:
        resolve_conflict(session, actor=programme["facilitator"], conflict_id=conflict_id, choice="typed",
                         typed="a\x00b")
    assert set(refused_input.value.field_errors) == {"typed"}
    with session_scope(engine) as session:
        assert session.get(SyncConflict, conflict_id).status == "open"


def test_two_new_case_files_with_one_case_code_are_kept_apart_until_a_person_decides(engine, programme,
                                                                                      laptop_factory, tmp_path):
    from checklists.models import CaseFile
    from sync.conflicts import list_conflicts, resolve_conflict

    manager = actor_for(engine, make_account(engine, username="mia-manager", roles=["manager"]))
    staff = _staff_member(engine, programme["admin"])
    laptop = laptop_factory("a")
    enrol(engine, programme, laptop, tmp_path)
    _case_file(engine, manager, staff, "CP-0042")
    on_laptop = laptop_actor(laptop, "mia-manager")
    with session_scope(laptop) as session:
        from accounts.models import StaffMember
        laptop_staff = session.scalar(select(StaffMember.id))
    _case_file(laptop, on_laptop, laptop_staff, "CP-0042")
    assert up(laptop, engine, tmp_path).conflicts == 1
    with session_scope(engine) as session:
        codes = sorted(session.scalars(select(CaseFile.case_code)))
        assert codes[0] == "CP-0042" and codes[1].startswith("CP-0042 ~")
        [conflict] = list_conflicts(session, actor=manager)
        assert conflict.kind == "duplicate"
        resolve_conflict(session, actor=manager, conflict_id=conflict.id, choice="apart", typed="CP-0043")
    with session_scope(engine) as session:
        assert sorted(session.scalars(select(CaseFile.case_code))) == ["CP-0042", "CP-0043"]
    down(engine, programme, laptop, tmp_path)
    assert_same(laptop, engine)


def test_merging_a_duplicate_keeps_one_record_and_its_reviews(engine, programme, laptop_factory, tmp_path):
    from checklists.models import CaseFile
    from sync.conflicts import list_conflicts, resolve_conflict

    manager = actor_for(engine, make_account(engine, username="mia-manager", roles=["manager"]))
    staff = _staff_member(engine, programme["admin"])
    laptop = laptop_factory("a")
    enrol(engine, programme, laptop, tmp_path)
    _case_file(engine, manager, staff, "CP-0042")
    with session_scope(laptop) as session:
        from accounts.models import StaffMember
        laptop_staff = session.scalar(select(StaffMember.id))
    _case_file(laptop, laptop_actor(laptop, "mia-manager"), laptop_staff, "CP-0042")
    up(laptop, engine, tmp_path)
    with session_scope(engine) as session:
        [conflict] = list_conflicts(session, actor=manager)
        resolve_conflict(session, actor=manager, conflict_id=conflict.id, choice="merge")
    with session_scope(engine) as session:
        assert list(session.scalars(select(CaseFile.case_code))) == ["CP-0042"]
    down(engine, programme, laptop, tmp_path)
    assert_same(laptop, engine)


def _staff_member(engine: Engine, manager) -> int:
    from accounts.staff import StaffDraft
    from accounts.staff_services import create_staff

    with session_scope(engine) as session:
        return create_staff(session, actor=manager, draft=StaffDraft(
            full_name="Caseworker One", programme_role="caseworker", agency_id=manager.agency_id))


def _case_file(engine: Engine, actor, staff_id: int, code: str) -> None:
    from checklists.services.case_files import CaseFileDraft, create_case_file

    with session_scope(engine) as session:
        create_case_file(session, actor=actor, draft=CaseFileDraft(
            case_code=code, caseworker_id=staff_id, risk_level="high", identified_on=date(2026, 11, 1),
            registered_on=date(2026, 11, 2)))
