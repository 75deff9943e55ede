"""Convergence: a server and two laptops make random creates, edits and deletes of assessments, ratings and key
actions; bundles go both ways in random orders, some imported twice, some lost and made again. After everyone
has exchanged with everyone, all three hold the same records, every conflict is recorded once on the server, and
no value a person saved last is lost: it is in the records or in a conflict a person will decide."""

from __future__ import annotations

import json
import os
import shutil
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule, run_state_machine_as_test
from sqlalchemy import select

from accounts.models import Account
from accounts.services import build_actor
from core.actor import SYSTEM
from core.audit import verify_chain
from core.db import make_engine, session_scope
from core.errors import ReadOnly
from improvement_actions.models import ImprovementAction
from qaf.action_plan import KeyActionDraft
from qaf.assessment import AssessmentDetails
from qaf.models import Assessment, ComponentRating
from qaf.services import (
    add_key_action,
    create_assessment,
    delete_key_action,
    ensure_bundled_framework,
    get_assessment,
    save_component_rating,
    update_assessment_details,
    update_key_action,
)
from sync import exchange
from sync.models import SyncConflict
from tests.conftest import _empty_postgres, actor_for, make_account

PASS = "convergence passphrase"
NAMES = st.sampled_from(["Baseline", "Midline", "Endline", "Review"])
NOTES = st.sampled_from(["", "Seen in files", "Agreed by all", "Needs a check", "نقاط قوة"])
COMPONENTS = st.sampled_from(["1", "2", "3"])
TICKS = st.lists(st.sampled_from(["1.1.1", "1.1.2", "1.2.1"]), unique=True, max_size=3)
TEXTS = st.sampled_from(["Train supervisors", "Write the SOP", "Hire a caseworker", "تدريب"])


class Programme(RuleBasedStateMachine):
    """One example: a fresh server (the configured database) and two fresh SQLite laptops."""

    server_url: str
    folder: Path
    template: Path

    def __init__(self) -> None:
        super().__init__()
        self.engines: dict[str, object] = {}
        self.bundles: list[tuple[str, Path]] = []  # (receiver, file)
        self.saves: list[tuple[str, tuple, str, object]] = []  # (replica, record key, field, value) in order
        self.counter = 0

    # ----- set-up

    @initialize()
    def set_up(self) -> None:
        if self.server_url.startswith("sqlite"):
            path = self.folder / f"server-{id(self)}.db"
            shutil.copy(self.template, path)
            server = make_engine(f"sqlite:///{path}")
        else:
            _empty_postgres(self.server_url)
            server = make_engine(self.server_url)
        self.engines["server"] = server
        make_account(server, username="ada-admin", roles=["administrator"])
        self.admin = actor_for(server, 1)
        make_account(server, username="zoe-facilitator", roles=["facilitator"])
        with session_scope(server) as session:
            ensure_bundled_framework(session)
        self._create_assessment("server", "Baseline")
        for name in ("A", "B"):
            path = self.folder / f"laptop-{name}-{id(self)}.db"
            shutil.copy(self.template, path)
            laptop = make_engine(f"sqlite:///{path}")
            start = self._file(f"enrol-{name}")
            with session_scope(server) as session:
                exchange.enrol_laptop(session, actor=self.admin, name=f"Laptop {name}",
                                      agency_id=self.admin.agency_id, out=start, passphrase=PASS)
            with session_scope(laptop) as session:
                exchange.import_bundle(session, actor=SYSTEM, path=start, passphrase=PASS)
            self.engines[name] = laptop

    def _file(self, kind: str) -> Path:
        self.counter += 1
        return self.folder / f"{id(self)}-{self.counter}-{kind}.cpcmsync"

    def _actor(self, replica: str):
        with session_scope(self.engines[replica]) as session:
            account = session.scalar(select(Account.id).where(Account.username == "zoe-facilitator"))
            return build_actor(session, account)

    def _assessments(self, replica: str) -> list[tuple[int, str]]:
        with session_scope(self.engines[replica]) as session:
            return [(i, str(u)) for i, u in session.execute(select(Assessment.id, Assessment.uuid)
                                                            .order_by(Assessment.uuid))]

    def _actions(self, replica: str) -> list[tuple[int, str]]:
        with session_scope(self.engines[replica]) as session:
            return [(i, str(u)) for i, u in session.execute(select(ImprovementAction.id, ImprovementAction.uuid)
                                                            .order_by(ImprovementAction.uuid))]

    def _create_assessment(self, replica: str, name: str) -> None:
        with session_scope(self.engines[replica]) as session:
            new_id = create_assessment(session, actor=self._actor(replica),
                                       framework_version_id=ensure_bundled_framework(session),
                                       details=AssessmentDetails(name=name, country="Jordan", scope="agency",
                                                                 assessed_on=date(2026, 11, 3), facilitator="Zoe"))
            key = ("assessment", str(session.get(Assessment, new_id).uuid))
        self.saves.append((replica, key, "name", name))

    def _saved(self, replica: str, key: tuple, field: str, value: object, before: object) -> None:
        """A save the person was told about; one that left the value as it was changed nothing."""
        if value != before:
            self.saves.append((replica, key, field, value))

    # ----- people's work

    replicas = st.sampled_from(["server", "A", "B"])

    @rule(replica=replicas, name=NAMES)
    def create_an_assessment(self, replica: str, name: str) -> None:
        self._create_assessment(replica, name)

    @rule(replica=replicas, pick=st.integers(0, 5), name=NAMES)
    def rename_an_assessment(self, replica: str, pick: int, name: str) -> None:
        found = self._assessments(replica)
        if not found:
            return
        assessment_id, row_uuid = found[pick % len(found)]
        actor = self._actor(replica)
        with session_scope(self.engines[replica]) as session:
            view = get_assessment(session, assessment_id, actor=actor)
            update_assessment_details(session, actor=actor, assessment_id=assessment_id, details=AssessmentDetails(
                name=name, country=view.country, scope=view.scope, assessed_on=view.assessed_on,
                facilitator=view.facilitator))
        self._saved(replica, ("assessment", row_uuid), "name", name, view.name)

    @rule(replica=replicas, pick=st.integers(0, 5), component=COMPONENTS, notes=NOTES, ticks=TICKS)
    def rate_a_component(self, replica: str, pick: int, component: str, notes: str, ticks: list[str]) -> None:
        found = self._assessments(replica)
        if not found:
            return
        assessment_id, row_uuid = found[pick % len(found)]
        with session_scope(self.engines[replica]) as session:
            before = _current(session, ("rating", row_uuid, component))
            save_component_rating(session, actor=self._actor(replica), assessment_id=assessment_id,
                                  component_code=component, in_place=[t for t in ticks if t.startswith(component)],
                                  agreed_level=None, notes=notes)
        self._saved(replica, ("rating", row_uuid, component), "notes", notes, before and before["notes"])

    @rule(replica=replicas, pick=st.integers(0, 5), text=TEXTS)
    def add_a_key_action(self, replica: str, pick: int, text: str) -> None:
        found = self._assessments(replica)
        if not found:
            return
        assessment_id, _ = found[pick % len(found)]
        with session_scope(self.engines[replica]) as session:
            new_id = add_key_action(session, actor=self._actor(replica), assessment_id=assessment_id,
                                    draft=KeyActionDraft(text=text, component_code="1", owner_person="Zoe",
                                                         due_on=date(2027, 1, 31)))
            row_uuid = str(session.get(ImprovementAction, new_id).uuid)
        self.saves.append((replica, ("action", row_uuid), "text", text))

    @rule(replica=replicas, pick=st.integers(0, 5), text=TEXTS)
    def edit_a_key_action(self, replica: str, pick: int, text: str) -> None:
        found = self._actions(replica)
        if not found:
            return
        action_id, row_uuid = found[pick % len(found)]
        with session_scope(self.engines[replica]) as session:
            before = _current(session, ("action", row_uuid))
            update_key_action(session, actor=self._actor(replica), key_action_id=action_id,
                              draft=KeyActionDraft(text=text, component_code="1", owner_person="Zoe",
                                                         due_on=date(2027, 1, 31)))
        self._saved(replica, ("action", row_uuid), "text", text, before and before["text"])

    @rule(replica=replicas, pick=st.integers(0, 5))
    def delete_a_key_action(self, replica: str, pick: int) -> None:
        found = self._actions(replica)
        if not found:
            return
        action_id, row_uuid = found[pick % len(found)]
        try:
            with session_scope(self.engines[replica]) as session:
                delete_key_action(session, actor=self._actor(replica), key_action_id=action_id)
        except ReadOnly:
            return
        self.saves.append((replica, ("action", row_uuid), "deleted", True))

    # ----- exchanges

    @rule(laptop=st.sampled_from(["A", "B"]), delivered=st.booleans())
    def send_up(self, laptop: str, delivered: bool) -> None:
        path = self._file(f"up-{laptop}")
        with session_scope(self.engines[laptop]) as session:
            exchange.export_changes(session, actor=SYSTEM, out=path, passphrase=PASS)
        self.bundles.append(("server", path))
        if delivered:
            self._import("server", path)

    @rule(laptop=st.sampled_from(["A", "B"]), delivered=st.booleans())
    def send_down(self, laptop: str, delivered: bool) -> None:
        path = self._file(f"down-{laptop}")
        with session_scope(self.engines["server"]) as session:
            exchange.export_changes(session, actor=self.admin, out=path, passphrase=PASS,
                                    for_laptop=f"Laptop {laptop}")
        self.bundles.append((laptop, path))
        if delivered:
            self._import(laptop, path)

    @precondition(lambda self: self.bundles)
    @rule(pick=st.integers(0, 50))
    def import_an_old_bundle_again(self, pick: int) -> None:
        receiver, path = self.bundles[pick % len(self.bundles)]
        self._import(receiver, path)

    def _import(self, receiver: str, path: Path) -> None:
        with session_scope(self.engines[receiver]) as session:
            exchange.import_bundle(session, actor=SYSTEM, path=path, passphrase=PASS)

    # ----- the end: everyone exchanges with everyone

    def teardown(self) -> None:
        try:
            if "B" in self.engines:
                self._check()
        finally:
            for engine in self.engines.values():
                engine.dispose()

    def _check(self) -> None:
        for _ in range(2):
            for laptop in ("A", "B"):
                self.send_up(laptop, True)
                self.send_down(laptop, True)
        contents = {name: _rows(engine) for name, engine in self.engines.items()}
        for name in ("A", "B"):
            assert contents[name] == contents["server"], _differences(contents[name], contents["server"], name)
        server = self.engines["server"]
        with session_scope(server) as session:
            conflicts = session.scalars(select(SyncConflict)).all()
            keys = [(c.kind, str(c.row_uuid), c.field, c.replica_id, json.dumps(c.replica_value, sort_keys=True))
                    for c in conflicts]
            assert len(keys) == len(set(keys)), "a conflict was recorded twice"
            opened = [(str(c.row_uuid), c.field, c.replica_id) for c in conflicts if c.kind == "field"]
            assert len(opened) == len(set(opened)), "two open conflicts for one field from one laptop"
            kept = {str(c.row_uuid) for c in conflicts}
            kept_values = " ".join(json.dumps([c.server_value, c.replica_value, c.base_value], ensure_ascii=False)
                                   for c in conflicts)
            for engine in self.engines.values():
                with session_scope(engine) as other:
                    assert verify_chain(other).ok
            last = {key: (field, value) for _replica, key, field, value in self.saves}
            for key, (field, value) in last.items():
                current = _current(session, key)
                if field == "deleted":
                    assert current is None or key[1] in kept, f"{key} was deleted, then came back unrecorded"
                    continue
                if current is not None and current.get(field) == value:
                    continue
                assert json.dumps(value, ensure_ascii=False) in kept_values, \
                    f"{key}: {value!r} was saved last and is neither in the records nor in a conflict"


def _current(session, key: tuple) -> dict | None:
    if key[0] == "assessment":
        row = session.scalar(select(Assessment).where(Assessment.uuid == _u(key[1])))
        return {"name": row.name} if row else None
    if key[0] == "rating":
        row = session.scalar(select(ComponentRating).join(Assessment).where(
            Assessment.uuid == _u(key[1]), ComponentRating.component_code == key[2]))
        return {"notes": row.notes} if row else None
    row = session.scalar(select(ImprovementAction).where(ImprovementAction.uuid == _u(key[1])))
    return {"text": row.text} if row else None


def _u(text: str):
    import uuid

    return uuid.UUID(text)


def _rows(engine) -> dict:
    with session_scope(engine) as session:
        return exchange.content_rows(session)


def _differences(laptop: dict, server: dict, name: str) -> str:
    lines = [f"laptop {name} and the server hold different records:"]
    for key in sorted(laptop.keys() | server.keys()):
        if key not in server:
            lines.append(f"  only on the laptop: {key} {laptop[key]}")
        elif key not in laptop:
            lines.append(f"  only on the server: {key} {server[key]}")
        elif laptop[key] != server[key]:
            lines.append(f"  {key}: " + ", ".join(f"{f} laptop={laptop[key].get(f)!r} server={server[key].get(f)!r}"
                                                 for f in server[key] if laptop[key].get(f) != server[key].get(f)))
    return "\n".join(lines[:30])


def test_a_server_and_two_laptops_converge_whatever_the_order_of_exchanges(database_url, sqlite_template, tmp_path):
    Programme.server_url = database_url
    Programme.folder = tmp_path
    Programme.template = sqlite_template
    run_state_machine_as_test(Programme, settings=settings(
        max_examples=int(os.environ.get("CPCM_SYNC_EXAMPLES", "12")), stateful_step_count=25, deadline=None, phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]))


pytest.importorskip("hypothesis")
