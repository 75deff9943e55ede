"""sync between replicas: this replica's change counter, the replicas it exchanges with, each synced record's
last change (and tombstones), a laptop's changes waiting for the server, conflicts, bundles applied; audit records
keep the replica they were made on.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    clock = op.create_table(
        'sync_clock',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('value', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=12), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_clock')),
    )
    op.bulk_insert(clock, [{'id': 1, 'value': 0, 'role': 'standalone'}])
    op.create_table(
        'sync_replicas',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('role', sa.String(length=12), nullable=False),
        sa.Column('is_self', sa.Boolean(), nullable=False),
        sa.Column('public_key', sa.String(length=100), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('enrolled_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('enrolled_by', sa.String(length=200), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('acked_through', sa.Integer(), nullable=False),
        sa.Column('applied_through', sa.Integer(), nullable=False),
        sa.Column('audit_acked_through', sa.Integer(), nullable=False),
        sa.Column('audit_applied_through', sa.Integer(), nullable=False),
        sa.Column('last_sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_received_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('uuid', sa.Uuid(), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_sync_replicas_agency_id_agencies')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_replicas')),
        sa.UniqueConstraint('name', name=op.f('uq_sync_replicas_name')),
        sa.UniqueConstraint('uuid', name=op.f('uq_sync_replicas_uuid')),
    )
    op.create_table(
        'sync_row_states',
        sa.Column('table_name', sa.String(length=60), nullable=False),
        sa.Column('row_uuid', sa.Uuid(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('deleted', sa.Boolean(), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=True),
        sa.Column('field_seqs', sa.JSON(), nullable=True),
        sa.Column('alias_of', sa.Uuid(), nullable=True),
        sa.Column('snapshot', sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint('table_name', 'row_uuid', name=op.f('pk_sync_row_states')),
    )
    op.create_index(op.f('ix_sync_row_states_seq'), 'sync_row_states', ['seq'], unique=False)
    op.create_table(
        'sync_local_changes',
        sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('position', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('table_name', sa.String(length=60), nullable=False),
        sa.Column('row_uuid', sa.Uuid(), nullable=False),
        sa.Column('operation', sa.String(length=8), nullable=False),
        sa.Column('base_seq', sa.Integer(), nullable=False),
        sa.Column('values', sa.JSON(), nullable=False),
        sa.Column('account_uuid', sa.String(length=36), nullable=True),
        sa.Column('author', sa.String(length=200), nullable=False),
        sa.Column('made_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('seq', 'position', name=op.f('pk_sync_local_changes')),
    )
    op.create_table(
        'sync_conflicts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('table_name', sa.String(length=60), nullable=False),
        sa.Column('row_uuid', sa.Uuid(), nullable=False),
        sa.Column('other_uuid', sa.Uuid(), nullable=True),
        sa.Column('field', sa.String(length=60), nullable=False),
        sa.Column('title', sa.String(length=300), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=True),
        sa.Column('base_value', sa.JSON(), nullable=True),
        sa.Column('server_value', sa.JSON(), nullable=True),
        sa.Column('replica_value', sa.JSON(), nullable=True),
        sa.Column('server_by', sa.String(length=200), nullable=False),
        sa.Column('server_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('replica_id', sa.Integer(), nullable=True),
        sa.Column('replica_by', sa.String(length=200), nullable=False),
        sa.Column('replica_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('resolution', sa.String(length=12), nullable=False),
        sa.Column('resolved_value', sa.JSON(), nullable=True),
        sa.Column('resolved_by', sa.String(length=200), nullable=False),
        sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('detected_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('uuid', sa.Uuid(), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['replica_id'], ['sync_replicas.id'],
                                name=op.f('fk_sync_conflicts_replica_id_sync_replicas')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_conflicts')),
        sa.UniqueConstraint('uuid', name=op.f('uq_sync_conflicts_uuid')),
    )
    op.create_index(op.f('ix_sync_conflicts_agency_id'), 'sync_conflicts', ['agency_id'], unique=False)
    op.create_index(op.f('ix_sync_conflicts_row_uuid'), 'sync_conflicts', ['row_uuid'], unique=False)
    op.create_index(op.f('ix_sync_conflicts_table_name'), 'sync_conflicts', ['table_name'], unique=False)
    op.create_table(
        'sync_bundle_receipts',
        sa.Column('bundle_uuid', sa.Uuid(), nullable=False),
        sa.Column('sender_uuid', sa.Uuid(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('applied_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('summary', sa.JSON(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('bundle_uuid', name=op.f('pk_sync_bundle_receipts')),
    )
    # Plain ADD COLUMNs: on SQLite a batch operation would copy the table and drop its append-only triggers.
    op.add_column('audit_records', sa.Column('origin_replica', sa.String(length=36), nullable=True))
    op.add_column('audit_records', sa.Column('origin_hash', sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column('audit_records', 'origin_hash')
    op.drop_column('audit_records', 'origin_replica')
    op.drop_table('sync_bundle_receipts')
    op.drop_index(op.f('ix_sync_conflicts_table_name'), table_name='sync_conflicts')
    op.drop_index(op.f('ix_sync_conflicts_row_uuid'), table_name='sync_conflicts')
    op.drop_index(op.f('ix_sync_conflicts_agency_id'), table_name='sync_conflicts')
    op.drop_table('sync_conflicts')
    op.drop_table('sync_local_changes')
    op.drop_index(op.f('ix_sync_row_states_seq'), table_name='sync_row_states')
    op.drop_table('sync_row_states')
    op.drop_table('sync_replicas')
    op.drop_table('sync_clock')
