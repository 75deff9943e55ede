"""Start-up wiring: what only the top of the application may do, because it knows every feature."""

from __future__ import annotations

from sqlalchemy import Engine

import app.registry  # noqa: F401  (every table known before the first query)
from accounts.services import FIRST_ADMINISTRATOR_HOOKS
from checklists.services.deadlines import fill_missing_deadlines
from checklists.services.evidence import completed_reviews_by_month, open_caseloads
from checklists.services.templates import ensure_bundled_checklist, ensure_bundled_checklist_translations
from core.db import migrate_to_head, session_scope
from management.services.evidence import component_evidence
from qaf.services import adopt_unowned_assessments, ensure_bundled_framework, ensure_bundled_translations
from qaf.services.evidence import register_evidence_provider
from supervision.services.compliance import register_caseload_counter, register_review_counter


def prepare_database(engine: Engine) -> None:
    """Bring the schema to the newest migration and store the framework and checklist shipped with the tool.
    Safe to call on every start."""
    migrate_to_head(engine)
    with session_scope(engine) as session:
        ensure_bundled_framework(session)
        ensure_bundled_translations(session)  # the working French, Spanish and Arabic texts
        ensure_bundled_checklist(session)
        ensure_bundled_checklist_translations(session)
        fill_missing_deadlines(session)  # after a restore or an upgrade: derived, so rebuilt where missing


def register_hooks() -> None:
    """Let features take part in account events without accounts knowing them. Idempotent."""
    if adopt_unowned_assessments not in FIRST_ADMINISTRATOR_HOOKS:
        FIRST_ADMINISTRATOR_HOOKS.append(adopt_unowned_assessments)
    # Supervision's monthly-review standard and caseload ratios count case files and reviews.
    register_review_counter(completed_reviews_by_month)
    register_caseload_counter(open_caseloads)
    # The workshop shows, beside each component, the evidence the other features hold for it.
    register_evidence_provider(component_evidence)


register_hooks()
