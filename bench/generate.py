"""Builds a large, realistic database through the same services the pages use."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Engine

from accounts.services import AccountDraft, build_actor, create_account, create_agency
from core.actor import SYSTEM
from core.db import session_scope
from improvement_actions.rules import PRIORITIES, STATUSES
from qaf import services
from qaf.action_plan import KeyActionDraft
from qaf.assessment import AssessmentDetails, ParticipantEntry
from qaf.framework import bundled_framework
from qaf.levels import Level


@dataclass(frozen=True)
class BenchData:
    assessment_ids: list[int]
    full_plan_id: int  # every one of the 135 actions is a key action
    key_actions: int
    facilitator_account_id: int


def build(engine: Engine, *, assessments: int = 50, key_actions: int = 2000, seed: int = 7) -> BenchData:
    rng = random.Random(seed)
    framework = bundled_framework()
    components = list(framework.components())
    with session_scope(engine) as session:
        version_id = services.ensure_bundled_framework(session)
        agency_id = create_agency(session, actor=SYSTEM, name="Bench agency")
        account_id, _ = create_account(session, actor=SYSTEM, must_change_password=False, draft=AccountDraft(
            username="bench-facilitator", display_name="Bench Facilitator", roles=["facilitator", "manager"],
            agency_id=agency_id))
        actor = build_actor(session, account_id)
    ids: list[int] = []
    per_assessment = key_actions // assessments
    for number in range(assessments):
        assessed_on = date(2024, 1, 15) + timedelta(days=14 * number)
        with session_scope(engine) as session:
            assessment_id = services.create_assessment(session, actor=actor, details=AssessmentDetails(
                name=f"Bench assessment {number + 1:02d}", country=f"Region {number % 7 + 1} (fictional)",
                scope="inter_agency" if number % 2 else "agency", assessed_on=assessed_on,
                facilitator=f"Facilitator {number % 5 + 1}", agencies=[f"Agency {i}" for i in range(1, 4)],
                participants=[ParticipantEntry(f"Participant {i}", f"Agency {i % 3 + 1}", "Caseworker")
                              for i in range(8)]), framework_version_id=version_id)
            results = []
            for component in components:
                target = rng.choice(list(Level))
                in_place = [a.id for column in component.columns[: int(target)] for a in column]
                results.append(services.save_component_rating(
                    session, actor=actor, assessment_id=assessment_id, component_code=component.code, in_place=in_place,
                    agreed_level=None, notes="Evidence from the last case file review."))
            candidates = [(r.component.code, a) for r in results for a in r.component.actions]
            for index in range(per_assessment):
                code, action = candidates[index % len(candidates)]
                services.add_key_action(session, actor=actor, assessment_id=assessment_id, draft=KeyActionDraft(
                    component_code=code, text=action.text, change_grid_action_id=action.id,
                    owner_person=f"Owner {index % 9}", owner_agency=f"Agency {index % 3 + 1}",
                    due_on=assessed_on + timedelta(days=30 + index), resources="Staff time and training budget",
                    priority=rng.choice(PRIORITIES), status=rng.choice(STATUSES),
                    progress_notes="Progress reviewed at the monthly coordination meeting."))
        ids.append(assessment_id)
    with session_scope(engine) as session:
        full_id = services.create_assessment(session, actor=actor, details=AssessmentDetails(
            name="Bench — every action a key action", country="Valdoria (fictional)", scope="inter_agency",
            assessed_on=date(2026, 11, 1), facilitator="Zoé Martin",
            participants=[ParticipantEntry(f"Participant {i}", "Agency", "Role") for i in range(12)]),
            framework_version_id=version_id)
        for component in components:
            services.save_component_rating(session, actor=actor, assessment_id=full_id, component_code=component.code,
                                           in_place=[], agreed_level=None)
            for action in component.actions:
                services.add_key_action(session, actor=actor, assessment_id=full_id, draft=KeyActionDraft(
                    component_code=component.code, text=action.text, change_grid_action_id=action.id,
                    owner_person="Lucía Fernández", owner_agency="Brightpath Children's Aid",
                    due_on=date(2027, 3, 31), resources="Inter-agency budget line", priority="high"))
    return BenchData(assessment_ids=ids, full_plan_id=full_id, key_actions=per_assessment * assessments + 135,
                     facilitator_account_id=account_id)
