"""Programme results, counted in the database: firms, requests and reported value by Thai fiscal year.

A firm in several clusters counts once in programme totals. Value in baht counts confirmed outcomes only
(confirmed by a coordinator, or by OSMEP staff above their threshold): every headline, chart and export
says the same figure; what firms reported and nobody has confirmed yet is `value_unconfirmed`, shown apart.
"Member firms" has one definition, in member_counts(): firms that are members at the end of the chosen
fiscal year (today, for the year under way), each firm once; every page that shows member firms (home,
cluster pages, /results, the dashboard and its exports) reads it from there. The figures come from the
changes that portal.admin.rollup keeps as memberships change; the requests posted and answered from the
counts it keeps as requests and responses change (request_counts); values are counted here on each
request.
Fiscal years are stored when a membership is approved, a request posted or an outcome reported
(Bangkok time, B.E.).
"""
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache

from sqlalchemy import Integer, bindparam, case, exists, func, select
from sqlalchemy.orm import joinedload

from portal import reference
from portal.admin import rollup
from portal.admin.models import (
    ANSWERED,
    DIMENSIONS,
    JOINED,
    LEFT,
    MEMBER,
    POSITION,
    POSTED,
    PROGRAMME,
    PROVINCE,
    ResultCount,
)
from portal.clusters.models import Position
from portal.collab.models import (
    Aim,
    CollabRequest,
    Confirmation,
    Outcome,
    OutcomeKind,
    Response,
)
from portal.extensions import db


@dataclass
class Figures:
    year: int
    members: int = 0  # member firms at the end of the year (today, for the year under way): the headline
    members_joined: int = 0  # firms that became members in the year (members at its end, not at the last's)
    members_left: int = 0  # firms that stopped being members in the year
    by_year: list = field(default_factory=list)  # (fiscal year, member firms at its end), up to `year`
    by_position: list = field(default_factory=list)  # (Position, member firms at the end of `year`)
    by_province: list = field(default_factory=list)  # (province id, member firms at the end of `year`), top 10
    requests_posted: int = 0
    requests_answered: int = 0
    requests_partnered: int = 0
    value_confirmed: Decimal = Decimal(0)  # the headline figure
    value_unconfirmed: Decimal = Decimal(0)  # reported, not (yet) confirmed: never in a headline
    value_by_kind: dict = field(default_factory=dict)  # OutcomeKind -> confirmed baht
    value_by_aim: dict = field(default_factory=dict)  # Aim -> confirmed baht


def figures(year: int, cluster_ids: list[int] | None, breakdowns: bool = True) -> Figures:
    """cluster_ids None: the whole programme (requests open to all clusters included).

    Membership and request figures are read from the counts kept by portal.admin.rollup (a small query
    each); value figures are counted on each request. `breakdowns` False leaves out the per-year,
    position and province lists (the public page shows totals only).
    """
    result = Figures(year=year)
    _member_figures(result, cluster_ids, breakdowns)
    result.requests_posted, result.requests_answered = request_counts(cluster_ids, year)
    outcome_scope = [Outcome.cluster_id.in_(cluster_ids)] if cluster_ids is not None else []
    outcome_rows = db.session.execute(
        select(Outcome.aim, Outcome.kind, Outcome.confirmation, func.sum(case((partnership(), 1), else_=0)),
               func.sum(Outcome.value_baht))
        .where(*reported_in(year), *outcome_scope)
        .group_by(Outcome.aim, Outcome.kind, Outcome.confirmation)).all()
    for aim, outcome_kind, confirmation, partnerships, total in outcome_rows:
        total = Decimal(total or 0)
        aim, outcome_kind = Aim(aim), OutcomeKind(outcome_kind)
        result.requests_partnered += int(partnerships or 0)
        if Confirmation(confirmation) is not Confirmation.CONFIRMED:
            result.value_unconfirmed += total
            continue
        result.value_confirmed += total
        result.value_by_kind[outcome_kind] = result.value_by_kind.get(outcome_kind, Decimal(0)) + total
        result.value_by_aim[aim] = result.value_by_aim.get(aim, Decimal(0)) + total
    return result


# The definitions of the request figures, shared by figures(), by the counts portal.admin.rollup keeps of
# them and by the scorecard's per-cluster counts (portal.scorecard.queries), so that all say the same thing.

def posted_in(year: int) -> list:
    """Criteria on CollabRequest: posted in fiscal year `year` (the year stored when it was posted)."""
    return [CollabRequest.fiscal_year == year]


def answered():
    """Criterion on CollabRequest: at least one firm responded to it."""
    return exists().where(Response.request_id == CollabRequest.id)


def request_counts(cluster_ids: list[int] | None, year: int) -> tuple[int, int]:
    """(requests posted in `year`, of which answered) in the programme (None: requests open to all
    clusters too) or in the clusters given, from the counts portal.admin.rollup keeps (posted_in,
    answered), in one small query: a request is in one cluster, so several clusters' counts add up."""
    scopes = [PROGRAMME] if cluster_ids is None else sorted(set(cluster_ids))
    found = dict(db.session.execute(
        select(ResultCount.dimension, func.sum(ResultCount.firms))
        .where(ResultCount.scope.in_(scopes), ResultCount.dimension.in_([POSTED, ANSWERED]),
               ResultCount.bucket == str(year))
        .group_by(ResultCount.dimension)).all())
    return int(found.get(POSTED) or 0), int(found.get(ANSWERED) or 0)


def requests_by_cluster(year: int) -> dict[int, tuple[int, int]]:
    """{scope: (requests posted in `year`, of which answered)} of every cluster with requests that year,
    and of the programme (PROGRAMME: every request, open to all clusters too), in one query."""
    found = {}
    for scope, dimension, n in db.session.execute(
            select(ResultCount.scope, ResultCount.dimension, ResultCount.firms)
            .where(ResultCount.scope >= PROGRAMME, ResultCount.dimension.in_([POSTED, ANSWERED]),
                   ResultCount.bucket == str(year), ResultCount.firms != 0)):
        posted, answered_ = found.get(scope, (0, 0))
        found[scope] = (n, answered_) if dimension == POSTED else (posted, n)
    return found


def reported_in(year: int) -> list:
    """Criteria on Outcome: reported in fiscal year `year` (a request closed as partnered, or an agreement
    answered to a follow-up, in that year). Its value counts once confirmed()."""
    return [Outcome.fiscal_year == year]


def partnership():
    """Criterion on Outcome: it is a request closed as partnered (one outcome per request), not an
    agreement answered to a follow-up: the "partnerships" figure counts these."""
    return Outcome.request_id.is_not(None)


def confirmed():
    """Criterion on Outcome: its value counts in headline figures (confirmed by a coordinator or staff)."""
    return Outcome.confirmation == Confirmation.CONFIRMED


def member_counts(cluster_ids: list[int] | None, year: int) -> dict:
    """The membership figures at the end of fiscal year `year` (today, for the year under way) for the
    programme (None), one cluster or several, from the kept counts: {"member": {"": firms},
    "position": {code: firms}, "province": {id: firms}, "year": {each year: firms at its end},
    "joined": firms, "left": firms}. The one definition of "member firms" every page shows.

    For several clusters (a coordinator of two) a firm in both counts once: read from their union's kept
    counts once the dashboard has started keeping it (portal.admin.rollup.keep_union), counted on the
    spot until then.
    """
    return at_year_end(changes(cluster_ids), year)


def changes(cluster_ids: list[int] | None) -> Counter:
    """{(dimension with + or -, bucket): firms} for the programme, one cluster or several merged: the
    kept counts of one scope, one small query (plus one to find the union of several clusters)."""
    if cluster_ids is None:
        scope = PROGRAMME
    elif len(set(cluster_ids)) <= 1:
        scope = next(iter(cluster_ids), None)
    else:
        scope = rollup.union_scope(db.session, cluster_ids)
        if scope is None:  # not kept (yet): counted on the spot
            return rollup.union_counts(db.session, cluster_ids)
    if scope is None:  # no clusters at all
        return Counter()
    return Counter({(dimension, bucket): firms for dimension, bucket, firms in db.session.execute(
        select(ResultCount.dimension, ResultCount.bucket, ResultCount.firms)
        .where(ResultCount.scope == scope, ResultCount.firms != 0,
               ResultCount.dimension.in_([d + sign for d in DIMENSIONS for sign in (JOINED, LEFT)])))})


def at_year_end(kept: Counter, year: int) -> dict:
    """Members at the end of `year` from the kept changes: the "+" up to it less the "-" up to it."""
    counts = {dimension: Counter() for dimension in DIMENSIONS}
    per_year, joined, left = Counter(), 0, 0
    for (dimension, bucket), firms in kept.items():
        at, _sep, category = bucket.partition(":")
        at, sign = int(at), 1 if dimension.endswith(JOINED) else -1
        if dimension[:-1] == MEMBER:
            per_year[at] += sign * firms
            if at == year:
                joined, left = (joined + firms, left) if sign > 0 else (joined, left + firms)
        if at <= year:
            counts[dimension[:-1]][category] += sign * firms
    running, by_year = 0, {}
    for at in range(min(per_year, default=year), year + 1):
        running += per_year.get(at, 0)
        by_year[at] = running
    result = {dimension: {key: n for key, n in found.items() if n} for dimension, found in counts.items()}
    by_year = {at: n for at, n in by_year.items() if n} | {year: result[MEMBER].get("", 0)}
    return {**result, "year": by_year, "joined": joined, "left": left}


def member_total(cluster_id: int | None, year: int) -> int:
    """member_counts(...)["member"][""] of the programme (None) or one cluster, from its member rows of the
    kept counts alone (one per year), where member_counts reads and adds up every dimension (the cluster
    page's one figure: 2 ms of its Python)."""
    total = 0
    for dimension, bucket, firms in db.session.execute(
            _member_rows(), {"scope": PROGRAMME if cluster_id is None else cluster_id}):
        if int(bucket) <= year:
            total += firms if dimension.endswith(JOINED) else -firms
    return total


@cache
def _member_rows():
    """member_total's statement, built once (a cluster's page and its coordinator's queue read it every time)."""
    return (select(ResultCount.dimension, ResultCount.bucket, ResultCount.firms)
            .where(ResultCount.scope == bindparam("scope", type_=Integer),
                   ResultCount.dimension.in_([MEMBER + JOINED, MEMBER + LEFT])))


def members_by_cluster(year: int) -> dict[int, int]:
    """{cluster id: member firms at the end of `year`} for every cluster with members, in one query."""
    totals = Counter()
    for scope, dimension, bucket, firms in db.session.execute(
            select(ResultCount.scope, ResultCount.dimension, ResultCount.bucket, ResultCount.firms)
            .where(ResultCount.scope > PROGRAMME, ResultCount.dimension.in_([MEMBER + JOINED, MEMBER + LEFT]))):
        if int(bucket) <= year:
            totals[scope] += firms if dimension.endswith(JOINED) else -firms
    return {scope: n for scope, n in totals.items() if n}


def positions_by_cluster(year: int) -> dict[int, dict[str, int]]:
    """{cluster id: {position code: member firms at the end of `year`}}, in one query, from the same kept
    counts as members_by_cluster()."""
    totals = Counter()
    for scope, dimension, key_bucket, firms in db.session.execute(
            select(ResultCount.scope, ResultCount.dimension, ResultCount.bucket, ResultCount.firms)
            .where(ResultCount.scope > PROGRAMME, ResultCount.dimension.in_([POSITION + JOINED, POSITION + LEFT]))):
        at, _sep, position = key_bucket.partition(":")
        if int(at) <= year:
            totals[scope, position] += firms if dimension.endswith(JOINED) else -firms
    result = {}
    for (scope, position), n in totals.items():
        if n:
            result.setdefault(scope, {})[position] = n
    return result


def _member_figures(result: Figures, cluster_ids, breakdowns: bool) -> None:
    counts = member_counts(cluster_ids, result.year)
    result.members = counts[MEMBER].get("", 0)
    result.members_joined, result.members_left = counts["joined"], counts["left"]
    if breakdowns:
        result.by_year = sorted(counts["year"].items())
        result.by_position = [(p, counts[POSITION][p.value]) for p in Position if p.value in counts[POSITION]]
        result.by_province = sorted(((int(p), n) for p, n in counts[PROVINCE].items()),
                                    key=lambda item: (-item[1], item[0]))[:10]


def tables(f: Figures, locale: str) -> dict[str, tuple[list[str], list[list]]]:
    """Every table of the dashboard as (header, rows), for the page and for CSV / Excel export."""
    from flask_babel import force_locale

    from portal.i18n import gettext as _

    with force_locale(locale):
        return {
            "members_by_year": ([_("Fiscal year"), _("Member firms at the end of the year")],
                                [[y, n] for y, n in f.by_year]),
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


@dataclass
class Reported:
    """One outcome for the confirmation list, with what it came from: a request closed as partnered, or a
    follow-up answer (about a request, or a meeting at a matching day)."""

    outcome: Outcome
    request: CollabRequest | None  # the request, or the one the follow-up asked about
    event: object | None  # the matching day of the meeting the follow-up asked about


def reported(year: int, cluster_ids: list[int] | None, limit: int = 200) -> list[Reported]:
    """The outcomes reported in fiscal year `year` (in the clusters given; all when None), the latest
    first, each with its firms, request or matching day, in one query."""
    from portal.events.models import Event, Meeting
    from portal.followup.models import FollowUp

    query = (select(Outcome, CollabRequest, Event)
             .outerjoin(FollowUp, FollowUp.id == Outcome.followup_id)
             .outerjoin(CollabRequest, CollabRequest.id == func.coalesce(Outcome.request_id, FollowUp.request_id))
             .outerjoin(Meeting, Meeting.id == FollowUp.meeting_id)
             .outerjoin(Event, Event.id == Meeting.event_id)
             .where(*reported_in(year))
             .options(joinedload(Outcome.firm), joinedload(Outcome.partner_firm))
             .order_by(Outcome.created_at.desc(), Outcome.id.desc()).limit(limit))
    if cluster_ids is not None:
        query = query.where(Outcome.cluster_id.in_(cluster_ids))
    return [Reported(outcome, request, event) for outcome, request, event in db.session.execute(query)]
