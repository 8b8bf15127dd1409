"""The network map of one cluster at the end of a fiscal year: its member firms in value-chain lanes, and
the partnerships and held meetings between them (and with firms outside the cluster) as links.

Every definition is the scorecard's (portal.scorecard.queries): the members and their positions at the end
of the year from the rollup's kept spans, partnerships as the collaboration density counts them (reported
up to the end of the year), held meetings by the fiscal year of their matching day (up to the end of the
year, from the rollup's kept meeting keys, which the scorecard's meeting figures count), and a
partnership's value counts when confirmed (portal.admin.dashboard.confirmed). The map shows the network as
it stood at the end of the chosen year, so two years side by side show before and after.

Four statements whatever the cluster's size: the members with their positions, the partnerships, the held
meetings (a row each, added up by pair of firms here: _links), and the names of the firms that can be drawn
and of the firms outside the cluster they are linked to.
The layout is deterministic: a lane per position, firms in each by name, at most MAX_NODES firms drawn
(those with the most links), the same firms in the table beside the map.
"""
import heapq
import math
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import combinations

from sqlalchemy import String, case, cast, func, null, or_, select

from portal.admin import dashboard
from portal.admin.models import POSITION_BITS, ResultMeetingKey
from portal.clusters.models import Position
from portal.collab.models import Outcome
from portal.db import among
from portal.events.models import MeetingRequest
from portal.extensions import db
from portal.firms.models import Firm
from portal.scorecard import queries

MAX_NODES = 150
PARTNERSHIP, MEETING = "partnership", "meeting"
READ_EVERY_LINK = 10_000  # members over which a cluster's links are picked from all the programme's (_links)
NO_LANE = len(Position)  # the lane index of members with no recorded position (after the positions' lanes)
POSITIONS_MASK = (1 << NO_LANE) - 1  # the positions' bits of a member packed as firm id << NO_LANE | bits
LOWEST_BIT = {bits: next(n for n in range(NO_LANE) if bits & (1 << n)) for bits in range(1, 1 << NO_LANE)}
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
    # A large cluster has tens of thousands of members and of links: they are kept as plain numbers and
    # tuples here, and only the members that can be drawn, and their links, become Nodes and Links.
    held = _members(cluster_id, year)  # member firm id -> its positions, as bits
    result.members = len(held)
    links = _links(cluster_id, year, held)  # (kind, member, other firm) -> [how many, value, first, last]

    degree = {}  # member firm id -> its links, of any kind, to members or to firms outside
    linked_lanes = set()  # pairs of lanes with a link between them, as bits (1 << lane | 1 << other lane)
    outside_total = 0
    for _kind, a, b in links:
        degree[a] = degree.get(a, 0) + 1
        if b in held:
            degree[b] = degree.get(b, 0) + 1
            linked_lanes.add(1 << LOWEST_BIT.get(held[a], NO_LANE) | 1 << LOWEST_BIT.get(held[b], NO_LANE))
        else:
            outside_total += 1
    result.links_total = len(links)
    result.outside_links_total = outside_total
    result.isolated_total = result.members - len(degree)
    result.missing_pairs = [(p, q) for (i, p), (j, q) in combinations(enumerate(Position), 2)
                            if (1 << i | 1 << j) not in linked_lanes]

    ids = _candidates(held, degree, locale)
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


def _links(cluster_id: int, year: int, held: dict) -> dict[tuple, list]:
    """Every link with a member of `held` at its end at the end of `year`, by (kind, member, other firm):
    [how many, confirmed value, first year, last year], the fiscal years reported for a partnership
    (PARTNERSHIP: requests closed as partnered, and agreements answered to a follow-up, reported up to the
    end of `year`), the fiscal years of the matching days for a meeting (MEETING: held on matching days up to
    the end of `year`). Of a link between two members, the member end is the lower id.

    The rows come one per partnership or meeting and are added up here. A cluster with more than
    READ_EVERY_LINK members reads every partnership and held meeting of the programme up to the year, and
    keeps those with a member here (`held`): for the largest (33,000 of 100,000 firms), asking SQL to
    find its members' links cost more than reading the 35,000 and looking each firm up in a dict, because
    SQLite builds a list of the members for each of the four member tests (the whole map, old and new
    alternately in one process, p50: SQLite 161 -> 96 ms, PostgreSQL 124 -> 91). For a cluster of 5,400
    members, reading every link cost more (SQLite 56 against 69 ms, PostgreSQL 51 against 64), so a smaller
    cluster's links are found by its members in SQL."""
    ids = None  # the members, for SQL to find their links: a cluster of up to READ_EVERY_LINK members only
    if len(held) <= READ_EVERY_LINK:
        ids = select(_members_with_positions(cluster_id, year).subquery().c.firm_id)
    confirmed_value = case((dashboard.confirmed(), Outcome.value_baht), else_=0)
    partnerships = (select(Outcome.firm_id, Outcome.partner_firm_id, confirmed_value, Outcome.fiscal_year)
                    .where(*queries.partnerships_until(year)))
    meetings = _held_meetings(year)
    if ids is not None:
        partnerships = partnerships.where(or_(Outcome.firm_id.in_(ids), Outcome.partner_firm_id.in_(ids)))
        meetings = meetings.where(or_(MeetingRequest.from_firm_id.in_(ids), MeetingRequest.to_firm_id.in_(ids)))
    links = {}
    _add(links, held, PARTNERSHIP, _fetch(partnerships))
    _add(links, held, MEETING, _fetch(meetings))
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
