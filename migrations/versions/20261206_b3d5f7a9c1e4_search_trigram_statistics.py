"""Statistics of the search text's trigrams (PostgreSQL): how often each is found, for the trigram index's scans

Revision ID: b3d5f7a9c1e4
Revises: a1c3e5f7b9d2
Create Date: 2026-12-06

Hand-written. ANALYZE keeps, for `show_trgm(search_text)` of firms and collaboration requests, the most common
trigrams and the share of the rows that hold each (pg_stats_ext_exprs). search.sql asks the trigram index for a
term by its rarest trigrams only (search.sql._narrowest): a GIN scan reads every posting list it is given, and a
term's common trigrams cost the most and narrow the least. The tables are analysed once here, so that the
statistics exist before autovacuum's next turn (a few seconds at 1,000,000 firms). SQLite has nothing to do.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b3d5f7a9c1e4'
down_revision = 'a1c3e5f7b9d2'
branch_labels = None
depends_on = None

TABLES = ("firms", "collab_requests")


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    # pg_trgm's functions live in the extension's schema, which need not be on the search path
    schema = bind.execute(sa.text(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'pg_trgm'")).scalar_one()
    for table in TABLES:  # names from code and the catalogue: DDL cannot bind them
        op.execute(f'CREATE STATISTICS IF NOT EXISTS st_{table}_search_trigrams ON ("{schema}".show_trgm(search_text)) '
                   f"FROM {table}")
        op.execute(f"ANALYZE {table}")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP STATISTICS IF EXISTS st_{table}_search_trigrams")
