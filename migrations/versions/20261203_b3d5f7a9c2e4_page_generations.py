"""page_generations: the generation of what public pages show, for the kept pages of portal/pagecache.py

Revision ID: b3d5f7a9c2e4
Revises: a8d2f4b6c9e1
Create Date: 2026-12-03

Hand-written. One row (id 1), given a new random value by each transaction that writes what a public page
reads. The row is made here, with a random value, so that pages are kept from the first visit on.
"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b3d5f7a9c2e4'
down_revision = 'a8d2f4b6c9e1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'page_generations',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_page_generations')),
    )
    op.execute(sa.text("INSERT INTO page_generations (id, value) VALUES (1, :value)")
               .bindparams(value=secrets.randbits(62)))


def downgrade():
    op.drop_table('page_generations')
