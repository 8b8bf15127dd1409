"""collab_outcomes' year index carries what the results add up of a year's outcomes, in cluster order

Revision ID: c9e1a3b5d7f0
Revises: b7d9f1a3c5e8
Create Date: 2026-12-06

Hand-written. The scorecards' request funnels add up a year's outcomes by cluster (partnerships and confirmed
value), and the dashboard's figures by aim, kind and confirmation. With an index on the year alone, SQLite chose
to walk the cluster index in order, testing the year of every outcome (156 ms at 1,000,000 firms, 200,000
outcomes, the scorecard table's largest part), and PostgreSQL read the year's rows from the table (2,924 pages,
93 ms cold). ix_collab_outcomes_fiscal_year now holds (fiscal_year, cluster_id, confirmation, aim, kind,
request_id, value_baht): a year's outcomes in cluster order, from the index alone. Same name: the old index is
replaced.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c9e1a3b5d7f0'
down_revision = 'b7d9f1a3c5e8'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index('ix_collab_outcomes_fiscal_year', table_name='collab_outcomes')
    op.create_index('ix_collab_outcomes_fiscal_year', 'collab_outcomes',
                    ['fiscal_year', 'cluster_id', 'confirmation', 'aim', 'kind', 'request_id', 'value_baht'])


def downgrade():
    op.drop_index('ix_collab_outcomes_fiscal_year', table_name='collab_outcomes')
    op.create_index('ix_collab_outcomes_fiscal_year', 'collab_outcomes', ['fiscal_year'])
