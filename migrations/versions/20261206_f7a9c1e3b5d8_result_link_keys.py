"""result_link_keys: each cluster's network figures kept counted

Revision ID: f7a9c1e3b5d8
Revises: e5b7d9f1a3c6
Create Date: 2026-12-06

Hand-written. The network map of a cluster counted its links on the spot: every partnership and held meeting
of its members up to the year, added up by pair, to find its totals (links, links with firms outside, isolated
members, pairs of lanes with no link) and its 150 best-linked members. For the largest cluster that read every
link of the programme: 1.1 s on SQLite and 1.3 s on PostgreSQL at 1,000,000 firms. portal.admin.rollup now keeps,
per firm, its links (a pair of firms, of one kind: a partnership reported, or a meeting held on a matching day,
from the fiscal year of the first), how many it has at the end of each year they grew in, and the changes it
makes, in each cluster it is a member of at a year's end, to ln_degree (its links), ln_linked (1 when it has
any), ln_inside (its links with firms that are members too) and ln_lanes (those again by the pair of the two
firms' lanes when those differ, bucket "<year>:<lane>-<lane>"): result_counts under the cluster's scope, bucket
the year. Filled here by the rule of portal.admin.rollup.network_row(), written out so that this migration does
not change when the application does.
"""
from collections import Counter

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f7a9c1e3b5d8'
down_revision = 'e5b7d9f1a3c6'
branch_labels = None
depends_on = None

DIMENSIONS = ('ln_degree', 'ln_linked', 'ln_inside', 'ln_lanes')
NO_LANE = 3  # upstream, midstream, downstream: the lanes 0, 1, 2; a member with no position recorded: 3
OUTCOMES = sa.table('collab_outcomes', sa.column('firm_id', sa.Integer()), sa.column('partner_firm_id', sa.Integer()),
                    sa.column('fiscal_year', sa.Integer()))
MEETING_REQUESTS = sa.table('meeting_requests', sa.column('id', sa.Integer()), sa.column('from_firm_id', sa.Integer()),
                            sa.column('to_firm_id', sa.Integer()))
MEETING_KEYS = sa.table('result_meeting_keys', sa.column('request_id', sa.Integer()), sa.column('year', sa.Integer()),
                        sa.column('held', sa.Boolean()))
SPANS = sa.table('result_member_spans', sa.column('firm_id', sa.Integer()), sa.column('cluster_id', sa.Integer()),
                 sa.column('first_year', sa.Integer()), sa.column('ended_year', sa.Integer()),
                 sa.column('positions', sa.Integer()))


def _lane(bits):
    return (bits & -bits).bit_length() - 1 if bits else NO_LANE


def _bits_at(spans, cluster_id, year):
    for span_cluster, first, ended, bits in spans:
        if span_cluster == cluster_id and first <= year and (ended is None or year < ended):
            return bits
    return None


def _row(firm_id, links, spans):
    """(degree, degrees, changes) of one firm: portal.admin.rollup.network_row's rule."""
    grew = Counter(links.values())
    running, degrees = 0, []
    for year in sorted(grew):
        running += grew[year]
        degrees.append(f"{year}:{running}")
    own = spans.get(firm_id, ())
    changes = Counter()
    if own and links:
        clusters = {span[0] for span in own}
        theirs = {other: [span for span in spans.get(other, ()) if span[0] in clusters] for _kind, other in links}
        years = {*links.values(), *(year for found in (own, *theirs.values()) for span in found
                                    for year in span[1:3] if year is not None)}
        before = Counter()
        for year in range(min(years), max(years) + 1):
            now = Counter()
            made = [other for (_kind, other), first in links.items() if first <= year]
            for cluster_id, first, ended, bits in own if made else ():
                if first > year or (ended is not None and year >= ended):
                    continue
                now[cluster_id, 'ln_degree', ''] += len(made)
                now[cluster_id, 'ln_linked', ''] += 1
                lane = _lane(bits)
                for other in made:
                    other_bits = _bits_at(theirs[other], cluster_id, year)
                    if other_bits is None:
                        continue
                    now[cluster_id, 'ln_inside', ''] += 1
                    other_lane = _lane(other_bits)
                    if lane != other_lane and max(lane, other_lane) < NO_LANE:
                        now[cluster_id, 'ln_lanes', f"{min(lane, other_lane)}-{max(lane, other_lane)}"] += 1
            for key in before.keys() | now.keys():
                if now[key] != before[key]:
                    cluster_id, dimension, lanes = key
                    changes[cluster_id, dimension, f"{year}:{lanes}" if lanes else str(year)] += now[key] - before[key]
            before = now
    return len(links), ",".join(degrees), changes


def upgrade():
    keys = op.create_table(
        'result_link_keys',
        sa.Column('firm_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('degree', sa.Integer(), nullable=False),
        sa.Column('degrees', sa.String(), server_default='', nullable=False),
        sa.Column('counts', sa.String(), server_default='', nullable=False),
        sa.PrimaryKeyConstraint('firm_id', name=op.f('pk_result_link_keys')),
    )
    op.create_index('ix_result_link_keys_degree', 'result_link_keys', ['degree', 'firm_id'], unique=False)
    connection = op.get_bind()
    found = [*connection.execute(
        sa.select(OUTCOMES.c.firm_id, OUTCOMES.c.partner_firm_id, sa.literal_column("'p'"),
                  sa.func.min(OUTCOMES.c.fiscal_year))
        .where(OUTCOMES.c.fiscal_year.is_not(None), OUTCOMES.c.firm_id != OUTCOMES.c.partner_firm_id)
        .group_by(OUTCOMES.c.firm_id, OUTCOMES.c.partner_firm_id)),
        *connection.execute(
        sa.select(MEETING_REQUESTS.c.from_firm_id, MEETING_REQUESTS.c.to_firm_id, sa.literal_column("'m'"),
                  sa.func.min(MEETING_KEYS.c.year))
        .select_from(MEETING_KEYS.join(MEETING_REQUESTS, MEETING_REQUESTS.c.id == MEETING_KEYS.c.request_id))
        .where(MEETING_KEYS.c.held.is_(True), MEETING_REQUESTS.c.from_firm_id != MEETING_REQUESTS.c.to_firm_id)
        .group_by(MEETING_REQUESTS.c.from_firm_id, MEETING_REQUESTS.c.to_firm_id))]
    links = {}
    for a, b, kind, year in found:
        if a is None or b is None:
            continue
        for firm, other in ((a, b), (b, a)):
            of_firm = links.setdefault(firm, {})
            if year < of_firm.get((kind, other), year + 1):
                of_firm[kind, other] = year
    spans = {}
    if links:
        for firm_id, *span in connection.execute(sa.select(SPANS.c.firm_id, SPANS.c.cluster_id, SPANS.c.first_year,
                                                           SPANS.c.ended_year, SPANS.c.positions)):
            if firm_id in links:
                spans.setdefault(firm_id, []).append(tuple(span))
    rows, counts = [], Counter()
    for firm_id in sorted(links):
        degree, degrees, changes = _row(firm_id, links[firm_id], spans)
        rows.append(dict(firm_id=firm_id, degree=degree, degrees=degrees, counts=";".join(
            f"{scope} {dimension} {bucket} {change}" for (scope, dimension, bucket), change in sorted(changes.items()))))
        counts.update(changes)
    for start in range(0, len(rows), 5000):
        op.bulk_insert(keys, rows[start:start + 5000])
    op.execute("DELETE FROM result_counts WHERE dimension IN ('ln_degree', 'ln_linked', 'ln_inside', 'ln_lanes')")
    result_counts = sa.table('result_counts', sa.column('scope'), sa.column('dimension'), sa.column('bucket'),
                             sa.column('firms'))
    rows = [dict(scope=s, dimension=d, bucket=b, firms=n) for (s, d, b), n in sorted(counts.items()) if n]
    for start in range(0, len(rows), 5000):
        op.bulk_insert(result_counts, rows[start:start + 5000])
    # The map reads the firms with at least so many links: with no statistics yet, PostgreSQL took a third of
    # the table for them and hashed the cluster's members (87 against 23 ms at 1,000,000 firms).
    op.execute("ANALYZE result_link_keys")


def downgrade():
    op.execute("DELETE FROM result_counts WHERE dimension IN ('ln_degree', 'ln_linked', 'ln_inside', 'ln_lanes')")
    op.drop_index('ix_result_link_keys_degree', table_name='result_link_keys')
    op.drop_table('result_link_keys')
