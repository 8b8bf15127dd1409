"""search postings on PostgreSQL: each record's whole words in a B-tree, read in order and stopped at a page's window

Revision ID: 5d8e2b7c1a94
Revises: 28f80d9ecf03
Create Date: 2026-11-30

A GIN index (pg_trgm, the bigram arrays) hands over the bitmap of every match before a LIMIT applies, so a
common word costs in proportion to the table: ปลากัด took 21 ms at 100,000 firms and 69 ms at 1,000,000.
`firm_words` and `collab_request_words` hold one row per distinct word of a record (its words_name,
words_products and words_body, already cut into words when it was saved), kept by a trigger; their primary
key (word, record id) is read in order and stops at the ranked window (portal.search.sql.whole_words).
SQLite needs none: its FTS5 index is already read lazily. Words over 100 characters are left out: no
search term is longer (portal.search.text.MAX_TERM_LENGTH).
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '5d8e2b7c1a94'
down_revision = '28f80d9ecf03'
branch_labels = None
depends_on = None

TABLES = (("firms", "firm_words", "firm_id"), ("collab_requests", "collab_request_words", "request_id"))


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute("""
        CREATE FUNCTION search_words_of(name text, products text, body text) RETURNS SETOF text
        LANGUAGE sql IMMUTABLE AS $$
          SELECT DISTINCT w FROM unnest(string_to_array(
            coalesce(name, '') || ' ' || coalesce(products, '') || ' ' || coalesce(body, ''), ' ')) AS w
          WHERE w <> '' AND length(w) <= 100
        $$""")
    for table, postings, key in TABLES:
        op.execute(f"CREATE TABLE {postings} (word text NOT NULL, {key} integer NOT NULL)")
        # Filled before its key is made: one sort instead of an index insert per row.
        op.execute(f"INSERT INTO {postings} (word, {key}) SELECT w, t.id FROM {table} AS t, "
                   f"LATERAL search_words_of(t.words_name, t.words_products, t.words_body) AS w")
        op.execute(f"ALTER TABLE {postings} ADD CONSTRAINT pk_{postings} PRIMARY KEY (word, {key})")
        op.execute(f"""
            CREATE FUNCTION {postings}_keep() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF TG_OP <> 'INSERT' THEN
                DELETE FROM {postings} WHERE {key} = OLD.id AND word = ANY(ARRAY(
                  SELECT search_words_of(OLD.words_name, OLD.words_products, OLD.words_body)));
              END IF;
              IF TG_OP <> 'DELETE' THEN
                INSERT INTO {postings} (word, {key})
                  SELECT w, NEW.id FROM search_words_of(NEW.words_name, NEW.words_products, NEW.words_body) AS w
                  ON CONFLICT DO NOTHING;
              END IF;
              RETURN NULL;
            END
            $$""")
        op.execute(f"CREATE TRIGGER {postings}_keep AFTER INSERT OR DELETE OR UPDATE OF words_name, words_products, "
                   f"words_body ON {table} FOR EACH ROW EXECUTE FUNCTION {postings}_keep()")
        op.execute(f"ANALYZE {postings}")


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table, postings, _key in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {postings}_keep ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {postings}_keep()")
        op.execute(f"DROP TABLE IF EXISTS {postings}")
    op.execute("DROP FUNCTION IF EXISTS search_words_of(text, text, text)")
