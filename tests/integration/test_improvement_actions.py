"""Improvement actions: any feature attaches a source and says who may do what; tracking moves status and
progress along with a history; every record carries a UUID from creation that never changes."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import inspect, select

from app.example import load_example
from core.actor import SYSTEM
from core.db import session_scope
from core.errors import Forbidden, ReadOnly, ValidationFailed
from core.models import Base
from improvement_actions import services as actions
from improvement_actions.models import ImprovementAction
from improvement_actions.rules import Access, ActionSource, ImprovementActionDraft
from improvement_actions.services import SourceAccess
from tests.conftest import actor_for, make_account

KIND = "test_review"  # a source kind registered only here, as a later feature would


@pytest.fixture
def review_source(engine):
    """A fake feature: the reviewer edits, the reviewed caseworker tracks, everyone else sees nothing."""
    people = {"reviewer": make_account(engine, username="sam", roles=["supervisor"]),
              "caseworker": make_account(engine, username="mariam", roles=["caseworker"]),
              "outsider": make_account(engine, username="omar", roles=["caseworker"], agency="Horizon")}

    def policy(_session, actor, record_id):
        if actor.account_id == people["reviewer"]:
            return SourceAccess(Access.EDIT, due_not_before=date(2026, 11, 1))
        if actor.account_id == people["caseworker"]:
            return SourceAccess(Access.TRACK, reason="Only your supervisor changes what the action is.")
        return SourceAccess(Access.NONE)

    actions.register_source(KIND, policy)
    return {role: actor_for(engine, account_id) for role, account_id in people.items()}


def _draft(**changes):
    values = dict(text="Review the case plan with the child", owner_person="Mariam", due_on=date(2026, 12, 1))
    values.update(changes)
    return ImprovementActionDraft(**values)


def test_a_new_source_kind_owns_actions_with_its_own_access_rules(engine, review_source):
    reviewer, caseworker, outsider = (review_source[k] for k in ("reviewer", "caseworker", "outsider"))
    source = ActionSource(KIND, 7, item="4.2")
    with session_scope(engine, actor=reviewer) as session:
        action_id = actions.create_action(session, actor=reviewer, source=source, draft=_draft())
    with pytest.raises(ValidationFailed) as caught, session_scope(engine, actor=reviewer) as session:
        actions.create_action(session, actor=reviewer, source=source, draft=_draft(due_on=date(2026, 10, 1)))
    assert caught.value.field_errors == {"due_on": "The due date must be on or after 1 Nov 2026."}
    with pytest.raises(ReadOnly, match="Only your supervisor"), session_scope(engine, actor=caseworker) as session:
        actions.update_action(session, actor=caseworker, action_id=action_id, draft=_draft(text="Something else"))
    with session_scope(engine, actor=caseworker) as session:
        actions.update_action(session, actor=caseworker, action_id=action_id,
                              draft=_draft(status="in_progress", progress_notes="Met the family on Monday"))
    for call in (lambda s: actions.get_action(s, actor=outsider, action_id=action_id),
                 lambda s: actions.delete_action(s, actor=outsider, action_id=action_id),
                 lambda s: actions.actions_for_source(s, actor=outsider, source_kind=KIND, record_id=7)):
        with pytest.raises(Forbidden), session_scope(engine, actor=outsider) as session:
            call(session)
    with session_scope(engine) as session:
        seen = actions.actions_for_source(session, actor=caseworker, source_kind=KIND, record_id=7)
        assert [(a.source, a.status, a.progress_notes) for a in seen] == [
            (source, "in_progress", "Met the family on Monday")]
        history = actions.progress_history(session, actor=caseworker, action_id=action_id)
    assert [(h.status, h.note, h.author_name) for h in history] == [
        ("not_started", "", "Sam"), ("in_progress", "Met the family on Monday", "Mariam")]


def test_an_unregistered_source_kind_gives_no_access(engine, review_source):
    with pytest.raises(Forbidden), session_scope(engine) as session:
        actions.create_action(session, actor=review_source["reviewer"], source=ActionSource("nobody", 1),
                              draft=_draft())


def test_every_user_table_has_a_uuid_made_at_creation_that_never_changes(engine):
    user_tables = {m.class_.__tablename__ for m in Base.registry.mappers
                   if getattr(m.class_, "__user_data__", True)}
    assert {"accounts", "improvement_actions", "qaf_assessments", "audit_records"} <= user_tables
    for name in user_tables:
        columns = {c["name"] for c in inspect(engine).get_columns(name)}
        assert "uuid" in columns, f"{name} has no uuid"
    with session_scope(engine) as session:
        load_example(session)
    with session_scope(engine) as session:
        for table in (Base.metadata.tables[name] for name in user_tables):
            values = session.scalars(select(table.c.uuid)).all()
            assert None not in values and len(set(values)) == len(values), table.name
        row = session.scalars(select(ImprovementAction)).first()
        assert row is not None
        before = row.uuid
    with session_scope(engine, actor=SYSTEM) as session:
        session.get(ImprovementAction, row.id).status = "done"
    with session_scope(engine) as session:
        assert session.get(ImprovementAction, row.id).uuid == before
