"""followups: one question per (held meeting or partnered request, firm), six months on

Revision ID: d7e3b1f5a9c2
Revises: d7e3b1f5a8c2
Create Date: 2026-11-30

Hand-written. A new table only; nothing existing changes.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd7e3b1f5a9c2'
down_revision = 'd7e3b1f5a8c2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'followups',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('source', sa.Enum('meeting', 'request', name='source', native_enum=False,
                                    create_constraint=False, length=7), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=True),
        sa.Column('request_id', sa.Integer(), nullable=True),
        sa.Column('firm_id', sa.Integer(), nullable=False),
        sa.Column('other_firm_id', sa.Integer(), nullable=True),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('reminders', sa.Integer(), server_default='0', nullable=False),
        sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('extra_reminder_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('extra_reminder_by_id', sa.Integer(), nullable=True),
        sa.Column('token_salt', sa.String(length=64), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('stage', sa.Enum('no_contact', 'knowledge', 'valuable_contact', 'negotiation', 'agreement',
                                   name='stage', native_enum=False, create_constraint=False, length=16),
                  nullable=True),
        sa.Column('value_baht', sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column('kind', sa.Enum('cost_saved', 'new_sales', name='outcomekind', native_enum=False,
                                  create_constraint=False, length=10), nullable=True),
        sa.Column('aim', sa.Enum('finance', 'cost', 'market', 'supply_chain', 'knowledge', name='aim',
                                 native_enum=False, create_constraint=False, length=12), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_followups_meeting_id_meetings'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['request_id'], ['collab_requests.id'],
                                name=op.f('fk_followups_request_id_collab_requests'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['firm_id'], ['firms.id'], name=op.f('fk_followups_firm_id_firms'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['other_firm_id'], ['firms.id'], name=op.f('fk_followups_other_firm_id_firms'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['extra_reminder_by_id'], ['users.id'],
                                name=op.f('fk_followups_extra_reminder_by_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_followups')),
        sa.UniqueConstraint('meeting_id', 'firm_id', name=op.f('uq_followups_meeting_id')),
        sa.UniqueConstraint('request_id', 'firm_id', name=op.f('uq_followups_request_id')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_followups_token_hash')),
    )
    op.create_index('ix_followups_firm_id', 'followups', ['firm_id'])
    op.create_index('ix_followups_due_at', 'followups', ['due_at'])
    op.create_index('ix_followups_sent_at', 'followups', ['sent_at'])


def downgrade():
    op.drop_index('ix_followups_sent_at', table_name='followups')
    op.drop_index('ix_followups_due_at', table_name='followups')
    op.drop_index('ix_followups_firm_id', table_name='followups')
    op.drop_table('followups')
