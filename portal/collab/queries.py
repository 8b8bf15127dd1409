"""Reads for the request board and pages. Visibility follows the posting firm's."""
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import cache, partial

from flask import abort
from sqlalchemy import Date, Integer, bindparam, exists, false, func, literal_column, or_, select
from sqlalchemy.orm import joinedload

from portal.clusters.models import Membership, MembershipStatus, Position
from portal.collab.models import CollabRequest, Kind, Message, RequestStatus, Response, ResponseStatus
from portal.extensions import db
from portal.firms.models import Firm, FirmMember
from portal.firms.queries import sees_every_listed_firm, visible_firm_filter
from portal.glossary.searched import Searched
from portal.listing import CappedPage, among_newest, capped_page, rows_among
from portal.search import matches, relevance
from portal.search.rank import ranked_page, search_shape
from portal.search.sql import (
    any_whole_flags,
    contains_terms,
    index_first_load,
    matches_all,
    uses_postings,
    whole_words,
)
from portal.thai import bangkok_today

PER_PAGE = 20
NEWEST_FIRST_PER_ROW = 8  # newest requests looked among per row wanted, for a page of open ones (_among_newest)
SCAN_OPEN_OVER = 5000  # requests with the words, over which a search of the open ones tests their text (_scan_ways)
STATUSES = ("open", "closed", "all")
SORTS = ("relevance", "newest", "closing")  # relevance only with search words: best match first


@dataclass
class BoardFilters(Searched):
    CHOSEN_ORDERS = ("newest", "closing")
    UNSEARCHED_ORDER = "newest"

    q: str = ""
    cluster_id: int | None = None
    kind: Kind | None = None
    position: Position | None = None
    province_id: int | None = None
    status: str = "open"
    sort: str = ""  # "" is the default: relevance with search words, else newest
    page: int = 1
    problems: list[str] = field(default_factory=list)

    @property
    def in_use(self) -> int:
        """How many filters differ from the board's default (the search words and the order are not counted)."""
        return sum(1 for value in (self.cluster_id, self.kind, self.position, self.province_id) if value) + \
            (self.status != "open")



def _in_the_statement(dialect: str):
    """Today, "open" and "closed" for the board's criteria. On PostgreSQL they are written into the statement, not
    bound: psycopg prepares a statement run five times on a connection, and PostgreSQL may then plan it once for any
    values. Guessing that "status = $1 AND expires_on >= $2" keeps a third of all requests, that plan read the
    whole requests table to count the open ones: 22 ms against 6, and the board 28 ms a page against 13 (100,000
    firms, 200,000 requests). Written in, they are planned for what they are (the statement's text changes once a
    day). A date and two fixed words: nothing a visitor typed."""
    today = bangkok_today()
    if dialect != "postgresql":
        return today, RequestStatus.OPEN, RequestStatus.CLOSED
    status_type = CollabRequest.status.type
    return (bindparam("board_today", today, type_=Date(), literal_execute=True, unique=True),
            bindparam("board_open", RequestStatus.OPEN, type_=status_type, literal_execute=True, unique=True),
            bindparam("board_closed", RequestStatus.CLOSED, type_=status_type, literal_execute=True, unique=True))


def _criteria(filters: BoardFilters, viewer, ordered: bool, every_term: bool = False, whole: bool = False,
              scan: bool = False, any_whole: bool = False):
    dialect = db.session.get_bind().dialect.name
    today, open_, closed = _in_the_statement(dialect)
    criteria = [visible_firm_filter(viewer), CollabRequest.hidden_at.is_(None)]
    if filters.status == "open":
        criteria += [CollabRequest.status == open_, CollabRequest.expires_on >= today]
    elif filters.status == "closed":
        criteria.append(or_(CollabRequest.status == closed, CollabRequest.expires_on < today))
    if filters.terms and (whole or any_whole):
        found = whole_words(CollabRequest, filters.groups, "collab_request_words", "request_id", every=not any_whole,
                            dialect=dialect, merge_when_common=False)  # the open requests are few of them
        criteria.append(false() if found is None else found)  # a term with no word at all: none whole
    elif filters.terms and scan:  # _scan_ways: the open requests' own text is tested
        criteria.append(contains_terms(CollabRequest, filters.groups, dialect, every_term))
    elif filters.terms:
        search = matches_all if every_term else partial(matches, ordered=ordered)
        criteria.append(search(CollabRequest, filters.groups, dialect, "collab_requests_fts"))
    if filters.cluster_id:
        criteria.append(CollabRequest.cluster_id == filters.cluster_id)
    if filters.kind:
        criteria.append(CollabRequest.kind == filters.kind)
    if filters.position:
        criteria.append(CollabRequest.position_sought == filters.position)
    if filters.province_id:
        criteria.append(CollabRequest.province_id == filters.province_id)
    return criteria


def _relevance_order(filters: BoardFilters, every_term_whole: bool = False, whole_flags: tuple | None = None) -> tuple:
    """Best match first, then verified firms' requests, then the newest (every_term_whole, whole_flags: the same
    order for requests with every term whole, or with any term whole and its flags, search.rank.relevance)."""
    return (relevance(CollabRequest, filters.groups, db.session.get_bind().dialect.name, every_term_whole,
                      whole_flags).desc(),
            Firm.verified_at.is_(None), CollabRequest.created_at.desc(), CollabRequest.id.desc())


def board(filters: BoardFilters, viewer) -> CappedPage:
    """One page of the board (page 1 when there is no filters.page) and the number of matches, counted up to
    portal.listing's COUNT_CAP: two queries, three with a chosen order (the count, the page's ids, their rows)."""
    if filters.order == "relevance":
        order = _relevance_order(filters)
    elif filters.order == "closing":
        order = (CollabRequest.expires_on, CollabRequest.id)
    else:
        order = (_newest_first(filters), CollabRequest.id.desc())
    scan, scan_every = _scan_ways(filters)
    matching = select(CollabRequest.id).join(Firm, Firm.id == CollabRequest.firm_id).where(
        *_criteria(filters, viewer, False, scan=scan))
    rows = select(CollabRequest).join(Firm, Firm.id == CollabRequest.firm_id).options(joinedload(CollabRequest.firm))
    if filters.order == "relevance":  # ranked_page takes the matches from the indexes itself
        ids = select(CollabRequest.id).join(Firm, Firm.id == CollabRequest.firm_id)
        every_term = (ids.where(*_criteria(filters, viewer, False, every_term=True, scan=scan_every))
                      if len(filters.terms) > 1 else None)
        # Not while SQLite tests the open requests' own text (_scan_ways): its words index, like its trigram
        # index, would hand over a common word's requests of every year, oldest first, to be tested for "open".
        whole = None if scan else ids.where(*_criteria(filters, viewer, False, whole=True))
        any_whole = (ids.where(*_criteria(filters, viewer, False, any_whole=True))
                     if uses_postings(db.session) and len(filters.terms) > 1 else None)  # as the directory's
        return ranked_page(matching, CollabRequest.id, lambda among: rows.where(among), order, filters.page,
                           PER_PAGE, first_ids=every_term, whole_ids=whole,
                           whole_order=_relevance_order(filters, every_term_whole=True) if whole is not None else None,
                           any_whole_ids=any_whole,
                           any_whole_order=_relevance_order(filters, whole_flags=any_whole_flags(
                               CollabRequest, filters.groups, "collab_request_words", "request_id"))
                           if any_whole is not None else None, query_terms=filters.groups,
                           kept_as=search_shape("board", filters, CollabRequest.__tablename__,
                                                sees_every_listed_firm(viewer), bangkok_today(), scan, scan_every))
    # The page's ids first, then those requests' rows (capped_page's `load`). A covering board index was
    # faster still, but SQLite then drove board searches from it.
    criteria = _criteria(filters, viewer, ordered=True, scan=scan)
    ids = select(CollabRequest.id).join(Firm, Firm.id == CollabRequest.firm_id).where(*criteria).order_by(*order)
    first = None
    if (filters.order == "newest" and filters.status == "open" and not filters.in_use and (scan or not filters.terms)
            and db.session.get_bind().dialect.name == "sqlite"):
        first = partial(_among_newest, criteria)
    with (index_first_load(db.session, rows, CollabRequest.id) if filters.terms
          else nullcontext(rows_among(rows, CollabRequest.id))) as load:
        return capped_page(matching, ids, filters.page, PER_PAGE, load=load, first=first,
                           together=bool(filters.terms))


def _among_newest(criteria, wanted: int):
    """The ids of the requests meeting `criteria`, newest first, looked for among the NEWEST_FIRST_PER_ROW ×
    `wanted` newest requests only (portal.listing.capped_page's `first`): the board's open requests are most
    of the newest, so a page of them is there, found from ix_collab_requests_created. Sorting every open
    request instead (the + on created_at, _newest_first) grows with the expiry window: 30,793 open requests
    at 2,000,000 took 137 ms a page on SQLite, the newest 160 requests 0.7 ms. A page the newest do not fill
    (few requests open, or a deep page) is read the sorted way."""
    return (among_newest(CollabRequest, NEWEST_FIRST_PER_ROW * wanted)
            .join(Firm, Firm.id == CollabRequest.firm_id).where(*criteria))


def keyset(filters: BoardFilters, viewer, after_id: int, limit: int) -> list:
    """The API's pages (portal/api/): the board's criteria, in id order after `after_id` (a keyset)."""
    query = (select(CollabRequest).join(Firm, Firm.id == CollabRequest.firm_id)
             .where(*_criteria(filters, viewer, False), CollabRequest.id > after_id)
             .options(joinedload(CollabRequest.firm), joinedload(CollabRequest.cluster)))
    return list(db.session.scalars(query.order_by(CollabRequest.id).limit(limit)))


def _scan_ways(filters: BoardFilters) -> tuple[bool, bool]:
    """(any, every): whether a search of the open requests on SQLite tests each open request's text
    (search.sql.contains_terms) rather than ask the FTS5 index, for the requests with any term and, in a ranked
    search of several terms, for those with every term. The text is tested when the words are in SCAN_OPEN_OVER
    requests or more, counted in the index up to that many (1.7 ms for a word every request has, a few µs for a rare
    one). The open requests come from the board index, a set bounded by the expiry window; FTS5 hands over every
    request ever posted with the words, oldest first, and each is tested for "open": a word every request has
    (ความร่วมมือ, 200,000 of 200,000 requests, 3,141 of them open) cost 72 ms best match first and 138 ms newest
    first, 16 and 18 ms tested one open request at a time. A rare word is the other way round: the index finds its
    few requests in microseconds, where testing 3,141 texts takes 4 ms (and a search with no result runs again for
    the suggestions). PostgreSQL's trigram and postings indexes do not need it (21 and 14 ms). With more open
    matches than search.rank's window, the window is then the first in the board index's order (closing soonest)
    where it was the index's (posted first): either way the index's choice (search.rank).

    The requests with every term are counted in the index apart, in the same statement, up to SCAN_OPEN_OVER: a
    common word and a rare one (ความร่วมมือ ปลากัด) are in many requests, but only a few have both, which the index
    finds in a fraction of a millisecond where testing every open request's text for both grew with the open
    requests: 72 ms at 1,000,000 firms (31,000 open requests), the page 100 ms against 19 at 100,000 firms."""
    if not filters.terms or filters.status != "open" or db.session.get_bind().dialect.name != "sqlite":
        return False, False

    def counted(criterion):
        found = select(CollabRequest.id).where(criterion).limit(SCAN_OPEN_OVER)
        return select(func.count()).select_from(found.subquery()).scalar_subquery()

    any_term = counted(matches(CollabRequest, filters.groups, "sqlite", "collab_requests_fts"))
    if len(filters.groups) < 2:
        many = db.session.scalar(select(any_term)) >= SCAN_OPEN_OVER
        return many, many
    every = counted(matches_all(CollabRequest, filters.groups, "sqlite", "collab_requests_fts"))
    many_with_any, many_with_every = db.session.execute(select(any_term, every)).one()
    return many_with_any >= SCAN_OPEN_OVER, many_with_every >= SCAN_OPEN_OVER


def _newest_first(filters: BoardFilters):
    """created_at DESC. For open requests on SQLite, written `+created_at` so the planner takes the open,
    unexpired rows from the board index and sorts them (a set bounded by the expiry window) rather than
    walk every request ever posted, newest first, hoping to meet open ones: with the LIMIT a bound
    parameter it chose the walk, 475 ms to 1 s a page at 200,000 requests with none open. PostgreSQL
    estimates this well without help."""
    if filters.status == "open" and db.session.get_bind().dialect.name == "sqlite":
        return literal_column("+collab_requests.created_at").desc()
    return CollabRequest.created_at.desc()


# The statements a member's request pages run on every request (the request, one's firms, one's response), built
# once and kept with their values as parameters: building a statement and its cache key again cost 0.1-0.4 ms of
# CPU a statement, about as much as running it.
_ID = bindparam("id", type_=Integer)


@cache
def _request_statement():
    return (select(CollabRequest).where(CollabRequest.id == _ID)
            .options(joinedload(CollabRequest.firm), joinedload(CollabRequest.cluster)))


def request_or_404(request_id: int) -> CollabRequest:
    request = db.session.scalar(_request_statement(), {"id": request_id})
    if request is None:
        abort(404)
    return request


@cache
def _response_statement():
    return select(Response).where(Response.id == _ID).options(joinedload(Response.firm), joinedload(Response.request))


def response_or_404(response_id: int) -> Response:
    response = db.session.scalar(_response_statement(), {"id": response_id})
    if response is None:
        abort(404)
    return response


def responses_to(request: CollabRequest) -> list[Response]:
    return list(db.session.scalars(select(Response).where(Response.request_id == request.id)
                                   .options(joinedload(Response.firm)).order_by(Response.created_at)))


def partner_candidates(request: CollabRequest) -> list[Response]:
    """The responses whose firm may be named as the partner when the request closes as partnered: the
    accepted one if there is one (a request has one partner), otherwise those still in play (waiting or
    shortlisted), never one the poster declined or its firm withdrew."""
    responses = responses_to(request)
    accepted = [r for r in responses if r.status is ResponseStatus.ACCEPTED]
    return accepted or [r for r in responses if r.status in (ResponseStatus.OPEN, ResponseStatus.SHORTLISTED)]


def accepted_elsewhere(response: Response) -> bool:
    """Another response to the same request has been accepted (a request has one partner)."""
    return db.session.scalar(select(Response.id).where(
        Response.request_id == response.request_id, Response.status == ResponseStatus.ACCEPTED,
        Response.id != response.id).limit(1)) is not None


def messages_of(response: Response) -> list[Message]:
    return list(db.session.scalars(select(Message).where(Message.response_id == response.id).order_by(Message.id)))


def my_firms(user) -> list[Firm]:
    """The user's firms that are members of at least one cluster and not hidden (they may post or respond)."""
    from portal.permissions import viewer_facts  # here: permissions reads this module's queries

    if not user.is_authenticated or not viewer_facts(user).roles:
        return []  # on no team (the facts came with the user): a request page read for them is a statement fewer
    return list(db.session.scalars(_my_firms_statement(), {"id": user.id}))


@cache
def _my_firms_statement():
    # EXISTS per firm, not IN (every approved membership): SQLite built the whole IN list first, 0.3 s
    # at 300,000 memberships on every request page a member opened.
    member = exists().where(Membership.firm_id == Firm.id, Membership.status == MembershipStatus.APPROVED)
    return (select(Firm).join(FirmMember, FirmMember.firm_id == Firm.id)
            .where(FirmMember.user_id == _ID, Firm.hidden_at.is_(None), member).order_by(Firm.id))


def clusters_of_firms(firm_ids: list[int]) -> set[int]:
    if not firm_ids:
        return set()
    return set(db.session.scalars(_clusters_of_firms_statement(), {"firm_ids": list(firm_ids)}))


@cache
def _clusters_of_firms_statement():
    return select(Membership.cluster_id).where(Membership.firm_id.in_(bindparam("firm_ids", expanding=True)),
                                               Membership.status == MembershipStatus.APPROVED)


def response_of(request: CollabRequest, firm_ids: list[int]) -> Response | None:
    if not firm_ids:
        return None
    return db.session.scalar(_response_of_statement(), {"id": request.id, "firm_ids": list(firm_ids)})


@cache
def _response_of_statement():
    return select(Response).where(Response.request_id == _ID,
                                  Response.firm_id.in_(bindparam("firm_ids", expanding=True)))


def requests_of(firm: Firm) -> list[CollabRequest]:
    return list(db.session.scalars(select(CollabRequest).where(CollabRequest.firm_id == firm.id)
                                   .options(joinedload(CollabRequest.firm))
                                   .order_by(CollabRequest.created_at.desc()).limit(50)))


def new_rows(since, until) -> list:
    """The requests posted in (since, until], from the created_at index: a saved search's window, with the
    columns might_match reads."""
    return list(db.session.execute(
        select(CollabRequest.id, CollabRequest.cluster_id, CollabRequest.kind, CollabRequest.position_sought,
               CollabRequest.province_id)
        .where(CollabRequest.created_at > since, CollabRequest.created_at <= until)))


def might_match(filters: BoardFilters, row) -> bool:
    """Whether a new_rows row passes the board's equality filters (_criteria's cluster, kind, position and
    province): a necessary condition only, so an alert run skips the count of a search none of the new
    requests can match; count_new, with every criterion, decides."""
    return ((not filters.cluster_id or row.cluster_id == filters.cluster_id)
            and (not filters.kind or row.kind == filters.kind)
            and (not filters.position or row.position_sought == filters.position)
            and (not filters.province_id or row.province_id == filters.province_id))


def count_new(filters: BoardFilters, viewer, ids: list[int], cap: int = 1000) -> int:
    """How many of these requests (new_ids) the viewer would find on the board with these filters: a saved
    search's alert (portal/following/alerts.py), by the board's own criteria, so hidden requests (or a hidden
    firm's) never count. The ids come first: given the window as a created_at range instead, SQLite walks
    the board index over every open request and tests the range on each."""
    from portal.listing import capped_count

    if not ids:
        return 0
    matching = select(CollabRequest.id).join(Firm, Firm.id == CollabRequest.firm_id).where(
        CollabRequest.id.in_(ids), *_criteria(filters, viewer, False))
    return db.session.scalar(capped_count(matching, cap))
