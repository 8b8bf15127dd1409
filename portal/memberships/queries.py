"""Reads for membership pages."""
from functools import cache

from flask import abort
from sqlalchemy import Integer, bindparam, select
from sqlalchemy.orm import joinedload, selectinload

from portal.clusters.models import Cluster, CoordinatorTerm, Membership, MembershipStatus
from portal.extensions import db
from portal.firms.models import Firm


def membership_or_404(membership_id: int, firm_id: int | None = None, cluster_id: int | None = None) -> Membership:
    membership = db.session.scalar(_membership_statement(), {"id": membership_id})
    if membership is None or (firm_id and membership.firm_id != firm_id) or \
            (cluster_id and membership.cluster_id != cluster_id):
        abort(404)
    return membership


@cache
def _membership_statement():
    """membership_or_404's statement, built once (a coordinator's every decision reads it)."""
    return (select(Membership).where(Membership.id == bindparam("id", type_=Integer))
            .options(joinedload(Membership.firm).joinedload(Firm.province), joinedload(Membership.cluster),
                     selectinload(Membership.positions)))


def of_firm(firm: Firm) -> list[Membership]:
    """Every membership of the firm, newest first: current ones and their history."""
    return list(db.session.scalars(
        select(Membership).where(Membership.firm_id == firm.id)
        .options(joinedload(Membership.cluster), selectinload(Membership.positions))
        .order_by(Membership.created_at.desc(), Membership.id.desc())
    ))


def clusters_to_join(firm: Firm) -> list[Cluster]:
    """Clusters where the firm has no current (pending or approved) membership nor an open invitation."""
    current = select(Membership.cluster_id).where(
        Membership.firm_id == firm.id,
        Membership.status.in_([MembershipStatus.PENDING, MembershipStatus.APPROVED, MembershipStatus.INVITED]))
    return list(db.session.scalars(select(Cluster).where(Cluster.id.not_in(current)).order_by(Cluster.name_th)))


def pending(cluster: Cluster) -> tuple:
    """(select, its values) of the requests waiting for a decision, oldest first, with what the queue shows: for
    portal.listing.paginate, a statement built once and kept (a coordinator's queue is opened after every decision)."""
    return _pending_statement(), {"cluster_id": cluster.id}


@cache
def _pending_statement():
    return (
        select(Membership).where(Membership.cluster_id == bindparam("cluster_id", type_=Integer),
                                 Membership.status == MembershipStatus.PENDING)
        .options(joinedload(Membership.firm).joinedload(Firm.province), selectinload(Membership.positions))
        .order_by(Membership.created_at, Membership.id)
    )


def members(cluster: Cluster):
    """Select of approved memberships, with firm, province and positions loaded (for pagination)."""
    return (
        select(Membership).where(Membership.cluster_id == cluster.id, Membership.status == MembershipStatus.APPROVED)
        .options(joinedload(Membership.firm).joinedload(Firm.province), selectinload(Membership.positions))
        .order_by(Membership.decided_at.desc(), Membership.id.desc())
    )


def terms(cluster: Cluster) -> list[CoordinatorTerm]:
    return list(db.session.scalars(
        select(CoordinatorTerm).where(CoordinatorTerm.cluster_id == cluster.id)
        .options(joinedload(CoordinatorTerm.user), joinedload(CoordinatorTerm.organisation))
        .order_by(CoordinatorTerm.ends_on.desc(), CoordinatorTerm.id.desc())
    ))


def invitations(cluster: Cluster):
    """Select of the cluster's invitations to firms, open and answered, newest first (for pagination)."""
    return (
        select(Membership).where(Membership.cluster_id == cluster.id, Membership.invited_at.is_not(None))
        .options(joinedload(Membership.firm), selectinload(Membership.positions))
        .order_by(Membership.invited_at.desc(), Membership.id.desc())
    )
