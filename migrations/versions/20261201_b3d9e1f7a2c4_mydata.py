"""mydata: data_exports ("Download my data" ZIPs), and users' deletion request, due date and erasure time

Revision ID: b3d9e1f7a2c4
Revises: a7d3f1b9c2e5
Create Date: 2026-12-01

Written by hand. A new table and three nullable columns.
"""
import sqlalchemy as sa
from alembic import op


revision = 'b3d9e1f7a2c4'
down_revision = 'a7d3f1b9c2e5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('data_exports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'ready', 'failed', 'removed', name='exportstatus', native_enum=False),
              nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ready_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('file_name', sa.String(length=64), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_data_exports_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_exports'))
    )
    with op.batch_alter_table('data_exports', schema=None) as batch_op:
        batch_op.create_index('ix_data_exports_user_id', ['user_id'], unique=False)
        batch_op.create_index('ix_data_exports_status', ['status'], unique=False)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deletion_requested_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('deletion_due_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_users_deletion_due_at'), ['deletion_due_at'], unique=False)


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_deletion_due_at'))
        batch_op.drop_column('erased_at')
        batch_op.drop_column('deletion_due_at')
        batch_op.drop_column('deletion_requested_at')
    with op.batch_alter_table('data_exports', schema=None) as batch_op:
        batch_op.drop_index('ix_data_exports_status')
        batch_op.drop_index('ix_data_exports_user_id')
    op.drop_table('data_exports')
