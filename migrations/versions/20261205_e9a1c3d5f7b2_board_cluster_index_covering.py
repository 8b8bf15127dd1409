"""the board's cluster index covers what a cluster's open board tests and sorts by

Revision ID: e9a1c3d5f7b2
Revises: d8f0a2c4e6b9
Create Date: 2026-12-05

Hand-written. `/requests/?cluster=…` counts a cluster's open, unexpired requests (up to the cap) and sorts them
newest first. ix_collab_requests_cluster_open (cluster_id, status, expires_on) found them, and each request's row
was then read for its hidden flag, firm and date: about 4 µs a request on SQLite, 904 requests of the largest
cluster at 1,000,000 firms (3.2 and 3.5 ms for the two statements). With those columns in the index both are read
from it alone (1.4 and 1.6 ms, tried on that database). Its first three columns are the old index's, so it serves
every other use, and it replaces it.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e9a1c3d5f7b2'
down_revision = 'd8f0a2c4e6b9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_collab_requests_cluster_board', 'collab_requests',
                    ['cluster_id', 'status', 'expires_on', 'hidden_at', 'firm_id', 'created_at'])
    op.drop_index('ix_collab_requests_cluster_open', table_name='collab_requests')


def downgrade():
    op.create_index('ix_collab_requests_cluster_open', 'collab_requests', ['cluster_id', 'status', 'expires_on'])
    op.drop_index('ix_collab_requests_cluster_board', table_name='collab_requests')
