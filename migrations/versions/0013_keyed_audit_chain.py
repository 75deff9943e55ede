"""keyed audit chain: each new audit record names the key of its HMAC-SHA-256 (kept outside the database, see
core.audit_keys). The records already there keep their plain SHA-256 links; the first keyed record holds the last
of them as its previous hash and so seals them. Nothing in the trail is rewritten (its triggers forbid it), and
``python -m app verify-audit`` verifies old and new records alike.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN: on SQLite a batch operation would copy the table and drop its append-only triggers.
    op.add_column('audit_records', sa.Column('key_id', sa.String(length=16), nullable=True))


def downgrade() -> None:
    op.drop_column('audit_records', 'key_id')
