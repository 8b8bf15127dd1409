"""Funnels and cluster scorecards by Thai fiscal year, counted in SQL, grouped by cluster.

The request figures reuse the dashboard's definitions (portal.admin.dashboard: posted_in, answered,
reported_in, partnership, confirmed), grouped by the request's or the outcome's cluster; member figures
read the counts the rollup keeps (dashboard.members_by_cluster, positions_by_cluster), and "the members
of a cluster at the end of a year" is read from the rollup's kept spans (members_at_year_end), so that
every figure here counts the same firms as the dashboard. A whole table costs a fixed handful of queries,
whatever the number of clusters.

Meetings belong to the fiscal year of their matching day (the event's first day, a Bangkok date), and to
every cluster one of the two firms is a member of at the end of that year (a meeting between two members
of one cluster counts once for it). An agreement is a held meeting after which the two firms reported an
outcome with each other (a request closed as partnered, or "agreement reached" answered to a follow-up:
both are Outcome records), reported after the meeting's slot began. The follow-up answer rate is
answered / sent, for questions sent in the year to the cluster's members at its end.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import and_, case, exists, func, literal_column, or_, select, union_all

from portal.admin import dashboard
from portal.admin.models import (
    ACTIVE_DAYS,
    ACTIVE_FROM,
    ACTIVE_MONTH_FROM,
    ACTIVE_MONTH_UNTIL,
    ACTIVE_UNTIL,
    MEETING_DIMENSIONS,
    PROGRAMME,
    QUESTIONS,
    REPLIES,
    ResultCount,
    ResultMemberSpan,
    ResultPairKey,
)
from portal.clusters.models import Position
from portal.collab.models import Outcome
from portal.db import utcnow
from portal.events.models import Event, Meeting, MeetingRequest, MeetingState, Slot
from portal.extensions import db
from portal.thai import to_bangkok, year_days

ECCP_AGREEMENT_RATE = Decimal("0.19")  # ECCP: about 19% of meetings led to agreements
SPANS = ResultMemberSpan.__table__


def active_days(year: int, now: datetime | None = None) -> tuple[date, date]:
    """The ACTIVE_DAYS Bangkok dates whose activity makes a member active in year `year`: up to today in the
    year under way, up to the year's last day for a year that has ended."""
    today = to_bangkok(now or utcnow()).date()
    last = min(year_days(year)[1], today)
    return last - timedelta(days=ACTIVE_DAYS - 1), last


def members_at_year_end(year: int, cluster_ids=None):
    """(firm_id, cluster_id) of each member firm of each cluster (or of those given) at the end of `year`
    (today, for the year under way), from the rollup's kept membership spans: one span of a firm in a
    cluster holds at any year's end, so a row each, with no grouping (the spans are what the kept keys,
    which dashboard.member_counts adds up, say)."""
    spans = SPANS.c
    return (select(spans.firm_id.label("firm_id"), spans.cluster_id.label("cluster_id"))
            .where(*member_at_year_end(year, cluster_ids)))


def member_at_year_end(year: int, cluster_ids=None):
    """Criteria on ResultMemberSpan: the span holds at the end of `year`, in one of `cluster_ids` (None:
    any cluster)."""
    spans = SPANS.c
    scope = [] if cluster_ids is None else [spans.cluster_id.in_(list(cluster_ids))]
    return [*scope, spans.first_year <= year, or_(spans.ended_year.is_(None), spans.ended_year > year)]


def ordered_pair(a, b):
    """(the lower, the higher) of two firm id columns: a pair of firms the same whichever side is which."""
    return case((a < b, a), else_=b), case((a < b, b), else_=a)


def years_text(first: int, last: int) -> str:
    """A span of fiscal years as shown: "2564", or "2564–2566"."""
    return str(first) if first == last else f"{first}–{last}"


def partnerships_until(year: int):
    """Criteria on Outcome: a partnership between two firms (a request closed as partnered, or an agreement
    answered to a follow-up) reported in `year` or before, as the collaboration density counts them."""
    return [Outcome.fiscal_year <= year, Outcome.firm_id != Outcome.partner_firm_id]


# --- funnels ------------------------------------------------------------------------------------------

@dataclass
class Funnel:
    requests_posted: int = 0
    requests_answered: int = 0
    requests_partnered: int = 0
    value_confirmed: Decimal = Decimal(0)
    meetings_requested: int = 0
    meetings_held: int = 0
    meetings_no_show: int = 0
    meetings_continued: int = 0
    agreements: int = 0

    @property
    def no_show_rate(self) -> Decimal | None:
        """No-shows among the meetings marked (held or no-show); None before any was marked."""
        return _ratio(self.meetings_no_show, self.meetings_held + self.meetings_no_show)

    @property
    def continued_rate(self) -> Decimal | None:
        return _ratio(self.meetings_continued, self.meetings_held)

    @property
    def agreement_rate(self) -> Decimal | None:
        """Agreements per held meeting, to set beside ECCP's 19%."""
        return _ratio(self.agreements, self.meetings_held)


def _ratio(part: int, whole: int) -> Decimal | None:
    return None if not whole else Decimal(part) / Decimal(whole)


def programme_funnel(year: int, figures: dashboard.Figures | None = None, meetings=None) -> Funnel:
    """The whole programme's funnel: the dashboard's request figures (requests open to all clusters
    included; pass them if already counted), every meeting of the year's matching days once (pass
    `meetings`, the (requested, held, no-show, continued, agreed) that scorecard_table counted, to skip
    counting them again). Counts only, no firm-level data."""
    figures = figures or dashboard.figures(year, None, breakdowns=False)
    funnel = Funnel(requests_posted=figures.requests_posted, requests_answered=figures.requests_answered,
                    requests_partnered=figures.requests_partnered, value_confirmed=figures.value_confirmed)
    _set_meetings(funnel, programme_meetings(year) if meetings is None else meetings)
    return funnel


def programme_meetings(year: int) -> tuple:
    """(requested, held, no-show, continued, agreed) of every meeting of the year's matching days, once: the
    counts portal.admin.rollup keeps of meeting_rows' flags (one small query)."""
    return kept_meetings(year, [PROGRAMME]).get(PROGRAMME, (0,) * len(MEETING_DIMENSIONS))


def kept_meetings(year: int, scopes=None) -> dict[int, tuple]:
    """{scope: (requested, held, no-show, continued, agreed)} of the year's matching days, for the programme
    (scope 0) or a cluster (its id), from the counts portal.admin.rollup keeps (one small query): a meeting
    counts for each cluster one of its firms is a member of at the end of the year, once. `scopes`: those
    wanted (every cluster's when None); a scope with no meeting is left out."""
    found = {scope: tuple(int(n or 0) for n in numbers)
             for _what, scope, *numbers in db.session.execute(_kept_meetings(year, scopes))}
    return {scope: numbers for scope, numbers in found.items() if any(numbers)}


def _kept_meetings(year: int, scopes):
    """(MEETINGS, scope, requested, held, no-show, continued, agreed) of each scope (kept_meetings): the
    kept counts of the year, one row a scope; a part of _member_figures' statement too."""
    return _kept_by_scope(MEETINGS, MEETING_DIMENSIONS, year, scopes)


def _kept_by_scope(what: str, dimensions, year: int, scopes):
    """(what, scope, the count of each of `dimensions`, zeros up to five numbers) of each scope (every
    cluster's when None), one row a scope, from the year's kept counts: the shape of _member_figures' parts."""
    counts = ResultCount.__table__.c
    wanted = counts.scope > PROGRAMME if scopes is None else counts.scope.in_(list(scopes))
    return (select(sql_constant(what).label("what"), counts.scope,
                   *(func.sum(case((counts.dimension == sql_constant(dimension), counts.firms), else_=0))
                     for dimension in dimensions), *[sql_constant(0)] * (5 - len(dimensions)))
            .where(wanted, counts.dimension.in_(dimensions), counts.bucket == str(year))
            .group_by(counts.scope))


def cluster_funnels(year: int, cluster_ids=None) -> dict[int, Funnel]:
    """{cluster id: Funnel} for every cluster (or those given) with anything to count, in three queries."""
    funnels = _request_funnels(year, cluster_ids)
    for cluster_id, found in kept_meetings(year, cluster_ids).items():
        _set_meetings(funnels.setdefault(cluster_id, Funnel()), found)
    return funnels


def _request_funnels(year: int, cluster_ids=None, open_to_all: bool = False) -> dict[int | None, Funnel]:
    """The request half of each cluster's funnel (the dashboard's definitions), in two queries: the
    requests posted and answered from the counts portal.admin.rollup keeps (dashboard.requests_by_cluster);
    the partnerships count requests closed as partnered; the confirmed value counts every outcome of the
    cluster, follow-up agreements included, as the dashboard's headline does. `open_to_all` (every cluster)
    adds the requests and outcomes of no cluster under the key None, so that the groups add up to the
    programme's figures (dashboard.figures) from the same two queries."""
    funnels = {}
    if cluster_ids is None:
        outcome_scope = [] if open_to_all else [Outcome.cluster_id.is_not(None)]
    else:
        outcome_scope = [Outcome.cluster_id.in_(list(cluster_ids))]

    def of(cluster_id):
        return funnels.setdefault(cluster_id, Funnel())

    requests = dashboard.requests_by_cluster(year)
    programme = requests.pop(PROGRAMME, (0, 0))
    if cluster_ids is not None:
        wanted = set(cluster_ids)
        requests = {cluster_id: found for cluster_id, found in requests.items() if cluster_id in wanted}
    elif open_to_all:  # the programme's requests less the clusters': those open to all clusters
        rest = tuple(whole - sum(found[n] for found in requests.values()) for n, whole in enumerate(programme))
        if any(rest):
            requests[None] = rest
    for cluster_id, (posted, answered) in requests.items():
        of(cluster_id).requests_posted, of(cluster_id).requests_answered = posted, answered
    for cluster_id, partnered, value in db.session.execute(
            select(Outcome.cluster_id, func.sum(case((dashboard.partnership(), 1), else_=0)),
                   func.sum(case((dashboard.confirmed(), Outcome.value_baht), else_=0)))
            .where(*dashboard.reported_in(year), *outcome_scope)
            .group_by(Outcome.cluster_id)):
        of(cluster_id).requests_partnered, of(cluster_id).value_confirmed = int(partnered or 0), Decimal(value or 0)
    return funnels


MEETINGS, ACTIVE, PAIRS, FOLLOWUPS = "meetings", "active", "pairs", "followups"


def sql_constant(value):
    """A constant written into the SQL (not a bind parameter, whose type PostgreSQL could not settle in
    a UNION): only the scorecard's own codes and numbers (here and in scorecard.network), never input."""
    return literal_column(f"'{value}'" if isinstance(value, str) else str(int(value)))


def _member_figures(year: int, now: datetime | None, cluster_ids=None) -> dict[str, dict]:
    """The figures that need each cluster's members at the end of `year`, in one statement:
    {MEETINGS: {cluster id: (requested, held, no-show, continued, agreed)},
    ACTIVE: {cluster id: active members}, PAIRS: {cluster id: distinct partner pairs},
    FOLLOWUPS: {cluster id: (answered, sent)}}. The active members are counted here: they need the members
    of the firms active in the window only, a few entries each of the partial index (every member of every
    cluster at the year's end is some 300,000 keys at 100,000 firms, which cost more to gather than all the
    parts together). The meetings, the pairs and the follow-ups are kept counted (kept_meetings,
    ResultPairKey, ResultFollowUpKey)."""
    found = {MEETINGS: {}, ACTIVE: {}, PAIRS: {}, FOLLOWUPS: {}}
    parts = [_kept_meetings(year, cluster_ids), _active_by_cluster(year, now, cluster_ids),
             _pairs_by_cluster(year, cluster_ids), _followups_by_cluster(year, cluster_ids)]
    for what, cluster_id, *numbers in db.session.execute(union_all(*parts)):
        if what == MEETINGS:
            found[what][cluster_id] = tuple(int(n or 0) for n in numbers)
        elif what == FOLLOWUPS:
            found[what][cluster_id] = (int(numbers[0] or 0), int(numbers[1] or 0))
        else:
            found[what][cluster_id] = int(numbers[0])
    return found


def _followups_by_cluster(year: int, cluster_ids):
    """(FOLLOWUPS, cluster id, answered, sent): the follow-up questions (portal/followup) sent in `year`
    (Bangkok dates) to its members at the end of `year`, and how many of those were answered (whenever),
    from the counts portal.admin.rollup keeps (ResultFollowUpKey)."""
    return _kept_by_scope(FOLLOWUPS, (REPLIES, QUESTIONS), year, cluster_ids)


def meeting_rows(year: int | None, cumulative: bool = False, criteria=()):
    """One row per meeting request sent for a matching day of `year` (of `year` or before, when
    `cumulative`; of any year when None) and meeting `criteria`: its two firms, the matching day, and 0/1
    flags for held, no-show, continued (either side answered "continue") and agreement. The definitions
    the programme's kept meeting figures use too (portal.admin.rollup.refresh_meetings)."""
    sender, receiver = MeetingRequest.from_firm_id, MeetingRequest.to_firm_id
    when = func.coalesce(Slot.starts_at, Meeting.marked_at)
    held = Meeting.state == MeetingState.HELD
    # One EXISTS per direction, each a probe of ix_collab_outcomes_firm_id (firm, partner, time) alone; as
    # one OR, PostgreSQL merged two bitmaps on the firm and read the rows (85 → 43 ms for a year's rows).
    agreed = or_(*(exists().where(Outcome.firm_id == one, Outcome.partner_firm_id == other,
                                  Outcome.created_at >= when)
                   for one, other in ((sender, receiver), (receiver, sender))))
    flag = lambda condition: case((condition, 1), else_=0)  # noqa: E731
    if year is None:
        days = [Event.starts_on.is_not(None)]
    else:
        first, last = year_days(year)
        days = [Event.starts_on <= last] if cumulative else [Event.starts_on >= first, Event.starts_on <= last]
    return (select(MeetingRequest.id.label("id"), sender.label("a"), receiver.label("b"),
                   Event.starts_on.label("day"), flag(held).label("held"),
                   flag(Meeting.state == MeetingState.NO_SHOW).label("no_show"),
                   flag(and_(held, or_(Meeting.sender_continues.is_(True), Meeting.receiver_continues.is_(True))))
                   .label("continued"),
                   flag(and_(held, agreed)).label("agreed"))
            .join(Event, Event.id == MeetingRequest.event_id)
            .outerjoin(Meeting, Meeting.request_id == MeetingRequest.id)
            .outerjoin(Slot, Slot.id == Meeting.slot_id)
            .where(*days, *criteria))


def _set_meetings(funnel: Funnel, found) -> None:
    requested, held, no_show, continued, agreed = (int(n or 0) for n in found)
    funnel.meetings_requested, funnel.meetings_held, funnel.meetings_no_show = requested, held, no_show
    funnel.meetings_continued, funnel.agreements = continued, agreed


# --- scorecards ---------------------------------------------------------------------------------------

@dataclass
class Scorecard:
    cluster_id: int
    year: int
    members: int = 0  # member firms at the end of the year (today, for the year under way)
    members_before: int = 0  # at the end of the year before
    active: int = 0  # members who posted, responded or had a meeting held in the last 90 days
    by_position: dict = field(default_factory=dict)  # Position -> member firms at the end of the year
    partner_pairs: int = 0  # distinct pairs of members that reported a partnership, up to the year's end
    funnel: Funnel = field(default_factory=Funnel)
    followups_sent: int = 0  # follow-up questions sent in the year to members at its end
    followups_answered: int = 0  # ... of which answered

    @property
    def followup_answer_rate(self) -> Decimal | None:
        """Answered over sent; None when none were sent."""
        return _ratio(self.followups_answered, self.followups_sent)

    @property
    def growth(self) -> Decimal | None:
        """Change in members over the year before, as a fraction; None when there were none before."""
        return _ratio(self.members - self.members_before, self.members_before)

    @property
    def active_share(self) -> Decimal | None:
        return _ratio(self.active, self.members)

    @property
    def positions_missing(self) -> list[Position]:
        return [p for p in Position if not self.by_position.get(p)]

    @property
    def possible_pairs(self) -> int:
        return self.members * (self.members - 1) // 2

    @property
    def density(self) -> Decimal | None:
        """Distinct partner pairs among members over the possible pairs n(n-1)/2."""
        return _ratio(self.partner_pairs, self.possible_pairs)


def scorecards(year: int, cluster_ids=None, now: datetime | None = None) -> dict[int, Scorecard]:
    """{cluster id: Scorecard} for the clusters given (every cluster when None), in a fixed handful of
    queries grouped by cluster."""
    return _scorecards(year, cluster_ids, now)[0]


def scorecard_table(year: int, now: datetime | None = None) -> tuple[dict[int, Scorecard], Funnel]:
    """Every cluster's scorecard and the programme's funnel, for the staff table: the year's requests and
    outcomes are read once for both (the programme's request figures are the clusters' plus those of no
    cluster, as dashboard.figures counts them); the programme's meetings are its kept counts."""
    cards, programme = _scorecards(year, None, now, programme=True)
    return cards, programme


def _scorecards(year: int, cluster_ids, now, programme: bool = False):
    """({cluster id: Scorecard}, the programme's Funnel when `programme`, else None)."""
    from portal import reference

    wanted = sorted(reference.clusters()) if cluster_ids is None else sorted(cluster_ids)
    cards = {cluster_id: Scorecard(cluster_id, year) for cluster_id in wanted}
    members, before = dashboard.members_by_cluster(year), dashboard.members_by_cluster(year - 1)
    positions = dashboard.positions_by_cluster(year)
    funnels = _request_funnels(year, cluster_ids, open_to_all=programme and cluster_ids is None)
    whole = None
    if programme:  # the request half added up now, before the clusters' meetings are set in their funnels
        groups = list(funnels.values())
        whole = Funnel(requests_posted=sum(f.requests_posted for f in groups),
                       requests_answered=sum(f.requests_answered for f in groups),
                       requests_partnered=sum(f.requests_partnered for f in groups),
                       value_confirmed=sum((f.value_confirmed for f in groups), Decimal(0)))
        funnels.pop(None, None)
    found = _member_figures(year, now, cluster_ids)
    for cluster_id, meetings in found[MEETINGS].items():
        if any(meetings):
            _set_meetings(funnels.setdefault(cluster_id, Funnel()), meetings)
    active, pairs = found[ACTIVE], found[PAIRS]
    for cluster_id, card in cards.items():
        card.members, card.members_before = members.get(cluster_id, 0), before.get(cluster_id, 0)
        card.by_position = {p: positions.get(cluster_id, {}).get(p.value, 0) for p in Position}
        card.funnel = funnels.get(cluster_id, Funnel())
        card.active, card.partner_pairs = active.get(cluster_id, 0), pairs.get(cluster_id, 0)
        card.followups_answered, card.followups_sent = found[FOLLOWUPS].get(cluster_id, (0, 0))
    if whole is not None:
        _set_meetings(whole, programme_meetings(year))
    return cards, whole


def _active_by_cluster(year: int, now: datetime | None, cluster_ids):
    """(ACTIVE, cluster id, members at the end of `year` active on its last day, or today in the year under
    way): they posted a request, sent a response, or had a meeting held (at its slot's start, or when marked
    held if it had no slot), anywhere on the portal, on one of the ACTIVE_DAYS Bangkok dates up to it
    (active_days). The changes portal.admin.rollup keeps of those counts (ACTIVE_DIMENSIONS, ResultActivityKey),
    from the year's first day to that day, added up: the months before the day's by month, its month by day, at
    most 74 rows a cluster whatever the number of firms (by day alone, 21,000 rows for the table, 10-25 ms on
    PostgreSQL). Counting the firms active in the window and finding their clusters took 23-33 ms of the scorecard
    table's 50 on PostgreSQL at 100,000 firms, and grew with the programme's activity."""
    counts = ResultCount.__table__.c
    first, last = year_days(year)[0], active_days(year, now)[1]
    month = last.replace(day=1)
    wanted = counts.scope > PROGRAMME if cluster_ids is None else counts.scope.in_(list(cluster_ids))

    def changes(starting, ending, *within):
        """The kept changes of one pair of dimensions (starting, ending) with buckets `within`, signed."""
        sign = case((counts.dimension == sql_constant(starting), counts.firms), else_=-counts.firms)
        return select(counts.scope.label("scope"), sign.label("change")).where(
            wanted, counts.dimension.in_((starting, ending)), *within)

    # The months before the day's by month, the day's month by day: at most 12 + 62 rows a cluster.
    parts = union_all(changes(ACTIVE_MONTH_FROM, ACTIVE_MONTH_UNTIL, counts.bucket >= first.isoformat()[:7],
                              counts.bucket < month.isoformat()[:7]),
                      changes(ACTIVE_FROM, ACTIVE_UNTIL, counts.bucket >= month.isoformat(),
                              counts.bucket <= last.isoformat())).subquery()
    zeros = [sql_constant(0)] * 4  # the shape of the kept meetings' rows
    return (select(sql_constant(ACTIVE).label("what"), parts.c.scope, func.sum(parts.c.change), *zeros)
            .group_by(parts.c.scope))


def _pairs_by_cluster(year: int, cluster_ids):
    """(PAIRS, cluster id, distinct pairs of its members at the end of `year` that reported a partnership
    with each other (partnerships_until) in `year` or before): the changes the rollup keeps per pair
    (ResultPairKey), summed up to `year`."""
    pairs = ResultPairKey.__table__.c
    scope = [] if cluster_ids is None else [pairs.cluster_id.in_(list(cluster_ids))]
    zeros = [sql_constant(0)] * 4
    return (select(sql_constant(PAIRS).label("what"), pairs.cluster_id, func.sum(pairs.change), *zeros)
            .where(pairs.year <= year, *scope).group_by(pairs.cluster_id))
