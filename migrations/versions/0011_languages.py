"""languages: an agency's default interface language, and framework versions and checklist templates that are
translations of another version (same structure and identifiers, another language).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('default_language', sa.String(length=10), nullable=True))
    with op.batch_alter_table('qaf_framework_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('translation_of_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_qaf_framework_versions_translation_of_id_qaf_framework_versions'),
                                    'qaf_framework_versions', ['translation_of_id'], ['id'])
    with op.batch_alter_table('checklist_templates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('translation_of_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_checklist_templates_translation_of_id_checklist_templates'),
                                    'checklist_templates', ['translation_of_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('checklist_templates', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_checklist_templates_translation_of_id_checklist_templates'),
                                 type_='foreignkey')
        batch_op.drop_column('translation_of_id')
    with op.batch_alter_table('qaf_framework_versions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_qaf_framework_versions_translation_of_id_qaf_framework_versions'),
                                 type_='foreignkey')
        batch_op.drop_column('translation_of_id')
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.drop_column('default_language')
