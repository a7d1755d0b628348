"""Cases (trámites, versioned like land records) and the secret keys of the deadline feed.

Revision ID: 0006_cases
Revises: 0005_programme
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_cases"
down_revision = "0005_programme"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('calendar_key',
    sa.Column('id', sa.Integer(), sa.Identity(always=False), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_calendar_key_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_key')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_calendar_key_key_hash'))
    )
    op.create_table('legal_case',
    sa.Column('vid', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('valid_from', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('valid_to', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recorded_by', sa.Text(), nullable=False),
    sa.Column('import_batch_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('change_note', sa.Text(), nullable=True),
    sa.Column('row_hash', sa.Text(), nullable=False),
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('community_id', sa.Text(), nullable=False),
    sa.Column('type', sa.Text(), nullable=False),
    sa.Column('authority', sa.Text(), nullable=True),
    sa.Column('stage', sa.Text(), server_default='intake', nullable=False),
    sa.Column('stage_date', sa.Date(), nullable=True),
    sa.Column('lawyer', sa.Text(), nullable=True),
    sa.Column('opened', sa.Date(), nullable=True),
    sa.Column('closed', sa.Date(), nullable=True),
    sa.Column('intake_who', sa.Text(), nullable=True),
    sa.Column('intake_need', sa.Text(), nullable=True),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('deadline_what', sa.Text(), nullable=True),
    sa.Column('rule_id', sa.Text(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('sensitivity', sa.Text(), server_default='restricted', nullable=False),
    sa.ForeignKeyConstraint(['import_batch_id'], ['import_batch.id'], name=op.f('fk_legal_case_import_batch_id_import_batch')),
    sa.PrimaryKeyConstraint('vid', name=op.f('pk_legal_case'))
    )
    op.create_index('ix_legal_case_closed', 'legal_case', ['valid_to'], unique=False, postgresql_where=sa.text('valid_to IS NOT NULL'))
    op.create_index('ix_legal_case_id_vid', 'legal_case', ['id', 'vid'], unique=False)
    op.create_index('uq_legal_case_current_id', 'legal_case', ['id'], unique=True, postgresql_where=sa.text('valid_to IS NULL'))


def downgrade() -> None:
    op.drop_index('uq_legal_case_current_id', table_name='legal_case', postgresql_where=sa.text('valid_to IS NULL'))
    op.drop_index('ix_legal_case_id_vid', table_name='legal_case')
    op.drop_index('ix_legal_case_closed', table_name='legal_case', postgresql_where=sa.text('valid_to IS NOT NULL'))
    op.drop_table('legal_case')
    op.drop_table('calendar_key')
