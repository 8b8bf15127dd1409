"""Best match first: a relevance score for the records search.sql.matches found.

For each term (a group: the term and its glossary alternatives), a record scores
- FOUND (1000) when it contains the term at all, so that records with every term come before records
  with some: FOUND is more than the word points all terms together can add (8 terms × 40);
- then, for the best place the term stands as a whole word: 40 in the name (or a request's title),
  20 in the products (quantity), 10 in the description (details);
- or 1 when it is only part of a longer word of the name (ปู inside ปูน), 0 part of a word elsewhere.
  The points of parts of words, all terms together (8 at most), stay below one whole word's (10): a score
  tells whether any term stands whole in the record (only_inside_words), which the lists show.
Whole words come from the records' `words_*` columns (the text cut into words, " " around each) and
the term is cut the same way, so ฟาร์มปลากัด typed as one word is the two words it is.
Ties go to verified firms, then complete profiles (the callers add those), then the chosen order.

The score is computed for at most RANK_WINDOW matches: the first found by the index (`ranked_page`). Up to
that many matches (all but the broadest searches) the order is exact; beyond it, the page ranks the
first RANK_WINDOW found, so that a page costs the same at 100,000 or 1,000,000 records. The window is what can
be browsed (portal.listing.COUNT_CAP) and one more, which tells "1,000 firms" from "more than 1,000": beyond the
cap, which matches are ranked is the index's choice either way (whole words first, then in record order): a larger
window ranked a larger sample, not the best matches, and every broad search paid for it (1,500 until 6 December
2026: 10-25 % of a broad search's page at p50, ฮาลาล 24.3 -> 18.9 ms at 100,000 firms on PostgreSQL; README,
"Search windows of 1,001").
"""
import dataclasses
import threading
from functools import lru_cache
from operator import itemgetter

from cachetools import LRUCache
from flask import current_app
from sqlalchemy import ARRAY, Integer, all_, bindparam, case, cast, func, literal, null, or_, select, union, union_all
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

from portal.db import among
from portal.extensions import db
from portal.listing import COUNT_CAP, CappedPage, capped_pages, page_within
from portal.search.sql import groups_of, index_first_then, needed
from portal.search.text import word_text

FOUND = 1000
COUNTED = -1  # the score of a record only counted (search.rank._found): below any score, and never ranked
RANK_WINDOW = COUNT_CAP + 1
IN_NAME, IN_PRODUCTS, IN_BODY, PART_OF_NAME = 40, 20, 10, 1


def has_words(query_terms) -> bool:
    """Whether any term (or a glossary form of one) has a word, which a record may have whole: not a query of
    punctuation only, whose every match is "inside" by the score."""
    return any(word_text(s) for group in groups_of(query_terms) for s in group if s)


def only_inside_words(score: int) -> bool:
    """Whether a record with this relevance score has no term as a whole word, only inside longer words (ชา inside
    ธรรมชาติ, tea inside team): its word points are those of parts of words alone."""
    return score % FOUND < IN_BODY


def relevance(model, query_terms, dialect: str, every_term_whole: bool = False, whole_flags: tuple | None = None):
    """SQL expression: the record's score for the query (higher first), built once per query and kept
    (_relevance): a page asks for it up to twice, and building it is a hundred SQLAlchemy constructs a term,
    1.4–4.9 ms a page that searched ปลากัด (with its glossary forms) on this machine. An expression is
    immutable: pages and threads share it as they share a column. The latest 128 queries are kept, about
    70 KiB each for four terms (9 MiB a process at most)."""
    return _relevance(model, tuple(tuple(group) for group in groups_of(query_terms)), dialect, every_term_whole,
                      whole_flags)


@lru_cache(maxsize=128)
def _relevance(model, query_terms: tuple[tuple[str, ...], ...], dialect: str, every_term_whole: bool,
               whole_flags: tuple | None = None):
    """relevance's expression. With one term every match has
    it, so only its place is scored; strings that contain another of their group are left out of each test
    (" betta fish " when " betta " is there: whatever has the one has the other).

    every_term_whole: the same score, for records known to have every term as a whole word of their name,
    products or description (search.sql.whole_words' matches): a term's place is then one of the three,
    and a term that is one word as typed is certainly found, so those tests are left out (each is a scan of
    the record's text, for every record of the window).

    whole_flags: the same score, for the records of search.sql.whole_words(every=False), with its flags
    (search.sql.any_whole_flags): for a term flagged and one word as typed, whether the record has it whole is
    known. Whole, it is found, and its place is the name, the products or else the description; not whole, its
    letters are looked for, and their place can only be inside a word of the name."""
    position = func.instr if dialect == "sqlite" else func.strpos

    def contains(column, strings):
        return or_(*(position(column, literal(s)) > 0 for s in strings))

    def place_of_whole(whole):
        """The place of a term known to stand whole in the name, the products or the description."""
        return case((contains(model.words_name, whole), IN_NAME), (contains(model.words_products, whole), IN_PRODUCTS),
                    else_=IN_BODY)

    groups = groups_of(query_terms)
    score = None
    for n, group in enumerate(groups):
        letters = needed(group)
        whole = needed(w for w in (word_text(s) for s in group) if w)
        term_score, place_if_found = None, False
        if len(groups) > 1:
            # " s " among a record's words means s is in its text (the words are cut from that text), but a
            # term of several words (ฟาร์มปลากัด, "fighting fish") may stand whole with other letters between
            one_word_each = all(word_text(s) == f" {s} " for s in group)
            flag = whole_flags[n] if whole_flags and not every_term_whole else None
            if every_term_whole and one_word_each:
                term_score = literal(FOUND)
            elif flag is not None and one_word_each and whole:
                score_of = case((flag, literal(FOUND) + place_of_whole(whole)),
                                (contains(model.search_text, letters),
                                 literal(FOUND) + case((contains(model.words_name, letters), PART_OF_NAME), else_=0)),
                                else_=0)
                score = score_of if score is None else score + score_of
                continue
            elif one_word_each and whole:
                # Then a record without the term in its text has no place either (a word, or letters without a
                # space, in its words are in its text): its words are not scanned. Most records of a window of
                # several terms lack most of them (organic premium betta: the scoring 7 -> 4 ms for 1,500 firms).
                place_if_found = True
            else:
                term_score = case((contains(model.search_text, letters), FOUND), else_=0)
        if whole:
            place = place_of_whole(whole) if every_term_whole else \
                case((contains(model.words_name, whole), IN_NAME),
                     (contains(model.words_products, whole), IN_PRODUCTS),
                     (contains(model.words_body, whole), IN_BODY),
                     (contains(model.words_name, letters), PART_OF_NAME), else_=0)
            if place_if_found:
                term_score = case((contains(model.search_text, letters), literal(FOUND) + place), else_=0)
            else:
                term_score = place if term_score is None else term_score + place
        if term_score is not None:
            score = term_score if score is None else score + term_score
    return score if score is not None else literal(0)


def _key(clause) -> tuple:
    """(expression, descending) of an ORDER BY clause."""
    if isinstance(clause, UnaryExpression) and clause.modifier in (operators.desc_op, operators.asc_op):
        return clause.element, clause.modifier is operators.desc_op
    return clause, False


def _scored(query, columns, score):
    """query (…, *columns) with its first column of `columns`, the score, replaced by `score`."""
    selected = list(query.selected_columns)
    at = len(selected) - len(columns)
    return query.with_only_columns(*selected[:at], score.label("score"), *selected[at + 1:])


def _rows(statement, values=None) -> list:
    """The statement's rows, read through the session's connection: plain rows, without the ORM's processing of
    each (1,500 rows of a window: 1.0–1.3 ms less on PostgreSQL). In the session's transaction, as its own
    statements, and after the session's pending changes are flushed, as its own queries do (autoflush)."""
    session = db.session
    if session.autoflush:
        session.flush()
    return session.connection().execute(statement, values).all()


def _counted_only(query, columns):
    """query (…, *columns) for records that are only counted: the score -1 (COUNTED), the other columns NULL, so
    that neither PostgreSQL computes them nor Python reads them (ranked_page leaves those records out of the
    ranking)."""
    selected = list(query.selected_columns)
    at = len(selected) - len(columns)
    return query.with_only_columns(*selected[:at], literal(COUNTED).label("score"),
                                   *(cast(null(), c.type).label(f"counted_{n}") for n, c in enumerate(columns[1:])))


# The values a window's statements take on each page, as parameters of a statement kept for the shape of the search
# (ranked_page's `kept_as`): the records the first part found, the window they leave, and the records the page wants.
_KNOWN = bindparam("rank_known_ids", type_=ARRAY(Integer))
_WINDOW_LEFT = bindparam("rank_window_left", type_=Integer)
_WANTED = bindparam("rank_wanted", type_=Integer)
KEPT_WINDOWS = 128  # shapes of search whose window statements a process keeps (ranked_page's `kept_as`)
_kept_windows: LRUCache = LRUCache(maxsize=KEPT_WINDOWS)
_kept_lock = threading.Lock()


def _rest_statement(queries, known: bool, filled: bool, cap: int):
    """The window's parts after the first as one statement (see _found), its values left to parameters: _KNOWN
    (the first part's record ids, when `known`: it found some), _WINDOW_LEFT (RANK_WINDOW less their number) and
    _WANTED (the records up to the end of the page). `filled`: the first part found `wanted` records or more."""
    known_ids = select(func.unnest(_KNOWN)) if known else None
    parts, windows, top_parts, found_before = [], [], [], {}
    for n, (query, columns, below) in enumerate(queries):
        earlier_filled = [select(func.count()).select_from(part).scalar_subquery() >= window
                          for part, window in zip(parts, windows, strict=True)]
        if earlier_filled:
            query = query.where(~or_(*earlier_filled))
        window = literal(RANK_WINDOW)
        if not below and known:
            # Records with every term somewhere, after those with every term whole (known): these are among them
            # and already scored, so they are left out here, and the part's window is what the known left of it.
            # Their text is still read (the trigram index's recheck), not scored again (ปลากัด export at 17,555
            # firms: 370 of the part's 383).
            query = query.where(query.selected_columns[0] != all_(_KNOWN))
            window = _WINDOW_LEFT
        elif below and filled:
            # The first part's records fill the page: known here, so the statement holds neither the score of
            # this part's records nor the test (ฮาลาล export, 195 firms with both words whole for a page of 24:
            # its second statement 16.6 -> 12.7 ms at 100,000 firms, with the shared CTE below)
            query, window = _counted_only(query, columns), literal(cap + 1)
        elif below and (top_parts or known_ids is not None):
            # the records found before this part, one CTE for every part that asks (PostgreSQL runs it once)
            key = tuple(top_parts)
            if key not in found_before:
                found_before[key] = union(*(select(part.c[0]) for part in top_parts),
                                          *([known_ids] if known_ids is not None else [])).cte(f"before_{n}")
            enough = select(func.count()).select_from(found_before[key]).scalar_subquery() >= _WANTED
            query = _scored(query, columns, case((enough, literal(COUNTED)), else_=columns[0]))
            window = case((enough, literal(cap + 1)), else_=literal(RANK_WINDOW))
        parts.append(query.limit(window).cte(f"found_{n}"))
        windows.append(window)
        if not below:
            top_parts.append(parts[-1])
    return union_all(*(select(part) for part in parts))


def _same_statement(kept, fresh) -> bool:
    """Whether two statements are the same SQL with the same values (SQLAlchemy's cache keys, and their values)."""
    kept_key, fresh_key = kept._generate_cache_key(), fresh._generate_cache_key()
    return kept_key == fresh_key and ([p.effective_value for p in kept_key.bindparams]
                                      == [p.effective_value for p in fresh_key.bindparams])


def _kept_statement(kept_as, name, build):
    """build(), kept for the shape of search `kept_as` (ranked_page) under `name`: built on a shape's first page and
    reused by its later pages, whose values are the statement's parameters. A statement built again costs its cache
    key, which SQLAlchemy computes to find its compiled form: 2.65 ms of CPU a page for the window of organic
    premium betta on PostgreSQL (188 values in a 13 kB statement), 0.7 more for its first part alone. With
    CHECK_KEPT_SEARCH_STATEMENTS (the tests' configuration) every page builds the statement again as well and
    fails if the kept one differs from it, in SQL or in any value: a `kept_as` that left out something the
    statement depends on would show one search's window to another."""
    if kept_as is None:
        return build()
    with _kept_lock:
        kept = _kept_windows.get(kept_as)
        if kept is None:
            kept = _kept_windows[kept_as] = {}
        statement = kept.get(name)
    if statement is None:
        statement = build()
        with _kept_lock:
            kept[name] = statement
    elif current_app.config.get("CHECK_KEPT_SEARCH_STATEMENTS"):
        fresh = build()
        if not _same_statement(statement, fresh):
            raise AssertionError(f"the kept window statement {name!r} of {kept_as!r} differs from the page's own")
    return statement


def _found(queries, wanted: int, cap: int = COUNT_CAP, kept_as=None):
    """The rows of the first RANK_WINDOW records of each (query, columns, below) in turn, each skipped when one
    before it filled its window. On PostgreSQL the first part on its own when it is not `below`, and the others, if
    it did not fill the window, as one statement, so that a page stays within five: each part is a CTE, gated by a
    condition the database evaluates once, before it starts reading that part.

    `below`: the part's records that no part before it found rank below every record those parts found (the
    first column is the score, search.rank.relevance). When the parts not `below` found `wanted` records (the page
    and those before it), the page is theirs: the others are only counted, and their score (a scan of their text
    for each term: ฮาลาล export's 1,500 firms with one of the words, 16.5 → 10 ms at 100,000 firms) is not
    computed: -1, below any score. Only counted, and counting stops at `cap` + 1 (portal.listing), such a part reads
    cap + 1 records, not RANK_WINDOW: its records are distinct, so the count is whole or known to be over the cap."""
    queries = [(query.add_columns(*columns), columns, below) for query, columns, below in queries if query is not None]
    if db.session.get_bind().dialect.name != "postgresql":
        found, ids = [], set()
        for query, columns, below in queries:
            window = RANK_WINDOW
            if below and len(ids) >= wanted:
                query, window = _counted_only(query, columns), cap + 1
            rows = _rows(query.limit(window))
            found += rows
            ids.update(row[0] for row in rows if not below)
            if len(rows) >= window:
                break
        return found
    known = []  # the first part's rows, read on their own
    shape = (len(queries), tuple(below for _query, _columns, below in queries))
    if len(queries) > 1 and not queries[0][2]:
        # The first part alone first: a common word's whole words fill the window, and PostgreSQL then plans
        # that part only, not the parts it gates (planned for the words typed, the statement of four parts took
        # 5.4 ms to plan for ปลากัด export, the first part alone 1 ms). When it does not fill, the others follow in
        # a second statement, given its records' ids: the first part is complete then, and is not read again.
        first = queries[0][0]
        known = _rows(_kept_statement(kept_as, ("first",) + shape, lambda: first.limit(RANK_WINDOW)))
        if len(known) >= RANK_WINDOW:
            return known
        queries = queries[1:]
    statement = _kept_statement(kept_as, ("rest", len(queries), bool(known), len(known) >= wanted, cap) + shape,
                                lambda: _rest_statement(queries, bool(known), len(known) >= wanted, cap))
    # all(): the driver's fetchall, where iterating the result fetched the 1,500 rows one call at a time
    # (a common word's page on PostgreSQL: 5–6 ms of its 22). The first part's ids are one parameter for each use of
    # them (an array sent once).
    return known + _rows(statement, {_KNOWN.key: [row[0] for row in known],
                                     _WINDOW_LEFT.key: RANK_WINDOW - len(known), _WANTED.key: wanted})


def search_shape(name: str, filters, table_name: str, *more) -> tuple | None:
    """ranked_page's `kept_as` for a list's search on PostgreSQL: the list's name, every field of its filters but the
    page (and the form's problems), the terms' glossary forms, when this process read the table's statistics and the
    settings that choose the way of several terms (search.sql.statistics_read_at, ways_chosen_by), and `more`: what
    else the caller's statements depend on (the viewer's audience, the language, the day). None on SQLite, whose
    window's parts run one by one, each a statement the page builds."""
    if db.session.get_bind().dialect.name != "postgresql":
        return None
    from portal.search.sql import statistics_read_at, ways_chosen_by

    fields = tuple((f.name, getattr(filters, f.name)) for f in dataclasses.fields(filters)
                   if f.name not in ("page", "problems"))
    return (name, fields, tuple(tuple(group) for group in filters.groups), statistics_read_at(table_name),
            ways_chosen_by(), *more)


def ranked_page(matching_ids, id_column, rows_of, order, page: int, per_page: int, cap: int = COUNT_CAP,
                first_ids=None, whole_ids=None, whole_order=None, any_whole_ids=None, any_whole_order=None,
                by_relevance: bool = True, query_terms=None, kept_as=None) -> CappedPage:
    """One page of the matches in `order` (relevance first), and their number counted up to cap.

    The first RANK_WINDOW matches are found once, by the index, with the values they are ordered by
    (scored while the index's rows are read, not looked up again); they are sorted here, and the page's
    rows are then read by id (`rows_of(criterion)` selects the rows meeting `among(ids)`). `first_ids`,
    for a query of several terms, finds the records with every term, taken into the window before the
    others: the first matches the index meets might otherwise all have only some of the terms.
    `whole_ids` (search.sql.whole_words: PostgreSQL's postings, SQLite's FTS5 table of words) finds the records
    with every term as whole words, in an index read in order: when they fill the window, the window is theirs and
    the other, costlier queries are not run (those records score above any with a term only inside a longer
    word; with more matches than the window, which ones are ranked was the index's choice anyway). `whole_order`:
    the same order, as it is computed for those records (relevance(..., every_term_whole=True)). `any_whole_ids`
    (PostgreSQL, several terms: whole_words(every=False)) finds the records with any term as a whole word, from
    the same postings, taken after those with every term and before the rest: when they fill the window, the
    trigram index, which hands over the bitmap of every record with any of the words' letters before the first
    is read, is not used (records with a term whole score above those with it only inside a longer word).
    `any_whole_order`: the same order, as it is computed for those records (relevance(..., whole_flags=...)).
    The window in one statement, or on PostgreSQL two (after the planner settings); on SQLite a statement a
    part, in turn, until one fills it; then the page's rows.

    by_relevance=False: `order` is a chosen order (a search sorted by name), not relevance. The window is found
    the same way, the best matches first, but a later part's records do not rank below an earlier part's: the
    window is sorted by `order` alone. Up to RANK_WINDOW matches that is every match in that order; with more,
    it is the window's RANK_WINDOW matches in that order (those with every term whole first), and the page says
    so (`windowed`). Reading and sorting every match of a common word grows with the table (ปลากัด by name on
    PostgreSQL: 10,030 firms at 100,000, 35 ms; 102,118 at 1,000,000, 0.64 s), where the window costs the same at
    any size.

    query_terms (the groups searched), best match first: the page says which of its records have no term whole,
    only inside longer words (`inside_words`, their ids), which rank below those with one whole.

    kept_as: a key (hashable) for which the caller's queries and orders are always the same statements, with the
    same values (search_shape: the filters but the page, the audience, the language...). The window's statements
    are then built on the first page of that shape and kept (_kept_statement), each later page giving them its own
    values; None: built on every page."""
    keys = [_key(clause) for clause in order]
    columns = [expression for expression, _descending in keys]
    whole_columns = [_key(clause)[0] for clause in whole_order] if whole_order is not None else columns
    any_whole_columns = [_key(clause)[0] for clause in any_whole_order] if any_whole_order is not None else columns
    found = {}
    with index_first_then(db.session) as restore:
        # Records found by the later parts lack a term (several terms) or have none whole (one term), and the
        # parts before them are complete when they run (they did not fill the window): those records rank below
        # (by relevance; in a chosen order they take their place in it).
        for row in _found(((whole_ids, whole_columns, False), (first_ids, columns, False),
                           (any_whole_ids, any_whole_columns, by_relevance), (matching_ids, columns, by_relevance)),
                          page * per_page, cap, None if kept_as is None else (kept_as, RANK_WINDOW)):
            found.setdefault(row[0], row)
    total = min(len(found), cap + 1)
    ranked = [row for row in found.values() if row[1] != COUNTED][:RANK_WINDOW]
    for n, (_expression, descending) in reversed(list(enumerate(keys, start=1))):  # stable: last key first
        ranked.sort(key=itemgetter(n), reverse=descending)
    pages = capped_pages(total, per_page, cap)
    page = page_within(page, pages)
    shown = ranked[(page - 1) * per_page:page * per_page]
    ids = [row[0] for row in shown]
    inside = (frozenset(row[0] for row in shown if only_inside_words(row[1]))
              if by_relevance and query_terms and has_words(query_terms) else frozenset())
    # The search's planner settings go back as they were with the page's rows (a statement fewer; they are
    # evaluated per row, idempotent), or on their own when the page is empty.
    by_id = {getattr(row, id_column.key): row
             for row in db.session.scalars(rows_of(among(id_column, ids)).add_columns(*restore))} if ids else {}
    if restore and not ids:
        db.session.execute(select(*restore))
    return CappedPage(rows=[by_id[i] for i in ids if i in by_id], page=page, pages=pages, total=total, cap=cap,
                      windowed=not by_relevance and len(found) >= RANK_WINDOW, inside_words=inside)
