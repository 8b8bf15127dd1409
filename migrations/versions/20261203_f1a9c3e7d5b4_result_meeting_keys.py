"""result_meeting_keys: what each meeting request counts in among the programme's meeting figures

Revision ID: f1a9c3e7d5b4
Revises: e7c3a9d5b2f1
Create Date: 2026-12-03

Hand-written. /results and the scorecard table joined every meeting of a year to its matching day, slot and
the two firms' outcomes on each count (27 ms on PostgreSQL at 50,000 meetings, reading the whole meeting
tables; ten times that at 500,000). portal.admin.rollup now keeps, per meeting request, the fiscal year of
its matching day and whether it was held, a no-show, continued and led to an agreement, and counts them in
result_counts (scope 0, dimensions meetings, held, no_show, continued, agreed; bucket the year). Filled here
by the rule of portal.scorecard.queries.meeting_rows() and portal.admin.rollup.meeting_keys_of(), written
out so that this migration does not change when the application does. meeting_requests gains an index by
firms: an outcome between two firms finds their meetings through it.
"""
from collections import Counter
from datetime import date

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f1a9c3e7d5b4'
down_revision = 'e7c3a9d5b2f1'
branch_labels = None
depends_on = None

ROWS = """SELECT r.id, e.starts_on,
  CASE WHEN m.state = 'held' THEN 1 ELSE 0 END,
  CASE WHEN m.state = 'no_show' THEN 1 ELSE 0 END,
  CASE WHEN m.state = 'held' AND (m.sender_continues OR m.receiver_continues) THEN 1 ELSE 0 END,
  CASE WHEN m.state = 'held' AND (
    EXISTS (SELECT 1 FROM collab_outcomes o WHERE o.firm_id = r.from_firm_id AND o.partner_firm_id = r.to_firm_id
            AND o.created_at >= COALESCE(s.starts_at, m.marked_at))
    OR EXISTS (SELECT 1 FROM collab_outcomes o WHERE o.firm_id = r.to_firm_id AND o.partner_firm_id = r.from_firm_id
               AND o.created_at >= COALESCE(s.starts_at, m.marked_at))) THEN 1 ELSE 0 END
FROM meeting_requests r JOIN events e ON e.id = r.event_id
LEFT JOIN meetings m ON m.request_id = r.id LEFT JOIN event_slots s ON s.id = m.slot_id
WHERE e.starts_on IS NOT NULL"""
DIMENSIONS = ("meetings", "held", "no_show", "continued", "agreed")


def _fiscal_year(day):
    if isinstance(day, str):  # SQLite hands dates back as text
        day = date.fromisoformat(day[:10])
    return (day.year + 1 if day.month >= 10 else day.year) + 543


def upgrade():
    keys = op.create_table(
        'result_meeting_keys',
        sa.Column('request_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('held', sa.Boolean(), nullable=False),
        sa.Column('no_show', sa.Boolean(), nullable=False),
        sa.Column('continued', sa.Boolean(), nullable=False),
        sa.Column('agreed', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('request_id', name=op.f('pk_result_meeting_keys')),
    )
    op.create_index('ix_meeting_requests_firms', 'meeting_requests', ['from_firm_id', 'to_firm_id'])
    connection = op.get_bind()
    rows, counts = [], Counter()
    for request_id, day, *flags in connection.execute(sa.text(ROWS)):
        year = _fiscal_year(day)
        rows.append(dict(request_id=request_id, year=year, held=bool(flags[0]), no_show=bool(flags[1]),
                         continued=bool(flags[2]), agreed=bool(flags[3])))
        for dimension, counted in zip(DIMENSIONS, (1, *flags)):
            if counted:
                counts[dimension, str(year)] += 1
    for start in range(0, len(rows), 5000):
        op.bulk_insert(keys, rows[start:start + 5000])
    op.execute("DELETE FROM result_counts WHERE scope = 0 AND dimension IN "
               "('meetings', 'held', 'no_show', 'continued', 'agreed')")
    result_counts = sa.table('result_counts', sa.column('scope'), sa.column('dimension'), sa.column('bucket'),
                             sa.column('firms'))
    if counts:
        op.bulk_insert(result_counts, [dict(scope=0, dimension=d, bucket=b, firms=n)
                                       for (d, b), n in sorted(counts.items())])


def downgrade():
    op.execute("DELETE FROM result_counts WHERE scope = 0 AND dimension IN "
               "('meetings', 'held', 'no_show', 'continued', 'agreed')")
    op.drop_index('ix_meeting_requests_firms', table_name='meeting_requests')
    op.drop_table('result_meeting_keys')
