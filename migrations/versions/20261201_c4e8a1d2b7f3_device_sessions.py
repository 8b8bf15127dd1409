"""device_sessions: one row per sign-in (hashed cookie token, device, last seen, ended), for the sessions
page and signing out one device

Revision ID: c4e8a1d2b7f3
Revises: b3d9e1f7a2c4
Create Date: 2026-12-01

Written from the model, reviewed. A new table only.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c4e8a1d2b7f3'
down_revision = 'b3d9e1f7a2c4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('device_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_agent', sa.String(length=80), nullable=False),
    sa.Column('client_address', sa.String(length=45), nullable=True),
    sa.Column('remember', sa.Boolean(), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_reason', sa.String(length=20), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_device_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_device_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_device_sessions_token_hash'))
    )
    with op.batch_alter_table('device_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_device_sessions_user_id', ['user_id', 'ended_at'], unique=False)
        batch_op.create_index('ix_device_sessions_ended_at', ['ended_at'], unique=False)


def downgrade():
    with op.batch_alter_table('device_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_device_sessions_ended_at')
        batch_op.drop_index('ix_device_sessions_user_id')
    op.drop_table('device_sessions')
