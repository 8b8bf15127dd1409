"""Public reads: clusters, the directory, firm profiles, the request board, the programme's results.
Each reuses the page's own query and permission rule, so the API shows exactly what the page would."""
from apiflask.exceptions import HTTPError
from flask import abort
from flask_login import current_user
from sqlalchemy import select

from portal import reference
from portal.admin import dashboard
from portal.api import pagination, schemas
from portal.api.problems import problem
from portal.api.views import bp
from portal.clusters.models import Cluster
from portal.collab import queries as board_queries
from portal.collab.views import board_filters
from portal.directory import queries as directory_queries
from portal.directory.views import filters_from
from portal.extensions import db
from portal.firms import queries as firm_queries
from portal.i18n import gettext as _
from portal.permissions import can_view_firm, can_view_firm_contacts, can_view_request


def _after(query_data) -> int:
    try:
        return pagination.decode(query_data.get("cursor"))
    except pagination.BadCursor:
        abort(problem(400, _("The cursor is not valid: start again from the first page.")))


def _check(problems_found: list):
    """The page drops an unknown cluster or province with a message; the API says so as a 422."""
    if problems_found:
        raise HTTPError(422, detail={"query": {"filters": [str(p) for p in problems_found]}})


# --- serialisation ---------------------------------------------------------------------------------

def _province(province_id):
    ref = reference.provinces().get(province_id)
    return ref and {"code": ref.key, "name_th": ref.name_th, "name_en": ref.name_en}


def cluster_body(cluster: Cluster) -> dict:
    return {"slug": cluster.slug, "name_th": cluster.name_th, "name_en": cluster.name_en,
            "description_th": cluster.description_th, "description_en": cluster.description_en}


def firm_body(firm) -> dict:
    return {"id": firm.id, "name_th": firm.name_th, "name_en": firm.name_en, "province": _province(firm.province_id),
            "size": firm.size.value, "verified": firm.verified_at is not None,
            "description_th": firm.description_th, "description_en": firm.description_en,
            "products_th": firm.products_th, "products_en": firm.products_en, "website": firm.website}


def request_body(item) -> dict:
    province = reference.provinces().get(item.province_id)
    return {"id": item.id, "kind": item.kind.value, "status": item.status.value,
            "title_th": item.title_th, "title_en": item.title_en, "details_th": item.details_th,
            "details_en": item.details_en, "quantity": item.quantity,
            "budget_min": None if item.budget_min is None else str(item.budget_min),
            "budget_max": None if item.budget_max is None else str(item.budget_max),
            "cluster": item.cluster.slug if item.cluster_id else None, "province": province and province.key,
            "position_sought": item.position_sought.value if item.position_sought else None,
            "expires_on": item.expires_on, "created_at": item.created_at,
            "firm": {"id": item.firm.id, "name_th": item.firm.name_th, "name_en": item.firm.name_en}}


# --- routes ----------------------------------------------------------------------------------------

@bp.get("/v1/clusters")
@bp.output(schemas.ClusterList)
def clusters():
    """The clusters"""
    rows = db.session.scalars(select(Cluster).order_by(Cluster.id))
    return {"items": [cluster_body(c) for c in rows]}


@bp.get("/v1/clusters/<slug>")
@bp.output(schemas.Cluster)
def cluster(slug):
    """One cluster"""
    found = db.session.scalar(select(Cluster).where(Cluster.slug == slug[:80]))
    if found is None:
        abort(404)
    return cluster_body(found)


@bp.get("/v1/firms")
@bp.input(schemas.FirmQuery, location="query")
@bp.output(schemas.FirmList)
def firms(query_data):
    """The member directory

    The directory's filters and visibility: signed out, only firms that consented to a public listing."""
    filters = filters_from(_directory_args(query_data))
    _check(filters.problems)
    rows = directory_queries.keyset(filters, current_user, _after(query_data), query_data["limit"] + 1)
    return pagination.page(rows, query_data["limit"], firm_body)


def _directory_args(query_data) -> dict:
    args = {key: value for key, value in query_data.items() if key in ("q", "cluster", "position", "province", "size")}
    if query_data.get("verified"):
        args["verified"] = "1"
    return args


@bp.get("/v1/firms/<int:firm_id>")
@bp.output(schemas.FirmDetail)
def firm(firm_id):
    """One firm's profile

    Contacts only where the firm page shows them: never signed out."""
    found = firm_queries.get_or_404(firm_id)
    if not can_view_firm(current_user, found):
        abort(404)
    return firm_detail_body(found)


def firm_detail_body(found) -> dict:
    """A firm's profile as the viewer (current_user) may see it: contacts only where the firm page shows them."""
    body = firm_body(found)
    body.update(legal_form=found.legal_form.value, founded_year=found.founded_year, contacts=None,
                clusters=[{"slug": m.cluster.slug, "name_th": m.cluster.name_th, "name_en": m.cluster.name_en,
                           "positions": sorted(p.position.value for p in m.positions)}
                          for m in firm_queries.clusters_of(found)])
    if can_view_firm_contacts(current_user, found):
        body["contacts"] = {"phone": found.phone, "email": found.email, "line_id": found.line_id}
    return body


@bp.get("/v1/requests")
@bp.input(schemas.RequestQuery, location="query")
@bp.output(schemas.RequestList)
def requests(query_data):
    """The request board

    Open requests by default, with the board's filters and visibility."""
    args = {key: value for key, value in query_data.items()
            if key in ("q", "cluster", "kind", "position", "province", "status")}
    filters = board_filters(args)
    _check(filters.problems)
    rows = board_queries.keyset(filters, current_user, _after(query_data), query_data["limit"] + 1)
    return pagination.page(rows, query_data["limit"], request_body)


@bp.get("/v1/requests/<int:request_id>")
@bp.output(schemas.Request)
def request_detail(request_id):
    """One request"""
    found = board_queries.request_or_404(request_id)
    if not can_view_request(current_user, found):
        abort(404)
    return request_body(found)


@bp.get("/v1/results/<int:year>")
@bp.output(schemas.Results)
def results(year):
    """The programme's results for a fiscal year

    The figures of the public results page: totals, no firm-level data."""
    if not 2400 < year < 2700:
        abort(404)
    f = dashboard.figures(year, None, breakdowns=False)
    return {"fiscal_year": year, "members": f.members, "members_joined": f.members_joined,
            "members_left": f.members_left, "requests_posted": f.requests_posted,
            "requests_answered": f.requests_answered, "requests_partnered": f.requests_partnered,
            "value_confirmed": str(f.value_confirmed),
            "value_by_kind": {kind.value: str(value) for kind, value in f.value_by_kind.items()}}
