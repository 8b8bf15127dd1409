"""How every list of the portal reads its URL: the page number, the other arguments, capped counts, the year.

The one rule for ?page=: **a page number that names no page of the list shows page 1.** That covers a
missing or empty value, anything but plain ASCII digits ("abc", "-1", "+2", "2.5", "๒", "²"), zero, a
number beyond MAX_PAGE, and a page past the list's last one (a link kept while the list shrank, or one
typed by hand). Page 1 is shown at the address asked for, with links to its neighbours; a list never
answers 404 or 500 because of its page number. MAX_PAGE bounds the OFFSET any URL can make the database
compute, whatever the list.

Long lists count their rows only up to COUNT_CAP ("1,000+ firms"): counting stops early, and browsing
stops at the page that holds the last counted row; narrowing the search is the way further.
"""
import math
from dataclasses import dataclass
from functools import lru_cache

from flask import abort, current_app, request, url_for
from flask_sqlalchemy.pagination import SelectPagination
from sqlalchemy import Integer, bindparam, func, literal_column, select
from sqlalchemy.orm import lazyload

from portal import reference
from portal.db import among, utcnow
from portal.extensions import db
from portal.i18n import gettext as _
from portal.thai import fiscal_year

MAX_PAGE = 100_000  # far beyond any real list; bounds the OFFSET a URL can make the database compute
COUNT_CAP = 1000  # rows counted before a count says "more than"
URL_ONLY = ("page", "lang")  # arguments that choose how a list is shown, not which rows it holds
MAX_WORDS = 300  # characters of ?q= kept: longer search text finds nothing more


def page_arg(args=None) -> int:
    """The page asked for in ?page=, when it is a page number at all (1 to MAX_PAGE); 1 otherwise."""
    raw = (request.args if args is None else args).get("page", "")
    if not (raw.isascii() and raw.isdigit()) or len(raw.lstrip("0")) > len(str(MAX_PAGE)):  # no int("9" * 5000)
        return 1
    page = int(raw)
    return page if 1 <= page <= MAX_PAGE else 1


def page_within(page: int, pages: int) -> int:
    """`page` if the list has that page, else 1 (the module's rule)."""
    return page if 1 <= page <= pages else 1


def args_without_page(args=None) -> dict[str, str]:
    """The list's filters from the URL, to link to its other pages: every non-empty argument but the page
    and the language (the language switch adds ?lang itself)."""
    args = request.args if args is None else args
    return {key: value for key, value in args.items() if key not in URL_ONLY and value}


def page_url(endpoint: str, **values):
    """n -> the URL of page n of this list, with the filters it was asked with."""
    args = {**args_without_page(), **values}
    return lambda n: url_for(endpoint, page=n, **args)


def words_url(endpoint: str):
    """q -> the URL of this list searching q instead, with the filters it was asked with (page 1)."""
    args = args_without_page()
    return lambda q: url_for(endpoint, **{**args, "q": q})


def words_arg(args) -> str:
    """The search words, ?q=, cut to MAX_WORDS characters."""
    return args.get("q", "")[:MAX_WORDS]


def one_of(args, name: str, allowed, default: str) -> str:
    """A URL argument that must be one of `allowed` (a sort order, a status): `default` otherwise."""
    value = args.get(name)
    return value if value in allowed else default


def choice_arg(args, name: str, choices: dict, problems: list, problem: str):
    """The value that a URL argument's code names in `choices` (code -> value), None when it is absent. A shared
    link with an unknown code still opens the list: the filter is dropped and `problem` is said on the page."""
    code = args.get(name)
    if not code:
        return None
    if code not in choices:
        problems.append(problem)
        return None
    return choices[code]


def enum_arg(args, name: str, enum_class, problems: list, problem: str):
    """choice_arg over an enum's codes (value-chain position, firm size, request kind)."""
    return choice_arg(args, name, {member.value: member for member in enum_class}, problems, problem)


def cluster_arg(args, problems: list) -> int | None:
    """?cluster=<slug> as a cluster id."""
    return choice_arg(args, "cluster", {ref.key: ref.id for ref in reference.clusters().values()}, problems,
                      _("There is no such cluster; showing every cluster."))


def province_arg(args, problems: list) -> int | None:
    """?province=<code> as a province id."""
    return choice_arg(args, "province", {ref.key: ref.id for ref in reference.provinces().values()}, problems,
                      _("There is no such province; showing every province."))


def capped_count(query, cap: int = COUNT_CAP):
    """SELECT COUNT(*) of a select, stopping at cap + 1 rows (so "more than cap" is known cheaply)."""
    return select(func.count()).select_from(query.limit(cap + 1).subquery())


def among_newest(model, rows: int):
    """The ids of `model`'s `rows` newest rows (created_at, then id), newest first, as a select of the model
    joined on them, for the caller to add its criteria (and joins): capped_page's `first` for a list whose rows
    are common among the newest (the board's open requests, a common word's firms). The LIMIT is written in the
    SQL, not bound: with a bound LIMIT SQLite expected many rows and built a bloom filter over every firm first
    (73 ms on the board); `rows` is a number the caller computes from the page's, never input."""
    recent = (select(model.id.label("id"), model.created_at.label("created_at"))
              .order_by(model.created_at.desc(), model.id.desc())
              .limit(literal_column(str(int(rows)))).subquery("recent"))
    return (select(model.id).select_from(recent).join(model, model.id == recent.c.id)
            .order_by(recent.c.created_at.desc(), recent.c.id.desc()))


def capped_pages(total: int, per_page: int, cap: int = COUNT_CAP) -> int:
    """How many pages a list of `total` counted rows can be browsed in: at least 1, none past the cap."""
    return max(1, math.ceil(min(total, cap) / per_page))


@dataclass
class CappedPage:
    """One page of a list counted up to a cap: its rows, the page shown, the pages there are to browse."""
    rows: list
    page: int
    pages: int
    total: int  # rows counted, at most cap + 1
    cap: int
    # the rows are in a chosen order within a window of the matches, not among all of them (search.rank.ranked_page:
    # a search sorted by name with more matches than RANK_WINDOW); best match first is always a window's order
    windowed: bool = False
    # the ids of the page's records that have the words searched only inside longer words (search.rank.ranked_page,
    # best match first): they rank below those with a word whole, and the list says so beside each
    inside_words: frozenset = frozenset()

    @property
    def capped(self) -> bool:
        return self.total > self.cap

    @property
    def shown_total(self) -> int:
        return min(self.total, self.cap)


def capped_page(count_query, rows_query, page: int, per_page: int, cap: int = COUNT_CAP, load=None,
                first=None, total: int | None = None, together: bool = False, counted=None) -> CappedPage:
    """Count (up to cap), then fetch the page asked for, or page 1 when there is no such page: two queries.

    `rows_query` may be a function of the count (at most cap + 1), when the best way to read a page
    depends on how long the list is. With `load`, it selects ids only, sorted, and load(ids) reads those
    ids' rows (in any order; a third query): the page keeps the ids' order. The sort then carries only the
    columns the order needs, not every matching row whole: sorting 3,141 open requests' rows was 15 ms of
    the board's 23 on SQLite.

    `first(wanted)`: the same rows in the same order, looked for only among a first part of that order
    (say the newest requests) big enough to hold `wanted` rows (the page and those before it) where the
    list is dense. A full page from it is the page (the rows before it in the order are the same rows
    whatever follows); a short one means the part held too few, and rows_query is read (a query more).

    `total`: the count, up to cap + 1, when the caller has it already (count_query is then not read).

    `counted`: a scalar SQL expression that gives the count up to cap + 1 a cheaper way than counting
    count_query (a search that knows from its postings that more than cap records match); count_query is then
    not read.

    `together`: the count comes with the page's rows (from `first` when given), in one statement (a subquery
    evaluated once): a round trip fewer, for a search page with its planner settings and a signed-in user's
    query (five in all). The page asked for is read before its number is checked (a number past the cap's
    last page is not read at all); an empty page (no match, or a page past the last) is counted and read
    again the usual way."""
    rows, first_short = None, False
    if together and total is None and not callable(rows_query) and page <= capped_pages(cap + 1, per_page, cap):
        offset = (page - 1) * per_page
        reading = rows_query if first is None else first(offset + per_page)
        if counted is None:
            counted = capped_count(count_query, cap).scalar_subquery()
        found = db.session.execute(reading.add_columns(counted).limit(per_page).offset(offset)).all()
        if found:
            total = min(found[0][-1], cap + 1)
            if page_within(page, capped_pages(total, per_page, cap)) == page:
                if first is None or len(found) == per_page:
                    rows = [row[0] for row in found]
                else:
                    first_short = True  # the first part held too few: the sorted way below
    if total is None:
        total = db.session.scalar(capped_count(count_query, cap) if counted is None else select(counted))
    pages = capped_pages(total, per_page, cap)
    page = page_within(page, pages)
    offset = (page - 1) * per_page
    if rows is None:
        rows = []
        if first is not None and not first_short:
            rows = list(db.session.scalars(first(offset + per_page).limit(per_page).offset(offset)))
        if len(rows) < per_page:
            if callable(rows_query):
                rows_query = rows_query(total)
            rows = list(db.session.scalars(rows_query.limit(per_page).offset(offset)))
    if load is not None and rows:
        by_id = {row.id: row for row in load(rows)}
        rows = [by_id[row_id] for row_id in rows if row_id in by_id]
    return CappedPage(rows=rows, page=page, pages=pages, total=total, cap=cap)


def rows_among(rows_query, id_column):
    """capped_page's `load` for a rows query: its rows whose `id_column` is among the page's ids."""
    return lambda page_ids: db.session.scalars(rows_query.where(among(id_column, page_ids)))


def paginate(query, per_page: int | None = None, params: dict | None = None):
    """Flask-SQLAlchemy's Pagination of `query` for ?page=, under the module's rule. With `params`, `query` is a
    statement built once and kept, and `params` its values: its page's and its count's statements are then built
    once too (_KeptPagination)."""
    per_page = per_page or current_app.config["PAGE_SIZE"]
    page = page_arg()

    def paged(number):
        if params is None:
            return db.paginate(query, page=number, per_page=per_page, error_out=False, count=True)
        return _KeptPagination(select=query, params=params, session=db.session(), page=number, per_page=per_page,
                               max_per_page=None, error_out=False, count=True)

    pagination = paged(page)
    if page_within(page, pagination.pages) != page:
        pagination = paged(1)
    return pagination


class _KeptPagination(SelectPagination):
    """Flask-SQLAlchemy's pagination of a kept statement: the same two statements, but built once for the kept one
    (_kept_page_statements), with the page's limit and offset as parameters. A coordinator's queue built them, and
    their cache keys, on every request."""

    def _query_items(self) -> list:
        page, _count = _kept_page_statements(self._query_args["select"])
        values = {**self._query_args["params"], "page_limit": self.per_page, "page_offset": self._query_offset}
        return list(self._query_args["session"].execute(page, values).unique().scalars())

    def _query_count(self) -> int:
        _page, count = _kept_page_statements(self._query_args["select"])
        return self._query_args["session"].execute(count, self._query_args["params"]).scalar()


@lru_cache(maxsize=64)
def _kept_page_statements(query):
    """(a page of `query`, its count), as SelectPagination builds them, for a statement built once and kept (the
    cache holds it by identity)."""
    page = query.limit(bindparam("page_limit", type_=Integer)).offset(bindparam("page_offset", type_=Integer))
    counted = query.options(lazyload("*")).order_by(None).subquery()
    return page, select(func.count()).select_from(counted)


def uncounted_page(query, per_page: int) -> tuple[list, int, bool]:
    """(rows, page shown, whether a next page exists) of a list too long to count (the audit log): one row
    more than a page tells whether there is a next one. An empty page past the first shows page 1."""
    page = page_arg()
    rows = db.session.execute(query.limit(per_page + 1).offset((page - 1) * per_page)).all()
    if not rows and page > 1:
        page, rows = 1, db.session.execute(query.limit(per_page + 1)).all()
    return rows[:per_page], page, len(rows) > per_page


def fiscal_year_arg(args=None) -> int:
    """?year= as a Thai fiscal year (B.E.): the current one when absent or not a number.

    :raises NotFound: for a year outside 2401–2699, which no figure can belong to.
    """
    year = (request.args if args is None else args).get("year", type=int) or fiscal_year(utcnow())
    if not 2400 < year < 2700:
        abort(404)
    return year
