"""result_request_keys: what each collaboration request counts in, for kept request figures

Revision ID: e7c3a9d5b2f1
Revises: d2a6f8c3b1e5
Create Date: 2026-12-03

Hand-written. The dashboard, /results and the scorecards counted a year's requests, and probed each one's
responses for "answered", on every page: 25 of the programme dashboard's 36 ms of SQL on PostgreSQL at
200,000 requests, growing with the requests (about 200 ms at 2,000,000). portal.admin.rollup now keeps,
per request, its cluster (0: open to all), its fiscal year and whether a firm responded, and counts them
in result_counts (dimensions "posted" and "answered", bucket the year; scope 0 every request, a cluster's
id its own). Both are filled here by the rule of portal.admin.rollup.request_keys_of(), written out in SQL
so that this migration does not change when the application does.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e7c3a9d5b2f1'
down_revision = 'd2a6f8c3b1e5'
branch_labels = None
depends_on = None

KEYS = """INSERT INTO result_request_keys (request_id, cluster_id, year, answered)
SELECT r.id, COALESCE(r.cluster_id, 0), r.fiscal_year,
       EXISTS (SELECT 1 FROM collab_responses s WHERE s.request_id = r.id)
FROM collab_requests r WHERE r.fiscal_year IS NOT NULL"""
# The programme's counts (scope 0: every request), then each cluster's; posted, then answered.
COUNTS = [
    """INSERT INTO result_counts (scope, dimension, bucket, firms)
    SELECT 0, 'posted', CAST(year AS VARCHAR(20)), COUNT(*) FROM result_request_keys GROUP BY year""",
    """INSERT INTO result_counts (scope, dimension, bucket, firms)
    SELECT 0, 'answered', CAST(year AS VARCHAR(20)), COUNT(*) FROM result_request_keys
    WHERE answered GROUP BY year""",
    """INSERT INTO result_counts (scope, dimension, bucket, firms)
    SELECT cluster_id, 'posted', CAST(year AS VARCHAR(20)), COUNT(*) FROM result_request_keys
    WHERE cluster_id <> 0 GROUP BY cluster_id, year""",
    """INSERT INTO result_counts (scope, dimension, bucket, firms)
    SELECT cluster_id, 'answered', CAST(year AS VARCHAR(20)), COUNT(*) FROM result_request_keys
    WHERE cluster_id <> 0 AND answered GROUP BY cluster_id, year""",
]


def upgrade():
    op.create_table(
        'result_request_keys',
        sa.Column('request_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('cluster_id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('answered', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('request_id', name=op.f('pk_result_request_keys')),
    )
    op.execute("DELETE FROM result_counts WHERE dimension IN ('posted', 'answered')")
    op.execute(KEYS)
    for statement in COUNTS:
        op.execute(statement)


def downgrade():
    op.execute("DELETE FROM result_counts WHERE dimension IN ('posted', 'answered')")
    op.drop_table('result_request_keys')
