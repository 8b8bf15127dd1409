"""result_firm_keys: a partial index of the membership keys by firm and cluster

Revision ID: e4c7a2f9b1d3
Revises: e5b7c9d1f3a2
Create Date: 2026-12-01

Hand-written. The scorecard asks which clusters the firms of a year's meetings, active firms and follow-up
questions were members of at the year's end (a few index entries per firm), and counts every cluster's
members at a year's end: the membership keys are under a quarter of the kept keys (positions and provinces
are the rest), and in (firm, cluster) order the grouping by firm and cluster needs no sort. Without it,
SQLite read the table row by row through ix_result_firm_keys_firm and PostgreSQL scanned the whole table.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e4c7a2f9b1d3'
down_revision = 'e5b7c9d1f3a2'
branch_labels = None
depends_on = None

MEMBER_KEYS = "dimension IN ('member+', 'member-')"


def upgrade():
    op.create_index('ix_result_firm_keys_member', 'result_firm_keys', ['firm_id', 'scope', 'dimension', 'bucket'],
                    unique=False, postgresql_where=sa.text(MEMBER_KEYS), sqlite_where=sa.text(MEMBER_KEYS))


def downgrade():
    op.drop_index('ix_result_firm_keys_member', table_name='result_firm_keys')
