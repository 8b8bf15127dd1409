"""line_accounts: a portal account's link to a LINE user, and whether LINE can reach them

Revision ID: e5b7c9d1f3a2
Revises: c4e8a2f6b1d3
Create Date: 2026-12-01

Hand-written. A new table only.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e5b7c9d1f3a2'
down_revision = 'c4e8a2f6b1d3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'line_accounts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('line_user_id', sa.String(length=64), nullable=False),
        sa.Column('display_name', sa.String(length=200), nullable=True),
        sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('is_friend', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('friend_changed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_line_accounts_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_line_accounts')),
        sa.UniqueConstraint('user_id', name=op.f('uq_line_accounts_user_id')),
        sa.UniqueConstraint('line_user_id', name=op.f('uq_line_accounts_line_user_id')),
    )


def downgrade():
    op.drop_table('line_accounts')
