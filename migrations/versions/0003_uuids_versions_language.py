"""every user record gets a UUID; agencies and framework versions get a version column; accounts a language

Existing rows get a fresh random UUID (they were made on this database, so no other copy of them exists yet) and
version 1. The audit trail's append-only triggers are lifted for the one UPDATE that gives its rows a UUID and
put back in the same transaction.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UUID_TABLES = ("agencies", "accounts", "teams", "staff_members", "team_memberships", "qaf_framework_versions",
               "qaf_assessments", "qaf_participants", "qaf_assessment_members", "qaf_component_ratings",
               "qaf_key_actions", "audit_records")
VERSION_TABLES = ("agencies", "qaf_framework_versions")


def drop_audit_triggers() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_records_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_records_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_records_no_change ON audit_records")


def create_audit_triggers() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_records_no_{event.lower()} BEFORE {event} ON audit_records "
                "BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END"
            )
    else:
        op.execute(
            "CREATE TRIGGER audit_records_no_change BEFORE UPDATE OR DELETE ON audit_records "
            "FOR EACH ROW EXECUTE FUNCTION audit_records_append_only()"
        )


def _fill_uuids(table_name: str) -> None:
    bind = op.get_bind()
    table = sa.table(table_name, sa.column("id", sa.Integer), sa.column("uuid", sa.Uuid))
    ids = bind.execute(sa.select(table.c.id)).scalars().all()
    if ids:
        bind.execute(table.update().where(table.c.id == sa.bindparam("row_id")).values(uuid=sa.bindparam("new")),
                     [{"row_id": row_id, "new": uuid.uuid4()} for row_id in ids])


def upgrade() -> None:
    drop_audit_triggers()
    for name in UUID_TABLES:
        with op.batch_alter_table(name) as batch_op:
            batch_op.add_column(sa.Column("uuid", sa.Uuid(), nullable=True))
            if name in VERSION_TABLES:
                batch_op.add_column(sa.Column("version_id", sa.Integer(), nullable=False, server_default="1"))
        _fill_uuids(name)
        with op.batch_alter_table(name) as batch_op:
            batch_op.alter_column("uuid", existing_type=sa.Uuid(), nullable=False)
            batch_op.create_unique_constraint(op.f(f"uq_{name}_uuid"), ["uuid"])
            if name in VERSION_TABLES:
                batch_op.alter_column("version_id", existing_type=sa.Integer(), server_default=None)
    with op.batch_alter_table("accounts") as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=10), nullable=True))
    create_audit_triggers()


def downgrade() -> None:
    drop_audit_triggers()
    with op.batch_alter_table("accounts") as batch_op:
        batch_op.drop_column("language")
    for name in reversed(UUID_TABLES):
        with op.batch_alter_table(name) as batch_op:
            batch_op.drop_constraint(op.f(f"uq_{name}_uuid"), type_="unique")
            batch_op.drop_column("uuid")
            if name in VERSION_TABLES:
                batch_op.drop_column("version_id")
    create_audit_triggers()
