"""Action plan rules: which Change Grid actions to suggest, and what makes a key action valid."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from core.i18n import t
from qaf.assessment import ComponentResult
from qaf.framework import ChangeGridAction
from qaf.levels import Level

STATUSES = ("not_started", "in_progress", "done", "dropped")
PRIORITIES = ("high", "medium", "low")
MAX_TEXT = 2000
MAX_SHORT = 200


@dataclass
class KeyActionDraft:
    component_code: str
    text: str
    owner_person: str = ""
    owner_agency: str = ""
    due_on: date | None = None
    resources: str = ""
    priority: str = "medium"
    status: str = "not_started"
    progress_notes: str = ""
    change_grid_action_id: str | None = None


def suggested_actions(result: ComponentResult) -> list[ChangeGridAction]:
    """For a component below Good practice: the not-yet-in-place actions of the next column up."""
    if not result.scored or result.agreed_level is None or result.agreed_level == Level.GOOD_PRACTICE:
        return []
    column = result.component.columns[int(result.agreed_level)]
    return [a for a in column if a.id not in result.in_place]


def validate_key_action(draft: KeyActionDraft, *, assessed_on: date, component_codes: set[str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if draft.component_code not in component_codes:
        errors["component_code"] = t("action_plan.error.component")
    if not draft.text.strip():
        errors["text"] = t("action_plan.error.text_required")
    elif len(draft.text) > MAX_TEXT:
        errors["text"] = t("common.error.too_long", limit=MAX_TEXT)
    if not draft.owner_person.strip() and not draft.owner_agency.strip():
        errors["owner"] = t("action_plan.error.owner_required")
    elif max(len(draft.owner_person), len(draft.owner_agency)) > MAX_SHORT:
        errors["owner"] = t("common.error.too_long", limit=MAX_SHORT)
    if draft.due_on is None:
        errors["due_on"] = t("action_plan.error.due_required")
    elif draft.due_on < assessed_on:
        errors["due_on"] = t("action_plan.error.due_before_assessment", date=assessed_on.isoformat())
    if draft.priority not in PRIORITIES:
        errors["priority"] = t("action_plan.error.priority")
    if draft.status not in STATUSES:
        errors["status"] = t("action_plan.error.status")
    if len(draft.resources) > MAX_TEXT:
        errors["resources"] = t("common.error.too_long", limit=MAX_TEXT)
    if len(draft.progress_notes) > MAX_TEXT:
        errors["progress_notes"] = t("common.error.too_long", limit=MAX_TEXT)
    return errors
