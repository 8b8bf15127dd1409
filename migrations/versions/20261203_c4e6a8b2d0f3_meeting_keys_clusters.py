"""result_meeting_keys.clusters: each cluster's meeting figures kept counted too

Revision ID: c4e6a8b2d0f3
Revises: f1a9c3e7d5b4
Create Date: 2026-12-03

Hand-written. The scorecards counted each cluster's meetings on the spot: every meeting of the year joined to
the clusters its two firms were members of at the year's end (116 ms of the scorecard table's statement on
PostgreSQL at 100,000 firms and 49,000 meetings, growing with both). portal.admin.rollup now keeps, per
meeting request, those clusters too (ids joined by commas, in ascending order), and counts the meeting
figures in result_counts under each cluster's scope as it does under the programme's (dimensions meetings,
held, no_show, continued, agreed; bucket the year). Filled here from the kept keys and the kept membership
spans by the rule of portal.admin.rollup.meeting_keys_of(), written out so that this migration does not
change when the application does. meeting_requests gains an index on to_firm_id: a firm whose memberships
changed finds the meeting requests it received through it (those it sent through ix_meeting_requests_firms).
"""
from collections import Counter

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4e6a8b2d0f3'
down_revision = 'f1a9c3e7d5b4'
branch_labels = None
depends_on = None

DIMENSIONS = ("meetings", "held", "no_show", "continued", "agreed")
CLUSTERS = """SELECT DISTINCT k.request_id, s.cluster_id
FROM result_meeting_keys k JOIN meeting_requests r ON r.id = k.request_id
JOIN result_member_spans s ON s.firm_id IN (r.from_firm_id, r.to_firm_id)
  AND s.first_year <= k.year AND (s.ended_year IS NULL OR s.ended_year > k.year)"""
KEYS = "SELECT request_id, year, held, no_show, continued, agreed FROM result_meeting_keys"


def upgrade():
    with op.batch_alter_table('result_meeting_keys') as batch:
        batch.add_column(sa.Column('clusters', sa.String(), server_default='', nullable=False))
    op.create_index('ix_meeting_requests_to_firm', 'meeting_requests', ['to_firm_id'])
    connection = op.get_bind()
    clusters = {}
    for request_id, cluster_id in connection.execute(sa.text(CLUSTERS)):
        clusters.setdefault(request_id, []).append(cluster_id)
    counts = Counter()
    for request_id, year, *flags in connection.execute(sa.text(KEYS)):
        for cluster_id in clusters.get(request_id, ()):
            for dimension, counted in zip(DIMENSIONS, (True, *flags)):
                if counted:
                    counts[cluster_id, dimension, str(year)] += 1
    update = sa.text("UPDATE result_meeting_keys SET clusters = :clusters WHERE request_id = :request_id")
    rows = [dict(request_id=request_id, clusters=",".join(str(c) for c in sorted(found)))
            for request_id, found in sorted(clusters.items())]
    for start in range(0, len(rows), 5000):
        connection.execute(update, rows[start:start + 5000])
    op.execute("DELETE FROM result_counts WHERE scope > 0 AND dimension IN "
               "('meetings', 'held', 'no_show', 'continued', 'agreed')")
    result_counts = sa.table('result_counts', sa.column('scope'), sa.column('dimension'), sa.column('bucket'),
                             sa.column('firms'))
    if counts:
        op.bulk_insert(result_counts, [dict(scope=s, dimension=d, bucket=b, firms=n)
                                       for (s, d, b), n in sorted(counts.items())])


def downgrade():
    op.execute("DELETE FROM result_counts WHERE scope > 0 AND dimension IN "
               "('meetings', 'held', 'no_show', 'continued', 'agreed')")
    op.drop_index('ix_meeting_requests_to_firm', table_name='meeting_requests')
    with op.batch_alter_table('result_meeting_keys') as batch:
        batch.drop_column('clusters')
