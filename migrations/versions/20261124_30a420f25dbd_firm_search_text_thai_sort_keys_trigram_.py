"""firm search text, Thai sort keys, trigram search index

Revision ID: 30a420f25dbd
Revises: 864e9e043942
Create Date: 2026-11-24

Adds the derived columns the directory searches and sorts on, fills them for existing firms, and the
search indexes each database needs (see portal/search.py):
- SQLite: an FTS5 trigram table kept in step by triggers, and an fts5vocab table over it (2-letter terms);
- PostgreSQL: a pg_trgm GIN index (needs a UTF-8 LC_CTYPE to index Thai), and for 2-letter terms an
  array of the text's bigrams, kept by a trigger, with its own GIN index.
"""
from alembic import op
import sqlalchemy as sa

# The derivation rules live in the app; importing the pure helper keeps one definition of them.
from portal.firms.models import firm_search_fields


revision = '30a420f25dbd'
down_revision = '864e9e043942'
branch_labels = None
depends_on = None

SORT_KEY = sa.String(length=240).with_variant(sa.String(length=240, collation='C'), 'postgresql')
SOURCE_FIELDS = ("name_th", "name_en", "description_th", "description_en", "products_th", "products_en")


def upgrade():
    with op.batch_alter_table('firms', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_text', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('sort_th', SORT_KEY, server_default='', nullable=False))
        batch_op.add_column(sa.Column('sort_en', SORT_KEY, server_default='', nullable=False))
        batch_op.create_index('ix_firms_created_at', ['created_at', 'id'], unique=False)
        batch_op.create_index('ix_firms_sort_en', ['sort_en', 'id'], unique=False)
        batch_op.create_index('ix_firms_sort_th', ['sort_th', 'id'], unique=False)
        batch_op.create_index('ix_firms_listing', ['id', 'hidden_at', 'public_listing_consent_at'], unique=False)
        batch_op.create_index('ix_firms_province_sort_th', ['province_id', 'sort_th', 'id'], unique=False)
        batch_op.create_index('ix_firms_province_sort_en', ['province_id', 'sort_en', 'id'], unique=False)
    # Counting a cluster's members reads only indexes: (cluster, status) now covers the firm too.
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_index('ix_memberships_cluster_status')
        batch_op.create_index('ix_memberships_cluster_status', ['cluster_id', 'status', 'firm_id'], unique=False)

    bind = op.get_bind()
    firms = sa.table('firms', sa.column('id'), sa.column('search_text'), sa.column('sort_th'), sa.column('sort_en'),
                     *[sa.column(name) for name in SOURCE_FIELDS])
    for row in bind.execute(sa.select(firms.c.id, *[firms.c[name] for name in SOURCE_FIELDS])).mappings().all():
        bind.execute(firms.update().where(firms.c.id == row["id"]).values(**firm_search_fields(dict(row))))

    if bind.dialect.name == 'sqlite':
        op.execute("CREATE VIRTUAL TABLE firms_fts USING fts5(search_text, content='firms', content_rowid='id', "
                   "tokenize='trigram')")
        op.execute("INSERT INTO firms_fts(firms_fts) VALUES ('rebuild')")
        op.execute("CREATE TRIGGER firms_fts_ai AFTER INSERT ON firms BEGIN "
                   "INSERT INTO firms_fts(rowid, search_text) VALUES (new.id, new.search_text); END")
        op.execute("CREATE TRIGGER firms_fts_ad AFTER DELETE ON firms BEGIN "
                   "INSERT INTO firms_fts(firms_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); END")
        op.execute("CREATE TRIGGER firms_fts_au AFTER UPDATE OF search_text ON firms BEGIN "
                   "INSERT INTO firms_fts(firms_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
                   "INSERT INTO firms_fts(rowid, search_text) VALUES (new.id, new.search_text); END")
        op.execute("CREATE VIRTUAL TABLE firms_fts_vocab USING fts5vocab(firms_fts, row)")
    elif bind.dialect.name == 'postgresql':
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        # The operator class lives in the extension's schema, which need not be on the search path.
        schema = bind.execute(sa.text(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname = 'pg_trgm'")).scalar_one()
        op.execute(f'CREATE INDEX ix_firms_search_trgm ON firms USING gin (search_text "{schema}".gin_trgm_ops)')
        op.execute("ALTER TABLE firms ADD COLUMN search_bigrams text[] NOT NULL DEFAULT '{}'")
        op.execute("""
            CREATE FUNCTION firms_search_bigrams(t text) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
              SELECT coalesce(array_agg(DISTINCT substr(t, i, 2)), '{}')
              FROM generate_series(1, greatest(length(t) - 1, 0)) AS i
            $$""")
        op.execute("""
            CREATE FUNCTION firms_set_search_bigrams() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN NEW.search_bigrams := firms_search_bigrams(NEW.search_text); RETURN NEW; END
            $$""")
        op.execute("CREATE TRIGGER firms_search_bigrams BEFORE INSERT OR UPDATE OF search_text ON firms "
                   "FOR EACH ROW EXECUTE FUNCTION firms_set_search_bigrams()")
        op.execute("UPDATE firms SET search_bigrams = firms_search_bigrams(search_text)")
        op.execute("CREATE INDEX ix_firms_search_bigrams ON firms USING gin (search_bigrams)")


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        for trigger in ("firms_fts_ai", "firms_fts_ad", "firms_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS firms_fts_vocab")
        op.execute("DROP TABLE IF EXISTS firms_fts")
    elif bind.dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS firms_search_bigrams ON firms")
        op.execute("DROP FUNCTION IF EXISTS firms_set_search_bigrams()")
        op.execute("DROP FUNCTION IF EXISTS firms_search_bigrams(text)")
        op.execute("DROP INDEX IF EXISTS ix_firms_search_bigrams")
        op.execute("ALTER TABLE firms DROP COLUMN IF EXISTS search_bigrams")
        op.execute("DROP INDEX IF EXISTS ix_firms_search_trgm")
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_index('ix_memberships_cluster_status')
        batch_op.create_index('ix_memberships_cluster_status', ['cluster_id', 'status'], unique=False)
    with op.batch_alter_table('firms', schema=None) as batch_op:
        batch_op.drop_index('ix_firms_province_sort_en')
        batch_op.drop_index('ix_firms_province_sort_th')
        batch_op.drop_index('ix_firms_listing')
        batch_op.drop_index('ix_firms_sort_th')
        batch_op.drop_index('ix_firms_sort_en')
        batch_op.drop_index('ix_firms_created_at')
        batch_op.drop_column('sort_en')
        batch_op.drop_column('sort_th')
        batch_op.drop_column('search_text')
