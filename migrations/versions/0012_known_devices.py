"""known devices: a browser that signed in to an account before (a digest of its long-lived cookie's token), so a
lock made by failed sign-ins from elsewhere never stops the person on their own device.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'known_devices',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('device_hash', sa.String(length=64), nullable=False),
        sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_known_devices_account_id_accounts'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_known_devices')),
        sa.UniqueConstraint('account_id', 'device_hash', name=op.f('uq_known_devices_account_id')),
    )
    op.create_index(op.f('ix_known_devices_account_id'), 'known_devices', ['account_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_known_devices_account_id'), table_name='known_devices')
    op.drop_table('known_devices')
