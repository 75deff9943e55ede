"""Action plans: the key actions a task force commits to, stored as improvement actions whose source is the
assessment (item: the component; reference: the Change Grid action it was taken from)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from core.actor import Actor
from core.audit import binds_actor
from core.i18n import format_date, t
from improvement_actions import services as actions
from improvement_actions.models import ImprovementAction
from improvement_actions.rules import Access, ActionSource
from improvement_actions.services import ImprovementActionView, SourceAccess
from qaf.action_plan import SOURCE_KIND, KeyActionDraft, suggested_actions, validate_source
from qaf.assessment import LevelSummary
from qaf.framework import ChangeGridAction, Framework
from qaf.models import Assessment
from qaf.services.access import assessment_row, is_member, may_read, readable
from qaf.services.assessments import AssessmentView, assessment_results
from qaf.services.frameworks import framework_of


def _key_action_access(session: Session, actor: Actor, assessment_id: int) -> SourceAccess:
    """Members edit a draft plan; once the assessment is final, and for the agency's managers, the plan is
    tracked: only status and progress notes change."""
    row = session.get(Assessment, assessment_id)
    if row is None or not may_read(row, actor):
        return SourceAccess(Access.NONE)
    floor = {"agency_id": row.agency_id, "due_not_before": row.assessed_on,
             "too_early": t("action_plan.error.due_before_assessment", date=format_date(row.assessed_on))}
    if is_member(row, actor) and row.status != "final":
        return SourceAccess(Access.EDIT, **floor)
    reason = t("action_plan.error.final_only_progress") if row.status == "final" else ""
    return SourceAccess(Access.TRACK, reason=reason, **floor)


def _readable_key_actions(actor: Actor) -> ColumnElement[bool]:
    return ImprovementAction.source_record_id.in_(select(Assessment.id).where(readable(actor)))


actions.register_source(SOURCE_KIND, _key_action_access, _readable_key_actions)


@dataclass(frozen=True)
class KeyActionView(ImprovementActionView):
    """An improvement action seen from its action plan."""

    @property
    def component_code(self) -> str:
        return self.source.item

    @property
    def change_grid_action_id(self) -> str | None:
        return self.source.reference

    def as_draft(self) -> KeyActionDraft:
        return KeyActionDraft(**self.draft_values(), component_code=self.component_code,  # type: ignore[arg-type]
                              change_grid_action_id=self.change_grid_action_id)


@dataclass(frozen=True)
class ActionPlan:
    assessment: AssessmentView
    framework: Framework
    summary: LevelSummary
    key_actions: list[KeyActionView]
    suggestions: dict[str, list[ChangeGridAction]] = field(default_factory=dict)

    def actions_for(self, component_code: str) -> list[KeyActionView]:
        return [a for a in self.key_actions if a.component_code == component_code]


def action_plan(session: Session, assessment_id: int, *, actor: Actor) -> ActionPlan:
    view, framework, summary = assessment_results(session, assessment_id, actor=actor)
    found = actions.actions_for_source(session, actor=actor, source_kind=SOURCE_KIND, record_id=assessment_id)
    order = {c.code: i for i, c in enumerate(framework.components())}
    action_order = {a.id: i for i, a in enumerate(a for c in framework.components() for a in c.actions)}
    key_actions = sorted((KeyActionView(**a.__dict__) for a in found),
                         key=lambda a: (order.get(a.component_code, 999),
                                        action_order.get(a.change_grid_action_id or "", 10_000), a.id))
    chosen = {(a.component_code, a.change_grid_action_id) for a in key_actions}
    suggestions = {
        r.component.code: [s for s in suggested_actions(r) if (r.component.code, s.id) not in chosen]
        for r in summary.results
    }
    return ActionPlan(assessment=view, framework=framework, summary=summary, key_actions=key_actions,
                      suggestions=suggestions)


@binds_actor
def add_key_action(session: Session, *, actor: Actor, assessment_id: int, draft: KeyActionDraft) -> int:
    row = assessment_row(session, assessment_id, actor)
    framework = framework_of(row.framework_version)
    source = ActionSource(SOURCE_KIND, assessment_id, draft.component_code, draft.change_grid_action_id or None)
    return actions.create_action(session, actor=actor, source=source, draft=draft.action_draft(),
                                 source_errors=validate_source(framework, source.item, source.reference))


@binds_actor
def update_key_action(session: Session, *, actor: Actor, key_action_id: int, draft: KeyActionDraft,
                      expected_version: int | None = None) -> None:
    """Change a key action. On a final assessment only status and progress notes may change: the plan itself is
    signed off, but it is still tracked to done. Managers of the agency track status and progress too. The
    component and Change Grid action it came from never change."""
    actions.update_action(session, actor=actor, action_id=key_action_id, draft=draft.action_draft(),
                          expected_version=expected_version)


@binds_actor
def delete_key_action(session: Session, *, actor: Actor, key_action_id: int) -> None:
    actions.delete_action(session, actor=actor, action_id=key_action_id)
