"""whole words on SQLite: an FTS5 index of each record's words columns, as PostgreSQL's postings

Revision ID: d8f0a2c4e6b9
Revises: c6e8a0b2d4f7
Create Date: 2026-12-05

SQLite found the records with every search term as whole words only through the trigram index (firms_fts),
whose doclists grow with every record that has the term's letters anywhere: "export" reads the lists of
"por" and "ort", which most English descriptions have. `firms_words_fts` and `collab_requests_words_fts`
index the words columns (words_name, words_products, words_body: already cut into words when a record is
saved, Thai words by the dictionary) as tokens, external-content tables kept by triggers like the trigram
ones. The ascii tokenizer keeps every non-ASCII character in its token (unicode61 cut Thai words at their
marks), so a token is one of the record's words, and a phrase ("ฟาร์ม ปลากัด") is its words side by side in one
column. portal.search.sql.whole_words reads them in rowid order, lazily, stopped by the ranked window.
PostgreSQL has firm_words and collab_request_words (migration 5d8e2b7c1a94) and needs none.
"""
from alembic import op

from portal.search.sql import WORDS_TOKENIZER, sqlite_words_triggers, words_fts_table
from portal.search.text import WORD_COLUMNS

# revision identifiers, used by Alembic.
revision = 'd8f0a2c4e6b9'
down_revision = 'c6e8a0b2d4f7'
branch_labels = None
depends_on = None

TABLES = ("firms", "collab_requests")


def upgrade():
    if op.get_bind().dialect.name != 'sqlite':
        return
    columns = ", ".join(WORD_COLUMNS)
    for table in TABLES:
        fts = words_fts_table(table)
        op.execute(f"CREATE VIRTUAL TABLE {fts} USING fts5({columns}, content='{table}', content_rowid='id', "
                   f"tokenize=\"{WORDS_TOKENIZER}\")")
        op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")
        for statement in sqlite_words_triggers(table):
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name != 'sqlite':
        return
    for table in TABLES:
        fts = words_fts_table(table)
        for suffix in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
        op.execute(f"DROP TABLE IF EXISTS {fts}")
