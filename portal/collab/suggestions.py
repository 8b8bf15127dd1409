"""Who might fit a request, and which requests fit a firm; every suggestion says why.

Candidates come from the database (same cluster, position held), at most CANDIDATES of them, then are
ranked by how many reasons apply: same cluster, position sought, words of the title in the firm's text,
same province or region (the requests that fit a firm are ranked by the database, and only the ten shown say why).
"""
from sqlalchemy import and_, case, exists, literal, or_, select
from sqlalchemy.orm import joinedload

from portal import reference
from portal.clusters.models import Membership, MembershipPosition, MembershipStatus
from portal.collab.models import CollabRequest, RequestStatus, Response
from portal.extensions import db
from portal.firms.models import Firm
from portal.i18n import current_locale
from portal.i18n import gettext as _
from portal.search import terms
from portal.thai import bangkok_today

CANDIDATES = 200


def _membership_clause(cluster_id, position):
    clause = [Membership.firm_id == Firm.id, Membership.status == MembershipStatus.APPROVED]
    if cluster_id:
        clause.append(Membership.cluster_id == cluster_id)
    if position:
        clause.append(exists().where(MembershipPosition.membership_id == Membership.id,
                                     MembershipPosition.position == position))
    return exists().where(and_(*clause))


def _place_reason(province_a, province_b):
    provinces = reference.provinces()
    a, b = provinces.get(province_a), provinces.get(province_b)
    if not a or not b:
        return None
    if a.id == b.id:
        return _("In the same province (%(province)s)", province=a.name_in(current_locale()))
    if a.region and a.region == b.region:
        return _("In the same region")
    return None


def _near(province_id) -> list[int]:
    """The provinces _place_reason gives a reason for, beside this one: itself and those of its region."""
    provinces = reference.provinces()
    here = provinces.get(province_id)
    if not here:
        return []
    return sorted({here.id} | {p.id for p in provinces.values() if here.region and p.region == here.region})


def partners_for(request: CollabRequest, limit: int = 5) -> list[tuple[Firm, list[str]]]:
    """Member firms that could answer the request, best first, with reasons."""
    candidates = db.session.scalars(
        select(Firm).where(Firm.hidden_at.is_(None), Firm.id != request.firm_id,
                           _membership_clause(request.cluster_id, request.position_sought))
        .order_by(Firm.id.desc()).limit(CANDIDATES)
    ).all()
    words = [w for w in terms(" ".join(filter(None, [request.title_th, request.title_en]))) if len(w) >= 2]
    place = request.province_id or db.session.scalar(select(Firm.province_id).where(Firm.id == request.firm_id))
    cluster = reference.clusters().get(request.cluster_id) if request.cluster_id else None
    ranked = []
    for firm in candidates:
        reasons = []
        if cluster:
            reasons.append(_("Member of the %(cluster)s cluster", cluster=cluster.name_in(current_locale())))
        if request.position_sought:
            reasons.append(_("Holds the position sought: %(position)s", position=request.position_sought.label))
        matched = [w for w in words if w in firm.search_text]
        if matched:
            reasons.append(_("Mentions “%(words)s”", words=", ".join(matched[:3])))
        near = _place_reason(place, firm.province_id)
        if near:
            reasons.append(near)
        ranked.append((len(reasons) + (len(matched) > 0), firm.id, firm, reasons))
    ranked.sort(key=lambda item: (-item[0], -item[1]))
    return [(firm, reasons) for _score, _id, firm, reasons in ranked[:limit]]


def requests_for(firm: Firm, limit: int = 10) -> list[tuple[CollabRequest, list[str]]]:
    """Open requests of other firms that fit this firm's clusters and positions, with reasons."""
    held = db.session.execute(
        select(Membership.cluster_id, MembershipPosition.position)
        .join(MembershipPosition, MembershipPosition.membership_id == Membership.id)
        .where(Membership.firm_id == firm.id, Membership.status == MembershipStatus.APPROVED)
    ).all()
    if not held:
        return []
    clusters = {cluster_id for cluster_id, _position in held}
    positions = {position for _cluster, position in held}
    answered = select(Response.request_id).where(Response.firm_id == firm.id)
    newest = (select(CollabRequest.id).join(Firm, Firm.id == CollabRequest.firm_id)
              .where(CollabRequest.status == RequestStatus.OPEN, CollabRequest.expires_on >= bangkok_today(),
                     CollabRequest.firm_id != firm.id, Firm.hidden_at.is_(None), CollabRequest.id.not_in(answered),
                     CollabRequest.hidden_at.is_(None),
                     or_(CollabRequest.cluster_id.in_(clusters), CollabRequest.cluster_id.is_(None)),
                     or_(CollabRequest.position_sought.in_(positions), CollabRequest.position_sought.is_(None)))
              .order_by(CollabRequest.created_at.desc(), CollabRequest.id.desc()).limit(CANDIDATES)
              .subquery("newest"))
    # How many of the reasons below apply (the cluster's, or open to all, always does), counted by the database
    # for the newest CANDIDATES: only the `limit` shown are read whole and say why (all 200 with their firms, and
    # their reasons translated, were 14 ms of a firm dashboard's 21 on the load database).
    near = _near(firm.province_id)
    score = case((CollabRequest.position_sought.is_not(None), 1), else_=0) + (
        case((CollabRequest.province_id.in_(near), 1), else_=0) if near else literal(0))
    requests = db.session.scalars(
        select(CollabRequest).join(newest, newest.c.id == CollabRequest.id)
        .options(joinedload(CollabRequest.firm))
        .order_by(score.desc(), CollabRequest.id.desc()).limit(limit)
    ).all()
    return [(request, _why_it_fits(request, firm)) for request in requests]


def _why_it_fits(request: CollabRequest, firm: Firm) -> list[str]:
    """requests_for's reasons for one request, each counted in its score."""
    reasons = []
    if request.cluster_id:
        cluster = reference.clusters().get(request.cluster_id)
        name = cluster.name_in(current_locale()) if cluster else ""
        reasons.append(_("In your cluster %(cluster)s", cluster=name))
    else:
        reasons.append(_("Open to all clusters"))
    if request.position_sought:
        reasons.append(_("Seeks %(position)s, a position your firm holds", position=request.position_sought.label))
    near = _place_reason(request.province_id, firm.province_id)
    if near:
        reasons.append(near)
    return reasons
