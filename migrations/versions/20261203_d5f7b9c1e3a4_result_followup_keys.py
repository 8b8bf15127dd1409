"""result_followup_keys: each cluster's follow-up figures kept counted

Revision ID: d5f7b9c1e3a4
Revises: c4e6a8b2d0f3
Create Date: 2026-12-03

Hand-written. The scorecards counted each cluster's follow-up questions on the spot: every question sent in
the year joined to its firm's membership spans at the year's end (11 ms on PostgreSQL at 100,000 firms and
35,000 questions, growing with both). portal.admin.rollup now keeps, per question sent, the fiscal year it
was sent in (Bangkok dates), whether it was answered, and the clusters its firm is a member of at that year's
end (from the kept spans), and counts them in result_counts under each cluster's scope (dimensions
questions and replies; bucket the year). Filled here by the rule of portal.admin.rollup.followup_keys_of(),
written out so that this migration does not change when the application does. result_counts gains an index
by (dimension, bucket, scope): a year's figures of one kind for every cluster were a scan of every figure
(31,000 rows, 4 ms on PostgreSQL at 100,000 firms).
"""
from collections import Counter
from datetime import timedelta, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd5f7b9c1e3a4'
down_revision = 'c4e6a8b2d0f3'
branch_labels = None
depends_on = None

BANGKOK = timezone(timedelta(hours=7))
FOLLOWUPS = sa.table('followups', sa.column('id', sa.Integer()), sa.column('firm_id', sa.Integer()),
                     sa.column('sent_at', sa.DateTime(timezone=True)),
                     sa.column('answered_at', sa.DateTime(timezone=True)))
SPANS = sa.table('result_member_spans', sa.column('firm_id', sa.Integer()), sa.column('cluster_id', sa.Integer()),
                 sa.column('first_year', sa.Integer()), sa.column('ended_year', sa.Integer()))


def _fiscal_year(moment):
    """The B.E. fiscal year (1 Oct – 30 Sep) of a UTC moment's Bangkok date (SQLite hands back naive UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    day = moment.astimezone(BANGKOK).date()
    return (day.year + 1 if day.month >= 10 else day.year) + 543


def upgrade():
    keys = op.create_table(
        'result_followup_keys',
        sa.Column('followup_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('answered', sa.Boolean(), nullable=False),
        sa.Column('clusters', sa.String(), server_default='', nullable=False),
        sa.PrimaryKeyConstraint('followup_id', name=op.f('pk_result_followup_keys')),
    )
    op.create_index('ix_result_counts_dimension_bucket', 'result_counts', ['dimension', 'bucket', 'scope'])
    connection = op.get_bind()
    sent = FOLLOWUPS.c.sent_at.is_not(None)
    spans = {}
    for firm_id, cluster_id, first, ended in connection.execute(
            sa.select(SPANS.c.firm_id, SPANS.c.cluster_id, SPANS.c.first_year, SPANS.c.ended_year)
            .where(SPANS.c.firm_id.in_(sa.select(FOLLOWUPS.c.firm_id).where(sent)))):
        spans.setdefault(firm_id, []).append((cluster_id, first, ended))
    rows, counts = [], Counter()
    for followup_id, firm_id, sent_at, answered_at in connection.execute(
            sa.select(FOLLOWUPS.c.id, FOLLOWUPS.c.firm_id, FOLLOWUPS.c.sent_at, FOLLOWUPS.c.answered_at)
            .where(sent).order_by(FOLLOWUPS.c.id)):
        year = _fiscal_year(sent_at)
        clusters = sorted({cluster_id for cluster_id, first, ended in spans.get(firm_id, ())
                           if first <= year and (ended is None or year < ended)})
        rows.append(dict(followup_id=followup_id, year=year, answered=answered_at is not None,
                         clusters=",".join(str(c) for c in clusters)))
        for cluster_id in clusters:
            counts[cluster_id, 'questions', str(year)] += 1
            if answered_at is not None:
                counts[cluster_id, 'replies', str(year)] += 1
    for start in range(0, len(rows), 5000):
        op.bulk_insert(keys, rows[start:start + 5000])
    op.execute("DELETE FROM result_counts WHERE dimension IN ('questions', 'replies')")
    result_counts = sa.table('result_counts', sa.column('scope'), sa.column('dimension'), sa.column('bucket'),
                             sa.column('firms'))
    if counts:
        op.bulk_insert(result_counts, [dict(scope=s, dimension=d, bucket=b, firms=n)
                                       for (s, d, b), n in sorted(counts.items())])


def downgrade():
    op.execute("DELETE FROM result_counts WHERE dimension IN ('questions', 'replies')")
    op.drop_index('ix_result_counts_dimension_bucket', table_name='result_counts')
    op.drop_table('result_followup_keys')
