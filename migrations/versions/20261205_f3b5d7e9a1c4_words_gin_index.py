"""several-word searches on PostgreSQL: a GIN index of each record's words as an array

Revision ID: f3b5d7e9a1c4
Revises: e9a1c3d5f7b2
Create Date: 2026-12-05

Hand-written. The records with every term of a search as whole words were found by a merge join of the terms'
postings (firm_words, collab_request_words), which reads every posting of every term to the end when few records
have them all: organic premium betta, none with all three, 28,674 postings, 7.2 ms at 100,000 firms. A GIN index
over the words columns as one array intersects the terms' lists inside the index before any record is read: 0.8 ms
(2.4 ms at 1,000,000, tried on ten copies of the bench's firms). portal.search.sql.words_array is the same
expression, which the planner matches to the index. The table is analysed so that the planner has the array's
word frequencies. SQLite has its FTS5 table of words (migration d8f0a2c4e6b9) and needs none.
"""
from alembic import op

from portal.search.sql import words_gin_index
from portal.search.text import WORD_COLUMNS

# revision identifiers, used by Alembic.
revision = 'f3b5d7e9a1c4'
down_revision = 'e9a1c3d5f7b2'
branch_labels = None
depends_on = None

TABLES = ("firms", "collab_requests")


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    words = " || ".join(WORD_COLUMNS)
    for table in TABLES:
        op.execute(f"CREATE INDEX {words_gin_index(table)} ON {table} USING gin (string_to_array({words}, ' '))")
        op.execute(f"ANALYZE {table}")


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table in TABLES:
        op.execute(f"DROP INDEX IF EXISTS {words_gin_index(table)}")
