"""moderation: reports, hiding, verification, suspension

Revision ID: b7fb60da5846
Revises: cef7700d7623
Create Date: 2026-11-24

"""
from alembic import op
import sqlalchemy as sa

from portal.search import sqlite_fts_triggers


# revision identifiers, used by Alembic.
revision = 'b7fb60da5846'
down_revision = 'cef7700d7623'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reporter_id', sa.Integer(), nullable=False),
    sa.Column('target_type', sa.String(length=20), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Enum('spam', 'fake_firm', 'wrong_information', 'offensive', 'other', name='reportreason', native_enum=False), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('status', sa.Enum('open', 'dismissed', 'actioned', name='reportstatus', native_enum=False), nullable=False),
    sa.Column('handled_by_id', sa.Integer(), nullable=True),
    sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['firm_id'], ['firms.id'], name=op.f('fk_reports_firm_id_firms')),
    sa.ForeignKeyConstraint(['handled_by_id'], ['users.id'], name=op.f('fk_reports_handled_by_id_users')),
    sa.ForeignKeyConstraint(['reporter_id'], ['users.id'], name=op.f('fk_reports_reporter_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reports'))
    )
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.create_index('ix_reports_status', ['status', 'created_at'], unique=False)
        batch_op.create_index('ix_reports_target', ['target_type', 'target_id'], unique=False)

    with op.batch_alter_table('collab_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hidden_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('hidden_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('review_requested_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('hidden_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_collab_messages_hidden_by_id_users'), 'users', ['hidden_by_id'], ['id'])

    with op.batch_alter_table('collab_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hidden_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('hidden_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('review_requested_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('hidden_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_collab_requests_hidden_by_id_users'), 'users', ['hidden_by_id'], ['id'])

    with op.batch_alter_table('collab_responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hidden_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('hidden_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('review_requested_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('hidden_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_collab_responses_hidden_by_id_users'), 'users', ['hidden_by_id'], ['id'])

    with op.batch_alter_table('firms', schema=None) as batch_op:
        batch_op.add_column(sa.Column('verified_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('hidden_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('review_requested_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('hidden_for_suspension_of', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_firms_verified_by_id_users'), 'users', ['verified_by_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_firms_hidden_for_suspension_of_users'), 'users', ['hidden_for_suspension_of'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_firms_hidden_by_id_users'), 'users', ['hidden_by_id'], ['id'])


    _restore_search_triggers()

def downgrade():
    with op.batch_alter_table('firms', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_firms_hidden_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_firms_hidden_for_suspension_of_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_firms_verified_by_id_users'), type_='foreignkey')
        batch_op.drop_column('hidden_for_suspension_of')
        batch_op.drop_column('review_requested_at')
        batch_op.drop_column('hidden_by_id')
        batch_op.drop_column('verified_by_id')

    with op.batch_alter_table('collab_responses', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_collab_responses_hidden_by_id_users'), type_='foreignkey')
        batch_op.drop_column('hidden_by_id')
        batch_op.drop_column('review_requested_at')
        batch_op.drop_column('hidden_reason')
        batch_op.drop_column('hidden_at')

    with op.batch_alter_table('collab_requests', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_collab_requests_hidden_by_id_users'), type_='foreignkey')
        batch_op.drop_column('hidden_by_id')
        batch_op.drop_column('review_requested_at')
        batch_op.drop_column('hidden_reason')
        batch_op.drop_column('hidden_at')

    with op.batch_alter_table('collab_messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_collab_messages_hidden_by_id_users'), type_='foreignkey')
        batch_op.drop_column('hidden_by_id')
        batch_op.drop_column('review_requested_at')
        batch_op.drop_column('hidden_reason')
        batch_op.drop_column('hidden_at')

    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_index('ix_reports_target')
        batch_op.drop_index('ix_reports_status')

    op.drop_table('reports')
    _restore_search_triggers()


def _restore_search_triggers():
    """On SQLite, batch mode rebuilds firms and collab_requests, which drops their triggers: the FTS
    tables must go on following inserts, updates and deletes."""
    if op.get_bind().dialect.name != 'sqlite':
        return
    for table in ("firms", "collab_requests"):
        for statement in sqlite_fts_triggers(table):
            op.execute(statement)
