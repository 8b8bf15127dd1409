"""glossary entries: Thai / English pairs the search uses across languages, loaded from portal/data/glossary.csv

Revision ID: 28f80d9ecf03
Revises: 9c4b7d2e1f60
Create Date: 2026-11-30

Creates the table and loads the pairs of portal/data/glossary.csv as it is when the migration runs (later
pairs are added by `flask glossary load`). The keys are the terms as portal.search.normalise() gives them;
the function is written out here so that this migration does not change when the application does.
"""
import csv
import unicodedata
from datetime import datetime, timezone
from pathlib import Path

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '28f80d9ecf03'
down_revision = '9c4b7d2e1f60'
branch_labels = None
depends_on = None

CSV = Path(__file__).resolve().parents[2] / "portal" / "data" / "glossary.csv"
ACTIVE = "retired_at IS NULL"


def _clean(value):
    value = unicodedata.normalize("NFC", value or "")
    value = "".join(ch for ch in value if unicodedata.category(ch) not in ("Cc", "Cf") or ch in "\t\n\r ")
    return " ".join(value.split())


def _key(value):
    return " ".join(_clean(value).casefold().split())


def upgrade():
    entries = op.create_table('glossary_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('term_th', sa.String(length=100), nullable=False),
    sa.Column('term_en', sa.String(length=100), nullable=False),
    sa.Column('key_th', sa.String(length=200), nullable=False),
    sa.Column('key_en', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('retired_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_glossary_entries_created_by_id_users')),
    sa.ForeignKeyConstraint(['retired_by_id'], ['users.id'], name=op.f('fk_glossary_entries_retired_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_glossary_entries'))
    )
    with op.batch_alter_table('glossary_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_glossary_entries_key_en'), ['key_en'], unique=False)
        batch_op.create_index(batch_op.f('ix_glossary_entries_key_th'), ['key_th'], unique=False)
        batch_op.create_index('uq_glossary_entries_active_pair', ['key_th', 'key_en'], unique=True,
                              sqlite_where=sa.text(ACTIVE), postgresql_where=sa.text(ACTIVE))

    now, seen, rows = datetime.now(timezone.utc), set(), []
    with CSV.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            keys = (_key(row["th"]), _key(row["en"]))
            if all(keys) and keys not in seen:
                seen.add(keys)
                rows.append({"term_th": _clean(row["th"]), "term_en": _clean(row["en"]), "key_th": keys[0],
                             "key_en": keys[1], "created_at": now})
    if rows:
        op.bulk_insert(entries, rows)


def downgrade():
    with op.batch_alter_table('glossary_entries', schema=None) as batch_op:
        batch_op.drop_index('uq_glossary_entries_active_pair', sqlite_where=sa.text(ACTIVE),
                            postgresql_where=sa.text(ACTIVE))
        batch_op.drop_index(batch_op.f('ix_glossary_entries_key_th'))
        batch_op.drop_index(batch_op.f('ix_glossary_entries_key_en'))
    op.drop_table('glossary_entries')
