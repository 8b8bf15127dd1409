"""search GIN indexes written through at once: no pending list for searches to read (PostgreSQL)

Revision ID: a2c4e6f8b0d1
Revises: e1f3a5c7b9d2
Create Date: 2026-12-05

Hand-written. A GIN index with `fastupdate` (PostgreSQL's default) adds a written row's keys to a pending list,
merged into the index only by autovacuum or autoanalyze, or once the list passes gin_pending_list_limit (4 MB), and
every scan of the index reads the whole list. A search asks the trigram index up to a dozen times (each form of each
term, two terms together), so the list is read as many times: at 3,200 firms, after the load test's writes, a
search of two Thai words took 41–65 ms in its statements with the firms' lists as they were (391 pending pages), 18
ms once they were merged, and 72 kB left pending (9 pages) still cost 10–15 ms. With `fastupdate` off a write puts
its keys in the index itself: an update of a firm's text took 10 ms instead of 3.5–4.6 (300 updates, a busy
machine), and a search never reads anything pending. Firms and requests are written far less often than searched.
The lists pending now are merged here. Bulk loaders (the benchmarks) turn `fastupdate` on for the load and off
after it, then VACUUM (bench.directory.bulk_search_indexes).
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a2c4e6f8b0d1'
down_revision = 'e1f3a5c7b9d2'
branch_labels = None
depends_on = None

INDEXES = ("ix_firms_search_trgm", "ix_firms_search_bigrams", "ix_firms_words_gin",
           "ix_collab_requests_search_trgm", "ix_collab_requests_search_bigrams", "ix_collab_requests_words_gin")


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    for name in INDEXES:
        op.execute(f"ALTER INDEX {name} SET (fastupdate = off)")
        op.execute(f"SELECT gin_clean_pending_list('{name}'::regclass)")


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    for name in INDEXES:
        op.execute(f"ALTER INDEX {name} RESET (fastupdate)")
