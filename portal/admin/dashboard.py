"""Programme results, counted in the database: firms, requests and reported value by Thai fiscal year.

A firm in several clusters counts once in programme totals (COUNT DISTINCT firm). Fiscal years are
stored when a membership is approved, a request posted or an outcome reported (Bangkok time, B.E.).
"""
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import and_, distinct, exists, func, select

from portal import reference
from portal.clusters.models import Membership, MembershipPosition, MembershipStatus, Position
from portal.collab.models import (
    CloseReason,
    CollabRequest,
    Confirmation,
    Kind,
    Outcome,
    OutcomeKind,
    Response,
)
from portal.extensions import db
from portal.firms.models import Firm


@dataclass
class Figures:
    year: int
    members_in_year: int = 0
    members_total: int = 0
    by_year: list = field(default_factory=list)  # (fiscal year, firms approved that year)
    by_position: list = field(default_factory=list)  # (Position, current member firms)
    by_province: list = field(default_factory=list)  # (province id, current member firms), top 10
    requests_posted: int = 0
    requests_answered: int = 0
    requests_partnered: int = 0
    value_confirmed: Decimal = Decimal(0)
    value_unconfirmed: Decimal = Decimal(0)
    value_by_kind: dict = field(default_factory=dict)  # OutcomeKind -> baht
    value_by_aim: dict = field(default_factory=dict)  # Aim -> baht


def figures(year: int, cluster_ids: list[int] | None, breakdowns: bool = True) -> Figures:
    """cluster_ids None: the whole programme (requests open to all clusters included).

    The breakdowns (per year, position and province) read every membership; they are cached for
    COUNTS_CACHE_SECONDS like the home page's figures. The headline figures are counted on each request.
    """
    result = Figures(year=year)
    scope = [Membership.cluster_id.in_(cluster_ids)] if cluster_ids is not None else []
    approved = [Membership.status == MembershipStatus.APPROVED, *scope]
    one = lambda query: db.session.scalar(query) or 0  # noqa: E731
    result.members_in_year = one(select(func.count(distinct(Membership.firm_id)))
                                 .where(Membership.fiscal_year == year, *scope))
    result.members_total = one(select(func.count(distinct(Membership.firm_id))).where(*approved))
    if breakdowns:
        result.by_year, result.by_position, result.by_province = reference.cached(
            f"dashboard-breakdowns:{cluster_ids}", lambda: _breakdowns(scope, approved))

    request_scope = [CollabRequest.cluster_id.in_(cluster_ids)] if cluster_ids is not None else []
    posted = [CollabRequest.fiscal_year == year, *request_scope]
    result.requests_posted = one(select(func.count()).select_from(CollabRequest).where(*posted))
    result.requests_answered = one(select(func.count()).select_from(CollabRequest).where(
        *posted, exists().where(Response.request_id == CollabRequest.id)))
    outcome_rows = db.session.execute(
        select(CollabRequest.kind, Outcome.kind, Outcome.confirmation, func.count(), func.sum(Outcome.value_baht))
        .join(CollabRequest, CollabRequest.id == Outcome.request_id)
        .where(and_(Outcome.fiscal_year == year, CollabRequest.close_reason == CloseReason.PARTNERED,
                    *request_scope))
        .group_by(CollabRequest.kind, Outcome.kind, Outcome.confirmation)).all()
    for request_kind, outcome_kind, confirmation, count, total in outcome_rows:
        total = Decimal(total or 0)
        request_kind, outcome_kind = Kind(request_kind), OutcomeKind(outcome_kind)
        result.requests_partnered += count
        if Confirmation(confirmation) is Confirmation.CONFIRMED:
            result.value_confirmed += total
        else:
            result.value_unconfirmed += total
        result.value_by_kind[outcome_kind] = result.value_by_kind.get(outcome_kind, Decimal(0)) + total
        result.value_by_aim[request_kind.aim] = result.value_by_aim.get(request_kind.aim, Decimal(0)) + total
    return result


def _breakdowns(scope, approved) -> tuple[list, list, list]:
    by_year = [tuple(row) for row in db.session.execute(
        select(Membership.fiscal_year, func.count(distinct(Membership.firm_id)))
        .where(Membership.fiscal_year.is_not(None), *scope).group_by(Membership.fiscal_year)
        .order_by(Membership.fiscal_year)).all()]
    by_position = [(Position(p) if not isinstance(p, Position) else p, n) for p, n in db.session.execute(
        select(MembershipPosition.position, func.count(distinct(Membership.firm_id)))
        .join(Membership, Membership.id == MembershipPosition.membership_id).where(*approved)
        .group_by(MembershipPosition.position)).all()]
    by_province = [tuple(row) for row in db.session.execute(
        select(Firm.province_id, func.count(distinct(Membership.firm_id)))
        .join(Firm, Firm.id == Membership.firm_id).where(*approved)
        .group_by(Firm.province_id).order_by(func.count(distinct(Membership.firm_id)).desc()).limit(10)).all()]
    return by_year, by_position, by_province


def tables(f: Figures, locale: str) -> dict[str, tuple[list[str], list[list]]]:
    """Every table of the dashboard as (header, rows), for the page and for CSV / Excel export."""
    from flask_babel import force_locale
    from flask_babel import gettext as _

    from portal import reference

    with force_locale(locale):
        return {
            "members_by_year": ([_("Fiscal year"), _("Firms approved")], [[y, n] for y, n in f.by_year]),
            "members_by_position": ([_("Position"), _("Member firms")],
                                    [[str(p.label), n] for p, n in f.by_position]),
            "members_by_province": ([_("Province"), _("Member firms")],
                                    [[reference.provinces()[p].name_in(locale) if p in reference.provinces() else p, n]
                                     for p, n in f.by_province]),
            "requests": ([_("Measure"), _("Number")], [[_("Requests posted"), f.requests_posted],
                                                       [_("Requests answered"), f.requests_answered],
                                                       [_("Requests partnered"), f.requests_partnered]]),
            "value_by_aim": ([_("Connext aim"), _("Value (baht)")],
                             [[str(aim.label), float(v)] for aim, v in sorted(f.value_by_aim.items(),
                                                                               key=lambda i: i[0].value)]),
            "value_by_kind": ([_("Kind of value"), _("Value (baht)")],
                              [[str(k.label), float(v)] for k, v in sorted(f.value_by_kind.items(),
                                                                            key=lambda i: i[0].value)]
                              + [[_("Confirmed by coordinators"), float(f.value_confirmed)],
                                 [_("Not yet confirmed"), float(f.value_unconfirmed)]]),
        }
