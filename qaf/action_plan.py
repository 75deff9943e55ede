"""Action plan rules: which Change Grid actions to suggest, and what a QAF key action adds to an improvement
action (the component it moves up and the Change Grid action it was taken from)."""

from __future__ import annotations

from dataclasses import dataclass

from core.i18n import t
from improvement_actions.rules import ImprovementActionDraft
from qaf.assessment import ComponentResult
from qaf.framework import ChangeGridAction, Framework
from qaf.levels import Level

SOURCE_KIND = "qaf_assessment"  # key actions are improvement actions whose source is an assessment


@dataclass
class KeyActionDraft(ImprovementActionDraft):
    component_code: str = ""
    change_grid_action_id: str | None = None

    def action_draft(self) -> ImprovementActionDraft:
        """The improvement action part, without the QAF's pointers."""
        return ImprovementActionDraft(**{k: v for k, v in self.__dict__.items()
                                         if k not in ("component_code", "change_grid_action_id")})


def suggested_actions(result: ComponentResult) -> list[ChangeGridAction]:
    """For a component below Good practice: the not-yet-in-place actions of the column that would move it up
    from its agreed level."""
    if not result.scored or result.agreed_level is None or result.agreed_level == Level.GOOD_PRACTICE:
        return []
    column = result.component.columns[int(result.agreed_level)]
    return [a for a in column if a.id not in result.in_place]


def validate_source(framework: Framework, component_code: str, change_grid_action_id: str | None) -> dict[str, str]:
    """A key action belongs to a component of the assessment's framework, and a Change Grid action it was taken
    from belongs to that component."""
    errors: dict[str, str] = {}
    if component_code not in {c.code for c in framework.components()}:
        errors["component_code"] = t("action_plan.error.component")
        return errors
    if change_grid_action_id:
        component = framework.component(component_code)
        if change_grid_action_id not in {a.id for a in component.actions}:
            errors["change_grid_action_id"] = t("action_plan.error.unknown_action")
    return errors
