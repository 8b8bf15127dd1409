"""results counted as memberships change: result_firm_keys, result_counts

Revision ID: a6bbb127e996
Revises: 3434aa0ef373
Create Date: 2026-11-24

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a6bbb127e996'
down_revision = '3434aa0ef373'
branch_labels = None
depends_on = None

# The figures of the memberships that exist now, as portal.admin.rollup.rebuild() computes them
# (written out here so that this migration does not change when the application does).
FILL_KEYS = """
INSERT INTO result_firm_keys (scope, dimension, bucket, firm_id)
SELECT {scope}, 'year', CAST(m.fiscal_year AS VARCHAR(20)), m.firm_id
  FROM memberships m WHERE m.fiscal_year IS NOT NULL
UNION SELECT {scope}, 'member', '', m.firm_id
  FROM memberships m WHERE m.status = 'approved'
UNION SELECT {scope}, 'position', p.position, m.firm_id
  FROM memberships m JOIN membership_positions p ON p.membership_id = m.id WHERE m.status = 'approved'
UNION SELECT {scope}, 'province', CAST(f.province_id AS VARCHAR(20)), m.firm_id
  FROM memberships m JOIN firms f ON f.id = m.firm_id WHERE m.status = 'approved'
"""
FILL_COUNTS = """
INSERT INTO result_counts (scope, dimension, bucket, firms)
SELECT scope, dimension, bucket, COUNT(*) FROM result_firm_keys GROUP BY scope, dimension, bucket
"""


def upgrade():
    op.create_table('result_counts',
    sa.Column('scope', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('dimension', sa.String(length=10), nullable=False),
    sa.Column('bucket', sa.String(length=20), nullable=False),
    sa.Column('firms', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('scope', 'dimension', 'bucket', name=op.f('pk_result_counts'))
    )
    op.create_table('result_firm_keys',
    sa.Column('scope', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('dimension', sa.String(length=10), nullable=False),
    sa.Column('bucket', sa.String(length=20), nullable=False),
    sa.Column('firm_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.PrimaryKeyConstraint('scope', 'dimension', 'bucket', 'firm_id', name=op.f('pk_result_firm_keys'))
    )
    with op.batch_alter_table('result_firm_keys', schema=None) as batch_op:
        batch_op.create_index('ix_result_firm_keys_firm', ['firm_id'], unique=False)

    op.execute(FILL_KEYS.format(scope="0"))
    op.execute(FILL_KEYS.format(scope="m.cluster_id"))
    op.execute(FILL_COUNTS)


def downgrade():
    with op.batch_alter_table('result_firm_keys', schema=None) as batch_op:
        batch_op.drop_index('ix_result_firm_keys_firm')

    op.drop_table('result_firm_keys')
    op.drop_table('result_counts')
