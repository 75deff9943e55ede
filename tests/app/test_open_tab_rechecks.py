"""A tab left open after its person was deactivated, timed out or removed from the role can neither save
nor download (a lock after failed sign-ins, which anybody can cause, only refuses new browsers: the open tab
keeps working): button callbacks and deferred downloads check the account against the database first, and every
refusal is recorded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from accounts import sessions
from accounts.models import Account, SignInSession
from core.actor import Role
from core.audit import AuditRecord
from core.db import session_scope
from core.errors import Forbidden
from core.ui import checked_actor, deferred_build
from improvement_actions.models import ImprovementAction
from qaf import reports
from qaf.framework import bundled_framework
from qaf.models import ComponentRating
from qaf.ui.common import CURRENT
from tests.app.helpers import texts

SIGNED_OUT = "This account cannot act any more (deactivated or locked)."


def _refusals(engine) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).where(AuditRecord.action == "access_refused"))


def _idle(engine, session_id: int, minutes: int) -> None:
    """Nobody used this browser's tabs for ``minutes``."""
    with session_scope(engine) as session:
        session.execute(update(SignInSession).where(SignInSession.id == session_id)
                        .values(last_seen_at=datetime.now(UTC) - timedelta(minutes=minutes)))


def _opened(engine, account_id: int) -> int:
    with session_scope(engine) as session:
        return sessions.open_session(session, account_id).id


def _disable(engine, account_id, how: str) -> None:
    values = {"deactivated": {"active": False},
              "locked": {"locked_until": datetime.now(UTC) + timedelta(minutes=30)}}[how]
    with session_scope(engine) as session:
        session.execute(update(Account).where(Account.id == account_id).values(**values))


@pytest.mark.parametrize("how", ["deactivated"])
def test_a_save_from_an_open_tab_is_refused(open_page, app_engine, example, how):
    fac, assessment = example["demo-facilitator"], example["assessment"]
    at = open_page("qaf/ui/workshop.py", fac, **{CURRENT: assessment})
    action = bundled_framework().component("1").columns[2][1]
    at.checkbox(key=f"qaf_w:{assessment}:1:{action.id}").check().run()
    with session_scope(app_engine) as session:
        before = session.scalar(select(ComponentRating.version_id).where(
            ComponentRating.assessment_id == assessment, ComponentRating.component_code == "1"))
    refused = _refusals(app_engine)
    _disable(app_engine, fac, how)
    at.button(key=f"qaf_w:{assessment}:1:save").click().run()
    with session_scope(app_engine) as session:
        assert session.scalar(select(ComponentRating.version_id).where(
            ComponentRating.assessment_id == assessment, ComponentRating.component_code == "1")) == before
    assert SIGNED_OUT in texts(at) and "Sign in" in [b.label for b in at.button]
    assert _refusals(app_engine) > refused


def test_a_delete_from_an_open_tab_after_the_idle_timeout_is_refused(open_page, app_engine, example):
    fac, assessment = example["demo-facilitator"], example["assessment"]
    at = open_page("qaf/ui/action_plan.py", fac, **{CURRENT: assessment})
    with session_scope(app_engine) as session:
        count = session.scalar(select(func.count()).select_from(ImprovementAction))
    _idle(app_engine, at.session_state["auth_session_id"], 61)
    next(b for b in at.button if b.label == "Delete").click().run()
    with session_scope(app_engine) as session:
        assert session.scalar(select(func.count()).select_from(ImprovementAction)) == count
    assert "You were signed out after 60 minutes without activity." in texts(at)


def test_a_callback_acts_with_the_roles_the_person_has_now(app_engine, example):
    """An administrator takes the manager role away while the manager's tab is open: the person a callback or a
    download acts as is rebuilt from the database, so the next action runs without it and the services refuse."""
    manager = example["demo-manager"]
    signed_in = _opened(app_engine, manager)
    assert Role.MANAGER in checked_actor(app_engine, signed_in, manager).roles
    with session_scope(app_engine) as session:
        session.execute(update(Account).where(Account.id == manager).values(roles=["caseworker"]))
    assert checked_actor(app_engine, signed_in, manager).roles == frozenset({Role.CASEWORKER})


@pytest.mark.parametrize("how", ["deactivated", "timed out"])
def test_a_download_clicked_in_an_open_tab_is_refused(app_engine, example, how):
    fac, assessment = example["demo-facilitator"], example["assessment"]

    def build(session, actor):  # what the action plan page's PDF button runs
        return reports.export_action_plan(session, actor=actor, assessment_id=assessment, fmt="csv")

    signed_in = _opened(app_engine, fac)
    assert deferred_build(app_engine, signed_in, fac, "en", build)().startswith(b"\xef\xbb\xbf")
    if how == "timed out":
        _idle(app_engine, signed_in, 61)
    else:
        _disable(app_engine, fac, how)
    refused = _refusals(app_engine)
    with session_scope(app_engine) as session:
        exports = session.scalar(select(func.count()).where(AuditRecord.action == "export"))
    with pytest.raises(Forbidden):
        deferred_build(app_engine, signed_in, fac, "en", build)()
    with session_scope(app_engine) as session:
        assert session.scalar(select(func.count()).where(AuditRecord.action == "export")) == exports
    assert _refusals(app_engine) == refused + 1


def test_a_lock_made_by_someone_elses_failed_sign_ins_leaves_the_open_tab_working(open_page, app_engine, example):
    fac, assessment = example["demo-facilitator"], example["assessment"]
    at = open_page("qaf/ui/workshop.py", fac, **{CURRENT: assessment})
    action = bundled_framework().component("1").columns[2][1]
    _disable(app_engine, fac, "locked")
    at.checkbox(key=f"qaf_w:{assessment}:1:{action.id}").check().run()
    at.button(key=f"qaf_w:{assessment}:1:save").click().run()
    with session_scope(app_engine) as session:
        saved = session.scalar(select(ComponentRating.actions_in_place).where(
            ComponentRating.assessment_id == assessment, ComponentRating.component_code == "1"))
    assert action.id in saved and SIGNED_OUT not in texts(at)
