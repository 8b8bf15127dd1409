"""The network map of one cluster at the end of a fiscal year: its member firms in value-chain lanes, and
the partnerships and held meetings between them (and with firms outside the cluster) as links.

Every definition is the scorecard's (portal.scorecard.queries): the members and their positions at the end
of the year from the rollup's kept spans, partnerships as the collaboration density counts them (reported
up to the end of the year), held meetings by the fiscal year of their matching day (up to the end of the
year, from the rollup's kept meeting keys, which the scorecard's meeting figures count), and a
partnership's value counts when confirmed (portal.admin.dashboard.confirmed). The map shows the network as
it stood at the end of the chosen year, so two years side by side show before and after.

A cluster of up to KEPT_FROM members takes five statements: its kept figures (members, links), the members
with their positions, the partnerships, the held meetings (a row each, added up by pair of firms here: _links),
and the names of the firms that can be drawn and of the firms outside the cluster they are linked to. A larger
one takes its totals from the kept figures alone (the rollup's per-firm link rows, portal.admin.rollup.
network_row), finds its best-linked members among the firms ordered by their links (_best_linked), and reads
the links of those alone: at most nine statements, and some thousands of rows, whatever its size.
The layout is deterministic: a lane per position, firms in each by name, at most MAX_NODES firms drawn
(those with the most links), the same firms in the table beside the map.
"""
import heapq
import math
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import combinations

from sqlalchemy import Integer, String, bindparam, case, cast, func, literal_column, null, or_, select, tuple_

from portal.admin import dashboard
from portal.admin.models import (
    JOINED,
    LINK_DEGREE,
    LINK_DIMENSIONS,
    LINK_INSIDE,
    LINK_LANES,
    LINK_LINKED,
    MEMBER,
    POSITION_BITS,
    ResultCount,
    ResultLinkKey,
    ResultMeetingKey,
    lane_of,
)
from portal.admin.models import LEFT as MEMBER_LEFT
from portal.clusters.models import Position
from portal.collab.models import Outcome
from portal.db import among
from portal.events.models import MeetingRequest
from portal.extensions import db
from portal.firms.models import Firm
from portal.scorecard import queries

MAX_NODES = 150
PARTNERSHIP, MEETING = "partnership", "meeting"
KEPT_FROM = 5_000  # members over which a cluster's map is read from the kept figures (_best_linked): for one of
# 5,424 members of 100,000 firms, 29 against 45 ms on SQLite, 45 against 57 on PostgreSQL
READ_IN_ORDER = 20_000  # firms read in the order of their links before a cluster's other members are read at once
KEPT_DIMENSIONS = (MEMBER + JOINED, MEMBER + MEMBER_LEFT, *LINK_DIMENSIONS)  # the kept counts _kept_figures reads
NO_LANE = len(Position)  # the lane index of members with no recorded position (after the positions' lanes)
POSITIONS_MASK = (1 << NO_LANE) - 1  # the positions' bits of a member packed as firm id << NO_LANE | bits
ZERO = Decimal(0)
SATANG = Decimal("0.01")
LABEL_LENGTH = 18  # characters of a firm's name written beside its node

# Geometry of the drawing (SVG user units; the picture scales with its viewBox).
WIDTH, TOP, ROW, LANE_WIDTH, LEFT = 1000, 70, 30, 260, 30
BOX_X, BOX_WIDTH, BOX_HEIGHT = 830, 150, 70
BOW = 60  # how far a link between the outer lanes dips below its ends (its lowest point: half of it)


@dataclass(slots=True)
class Node:
    firm_id: int
    name: str
    positions: list  # every Position the firm holds, in the enum's order; [] when none is recorded
    links: int = 0  # links of any kind, to members or to firms outside the cluster
    x: float = 0
    y: float = 0
    sort: str = ""  # the firm's stored Thai dictionary sort key for the name shown (Firm.sort_th / sort_en)

    @property
    def lane(self):
        """The lane the firm is drawn in: its first position (None: no position recorded)."""
        return self.positions[0] if self.positions else None

    @property
    def isolated(self) -> bool:
        return not self.links

    @property
    def label(self) -> str:
        return self.name if len(self.name) <= LABEL_LENGTH else self.name[:LABEL_LENGTH - 1] + "…"


@dataclass(slots=True)
class Link:
    a: int  # a member firm
    b: int  # another member firm, or a firm outside the cluster
    kind: str  # PARTNERSHIP | MEETING
    count: int = 0
    value: Decimal = Decimal(0)  # confirmed baht (partnerships)
    first_year: int = 0
    last_year: int = 0
    outside: bool = False  # b is not a member of the cluster at the end of the year

    @property
    def years(self) -> str:
        return queries.years_text(self.first_year, self.last_year)

    @property
    def stroke(self) -> float:
        """Stroke width: held meetings thin (drawn dashed); partnerships thicker with their confirmed
        value, on a log scale, capped (1 baht to 100 million baht: 2 to 8)."""
        if self.kind == MEETING:
            return 1.5
        return round(2 + min(6.0, 0.75 * math.log10(1 + float(self.value))), 2)


@dataclass(slots=True)
class Outside:
    """A drawn member's links with firms outside the cluster: one line to the "Other clusters" box and one
    row of the table (a large cluster's best-linked members have hundreds: one line each hid the map)."""

    node: Node
    names: list = field(default_factory=list)  # the firms outside, by name (Thai dictionary order)
    partnerships: int = 0  # partnerships with them (a request closed as partnered, or an agreement)
    meetings: int = 0  # meetings held with them
    value: Decimal = ZERO  # confirmed baht of those partnerships
    first_year: int = 0
    last_year: int = 0

    @property
    def years(self) -> str:
        return queries.years_text(self.first_year, self.last_year)

    @property
    def stroke(self) -> float:
        """Stroke width: wider with the number of firms outside (1 firm: 1.5, capped at 6)."""
        return round(1.5 + min(4.5, math.log2(len(self.names))), 2)


@dataclass
class Lane:
    position: object  # Position, or None for firms with no recorded position
    x: float
    nodes: list = field(default_factory=list)


@dataclass
class Network:
    year: int
    members: int = 0  # member firms at the end of the year
    lanes: list = field(default_factory=list)  # drawn lanes with their drawn nodes
    nodes: dict = field(default_factory=dict)  # firm id -> Node: the members that can be drawn (all, up to MAX_NODES)
    links: list = field(default_factory=list)  # between drawn members, or from a drawn member to outside
    outside_names: dict = field(default_factory=dict)  # firm id -> name, firms outside the cluster
    outside: list = field(default_factory=list)  # Outside, one per drawn member linked outside, in drawn order
    links_total: int = 0  # every link, drawn or not
    outside_links_total: int = 0
    isolated_total: int = 0  # members with no link at all
    not_drawn: int = 0  # members left out of the drawing and the table (over MAX_NODES)
    missing_pairs: list = field(default_factory=list)  # (Position, Position) with no link between their lanes
    height: int = 0

    @property
    def drawn(self) -> list:
        return [node for lane in self.lanes for node in lane.nodes]

    @property
    def isolated(self) -> list:
        return [node for node in self.drawn if node.isolated]

    @property
    def several_positions(self) -> list:
        return [node for node in self.drawn if len(node.positions) > 1]

    @property
    def outside_links(self) -> list:
        return [link for link in self.links if link.outside]

    @property
    def outside_firms(self) -> int:
        return len({link.b for link in self.outside_links})

    @property
    def box(self) -> tuple[float, float]:
        """Top-left corner of the "outside the cluster" box."""
        return BOX_X, TOP - 10


def network(cluster_id: int, year: int, locale: str) -> Network:
    """The map of cluster `cluster_id` at the end of fiscal year `year` (B.E.), names in `locale`."""
    result = Network(year=year)
    kept = _kept_figures(cluster_id, year)
    # A large cluster has tens of thousands of members and of links: they are kept as plain numbers and
    # tuples here, and only the members that can be drawn, and their links, become Nodes and Links.
    from_kept = kept.members > KEPT_FROM
    if from_kept:
        held, ids = _best_linked(cluster_id, year, locale)  # those that can be drawn -> their positions, as bits
        links = _links(cluster_id, year, held, ids)  # (kind, member, other firm) -> [how many, value, first, last]
        result.members = kept.members
        result.links_total = kept.degrees - kept.inside // 2
        result.outside_links_total = kept.degrees - kept.inside
        result.isolated_total = kept.members - kept.linked
        linked_lanes = kept.lanes
    else:
        held = _members(cluster_id, year)  # member firm id -> its positions, as bits
        result.members = len(held)
        links = _links(cluster_id, year, held)
        linked_lanes = set()
    degree = {}  # member firm id -> its links, of any kind, to members or to firms outside
    outside_total = 0
    for _kind, a, b in links:
        degree[a] = degree.get(a, 0) + 1
        if b in held:
            degree[b] = degree.get(b, 0) + 1
            linked_lanes.add(1 << lane_of(held[a]) | 1 << lane_of(held[b]))
        else:
            outside_total += 1
    if not from_kept:
        result.links_total = len(links)
        result.outside_links_total = outside_total
        result.isolated_total = result.members - len(degree)
        ids = _candidates(held, degree, locale)
    result.missing_pairs = [(p, q) for (i, p), (j, q) in combinations(enumerate(Position), 2)
                            if (1 << i | 1 << j) not in linked_lanes]

    nodes = result.nodes
    for firm_id in ids:
        nodes[firm_id] = Node(firm_id, "", [], links=degree.get(firm_id, 0))
    for node in nodes.values():
        node.positions = [position for position in Position if held[node.firm_id] & POSITION_BITS[position.value]]
    kept = [_link(kind, a, b, b not in held, found) for (kind, a, b), found in links.items()
            if a in nodes and (b in nodes or b not in held)]
    names = _names(ids | {link.b for link in kept if link.outside}, locale)
    for node in nodes.values():
        node.name, node.sort = names.get(node.firm_id, ("", ""))
    _layout(result, kept)
    for link in result.links:  # of two members (both drawn), the first by name
        if not link.outside and _order(nodes[link.b]) < _order(nodes[link.a]):
            link.a, link.b = link.b, link.a
    result.outside_names = {link.b: names[link.b][0] for link in result.links if link.outside and link.b in names}

    def key(firm_id):  # the stored Thai dictionary sort key of the name shown
        node = nodes.get(firm_id)
        return node.sort if node else names.get(firm_id, ("", ""))[1]

    # Partnerships first, then meetings; by the firms' names (Thai dictionary order): the same order on
    # every database, in the drawing and in the table.
    result.links.sort(key=lambda link: (link.kind != PARTNERSHIP, link.outside, key(link.a), key(link.b),
                                        link.a, link.b))
    result.outside = _outside(result, key)
    return result


def _link(kind: str, a: int, b: int, outside: bool, found: list) -> Link:
    """The Link of one of _links' entries (its member end `a`, its other end `b`)."""
    count, value, first, last = found
    return Link(a, b, kind, count, _decimal(value) if kind == PARTNERSHIP else ZERO, int(first), int(last), outside)


def _outside(result: Network, key) -> list[Outside]:
    """The drawn members' links outside the cluster, one Outside per member, in the order they are drawn."""
    by_member, firms = {}, {}
    for link in result.links:
        if not link.outside:
            continue
        group = by_member.get(link.a)
        if group is None:
            group = by_member[link.a] = Outside(result.nodes[link.a], first_year=link.first_year,
                                                last_year=link.last_year)
        firms.setdefault(link.a, set()).add(link.b)
        if link.kind == PARTNERSHIP:
            group.partnerships += link.count
            group.value += link.value
        else:
            group.meetings += link.count
        group.first_year, group.last_year = min(group.first_year, link.first_year), max(group.last_year, link.last_year)
    for firm_id, group in by_member.items():
        group.names = [result.outside_names.get(b, "") for b in sorted(firms[firm_id], key=lambda b: (key(b), b))]
    return [by_member[node.firm_id] for node in result.drawn if node.firm_id in by_member]


def _fetch(statement) -> list[tuple]:
    """The statement's rows as the database driver returns them, without SQLAlchemy's result processing (half
    the map's time on 70,000 rows): _decimal and _year take the values as either database gives them."""
    result = db.session.connection().execute(statement)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


def _decimal(value) -> Decimal:
    """A sum of baht as the driver returns it (PostgreSQL: Decimal; SQLite: int or float), to the satang."""
    if type(value) is Decimal:
        return value
    return ZERO if value is None else Decimal(str(value)).quantize(SATANG)


def _order(node: Node):
    return node.sort, node.firm_id


def _name(name_th, name_en, locale):
    return (name_en or name_th or "") if locale == "en" else (name_th or name_en or "")


def _members(cluster_id: int, year: int) -> dict[int, int]:
    """{firm id: its positions as bits (POSITION_BITS)} of each member at the end of `year`, fetched as one
    text that packs them, "firm id << NO_LANE | positions", comma-separated: fetching 33,000 rows of the
    largest cluster's members one by one cost 16–25 ms."""
    members = _members_with_positions(cluster_id, year).subquery()
    packed = cast(members.c.firm_id * (1 << NO_LANE) + members.c.positions, String)
    text = db.session.connection().execute(select(func.aggregate_strings(packed, ","))).scalar()
    return {number >> NO_LANE: number & POSITIONS_MASK for number in map(int, text.split(","))} if text else {}


def _links(cluster_id: int, year: int, held: dict, drawn=None) -> dict[tuple, list]:
    """Every link with a member of `held` at its end at the end of `year`, by (kind, member, other firm):
    [how many, confirmed value, first year, last year], the fiscal years reported for a partnership
    (PARTNERSHIP: requests closed as partnered, and agreements answered to a follow-up, reported up to the
    end of `year`), the fiscal years of the matching days for a meeting (MEETING: held on matching days up to
    the end of `year`). Of a link between two members, the member end is the lower id.

    The rows come one per partnership or meeting and are added up here, found by the cluster's members in
    SQL; for a cluster of more than KEPT_FROM members, by `drawn` alone (the members that can be drawn,
    _best_linked), and the firms they are linked with that are members too are added to `held` (with their
    positions), so that a link between two members is told from a link with a firm outside."""
    if drawn is None:
        ids = select(_members_with_positions(cluster_id, year).subquery().c.firm_id)

        def linked(column):
            return column.in_(ids)
    else:
        def linked(column):
            return among(column, sorted(drawn))
    confirmed_value = case((dashboard.confirmed(), Outcome.value_baht), else_=0)
    partnerships = (select(Outcome.firm_id, Outcome.partner_firm_id, confirmed_value, Outcome.fiscal_year)
                    .where(*queries.partnerships_until(year),
                           or_(linked(Outcome.firm_id), linked(Outcome.partner_firm_id))))
    meetings = _held_meetings(year).where(or_(linked(MeetingRequest.from_firm_id), linked(MeetingRequest.to_firm_id)))
    found = {PARTNERSHIP: _fetch(partnerships), MEETING: _fetch(meetings)}
    if drawn is not None:
        others = {firm for rows in found.values() for a, b, *_rest in rows for firm in (a, b)} - held.keys()
        if others:
            held.update(_fetch(_members_with_positions(cluster_id, year)
                               .where(among(queries.SPANS.c.firm_id, sorted(others)))))
    links = {}
    for kind, rows in found.items():
        _add(links, held, kind, rows)
    return links


def _add(links: dict, held: dict, kind: str, rows) -> None:
    """Add up `rows` (a, b, confirmed value or None, fiscal year) into `links` (_links), those with a member
    of `held` at one end, in one loop rather than a function call a row: at 1,000,000 firms the largest
    cluster's map adds up some 370,000 rows (0.33 s on SQLite)."""
    get = links.get
    for a, b, value, when in rows:
        if a in held:
            key = (kind, a, b) if a < b or b not in held else (kind, b, a)
        elif b in held:
            key = (kind, b, a)
        else:
            continue
        found = get(key)
        if found is None:
            links[key] = [1, value, when, when]
            continue
        found[0] += 1
        if value:
            found[1] = _decimal(found[1]) + _decimal(value) if found[1] else value
        if when < found[2]:
            found[2] = when
        elif when > found[3]:
            found[3] = when


def _held_meetings(year: int):
    """(a, b, None, fiscal year) of each meeting held on a matching day of `year` or before, between two
    different firms: the rollup's kept meeting keys (ResultMeetingKey: held, the fiscal year of its matching
    day, by the scorecard's definitions) joined to their requests for the two firms. Joining the requests
    to their matching days and meetings read three tables and fetched a date a row (PostgreSQL, 100,000
    firms, 22,000 held meetings: 40 -> 28 ms in psql)."""
    keys = ResultMeetingKey.__table__.c
    return (select(MeetingRequest.from_firm_id.label("a"), MeetingRequest.to_firm_id.label("b"),
                   null().label("value"), keys.year.label("year"))
            .join(MeetingRequest, MeetingRequest.id == keys.request_id)
            .where(keys.held.is_(True), keys.year <= year, MeetingRequest.from_firm_id != MeetingRequest.to_firm_id))


def _members_with_positions(cluster_id: int, year: int):
    """(firm_id, positions) of each member of the cluster at the end of `year`, its positions then as bits
    (POSITION_BITS: 1 << index in Position; 0: none recorded): the rollup's kept membership spans that hold
    then, read from ix_result_member_spans_cluster alone."""
    spans = queries.SPANS.c
    return (select(spans.firm_id.label("firm_id"), spans.positions.label("positions"))
            .where(spans.cluster_id == cluster_id, *queries.member_at_year_end(year)))


@dataclass(slots=True)
class Kept:
    """A cluster's figures at the end of a year from the rollup's kept counts (portal.admin.models.LINK_DIMENSIONS)."""

    members: int = 0
    degrees: int = 0  # the members' links added up (a link between two members twice)
    linked: int = 0  # members with at least one link
    inside: int = 0  # member ends of links between two members (each such link twice)
    lanes: set = field(default_factory=set)  # pairs of position lanes with a link between them, as _layout's bits


def _kept_figures(cluster_id: int, year: int) -> Kept:
    """The cluster's members and network figures at the end of `year`: its kept changes up to it added up, one
    small statement (a few rows a year)."""
    counts = ResultCount.__table__.c
    kept, lanes = Kept(), {}
    for dimension, key_bucket, change in db.session.connection().execute(
            select(counts.dimension, counts.bucket, counts.firms).where(counts.scope == cluster_id,
                                                                        counts.dimension.in_(KEPT_DIMENSIONS))):
        at, _sep, pair = key_bucket.partition(":")
        if int(at) > year:
            continue
        if dimension == MEMBER + JOINED:
            kept.members += change
        elif dimension == MEMBER + MEMBER_LEFT:
            kept.members -= change
        elif dimension == LINK_DEGREE:
            kept.degrees += change
        elif dimension == LINK_LINKED:
            kept.linked += change
        elif dimension == LINK_INSIDE:
            kept.inside += change
        elif dimension == LINK_LANES:
            lanes[pair] = lanes.get(pair, 0) + change
    kept.lanes = {1 << int(pair[0]) | 1 << int(pair[-1]) for pair, ends in lanes.items() if ends}
    return kept


def _links_at(degrees: str, year: int) -> int:
    """A firm's links at the end of `year`, from its kept degrees (ResultLinkKey.degrees)."""
    links = 0
    for entry in degrees.split(",") if degrees else ():
        at, _sep, count = entry.partition(":")
        if int(at) > year:
            break
        links = int(count)
    return links


def _best_linked(cluster_id: int, year: int, locale: str) -> tuple[dict[int, int], set]:
    """({firm id: positions as bits}, their ids) of the members at the end of `year` that can be drawn, for a
    cluster of more than KEPT_FROM members: as _candidates chooses them, found among the firms in the order of
    their links of every year (the rollup's kept link rows, ix_result_link_keys_degree), which no firm's links at
    the end of an earlier year exceed: read until the firm read last has fewer than the MAX_NODES-th most of the
    members found, then every firm with as many, of which those with the MAX_NODES-th most links are drawn first
    by name (one statement more, when they are more than the room left). Some hundreds of rows in two statements
    for the largest cluster,
    where counting every member's links read every partnership and held meeting of the programme (353,000 rows at
    1,000,000 firms). A cluster few of whose members have links would have most of the firms read in that order:
    past READ_IN_ORDER rows, the rest of its members with links are read at once (at most three statements).
    When fewer than MAX_NODES members have links, the first isolated members by name fill the map (one more)."""
    keys, spans = ResultLinkKey.__table__.c, queries.SPANS.c

    postgresql = db.session.get_bind().dialect.name == "postgresql"

    def written(value: int):
        # On PostgreSQL numbers written into the statement, not bound: psycopg prepares a statement run five times
        # on a connection, and PostgreSQL's plan for any values then hashed the cluster's 335,000 members to find
        # the firms with at least so many links (the map 145 against 80 ms at 1,000,000 firms). None a visitor
        # typed. Bound on SQLite, whose plan for the numbers written in read a small database's spans first.
        return bindparam(None, int(value), type_=Integer, literal_execute=postgresql, unique=True)

    def ordered(in_order: bool):
        # In order, on SQLite written `+cluster_id`, so that the firms are read in the order of their links and
        # each one's span looked up, rather than the cluster's 335,000 members joined and sorted (500 ms at
        # 1,000,000 firms); the rest of the members at once, from the cluster's index.
        cluster = spans.cluster_id
        if in_order and not postgresql:
            cluster = literal_column(f"+{queries.SPANS.name}.cluster_id")
        return (select(keys.firm_id, keys.degree, keys.degrees, spans.positions)
                .join(queries.SPANS, spans.firm_id == keys.firm_id)
                .where(cluster == written(cluster_id), spans.first_year <= written(year),
                       or_(spans.ended_year.is_(None), spans.ended_year > written(year)))
                .order_by(keys.degree.desc(), keys.firm_id.desc()))

    found, page, read, least, after = {}, MAX_NODES * 2, 0, None, None  # found: firm id -> (links then, positions)
    while True:
        rest = least is not None or read + page > READ_IN_ORDER
        if least is not None:  # from the first again: a range of links is estimated well, a row value is not
            statement = ordered(True).where(keys.degree >= written(least))
        else:
            statement = ordered(not rest)
            if after is not None:
                statement = statement.where(tuple_(keys.degree, keys.firm_id) < tuple_(*map(written, after)))
            statement = statement if rest else statement.limit(written(page))
        rows = _fetch(statement)
        read += len(rows)
        for firm_id, _degree, degrees, bits in rows:
            links = _links_at(degrees, year)
            if links:
                found[firm_id] = (links, bits)
        if rest or len(rows) < page:
            break
        after = (rows[-1][1], rows[-1][0])
        if len(found) >= MAX_NODES:
            least = heapq.nlargest(MAX_NODES, (links for links, _bits in found.values()))[-1]
            if after[0] < least:  # no firm not read yet has as many links
                break
        page *= 8
    if len(found) >= MAX_NODES:
        least = heapq.nlargest(MAX_NODES, (links for links, _bits in found.values()))[-1]
        held = {firm_id: bits for firm_id, (links, bits) in found.items() if links > least}
        ties = [firm_id for firm_id, (links, _bits) in found.items() if links == least]
        room = MAX_NODES - len(held)  # drawn from those with the MAX_NODES-th most links: the first by name
        chosen = _first_by_name(ties, room, locale) if len(ties) > room else ties
        held.update((firm_id, found[firm_id][1]) for firm_id in chosen)
        return held, set(held)
    held = {firm_id: bits for firm_id, (_links, bits) in found.items()}
    if len(held) < MAX_NODES:
        sort_key = Firm.sort_en if locale == "en" else Firm.sort_th
        held.update(_fetch(select(spans.firm_id, spans.positions).join(Firm, Firm.id == spans.firm_id)
                           .where(spans.cluster_id == cluster_id, *queries.member_at_year_end(year),
                                  ~among(spans.firm_id, sorted(held)))
                           .order_by(sort_key, Firm.id).limit(MAX_NODES - len(held))))
    return held, set(held)


def _candidates(members, degree: dict, locale: str) -> set:
    """The members that can be drawn: all of them, or those with at least as many links as the member
    with the MAX_NODES-th most (any other has fewer links than every one of these, so it would not be
    drawn whatever its name). `degree`: the members' links, linked members only."""
    if len(members) <= MAX_NODES:
        return set(members)
    linked = list(degree)
    if len(linked) < MAX_NODES:  # every linked member, and the first isolated ones by name fill the map
        isolated = [firm_id for firm_id in members if firm_id not in degree]
        return set(linked) | _first_by_name(isolated, MAX_NODES - len(linked), locale)
    least = heapq.nlargest(MAX_NODES, (degree[firm_id] for firm_id in linked))[-1]
    return {firm_id for firm_id in linked if degree[firm_id] >= least}


def _first_by_name(firm_ids: list, count: int, locale: str) -> set:
    """The first `count` of these firms in the map's order (_order: the stored sort key, then the id),
    chosen by the database: a cluster of 37,000 members with few links would otherwise read every
    member's name to draw a hundred of them."""
    sort_key = Firm.sort_en if locale == "en" else Firm.sort_th  # NOT NULL: "" for none
    return set(db.session.connection().execute(
        select(Firm.id).where(among(Firm.id, sorted(firm_ids))).order_by(sort_key, Firm.id).limit(count)).scalars())


def _names(firm_ids, locale: str) -> dict[int, tuple[str, str]]:
    """{firm id: (name in `locale`, its stored Thai dictionary sort key)}, in one statement. The stored
    keys (the directory's): computing Thai dictionary keys here cost 75 µs a name."""
    if not firm_ids:
        return {}
    sort_key = Firm.sort_en if locale == "en" else Firm.sort_th
    return {firm_id: (_name(name_th, name_en, locale), sort or "")
            for firm_id, name_th, name_en, sort in db.session.connection().execute(
                select(Firm.id, Firm.name_th, Firm.name_en, sort_key).where(among(Firm.id, sorted(firm_ids))))}


def _layout(result: Network, links: list) -> None:
    """Choose the drawn members (all, or the MAX_NODES with the most links, ties by name, from the
    candidates in result.nodes), put them in their lanes by name, and keep the links whose member ends are
    drawn."""
    nodes = list(result.nodes.values())
    if len(nodes) > MAX_NODES:  # the first MAX_NODES of that order, without sorting every candidate
        nodes = heapq.nsmallest(MAX_NODES, nodes, key=lambda n: (-n.links, *_order(n)))
    result.not_drawn = result.members - len(nodes)
    lanes = list(Position) + ([None] if any(node.lane is None for node in nodes) else [])
    width = LANE_WIDTH if len(lanes) == 3 else (BOX_X - LEFT) / len(lanes)
    result.lanes = [Lane(position, LEFT + 10 + n * width) for n, position in enumerate(lanes)]
    by_position = {lane.position: lane for lane in result.lanes}
    for node in sorted(nodes, key=_order):
        lane = by_position[node.lane]
        node.x, node.y = lane.x, TOP + 30 + len(lane.nodes) * ROW
        lane.nodes.append(node)
    drawn = {node.firm_id for node in nodes}
    result.links = [link for link in links if link.a in drawn and (link.outside or link.b in drawn)]
    rows = max((len(lane.nodes) for lane in result.lanes), default=0)
    result.height = int(max(TOP + 30 + rows * ROW + BOW / 2, TOP + BOX_HEIGHT + 40))


def to_box(node: Node, box: tuple[float, float]) -> str:
    """The SVG path of a drawn member's links outside the cluster: a line to the "Other clusters" box."""
    x, y = box
    return f"M {node.x:.1f} {node.y:.1f} L {x:.1f} {y + BOX_HEIGHT / 2:.1f}"


def path(link: Link, nodes: dict) -> str:
    """The SVG path of a drawn link between two members: a line between nodes in neighbouring lanes; a curve
    bowed out to the right between two nodes of one lane (so that it does not run along the lane), and bowed
    down between lanes that are not neighbours (so that it does not run through the lane between). Links
    with firms outside the cluster are drawn a member at a time (to_box)."""
    start, end = nodes[link.a], nodes[link.b]
    middle_x, middle_y = (start.x + end.x) / 2, (start.y + end.y) / 2
    if start.x == end.x:
        control = (start.x + 40 + min(120, abs(end.y - start.y) / 4), middle_y)
    elif abs(end.x - start.x) > LANE_WIDTH * 1.5:
        control = (middle_x, middle_y + BOW)
    else:
        return f"M {start.x:.1f} {start.y:.1f} L {end.x:.1f} {end.y:.1f}"
    return f"M {start.x:.1f} {start.y:.1f} Q {control[0]:.1f} {control[1]:.1f} {end.x:.1f} {end.y:.1f}"
