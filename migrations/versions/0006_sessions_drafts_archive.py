"""sign-in sessions shared by a browser's tabs, workshop drafts kept on the server, archived assessments

- ``sign_in_sessions``: one row per signed-in browser; the cookie's token and the one-time hand-off code are
  stored only as SHA-256 digests.
- ``qaf_component_drafts``: one person's unsaved ticks and text for one component of one assessment.
- ``qaf_assessments.archived_at``: an archived assessment is hidden from lists and kept for the record.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("handoff_hash", sa.String(length=64), nullable=True),
        sa.Column("handoff_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_sign_in_sessions_account_id_accounts"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_sign_in_sessions_token_hash")),
        sa.UniqueConstraint("handoff_hash", name=op.f("uq_sign_in_sessions_handoff_hash")),
    )
    op.create_index(op.f("ix_sign_in_sessions_account_id"), "sign_in_sessions", ["account_id"])
    op.create_table(
        "qaf_component_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("component_code", sa.String(length=10), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"],
                                name=op.f("fk_qaf_component_drafts_account_id_accounts"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["assessment_id"], ["qaf_assessments.id"],
                                name=op.f("fk_qaf_component_drafts_assessment_id_qaf_assessments"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qaf_component_drafts")),
        sa.UniqueConstraint("account_id", "assessment_id", "component_code",
                            name=op.f("uq_qaf_component_drafts_account_id")),
    )
    op.create_index(op.f("ix_qaf_component_drafts_account_id"), "qaf_component_drafts", ["account_id"])
    op.create_index(op.f("ix_qaf_component_drafts_assessment_id"), "qaf_component_drafts", ["assessment_id"])
    with op.batch_alter_table("qaf_assessments") as batch:
        batch.add_column(sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("qaf_assessments") as batch:
        batch.drop_column("archived_at")
    op.drop_table("qaf_component_drafts")
    op.drop_table("sign_in_sessions")
