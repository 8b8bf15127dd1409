"""page_table_generations: a generation per table that public pages read, in place of one for them all

Revision ID: a1c3e5f7b9d2
Revises: f7a9c1e3b5d8
Create Date: 2026-12-06

Hand-written. portal/pagecache.py keeps a page with the generations of the tables it read, so a write renders
again only the pages that read what it wrote (posting a request no longer renders the directory again). A table
without a row is at generation 0 until its first write. The one generation of every page (page_generations) goes;
the code before this revision finds no page_table_generations and keeps nothing, the code after it finds no
page_generations' row to read.
"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a1c3e5f7b9d2'
down_revision = 'f7a9c1e3b5d8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'page_table_generations',
        sa.Column('table_name', sa.String(length=64), nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('table_name', name=op.f('pk_page_table_generations')),
    )
    op.drop_table('page_generations')


def downgrade():
    op.create_table(
        'page_generations',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_page_generations')),
    )
    op.execute(sa.text("INSERT INTO page_generations (id, value) VALUES (1, :value)")
               .bindparams(value=secrets.randbits(62)))
    op.drop_table('page_table_generations')
