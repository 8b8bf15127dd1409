"""The member directory: listed firms filtered, searched, sorted and paginated in a few queries.

Page 1 and deep pages cost the same: the ORDER BY (sort key or creation time, then id) is indexed
whole, and counting stops at COUNT_CAP ("1,000+ firms"), so browsing stops at MAX_PAGE: narrowing the
search is the way further. Both bound the work a page does, whatever the size of the directory.
Page numbers follow portal.listing's rule.
"""
import math
from dataclasses import dataclass, field
from functools import cache, partial

from sqlalchemy import and_, case, exists, false, select

from portal.clusters.models import Membership, MembershipPosition, MembershipStatus, Position
from portal.extensions import db
from portal.firms.models import Firm, FirmSize
from portal.firms.queries import listed, sees_every_listed_firm, visible_firm_filter
from portal.glossary.searched import Searched
from portal.listing import COUNT_CAP, CappedPage, among_newest, capped_count, capped_page
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

PER_PAGE = 24
NEWEST_FIRST_PER_ROW = 40  # newest firms looked among per row wanted, searched newest first on SQLite (_among_newest)
NEWEST_FIRST_MOST = 10_000  # and at most this many
MAX_PAGE = math.ceil(COUNT_CAP / PER_PAGE)  # the deepest page that can be browsed
SORTS = ("relevance", "name", "newest")  # relevance only with search words: best match first


@dataclass
class Filters(Searched):
    CHOSEN_ORDERS = ("name", "newest")
    UNSEARCHED_ORDER = "name"

    q: str = ""
    cluster_id: int | None = None
    position: Position | None = None
    province_id: int | None = None
    size: FirmSize | None = None
    verified: bool = False
    sort: str = ""  # "" is the default: relevance with search words, else name
    page: int = 1
    problems: list[str] = field(default_factory=list)

    @property
    def in_use(self) -> int:
        """How many filters narrow the list (the search words and the order are not counted)."""
        return sum(1 for value in (self.cluster_id, self.position, self.province_id, self.size, self.verified)
                   if value)



def _criteria(filters: Filters, viewer, ordered: bool, every_term: bool = False, whole: bool = False,
              any_whole: bool = False, scan: bool = False, sampled: bool = True):
    """The page's criteria. scan: the search words tested in each firm's own text (search.sql.contains_terms),
    not looked up in an index (_among_newest). sampled=False: PostgreSQL plans the search words' trigram patterns
    without its statistics' sample (search.sql._like), for search.rank's window when no filter narrows it."""
    criteria = [visible_firm_filter(viewer)]
    dialect = db.session.get_bind().dialect.name
    if filters.terms and scan:
        criteria.append(contains_terms(Firm, filters.groups, dialect))
    elif filters.terms and (whole or any_whole):
        found = whole_words(Firm, filters.groups, "firm_words", "firm_id", every=not any_whole, dialect=dialect)
        criteria.append(false() if found is None else found)  # a term with no word at all: none whole
    elif filters.terms and every_term:
        criteria.append(matches_all(Firm, filters.groups, dialect, "firms_fts", sampled=sampled))
    elif filters.terms:
        criteria.append(matches(Firm, filters.groups, dialect, "firms_fts", ordered, sampled=sampled))
    if filters.cluster_id or filters.position:
        membership = [Membership.firm_id == Firm.id, Membership.status == MembershipStatus.APPROVED]
        if filters.cluster_id:
            membership.append(Membership.cluster_id == filters.cluster_id)
        if filters.position:
            membership.append(exists().where(MembershipPosition.membership_id == Membership.id,
                                             MembershipPosition.position == filters.position))
        criteria.append(exists().where(and_(*membership)))
    if filters.province_id:
        criteria.append(Firm.province_id == filters.province_id)
    if filters.size:
        criteria.append(Firm.size == filters.size)
    if filters.verified:
        criteria.append(Firm.verified_at.is_not(None))
    return criteria


@cache
def completeness():
    """How much of a profile is filled in beyond what registration asks (0–4): breaks relevance ties. The
    same expression every time, built once (search.rank.relevance says why)."""
    return (case((Firm.words_products != "", 1), else_=0) + case((Firm.words_body != "", 1), else_=0)
            + case((Firm.logo_filename.is_not(None), 1), else_=0) + case((Firm.name_en.is_not(None), 1), else_=0))


def _order(filters: Filters, locale: str, every_term_whole: bool = False, whole_flags: tuple | None = None):
    """ORDER BY for the page. every_term_whole, whole_flags: the same order for records with every term whole,
    or for those with any term whole and its flags (search.rank.relevance)."""
    key = Firm.sort_en if locale == "en" else Firm.sort_th
    if filters.order == "relevance":
        dialect = db.session.get_bind().dialect.name
        return (relevance(Firm, filters.groups, dialect, every_term_whole, whole_flags).desc(),
                Firm.verified_at.is_(None), completeness().desc(), key, Firm.id)
    if filters.order == "newest":
        return (Firm.created_at.desc(), Firm.id.desc())
    return (key, Firm.id)


@cache
def _firm_rows():
    """The firms' rows as the directory shows them: without their search columns (portal.firms.queries.listed).
    Built once: a statement is immutable, and each page's criteria make a copy of it."""
    return select(Firm).options(*listed())


def search(filters: Filters, viewer, locale: str) -> CappedPage:
    """One page of firms (page 1 when there is no filters.page) and the number of matches, counted up to
    COUNT_CAP: two queries (on PostgreSQL a search adds one for its planner settings).

    Searched and sorted by name, the matches are found as for the best match first (search.rank.ranked_page's
    window) and sorted by name: every match when there are up to RANK_WINDOW of them, else the window's
    RANK_WINDOW, and the page says so (`windowed`). Sorting every match grew with the table: a common word reads a
    tenth of the directory (ปลากัด by name on PostgreSQL: 35 ms at 100,000 firms, 0.64 s at 1,000,000), of which at
    most COUNT_CAP could be browsed."""
    if filters.terms and filters.order in ("relevance", "name"):  # ranked_page takes the matches from the indexes
        by_relevance = filters.order == "relevance"
        order = _order(filters, locale)
        # With no filter, the trigram index is the only way to the window's matches: PostgreSQL need not test the
        # search's patterns against its sample of the firms' text to plan that (search.sql._like)
        sampled = bool(filters.in_use)
        matching = select(Firm.id).where(*_criteria(filters, viewer, ordered=False, sampled=sampled))
        every_term = (select(Firm.id).where(*_criteria(filters, viewer, ordered=False, every_term=True,
                                                       sampled=sampled))
                      if len(filters.terms) > 1 else None)
        whole = select(Firm.id).where(*_criteria(filters, viewer, ordered=False, whole=True))
        # SQLite: not this part, which on PostgreSQL spares the trigram index (its FTS5 index reads the matches
        # lazily already), so that a page of several terms stays within five statements (its parts run one by one)
        any_whole = (select(Firm.id).where(*_criteria(filters, viewer, ordered=False, any_whole=True))
                     if uses_postings(db.session) and len(filters.terms) > 1 else None)
        whole_order = _order(filters, locale, every_term_whole=True) if by_relevance else order
        any_whole_order = (_order(filters, locale, whole_flags=any_whole_flags(Firm, filters.groups, "firm_words",
                                                                                 "firm_id"))
                           if by_relevance and any_whole is not None else order)
        return ranked_page(matching, Firm.id, lambda among: _firm_rows().where(among), order,
                           filters.page, PER_PAGE, COUNT_CAP, first_ids=every_term, whole_ids=whole,
                           whole_order=whole_order, any_whole_ids=any_whole, any_whole_order=any_whole_order,
                           by_relevance=by_relevance, query_terms=filters.groups,
                           kept_as=search_shape("directory", filters, Firm.__tablename__,
                                                sees_every_listed_firm(viewer), locale))
    matching = select(Firm.id).where(*_criteria(filters, viewer, ordered=False))
    if not filters.terms:  # the sort walks its index and stops at the page: the rows come with it
        return capped_page(matching, _firm_rows().where(*_criteria(filters, viewer, ordered=True))
                           .order_by(*_order(filters, locale)), filters.page, PER_PAGE, COUNT_CAP)
    # Searched and sorted by date: the date index is walked and each firm probed in the search's result (ids
    # only, then the page's rows), counted with the ids in one statement; PostgreSQL's planner settings go back
    # with the rows.
    ids = select(Firm.id).where(*_criteria(filters, viewer, ordered=True)).order_by(*_order(filters, locale))
    first = None if uses_postings(db.session) else partial(_among_newest, filters, viewer)
    with index_first_load(db.session, _firm_rows(), Firm.id) as load:
        return capped_page(matching, ids, filters.page, PER_PAGE, COUNT_CAP, load=load, together=True,
                           first=first, counted=_counted_by_whole_words(filters, viewer, matching))


def _among_newest(filters: Filters, viewer, wanted: int):
    """SQLite, searched and sorted by date: the matching firms' ids, newest first, looked for among the
    NEWEST_FIRST_PER_ROW × `wanted` newest firms only (at most NEWEST_FIRST_MOST), each firm's text tested
    (portal.listing.capped_page's `first`). Probing the date index's firms in the search's result makes SQLite
    collect every match from FTS5 first: ปลากัด's 100,000 at 1,000,000 firms, 47 ms a page. A word in one
    firm in 40 fills a page from the newest; a page they do not fill (a rarer word, whose matches FTS5 collects
    quickly, or a deep page) is read that way, a statement more. PostgreSQL walks the date index testing each
    firm's text on its own."""
    return (among_newest(Firm, min(NEWEST_FIRST_PER_ROW * wanted, NEWEST_FIRST_MOST))
            .where(*_criteria(filters, viewer, ordered=True, scan=True)))


def _counted_by_whole_words(filters: Filters, viewer, matching):
    """The search's count up to COUNT_CAP + 1, from the records with a term as a whole word first (PostgreSQL's
    postings, SQLite's table of words). Firms with a term as a whole word are among the matches (search.rank counts
    them the same way), and their index is read in order and stopped at COUNT_CAP + 1: when there are more, the list
    is "more than COUNT_CAP" without testing any firm's text. Counting the matches themselves tests each firm's text
    in turn until COUNT_CAP + 1 are found on PostgreSQL (ปลากัด read 9,476 firms to find 1,001, 22 ms at 1,000,000
    firms); on SQLite the trigram table finds them, but a form such as "fighting fish" (betta's, in the glossary)
    makes it read the lists of trigrams nearly every English text has ("ing", "ght"): ปลากัด newest first 4 ms
    at 100,000 firms and 11 at 1,000,000 for the count alone. With fewer whole-word matches, the matches are
    counted (the CASE evaluates that count only then)."""
    any_whole = select(Firm.id).where(*_criteria(filters, viewer, ordered=False, any_whole=True))
    return case((capped_count(any_whole, COUNT_CAP).scalar_subquery() > COUNT_CAP, COUNT_CAP + 1),
                else_=capped_count(matching, COUNT_CAP).scalar_subquery())


def keyset(filters: Filters, viewer, after_id: int, limit: int) -> list:
    """The API's pages (portal/api/): the directory's criteria, in id order after `after_id` (a keyset, so
    a page costs the same however deep), with the province loaded."""
    from sqlalchemy.orm import joinedload

    query = _firm_rows().where(*_criteria(filters, viewer, ordered=False), Firm.id > after_id)
    return list(db.session.scalars(query.options(joinedload(Firm.province)).order_by(Firm.id).limit(limit)))


def new_rows(since, until) -> list:
    """The firms added in (since, until], from the created_at index: a saved search's window, with the
    columns might_match reads."""
    return list(db.session.execute(select(Firm.id, Firm.province_id, Firm.size, Firm.verified_at)
                                   .where(Firm.created_at > since, Firm.created_at <= until)))


def might_match(filters: Filters, row) -> bool:
    """Whether a new_rows row passes the directory's own-column filters (_criteria's province, size and
    verified; cluster and position live in memberships and are left to the count): a necessary condition
    only, so an alert run skips the count of a search none of the new firms can match."""
    return ((not filters.province_id or row.province_id == filters.province_id)
            and (not filters.size or row.size == filters.size)
            and (not filters.verified or row.verified_at is not None))


def count_new(filters: Filters, viewer, ids: list[int], cap: int = COUNT_CAP) -> int:
    """How many of these firms (new_ids) the viewer would find with these filters: a saved search's alert
    (portal/following/alerts.py), by the page's own criteria, so hidden firms never count."""
    from portal.listing import capped_count

    if not ids:
        return 0
    matching = select(Firm.id).where(Firm.id.in_(ids), *_criteria(filters, viewer, ordered=False))
    return db.session.scalar(capped_count(matching, cap))
