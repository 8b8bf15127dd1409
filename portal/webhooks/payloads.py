"""What an event says about its object, in the JSON API's shapes (portal/api/schemas.py) where the API
shows that object, so a receiver reads the same fields it would read from /api/v1."""
from sqlalchemy import select

from portal import reference
from portal.extensions import db


def _cluster_slug(cluster_id):
    from portal.clusters.models import Cluster

    return db.session.get(Cluster, cluster_id).slug if cluster_id else None


def membership(m) -> dict:
    from portal.api import schemas
    from portal.clusters.models import MembershipPosition

    positions = db.session.scalars(select(MembershipPosition.position)
                                   .where(MembershipPosition.membership_id == m.id)).all()
    return schemas.Membership().dump({
        "id": m.id, "firm_id": m.firm_id, "cluster": _cluster_slug(m.cluster_id), "status": m.status.value,
        "positions": sorted(p.value for p in positions), "fiscal_year": m.fiscal_year,
        "created_at": m.created_at, "decided_at": m.decided_at})


def collab_request(item) -> dict:
    """As GET /api/v1/requests/<id> shows it (portal/api/resources.request_body)."""
    from portal.api import schemas
    from portal.firms.models import Firm

    firm = db.session.get(Firm, item.firm_id)
    province = reference.provinces().get(item.province_id)
    return schemas.Request().dump({
        "id": item.id, "kind": item.kind.value, "status": item.status.value,
        "title_th": item.title_th, "title_en": item.title_en, "details_th": item.details_th,
        "details_en": item.details_en, "quantity": item.quantity,
        "budget_min": None if item.budget_min is None else str(item.budget_min),
        "budget_max": None if item.budget_max is None else str(item.budget_max),
        "cluster": _cluster_slug(item.cluster_id), "province": province and province.key,
        "position_sought": item.position_sought.value if item.position_sought else None,
        "expires_on": item.expires_on, "created_at": item.created_at,
        "firm": {"id": firm.id, "name_th": firm.name_th, "name_en": firm.name_en}})


def outcome(o) -> dict:
    """The API has no outcome resource yet: the confirmed partnership's own fields."""
    return {"id": o.id, "request_id": o.request_id, "firm_id": o.firm_id, "partner_firm_id": o.partner_firm_id,
            "cluster": _cluster_slug(o.cluster_id), "kind": o.kind.value, "value_baht": str(o.value_baht),
            "fiscal_year": o.fiscal_year, "confirmation": o.confirmation.value,
            "confirmed_at": o.confirmed_at.isoformat() if o.confirmed_at else None}


def matching_day(event) -> dict:
    """The API has no matching-day resource yet: the event's title, dates and clusters."""
    return {"id": event.id, "title_th": event.title_th, "title_en": event.title_en, "status": event.status.value,
            "starts_on": event.starts_on.isoformat() if event.starts_on else None,
            "clusters": sorted(c.slug for c in event.clusters)}


# event type -> (object type in the ordering key, builder)
BUILDERS = {
    "membership.approved": ("membership", membership),
    "membership.ended": ("membership", membership),
    "request.posted": ("request", collab_request),
    "request.closed": ("request", collab_request),
    "outcome.confirmed": ("outcome", outcome),
    "schedule.published": ("event", matching_day),
}
