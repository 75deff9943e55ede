"""Two people saving the same record never silently overwrite each other."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy.engine import make_url

from core.db import session_scope
from core.errors import Conflict
from qaf import services
from qaf.action_plan import KeyActionDraft
from qaf.assessment import AssessmentDetails
from tests.conftest import actor_for, make_account


@pytest.fixture
def shared_plan(engine, framework_version_id, facilitator):
    colleague_id = make_account(engine, username="daniel", roles=["facilitator"])
    with session_scope(engine) as session:
        assessment_id = services.create_assessment(
            session, actor=facilitator, details=AssessmentDetails(
                name="Shared", country="X", scope="inter_agency", assessed_on=date(2026, 11, 1), facilitator="Zoé"),
            framework_version_id=framework_version_id, participant_account_ids=[colleague_id])
        services.save_component_rating(session, actor=facilitator, assessment_id=assessment_id, component_code="1",
                                       in_place=[], agreed_level=None)
        key_id = services.add_key_action(session, actor=facilitator, assessment_id=assessment_id, draft=KeyActionDraft(
            component_code="1", text="Agree the SOPs", owner_agency="Task force", due_on=date(2027, 1, 31)))
    return assessment_id, key_id, actor_for(engine, colleague_id)


def _plan_action(engine, actor, assessment_id):
    with session_scope(engine) as session:
        return services.action_plan(session, assessment_id, actor=actor).key_actions[0]


def test_a_save_over_an_unseen_change_is_refused_with_who_and_when(engine, shared_plan, facilitator):
    assessment_id, key_id, colleague = shared_plan
    mine = _plan_action(engine, facilitator, assessment_id)  # both open the same version
    theirs = _plan_action(engine, colleague, assessment_id)
    draft = theirs.as_draft()
    draft.status = "in_progress"
    with session_scope(engine, actor=colleague) as session:
        services.update_key_action(session, actor=colleague, key_action_id=key_id, draft=draft,
                                   expected_version=theirs.version_id)
    my_draft = mine.as_draft()
    my_draft.progress_notes = "Drafted with the SOP working group"
    with pytest.raises(Conflict) as caught, session_scope(engine, actor=facilitator) as session:
        services.update_key_action(session, actor=facilitator, key_action_id=key_id, draft=my_draft,
                                   expected_version=mine.version_id)
    assert caught.value.args[0].startswith("Daniel changed this at ")
    after = _plan_action(engine, facilitator, assessment_id)
    assert after.status == "in_progress" and after.progress_notes == ""


def test_two_people_saving_a_rating_from_the_same_page(engine, shared_plan, facilitator):
    assessment_id, _key_id, colleague = shared_plan
    with session_scope(engine) as session:
        _view, _framework, summary = services.assessment_results(session, assessment_id, actor=facilitator)
    loaded = next(r for r in summary.results if r.component.code == "1").version_id
    with session_scope(engine, actor=colleague) as session:
        services.save_component_rating(session, actor=colleague, assessment_id=assessment_id, component_code="1",
                                       in_place=["1.1.1"], agreed_level=None, expected_version=loaded)
    with pytest.raises(Conflict, match="Daniel changed this"), session_scope(engine, actor=facilitator) as session:
        services.save_component_rating(session, actor=facilitator, assessment_id=assessment_id, component_code="1",
                                       in_place=["1.1.2"], agreed_level=None, expected_version=loaded)
    with pytest.raises(Conflict), session_scope(engine, actor=facilitator) as session:
        services.save_component_rating(session, actor=facilitator, assessment_id=assessment_id, component_code="2",
                                       in_place=[], agreed_level=None, expected_version=0)
        services.save_component_rating(session, actor=colleague, assessment_id=assessment_id, component_code="2",
                                       in_place=[], agreed_level=None, expected_version=0)


def test_real_concurrent_writers_lose_no_update(engine, database_url, shared_plan, facilitator):
    """Many writers, each on its own connection, race to update the same key action from the same version.
    Exactly one wins each round; every other gets Conflict; the stored row is the winner's, whole."""
    if not database_url.startswith("postgresql"):
        pytest.skip("real concurrent writers need PostgreSQL (SQLite serialises writers on one file)")
    assessment_id, key_id, colleague = shared_plan
    writers = 8
    for round_number in range(5):
        current = _plan_action(engine, facilitator, assessment_id)
        barrier = threading.Barrier(writers)
        outcomes: list[str] = []
        lock = threading.Lock()

        def write(n: int, current=current, barrier=barrier, outcomes=outcomes, lock=lock,
                  round_number=round_number) -> None:
            actor = facilitator if n % 2 else colleague
            draft = current.as_draft()
            draft.progress_notes = f"round {round_number} writer {n}"
            barrier.wait()
            try:
                with session_scope(engine, actor=actor) as session:
                    services.update_key_action(session, actor=actor, key_action_id=key_id, draft=draft,
                                               expected_version=current.version_id)
                result = f"won {n}"
            except Conflict:
                result = "conflict"
            with lock:
                outcomes.append(result)

        threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        winners = [o for o in outcomes if o.startswith("won")]
        assert len(outcomes) == writers
        assert len(winners) == 1, outcomes
        stored = _plan_action(engine, facilitator, assessment_id)
        assert stored.progress_notes == f"round {round_number} writer {winners[0].split()[1]}"
        assert stored.version_id == current.version_id + 1


def test_a_save_while_another_program_holds_the_sqlite_lock_says_busy_and_loses_nothing(database_url, tmp_path):
    """A backup or a shell import holds SQLite's write lock: the save gives up after the short interactive wait
    with a message that says what happened, nothing is half-saved, and the same save works once the lock goes."""
    if not database_url.startswith("sqlite"):
        pytest.skip("the write lock of one file is SQLite's; PostgreSQL locks rows")
    import sqlite3

    from accounts.services import create_agency
    from core.actor import SYSTEM
    from core.db import make_engine
    from core.errors import Busy

    engine = make_engine(database_url, busy_timeout_ms=200)
    holder = sqlite3.connect(make_url(database_url).database, timeout=0)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(Busy, match="The database is busy"), session_scope(engine) as session:
            create_agency(session, actor=SYSTEM, name="Waiting agency")
    finally:
        holder.rollback()
        holder.close()
    with session_scope(engine) as session:
        create_agency(session, actor=SYSTEM, name="Waiting agency")
    engine.dispose()


def test_people_saving_different_components_at_the_same_moment_all_succeed(engine, database_url, shared_plan,
                                                                            facilitator):
    """A workshop splits into groups: each group saves its own component at the same instant. No save is refused
    because of another component's (a rating's save does not touch the assessment's version)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("real concurrent writers need PostgreSQL (SQLite serialises writers on one file)")
    assessment_id, _key_id, colleague = shared_plan
    codes = ["2", "2a", "2b", "2c", "2d", "2e", "3", "4"]
    barrier = threading.Barrier(len(codes))
    outcomes: dict[str, str] = {}

    def write(n: int, code: str) -> None:
        actor = facilitator if n % 2 else colleague
        barrier.wait()
        try:
            with session_scope(engine, actor=actor) as session:
                services.save_component_rating(session, actor=actor, assessment_id=assessment_id,
                                               component_code=code, in_place=[], agreed_level=None,
                                               notes=f"group {n}", expected_version=0)
            outcomes[code] = "saved"
        except Conflict as refused:
            outcomes[code] = str(refused)

    threads = [threading.Thread(target=write, args=(n, code)) for n, code in enumerate(codes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcomes == {code: "saved" for code in codes}
    with session_scope(engine) as session:
        _view, _framework, summary = services.assessment_results(session, assessment_id, actor=facilitator)
    notes = {r.component.code: r.notes for r in summary.results}
    assert {code: notes[code] for code in codes} == {code: f"group {n}" for n, code in enumerate(codes)}
