"""Keep the programme's membership figures counted as memberships change (tables in admin/models.py).

Registered on the application's database sessions by init_app() (called from create_app), not on every
SQLAlchemy session in the process. Flushes that insert, update or delete a membership, a membership
position, or a firm's province note the firms concerned; once per transaction, just before it commits,
those firms are refreshed: their figures are recomputed from their memberships, compared with the stored
ones, and the difference (+1/-1) is added to the counts, in the same transaction. An import that flushes
twice per row refreshes its firms once. This catches every path that goes through the ORM (services,
imports, the demo seed, tests); bulk SQL that bypasses the ORM (bench/directory.py's raw inserts) must
call rebuild() after.

Each cluster's partner pairs (the scorecard's collaboration density) are kept the same way, as changes
per pair of firms (ResultPairKey): a refresh also recomputes the pairs of its firms, from the outcomes
they reported with each other and the two firms' kept membership keys. Flushes that insert, update or
delete an outcome note both its firms. And each firm's spans of membership of each cluster, with its
positions (ResultMemberSpan): what its kept keys say, read once, so that a cluster's members in a year are
rows to read rather than keys to add up.

The request figures (requests posted in a year, and answered) are kept the same way, per request
(ResultRequestKey) and counted in result_counts: flushes that insert or delete a request, move it to
another cluster or year, or insert or delete a response note the request, and refresh_requests() counts
the difference before the transaction commits. So are the meeting figures, per meeting request
(ResultMeetingKey), for the programme and for each cluster one of its two firms is a member of at the end
of the year: its meeting, its matching day, its meeting's slot, and any outcome between its two firms note
it, a refresh that changes a firm's membership spans notes the firm's meeting requests, and
refresh_meetings() recounts them, after the firms. And each cluster's follow-up figures, per question sent
(ResultFollowUpKey): a question made, sent, answered, moved or deleted notes it, a refresh that changes its
firm's spans notes the firm's questions, and refresh_followups() recounts them, last. And each cluster's
network figures (the network map's: links, links with firms outside, linked members, links between lanes), per
firm (ResultLinkKey): an outcome, a meeting request noted or deleted, and a refresh that changes a firm's spans
note the firms concerned (with the firms linked to a firm whose spans changed), and refresh_links() recounts
them after the meetings, whose kept keys say which were held.

Unions of several clusters (a coordinator of two) are kept counted as well, a firm in several of them
once: keep_union() starts keeping one (the dashboard, when a coordinator of several clusters first
looks), and each refresh then merges the firm's keys in those clusters before and after, and counts
the difference.
"""
import json
from collections import Counter
from datetime import date, timedelta
from itertools import groupby

from sqlalchemy import (
    ARRAY,
    Boolean,
    Integer,
    String,
    and_,
    bindparam,
    case,
    delete,
    event,
    func,
    insert,
    inspect,
    literal_column,
    or_,
    select,
    text,
    true,
    union,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from portal.admin.models import (
    ACTIVE_DAYS,
    ACTIVE_FROM,
    ACTIVE_MONTH_FROM,
    ACTIVE_MONTH_UNTIL,
    ACTIVE_UNTIL,
    DIMENSIONS,
    FOLLOWUP_DIMENSIONS,
    JOINED,
    LEFT,
    LINK_DEGREE,
    LINK_INSIDE,
    LINK_LANES,
    LINK_LINKED,
    MEETING_DIMENSIONS,
    MEMBER,
    MEMBER_KEYS,
    POSITION,
    POSITION_BITS,
    PROGRAMME,
    PROVINCE,
    REQUEST_DIMENSIONS,
    ResultActivityKey,
    ResultCount,
    ResultFirmKey,
    ResultFollowUpKey,
    ResultLinkKey,
    ResultMeetingKey,
    ResultMemberSpan,
    ResultPairKey,
    ResultRequestKey,
    ResultUnion,
    lane_of,
)
from portal.clusters.models import Membership, MembershipPosition, MembershipStatus
from portal.collab.models import CollabRequest, Outcome, Response
from portal.db import among, among_ids, among_kept, kept_statement
from portal.events.models import Event, Meeting, MeetingRequest, MeetingState, Slot
from portal.firms.models import Firm
from portal.followup.models import FollowUp
from portal.thai import fiscal_year, to_bangkok, year_days

KEYS, COUNTS, UNIONS, PAIRS, SPANS = (ResultFirmKey.__table__, ResultCount.__table__, ResultUnion.__table__,
                                      ResultPairKey.__table__, ResultMemberSpan.__table__)
REQUEST_KEYS, MEETING_KEYS, FOLLOWUP_KEYS, ACTIVITY_KEYS = (ResultRequestKey.__table__, ResultMeetingKey.__table__,
                                                           ResultFollowUpKey.__table__, ResultActivityKey.__table__)
LINK_KEYS = ResultLinkKey.__table__
_PAIR_COLUMNS = (PAIRS.c.cluster_id, PAIRS.c.low_firm_id, PAIRS.c.high_firm_id, PAIRS.c.year, PAIRS.c.change)
_SPAN_COLUMNS = (SPANS.c.cluster_id, SPANS.c.firm_id, SPANS.c.first_year, SPANS.c.ended_year, SPANS.c.positions)
_KEY_COLUMNS = (KEYS.c.firm_id, KEYS.c.scope, KEYS.c.dimension, KEYS.c.bucket)  # as refresh() holds a key
_FIRMS, _MEMBERSHIPS = "results_rollup_firms", "results_rollup_memberships"  # keys of session.info
_REQUESTS = "results_rollup_requests"
# Meeting requests, and what leads to them: matching days, slots, pairs of firms (an outcome's)
_MEETINGS, _EVENTS, _SLOTS, _PAIRS = ("results_rollup_meetings", "results_rollup_events", "results_rollup_slots",
                                      "results_rollup_pairs")
_NEW_MEETINGS = "results_rollup_new_meetings"  # meeting requests inserted: their firms are locked (a race)
_FOLLOWUPS = "results_rollup_followups"
_ACTIVITY = "results_rollup_activity"  # firms that posted, responded or lost a meeting request
_LINKS = "results_rollup_links"  # firms that reported or lost a partnership, or lost a meeting request
# Firms locked FOR UPDATE (refresh()) during one _refresh_noted_firms: the later refreshes of those firms (activity,
# links) need no lock of their own, FOR UPDATE being stronger than FOR NO KEY UPDATE and held to the commit
_LOCKED = "results_rollup_locked_firms"
_NOTES = (_FIRMS, _MEMBERSHIPS, _REQUESTS, _MEETINGS, _NEW_MEETINGS, _EVENTS, _SLOTS, _PAIRS, _FOLLOWUPS, _ACTIVITY,
          _LINKS)
S = MembershipStatus
_WAS_APPROVED = (S.APPROVED, S.LEFT, S.REMOVED)  # statuses of memberships that were approved once


def bucket(year: int, category: str = "") -> str:
    return f"{year}:{category}" if category else str(year)


def spans_of(rows) -> dict[tuple[int, str, str], list[tuple[int, int | None]]]:
    """{(scope, dimension, category): [(first year, year ended or None)]} of a firm, from (cluster id,
    status, fiscal year approved, ended at, position or None, province id) of its memberships, one row per
    position. A firm is a member at the end of year Y when first <= Y < ended. Spans that touch or overlap
    are merged, so that a firm in two clusters, or at two positions, counts once."""
    spans = {}
    for cluster_id, status, start, ended_at, position, province_id in rows:
        status = S(status)
        if start is None or status not in _WAS_APPROVED:
            continue
        # An ended membership whose end was not recorded (data from before ended_at) counts in no year end.
        end = None if status is S.APPROVED else fiscal_year(ended_at) if ended_at is not None else start
        if end is not None and end <= start:
            continue
        categories = [(MEMBER, ""), (PROVINCE, str(province_id))]
        if position is not None:
            categories.append((POSITION, getattr(position, "value", position)))
        for scope in (PROGRAMME, cluster_id):
            for dimension, category in categories:
                spans.setdefault((scope, dimension, category), []).append((start, end))
    return {key: merged(found) for key, found in spans.items()}


def merged(spans) -> list[tuple[int, int | None]]:
    """Year spans [first, ended) joined where they touch or overlap (None: still a member)."""
    out = []
    for start, end in sorted(spans, key=lambda span: span[0]):
        if out and (out[-1][1] is None or start <= out[-1][1]):
            last_start, last_end = out[-1]
            out[-1] = (last_start, None if end is None or last_end is None else max(end, last_end))
        else:
            out.append((start, end))
    return out


def keys_of(rows) -> set[tuple[int, str, str]]:
    """(scope, dimension, bucket) a firm counts in: a "+" key in each year it became a member, a "-" key in
    each year it stopped being one (rows as for spans_of). The rule written once, in Python; rebuild() uses
    it too."""
    keys = set()
    for (scope, dimension, category), spans in spans_of(rows).items():
        for start, end in spans:
            keys.add((scope, dimension + JOINED, bucket(start, category)))
            if end is not None:
                keys.add((scope, dimension + LEFT, bucket(end, category)))
    return keys


def union_keys(keys) -> set[tuple[str, str]]:
    """(dimension, bucket) a firm counts in across several clusters, from its kept keys (scope, dimension,
    bucket) in each of them: the spans each cluster's keys mark (its "+" and "-" years in order), merged."""
    found = {}  # (scope, dimension, category) -> ([first years], [years ended])
    for scope, dimension, key_bucket in keys:
        year, _sep, category = key_bucket.partition(":")
        starts, ends = found.setdefault((scope, dimension[:-1], category), ([], []))
        (starts if dimension.endswith(JOINED) else ends).append(int(year))
    spans = {}  # (dimension, category) -> spans in any of the clusters
    for (_scope, dimension, category), (starts, ends) in found.items():
        starts, ends = sorted(starts), sorted(ends)
        spans.setdefault((dimension, category), []).extend(
            (start, ends[n] if n < len(ends) else None) for n, start in enumerate(starts))
    out = set()
    for (dimension, category), found_spans in spans.items():
        for start, end in merged(found_spans):
            out.add((dimension + JOINED, bucket(start, category)))
            if end is not None:
                out.add((dimension + LEFT, bucket(end, category)))
    return out


def member_spans(keys) -> dict[tuple[int, int], list[tuple[int, int | None]]]:
    """{(firm id, cluster id): [(first year, year ended or None)]} from kept membership keys (firm id,
    scope, dimension, bucket) of clusters: within one cluster a firm's keys mark merged spans, so its
    "+" years and its "-" years, each in order, pair up."""
    found = {}
    for firm_id, scope, dimension, key_bucket in keys:
        starts, ends = found.setdefault((firm_id, scope), ([], []))
        (starts if dimension == MEMBER + JOINED else ends).append(int(key_bucket))
    spans = {}
    for key, (starts, ends) in found.items():
        starts, ends = sorted(starts), sorted(ends)
        spans[key] = [(start, ends[n] if n < len(ends) else None) for n, start in enumerate(starts)]
    return spans


def member_segments(keys) -> set[tuple[int, int, int, int | None, int]]:
    """(cluster id, firm id, first year, year ended or None, positions as POSITION_BITS) of each stretch of
    years over which a firm is a member of a cluster with the same positions, from its kept membership and
    position keys (firm id, scope, dimension, bucket) of clusters: the spans each dimension's keys mark (as
    member_spans reads them), cut where any of them starts or ends, the years a member kept, neighbours
    with the same positions joined. The rule written once; rebuild() uses it too."""
    marks = {}  # (firm id, cluster id) -> {position code or "" for the membership: ([first years], [ends])}
    for firm_id, scope, dimension, key_bucket in keys:
        if scope <= PROGRAMME or dimension[:-1] not in (MEMBER, POSITION):
            continue
        year, _sep, code = key_bucket.partition(":")
        starts, ends = marks.setdefault((firm_id, scope), {}).setdefault(code, ([], []))
        (starts if dimension.endswith(JOINED) else ends).append(int(year))
    found = set()
    for (firm_id, cluster_id), by_code in marks.items():
        spans = {}
        for code, (starts, ends) in by_code.items():
            starts, ends = sorted(starts), sorted(ends)
            spans[code] = [(start, ends[n] if n < len(ends) else None) for n, start in enumerate(starts)]
        cuts = sorted({year for found_spans in spans.values() for span in found_spans for year in span
                       if year is not None})
        pieces = []  # [first, ended, bits], in order
        for n, year in enumerate(cuts):
            if not _holds(spans.get("", ()), year):
                continue
            bits = sum(POSITION_BITS.get(code, 0) for code in spans if code and _holds(spans[code], year))
            ended = cuts[n + 1] if n + 1 < len(cuts) else None
            if pieces and pieces[-1][1] == year and pieces[-1][2] == bits:
                pieces[-1][1] = ended
            else:
                pieces.append([year, ended, bits])
        found.update((cluster_id, firm_id, first, ended, bits) for first, ended, bits in pieces)
    return found


def _holds(spans, year: int) -> bool:
    """One of these spans [first, ended) holds at the end of `year`."""
    return any(start <= year and (end is None or year < end) for start, end in spans)


def pair_keys_of(spans, partnerships) -> set[tuple[int, int, int, int, int]]:
    """(cluster id, low firm id, high firm id, year, change) of these partnerships ({(low, high): the
    first fiscal year one was reported}), given the firms' member_spans: a pair counts in a cluster at the
    end of year Y when both firms are members at the end of Y and their first partnership is of Y or
    before. "+1" in each year that starts holding, "-1" in each year it stops. The rule written once;
    rebuild() uses it too."""
    clusters_of = {}
    for firm_id, cluster_id in spans:
        clusters_of.setdefault(firm_id, set()).add(cluster_id)
    keys = set()
    for (low, high), first in partnerships.items():
        for cluster_id in clusters_of.get(low, set()) & clusters_of.get(high, set()):
            both = []
            for low_start, low_end in spans[low, cluster_id]:
                for high_start, high_end in spans[high, cluster_id]:
                    start = max(low_start, high_start, first)
                    ends = [end for end in (low_end, high_end) if end is not None]
                    end = min(ends) if ends else None
                    if end is None or start < end:
                        both.append((start, end))
            for start, end in merged(both):
                keys.add((cluster_id, low, high, start, 1))
                if end is not None:
                    keys.add((cluster_id, low, high, end, -1))
    return keys


def _partnerships(session: Session, firm_ids=None) -> dict[tuple[int, int], int]:
    """{(low firm id, high firm id): first fiscal year} of the partnerships two firms reported with each
    other (scorecard.queries.partnerships_until's outcomes), of these firms (all when None)."""
    rows = _run_among(session, "partnerships", lambda of: (
        select(Outcome.firm_id, Outcome.partner_firm_id, func.min(Outcome.fiscal_year))
        .where(Outcome.fiscal_year.is_not(None), Outcome.firm_id != Outcome.partner_firm_id,
               or_(of(Outcome.firm_id), of(Outcome.partner_firm_id)))
        .group_by(Outcome.firm_id, Outcome.partner_firm_id)), firm_ids)
    found = {}
    for firm_id, partner_id, year in rows:
        pair = (min(firm_id, partner_id), max(firm_id, partner_id))
        found[pair] = min(year, found.get(pair, year))
    return found


def _partners(partnerships) -> set[int]:
    return {firm for pair in partnerships for firm in pair}


def _lock_firms(session: Session, firm_ids, share: bool = False) -> set[int]:
    """Lock these firms' rows (SELECT … FOR UPDATE, in id order; FOR KEY SHARE when `share`, which waits
    only for a refresh of them); returns their ids."""
    firm_ids = set(firm_ids)
    if firm_ids:
        _run_among(session, ("lock_firms", share), lambda of: (
            select(Firm.id).where(of(Firm.id)).order_by(Firm.id).with_for_update(read=share, key_share=share)),
            sorted(firm_ids))
        if not share and _LOCKED in session.info:
            session.info[_LOCKED].update(firm_ids)
    return firm_ids


def _member_keys(session: Session, firm_ids=None):
    """The kept membership keys (firm id, scope, dimension, bucket) of clusters, of these firms (all when
    None); MEMBER_KEYS as written, for the partial index."""
    return _run_among(session, "member_keys", lambda of: select(*_KEY_COLUMNS).where(
        text(MEMBER_KEYS), KEYS.c.scope > PROGRAMME, of(KEYS.c.firm_id)), firm_ids).all()


def _refresh_pairs(session: Session, firm_ids: list[int], partnerships) -> None:
    """Bring the kept pair keys of these firms in line with their partnerships and the kept membership
    keys (already refreshed) of both firms of each."""
    involved = sorted(set(firm_ids) | _partners(partnerships))
    wanted = pair_keys_of(member_spans(_member_keys(session, involved)), partnerships)
    def theirs(of):
        return or_(of(PAIRS.c.low_firm_id), of(PAIRS.c.high_firm_id))

    stored = set(_run_among(session, "pairs", lambda of: select(*_PAIR_COLUMNS).where(theirs(of)), firm_ids).all())
    if wanted == stored:
        return
    _run_among(session, "pairs_gone", lambda of: delete(PAIRS).where(theirs(of)), firm_ids)
    _insert_rows(session, PAIRS, _PAIR_COLUMNS, sorted(wanted))


def _refresh_spans(session: Session, firm_ids: list[int], wanted_keys) -> set[int]:
    """Bring the kept membership spans of these firms in line with their kept keys (`wanted_keys`, as
    refresh() computed them); returns the firms whose spans changed."""
    wanted = member_segments(wanted_keys)
    stored = set(_run_among(session, "spans", lambda of: select(*_SPAN_COLUMNS).where(of(SPANS.c.firm_id)),
                            firm_ids).all())
    if wanted == stored:
        return set()
    _run_among(session, "spans_gone", lambda of: delete(SPANS).where(of(SPANS.c.firm_id)), firm_ids)
    _insert_rows(session, SPANS, _SPAN_COLUMNS, sorted(wanted, key=_span_order))
    return {span[1] for span in wanted ^ stored}


def _span_order(span):
    return span[:3]


def _insert_rows(session: Session, table, columns, rows, batch: int = 5000) -> None:
    """Insert these rows (tuples in the columns' order) into a kept table, `batch` rows per statement."""
    names = [column.name for column in columns]
    for start in range(0, len(rows), batch):
        session.execute(insert(table), [dict(zip(names, row, strict=True)) for row in rows[start:start + batch]])


def refresh(session: Session, firm_ids) -> set[int]:
    """Bring the stored figures of these firms in line with their memberships (no commit); returns the firms
    whose membership spans changed (their meetings count in other clusters now). However many firms, each
    statement has the same SQL: the ids and keys go in bound parameters (portal.db.among, _rows)."""
    ids = sorted({i for i in firm_ids if i is not None})
    if not ids:
        return set()
    unions = _kept_unions(session)
    # Lock the firms and their partners (PostgreSQL; SQLite has one writer anyway) so that two
    # transactions changing one firm's memberships, or the two firms of a pair, compute its figures one
    # after the other, each seeing the other's result; in one statement, in id order (no deadlock).
    locked = _lock_firms(session, set(ids) | _partners(_partnerships(session, ids)))
    # A partnership committed while this waited for the locks is read now; its new partner locked too.
    partnerships = _partnerships(session, ids)
    _lock_firms(session, _partners(partnerships) - locked)
    wanted = _wanted_keys(session, ids)
    stored = set(_run_among(session, "keys", lambda of: select(
        KEYS.c.firm_id, KEYS.c.scope, KEYS.c.dimension, KEYS.c.bucket).where(of(KEYS.c.firm_id)), ids).all())
    added, removed = sorted(wanted - stored), sorted(stored - wanted)
    if removed:
        _delete_keys(session, removed)
    if added:
        session.execute(insert(KEYS).from_select([c.name for c in _KEY_COLUMNS],
                                                 select(_rows(session, _KEY_COLUMNS, added))))
    deltas = Counter()
    for _firm, *key in added:
        deltas[tuple(key)] += 1
    for _firm, *key in removed:
        deltas[tuple(key)] -= 1
    if unions and (added or removed):
        deltas.update(_union_deltas(unions, wanted, stored, {firm for firm, *_ in added + removed}))
    _add_to_counts(session, deltas)
    changed = _refresh_spans(session, ids, wanted)
    _refresh_pairs(session, ids, partnerships)
    return changed


def _delete_keys(session: Session, keys) -> None:
    """Delete these (firm id, scope, dimension, bucket) keys, joined to the rows sent as parameters.

    Not a row-wise IN list: PostgreSQL nests one OR per key (7 s for 4,000 keys; "stack depth limit
    exceeded" from ~12,800), and psycopg refuses more than 65,535 parameters. Not a row-wise IN
    subquery on SQLite either: that probes the primary key by its first column only (scope, the whole
    programme's keys under scope 0); the join finds each key by its whole primary key."""
    if session.get_bind().dialect.name == "postgresql":
        # Their firms' keys read by the firm index, then hash-joined: 4x faster than a primary-key probe
        # per key (20,000 keys of 1,500 firms on the 100k-firm bench database, 150 ms against 600 ms).
        gone = _rows(session, _KEY_COLUMNS, keys)
        session.execute(delete(KEYS).where(among(KEYS.c.firm_id, session=session, ids=sorted({key[0] for key in keys})),
                                           *(column == gone.c[column.name] for column in _KEY_COLUMNS)))
        return
    key = KEYS.alias("gone_key")  # an alias: the subquery must not correlate with the table deleted from
    gone = _rows(session, [key.c[column.name] for column in _KEY_COLUMNS], keys)
    found = (select(literal_column("gone_key.rowid")).select_from(gone)
             .join(key, and_(*(key.c[column.name] == gone.c[column.name] for column in _KEY_COLUMNS))))
    session.execute(delete(KEYS).where(literal_column("rowid").in_(found)))


def _rows(session: Session, columns, rows):
    """These rows (tuples of int and str) as a subquery with the columns' names, sent as one parameter
    per column: arrays unnested together on PostgreSQL, a JSON array walked by json_each on SQLite."""
    names = [column.name for column in columns]
    if session.get_bind().dialect.name == "postgresql":
        arrays = [bindparam(f"rows_{name}", [row[n] for row in rows],
                            type_=ARRAY(Integer if isinstance(column.type, Integer) else String))
                  for n, (name, column) in enumerate(zip(names, columns, strict=True))]
        unnested = func.unnest(*arrays).table_valued(*names).render_derived()
        return select(*(unnested.c[name] for name in names)).subquery()
    each = func.json_each(bindparam("rows", json.dumps([list(row) for row in rows]))).table_valued("value")
    return select(*(func.json_extract(each.c.value, f"$[{n}]").label(name)
                    for n, name in enumerate(names))).subquery()


def _union_deltas(unions, wanted, stored, firm_ids) -> Counter:
    """The change in each kept union's counts when these firms' keys go from `stored` to `wanted`."""
    now, before = {}, {}
    for keys, by_firm in ((wanted, now), (stored, before)):
        for firm_id, scope, dimension, key_bucket in keys:
            if firm_id in firm_ids and scope != PROGRAMME:
                by_firm.setdefault(firm_id, []).append((scope, dimension, key_bucket))
    deltas = Counter()
    for firm_id in firm_ids:
        firm_now, firm_before = now.get(firm_id, []), before.get(firm_id, [])
        for scope, clusters in unions.items():
            wanted_keys = union_keys(key for key in firm_now if key[0] in clusters)
            stored_keys = union_keys(key for key in firm_before if key[0] in clusters)
            for key in wanted_keys - stored_keys:
                deltas[(scope, *key)] += 1
            for key in stored_keys - wanted_keys:
                deltas[(scope, *key)] -= 1
    return deltas


def _kept_unions(session: Session) -> dict[int, frozenset[int]]:
    """{scope: its clusters} of every union kept counted. On PostgreSQL the table is share-locked to the
    end of the transaction, so that keep_union() cannot start keeping a union (counting it from the
    keys) while this transaction changes keys it has not seen, nor after without this one counting it."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(kept_statement(("lock_unions",), lambda: text("LOCK TABLE result_unions IN SHARE MODE")))
    return {-union_id: frozenset(int(i) for i in cluster_ids.split(","))
            for union_id, cluster_ids in session.execute(kept_statement(
                ("unions",), lambda: select(UNIONS.c.id, UNIONS.c.cluster_ids)))}


def union_scope(session: Session, cluster_ids) -> int | None:
    """The scope whose counts are those of these clusters together, a firm in several of them once, or
    None while that union is not kept (keep_union() starts keeping it)."""
    found = session.scalar(select(UNIONS.c.id).where(UNIONS.c.cluster_ids == _union_key(cluster_ids)))
    return None if found is None else -found


def keep_union(session: Session, cluster_ids) -> bool:
    """Start keeping these clusters counted together: counted now from the kept keys (the cost of
    counting the union on the spot, once), then kept up to date by every refresh. True when it started
    now (flushed; the caller commits). False when it is kept already, or cannot start now because
    another transaction is refreshing figures (PostgreSQL): never wait, the next request tries again."""
    key = _union_key(cluster_ids)
    if session.scalar(select(UNIONS.c.id).where(UNIONS.c.cluster_ids == key)) is not None:
        return False
    try:
        with session.begin_nested():
            if session.get_bind().dialect.name == "postgresql":
                session.execute(text("LOCK TABLE result_unions IN EXCLUSIVE MODE NOWAIT"))
            if session.scalar(select(UNIONS.c.id).where(UNIONS.c.cluster_ids == key)) is not None:
                return False  # another worker started keeping it meanwhile
            union = ResultUnion(cluster_ids=key)
            session.add(union)
            session.flush()
            _insert_counts(session, -union.id, union_counts(session, cluster_ids))
    except OperationalError:  # the lock is taken: figures are being refreshed, or another worker adds one
        return False
    return True


def _union_key(cluster_ids) -> str:
    return ",".join(str(i) for i in sorted(set(cluster_ids)))


def union_counts(session: Session, cluster_ids) -> Counter:
    """{(dimension, bucket): firms} of several clusters together, counted from their kept counts and keys:
    the clusters' counts added up, then corrected for the firms in more than one of them."""
    scopes = sorted(set(cluster_ids))
    totals = Counter()
    for dimension, key_bucket, firms in session.execute(
            select(COUNTS.c.dimension, COUNTS.c.bucket, COUNTS.c.firms)
            .where(COUNTS.c.scope.in_(scopes), COUNTS.c.firms != 0)):
        totals[dimension, key_bucket] += firms
    if len(scopes) > 1:
        for dimension, category, year, joined, left in session.execute(_shared_firm_corrections(scopes)):
            totals[dimension + JOINED, bucket(int(year), category)] += joined
            totals[dimension + LEFT, bucket(int(year), category)] += left
    return +totals


def _shared_firm_corrections(scopes: list[int]):
    """(dimension, category, year, + correction, - correction) for the firms in more than one of `scopes`.

    Adding up the clusters' kept counts counts such a firm once per cluster. Its kept keys in each cluster
    mark the years it became (+) and stopped being (-) a member there; summed over the clusters in year
    order, they give how many of the clusters it is a member of at the end of each year. The firm counts
    once in the union: a "+" where that number rises from 0, a "-" where it falls to 0 (union_keys() in
    SQL). The correction is those less the keys the clusters' counts hold, grouped by figure. Buckets are
    "<year>" or "<year>:<category>" with a four-digit Buddhist Era year.
    """
    keys = KEYS.c
    shared = (select(keys.firm_id).where(keys.scope.in_(scopes), keys.dimension == MEMBER + JOINED)
              .group_by(keys.firm_id).having(func.min(keys.scope) != func.max(keys.scope)))
    plus = case((keys.dimension.in_([dimension + JOINED for dimension in DIMENSIONS]), 1), else_=0)
    rows = (select(keys.firm_id, func.substr(keys.dimension, 1, func.length(keys.dimension) - 1).label("dimension"),
                   func.substr(keys.bucket, 6).label("category"), func.substr(keys.bucket, 1, 4).label("year"),
                   plus.label("plus"))
            .where(keys.scope.in_(scopes), keys.firm_id.in_(shared)).subquery())
    # One row per firm, figure and year: the change summed over the clusters, and the keys it replaces.
    per_year = (select(rows.c.firm_id, rows.c.dimension, rows.c.category, rows.c.year,
                       func.sum(2 * rows.c.plus - 1).label("change"), func.sum(rows.c.plus).label("plus"),
                       func.count().label("kept"))
                .group_by(rows.c.firm_id, rows.c.dimension, rows.c.category, rows.c.year).subquery())
    running = (select(per_year, func.sum(per_year.c.change).over(
        partition_by=(per_year.c.firm_id, per_year.c.dimension, per_year.c.category),
        order_by=per_year.c.year).label("clusters_after")).subquery())
    before = running.c.clusters_after - running.c.change
    joined = (func.sum(case((and_(before <= 0, running.c.clusters_after > 0), 1), else_=0))
              - func.sum(running.c.plus))
    left = (func.sum(case((and_(before > 0, running.c.clusters_after <= 0), 1), else_=0))
            - func.sum(running.c.kept - running.c.plus))
    return (select(running.c.dimension, running.c.category, running.c.year, joined, left)
            .group_by(running.c.dimension, running.c.category, running.c.year))


def _insert_counts(session: Session, scope: int, counts: Counter) -> None:
    rows = [dict(scope=scope, dimension=d, bucket=b, firms=n) for (d, b), n in sorted(counts.items()) if n]
    if rows:
        session.execute(insert(COUNTS), rows)


def _membership_rows(criterion=None):
    """(firm id, cluster id, status, fiscal year, ended at, position, province id), by firm; of the
    memberships meeting `criterion` (all when None)."""
    query = (select(Membership.firm_id, Membership.cluster_id, Membership.status, Membership.fiscal_year,
                    Membership.ended_at, MembershipPosition.position, Firm.province_id)
             .join(Firm, Firm.id == Membership.firm_id)
             .outerjoin(MembershipPosition, MembershipPosition.membership_id == Membership.id)
             .where(Membership.fiscal_year.is_not(None)))
    if criterion is not None:
        query = query.where(criterion)
    return query.order_by(Membership.firm_id)


def _wanted_keys(session: Session, firm_ids: list[int]) -> set[tuple[int, int, str, str]]:
    """(firm id, scope, dimension, bucket) the firms count in now, from their memberships."""
    by_firm = {firm_id: [] for firm_id in firm_ids}
    for firm_id, *row in _run_among(session, "membership_rows", lambda of: _membership_rows(of(Membership.firm_id)),
                                    firm_ids):
        by_firm[firm_id].append(row)
    return {(firm_id, *key) for firm_id, rows in by_firm.items() for key in keys_of(rows)}


def _add_to_counts(session: Session, deltas: Counter) -> None:
    rows = [(s, d, b, n) for (s, d, b), n in sorted(deltas.items()) if n]
    if not rows:
        return
    dialect = {"postgresql": postgresql, "sqlite": sqlite}[session.get_bind().dialect.name]
    columns = (COUNTS.c.scope, COUNTS.c.dimension, COUNTS.c.bucket, COUNTS.c.firms)
    found = _rows(session, columns, rows)
    # Sorted, so that concurrent transactions lock the count rows in the same order (no deadlock). The
    # WHERE lets SQLite tell the upsert's ON CONFLICT from a join's ON.
    upsert = dialect.insert(COUNTS).from_select([column.name for column in columns], select(found).where(true())
                                                .order_by(found.c.scope, found.c.dimension, found.c.bucket))
    session.execute(upsert.on_conflict_do_update(
        index_elements=[COUNTS.c.scope, COUNTS.c.dimension, COUNTS.c.bucket],
        set_={"firms": COUNTS.c.firms + upsert.excluded.firms}))


def rebuild(session: Session, batch: int = 5000) -> int:
    """Recompute every stored figure and membership span from the memberships, the partner pairs from them
    and the outcomes, the request figures from the requests and responses, and the meeting and follow-up
    figures from the meetings and questions and the new spans, in the caller's transaction; returns the
    number of firm figures. For after bulk loads that bypass the ORM, and to repair by hand."""
    # The unions first, share-locked as a refresh does: keep_union() (which holds result_unions while it
    # reads the keys) then either gives up at once or finishes before this locks the keys; no deadlock.
    unions = _kept_unions(session)
    if session.get_bind().dialect.name == "postgresql":
        # Flushes in other transactions wait for this one, and this one for theirs: no lost update.
        session.execute(text("LOCK TABLE result_firm_keys, result_counts, result_pair_keys, result_member_spans, "
                             "result_request_keys, result_meeting_keys, result_followup_keys, result_activity_keys, "
                             "result_link_keys IN ACCESS EXCLUSIVE MODE"))
    for table in (COUNTS, KEYS, PAIRS, SPANS):
        session.execute(delete(table))
    pending, spans, total = [], [], 0
    rows = session.execute(_membership_rows()).all()
    for firm_id, firm_rows in groupby(rows, key=lambda row: row[0]):
        keys = keys_of(row[1:] for row in firm_rows)
        pending += [dict(firm_id=firm_id, scope=s, dimension=d, bucket=b) for s, d, b in keys]
        spans += member_segments((firm_id, *key) for key in keys)
        if len(pending) >= batch:
            session.execute(insert(KEYS), pending)
            total, pending = total + len(pending), []
    if pending:
        session.execute(insert(KEYS), pending)
        total += len(pending)
    session.execute(insert(COUNTS).from_select(
        ["scope", "dimension", "bucket", "firms"],
        select(KEYS.c.scope, KEYS.c.dimension, KEYS.c.bucket, func.count())
        .group_by(KEYS.c.scope, KEYS.c.dimension, KEYS.c.bucket)))
    for scope, clusters in unions.items():
        _insert_counts(session, scope, union_counts(session, clusters))
    _insert_rows(session, SPANS, _SPAN_COLUMNS, sorted(spans, key=_span_order), batch)
    _insert_rows(session, PAIRS, _PAIR_COLUMNS,
                 sorted(pair_keys_of(member_spans(_member_keys(session)), _partnerships(session))), batch)
    _rebuild_requests(session)
    _rebuild_meetings(session, batch)
    _rebuild_followups(session, batch)
    _rebuild_activity(session, batch)
    _rebuild_links(session, batch)
    return total


# --- the request figures ----------------------------------------------------------------------------

def request_keys_of(cluster_id: int, year: int, answered: bool) -> list[tuple[int, str, str]]:
    """(scope, dimension, bucket) a request counts in: posted in its year, in the programme and in its
    cluster (0: open to all, the programme's only), and answered there too once a firm responded."""
    scopes = [PROGRAMME, cluster_id] if cluster_id else [PROGRAMME]
    dimensions = REQUEST_DIMENSIONS if answered else REQUEST_DIMENSIONS[:1]
    return [(scope, dimension, bucket(year)) for scope in scopes for dimension in dimensions]


def _request_rows(criterion):
    """(id, cluster id or 0, fiscal year, answered) of the requests meeting `criterion` that count in a
    year: the dashboard's definitions (portal.admin.dashboard.answered)."""
    from portal.admin.dashboard import answered

    return (select(CollabRequest.id, func.coalesce(CollabRequest.cluster_id, 0), CollabRequest.fiscal_year,
                   answered())
            .where(CollabRequest.fiscal_year.is_not(None), criterion))


def refresh_requests(session: Session, request_ids) -> None:
    """Bring the kept request figures of these requests in line with the requests and their responses
    (no commit): what each counts in now against what its kept key says, the difference added to the
    counts. On PostgreSQL the requests are locked first (FOR NO KEY UPDATE, in id order, which a
    response's foreign key check does not wait for), so that two firms responding at once to an
    unanswered request count it answered once: the second reads the first's key after it commits."""
    _refresh_kept(session, REQUEST_KEYS, CollabRequest.id, request_ids, _wanted_requests, request_keys_of)


def _wanted_requests(session: Session, criteria) -> dict[int, tuple]:
    """{request id: (cluster id or 0, fiscal year, answered)} of the requests meeting `criteria`."""
    return {request_id: (cluster_id, year, bool(answered))
            for request_id, cluster_id, year, answered in session.execute(_request_rows(and_(*criteria)))}


def _lock_rows(session: Session, id_column, ids) -> None:
    """On PostgreSQL, lock these rows (FOR NO KEY UPDATE, in id order: a foreign key check of a row that
    points at one does not wait for it), so that two transactions recount one row's figures one after
    the other; SQLite has one writer anyway. Firms this refresh locked FOR UPDATE already (_LOCKED) are left
    out: a membership decided locked its firm so, and its activity and links locked it again, two statements."""
    if id_column is Firm.id:
        ids = sorted(set(ids) - session.info.get(_LOCKED, set()))
    if ids and session.get_bind().dialect.name == "postgresql":
        _run_among(session, ("lock_rows", id_column.class_.__tablename__), lambda of: (
            select(id_column).where(of(id_column)).order_by(id_column).with_for_update(key_share=True)), ids)


def _refresh_kept(session: Session, table, source_id, ids, wanted_of, keys_of) -> None:
    """The kept rows of `table` (an id, then what the row counts in) of these ids (of `source_id`'s rows)
    brought in line with what they count in now, wanted_of(session, criteria) ({id: values}, none for a
    row that counts nowhere now), and the counts moved by the keys (keys_of(*values)) each row leaves and
    enters. The rows are locked first (_lock_rows)."""
    ids = sorted({i for i in ids if i is not None})
    if not ids:
        return
    _lock_rows(session, source_id, ids)
    wanted = wanted_of(session, [among(source_id, session=session, ids=ids)])
    id_column, *columns = table.c
    stored = {row_id: tuple(bool(v) if isinstance(c.type, Boolean) else v for c, v in zip(columns, values, strict=True))
              for row_id, *values in _run_among(session, ("kept_rows", table.name),
                                                lambda of: select(table).where(of(id_column)), ids)}
    deltas, gone, added = Counter(), [], []
    for row_id in ids:
        now, before = wanted.get(row_id), stored.get(row_id)
        if now == before:
            continue
        if before is not None:
            gone.append(row_id)
            deltas.subtract(keys_of(*before))
        if now is not None:
            added.append(dict(zip([c.name for c in table.c], (row_id, *now), strict=True)))
            deltas.update(keys_of(*now))
    if gone:
        _run_among(session, ("kept_rows_gone", table.name), lambda of: delete(table).where(of(id_column)), gone)
    if added:
        session.execute(insert(table), added)
    _add_to_counts(session, deltas)


def _rebuild_requests(session: Session) -> None:
    """Every request's kept key and the request counts, recounted in SQL (rebuild(): the counts table is
    empty of them by then)."""
    session.execute(delete(REQUEST_KEYS))
    session.execute(insert(REQUEST_KEYS).from_select(["request_id", "cluster_id", "year", "answered"],
                                                     _request_rows(true())))
    keys = REQUEST_KEYS.c
    year = keys.year.cast(String)
    # The programme's scope is a constant, not grouped by (PostgreSQL would read GROUP BY 0 as a position).
    for scope, grouped, of_scope in ((literal_column(str(PROGRAMME)), [], []),
                                     (keys.cluster_id, [keys.cluster_id], [keys.cluster_id != 0])):
        for dimension, counted in zip(REQUEST_DIMENSIONS, ([], [keys.answered.is_(True)]), strict=True):
            session.execute(insert(COUNTS).from_select(
                ["scope", "dimension", "bucket", "firms"],
                select(scope, literal_column(f"'{dimension}'"), year, func.count())
                .where(*of_scope, *counted).group_by(*grouped, year)))


# --- the meeting figures ------------------------------------------------------------------------------

_FLAGS = MEETING_DIMENSIONS[1:]  # held, no_show, continued, agreed: the flags of a meeting request's key


def meeting_keys_of(year: int, held: bool, no_show: bool, continued: bool, agreed: bool,
                    clusters: str) -> list[tuple[int, str, str]]:
    """(scope, dimension, bucket) a meeting request counts in: requested in the year of its matching day,
    and held, no-show, continued, agreed there as its flags say; in the programme, and in each of
    `clusters` (ids joined by commas: those one of its firms is a member of at the end of that year)."""
    scopes = [PROGRAMME, *(int(cluster_id) for cluster_id in clusters.split(",") if cluster_id)]
    return [(scope, dimension, bucket(year)) for scope in scopes
            for dimension, counted in zip(MEETING_DIMENSIONS, (True, held, no_show, continued, agreed), strict=True)
            if counted]


def _wanted_meetings(session: Session, criteria) -> dict[int, tuple]:
    """{meeting request id: (fiscal year, held, no-show, continued, agreed, clusters)} by the scorecard's
    definitions (portal.scorecard.queries.meeting_rows, members_at_year_end), of those meeting `criteria`:
    the clusters either firm is a member of at the end of the year, from their kept spans (refreshed first)."""
    from portal.scorecard.queries import meeting_rows

    rows = meeting_rows(None, criteria=criteria).subquery()
    found = session.execute(select(rows.c.id, rows.c.a, rows.c.b, rows.c.day, *(rows.c[name] for name in _FLAGS))).all()
    if criteria:
        spans = _spans_of(session, sorted({firm for _id, a, b, *_rest in found for firm in (a, b) if firm is not None}))
    else:  # every meeting request's (rebuild): the spans of every firm that sent or received one, as one IN
        # over a UNION. Two INs joined by OR are no join to PostgreSQL but a test of each span against each
        # list, hashed only while a list fits in work_mem: at 1,000,000 firms (600,000 meeting requests) it
        # is not, and the test read the meeting requests again for each of 3,000,000 spans (stopped after 12
        # minutes; 0.13 s as a join at 100,000 firms with work_mem at 256 kB).
        spans = _spans_of(session, SPANS.c.firm_id.in_(union(select(MeetingRequest.from_firm_id),
                                                              select(MeetingRequest.to_firm_id))))
    return {request_id: (year, *(bool(flag) for flag in flags), _clusters_at_year_end(spans, (a, b), year))
            for request_id, a, b, day, *flags in found for year in (fiscal_year(day),)}


def _spans_of(session: Session, firms) -> dict[int, list[tuple[int, int, int | None]]]:
    """{firm id: [(cluster id, first year, year ended or None)]} of the kept membership spans of `firms`
    (a list of ids, or a criterion on ResultMemberSpan)."""
    def spans_of(criterion):
        return select(SPANS.c.firm_id, SPANS.c.cluster_id, SPANS.c.first_year, SPANS.c.ended_year).where(criterion)

    if isinstance(firms, list):
        rows = _run_among(session, "spans_of", lambda of: spans_of(of(SPANS.c.firm_id)), firms)
    else:
        rows = session.execute(spans_of(firms))
    spans = {}
    for firm_id, cluster_id, first, ended in rows:
        spans.setdefault(firm_id, []).append((cluster_id, first, ended))
    return spans


def _clusters_at_year_end(spans, firms, year: int) -> str:
    """The clusters one of `firms` is a member of at the end of `year`, by their spans (_spans_of): ids in
    ascending order joined by commas, as the kept keys hold them."""
    return _held_at_year_end([span for firm in firms for span in spans.get(firm, ())], year)


def _held_at_year_end(spans, year: int) -> str:
    """The clusters of these spans ([(cluster id, first year, year ended or None)]) that hold at the end of
    `year`, as _clusters_at_year_end gives them."""
    return ",".join(str(cluster_id) for cluster_id in sorted(
        {cluster_id for cluster_id, first, ended in spans if first <= year and (ended is None or year < ended)}))


def refresh_meetings(session: Session, request_ids) -> None:
    """Bring the kept meeting figures of these meeting requests in line with their meetings, matching days,
    slots, the two firms' outcomes and kept membership spans (no commit), as refresh_requests() does for
    requests: locked first on PostgreSQL (FOR NO KEY UPDATE, in id order), what each counts in now against
    its kept key."""
    _refresh_kept(session, MEETING_KEYS, MeetingRequest.id, request_ids, _wanted_meetings, meeting_keys_of)


def _meetings_of_firms(session: Session, firm_ids) -> set[int]:
    """The meeting requests these firms sent or received: in one statement, each side read by its own index (a
    membership decided sent two, one a side)."""
    if not firm_ids:
        return set()
    return set(_run_among(session, "meetings_of_firms", lambda of: union_all(
        *(select(MeetingRequest.id).where(of(column)) for column in (MeetingRequest.from_firm_id,
                                                                     MeetingRequest.to_firm_id))),
        sorted(firm_ids)).scalars())


def _lock_new_meetings_firms(session: Session) -> None:
    """The two firms of each meeting request inserted in this transaction, locked FOR KEY SHARE (PostgreSQL),
    before any firm is refreshed: a transaction changing one firm's memberships (refresh() locks it FOR
    UPDATE) either commits first, and this one then reads its new spans, or waits for this one to commit,
    and then finds this meeting among the firm's. A meeting request's firms are copies, without a foreign
    key; a follow-up question's firm has one, whose check takes that lock when a question is made, and a
    question already there is locked by the refresh of its firm, which recounts it (refresh_followups)."""
    new = sorted(session.info.pop(_NEW_MEETINGS, set()))
    if new and session.get_bind().dialect.name == "postgresql":
        firms = {firm for pair in session.execute(select(MeetingRequest.from_firm_id, MeetingRequest.to_firm_id)
                                                  .where(among(MeetingRequest.id, session=session, ids=new)))
                 for firm in pair if firm is not None}
        _lock_firms(session, firms, share=True)


def _noted_meetings(session: Session) -> set[int]:
    """The meeting requests noted in this transaction, with those of the matching days and slots whose time
    changed, and those between two firms whose outcomes changed (either firm may be the sender)."""
    ids = session.info.pop(_MEETINGS, set())
    events, slots, pairs = (session.info.pop(key, set()) for key in (_EVENTS, _SLOTS, _PAIRS))
    if events:
        ids |= set(session.scalars(select(MeetingRequest.id).where(
            among(MeetingRequest.event_id, session=session, ids=sorted(events)))))
    if slots:
        ids |= set(session.scalars(select(Meeting.request_id).where(
            among(Meeting.slot_id, session=session, ids=sorted(slots)))))
    pairs = {pair for a, b in pairs if a is not None and b is not None for pair in ((a, b), (b, a))}
    if pairs:
        firms = sorted({a for a, _b in pairs})
        ids |= {request_id for request_id, a, b in session.execute(
            select(MeetingRequest.id, MeetingRequest.from_firm_id, MeetingRequest.to_firm_id)
            .where(among(MeetingRequest.from_firm_id, session=session, ids=firms))) if (a, b) in pairs}
    return ids


def _rebuild_meetings(session: Session, batch: int = 5000) -> None:
    """Every meeting request's kept key and the meeting counts, recounted (rebuild(): the counts table is
    empty of them, and the spans are recounted, by then)."""
    _rebuild_kept(session, MEETING_KEYS, _wanted_meetings(session, []), meeting_keys_of, batch)


# --- each cluster's follow-up figures ---------------------------------------------------------------------

def followup_keys_of(year: int, answered: bool, clusters: str) -> list[tuple[int, str, str]]:
    """(scope, dimension, bucket) a follow-up question sent in `year` counts in: asked, and answered when it
    was, in each of `clusters` (ids joined by commas: those its firm is a member of at the end of the year)."""
    dimensions = FOLLOWUP_DIMENSIONS if answered else FOLLOWUP_DIMENSIONS[:1]
    return [(int(cluster_id), dimension, bucket(year)) for cluster_id in clusters.split(",") if cluster_id
            for dimension in dimensions]


def _wanted_followups(session: Session, criteria) -> dict[int, tuple]:
    """{follow-up id: (fiscal year sent, answered, clusters)} of the questions sent that meet `criteria`, by
    the scorecard's definitions: the Bangkok date it was sent on, answered whenever, its firm's clusters at
    the end of that year (from the kept spans, refreshed first)."""
    found = session.execute(select(FollowUp.id, FollowUp.firm_id, FollowUp.sent_at, FollowUp.answered_at)
                            .where(FollowUp.sent_at.is_not(None), *criteria)).all()
    if criteria:
        spans = _spans_of(session, sorted({firm_id for _id, firm_id, *_rest in found}))
    else:  # every question's (rebuild): the spans of every firm asked
        spans = _spans_of(session, SPANS.c.firm_id.in_(select(FollowUp.firm_id)))
    return {followup_id: (year, answered_at is not None, _clusters_at_year_end(spans, (firm_id,), year))
            for followup_id, firm_id, sent_at, answered_at in found for year in (fiscal_year(sent_at),)}


def refresh_followups(session: Session, followup_ids) -> None:
    """Bring the kept follow-up figures of these questions in line with them and their firms' kept spans (no
    commit), as refresh_meetings() does for meeting requests."""
    _refresh_kept(session, FOLLOWUP_KEYS, FollowUp.id, followup_ids, _wanted_followups, followup_keys_of)


def _followups_of_firms(session: Session, firm_ids) -> set[int]:
    """The follow-up questions sent to these firms."""
    if not firm_ids:
        return set()
    return set(_run_among(session, "followups_of_firms", lambda of: select(FollowUp.id).where(of(FollowUp.firm_id)),
                          sorted(firm_ids)).scalars())


def _rebuild_followups(session: Session, batch: int = 5000) -> None:
    """Every question's kept key and each cluster's follow-up counts, recounted (rebuild(): the counts table
    is empty of them, and the spans are recounted, by then)."""
    _rebuild_kept(session, FOLLOWUP_KEYS, _wanted_followups(session, []), followup_keys_of, batch)


def _rebuild_kept(session: Session, table, wanted: dict, keys_of, batch: int) -> None:
    """Every row of a kept table (an id, then what it counts in) written anew from `wanted` ({id: values}),
    and the counts of the keys (keys_of(*values)) added (the counts table is empty of them by then)."""
    session.execute(delete(table))
    counts = Counter()
    for values in wanted.values():
        counts.update(keys_of(*values))
    _insert_rows(session, table, list(table.c), [(row_id, *values) for row_id, values in sorted(wanted.items())],
                 batch)
    _add_to_counts(session, counts)


# --- each cluster's active members ------------------------------------------------------------------------

def activity_keys_of(stretches: str) -> list[tuple[int, str, str]]:
    """(scope, dimension, bucket) a firm's kept stretches of activity (ResultActivityKey.stretches) count in:
    in each cluster of a stretch, ACTIVE_FROM on its first day, and ACTIVE_UNTIL on the day after its last
    unless that is the year's last day (a year's count adds up that year's changes only); ACTIVE_MONTH_FROM and
    ACTIVE_MONTH_UNTIL in those days' months."""
    keys = []
    for stretch in stretches.split(";") if stretches else ():
        year, clusters, first, last = stretch.split(":")
        until = None
        if last != year_days(int(year))[1].isoformat():
            until = (date.fromisoformat(last) + timedelta(days=1)).isoformat()
        for cluster_id in map(int, clusters.split(",")):
            keys += [(cluster_id, ACTIVE_FROM, first), (cluster_id, ACTIVE_MONTH_FROM, first[:7])]
            if until is not None:
                keys += [(cluster_id, ACTIVE_UNTIL, until), (cluster_id, ACTIVE_MONTH_UNTIL, until[:7])]
    return keys


def active_stretches(days, spans) -> str:
    """The stretches of days (ResultActivityKey.stretches) a firm with activity on `days` (Bangkok dates,
    ascending) and kept membership spans `spans` ([(cluster id, first year, year ended or None)]) counts as
    active: each day and the ACTIVE_DAYS - 1 after it, joined where they meet, cut at the ends of fiscal
    years, each part with the clusters the firm is a member of at its year's end (none: left out)."""
    merged = []
    for day in days:
        last = day + timedelta(days=ACTIVE_DAYS - 1)
        if merged and day <= merged[-1][1] + timedelta(days=1):
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([day, last])
    parts = []
    for first, last in merged:
        for year in range(fiscal_year(first), fiscal_year(last) + 1):
            clusters = _held_at_year_end(spans, year)
            if clusters:
                year_first, year_last = year_days(year)
                parts.append(f"{year}:{clusters}:{max(first, year_first).isoformat()}:"
                             f"{min(last, year_last).isoformat()}")
    return ";".join(parts)


def _wanted_activity(session: Session, firm_ids) -> dict[int, tuple]:
    """{firm id: (stretches,)} of these firms (every firm's when None) that count as active somewhere, by the
    scorecard's definitions: the Bangkok dates they posted a request, sent a response or had a meeting held
    (at its slot's start, or when marked held for a meeting with no slot), and their kept spans (refreshed
    first)."""
    def moments(of):
        def held(side):  # the meetings held with a slot's start or a marking, by one of their two firms
            return (select(side, func.coalesce(Slot.starts_at, Meeting.marked_at))
                    .join(Meeting, Meeting.request_id == MeetingRequest.id).outerjoin(Slot, Slot.id == Meeting.slot_id)
                    .where(Meeting.state == MeetingState.HELD, of(side)))

        # One statement: every day's source, each read by its firm index.
        return union_all(select(CollabRequest.firm_id, CollabRequest.created_at).where(of(CollabRequest.firm_id)),
                         select(Response.firm_id, Response.created_at).where(of(Response.firm_id)),
                         held(MeetingRequest.from_firm_id), held(MeetingRequest.to_firm_id))

    days = {}
    for firm_id, moment in _run_among(session, "activity", moments, firm_ids):
        if firm_id is not None and moment is not None:
            days.setdefault(firm_id, set()).add(to_bangkok(moment).date())
    if not days:
        return {}
    spans = _spans_of(session, sorted(days) if firm_ids is not None else true())
    found = {firm_id: active_stretches(sorted(found), spans.get(firm_id, ())) for firm_id, found in days.items()}
    return {firm_id: (stretches,) for firm_id, stretches in found.items() if stretches}


def refresh_activity(session: Session, firm_ids) -> None:
    """Bring the kept activity of these firms in line with their requests, responses, held meetings and kept
    spans (no commit), as refresh_meetings() does for meeting requests: the firms locked first (PostgreSQL:
    FOR NO KEY UPDATE, in id order, which the foreign key check of a request or response does not wait for)."""
    _refresh_firms(session, ACTIVITY_KEYS, firm_ids, _wanted_activity, activity_keys_of)


def _refresh_firms(session: Session, table, firm_ids, wanted_of, keys_of) -> None:
    """_refresh_kept() for a table kept per firm: wanted_of(session, ids) gives what these firms count in now."""
    ids = sorted({firm_id for firm_id in firm_ids if firm_id is not None})
    _refresh_kept(session, table, Firm.id, ids, lambda session, _criteria: wanted_of(session, ids), keys_of)


def _firms_of_meetings(session: Session, request_ids) -> set[int]:
    """The two firms of each of these meeting requests."""
    if not request_ids:
        return set()
    return {firm for pair in session.execute(select(MeetingRequest.from_firm_id, MeetingRequest.to_firm_id).where(
        among(MeetingRequest.id, session=session, ids=sorted(request_ids)))) for firm in pair if firm is not None}


def _rebuild_activity(session: Session, batch: int = 5000) -> None:
    """Every firm's kept activity and the active members' counts, recounted (rebuild(): the counts table is
    empty of them, and the spans are recounted, by then)."""
    _rebuild_kept(session, ACTIVITY_KEYS, _wanted_activity(session, None), activity_keys_of, batch)


# --- each cluster's network (the network map's figures) ---------------------------------------------------

def link_keys_of(degree: int, degrees: str, counts: str) -> Counter:
    """{(scope, dimension, bucket): change} a firm's kept link row (ResultLinkKey) makes to the counts."""
    found = Counter()
    for entry in counts.split(";") if counts else ():
        scope, dimension, key_bucket, change = entry.split(" ")
        found[int(scope), dimension, key_bucket] += int(change)
    return found


def _bits_at(spans, cluster_id: int, year: int) -> int | None:
    """The positions (POSITION_BITS) of the span of `cluster_id` among `spans` that holds at the end of `year`
    (None: not a member then)."""
    for span_cluster, first, ended, bits in spans:
        if span_cluster == cluster_id and first <= year and (ended is None or year < ended):
            return bits
    return None


def network_row(firm_id: int, links: dict, spans: dict) -> tuple[int, str, str]:
    """A firm's kept link row (ResultLinkKey: degree, degrees, counts) from its links ({(kind, other firm): the
    fiscal year of the first partnership reported or meeting held between them}) and the kept membership spans
    ({firm id: [(cluster id, first year, year ended or None, positions)]}) of the firm and of the firms it is
    linked with: in each cluster it is a member of at the end of a year, its links then (LINK_DEGREE), one
    for it when it has any (LINK_LINKED), those with firms that are members too then (LINK_INSIDE) and by the
    two firms' lanes when those differ (LINK_LANES); counted as changes in the years they happen. The rule
    written once; rebuild() uses it too."""
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
                now[cluster_id, LINK_DEGREE, ""] += len(made)
                now[cluster_id, LINK_LINKED, ""] += 1
                lane = lane_of(bits)
                for other in made:
                    other_bits = _bits_at(theirs[other], cluster_id, year)
                    if other_bits is None:
                        continue
                    now[cluster_id, LINK_INSIDE, ""] += 1
                    other_lane = lane_of(other_bits)
                    if lane != other_lane and max(lane, other_lane) < len(POSITION_BITS):
                        now[cluster_id, LINK_LANES, f"{min(lane, other_lane)}-{max(lane, other_lane)}"] += 1
            for key in before.keys() | now.keys():
                if now[key] != before[key]:
                    cluster_id, dimension, lanes = key
                    changes[cluster_id, dimension, bucket(year, lanes)] += now[key] - before[key]
            before = now
    counts = ";".join(f"{scope} {dimension} {key_bucket} {change}"
                      for (scope, dimension, key_bucket), change in sorted(changes.items()))
    return len(links), ",".join(degrees), counts


def _link_rows(session: Session, firm_ids):
    """(firm, other firm, kind, first fiscal year) of the partnerships reported (outcomes of a fiscal year)
    and the meetings held (kept meeting keys, by their matching day's year) between two different firms, one of
    them among `firm_ids` (every one when None): a row per pair of firms, kind and direction."""
    def links(of):
        meetings = MEETING_KEYS.c
        return union_all(
            select(Outcome.firm_id, Outcome.partner_firm_id, literal_column("'p'"), func.min(Outcome.fiscal_year))
            .where(Outcome.fiscal_year.is_not(None), Outcome.firm_id != Outcome.partner_firm_id,
                   or_(of(Outcome.firm_id), of(Outcome.partner_firm_id)))
            .group_by(Outcome.firm_id, Outcome.partner_firm_id),
            select(MeetingRequest.from_firm_id, MeetingRequest.to_firm_id, literal_column("'m'"),
                   func.min(meetings.year))
            .join(MeetingRequest, MeetingRequest.id == meetings.request_id)
            .where(meetings.held.is_(True), MeetingRequest.from_firm_id != MeetingRequest.to_firm_id,
                   or_(of(MeetingRequest.from_firm_id), of(MeetingRequest.to_firm_id)))
            .group_by(MeetingRequest.from_firm_id, MeetingRequest.to_firm_id))

    return _run_among(session, "links", links, firm_ids)


def _run_among(session: Session, name, build, ids):
    """Run build(of), a statement whose id columns are each limited by of(column): to `ids` (every one of those
    columns given them), or to every row when None. With ids the statement is built once for `name` and the
    dialect and kept (db.among_kept, db.kept_statement): a decision on a membership ran some twenty such
    statements, each built afresh with its cache key."""
    if ids is None:
        return session.execute(build(lambda _column: true()))
    dialect = session.get_bind().dialect.name

    def kept():
        keys = []

        def of(column):
            keys.append(column.key)
            return among_kept(column, dialect)

        return build(of), tuple(keys)

    statement, keys = kept_statement((name, dialect), kept)
    value = among_ids(ids, dialect)
    return session.execute(statement, {f"{key}_among": value for key in keys})


def _links_of(session: Session, firm_ids) -> dict[int, dict[tuple[str, int], int]]:
    """{firm id: {(kind, other firm): first fiscal year}} of these firms (every firm's when None) that have links."""
    wanted = None if firm_ids is None else set(firm_ids)
    links = {}
    for a, b, kind, year in _link_rows(session, firm_ids):
        if a is None or b is None:
            continue
        for firm, other in ((a, b), (b, a)):
            if wanted is None or firm in wanted:
                found = links.setdefault(firm, {})
                if year < found.get((kind, other), year + 1):
                    found[kind, other] = year
    return links


def _wanted_links(session: Session, firm_ids) -> dict[int, tuple]:
    """{firm id: (degree, degrees, counts)} of these firms (every firm's when None) that have links, from their
    links and the kept spans of theirs and their partners' (refreshed first)."""
    links = _links_of(session, firm_ids)
    if not links:
        return {}
    spans = {}
    involved = true() if firm_ids is None else among(SPANS.c.firm_id, session=session, ids=sorted(
        set(links) | {other for found in links.values() for _kind, other in found}))
    for firm_id, *span in session.execute(select(SPANS.c.firm_id, SPANS.c.cluster_id, SPANS.c.first_year,
                                                 SPANS.c.ended_year, SPANS.c.positions).where(involved)):
        spans.setdefault(firm_id, []).append(tuple(span))
    return {firm_id: network_row(firm_id, found, spans) for firm_id, found in links.items()}


def refresh_links(session: Session, firm_ids) -> None:
    """Bring the kept link rows of these firms in line with their partnerships, held meetings (their kept keys,
    refreshed first) and the kept spans of theirs and their partners' (no commit), as refresh_activity() does:
    the firms locked first (PostgreSQL: FOR NO KEY UPDATE, in id order)."""
    _refresh_firms(session, LINK_KEYS, firm_ids, _wanted_links, link_keys_of)


def _link_partners(session: Session, firm_ids) -> set[int]:
    """The firms these firms have a link with (their network figures count these firms' memberships)."""
    if not firm_ids:
        return set()
    return {other for found in _links_of(session, sorted(firm_ids)).values() for _kind, other in found}


def _rebuild_links(session: Session, batch: int = 5000) -> None:
    """Every firm's kept link row and the network counts, recounted (rebuild(): the counts table is empty of
    them, and the spans and meeting keys are recounted, by then)."""
    _rebuild_kept(session, LINK_KEYS, _wanted_links(session, None), link_keys_of, batch)


# --- which changes concern the figures, and when they are counted -----------------------------------

def _changed(target, *names) -> bool:
    state = inspect(target)
    return any(state.attrs[name].history.has_changes() for name in names)


def _note(target, key, *ids) -> None:
    session = inspect(target).session
    if session is not None:
        session.info.setdefault(key, set()).update(ids)


def _membership_written(mapper, connection, membership):
    _note(membership, _FIRMS, membership.firm_id)


def _membership_updated(mapper, connection, membership):
    if _changed(membership, "status", "fiscal_year", "ended_at", "cluster_id", "firm_id"):
        before = inspect(membership).attrs.firm_id.history.deleted or ()
        _note(membership, _FIRMS, membership.firm_id, *before)


def _position_written(mapper, connection, position):
    before = inspect(position).attrs.membership_id.history.deleted or ()
    _note(position, _MEMBERSHIPS, position.membership_id, *before)


def _noting(key, *changed):
    """A mapper listener that notes the row's id under `key`: always, or when one of `changed` changed."""
    def listener(mapper, connection, target):
        if not changed or _changed(target, *changed):
            _note(target, key, target.id)

    return listener


def _outcome_written(mapper, connection, outcome):
    _note(outcome, _FIRMS, outcome.firm_id, outcome.partner_firm_id)
    _note(outcome, _LINKS, outcome.firm_id, outcome.partner_firm_id)
    _note(outcome, _PAIRS, (outcome.firm_id, outcome.partner_firm_id))


def _outcome_updated(mapper, connection, outcome):
    state = inspect(outcome).attrs
    if _changed(outcome, "firm_id", "partner_firm_id", "fiscal_year"):
        before = [*(state.firm_id.history.deleted or ()), *(state.partner_firm_id.history.deleted or ())]
        _note(outcome, _FIRMS, outcome.firm_id, outcome.partner_firm_id, *before)
        _note(outcome, _LINKS, outcome.firm_id, outcome.partner_firm_id, *before)
    if _changed(outcome, "firm_id", "partner_firm_id", "created_at"):
        firm = (state.firm_id.history.deleted or [outcome.firm_id])[0]
        partner = (state.partner_firm_id.history.deleted or [outcome.partner_firm_id])[0]
        _note(outcome, _PAIRS, (outcome.firm_id, outcome.partner_firm_id), (firm, partner))


def _meeting_written(mapper, connection, meeting):
    before = inspect(meeting).attrs.request_id.history.deleted or ()
    _note(meeting, _MEETINGS, meeting.request_id, *before)


def _meeting_updated(mapper, connection, meeting):
    if _changed(meeting, "state", "sender_continues", "receiver_continues", "slot_id", "marked_at", "request_id"):
        _meeting_written(mapper, connection, meeting)


def _response_written(mapper, connection, response):
    before = inspect(response).attrs.request_id.history.deleted or ()
    _note(response, _REQUESTS, response.request_id, *before)
    _activity_written(mapper, connection, response)


def _response_updated(mapper, connection, response):
    if _changed(response, "request_id"):
        _response_written(mapper, connection, response)
    elif _changed(response, "firm_id", "created_at"):
        _activity_written(mapper, connection, response)


def _activity_written(mapper, connection, row):
    """A request or response made, deleted, or given another firm or time: its firm's (and the one before's)
    activity."""
    before = inspect(row).attrs.firm_id.history.deleted or ()
    _note(row, _ACTIVITY, row.firm_id, *before)


def _activity_updated(mapper, connection, row):
    if _changed(row, "firm_id", "created_at"):
        _activity_written(mapper, connection, row)


def _meeting_request_firms(mapper, connection, request):
    """A meeting request deleted, or given other firms: the firms it had (their held meeting is gone)."""
    state = inspect(request).attrs
    firms = (request.from_firm_id, request.to_firm_id, *(state.from_firm_id.history.deleted or ()),
             *(state.to_firm_id.history.deleted or ()))
    _note(request, _ACTIVITY, *firms)
    _note(request, _LINKS, *firms)


def _meeting_request_moved(mapper, connection, request):
    if _changed(request, "from_firm_id", "to_firm_id"):
        _meeting_request_firms(mapper, connection, request)


def _refresh_noted_firms(session):
    """Before the transaction commits: flush what is left, then refresh every request, every firm, every
    meeting request, every firm's activity and links and every follow-up question noted in it, once: requests,
    then firms, then meeting requests, then activity, then links, then questions (every transaction takes its
    locks in that order), the meetings, activity, links and questions after the firms because they count in
    their firms' clusters, as the firms' refreshed spans say (so those of the firms whose spans changed are
    refreshed too). The firms whose activity is refreshed: those that posted, responded or were given or lost a
    request, a response or a meeting request, the two of each meeting request noted, and those whose spans
    changed. The firms whose links are refreshed: those given or losing a partnership or a meeting request,
    the two of each meeting request noted, those whose spans changed and the firms linked with them."""
    session.flush()
    session.info[_LOCKED] = set()
    try:
        _refresh_noted(session)
    finally:
        session.info.pop(_LOCKED, None)


def _refresh_noted(session):
    """_refresh_noted_firms' refreshes, in its order."""
    refresh_requests(session, session.info.pop(_REQUESTS, set()))
    _lock_new_meetings_firms(session)
    firm_ids, membership_ids = session.info.pop(_FIRMS, set()), session.info.pop(_MEMBERSHIPS, set())
    if membership_ids:
        firm_ids |= set(session.scalars(select(Membership.firm_id).where(
            among(Membership.id, session=session, ids=sorted(membership_ids)))))
    meetings = _noted_meetings(session)
    moved = refresh(session, firm_ids)
    refresh_meetings(session, meetings | _meetings_of_firms(session, moved))
    meeting_firms = _firms_of_meetings(session, meetings)
    refresh_activity(session, session.info.pop(_ACTIVITY, set()) | meeting_firms | moved)
    refresh_links(session, session.info.pop(_LINKS, set()) | meeting_firms | moved | _link_partners(session, moved))
    refresh_followups(session, session.info.pop(_FOLLOWUPS, set()) | _followups_of_firms(session, moved))


def _forget_noted_firms(session, transaction):
    if transaction.parent is None:  # the whole transaction ended (committed, rolled back or closed)
        for key in _NOTES:
            session.info.pop(key, None)


_MAPPER_EVENTS = [
    (Membership, "after_insert", _membership_written),
    (Membership, "after_delete", _membership_written),
    (Membership, "after_update", _membership_updated),
    (MembershipPosition, "after_insert", _position_written),
    (MembershipPosition, "after_update", _position_written),
    (MembershipPosition, "after_delete", _position_written),
    (Firm, "after_update", _noting(_FIRMS, "province_id")),
    (Firm, "after_delete", _noting(_FIRMS)),
    (Outcome, "after_insert", _outcome_written),
    (Outcome, "after_delete", _outcome_written),
    (Outcome, "after_update", _outcome_updated),
    (CollabRequest, "after_insert", _noting(_REQUESTS)),
    (CollabRequest, "after_delete", _noting(_REQUESTS)),
    (CollabRequest, "after_insert", _activity_written),
    (CollabRequest, "after_delete", _activity_written),
    (CollabRequest, "after_update", _activity_updated),
    (CollabRequest, "after_update", _noting(_REQUESTS, "cluster_id", "fiscal_year")),
    (Response, "after_insert", _response_written),
    (Response, "after_delete", _response_written),
    (Response, "after_update", _response_updated),
    (MeetingRequest, "after_insert", _noting(_MEETINGS)),
    (MeetingRequest, "after_insert", _noting(_NEW_MEETINGS)),
    (MeetingRequest, "after_delete", _noting(_MEETINGS)),
    (MeetingRequest, "after_update", _noting(_MEETINGS, "event_id", "from_firm_id", "to_firm_id")),
    (MeetingRequest, "after_delete", _meeting_request_firms),
    (MeetingRequest, "after_update", _meeting_request_moved),
    (Meeting, "after_insert", _meeting_written),
    (Meeting, "after_delete", _meeting_written),
    (Meeting, "after_update", _meeting_updated),
    (Event, "after_update", _noting(_EVENTS, "starts_on")),
    (Slot, "after_update", _noting(_SLOTS, "starts_at")),
    (FollowUp, "after_insert", _noting(_FOLLOWUPS)),
    (FollowUp, "after_delete", _noting(_FOLLOWUPS)),
    (FollowUp, "after_update", _noting(_FOLLOWUPS, "sent_at", "answered_at", "firm_id")),
]


def init_app(app) -> None:
    """Keep the figures counted in the sessions of portal.extensions.db (its sessionmaker, not every
    SQLAlchemy session in the process). The mapper events only note ids in the flushing session; the
    refresh runs once per transaction, before it commits."""
    from portal.extensions import db

    factory = db.session.session_factory
    for target, name, listener in [*_MAPPER_EVENTS, (factory, "before_commit", _refresh_noted_firms),
                                   (factory, "after_transaction_end", _forget_noted_firms)]:
        if not event.contains(target, name, listener):
            event.listen(target, name, listener)
