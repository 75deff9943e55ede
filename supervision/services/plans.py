"""A team's supervision plan: read it (the shipped defaults until the team saves its own) and change it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.actor import Actor
from core.audit import binds_actor
from core.errors import ValidationFailed
from core.records import check_version
from supervision.models import SupervisionPlanRecord
from supervision.plan import PlanError, SupervisionPlan, default_plan, plan_from_dict
from supervision.services.access import team_row


@dataclass(frozen=True)
class PlanInfo:
    team_id: int
    team_name: str
    plan: SupervisionPlan
    stored: bool  # False: the shipped defaults, not yet saved for this team
    version_id: int | None


def plan_of(session: Session, team_id: int) -> SupervisionPlan:
    return plans_of(session, [team_id])[team_id]


def plans_of(session: Session, team_ids: list[int]) -> dict[int, SupervisionPlan]:
    """Each team's stored plan, or the shipped defaults where it has none (one query for many teams)."""
    stored = {r.team_id: plan_from_dict(r.content) for r in session.scalars(
        select(SupervisionPlanRecord).where(SupervisionPlanRecord.team_id.in_(team_ids)))} if team_ids else {}
    return {team_id: stored[team_id] if team_id in stored else default_plan() for team_id in team_ids}


def team_plan(session: Session, *, actor: Actor, team_id: int) -> PlanInfo:
    team = team_row(session, actor, team_id)
    row = session.scalar(select(SupervisionPlanRecord).where(SupervisionPlanRecord.team_id == team_id))
    if row is None:
        return PlanInfo(team_id, team.name, default_plan(), False, None)
    return PlanInfo(team_id, team.name, plan_from_dict(row.content), True, row.version_id)


@binds_actor
def save_team_plan(session: Session, *, actor: Actor, team_id: int, content: dict[str, Any],
                   expected_version: int | None = None) -> None:
    """Store the team's plan (validated against the plan schema). ``expected_version`` is the version the page
    showed (``-1``: it showed the defaults, nothing stored)."""
    team = team_row(session, actor, team_id)
    try:
        plan_from_dict(content)
    except PlanError as exc:
        raise ValidationFailed({"plan": str(exc)}) from exc
    row = session.scalar(select(SupervisionPlanRecord).where(SupervisionPlanRecord.team_id == team_id))
    if row is None:
        if expected_version not in (None, -1):
            check_version(object(), expected_version)
        session.add(SupervisionPlanRecord(team_id=team_id, agency_id=team.agency_id, content=content))
    else:
        check_version(row, expected_version)
        row.content = content
    session.flush()
