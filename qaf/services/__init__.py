"""QAF use cases. Each takes an open session (one transaction, see ``core.db.session_scope``) and returns plain
values; pages never touch ORM objects. Grouped by use case: ``frameworks``, ``assessments``, ``action_plans``
(access rules in ``access``); the names pages use are gathered here."""

from qaf.services.action_plans import (
    ActionPlan,
    KeyActionView,
    action_plan,
    add_key_action,
    delete_key_action,
    update_key_action,
)
from qaf.services.assessments import (
    AssessmentView,
    adopt_unowned_assessments,
    archive_assessment,
    assessment_results,
    create_assessment,
    delete_assessment,
    finalise_assessment,
    find_person,
    get_assessment,
    list_assessments,
    people_to_choose,
    save_component_rating,
    start_from_baseline,
    update_assessment_details,
)
from qaf.services.drafts import DraftView, discard_draft, drafts_for, keep_draft
from qaf.services.frameworks import (
    FrameworkVersionInfo,
    create_contextualised_copy,
    ensure_bundled_framework,
    get_framework,
    list_framework_versions,
    save_contextualised_component,
)

__all__ = [
    "ActionPlan",
    "AssessmentView",
    "DraftView",
    "FrameworkVersionInfo",
    "KeyActionView",
    "action_plan",
    "add_key_action",
    "adopt_unowned_assessments",
    "archive_assessment",
    "assessment_results",
    "create_assessment",
    "create_contextualised_copy",
    "delete_assessment",
    "delete_key_action",
    "discard_draft",
    "drafts_for",
    "ensure_bundled_framework",
    "finalise_assessment",
    "find_person",
    "get_assessment",
    "get_framework",
    "keep_draft",
    "list_assessments",
    "list_framework_versions",
    "people_to_choose",
    "save_component_rating",
    "save_contextualised_component",
    "start_from_baseline",
    "update_assessment_details",
    "update_key_action",
]
