"""result_member_spans: each firm's spans of membership of each cluster, with its positions, for the scorecard and the map

Revision ID: d2a6f8c3b1e5
Revises: c8e1f4a2d6b9
Create Date: 2026-12-01

Hand-written. "The members of a cluster at the end of a year" was read by adding up each firm's kept keys
(result_firm_keys): 75,000 keys for the largest cluster's network map at 100,000 firms, 50–90 ms, and the
same grouping in each part of the scorecard table. portal.admin.rollup now keeps what those keys say as
spans of years, one row per stretch with the same positions. The table is filled here from the kept keys
by the rule of portal.admin.rollup.member_segments(), written out so that this migration does not change
when the application does.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd2a6f8c3b1e5'
down_revision = 'c8e1f4a2d6b9'
branch_labels = None
depends_on = None

KEYS = """SELECT firm_id, scope, dimension, bucket FROM result_firm_keys
WHERE dimension IN ('member+', 'member-', 'position+', 'position-') AND scope > 0"""
POSITION_BITS = {"upstream": 1, "midstream": 2, "downstream": 4}


def _holds(spans, year):
    return any(start <= year and (end is None or year < end) for start, end in spans)


def _spans(connection):
    marks = {}
    for firm_id, scope, dimension, bucket in connection.execute(sa.text(KEYS)):
        year, _sep, code = bucket.partition(":")
        starts, ends = marks.setdefault((firm_id, scope), {}).setdefault(code, ([], []))
        (starts if dimension.endswith("+") else ends).append(int(year))
    found = []
    for (firm_id, cluster_id), by_code in marks.items():
        spans = {}
        for code, (starts, ends) in by_code.items():
            starts, ends = sorted(starts), sorted(ends)
            spans[code] = [(start, ends[n] if n < len(ends) else None) for n, start in enumerate(starts)]
        cuts = sorted({year for found_spans in spans.values() for span in found_spans for year in span
                       if year is not None})
        pieces = []
        for n, year in enumerate(cuts):
            if not _holds(spans.get("", ()), year):
                continue
            bits = sum(POSITION_BITS.get(code, 0) for code in spans if code and _holds(spans[code], year))
            ended = cuts[n + 1] if n + 1 < len(cuts) else None
            if pieces and pieces[-1][1] == year and pieces[-1][2] == bits:
                pieces[-1][1] = ended
            else:
                pieces.append([year, ended, bits])
        found += [(cluster_id, firm_id, first, ended, bits) for first, ended, bits in pieces]
    return sorted(found, key=lambda span: span[:3])


def upgrade():
    spans = op.create_table(
        'result_member_spans',
        sa.Column('cluster_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('firm_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('first_year', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('ended_year', sa.Integer(), nullable=True),
        sa.Column('positions', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('cluster_id', 'firm_id', 'first_year', name=op.f('pk_result_member_spans')),
    )
    op.create_index('ix_result_member_spans_cluster', 'result_member_spans',
                    ['cluster_id', 'first_year', 'ended_year', 'firm_id', 'positions'])
    op.create_index('ix_result_member_spans_firm', 'result_member_spans',
                    ['firm_id', 'cluster_id', 'first_year', 'ended_year'])
    rows = _spans(op.get_bind())
    names = ['cluster_id', 'firm_id', 'first_year', 'ended_year', 'positions']
    for start in range(0, len(rows), 5000):
        op.bulk_insert(spans, [dict(zip(names, row)) for row in rows[start:start + 5000]])


def downgrade():
    op.drop_index('ix_result_member_spans_firm', table_name='result_member_spans')
    op.drop_index('ix_result_member_spans_cluster', table_name='result_member_spans')
    op.drop_table('result_member_spans')
