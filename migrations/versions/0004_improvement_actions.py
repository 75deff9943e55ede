"""key actions become improvement actions, shared by every feature

Every ``qaf_key_actions`` row moves to ``improvement_actions`` with the same id, UUID, version, text, owner, due
date, resources, priority, status, progress notes and attribution; its source is the assessment (item: the
component, reference: the Change Grid action). Because the id is kept, the audit trail's earlier records of the
key action (entity ``KeyAction``) still name the same action. Each action's history starts with one entry holding
its status and progress notes as they were, by whoever last changed it, when.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SOURCE_KIND = "qaf_assessment"
SHARED = ("id", "uuid", "text", "owner_person", "owner_agency", "due_on", "resources", "priority", "status",
          "progress_notes", "version_id", "updated_by_id", "updated_by_name", "created_at", "updated_at")


def _key_action_columns() -> list[sa.Column]:
    return [
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("component_code", sa.String(length=10), nullable=False),
        sa.Column("change_grid_action_id", sa.String(length=20), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("owner_person", sa.String(length=200), nullable=False),
        sa.Column("owner_agency", sa.String(length=200), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("resources", sa.Text(), nullable=False),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("progress_notes", sa.Text(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uuid", sa.Uuid(), nullable=False),
    ]


def _key_actions_table() -> sa.Table:
    return sa.Table("qaf_key_actions", sa.MetaData(), *_key_action_columns())


def _create_improvement_tables() -> tuple[sa.Table, sa.Table]:
    actions = op.create_table(
        "improvement_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_kind", sa.String(length=40), nullable=False),
        sa.Column("source_record_id", sa.Integer(), nullable=False),
        sa.Column("source_item", sa.String(length=40), nullable=False),
        sa.Column("source_reference", sa.String(length=40), nullable=True),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("owner_person", sa.String(length=200), nullable=False),
        sa.Column("owner_agency", sa.String(length=200), nullable=False),
        sa.Column("owner_staff_member_id", sa.Integer(), nullable=True),
        sa.Column("owner_agency_id", sa.Integer(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("resources", sa.Text(), nullable=False),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("progress_notes", sa.Text(), nullable=False),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], name=op.f("fk_improvement_actions_agency_id_agencies")),
        sa.ForeignKeyConstraint(["owner_agency_id"], ["agencies.id"],
                                name=op.f("fk_improvement_actions_owner_agency_id_agencies")),
        sa.ForeignKeyConstraint(["owner_staff_member_id"], ["staff_members.id"],
                                name=op.f("fk_improvement_actions_owner_staff_member_id_staff_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_improvement_actions")),
        sa.UniqueConstraint("uuid", name=op.f("uq_improvement_actions_uuid")),
    )
    op.create_index(op.f("ix_improvement_actions_agency_id"), "improvement_actions", ["agency_id"])
    op.create_index(op.f("ix_improvement_actions_source_kind"), "improvement_actions", ["source_kind"])
    op.create_index(op.f("ix_improvement_actions_source_record_id"), "improvement_actions", ["source_record_id"])
    updates = op.create_table(
        "improvement_action_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("author_name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["action_id"], ["improvement_actions.id"], ondelete="CASCADE",
                                name=op.f("fk_improvement_action_updates_action_id_improvement_actions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_improvement_action_updates")),
        sa.UniqueConstraint("uuid", name=op.f("uq_improvement_action_updates_uuid")),
    )
    op.create_index(op.f("ix_improvement_action_updates_action_id"), "improvement_action_updates", ["action_id"])
    return actions, updates


def _reset_sequence(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                   f"COALESCE((SELECT MAX(id) FROM \"{table}\"), 0) + 1, false)")


def upgrade() -> None:
    bind = op.get_bind()
    actions, updates = _create_improvement_tables()
    key_actions = _key_actions_table()
    assessments = sa.table("qaf_assessments", sa.column("id", sa.Integer), sa.column("agency_id", sa.Integer))
    rows = bind.execute(sa.select(key_actions, assessments.c.agency_id)
                        .join(assessments, assessments.c.id == key_actions.c.assessment_id)
                        .order_by(key_actions.c.id)).mappings().all()
    if rows:
        bind.execute(actions.insert(), [
            {**{name: row[name] for name in SHARED}, "source_kind": SOURCE_KIND,
             "source_record_id": row["assessment_id"], "source_item": row["component_code"],
             "source_reference": row["change_grid_action_id"], "agency_id": row["agency_id"],
             "owner_staff_member_id": None, "owner_agency_id": None} for row in rows])
        bind.execute(updates.insert(), [
            {"action_id": row["id"], "recorded_at": row["updated_at"], "account_id": row["updated_by_id"],
             "author_name": row["updated_by_name"], "status": row["status"], "note": row["progress_notes"],
             "uuid": uuid.uuid4()} for row in rows])
    _reset_sequence("improvement_actions")
    op.drop_index("ix_qaf_key_actions_assessment_id", table_name="qaf_key_actions")
    op.drop_table("qaf_key_actions")


def downgrade() -> None:
    bind = op.get_bind()
    op.create_table(
        "qaf_key_actions", *_key_action_columns(),
        sa.ForeignKeyConstraint(["assessment_id"], ["qaf_assessments.id"], ondelete="CASCADE",
                                name=op.f("fk_qaf_key_actions_assessment_id_qaf_assessments")),
        sa.UniqueConstraint("uuid", name=op.f("uq_qaf_key_actions_uuid")),
    )
    op.create_index("ix_qaf_key_actions_assessment_id", "qaf_key_actions", ["assessment_id"])
    actions = sa.Table("improvement_actions", sa.MetaData(), autoload_with=bind)
    rows = bind.execute(sa.select(actions).where(actions.c.source_kind == SOURCE_KIND)).mappings().all()
    if rows:
        bind.execute(_key_actions_table().insert(), [
            {**{name: row[name] for name in SHARED}, "uuid": uuid.UUID(str(row["uuid"])),
             "assessment_id": row["source_record_id"],
             "component_code": row["source_item"], "change_grid_action_id": row["source_reference"]}
            for row in rows])
    _reset_sequence("qaf_key_actions")
    op.drop_table("improvement_action_updates")
    op.drop_table("improvement_actions")
