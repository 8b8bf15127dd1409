"""search words: the vocabulary of firms and requests, for "did you mean"

Revision ID: 9c4b7d2e1f60
Revises: f3a1c5e7b9d2
Create Date: 2026-11-30

One row per word of the firms' and requests' search text (portal.search.vocabulary), with its length and
its letters backwards: portal.search.suggest reads the words close to a mistyped term as index ranges of
(length, word) and (length, backward), so the words are compared by code point (collation "C" on
PostgreSQL; SQLite's default is already binary). Filled here from the existing records' words (their
`words_*` columns, which the previous migration filled), in batches, by the application's own helper.
"""
from collections import Counter

from alembic import op
import sqlalchemy as sa

from portal.search.vocabulary import WORD_COLUMNS, count_words


revision = '9c4b7d2e1f60'
down_revision = 'f3a1c5e7b9d2'
branch_labels = None
depends_on = None

WORD = sa.String(length=40).with_variant(sa.String(length=40, collation='C'), 'postgresql')
BATCH = 5000


def upgrade():
    op.create_table(
        'search_words',
        sa.Column('word', WORD, nullable=False),
        sa.Column('length', sa.Integer(), nullable=False),
        sa.Column('backward', WORD, nullable=False),
        sa.Column('records', sa.Integer(), server_default='1', nullable=False),
        sa.PrimaryKeyConstraint('word', name=op.f('pk_search_words')),
    )
    op.create_index('ix_search_words_length_word', 'search_words', ['length', 'word'], unique=False)
    op.create_index('ix_search_words_length_backward', 'search_words', ['length', 'backward'], unique=False)

    bind = op.get_bind()
    counts = Counter()
    for name in ('firms', 'collab_requests'):
        table = sa.table(name, sa.column('id', sa.Integer), *(sa.column(c, sa.Text) for c in WORD_COLUMNS))
        last = 0
        while True:
            rows = bind.execute(sa.select(table.c.id, *(table.c[c] for c in WORD_COLUMNS))
                                .where(table.c.id > last).order_by(table.c.id).limit(BATCH)).all()
            if not rows:
                break
            last = rows[-1][0]
            count_words([row[1:] for row in rows], counts)
    words = sa.table('search_words', sa.column('word', sa.String), sa.column('length', sa.Integer),
                     sa.column('backward', sa.String), sa.column('records', sa.Integer))
    rows = [{'word': w, 'length': len(w), 'backward': w[::-1], 'records': n} for w, n in sorted(counts.items())]
    for start in range(0, len(rows), BATCH):
        bind.execute(words.insert(), rows[start:start + BATCH])


def downgrade():
    op.drop_index('ix_search_words_length_backward', table_name='search_words')
    op.drop_index('ix_search_words_length_word', table_name='search_words')
    op.drop_table('search_words')
