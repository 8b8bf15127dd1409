"""The network map of one cluster at the end of a fiscal year: its member firms in value-chain lanes, and
the partnerships and held meetings between them (and with firms outside the cluster) as links.

Every definition is the scorecard's (portal.scorecard.queries): the members and their positions at the end
of the year from the rollup's kept keys, partnerships as the collaboration density counts them (reported
up to the end of the year), held meetings by their matching day (up to the end of the year), and a
partnership's value counts when confirmed (portal.admin.dashboard.confirmed). The map shows the network as
it stood at the end of the chosen year, so two years side by side show before and after.

Four statements whatever the cluster's size: members with their positions, partnerships and held
meetings (each aggregated by pair of firms in SQL), and the names of the firms outside the cluster.
The layout is deterministic: a lane per position, firms in each by name, at most MAX_NODES firms drawn
(those with the most links), the same firms in the table beside the map.
"""
import heapq
import math
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import combinations

from sqlalchemy import case, func, or_, select

from portal.admin import dashboard
from portal.clusters.models import Position
from portal.collab.models import Outcome
from portal.db import among
from portal.extensions import db
from portal.firms.models import Firm
from portal.scorecard import queries
from portal.thai import fiscal_year, thai_sort_key

MAX_NODES = 150
PARTNERSHIP, MEETING = "partnership", "meeting"
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
        return str(self.first_year) if self.first_year == self.last_year else f"{self.first_year}–{self.last_year}"

    @property
    def stroke(self) -> float:
        """Stroke width: held meetings thin (drawn dashed); partnerships thicker with their confirmed
        value, on a log scale, capped (1 baht to 100 million baht: 2 to 8)."""
        if self.kind == MEETING:
            return 1.5
        return round(2 + min(6.0, 0.75 * math.log10(1 + float(self.value))), 2)


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
    nodes: dict = field(default_factory=dict)  # firm id -> Node, every member
    links: list = field(default_factory=list)  # between drawn members, or from a drawn member to outside
    outside_names: dict = field(default_factory=dict)  # firm id -> name, firms outside the cluster
    links_total: int = 0  # every link, drawn or not
    outside_links_total: int = 0
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
    def isolated_total(self) -> int:
        return sum(1 for node in self.nodes.values() if node.isolated)

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
    members = queries.members_at_year_end(year, [cluster_id]).cte("map_members")
    positions = queries.positions_at_year_end(year, [cluster_id]).subquery()
    # Plain rows (no ORM result processing): a large cluster has tens of thousands of members. Their names
    # are read below for the firms that can be drawn only: reading 37,000 firms' rows was most of the map.
    rows = db.session.connection().execute(
        select(members.c.firm_id, positions.c.position)
        .outerjoin(positions, positions.c.firm_id == members.c.firm_id)).all()  # fetched at once: faster
    order = {p: n for n, p in enumerate(Position)}
    by_value = {p.value: p for p in Position}
    nodes = result.nodes
    for firm_id, position in rows:
        node = nodes.get(firm_id)
        if node is None:
            node = nodes[firm_id] = Node(firm_id, "", [])
        if position in by_value:
            node.positions.append(by_value[position])
    for node in nodes.values():
        if len(node.positions) > 1:
            node.positions.sort(key=order.__getitem__)
    result.members = len(nodes)

    links = _partnerships(year, members) + _meetings(year, members)
    for link in links:
        if link.a not in nodes:  # a member first (of two members, the first by name: once they are named)
            link.a, link.b = link.b, link.a
        link.outside = link.b not in nodes
        nodes[link.a].links += 1
        if not link.outside:
            nodes[link.b].links += 1
    result.links_total = len(links)
    result.outside_links_total = sum(1 for link in links if link.outside)
    result.missing_pairs = _missing_pairs(nodes, links)
    candidates = _candidates(nodes)
    ids = {node.firm_id for node in candidates}
    names = _names(ids | {link.b for link in links if link.outside and link.a in ids}, locale)
    for node in candidates:
        node.name, node.sort = names.get(node.firm_id, ("", ""))
    _layout(result, links, candidates)
    for link in result.links:  # of two members (both drawn), the first by name
        if not link.outside and _order(nodes[link.b]) < _order(nodes[link.a]):
            link.a, link.b = link.b, link.a
    result.outside_names = {link.b: names[link.b][0] for link in result.links if link.outside and link.b in names}

    def key(firm_id):
        node = result.nodes.get(firm_id)
        return node.sort if node else thai_sort_key(result.outside_names.get(firm_id, ""))

    # Partnerships first, then meetings; by the firms' names (Thai dictionary order): the same order on
    # every database, in the drawing and in the table.
    result.links.sort(key=lambda link: (link.kind != PARTNERSHIP, link.outside, key(link.a), key(link.b),
                                        link.a, link.b))
    return result


def _order(node: Node):
    return node.sort, node.firm_id


def _name(name_th, name_en, locale):
    return (name_en or name_th or "") if locale == "en" else (name_th or name_en or "")


def _partnerships(year: int, members) -> list[Link]:
    """Partnerships reported up to the end of `year` with a member on either side (requests closed as
    partnered, and agreements answered to a follow-up), one Link per pair of firms: how many, their
    confirmed value, the first and last year reported."""
    confirmed_value = func.sum(case((dashboard.confirmed(), Outcome.value_baht), else_=0))
    ids = select(members.c.firm_id)
    found = db.session.execute(
        select(Outcome.firm_id, Outcome.partner_firm_id, func.count(), confirmed_value,
               func.min(Outcome.fiscal_year), func.max(Outcome.fiscal_year))
        .where(*queries.partnerships_until(year),
               or_(Outcome.firm_id.in_(ids), Outcome.partner_firm_id.in_(ids)))
        .group_by(Outcome.firm_id, Outcome.partner_firm_id)).all()
    return _merge(found, PARTNERSHIP)


def _meetings(year: int, members) -> list[Link]:
    """Meetings held on matching days up to the end of `year` with a member on either side, one Link per
    pair of firms: how many, the fiscal years of the first and last."""
    held = queries.held_meetings_until(year).subquery()
    ids = select(members.c.firm_id)
    found = db.session.execute(
        select(held.c.a, held.c.b, func.count(), func.min(held.c.day), func.max(held.c.day))
        .where(or_(held.c.a.in_(ids), held.c.b.in_(ids)), held.c.a != held.c.b)
        .group_by(held.c.a, held.c.b)).all()
    years = {}  # a few hundred matching days for tens of thousands of pairs: each day's year worked out once
    year_of = lambda day: years.get(day) or years.setdefault(day, fiscal_year(day))  # noqa: E731
    zero = Decimal(0)
    rows = [(a, b, count, zero, year_of(first), year_of(last)) for a, b, count, first, last in found]
    return _merge(rows, MEETING)


def _merge(rows, kind: str) -> list[Link]:
    """One Link per unordered pair of firms, from rows grouped by (first firm, second firm)."""
    merged = {}
    for a, b, count, value, first, last in rows:
        key = (min(a, b), max(a, b))
        link = merged.get(key)
        if link is None:
            merged[key] = Link(a, b, kind, int(count), Decimal(value or 0), int(first), int(last))
            continue
        link.count += int(count)
        link.value += Decimal(value or 0)
        link.first_year, link.last_year = min(link.first_year, int(first)), max(link.last_year, int(last))
    return list(merged.values())


def _missing_pairs(nodes: dict, links: list) -> list:
    """Pairs of positions (by the lane each firm is drawn in) with no link between two of their firms."""
    linked = set()
    for link in links:
        if link.a in nodes and link.b in nodes:
            lanes = {nodes[link.a].lane, nodes[link.b].lane}
            linked.add(frozenset(lanes))
    return [(p, q) for p, q in combinations(Position, 2) if frozenset({p, q}) not in linked]


def _candidates(nodes: dict) -> list:
    """The members that can be drawn: all of them, or those with at least as many links as the member
    with the MAX_NODES-th most (any other has fewer links than every one of these, so it would not be
    drawn whatever its name)."""
    if len(nodes) <= MAX_NODES:
        return list(nodes.values())
    least = heapq.nlargest(MAX_NODES, (node.links for node in nodes.values()))[-1]
    return [node for node in nodes.values() if node.links >= least]


def _names(firm_ids, locale: str) -> dict[int, tuple[str, str]]:
    """{firm id: (name in `locale`, its stored Thai dictionary sort key)}, in one statement. The stored
    keys (the directory's): computing Thai dictionary keys here cost 75 µs a name."""
    if not firm_ids:
        return {}
    sort_key = Firm.sort_en if locale == "en" else Firm.sort_th
    return {firm_id: (_name(name_th, name_en, locale), sort or "")
            for firm_id, name_th, name_en, sort in db.session.connection().execute(
                select(Firm.id, Firm.name_th, Firm.name_en, sort_key).where(among(Firm.id, sorted(firm_ids))))}


def _layout(result: Network, links: list, candidates) -> None:
    """Choose the drawn members (all, or the MAX_NODES with the most links, ties by name, from the
    candidates), put them in their lanes by name, and keep the links whose member ends are drawn."""
    nodes = list(candidates)
    if len(result.nodes) > MAX_NODES:  # the first MAX_NODES of that order, without sorting every member
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
    result.links = [link for link in links
                    if link.a in drawn and (link.b in drawn or link.b not in result.nodes)]
    rows = max((len(lane.nodes) for lane in result.lanes), default=0)
    result.height = int(max(TOP + 30 + rows * ROW + BOW / 2, TOP + BOX_HEIGHT + 40))


def path(link: Link, nodes: dict, box: tuple[float, float]) -> str:
    """The SVG path of a drawn link: a line between nodes in neighbouring lanes; a curve bowed out to the
    right between two nodes of one lane (so that it does not run along the lane), and bowed down between
    lanes that are not neighbours (so that it does not run through the lane between); a line to the
    outside box for a firm outside the cluster."""
    start = nodes[link.a]
    if link.outside:
        x, y = box
        return f"M {start.x:.1f} {start.y:.1f} L {x:.1f} {y + BOX_HEIGHT / 2:.1f}"
    end = nodes[link.b]
    middle_x, middle_y = (start.x + end.x) / 2, (start.y + end.y) / 2
    if start.x == end.x:
        control = (start.x + 40 + min(120, abs(end.y - start.y) / 4), middle_y)
    elif abs(end.x - start.x) > LANE_WIDTH * 1.5:
        control = (middle_x, middle_y + BOW)
    else:
        return f"M {start.x:.1f} {start.y:.1f} L {end.x:.1f} {end.y:.1f}"
    return f"M {start.x:.1f} {start.y:.1f} Q {control[0]:.1f} {control[1]:.1f} {end.x:.1f} {end.y:.1f}"
