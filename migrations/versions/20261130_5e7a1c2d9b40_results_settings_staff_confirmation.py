"""results settings: the value above which only OSMEP staff confirm a reported partnership

Revision ID: 5e7a1c2d9b40
Revises: c4e1d2a7b9f3
Create Date: 2026-11-30

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e7a1c2d9b40'
down_revision = 'c4e1d2a7b9f3'
branch_labels = None
depends_on = None


def upgrade():
    # No row yet: until staff first set the threshold, the application's default applies
    # (Config.STAFF_CONFIRMATION_ABOVE_DEFAULT).
    op.create_table('results_settings',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('staff_confirmation_above', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_results_settings_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_results_settings'))
    )


def downgrade():
    op.drop_table('results_settings')
