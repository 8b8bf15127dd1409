"""firms' search columns kept uncompressed (PostgreSQL): search_text and the words_* columns with STORAGE MAIN

Revision ID: c6e8a0b2d4f7
Revises: b3d5f7a9c2e4
Create Date: 2026-12-04

Hand-written. A firm's row is about 2.3 kB, past PostgreSQL's 2 kB toast threshold, so each of its longest text
values was stored compressed (pglz), search_text and words_body among them. Every search reads those columns on
each record it tests or scores, and PostgreSQL decompresses a value again for each function that reads it: a
search scoring 1,500 firms spent a quarter of its time decompressing, a search by name a third (measured on a
copy of the 100,000-firm bench: scoring 21.3 -> 13.8 ms, "ปลากัด" by name 37.9 -> 29.8 ms). STORAGE MAIN
compresses those columns only when the row cannot fit otherwise: the descriptions and the bigram array, which no
search reads row by row, are compressed first (or moved to the toast table), and the table stays the same size
(195 MB at 100,000 firms). Rows written before are rewritten (those with a compressed value), their search
columns and their descriptions and products given anew, so that PostgreSQL stores the row as it stores a new one:
rewritten alone, the search columns made each row 2.4 kB inline, the descriptions staying compressed beside them
(the table 195 -> 370 MB). No value changes, so the triggers that keep the bigrams and the postings are not run
for them. SQLite stores text as it is: nothing to do there.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c6e8a0b2d4f7'
down_revision = 'b3d5f7a9c2e4'
branch_labels = None
depends_on = None

COLUMNS = ('search_text', 'words_name', 'words_products', 'words_body')
REWRITTEN = (*COLUMNS, 'description_th', 'description_en', 'products_th', 'products_en')


def _storage(kind: str) -> None:
    op.execute("ALTER TABLE firms " + ", ".join(f"ALTER COLUMN {column} SET STORAGE {kind}" for column in COLUMNS))


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    _storage('MAIN')
    op.execute("ALTER TABLE firms DISABLE TRIGGER firms_search_bigrams")
    op.execute("ALTER TABLE firms DISABLE TRIGGER firm_words_keep")
    # || '' makes a new, uncompressed value (an unchanged one would be stored as it was, compressed)
    op.execute("UPDATE firms SET " + ", ".join(f"{column} = {column} || ''" for column in REWRITTEN)
               + " WHERE " + " OR ".join(f"pg_column_compression({column}) IS NOT NULL" for column in REWRITTEN))
    op.execute("ALTER TABLE firms ENABLE TRIGGER firm_words_keep")
    op.execute("ALTER TABLE firms ENABLE TRIGGER firms_search_bigrams")


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    _storage('EXTENDED')
