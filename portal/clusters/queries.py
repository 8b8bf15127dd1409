"""Read-only queries for cluster pages: lists with member counts, and the value-chain map."""
from dataclasses import dataclass, field

from flask import abort
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from portal.clusters.models import Cluster, Membership, MembershipPosition, MembershipStatus, Position
from portal.db import thai_order
from portal.extensions import db
from portal.firms.models import Firm
from portal.firms.queries import visible_firm_filter
from portal.i18n import current_locale


def get_by_slug_or_404(slug: str) -> Cluster:
    cluster = db.session.scalar(
        select(Cluster)
        .where(Cluster.slug == slug)
        .options(joinedload(Cluster.agency), joinedload(Cluster.association))
    )
    if cluster is None:
        abort(404)
    return cluster


def _member_firms(cluster_id: int):
    """Visible firms with an approved membership of the cluster (a select of Firm ids and positions)."""
    return (
        select(Firm.id)
        .join(Membership, Membership.firm_id == Firm.id)
        .where(
            Membership.cluster_id == cluster_id,
            Membership.status == MembershipStatus.APPROVED,
            visible_firm_filter(),
        )
    )


def firm_name_order():
    """Order firms by the name shown in this locale (English falls back to Thai), in Thai collation."""
    if current_locale() == "en":
        return (thai_order(func.coalesce(Firm.name_en, Firm.name_th)), Firm.id)
    return (thai_order(Firm.name_th), Firm.id)


def list_with_counts() -> list[tuple[Cluster, int]]:
    """Every cluster, in name order, with its number of visible member firms (one query for counts)."""
    counts = dict(
        db.session.execute(
            select(Membership.cluster_id, func.count(func.distinct(Membership.firm_id)))
            .join(Firm, Firm.id == Membership.firm_id)
            .where(Membership.status == MembershipStatus.APPROVED, visible_firm_filter())
            .group_by(Membership.cluster_id)
        ).all()
    )
    name = Cluster.name_en if current_locale() == "en" else Cluster.name_th
    clusters = db.session.scalars(
        select(Cluster)
        .options(joinedload(Cluster.agency), joinedload(Cluster.association))
        .order_by(thai_order(func.coalesce(name, Cluster.name_th)), Cluster.id)
    ).all()
    return [(cluster, counts.get(cluster.id, 0)) for cluster in clusters]


@dataclass
class Column:
    position: Position
    count: int = 0
    firms: list[Firm] = field(default_factory=list)


def value_chain(cluster: Cluster, per_position: int = 12) -> tuple[list[Column], int]:
    """The cluster's member firms under upstream / midstream / downstream, with counts.

    A firm holding several positions appears in each of its columns. Returns the columns and the
    number of distinct member firms.
    """
    members = _member_firms(cluster.id)
    counts = dict(
        db.session.execute(
            select(MembershipPosition.position, func.count())
            .join(Membership, Membership.id == MembershipPosition.membership_id)
            .where(Membership.firm_id.in_(members))
            .where(Membership.cluster_id == cluster.id, Membership.status == MembershipStatus.APPROVED)
            .group_by(MembershipPosition.position)
        ).all()
    )
    total = db.session.scalar(select(func.count()).select_from(members.subquery()))
    columns = {position: Column(position=position, count=counts.get(position, 0)) for position in Position}
    # The first few firms of every column in one query: rank firms within each position by name.
    ranked = (
        _at_position_query(cluster)
        .with_only_columns(
            Firm.id.label("firm_id"),
            MembershipPosition.position.label("position"),
            func.row_number()
            .over(partition_by=MembershipPosition.position, order_by=firm_name_order())
            .label("rank"),
        )
        .subquery()
    )
    rows = db.session.execute(
        select(Firm, ranked.c.position)
        .join(ranked, ranked.c.firm_id == Firm.id)
        .where(ranked.c.rank <= per_position)
        .order_by(ranked.c.position, ranked.c.rank)
        .options(selectinload(Firm.province))
    ).all()
    for firm, position in rows:
        columns[Position(position)].firms.append(firm)
    return list(columns.values()), total


def _at_position_query(cluster: Cluster, position: Position | None = None):
    query = (
        select(Firm)
        .join(Membership, Membership.firm_id == Firm.id)
        .join(MembershipPosition, MembershipPosition.membership_id == Membership.id)
        .where(
            Membership.cluster_id == cluster.id,
            Membership.status == MembershipStatus.APPROVED,
            visible_firm_filter(),
        )
    )
    if position is not None:
        query = query.where(MembershipPosition.position == position)
    return query


def firms_at_position(cluster: Cluster, position: Position):
    """Select of visible member firms holding `position` in `cluster`, in name order, provinces loaded."""
    return (
        _at_position_query(cluster, position)
        .options(selectinload(Firm.province))
        .order_by(*firm_name_order())
    )


def programme_totals() -> dict[str, int]:
    """Headline figures for the home page: clusters, member firms (each firm once), provinces reached."""
    members = (
        select(Firm.id, Firm.province_id)
        .join(Membership, Membership.firm_id == Firm.id)
        .where(Membership.status == MembershipStatus.APPROVED, visible_firm_filter())
        .distinct()
        .subquery()
    )
    firms, provinces = db.session.execute(
        select(func.count(members.c.id), func.count(func.distinct(members.c.province_id)))
    ).one()
    return {
        "clusters": db.session.scalar(select(func.count()).select_from(Cluster)),
        "firms": firms,
        "provinces": provinces,
    }
