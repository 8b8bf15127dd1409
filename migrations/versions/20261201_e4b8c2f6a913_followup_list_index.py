"""followups: an index in the coordinator's list order (unanswered first, the latest sent first)

Revision ID: e4b8c2f6a913
Revises: c7e2a9d4b1f6
Create Date: 2026-12-01

Hand-written. The coordinator's follow-up list (followup.queries.of_cluster) sorted every question sent to
the cluster's members to show 24: for the largest bench cluster, 39,000 questions, 100 ms on PostgreSQL
and, with the full count, half a second on SQLite. With this index a long list's page is read in order and
stops at the page (0.5 ms); a short list still gathers its few questions by firm and sorts them.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e4b8c2f6a913'
down_revision = 'c7e2a9d4b1f6'
branch_labels = None
depends_on = None


def upgrade():
    sent = sa.text('sent_at IS NOT NULL')
    op.create_index('ix_followups_list', 'followups',
                    [sa.text('(answered_at IS NOT NULL)'), sa.text('sent_at DESC'), sa.text('id DESC')],
                    postgresql_where=sent, sqlite_where=sent)


def downgrade():
    op.drop_index('ix_followups_list', table_name='followups')
