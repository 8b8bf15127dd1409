"""collab_responses indexed by creation time, for the scorecard's "active in the last 90 days"

Revision ID: a9d3f6b2c8e1
Revises: b5c8e2d4f1a7
Create Date: 2026-11-30

Hand-written. The scorecard counts the member firms that responded to a request in a 90-day window; without
this index that reads every response (hundreds of thousands at 200,000 requests) on each visit. Requests
have theirs already (ix_collab_requests_created).
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a9d3f6b2c8e1'
down_revision = 'b5c8e2d4f1a7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_collab_responses_created', 'collab_responses', ['created_at', 'firm_id'])


def downgrade():
    op.drop_index('ix_collab_responses_created', table_name='collab_responses')
