"""Read-only queries for cluster pages: lists with member counts, and the value-chain map."""
from dataclasses import dataclass, field
from functools import lru_cache

from flask import abort
from sqlalchemy import Integer, String, bindparam, exists, func, literal, select, union_all
from sqlalchemy.orm import joinedload

from portal import reference
from portal.clusters.models import Cluster, Membership, MembershipPosition, MembershipStatus, Position
from portal.db import thai_order, utcnow
from portal.extensions import db
from portal.firms.models import Firm
from portal.firms.queries import listed, listed_firms_filter, sees_every_listed_firm, visible_firm_filter
from portal.following.queries import follow_id_column, follower
from portal.i18n import current_locale
from portal.listing import COUNT_CAP, CappedPage, capped_count, capped_page


def get_by_slug_or_404(slug: str) -> Cluster:
    return page_of(slug, None)[0]


def page_of(slug: str, viewer) -> tuple[Cluster, int | None]:
    """The cluster, or 404, with its agency and association, and the id of the viewer's follow of it
    (following.queries.follow_id_column; NULL without a viewer) in the same statement: signed in, a round trip
    fewer on its page. Every cluster page and coordinator's page reads it; its statement is kept (_page_statement)."""
    signed_in, params = follower(viewer)
    row = db.session.execute(_page_statement(signed_in), {"slug": slug, **params}).first()
    if row is None:
        abort(404)
    return row[0], row[1]


@lru_cache(maxsize=2)
def _page_statement(signed_in: bool):
    """page_of's statement, built once for visitors and once for the signed in: building it and its cache key
    again on every page (an ORM statement with two joined loads) cost about 0.2 ms of CPU a call."""
    return (select(Cluster, follow_id_column(signed_in, cluster_id=Cluster.id))
            .where(Cluster.slug == bindparam("slug", type_=String))
            .options(joinedload(Cluster.agency), joinedload(Cluster.association)))


def firm_name_order(english: bool | None = None):
    """Order firms by the name shown in this locale (English falls back to Thai), in Thai dictionary
    order: the precomputed sort keys compare the same way on both databases. `english`: that language's
    order, whatever the request's (None: the request's)."""
    if english is None:
        english = current_locale() == "en"
    if english:
        return (Firm.sort_en, Firm.id)
    return (Firm.sort_th, Firm.id)


def list_with_counts() -> list[tuple[Cluster, int]]:
    """Every cluster, in name order, with its member firms now (the results' definition, the same for every
    viewer; counts cached briefly)."""
    from portal.admin import dashboard
    from portal.thai import fiscal_year

    year = fiscal_year(utcnow())
    counts = reference.cached(f"cluster-members:{year}", lambda: dashboard.members_by_cluster(year))
    statement = _clusters_statement(current_locale() == "en", db.session.get_bind().dialect.name)
    clusters = db.session.scalars(statement).all()
    return [(cluster, counts.get(cluster.id, 0)) for cluster in clusters]


@lru_cache(maxsize=4)
def _clusters_statement(english: bool, _dialect: str):
    """list_with_counts' statement, built once in each language's name order (thai_order's collation is the
    database's: the dialect is in the key)."""
    name = Cluster.name_en if english else Cluster.name_th
    return (select(Cluster)
            .options(joinedload(Cluster.agency), joinedload(Cluster.association))
            .order_by(thai_order(func.coalesce(name, Cluster.name_th)), Cluster.id))


def member_firms(cluster_id: int | None = None) -> int:
    """Member firms now, of the programme or one cluster: the figure /results shows for the year under way."""
    from portal.admin import dashboard
    from portal.thai import fiscal_year

    return dashboard.member_total(cluster_id, fiscal_year(utcnow()))


def public_listings(cluster_id: int | None = None) -> int:
    """Public listings: member firms (now) that anyone may see listed, having consented to a public listing
    and not hidden by moderation. The same number whoever looks; signed-in members see more firms listed."""
    def count():  # built only when counted, not on every page that finds the figure kept
        query = (select(func.count(func.distinct(Membership.firm_id)))
                 .join(Firm, Firm.id == Membership.firm_id)
                 .where(Membership.status == MembershipStatus.APPROVED, Firm.is_public))
        if cluster_id is not None:
            query = query.where(Membership.cluster_id == cluster_id)
        return db.session.scalar(query) or 0

    return reference.cached(f"public-listings:{cluster_id}", count)


@dataclass
class Column:
    position: Position
    count: int = 0  # counted up to cap + 1
    firms: list[Firm] = field(default_factory=list)

    @property
    def cap(self) -> int:
        return COUNT_CAP

    @property
    def capped(self) -> bool:
        """More firms than the cap: the page says "more than cap", never the cap + 1 it counted."""
        return self.count > self.cap


def _full_key(cluster_id: int, position: Position) -> str:
    return f"chain-full:{cluster_id}:{position.value}:{'signed-in' if sees_every_listed_firm() else 'public'}"


def position_counts(cluster: Cluster, positions=tuple(Position)) -> dict[Position, int]:
    """The viewer's visible member firms at each position, counted up to COUNT_CAP + 1 (one statement).

    A count found over the cap is remembered for COUNTS_CACHE_SECONDS, per position and audience (signed
    in, or the public), and not counted again meanwhile: in the largest cluster the four capped counts
    were 40 % of the page on PostgreSQL (9.7 of 23 ms), to say "more than 1,000" each time. Counts under the
    cap are never remembered, so a firm joining or leaving a small cluster shows at once; only a count
    falling from over the cap to under it can lag, by COUNTS_CACHE_SECONDS at most."""
    counts = {p: COUNT_CAP + 1 for p in positions if reference.remembered(_full_key(cluster.id, p))}
    wanted = tuple(p for p in positions if p not in counts)
    if wanted:
        counted = db.session.execute(_counts_statement(wanted, sees_every_listed_firm(), COUNT_CAP),
                                     {"cluster_id": cluster.id}).one()
        for position, count in zip(wanted, counted, strict=True):
            counts[position] = count
            if count > COUNT_CAP:
                reference.remember(_full_key(cluster.id, position))
    return counts


# A cluster page's statements are built once for each shape (the positions asked, the audience, the language's
# name order) and kept, with the cluster's id as their parameter: building the counts and the firsts of the
# value chain and their cache keys took about 5 ms of a page's 20 ms of Python on every page, for the same SQL.
_CLUSTER_ID = bindparam("cluster_id", type_=Integer)


@lru_cache(maxsize=64)
def _counts_statement(positions: tuple[Position, ...], every_listed: bool, cap: int):
    """position_counts' statement for those positions and that audience (`cap`: COUNT_CAP when built)."""
    return select(*[capped_count(_at_position_query(_CLUSTER_ID, p, every_listed).with_only_columns(Membership.id),
                                 cap).scalar_subquery() for p in positions])


def value_chain(cluster: Cluster, per_position: int = 12) -> list[Column]:
    """The cluster's member firms under upstream / midstream / downstream, with counts.

    A firm holding several positions appears in each of its columns. Counts stop at COUNT_CAP
    ("more than 1,000"), so a cluster of 10,000 members costs what one of 1,000 does. Two queries: the
    counts (none when each is known to be over the cap: position_counts), then the first firms of all three
    columns.
    """
    by_position = position_counts(cluster)
    columns = {position: Column(position=position, count=by_position[position]) for position in Position}
    held = tuple(p for p in Position if by_position[p])
    if held:
        rows = db.session.execute(_firsts_statement(held, sees_every_listed_firm(), current_locale() == "en",
                                                    per_position), {"cluster_id": cluster.id}).all()
        for firm, position in sorted(rows, key=lambda row: _sort_value(row[0])):
            columns[Position(position)].firms.append(firm)
    return list(columns.values())


@lru_cache(maxsize=64)
def _firsts_statement(positions: tuple[Position, ...], every_listed: bool, english: bool, per_position: int):
    """value_chain's firms: the first `per_position` at each position, in the language's name order (English
    falls back to Thai: firm_name_order). Walk the firms' name index and probe the memberships: the first dozen
    come quickly even in a cluster of tens of thousands (sorting every member would not)."""
    order = firm_name_order(english)
    firsts = [
        select(Firm.id.label("firm_id"), literal(p.value).label("position"))
        .where(listed_firms_filter(every_listed), _holds(_CLUSTER_ID, p)).order_by(*order).limit(per_position)
        .subquery()
        for p in positions
    ]
    picked = union_all(*[select(s.c.firm_id, s.c.position) for s in firsts]).subquery()
    return select(Firm, picked.c.position).options(*listed()).join(picked, picked.c.firm_id == Firm.id)


def _holds(cluster_id, position: Position):
    """EXISTS: the firm is an approved member of the cluster (its id, or a parameter) at the position."""
    return exists().where(
        Membership.firm_id == Firm.id, Membership.cluster_id == cluster_id,
        Membership.status == MembershipStatus.APPROVED,
        MembershipPosition.membership_id == Membership.id, MembershipPosition.position == position,
    )


def _sort_value(firm):
    return (firm.sort_en if current_locale() == "en" else firm.sort_th, firm.id)


def _at_position_query(cluster_id, position: Position, every_listed: bool):
    """The cluster's (its id, or a parameter) member firms at the position that the audience sees listed
    (firms.queries.listed_firms_filter)."""
    return (
        select(Firm)
        .join(Membership, Membership.firm_id == Firm.id)
        .join(MembershipPosition, MembershipPosition.membership_id == Membership.id)
        .where(
            Membership.cluster_id == cluster_id,
            Membership.status == MembershipStatus.APPROVED,
            listed_firms_filter(every_listed),
            MembershipPosition.position == position,
        )
    )


def firms_at_position(cluster: Cluster, position: Position):
    """Select of visible member firms holding `position` in `cluster`, in name order."""
    return (select(Firm).options(*listed()).where(visible_firm_filter(), _holds(cluster.id, position))
            .order_by(*firm_name_order()))


def members_page(cluster: Cluster, position: Position, page: int, per_page: int) -> CappedPage:
    """A page of the members at one position, counted up to COUNT_CAP ("more than 1,000"); a page that does
    not exist shows page 1 (portal.listing's rule). The count was exact before, and cost 0.3 s a page in a
    cluster of 30,000 members."""
    query = firms_at_position(cluster, position)
    known = position_counts(cluster, (position,))[position]
    return capped_page(None, query, page, per_page, COUNT_CAP, total=known)


def programme_totals() -> dict[str, int]:
    """Headline figures for the home page, the same for every viewer: clusters, member firms now (each firm
    once), the provinces they are in, and public listings."""
    from portal.admin import dashboard
    from portal.thai import fiscal_year

    def load():
        counts = dashboard.member_counts(None, fiscal_year(utcnow()))
        return {
            "clusters": db.session.scalar(select(func.count()).select_from(Cluster)),
            "firms": counts["member"].get("", 0),
            "provinces": len(counts["province"]),
            "public_listings": public_listings(),
        }

    return reference.cached("programme-totals", load)
