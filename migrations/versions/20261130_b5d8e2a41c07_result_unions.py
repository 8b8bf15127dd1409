"""result unions: several clusters' figures kept counted together (a coordinator of several clusters)

Revision ID: b5d8e2a41c07
Revises: 5d8e2b7c1a94
Create Date: 2026-11-30

Empty at first: portal.admin.rollup.union_scope() adds a union, and counts it, the first time it is asked
for; its counts are result_counts rows with scope -id.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b5d8e2a41c07'
down_revision = '5d8e2b7c1a94'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('result_unions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cluster_ids', sa.String(length=400), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_result_unions')),
    sa.UniqueConstraint('cluster_ids', name=op.f('uq_result_unions_cluster_ids'))
    )


def downgrade():
    op.execute("DELETE FROM result_counts WHERE scope < 0")
    op.drop_table('result_unions')
