"""Programme results, counted in the database: firms, requests and reported value by Thai fiscal year.

A firm in several clusters counts once in programme totals. Value in baht counts confirmed outcomes only
(confirmed by a coordinator, or by OSMEP staff above their threshold): every headline, chart and export
says the same figure; what firms reported and nobody has confirmed yet is `value_unconfirmed`, shown apart.
Membership figures come from the counts that portal.admin.rollup keeps as memberships change; requests
and values are counted here on each request.
Fiscal years are stored when a membership is approved, a request posted or an outcome reported
(Bangkok time, B.E.).
"""
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import aliased

from portal import reference
from portal.admin.models import MEMBER, POSITION, PROGRAMME, PROVINCE, YEAR, ResultCount, ResultFirmKey
from portal.clusters.models import Position
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
    value_confirmed: Decimal = Decimal(0)  # the headline figure
    value_unconfirmed: Decimal = Decimal(0)  # reported, not (yet) confirmed: never in a headline
    value_by_kind: dict = field(default_factory=dict)  # OutcomeKind -> confirmed baht
    value_by_aim: dict = field(default_factory=dict)  # Aim -> confirmed baht


def figures(year: int, cluster_ids: list[int] | None, breakdowns: bool = True) -> Figures:
    """cluster_ids None: the whole programme (requests open to all clusters included).

    Membership figures are read from the counts kept by portal.admin.rollup (one small query);
    request and value figures are counted on each request. `breakdowns` False leaves out the
    per-year, position and province lists (the public page shows totals only).
    """
    result = Figures(year=year)
    _member_figures(result, cluster_ids, breakdowns)

    request_scope = [CollabRequest.cluster_id.in_(cluster_ids)] if cluster_ids is not None else []
    posted = [CollabRequest.fiscal_year == year, *request_scope]
    one = lambda query: db.session.scalar(query) or 0  # noqa: E731
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
        if Confirmation(confirmation) is not Confirmation.CONFIRMED:
            result.value_unconfirmed += total
            continue
        result.value_confirmed += total
        result.value_by_kind[outcome_kind] = result.value_by_kind.get(outcome_kind, Decimal(0)) + total
        result.value_by_aim[request_kind.aim] = result.value_by_aim.get(request_kind.aim, Decimal(0)) + total
    return result


def member_counts(cluster_ids: list[int] | None) -> dict[str, dict[str, int]]:
    """{dimension: {bucket: firms}} for the programme (None), one cluster or several, from the kept counts.

    For several clusters (a coordinator of two) a firm in both counts once. The largest cluster's figures
    are read as kept; each other cluster adds only its firms not already counted in a larger one (an
    index probe per key of the smaller clusters), so the cost follows the smaller clusters' size.
    """
    if cluster_ids is None or len(cluster_ids) == 1:
        return _by_dimension(_kept(PROGRAMME if cluster_ids is None else cluster_ids[0]))
    size = dict(db.session.execute(select(ResultCount.scope, ResultCount.firms).where(
        ResultCount.scope.in_(cluster_ids), ResultCount.dimension == MEMBER)).all())
    largest_first = sorted(set(cluster_ids), key=lambda scope: (-size.get(scope, 0), scope))
    totals = Counter({(dimension, bucket): firms for dimension, bucket, firms in _kept(largest_first[0])})
    counted, earlier = aliased(ResultFirmKey), aliased(ResultFirmKey)
    for n, scope in enumerate(largest_first[1:], start=1):
        already = exists().where(earlier.scope.in_(largest_first[:n]), earlier.dimension == counted.dimension,
                                 earlier.bucket == counted.bucket, earlier.firm_id == counted.firm_id)
        for dimension, bucket, firms in db.session.execute(
                select(counted.dimension, counted.bucket, func.count())
                .where(counted.scope == scope, ~already).group_by(counted.dimension, counted.bucket)):
            totals[dimension, bucket] += firms
    return _by_dimension((dimension, bucket, firms) for (dimension, bucket), firms in totals.items() if firms)


def _kept(scope: int):
    return db.session.execute(select(ResultCount.dimension, ResultCount.bucket, ResultCount.firms)
                              .where(ResultCount.scope == scope, ResultCount.firms > 0)).all()


def _by_dimension(rows) -> dict[str, dict[str, int]]:
    counts = {YEAR: {}, MEMBER: {}, POSITION: {}, PROVINCE: {}}
    for dimension, bucket, firms in rows:
        counts[dimension][bucket] = firms
    return counts


def _member_figures(result: Figures, cluster_ids, breakdowns: bool) -> None:
    counts = member_counts(cluster_ids)
    result.members_in_year = counts[YEAR].get(str(result.year), 0)
    result.members_total = counts[MEMBER].get("", 0)
    if breakdowns:
        result.by_year = sorted((int(year), n) for year, n in counts[YEAR].items())
        result.by_position = [(p, counts[POSITION][p.value]) for p in Position if p.value in counts[POSITION]]
        result.by_province = sorted(((int(p), n) for p, n in counts[PROVINCE].items()),
                                    key=lambda item: (-item[1], item[0]))[:10]


def tables(f: Figures, locale: str) -> dict[str, tuple[list[str], list[list]]]:
    """Every table of the dashboard as (header, rows), for the page and for CSV / Excel export."""
    from flask_babel import force_locale
    from flask_babel import gettext as _

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
                              + [[_("Total confirmed"), float(f.value_confirmed)],
                                 [_("Reported, not yet confirmed (not counted above)"),
                                  float(f.value_unconfirmed)]]),
        }
