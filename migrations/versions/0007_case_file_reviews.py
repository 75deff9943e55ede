"""case file reviews: pseudonymous case files, checklist templates, review settings, reviews and answers

- ``case_files``: a case code (never a name), the caseworker, risk level and status, and the key dates.
- ``checklist_templates``: stored versions of the case file checklist (shipped, and agencies' contextual copies).
- ``review_settings_versions``: an agency's timeframes, sample size and score thresholds, one row per version.
- ``case_file_reviews`` and ``case_file_review_answers``: a review and its answer per checklist item.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('checklist_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('version', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('language', sa.String(length=10), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('content_sha256', sa.String(length=64), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.Column('context_note', sa.Text(), nullable=False),
    sa.Column('uuid', sa.Uuid(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_by_name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_checklist_templates_agency_id_agencies')),
    sa.ForeignKeyConstraint(['parent_id'], ['checklist_templates.id'],
        name=op.f('fk_checklist_templates_parent_id_checklist_templates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_templates')),
    sa.UniqueConstraint('key', 'version', name=op.f('uq_checklist_templates_key')),
    sa.UniqueConstraint('uuid', name=op.f('uq_checklist_templates_uuid'))
    )
    op.create_table('review_settings_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('uuid', sa.Uuid(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_by_name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'],
        name=op.f('fk_review_settings_versions_agency_id_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_settings_versions')),
    sa.UniqueConstraint('agency_id', 'number', name=op.f('uq_review_settings_versions_agency_id')),
    sa.UniqueConstraint('uuid', name=op.f('uq_review_settings_versions_uuid'))
    )
    with op.batch_alter_table('review_settings_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_settings_versions_agency_id'), ['agency_id'], unique=False)

    op.create_table('case_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('case_code', sa.String(length=60), nullable=False),
    sa.Column('caseworker_id', sa.Integer(), nullable=False),
    sa.Column('risk_level', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('identified_on', sa.Date(), nullable=True),
    sa.Column('registered_on', sa.Date(), nullable=True),
    sa.Column('assessed_on', sa.Date(), nullable=True),
    sa.Column('case_plan_on', sa.Date(), nullable=True),
    sa.Column('first_action_on', sa.Date(), nullable=True),
    sa.Column('follow_ups', sa.JSON(), nullable=False),
    sa.Column('case_plan_reviews', sa.JSON(), nullable=False),
    sa.Column('reassessments', sa.JSON(), nullable=False),
    sa.Column('risk_changes', sa.JSON(), nullable=False),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('closure_reason', sa.Text(), nullable=False),
    sa.Column('post_closure_follow_up_on', sa.Date(), nullable=True),
    sa.Column('uuid', sa.Uuid(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_by_name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_case_files_agency_id_agencies')),
    sa.ForeignKeyConstraint(['caseworker_id'], ['staff_members.id'],
        name=op.f('fk_case_files_caseworker_id_staff_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_files')),
    sa.UniqueConstraint('agency_id', 'case_code', name=op.f('uq_case_files_agency_id')),
    sa.UniqueConstraint('uuid', name=op.f('uq_case_files_uuid'))
    )
    with op.batch_alter_table('case_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_files_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_files_caseworker_id'), ['caseworker_id'], unique=False)

    op.create_table('case_file_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_file_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('caseworker_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('reviewer_account_id', sa.Integer(), nullable=True),
    sa.Column('reviewer_name', sa.String(length=200), nullable=False),
    sa.Column('reviewed_on', sa.Date(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('settings_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('strengths', sa.Text(), nullable=False),
    sa.Column('feedback', sa.Text(), nullable=False),
    sa.Column('yes_count', sa.Integer(), nullable=False),
    sa.Column('no_count', sa.Integer(), nullable=False),
    sa.Column('na_count', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('level', sa.String(length=30), nullable=True),
    sa.Column('acknowledged_on', sa.Date(), nullable=True),
    sa.Column('acknowledged_by', sa.String(length=200), nullable=False),
    sa.Column('uuid', sa.Uuid(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_by_name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_case_file_reviews_agency_id_agencies')),
    sa.ForeignKeyConstraint(['case_file_id'], ['case_files.id'],
        name=op.f('fk_case_file_reviews_case_file_id_case_files'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['caseworker_id'], ['staff_members.id'],
        name=op.f('fk_case_file_reviews_caseworker_id_staff_members')),
    sa.ForeignKeyConstraint(['reviewer_account_id'], ['accounts.id'],
        name=op.f('fk_case_file_reviews_reviewer_account_id_accounts')),
    sa.ForeignKeyConstraint(['settings_id'], ['review_settings_versions.id'],
        name=op.f('fk_case_file_reviews_settings_id_review_settings_versions')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_case_file_reviews_team_id_teams')),
    sa.ForeignKeyConstraint(['template_id'], ['checklist_templates.id'],
        name=op.f('fk_case_file_reviews_template_id_checklist_templates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_file_reviews')),
    sa.UniqueConstraint('uuid', name=op.f('uq_case_file_reviews_uuid'))
    )
    with op.batch_alter_table('case_file_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_file_reviews_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_file_reviews_case_file_id'), ['case_file_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_file_reviews_caseworker_id'), ['caseworker_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_file_reviews_month'), ['month'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_file_reviews_team_id'), ['team_id'], unique=False)

    op.create_table('case_file_review_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.String(length=20), nullable=False),
    sa.Column('answer', sa.String(length=4), nullable=False),
    sa.Column('computed', sa.Boolean(), nullable=False),
    sa.Column('computed_answer', sa.String(length=4), nullable=True),
    sa.Column('override_reason', sa.Text(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('recommendation', sa.Text(), nullable=False),
    sa.Column('uuid', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['review_id'], ['case_file_reviews.id'],
        name=op.f('fk_case_file_review_answers_review_id_case_file_reviews'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_file_review_answers')),
    sa.UniqueConstraint('review_id', 'item_id', name=op.f('uq_case_file_review_answers_review_id')),
    sa.UniqueConstraint('uuid', name=op.f('uq_case_file_review_answers_uuid'))
    )
    with op.batch_alter_table('case_file_review_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_file_review_answers_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_file_review_answers_review_id'), ['review_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('case_file_review_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_file_review_answers_review_id'))
        batch_op.drop_index(batch_op.f('ix_case_file_review_answers_item_id'))

    op.drop_table('case_file_review_answers')
    with op.batch_alter_table('case_file_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_file_reviews_team_id'))
        batch_op.drop_index(batch_op.f('ix_case_file_reviews_month'))
        batch_op.drop_index(batch_op.f('ix_case_file_reviews_caseworker_id'))
        batch_op.drop_index(batch_op.f('ix_case_file_reviews_case_file_id'))
        batch_op.drop_index(batch_op.f('ix_case_file_reviews_agency_id'))

    op.drop_table('case_file_reviews')
    with op.batch_alter_table('case_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_files_caseworker_id'))
        batch_op.drop_index(batch_op.f('ix_case_files_agency_id'))

    op.drop_table('case_files')
    with op.batch_alter_table('review_settings_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_settings_versions_agency_id'))

    op.drop_table('review_settings_versions')
    op.drop_table('checklist_templates')
