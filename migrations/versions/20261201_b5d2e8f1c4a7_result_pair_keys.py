"""result_pair_keys: each cluster's partner pairs kept as changes per pair of firms, for the scorecard

Revision ID: b5d2e8f1c4a7
Revises: a3f7d1c9e2b8
Create Date: 2026-12-01

Hand-written. The scorecard's collaboration density counted each cluster's distinct partner pairs on the
spot: the clusters of every partnered firm at the year's end (25,000 firms at the benchmark's 100,000),
80 of the table's 210 ms of SQL on PostgreSQL. portal.admin.rollup now keeps them as it keeps the member
counts. The table is filled here from the kept membership keys and the outcomes, by the rule of
portal.admin.rollup.pair_keys_of(), written out so that this migration does not change when the
application does. collab_outcomes gains an index on the partner, which a refresh probes alongside the firm.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b5d2e8f1c4a7'
down_revision = 'a3f7d1c9e2b8'
branch_labels = None
depends_on = None

KEYS = """SELECT firm_id, scope, dimension, bucket FROM result_firm_keys
WHERE dimension IN ('member+', 'member-') AND scope > 0"""
OUTCOMES = """SELECT firm_id, partner_firm_id, MIN(fiscal_year) FROM collab_outcomes
WHERE fiscal_year IS NOT NULL AND firm_id <> partner_firm_id GROUP BY firm_id, partner_firm_id"""


def _merged(spans):
    out = []
    for start, end in sorted(spans, key=lambda span: span[0]):
        if out and (out[-1][1] is None or start <= out[-1][1]):
            last_start, last_end = out[-1]
            out[-1] = (last_start, None if end is None or last_end is None else max(end, last_end))
        else:
            out.append((start, end))
    return out


def _pair_keys(connection):
    marks = {}
    for firm_id, scope, dimension, bucket in connection.execute(sa.text(KEYS)):
        starts, ends = marks.setdefault((firm_id, scope), ([], []))
        (starts if dimension == "member+" else ends).append(int(bucket))
    spans, clusters_of = {}, {}
    for (firm_id, scope), (starts, ends) in marks.items():
        starts, ends = sorted(starts), sorted(ends)
        spans[firm_id, scope] = [(start, ends[n] if n < len(ends) else None) for n, start in enumerate(starts)]
        clusters_of.setdefault(firm_id, set()).add(scope)
    first_years = {}
    for firm_id, partner_id, year in connection.execute(sa.text(OUTCOMES)):
        pair = (min(firm_id, partner_id), max(firm_id, partner_id))
        first_years[pair] = min(year, first_years.get(pair, year))
    keys = set()
    for (low, high), first in first_years.items():
        for cluster_id in clusters_of.get(low, set()) & clusters_of.get(high, set()):
            both = []
            for low_start, low_end in spans[low, cluster_id]:
                for high_start, high_end in spans[high, cluster_id]:
                    start = max(low_start, high_start, first)
                    ends = [end for end in (low_end, high_end) if end is not None]
                    end = min(ends) if ends else None
                    if end is None or start < end:
                        both.append((start, end))
            for start, end in _merged(both):
                keys.add((cluster_id, low, high, start, 1))
                if end is not None:
                    keys.add((cluster_id, low, high, end, -1))
    return sorted(keys)


def upgrade():
    pairs = op.create_table(
        'result_pair_keys',
        sa.Column('cluster_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('low_firm_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('high_firm_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('change', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('cluster_id', 'low_firm_id', 'high_firm_id', 'year', name=op.f('pk_result_pair_keys')),
    )
    op.create_index('ix_result_pair_keys_low', 'result_pair_keys', ['low_firm_id'])
    op.create_index('ix_result_pair_keys_high', 'result_pair_keys', ['high_firm_id'])
    # A refresh finds a firm's partnerships from either side: as the partner, too.
    op.create_index('ix_collab_outcomes_partner', 'collab_outcomes', ['partner_firm_id', 'firm_id'])
    keys = _pair_keys(op.get_bind())
    names = ['cluster_id', 'low_firm_id', 'high_firm_id', 'year', 'change']
    for start in range(0, len(keys), 5000):
        op.bulk_insert(pairs, [dict(zip(names, key)) for key in keys[start:start + 5000]])


def downgrade():
    op.drop_index('ix_collab_outcomes_partner', table_name='collab_outcomes')
    op.drop_index('ix_result_pair_keys_high', table_name='result_pair_keys')
    op.drop_index('ix_result_pair_keys_low', table_name='result_pair_keys')
    op.drop_table('result_pair_keys')
