"""Which tables travel between replicas, and what sync needs to know of each: the columns that travel, what
each reference points to (a bundle names records by UUID, never by a database's own integer ids), whose agency
a record belongs to, which roles may change it, its natural key, and the fields that merge without a person.

Built from the models' metadata, so a column added to a synced table travels without a change here; what the
metadata cannot say (references without a foreign key, local-only columns, merge rules) is written down below.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from sqlalchemy import DateTime, Table

import accounts.models  # noqa: F401  (every synced table known to the metadata)
import checklists.models  # noqa: F401
import improvement_actions.models  # noqa: F401
import qaf.models  # noqa: F401
import supervision.models  # noqa: F401
from core.actor import Role
from core.models import Base

# in dependency order: a record's references are applied before it
SYNCED = ("agencies", "staff_members", "accounts", "teams", "team_memberships", "staff_trainings",
          "qaf_framework_versions", "checklist_templates", "review_settings_versions",
          "qaf_assessments", "qaf_participants", "qaf_assessment_members", "qaf_component_ratings",
          "case_files", "case_file_reviews", "case_file_review_answers",
          "supervision_plans", "working_calendars", "closure_days", "supervision_sessions", "manual_caseloads",
          "improvement_actions", "improvement_action_updates")

# never leave the database they were made in: sign-in state, the optimistic-locking counter
LOCAL_ONLY = {"id", "version_id", "failed_logins", "locked_until", "last_login_at"}
# who and when: travel with the record, never a conflict of their own
ATTRIBUTION = frozenset({"created_at", "updated_at", "updated_by_id", "updated_by_name"})

# references without a foreign key in the schema: (table, column) -> the table they point to
IMPLICIT_REFERENCES = {
    ("accounts", "staff_member_id"): "staff_members",
    ("improvement_action_updates", "account_id"): "accounts",
}
# an improvement action's source is a record of the table its kind names
SOURCE_TABLES = {"qaf_assessment": "qaf_assessments", "case_file_review": "case_file_reviews",
                 "supervision_session": "supervision_sessions"}

# a record without an agency column belongs to its parent's agency: (reference column, parent table)
SCOPE_PARENT = {
    "team_memberships": ("team_id", "teams"),
    "staff_trainings": ("staff_member_id", "staff_members"),
    "qaf_participants": ("assessment_id", "qaf_assessments"),
    "qaf_assessment_members": ("assessment_id", "qaf_assessments"),
    "qaf_component_ratings": ("assessment_id", "qaf_assessments"),
    "case_file_review_answers": ("review_id", "case_file_reviews"),
    "improvement_action_updates": ("action_id", "improvement_actions"),
    "manual_caseloads": ("staff_member_id", "staff_members"),
}
SHARED_CONTENT = {"qaf_framework_versions", "checklist_templates"}  # no agency: shipped with the tool, for all

A, M, S, C, F = Role.ADMINISTRATOR, Role.MANAGER, Role.SUPERVISOR, Role.CASEWORKER, Role.FACILITATOR
# the roles that may change a table's records from a laptop (the services on each side check the finer rules)
ROLES = {
    "agencies": {A}, "accounts": {A}, "staff_members": {A, M}, "teams": {A, M}, "team_memberships": {A, M},
    "staff_trainings": {A, M}, "qaf_framework_versions": {F}, "checklist_templates": {M},
    "review_settings_versions": {M}, "qaf_assessments": {F}, "qaf_participants": {F},
    "qaf_assessment_members": {F}, "qaf_component_ratings": {F}, "case_files": {M, S},
    "case_file_reviews": {M, S, C}, "case_file_review_answers": {M, S}, "supervision_plans": {M},
    "working_calendars": {M}, "closure_days": {M}, "supervision_sessions": {M, S, C}, "manual_caseloads": {M, S},
    "improvement_actions": {M, S, C, F}, "improvement_action_updates": {M, S, C, F},
}
# what anyone may change of their own account on a laptop
OWN_ACCOUNT_FIELDS = frozenset({"password_hash", "must_change_password", "password_changed_at", "language",
                                "display_name"})

# Two new records with the same natural key. Child records that can exist only once under their parent are the
# same record made twice: merged field by field (a differing field is a conflict), the laptop's id made an alias.
SAME_RECORD_KEYS = {
    "agencies": ("name",),
    "teams": ("agency_id", "name"),
    # versioned content: a version is named by its key and version everywhere (the same shipped file seeded on
    # two replicas is one version); an agency's review settings by their number
    "qaf_framework_versions": ("key", "version"),
    "checklist_templates": ("key", "version"),
    "review_settings_versions": ("agency_id", "number"),
    "qaf_component_ratings": ("assessment_id", "component_code"),
    "qaf_assessment_members": ("assessment_id", "account_id"),
    "case_file_review_answers": ("review_id", "item_id"),
    "supervision_plans": ("team_id",),
    "working_calendars": ("agency_id",),
    "closure_days": ("agency_id", "day"),
}
# Records a person must look at: kept apart (the laptop's under a marked key where the key must be unique) and
# shown as a possible duplicate to merge or keep apart.
DUPLICATE_KEYS = {
    "accounts": ("username",),
    "case_files": ("agency_id", "case_code"),
    "supervision_sessions": ("team_id", "occurrence_key"),
    "qaf_assessments": ("agency_id", "country", "assessed_on"),
}
# the column changed to keep a duplicate apart where its natural key is unique
APART_COLUMN = {"accounts": "username", "case_files": "case_code", "supervision_sessions": "occurrence_key"}

# Fields that merge without a person: a set of ticks (each tick added or removed on one side is applied to the
# other's set), and text that only grows (what one side appended is appended to the other's).
SET_FIELDS = {("qaf_component_ratings", "actions_in_place")}
GROWING_TEXT = {("improvement_actions", "progress_notes")}


@dataclass(frozen=True)
class SyncedTable:
    name: str
    table: Table
    columns: tuple[str, ...]  # those that travel
    references: dict[str, str] = field(default_factory=dict)  # column -> table it points to
    wall_clock: frozenset[str] = frozenset()  # DateTime columns without a time zone

    @property
    def agency_column(self) -> str | None:
        if self.name == "agencies":
            return "id"
        return "agency_id" if "agency_id" in self.table.columns else None


@cache
def synced_tables() -> dict[str, SyncedTable]:
    tables: dict[str, SyncedTable] = {}
    for name in SYNCED:
        table = Base.metadata.tables[name]
        columns = tuple(c.name for c in table.columns if c.name not in LOCAL_ONLY)
        references: dict[str, str] = {}
        for column in table.columns:
            for key in column.foreign_keys:
                references[column.name] = key.column.table.name
        for (owner, column_name), target in IMPLICIT_REFERENCES.items():
            if owner == name:
                references[column_name] = target
        if "updated_by_id" in table.columns:
            references["updated_by_id"] = "accounts"
        clocks = frozenset(c.name for c in table.columns if isinstance(c.type, DateTime) and not c.type.timezone)
        tables[name] = SyncedTable(name, table, columns, references, clocks)
    return tables


def synced(name: str) -> SyncedTable | None:
    return synced_tables().get(name) if name in SYNCED else None
