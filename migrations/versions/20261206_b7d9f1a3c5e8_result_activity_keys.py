"""result_activity_keys: each cluster's active members kept counted

Revision ID: b7d9f1a3c5e8
Revises: a2c4e6f8b0d1
Create Date: 2026-12-06

Hand-written. The scorecards counted each cluster's active members on the spot: the firms that posted a
request, sent a response or had a meeting held in the last 90 days, then the clusters each was a member of at
the year's end (23–33 ms of the scorecard table's 50 on PostgreSQL at 100,000 firms; at 1,000,000 firms, with
ten times the activity, most of its 415 ms). portal.admin.rollup now keeps, per firm, the stretches of Bangkok
dates on which it counts as active (each day of activity and the 89 after it, cut at the ends of fiscal years),
with the clusters it is a member of at each year's end (from the kept spans), and counts in result_counts, under
each cluster's scope, the changes of the count: act_from on a stretch's first day, act_until on the day after
its last (none when that is the year's last day), bucket the ISO date; and the same by month (act_mfrom,
act_muntil, bucket "YYYY-MM"). The active members on a day are the changes of its year up to that day added up,
the months before its month by month. Filled here by the rule of portal.admin.rollup.active_stretches()
and activity_keys_of(), written out so that this migration does not change when the application does.
"""
from collections import Counter
from datetime import date, timedelta, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7d9f1a3c5e8'
down_revision = 'a2c4e6f8b0d1'
branch_labels = None
depends_on = None

BANGKOK = timezone(timedelta(hours=7))
ACTIVE_DAYS = 90
REQUESTS = sa.table('collab_requests', sa.column('firm_id', sa.Integer()),
                    sa.column('created_at', sa.DateTime(timezone=True)))
RESPONSES = sa.table('collab_responses', sa.column('firm_id', sa.Integer()),
                     sa.column('created_at', sa.DateTime(timezone=True)))
MEETING_REQUESTS = sa.table('meeting_requests', sa.column('id', sa.Integer()), sa.column('from_firm_id', sa.Integer()),
                            sa.column('to_firm_id', sa.Integer()))
MEETINGS = sa.table('meetings', sa.column('request_id', sa.Integer()), sa.column('slot_id', sa.Integer()),
                    sa.column('state', sa.String()), sa.column('marked_at', sa.DateTime(timezone=True)))
SLOTS = sa.table('event_slots', sa.column('id', sa.Integer()), sa.column('starts_at', sa.DateTime(timezone=True)))
SPANS = sa.table('result_member_spans', sa.column('firm_id', sa.Integer()), sa.column('cluster_id', sa.Integer()),
                 sa.column('first_year', sa.Integer()), sa.column('ended_year', sa.Integer()))


def _day(moment):
    """The Bangkok date of a UTC moment (SQLite hands back naive UTC, perhaps as text)."""
    if isinstance(moment, str):
        from datetime import datetime
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(BANGKOK).date()


def _fiscal_year(day):
    return (day.year + 1 if day.month >= 10 else day.year) + 543


def _year_days(year):
    ending = year - 543
    return date(ending - 1, 10, 1), date(ending, 9, 30)


def _stretches(days, spans):
    merged = []
    for day in days:
        last = day + timedelta(days=ACTIVE_DAYS - 1)
        if merged and day <= merged[-1][1] + timedelta(days=1):
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([day, last])
    parts = []
    for first, last in merged:
        for year in range(_fiscal_year(first), _fiscal_year(last) + 1):
            clusters = sorted({cluster_id for cluster_id, since, ended in spans
                               if since <= year and (ended is None or year < ended)})
            if clusters:
                year_first, year_last = _year_days(year)
                parts.append((year, clusters, max(first, year_first), min(last, year_last)))
    return parts


def upgrade():
    keys = op.create_table(
        'result_activity_keys',
        sa.Column('firm_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('stretches', sa.String(), server_default='', nullable=False),
        sa.PrimaryKeyConstraint('firm_id', name=op.f('pk_result_activity_keys')),
    )
    connection = op.get_bind()
    days = {}
    for table in (REQUESTS, RESPONSES):
        for firm_id, moment in connection.execute(sa.select(table.c.firm_id, table.c.created_at)):
            if firm_id is not None and moment is not None:
                days.setdefault(firm_id, set()).add(_day(moment))
    held = (sa.select(MEETING_REQUESTS.c.from_firm_id, MEETING_REQUESTS.c.to_firm_id,
                      sa.func.coalesce(SLOTS.c.starts_at, MEETINGS.c.marked_at))
            .select_from(MEETINGS.join(MEETING_REQUESTS, MEETING_REQUESTS.c.id == MEETINGS.c.request_id)
                         .outerjoin(SLOTS, SLOTS.c.id == MEETINGS.c.slot_id))
            .where(MEETINGS.c.state == 'held'))
    for a, b, moment in connection.execute(held):
        if moment is None:
            continue
        for firm_id in (a, b):
            if firm_id is not None:
                days.setdefault(firm_id, set()).add(_day(moment))
    spans = {}
    for firm_id, cluster_id, first, ended in connection.execute(
            sa.select(SPANS.c.firm_id, SPANS.c.cluster_id, SPANS.c.first_year, SPANS.c.ended_year)):
        spans.setdefault(firm_id, []).append((cluster_id, first, ended))
    rows, counts = [], Counter()
    for firm_id in sorted(days):
        parts = _stretches(sorted(days[firm_id]), spans.get(firm_id, ()))
        if not parts:
            continue
        rows.append(dict(firm_id=firm_id, stretches=";".join(
            f"{year}:{','.join(str(c) for c in clusters)}:{first.isoformat()}:{last.isoformat()}"
            for year, clusters, first, last in parts)))
        for year, clusters, first, last in parts:
            for cluster_id in clusters:
                counts[cluster_id, 'act_from', first.isoformat()] += 1
                counts[cluster_id, 'act_mfrom', first.isoformat()[:7]] += 1
                if last != _year_days(year)[1]:
                    until = (last + timedelta(days=1)).isoformat()
                    counts[cluster_id, 'act_until', until] += 1
                    counts[cluster_id, 'act_muntil', until[:7]] += 1
    for start in range(0, len(rows), 5000):
        op.bulk_insert(keys, rows[start:start + 5000])
    op.execute("DELETE FROM result_counts WHERE dimension IN ('act_from', 'act_until', 'act_mfrom', 'act_muntil')")
    result_counts = sa.table('result_counts', sa.column('scope'), sa.column('dimension'), sa.column('bucket'),
                             sa.column('firms'))
    rows = [dict(scope=s, dimension=d, bucket=b, firms=n) for (s, d, b), n in sorted(counts.items())]
    for start in range(0, len(rows), 5000):
        op.bulk_insert(result_counts, rows[start:start + 5000])


def downgrade():
    op.execute("DELETE FROM result_counts WHERE dimension IN ('act_from', 'act_until', 'act_mfrom', 'act_muntil')")
    op.drop_table('result_activity_keys')
