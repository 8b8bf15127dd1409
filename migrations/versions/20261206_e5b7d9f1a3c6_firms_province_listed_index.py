"""a province's listed firms counted from one partial index (PostgreSQL)

Revision ID: e5b7d9f1a3c6
Revises: d3f5a7c9e1b4
Create Date: 2026-12-06

Hand-written. The directory filtered by a province counts its listed firms up to the cap (1,000). With the
province index alone, PostgreSQL found them there and then read each one's table page to test whether it is
listed (public_listing_consent_at set, hidden_at not): 1,023 pages for 1,001 firms at 1,000,000 firms, where at
100,000 the province had 1,227 firms in all; the page went from 6.4 to 9.9 ms p50. ix_firms_province_listed holds
(province_id, id) of listed firms only: the count is read from it alone. PostgreSQL only, as
ix_collab_requests_cluster_newest (portal.db.UNMODELLED_DB_OBJECTS): on SQLite, which reads the firms' rows fast
enough (the page within 1.5x at 1,000,000), a partial index without statistics drew the page's sorted query to it
too, and it sorted the province's 13,000 firms (29 ms where the sort index takes 6).
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e5b7d9f1a3c6'
down_revision = 'd3f5a7c9e1b4'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute("CREATE INDEX ix_firms_province_listed ON firms (province_id, id) "
               "WHERE public_listing_consent_at IS NOT NULL AND hidden_at IS NULL")


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute("DROP INDEX ix_firms_province_listed")
