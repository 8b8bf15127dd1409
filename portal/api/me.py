"""Reads for the token's owner: the account, its firms, their memberships, requests and responses."""
from flask import g
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from portal.api import pagination, schemas
from portal.api.auth import auth
from portal.api.resources import _after, request_body
from portal.api.views import bp
from portal.clusters.models import Membership
from portal.collab.models import CollabRequest, Response
from portal.extensions import db
from portal.firms.models import Firm, FirmMember


def _my_firm_ids():
    return select(FirmMember.firm_id).where(FirmMember.user_id == current_user.id)


def _page(query, model, query_data, serialise):
    limit = query_data["limit"]
    rows = list(db.session.scalars(query.where(model.id > _after(query_data)).order_by(model.id).limit(limit + 1)))
    return pagination.page(rows, limit, serialise)


@bp.get("/v1/me")
@bp.auth_required(auth)
@bp.output(schemas.Me)
def me():
    """The token's account

    For a service token: its system (`role` "service", no `id`), named as on the admin page, and the
    system's contact e-mail. The other /me routes answer it with empty lists: a system owns no firm."""
    token = g.api_token
    role = "service" if token.is_service else current_user.role.value
    return {"id": current_user.id, "name": current_user.name, "email": current_user.email,
            "locale": current_user.locale, "role": role,
            "token": {"name": token.name, "scopes": token.scopes, "expires_at": token.expires_at}}


@bp.get("/v1/me/firms")
@bp.auth_required(auth)
@bp.input(schemas.PageQuery, location="query")
@bp.output(schemas.MyFirmList)
def my_firms(query_data):
    """The firms the account owns or edits"""
    limit = query_data["limit"]
    rows = db.session.execute(
        select(Firm, FirmMember.role).join(FirmMember, FirmMember.firm_id == Firm.id)
        .where(FirmMember.user_id == current_user.id, Firm.id > _after(query_data))
        .order_by(Firm.id).limit(limit + 1)).all()
    return pagination.page([_Row(firm, role) for firm, role in rows], limit, _Row.body)


class _Row:
    def __init__(self, firm, role):
        self.id, self.firm, self.role = firm.id, firm, role

    def body(self):
        return {"id": self.firm.id, "name_th": self.firm.name_th, "name_en": self.firm.name_en,
                "role": self.role.value}


@bp.get("/v1/me/memberships")
@bp.auth_required(auth)
@bp.input(schemas.PageQuery, location="query")
@bp.output(schemas.MembershipList)
def my_memberships(query_data):
    """The cluster memberships of the account's firms, whatever their status"""
    query = (select(Membership).where(Membership.firm_id.in_(_my_firm_ids()))
             .options(joinedload(Membership.cluster), selectinload(Membership.positions)))
    return _page(query, Membership, query_data, lambda m: {
        "id": m.id, "firm_id": m.firm_id, "cluster": m.cluster.slug, "status": m.status.value,
        "positions": sorted(p.position.value for p in m.positions), "fiscal_year": m.fiscal_year,
        "created_at": m.created_at, "decided_at": m.decided_at})


@bp.get("/v1/me/requests")
@bp.auth_required(auth)
@bp.input(schemas.PageQuery, location="query")
@bp.output(schemas.RequestList)
def my_requests(query_data):
    """The requests the account's firms posted, open or not"""
    query = (select(CollabRequest).where(CollabRequest.firm_id.in_(_my_firm_ids()))
             .options(joinedload(CollabRequest.firm), joinedload(CollabRequest.cluster)))
    return _page(query, CollabRequest, query_data, request_body)


@bp.get("/v1/me/responses")
@bp.auth_required(auth)
@bp.input(schemas.PageQuery, location="query")
@bp.output(schemas.ResponseList)
def my_responses(query_data):
    """The responses the account's firms made to others' requests"""
    query = select(Response).where(Response.firm_id.in_(_my_firm_ids()))
    return _page(query, Response, query_data, lambda r: {
        "id": r.id, "request_id": r.request_id, "firm_id": r.firm_id, "status": r.status.value,
        "created_at": r.created_at, "decided_at": r.decided_at})
