"""results counted as member firms at the end of each fiscal year: recount result_firm_keys, result_counts

Revision ID: e2f1a9c3d7b5
Revises: 7b3e9d1f0a62
Create Date: 2026-11-30

Hand-written, data only (the tables keep their columns). The kept figures were "approved in year Y, whatever
the membership's status now" and "a member now"; they become, per firm, the fiscal years in which it became a
member and stopped being one ("member+" / "member-", and the same per position and province), from which
the members at the end of any year are summed. The rule is written out here, as portal.admin.rollup.keys_of()
applies it, so that this migration does not change when the application does. Python, not SQL: the fiscal
year of a membership's end (Bangkok time) is computed alike on SQLite and PostgreSQL.
"""
from datetime import timedelta, timezone
from itertools import groupby

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e2f1a9c3d7b5'
down_revision = '7b3e9d1f0a62'
branch_labels = None
depends_on = None

BANGKOK = timezone(timedelta(hours=7))
memberships = sa.table("memberships", sa.column("id", sa.Integer), sa.column("firm_id", sa.Integer),
                       sa.column("cluster_id", sa.Integer), sa.column("status", sa.String),
                       sa.column("fiscal_year", sa.Integer), sa.column("ended_at", sa.DateTime(timezone=True)))
positions = sa.table("membership_positions", sa.column("membership_id", sa.Integer), sa.column("position", sa.String))
firms = sa.table("firms", sa.column("id", sa.Integer), sa.column("province_id", sa.Integer))
keys = sa.table("result_firm_keys", sa.column("scope", sa.Integer), sa.column("dimension", sa.String),
                sa.column("bucket", sa.String), sa.column("firm_id", sa.Integer))
FILL_COUNTS = """
INSERT INTO result_counts (scope, dimension, bucket, firms)
SELECT scope, dimension, bucket, COUNT(*) FROM result_firm_keys GROUP BY scope, dimension, bucket
"""


def _fiscal_year(moment):
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    day = moment.astimezone(BANGKOK).date()
    return (day.year + 1 if day.month >= 10 else day.year) + 543


def _merged(spans):
    out = []
    for start, end in sorted(spans, key=lambda span: span[0]):
        if out and (out[-1][1] is None or start <= out[-1][1]):
            last_start, last_end = out[-1]
            out[-1] = (last_start, None if end is None or last_end is None else max(end, last_end))
        else:
            out.append((start, end))
    return out


def _keys_of(rows):
    spans = {}
    for cluster_id, status, start, ended_at, position, province_id in rows:
        if start is None or status not in ("approved", "left", "removed"):
            continue
        end = None if status == "approved" else _fiscal_year(ended_at) if ended_at is not None else start
        if end is not None and end <= start:
            continue
        categories = [("member", ""), ("province", str(province_id))] + ([("position", position)] if position else [])
        for scope in (0, cluster_id):
            for dimension, category in categories:
                spans.setdefault((scope, dimension, category), []).append((start, end))
    found = set()
    for (scope, dimension, category), listed in spans.items():
        for start, end in _merged(listed):
            found.add((scope, dimension + "+", f"{start}:{category}" if category else str(start)))
            if end is not None:
                found.add((scope, dimension + "-", f"{end}:{category}" if category else str(end)))
    return found


def upgrade():
    bind = op.get_bind()
    op.execute("DELETE FROM result_counts")
    op.execute("DELETE FROM result_firm_keys")
    rows = bind.execute(
        sa.select(memberships.c.firm_id, memberships.c.cluster_id, memberships.c.status, memberships.c.fiscal_year,
                  memberships.c.ended_at, positions.c.position, firms.c.province_id)
        .join(firms, firms.c.id == memberships.c.firm_id)
        .outerjoin(positions, positions.c.membership_id == memberships.c.id)
        .where(memberships.c.fiscal_year.is_not(None)).order_by(memberships.c.firm_id)).all()
    pending = []
    for firm_id, firm_rows in groupby(rows, key=lambda row: row[0]):
        pending += [{"scope": s, "dimension": d, "bucket": b, "firm_id": firm_id}
                    for s, d, b in _keys_of(tuple(row)[1:] for row in firm_rows)]
        if len(pending) >= 5000:
            bind.execute(keys.insert(), pending)
            pending = []
    if pending:
        bind.execute(keys.insert(), pending)
    op.execute(FILL_COUNTS)


# The figures as revision a6bbb127e996 counted them.
OLD_KEYS = """
INSERT INTO result_firm_keys (scope, dimension, bucket, firm_id)
SELECT {scope}, 'year', CAST(m.fiscal_year AS VARCHAR(20)), m.firm_id
  FROM memberships m WHERE m.fiscal_year IS NOT NULL
UNION SELECT {scope}, 'member', '', m.firm_id
  FROM memberships m WHERE m.status = 'approved'
UNION SELECT {scope}, 'position', p.position, m.firm_id
  FROM memberships m JOIN membership_positions p ON p.membership_id = m.id WHERE m.status = 'approved'
UNION SELECT {scope}, 'province', CAST(f.province_id AS VARCHAR(20)), m.firm_id
  FROM memberships m JOIN firms f ON f.id = m.firm_id WHERE m.status = 'approved'
"""


def downgrade():
    op.execute("DELETE FROM result_counts")
    op.execute("DELETE FROM result_firm_keys")
    op.execute(OLD_KEYS.format(scope="0"))
    op.execute(OLD_KEYS.format(scope="m.cluster_id"))
    op.execute(FILL_COUNTS)
