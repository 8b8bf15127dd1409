"""notification_preferences: per kind of notification, whether a user wants it by e-mail and by LINE; an
index for counting the LINE messages sent this month (the quota)

Revision ID: a7d3f9b2c6e1
Revises: e4c7a2f9b1d3
Create Date: 2026-12-01

Hand-written. A new table (no row means the defaults, so existing users need none) and a new index.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a7d3f9b2c6e1'
down_revision = 'e4c7a2f9b1d3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'notification_preferences',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=60), nullable=False),
        sa.Column('by_email', sa.Boolean(), nullable=False),
        sa.Column('by_line', sa.Boolean(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_preferences_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_preferences')),
        sa.UniqueConstraint('user_id', 'kind', name=op.f('uq_notification_preferences_user_id')),
    )
    op.create_index('ix_outbox_messages_channel_sent', 'outbox_messages', ['channel', 'status', 'sent_at'])


def downgrade():
    op.drop_index('ix_outbox_messages_channel_sent', table_name='outbox_messages')
    op.drop_table('notification_preferences')
