"""service tokens: api_tokens without an owner, for OSMEP systems (contact e-mail, the administrator who made it)

Revision ID: f2b4d6a8c1e3
Revises: f2b6d8a4c1e7
Create Date: 2026-12-01

A service token is an api_tokens row whose user_id is NULL; existing rows are personal tokens and keep theirs.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'f2b4d6a8c1e3'
down_revision = 'f2b6d8a4c1e7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_email', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('created_by_id', sa.Integer(), nullable=True))
        batch_op.alter_column('user_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key(batch_op.f('fk_api_tokens_created_by_id_users'), 'users', ['created_by_id'],
                                    ['id'], ondelete='SET NULL')


def downgrade():
    op.execute("DELETE FROM api_tokens WHERE user_id IS NULL")  # service tokens have no owner to keep
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_api_tokens_created_by_id_users'), type_='foreignkey')
        batch_op.alter_column('user_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('created_by_id')
        batch_op.drop_column('contact_email')
