"""Coordinators through the API: their clusters' membership requests, and deciding them, with the rules,
services and audit entries of the coordinator's queue page (/clusters/<slug>/manage)."""
from flask import abort
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from portal.api import pagination, schemas, write_schemas
from portal.api.auth import auth, write_required
from portal.api.resources import _after
from portal.api.views import bp
from portal.api.writes import forbidden, refused
from portal.clusters import queries as cluster_queries
from portal.clusters.models import Membership, MembershipStatus
from portal.db import unit_of_work
from portal.exceptions import PermissionDenied, RuleViolation
from portal.extensions import db
from portal.memberships import services
from portal.permissions import can_decide_membership, can_manage_cluster


def membership_body(m: Membership) -> dict:
    return {"id": m.id, "cluster": m.cluster.slug, "status": m.status.value,
            "firm": {"id": m.firm.id, "name_th": m.firm.name_th, "name_en": m.firm.name_en},
            "positions": sorted(p.position.value for p in m.positions), "offers": m.offers, "seeks": m.seeks,
            "created_at": m.created_at, "decided_at": m.decided_at}


def _loaded():
    return (joinedload(Membership.firm), joinedload(Membership.cluster), selectinload(Membership.positions))


@bp.get("/v1/clusters/<slug>/membership-requests")
@bp.auth_required(auth)
@bp.input(schemas.PageQuery, location="query")
@bp.output(write_schemas.MembershipRequestList)
def membership_requests(slug, query_data):
    """A cluster's membership requests

    The requests waiting for a decision, for the cluster's coordinators (during their term) and OSMEP
    staff, as on the cluster's request queue page; in the order they were made."""
    cluster = cluster_queries.get_by_slug_or_404(slug[:80])
    if not can_manage_cluster(current_user, cluster):
        forbidden()
    limit = query_data["limit"]
    rows = list(db.session.scalars(
        select(Membership).where(Membership.cluster_id == cluster.id, Membership.status == MembershipStatus.PENDING,
                                 Membership.id > _after(query_data))
        .options(*_loaded()).order_by(Membership.id).limit(limit + 1)))
    return pagination.page(rows, limit, membership_body)


def _decidable(membership_id: int) -> Membership:
    """The membership, if the caller manages its cluster (404 otherwise: another cluster's requests are
    not theirs to see) and may decide it (403: a coordinator on the firm's own team, as on the page)."""
    membership = db.session.scalar(select(Membership).where(Membership.id == membership_id).options(*_loaded()))
    if membership is None or not can_manage_cluster(current_user, membership.cluster):
        abort(404)
    if not can_decide_membership(current_user, membership):
        forbidden()
    return membership


def _decided(membership_id: int) -> dict:
    return membership_body(db.session.scalar(select(Membership).where(Membership.id == membership_id)
                                             .options(*_loaded()).execution_options(populate_existing=True)))


@bp.post("/v1/memberships/<int:membership_id>/approve")
@write_required
@bp.auth_required(auth)
@bp.output(write_schemas.MembershipRequest)
def approve_membership(membership_id):
    """Approve a membership request

    The firm becomes a member; its owners are told, as when approved on the queue page."""
    membership = _decidable(membership_id)
    try:
        with unit_of_work():
            services.approve(current_user, membership)
    except PermissionDenied:
        forbidden()
    except RuleViolation as exc:
        refused(exc)
    return _decided(membership_id)


@bp.post("/v1/memberships/<int:membership_id>/decline")
@write_required
@bp.auth_required(auth)
@bp.input(write_schemas.Decline, location="json", arg_name="body")
@bp.output(write_schemas.MembershipRequest)
def decline_membership(membership_id, body):
    """Decline a membership request

    With a reason the firm is told, as on the queue page."""
    membership = _decidable(membership_id)
    try:
        with unit_of_work():
            services.decline(current_user, membership, body["reason"])
    except PermissionDenied:
        forbidden()
    except RuleViolation as exc:
        refused(exc)
    return _decided(membership_id)
