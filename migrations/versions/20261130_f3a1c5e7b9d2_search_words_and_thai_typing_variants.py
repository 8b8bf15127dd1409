"""search: the words of each record's name, products and description; Thai typing variants normalised

Revision ID: f3a1c5e7b9d2
Revises: e2f1a9c3d7b5
Create Date: 2026-11-30

Firms and collaboration requests gain words_name, words_products and words_body (the text cut into words,
for ranking whole words first), and every search_text is computed again, since the normal form now also
folds Thai typing variants (เเ → แ, ํา → ำ, Thai digits...). The triggers that keep the SQLite FTS tables
and the PostgreSQL bigram arrays in step fire on the update. The text is derived with the application's
own functions (portal.search.text): a later change to them comes with its own migration, like this one.
Rows are read and written in batches of 2,000 by id.
"""
from alembic import op
import sqlalchemy as sa

from portal.search.text import record_fields

# revision identifiers, used by Alembic.
revision = 'f3a1c5e7b9d2'
down_revision = 'e2f1a9c3d7b5'
branch_labels = None
depends_on = None

COLUMNS = ("words_name", "words_products", "words_body")
BATCH = 2000
TABLES = {
    "firms": (("name_th", "name_en"), ("products_th", "products_en"), ("description_th", "description_en")),
    "collab_requests": (("title_th", "title_en"), ("quantity",), ("details_th", "details_en")),
}


def _recompute(bind, table_name, ranks):
    fields = [name for rank in ranks for name in rank]
    table = sa.table(table_name, sa.column("id", sa.Integer), sa.column("search_text", sa.Text),
                     *(sa.column(c, sa.Text) for c in COLUMNS), *(sa.column(f, sa.Text) for f in fields))
    update = (table.update().where(table.c.id == sa.bindparam("row_id"))
              .values(**{c: sa.bindparam(c) for c in ("search_text", *COLUMNS)}))
    last = 0
    while True:
        rows = bind.execute(sa.select(table.c.id, *(table.c[f] for f in fields))
                            .where(table.c.id > last).order_by(table.c.id).limit(BATCH)).mappings().all()
        if not rows:
            return
        values = []
        for row in rows:
            derived = record_fields(*(tuple(row[f] for f in rank) for rank in ranks))
            values.append({"row_id": row["id"], **derived})
        bind.execute(update, values)
        last = rows[-1]["id"]


def upgrade():
    bind = op.get_bind()
    for table_name, ranks in TABLES.items():
        for column in COLUMNS:
            # A plain ADD COLUMN (no batch rebuild on SQLite, which would drop the FTS triggers).
            op.add_column(table_name, sa.Column(column, sa.Text(), nullable=False, server_default=""))
        _recompute(bind, table_name, ranks)


def downgrade():
    # Plain DROP COLUMN (SQLite 3.35+): a batch rebuild would drop the FTS triggers and trip foreign keys.
    for table_name in TABLES:
        for column in COLUMNS:
            op.drop_column(table_name, column)
