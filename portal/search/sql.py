"""Substring search that works inside Thai text (which has no spaces), on SQLite and PostgreSQL alike.

Each searchable record keeps one normalised `search_text` (NFC, case-folded, its Thai and English
fields joined, ending in two spaces). A query is split on whitespace into terms; a record matches when
it contains any of them (or any glossary alternative of one), each as a plain substring: no wildcard,
quote or index syntax means anything. Tone marks count (ร้าน is not ร่าน). search.rank orders the
matches: every term before some, whole words before parts of words, the name before the rest.

- SQLite: terms of 3+ characters go through an FTS5 trigram index (each term quoted). A 2-character
  term (Thai words often are: ผม, รถ) is expanded to the indexed trigrams that start with it (read from
  an fts5vocab table); the trailing spaces guarantee every occurrence is followed by a character, so
  this finds exactly the rows that contain it. A 1-character term falls back to instr(). Whole words come
  from a second FTS5 table over the words columns (whole_words).
- PostgreSQL: LIKE '%term%' with % _ \\ escaped, served by a pg_trgm GIN index for 3+ characters; a
  2-character term uses a trigger-maintained array of the text's bigrams with its own GIN index. Whole words
  come from postings tables (whole_words).
See shared notes/thai-search.md for the measurements behind this design.
"""
import functools
import itertools
import time
from contextlib import contextmanager

from sqlalchemy import (
    ARRAY,
    Text,
    and_,
    bindparam,
    column,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
    text,
    true,
    union_all,
)

from portal.db import among
from portal.extensions import db
from portal.search.text import WORD_COLUMNS, word_text


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like(column, term: str, extra: int = 0, sampled: bool = True):
    """PostgreSQL: the column contains the term, as plain text (served by the pg_trgm GIN index). `extra` more "%"
    at the end match the same and make the pattern a different one (matches_all).

    sampled=False: the pattern reaches the statement as a value of its own (a scalar subquery: an InitPlan, which
    PostgreSQL evaluates once, before the scan), so the planner does not test it against its statistics' sample
    of the column. It tests every LIKE pattern of a statement against the column's histogram, 101 texts of about
    500 bytes: 1.5 of the 2.0 ms that planning a search of two or three words took at 100,000 firms (ฮาลาล export,
    eight patterns and four more for the part that rarely runs). It then guesses 1 in 200 rows a pattern, where the
    sample would tell a common word from a rare one: only for a statement whose plan does not depend on that
    (search.rank's window with no other criterion than the search: the trigram index is the only way to the
    matches). A plan that chooses between the search's index and another one (a cluster's members, the board's
    open requests, a date order) needs the sample: the board's common word, guessed rare, took the trigram index's
    every request (71 ms against 3.5). The escape character is LIKE's default, the backslash."""
    pattern = "%" + _escape_like(term) + "%" * (1 + extra)
    if not sampled:
        return column.like(select(literal(pattern, Text)).scalar_subquery())
    return column.like(pattern, escape="\\")


SQLITE_PART = 4  # the characters of a longer term that SQLite's FTS5 table is asked for, every term (_middle_part)


def _middle_part(term: str) -> str | None:
    """SQLite: the SQLITE_PART characters in the middle of the term (the first of two middles), which
    matches_all asks of the FTS5 trigram table in place of the term; None for a term no longer than that. FTS5
    finds a phrase by walking the lists of all its trigrams together, so a longer term costs more to find
    with every other term (organic premium betta at 100,000 firms: 3.9 ms for the three terms whole, 1.6 ms for
    four letters of each, which 13 firms have, none all three terms). Any text that contains the term contains the
    part; the term itself is then tested on the records found. SQLite keeps no statistics of trigrams (PostgreSQL's
    _narrowest chooses by them): the middle of its longest word, where a word's common beginnings and endings (pre-,
    -ing) are not, and no space is ("fighting fish": ghti, not ting)."""
    word = max(term.split(), key=len, default="")
    if len(term) <= SQLITE_PART or len(word) < SQLITE_PART:  # the whole term is no longer than a part
        return None
    start = (len(word) - SQLITE_PART) // 2
    return word[start:start + SQLITE_PART]


def _fts_phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def groups_of(query_terms) -> list[list[str]]:
    """Terms as groups of alternatives: a plain term is a group of one; a group holds a term and its
    other-language forms from the glossary (any one of them counts as the term found)."""
    return [[t] if isinstance(t, str) else list(t) for t in query_terms]


def needed(strings) -> list[str]:
    """The strings, less those that contain another one (betta fish when betta is there): a record that
    contains them contains the other, so they would widen nothing and only cost a test."""
    strings = list(dict.fromkeys(strings))
    return [s for s in strings if not any(other != s and other in s for other in strings)]


def kept_per_query(function):
    """A criterion builder memoised per query: `function(model, query_terms, ...)` is built once for the same
    model, terms (groups of alternatives) and other arguments, and the expression shared, as search.rank.relevance
    is (an expression is immutable). A search page builds three or four of them, a hundred SQLAlchemy constructs a
    term each: about 3 ms of a two-word search's page on PostgreSQL. The latest 256 are kept."""
    @functools.lru_cache(maxsize=256)
    def built(model, query_terms, *args, **kwargs):
        return function(model, query_terms, *args, **kwargs)

    @functools.wraps(function)
    def criterion(model, query_terms, *args, **kwargs):
        return built(model, tuple(tuple(group) for group in groups_of(query_terms)), *args, **kwargs)

    criterion.cache_clear = built.cache_clear
    return criterion


# PostgreSQL's GIN indexes of the search, written through at once (`fastupdate` off, migration a2c4e6f8b0d1): with a
# pending list, every scan of an index reads the whole list, and a search scans the trigram index up to a dozen times.
SEARCH_GIN_INDEXES = ("ix_firms_search_trgm", "ix_firms_search_bigrams", "ix_firms_words_gin",
                      "ix_collab_requests_search_trgm", "ix_collab_requests_search_bigrams",
                      "ix_collab_requests_words_gin")

_SETTINGS = ("enable_seqscan", "max_parallel_workers_per_gather", "random_page_cost", "enable_hashagg",
             "plan_cache_mode")


@contextmanager
def index_first_then(session):
    """Around a search's queries on PostgreSQL: take the matches from the trigram indexes, never by reading
    the whole table in the hope of meeting enough matches early. For a common word the planner prefers the
    latter (it cannot know how slow LIKE is on Thai text): 83 ms against 12 ms for the first 2,000 firms
    with ปลากัด at 100,000 firms, and a different 2,000 each time (synchronised, parallel scans), which would
    make pages of a ranked search disagree. A page read costs what the search's indexes cost in memory
    (random_page_cost 1.1, not the spinning disk's 4): otherwise the planner hashes every posting of a
    common word (search.sql.whole_words) rather than read the first ones in order until the window is full.
    No hashed DISTINCT: whole_words merges a term's postings in id order and drops repeats as they come
    (Unique); the planner, which cannot know how many ids repeat, would hash them all and sort the rest
    (every posting of a common word read, at 100,000 or 1,000,000 records alike). And a plan for the words
    typed: psycopg prepares a statement run five times on a connection, and PostgreSQL may then keep one
    generic plan for any words, whose guesses suit none (the board's ความร่วมมือ 1 at 1,000,000 requests: 3.2 s
    in a generic plan that reads every trigram match, 0.2 ms planned for the words).
    The settings are local to the transaction, and put back as they were as soon as the search's queries are
    done. It yields the columns that put them back ([] off PostgreSQL), for the caller's next statement on
    PostgreSQL (a statement is planned before it runs, so they apply from the statement after it), or to run on
    their own: a page puts them in its rows' query and saves a round trip (search.rank.ranked_page,
    index_first_load)."""
    if session.get_bind().dialect.name != "postgresql":
        yield []
        return
    before = session.execute(text(
        "SELECT current_setting('enable_seqscan'), current_setting('max_parallel_workers_per_gather'), "
        "current_setting('random_page_cost'), current_setting('enable_hashagg'), current_setting('plan_cache_mode'), "
        "set_config('enable_seqscan', 'off', true), set_config('max_parallel_workers_per_gather', '0', true), "
        "set_config('random_page_cost', '1.1', true), set_config('enable_hashagg', 'off', true), "
        "set_config('plan_cache_mode', 'force_custom_plan', true)")).one()
    # on an error the transaction is rolled back, and the settings with it
    yield [func.set_config(literal(name), literal(value), literal(True)).label(f"restore_{n}")
           for n, (name, value) in enumerate(zip(_SETTINGS, before[:len(_SETTINGS)], strict=True))]


@contextmanager
def index_first_load(session, rows_query, id_column):
    """index_first_then for a page read by portal.listing.capped_page with `load`: yields that load (the
    page's rows by id), whose query also puts the settings back (a statement fewer, as in
    search.rank.ranked_page: the rows are read by id, which no setting changes). When no rows were loaded (an
    empty page), the settings go back on their own."""
    loaded = []
    with index_first_then(session) as restore:
        def load(ids):
            loaded.append(True)
            return session.scalars(rows_query.add_columns(*restore).where(among(id_column, ids)))

        yield load
        if restore and not loaded:
            session.execute(select(*restore))


def _driven_by_fts(model, fts_table: str, phrase: str):
    """SQLite criterion that puts the FTS5 table in the query's FROM, joined on rowid: the planner then reads
    the matches lazily, in rowid order, and a LIMIT stops it. As `id IN (SELECT rowid ...)` it first
    collects every match (28 ms against 1 ms for the first 1,500 firms with ปลากัด among 1,000,000)."""
    fts = table(fts_table, column("rowid"))
    # The table's name comes from code: identifiers cannot be bound parameters; the words typed are bound.
    return and_(model.id == fts.c.rowid,
                text("{fts} MATCH :fts_driving".format(fts=fts_table)).bindparams(
                    bindparam("fts_driving", phrase, unique=True)))  # unique: a statement may hold two (a count)


@kept_per_query
def matches(model, query_terms, dialect: str, fts_table: str, ordered: bool = False, driving: bool | None = None,
            sampled: bool = True):
    """SQL criterion: the model's search_text contains at least one term (any alternative of a group).
    Records with every term come first by search.rank.relevance, the others after them. sampled=False: PostgreSQL
    plans it without testing its patterns against the column's statistics (_like).

    ordered=True is for a page sorted by name or date: on SQLite "id + 0" then makes the planner walk
    the ORDER BY index and probe the search result, rather than sort every match (measured faster for
    common and rare words alike). Counting, and ranking, are faster the other way round, driven by the
    result.

    driving (by default: not ordered) lets SQLite read the matches from the FTS table, joined, when one
    FTS query finds them all (no 1- or 2-character term); a query can hold one such criterion only.
    """
    strings = needed(s for group in groups_of(query_terms) for s in group if s)
    if not strings:
        return None
    driving = not ordered if driving is None else driving
    column = model.search_text
    probe = model.id + 0 if ordered else model.id
    criteria = []
    if dialect == "sqlite":
        long_strings = [s for s in strings if len(s) >= 3]
        if long_strings:
            phrase = " OR ".join(_fts_phrase(s) for s in long_strings)
            if driving and len(long_strings) == len(strings):
                return _driven_by_fts(model, fts_table, phrase)
            # Formatted SQL here and below: the FTS table's name comes from code and identifiers cannot
            # be bound parameters; the words typed are bound.
            sql = "SELECT rowid FROM {fts} WHERE {fts} MATCH :fts".format(fts=fts_table)  # nosec B608
            # unique: a query may hold this criterion once per term (matches_all), each with its words
            criteria.append(probe.in_(text(sql).bindparams(bindparam("fts", phrase, unique=True))))
        for n, term in enumerate(s for s in strings if len(s) == 2):
            # Every indexed trigram that starts with the term, as one OR query (the quoted term itself
            # if there is none: it then matches nothing, correctly).
            sql = ("SELECT rowid FROM {fts} WHERE {fts} MATCH ("  # nosec B608
                   "SELECT coalesce(group_concat('\"' || replace(term, '\"', '\"\"') || '\"', ' OR '), :q{n}) "
                   "FROM {fts}_vocab WHERE term >= :low{n} AND term < :high{n})").format(fts=fts_table, n=n)
            criteria.append(probe.in_(text(sql).bindparams(
                bindparam(f"q{n}", _fts_phrase(term), unique=True), bindparam(f"low{n}", term, unique=True),
                bindparam(f"high{n}", term + "\U0010ffff", unique=True))))
        criteria += [func.instr(column, literal(s)) > 0 for s in strings if len(s) == 1]
        return or_(*criteria)
    for n, term in enumerate(strings):
        if len(term) == 2:
            criteria.append(text(f"{model.__tablename__}.search_bigrams @> ARRAY[CAST(:bigram{n} AS text)]")
                            .bindparams(bindparam(f"bigram{n}", term, unique=True)))
        else:
            criteria.append(_like(column, term, sampled=sampled))
    return or_(*criteria)


# At most this many combinations of two terms' forms are asked of PostgreSQL's trigram index (matches_all)
MAX_COMBINATIONS = 16


def matches_all(model, query_terms, dialect: str, fts_table: str, sampled: bool = True):
    """SQL criterion: the record contains every term (any alternative of each group). sampled=False: PostgreSQL
    plans it without testing its patterns against the column's statistics (_like). On SQLite, when every
    string has 3+ characters, one FTS5 query ANDs the groups, which it reads lazily in rowid order: a
    LIMIT stops it early, where one IN per group would first collect every match of each.

    On PostgreSQL, the two terms whose forms are rarest (all of 3+ characters; _driving_pair) are asked of the
    trigram index as combinations, one form of each together: (ฮาลาล and export) or (ฮาลาล and ส่งออก) or (halal
    and export) or (halal and ส่งออก), each combination one scan that intersects the two inside the index; the
    other terms are tested on the records found (strpos, which no index serves). Asked term by term, the index
    builds the bitmap of every record with each form of each term, then intersects them (every record with export
    or ส่งออก: 23,700 at 100,000 firms, 156,000 at 1,000,000): ฮาลาล export 143–576 → 34 ms at 1,000,000 firms,
    11.5–12.1 → 5.7–6.9 at 100,000. Left to itself with three terms, the planner drove by whichever term it
    thought rarest, and it thinks rare every word absent from the 100 texts of its statistics (1 in 10,000 rows):
    organic premium betta at 1,000,000 firms read the 33,228 firms with premium from the table to find none with
    the other two, 212–290 ms, where the same firms built at 100,000 had premium in the sample (2.6 ms). Each
    combination's patterns end with as many extra "%" as its place (the same match): equal patterns in every
    combination would be factored out by the planner, which could then again drive by that term alone. The
    terms' frequencies are those of their words in the GIN index of words' statistics (_statistics): a lower
    bound of how often the letters occur, good enough to pick two. The same records whichever pair."""
    driving = _driving_pair(model, query_terms) if dialect == "postgresql" else None
    narrowed = ()
    if driving is not None:
        frequency = _trigram_frequency(model.__tablename__)
        narrowed = tuple((s, _narrowest(s, frequency)) for n in driving for s in needed(groups_of(query_terms)[n]))
    return _matches_all(model, query_terms, dialect, fts_table, driving, sampled, narrowed)



def _driving_pair(model, query_terms) -> tuple[int, int] | None:
    """The places of the two terms matches_all asks the trigram index together on PostgreSQL: of the terms whose
    forms all have 3+ characters (a shorter one is not in the trigram index), the two whose forms' words are least
    frequent (a form's frequency is its rarest word's; a term's, its forms' added up; a word outside the
    statistics' most common counts 0), in the order typed on a tie. None when fewer than two such terms, more
    than MAX_COMBINATIONS combinations, or every term of one form: the planner then asks them all in one scan of
    the index (one pattern each, no OR among them; 17 ms for organic premium betta at 1,000,000 firms)."""
    groups = [needed(group) for group in groups_of(query_terms)]
    eligible = [n for n, group in enumerate(groups) if group and all(len(s) >= 3 for s in group)]
    if len(eligible) < 2 or all(len(group) <= 1 for group in groups):
        return None
    _rows, frequency = _statistics(model.__tablename__)

    def rarity(n):
        return sum(min((frequency.get(word, 0.0) for word in (word_text(s) or " ").split()), default=0.0)
                   for s in groups[n])

    first, second = sorted(sorted(eligible, key=rarity)[:2])
    if len(groups[first]) * len(groups[second]) > MAX_COMBINATIONS:
        return None
    return first, second


@kept_per_query
def _matches_all(model, query_terms, dialect: str, fts_table: str, driving: tuple[int, int] | None,
                 sampled: bool = True, narrowed: tuple = ()):
    """matches_all's criterion, built once per query, pair and choice of parts (`narrowed`: (form, its part or
    None) for the driving pair's forms, _narrowest).

    A form with a part is asked of the trigram index by that part alone, and the forms themselves are tested once
    on the records found (strpos). The GIN scan reads the posting list of every trigram it is given, and the common
    ones are the longest and narrow the least: organic premium betta's statement 27.3 -> 20.8 ms at 1,000,000 firms
    (its two scans 7.4 and 8.0 -> 3.3 and 3.1 ms, for 2,255 records to test instead of 1,659), 6.9 -> 6.0 ms at
    100,000."""
    groups = [needed(group) for group in groups_of(query_terms)]
    if dialect == "sqlite" and all(len(s) >= 3 for group in groups for s in group):
        parts = {s: _middle_part(s) for group in groups for s in group}
        phrase = " AND ".join("(" + " OR ".join(_fts_phrase(p) for p in needed(parts[s] or s for s in group)) + ")"
                              for group in groups)
        criterion = _driven_by_fts(model, fts_table, phrase)
        if not any(parts.values()):
            return criterion
        # the terms themselves, on the records the parts found
        return and_(criterion, *(or_(*(func.instr(model.search_text, literal(s)) > 0 for s in group))
                                 for group in groups))
    if driving is not None:
        column = model.search_text
        pairs = list(itertools.product(groups[driving[0]], groups[driving[1]]))
        others = [or_(*(func.strpos(column, literal(s)) > 0 for s in group))
                  for n, group in enumerate(groups) if n not in driving and group]
        trigrams = dict(narrowed)
        combinations = [and_(_like(column, trigrams.get(a) or a, extra=k, sampled=sampled),
                             _like(column, trigrams.get(b) or b, extra=k, sampled=sampled))
                        for k, (a, b) in enumerate(pairs)]
        if any(trigrams.values()):
            # the terms themselves, tested once on the records the index found (apart from the index's conditions,
            # which PostgreSQL tests again on each record it reads: inside them, the trigrams were tested twice)
            others.append(or_(*(and_(func.strpos(column, literal(a)) > 0, func.strpos(column, literal(b)) > 0)
                                for a, b in pairs)))
        return and_(or_(*combinations), *others)
    return and_(*(matches(model, [group], dialect, fts_table, driving=False, sampled=sampled) for group in groups))


def contains_terms(model, query_terms, dialect: str, every_term: bool = False):
    """SQL criterion testing each record's search_text itself, with no index: it contains one term (any
    alternative of a group), or every term with every_term. The same records as matches / matches_all,
    at a cost bounded by the rows the query's other criteria leave, whatever the search words: for a list
    those criteria keep short through their own index (the request board's open requests), where the
    search index would hand over every record ever written with a common word (collab.queries)."""
    position = func.instr if dialect == "sqlite" else func.strpos
    tests = [or_(*(position(model.search_text, literal(s)) > 0 for s in needed(group)))
             for group in groups_of(query_terms) if any(group)]
    if not tests:
        return None
    return and_(*tests) if every_term else or_(*tests)


def uses_postings(session) -> bool:
    """Whether whole words are looked up in postings tables (PostgreSQL), which also count a search sorted by date
    and find the window of records with any term whole. SQLite reads its whole words from an FTS5 table of words
    (whole_words), for the window of records with every term whole only."""
    return session.get_bind().dialect.name == "postgresql"


def whole_words(model, query_terms, postings: str, key: str, every: bool = True, dialect: str = "postgresql",
                merge_when_common: bool = True):
    """Criterion: the record has every term (any alternative of each group) as whole words, read
    from the postings table (one row per word of a record, primary key (word, record id); see migration
    5d8e2b7c1a94), in record id order, stopped by the page's window (a LIMIT): unlike the trigram index, which
    hands over the bitmap of every match first, one term costs the same at 100,000 or 1,000,000 records.

    One term: its postings are read in record id order (one index range per word of its forms, merged, a record
    with two of them counted once), behind OFFSET 0 so that the planner keeps that order of work (postings first,
    records after), and the window's LIMIT stops them. Several terms: the GIN index of each record's words as an
    array intersects the terms' lists before any record is read (_every_group_whole), or, when PostgreSQL's
    statistics say many records have them all (_common_together), the terms' postings are intersected by a merge
    join in record order, which then stops early. The merge join read every posting of every term to the end when
    few records have them all, and driving by the first term read a record for each of its postings (ปลากัด export
    at 1,000,000 firms: 7,136 firms, 77,000 buffers, 45 ms). A term of several words (ฟาร์มปลากัด, "fighting
    fish") is looked up by its first word, then checked whole in the record's words. None when a term has no word
    at all (punctuation only).

    every=False: the records with any term whole (search.rank's window, for a query of several terms, before
    the trigram index's records with any term somewhere): every group's postings merged into one list in
    record id order. None when no term has a word.

    On SQLite (dialect="sqlite") the same records come from the model's FTS5 table of words (words_fts_table,
    migration d8f0a2c4e6b9), joined and read in rowid order, lazily, so that the window's LIMIT stops it: each
    term's forms as phrases of whole words, ANDed (every) or ORed. `postings` and `key` are PostgreSQL's.

    merge_when_common=False: several terms always from the GIN index, for a list whose other criteria leave few of
    the records (the board's open requests): the merge join reads them in record order, every request ever posted
    with the words, where the planner can take the open ones from their own index and test their words (ขอความร่วมมือ
    คำ, two words every request has, at 2,000,000 requests: 200 ms by the merge join, 25–32 ms)."""
    merge = False
    if dialect == "postgresql" and every and merge_when_common:
        forms = _forms(query_terms)
        merge = len(forms) > 1 and all(forms) and _common_together(model, forms)
    return _whole_words(model, query_terms, postings, key, every, dialect, merge)


def _first_words(forms: list[list[str]]) -> list[str]:
    """The first word of each form of the groups (" ฟาร์ม ปลากัด " -> ฟาร์ม), without repeats: what the postings and
    the GIN index are asked for; a form of several words is then checked whole (_stands_whole)."""
    return list(dict.fromkeys(form.split()[0] for group in forms for form in group))


def _forms(query_terms) -> list[list[str]]:
    """Each term's forms as whole words (" ฟาร์ม ปลากัด "), without repeats."""
    return [needed(f for f in (word_text(s) for s in group if s) if f) for group in groups_of(query_terms)]


@kept_per_query
def _whole_words(model, query_terms, postings: str, key: str, every: bool, dialect: str, merge: bool):
    """whole_words' criterion, built once per query and way (`merge`: several terms by the postings' merge join)."""
    forms = _forms(query_terms)
    if dialect == "sqlite":
        return _whole_words_fts(model, forms, every)
    if not every:
        return _any_whole(model, tuple(tuple(group) for group in forms), postings, key)[0]
    if not forms or not all(forms):
        return None
    if len(forms) > 1 and not merge:
        return _every_group_whole(model, forms)
    words = table(postings, column("word"), column(key))
    lists, exact = [], []
    for n, group in enumerate(forms):
        first_words = _first_words([group])
        # ORDER BY in each arm: the planner then merges the arms in id order (no sort, so no reading to the end)
        lists.append(_posting_list(words, key, first_words, f"whole{n}").subquery(f"{postings}_{n}"))
        if any(len(form.split()) > 1 for form in group):  # then exactly: one of its forms whole
            exact.append(_stands_whole(model, group))
    first = lists[0].c[key]
    ids = (select(first).distinct().where(*(other.c[key] == first for other in lists[1:]))
           .order_by(first).offset(literal_column("0")).subquery(f"{postings}_ids"))
    return and_(model.id == ids.c[key], *exact)


# Several terms whole are read by the postings' merge join, in record order, when the statistics say that at least
# this many records have them all: the join then stops after the first part of each list, where the GIN index reads
# every posting of every term (ปลากัด export at 1,000,000 firms, 22,989 firms with both: 14.4 ms in the GIN index).
MERGE_OVER = 10_000
STATISTICS_SECONDS = 600  # how long a process keeps a table's word frequencies (_statistics)


def _common_together(model, forms: list[list[str]]) -> bool:
    """Whether the records having every term whole are estimated at MERGE_OVER or more: the table's size times each
    term's frequency (its forms' first words', added up, at most 1), from PostgreSQL's statistics of the GIN index's
    words (pg_stats' most common elements; a word not among them counts 0). With fewer, the merge join reads most of
    every list (organic premium betta, none together, 7.2 ms at 100,000 firms, against 0.5 from the GIN index); with
    more, it stops early. The same records either way; with more matches than the window, which ones make the window
    is the way's (record order, or the table's)."""
    rows, frequency = _statistics(model.__tablename__)
    estimate = rows
    for group in forms:
        estimate *= min(1.0, sum(frequency.get(word, 0.0) for word in _first_words([group])))
    return estimate >= MERGE_OVER


_statistics_kept: dict[str, tuple[float, float, dict, dict | None]] = {}


def _statistics(table_name: str) -> tuple[float, dict]:
    """(rows, {word: fraction of the rows whose words have it}) of the table, as PostgreSQL's statistics hold
    them (pg_class.reltuples; pg_stats of its GIN index of words), kept per process for STATISTICS_SECONDS: they
    change when the table is analysed, and only guide the choice of a way (_common_together). None recorded yet
    (a new or small table): 0 rows. The same read keeps the trigrams' statistics (_trigram_frequency)."""
    kept = _statistics_kept.get(table_name)
    now = time.monotonic()
    if kept is not None and now - kept[0] < STATISTICS_SECONDS:
        return kept[1], kept[2]
    row = db.session.execute(text(
        "SELECT greatest(c.reltuples, 0), s.most_common_elems::text::text[], s.most_common_elem_freqs, "
        "t.most_common_elems::text::text[], t.most_common_elem_freqs "
        "FROM pg_class c LEFT JOIN pg_stats s ON s.schemaname = current_schema() AND s.tablename = :index "
        "LEFT JOIN pg_stats_ext_exprs t "
        "ON t.statistics_schemaname = current_schema() AND t.statistics_name = :trigrams "
        "WHERE c.oid = to_regclass(:table)"),
        {"index": words_gin_index(table_name), "table": table_name,
         "trigrams": trigram_statistics(table_name)}).first()
    rows, words, frequencies = (row[0] or 0.0, row[1] or [], row[2] or []) if row else (0.0, [], [])
    frequency = dict(zip(words, frequencies, strict=False))  # the frequencies end with three more figures
    # the trigrams' (None when the table has not been analysed since the statistics were made, or a role that does
    # not own the table may not read them: the trigram index is then asked for every trigram, as before)
    trigrams = dict(zip(row[3], row[4], strict=False)) if row and row[3] and row[4] else None
    _statistics_kept[table_name] = (now, float(rows), frequency, trigrams)
    return float(rows), frequency


def statistics_read_at(table_name: str) -> float:
    """When this process read the table's statistics it keeps (_statistics, read again first if they are older than
    STATISTICS_SECONDS): they choose the way of a search of several terms, so a statement kept for a search's shape
    (search.rank.search_shape) is kept with them."""
    _statistics(table_name)
    return _statistics_kept[table_name][0]


def ways_chosen_by() -> tuple:
    """The settings by which the criteria above choose their way (tests change them): part of what a statement kept
    for a search's shape depends on (search.rank.search_shape)."""
    return MERGE_OVER, MAX_COMBINATIONS, NARROW_TO, SQLITE_PART


def trigram_statistics(table_name: str) -> str:
    """The name of the statistics of `table_name`'s `show_trgm(search_text)` (migration b3d5f7a9c1e4)."""
    return f"st_{table_name}_search_trigrams"


def _trigram_frequency(table_name: str) -> dict | None:
    """{trigram as show_trgm writes it: fraction of the rows whose search text has it} for the table's most common
    trigrams (about a thousand), from ANALYZE's sample (pg_stats_ext_exprs; kept with _statistics); None when there
    are none to read."""
    _statistics(table_name)
    return _statistics_kept[table_name][3]


# Which characters pg_trgm takes into a trigram in the databases this runs on (UTF-8, C.UTF-8 or a Thai locale): ASCII
# letters and digits, and Thai letters, vowels and digits; not Thai tone marks and signs (U+0E47-U+0E4C, U+0E4E), which
# end a word for it as a space does (tests/test_search_postings.py asks PostgreSQL). Other letters are left out here:
# a term's trigrams are only chosen among these, and a term without three of them in a row is asked whole.
_TRIGRAM_RANGES = ((0x0E01, 0x0E3A), (0x0E40, 0x0E46), (0x0E4D, 0x0E4D), (0x0E50, 0x0E59))


def _in_trigrams(ch: str) -> bool:
    if ch.isascii():
        return ch.isalnum()
    code = ord(ch)
    return any(low <= code <= high for low, high in _TRIGRAM_RANGES)


def _crc_table() -> tuple[int, ...]:
    table = []
    for n in range(256):
        crc = n
        for _ in range(8):
            crc = (crc >> 1) ^ 0xEDB88320 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_CRC_TABLE = _crc_table()


def _trigram_key(trigram: str) -> str:
    """The trigram as show_trgm writes it: three one-byte characters as they are; with a longer character, the
    three low bytes of PostgreSQL's legacy CRC-32 of its UTF-8 bytes (pg_trgm's compact_trigram), in hex."""
    data = trigram.encode()
    if len(data) == 3:
        return trigram
    crc = 0xFFFFFFFF
    for byte in data:  # PostgreSQL's COMP_LEGACY_CRC32: the reflected table, shifted the other way
        crc = _CRC_TABLE[((crc >> 24) ^ byte) & 0xFF] ^ ((crc << 8) & 0xFFFFFFFF)
    crc ^= 0xFFFFFFFF
    return "0x" + crc.to_bytes(4, "little")[:3].hex()


NARROW_TO = 2  # a term is asked of the trigram index by this many of its trigrams, its rarest side by side


def _narrowest(term: str, frequency: dict | None) -> str | None:
    """The part of the term the trigram index is asked for: the NARROW_TO trigrams side by side (NARROW_TO + 2
    characters that pg_trgm indexes) that are rarest together by the table's statistics (their frequencies added
    up; a trigram not among the most common counts 0), the first on a tie. None when the term has no more trigrams
    than that, or there are no statistics: it is then asked whole. Any text that contains the term contains the
    part, so asking the index for the part loses no record; the term itself is then tested on the records found."""
    if not frequency:
        return None
    size = NARROW_TO + 2
    indexed = [all(_in_trigrams(ch) for ch in term[i:i + 3]) for i in range(len(term) - 2)]
    if sum(indexed) <= NARROW_TO:
        return None
    windows = [(sum(frequency.get(_trigram_key(term[j:j + 3]), 0.0) for j in range(i, i + NARROW_TO)), i)
               for i in range(len(term) - size + 1) if all(indexed[i:i + NARROW_TO])]
    if not windows:
        return None
    _frequency, at = min(windows)
    return term[at:at + size]


def words_array(model):
    """The record's words as one array (PostgreSQL): the expression of the GIN index `words_gin_index(table)`
    (migration f3b5d7e9a1c4), written the same way so that the planner matches it."""
    return func.string_to_array(getattr(model, WORD_COLUMNS[0]) + getattr(model, WORD_COLUMNS[1])
                                + getattr(model, WORD_COLUMNS[2]), literal_column("' '"), type_=ARRAY(Text))


def words_gin_index(table_name: str) -> str:
    """The name of `table_name`'s GIN index of words_array (PostgreSQL)."""
    return f"ix_{table_name}_words_gin"


def _every_group_whole(model, forms: list[list[str]]):
    """whole_words on PostgreSQL for several terms: each term's first words overlap the record's words array,
    asked of its GIN index in one scan, which intersects the terms' lists inside the index, compressed, before
    any record is read. The postings' merge join read every posting of every term to the end when few records
    have them all: organic premium betta, none together, 15,525 + 9,807 + 3,342 postings, 7.2 ms at 100,000 firms;
    0.8 ms from the GIN index (2.4 ms at 1,000,000, measured on ten copies of the bench's firms). A term's
    postings read in order still serve one term (stopped by the window) and any term (the count). A form of
    several words is then checked whole in the record's words, as there."""
    array = words_array(model)
    criteria, exact = [], []
    for n, group in enumerate(forms):
        criteria.append(array.op("&&")(bindparam(f"words_gin{n}", _first_words([group]), type_=ARRAY(Text))))
        if any(len(form.split()) > 1 for form in group):
            exact.append(_stands_whole(model, group))
    return and_(*criteria, *exact)


def _whole_words_fts(model, forms: list[list[str]], every: bool):
    """whole_words on SQLite: one FTS5 query of the words table, driving the query (search.sql._driven_by_fts).
    A form of several words (" ฟาร์ม ปลากัด ") is a phrase: its words side by side in one column, as PostgreSQL's
    _stands_whole finds it in one words column."""
    if every and (not forms or not all(forms)):
        return None
    groups = ["(" + " OR ".join(_fts_phrase(form.strip()) for form in group) + ")" for group in forms if group]
    if not groups:
        return None
    return _driven_by_fts(model, words_fts_table(model.__tablename__), (" AND " if every else " OR ").join(groups))


def _posting_list(words, key: str, first_words: list[str], name: str):
    """The record ids with any of the words in the postings, merged in id order (a record with two of them
    twice): each word's range is read in order and the planner merges the ranges, with no sort."""
    arms = [select(words.c[key]).where(words.c.word == bindparam(f"{name}_{m}", word, type_=Text))
            .order_by(words.c[key]) for m, word in enumerate(first_words)]
    return arms[0] if len(arms) == 1 else union_all(*arms)


def _stands_whole(model, forms):
    """SQL criterion: one of the word forms (" word ", " two words ") stands whole in the record's words."""
    return or_(*(func.strpos(words_column, literal(form)) > 0 for form in forms
                 for words_column in (model.words_name, model.words_products, model.words_body)))


def any_whole_flags(model, query_terms, postings: str, key: str) -> tuple:
    """For whole_words(every=False)'s records on PostgreSQL, one column per term (group), in the groups' order: for a
    term whose forms are each one word, whether the record has one of them whole, read with its postings (the
    postings hold a record's words, so this is " form " in its words columns); None for a term with a form of several
    words or with none. search.rank.relevance scores those records with them (`whole_flags`): a term known whole
    is certainly found, and its place is the name, the products or else the description, without a scan of the
    record's text; a term known not whole is found, if at all, only inside a longer word (organic premium betta's
    1,500 firms, that part 6.0 -> 5.0 ms at 100,000 firms). The columns belong to the criterion's own
    subquery: the same for the same terms, as whole_words' criterion is (kept per query)."""
    forms = _forms(query_terms)
    return _any_whole(model, tuple(tuple(group) for group in forms), postings, key)[1]


def _one_word_each(group) -> bool:
    """Whether each of a term's forms (" word ", " two words ") is one word."""
    return bool(group) and all(len(form.split()) == 1 for form in group)


@functools.lru_cache(maxsize=256)
def _any_whole(model, forms: tuple[tuple[str, ...], ...], postings: str, key: str):
    """(criterion, flags) of whole_words(every=False) for the terms' forms (_forms), built once per query: the
    records with any form whole, their ids from every term's postings merged in record id order and grouped (each
    arm names its term: a record whose words hold several forms comes once, with a flag per term of one-word
    forms, any_whole_flags)."""
    if not any(forms):
        return None, tuple(None for _group in forms)
    words = table(postings, column("word"), column(key))
    several = any(not _one_word_each(group) for group in forms if group)
    # With a form of several words, each arm also says whether its word is a form itself (" betta "), so that a
    # record it finds has that form whole, or only the first word of longer ones (" fighting " of
    # " fighting fish "), which is then checked whole in the record's words (below).
    arms = [select(words.c[key], literal(n).label("term"),
                   *([(true() if f" {word} " in group else false()).label("a_form")] if several else []))
            .where(words.c.word == bindparam(f"any_whole_{n}_{m}", word, type_=Text)).order_by(words.c[key])
            for n, group in enumerate(forms) for m, word in enumerate(_first_words([list(group)]))]
    merged = (arms[0] if len(arms) == 1 else union_all(*arms)).subquery(f"{postings}_any")
    flagged = [n for n, group in enumerate(forms) if _one_word_each(group)]
    # GROUP BY, not DISTINCT, for the flags: the planner aggregates the merged ranges in id order as they come
    # (hashing is off, search.sql.index_first_then), so the window's LIMIT still stops the reading
    ids = (select(merged.c[key], *(func.bool_or(merged.c.term == n).label(f"whole_{n}") for n in flagged),
                  *([func.bool_or(merged.c.a_form).label("a_form")] if several else []))
           .group_by(merged.c[key]).order_by(merged.c[key]).offset(literal_column("0"))
           .subquery(f"{postings}_any_ids"))
    exact = []
    if several:
        # a record found only by the first word of a form of several words may not have the form whole: then one
        # of the forms (any term's) is looked for whole in its words. One found by a word that is a form has it
        # whole, and its words are not scanned: with the glossary's "fighting fish" for betta, every record of
        # ปลากัด export's window scanned its three words columns for five forms (1,074 firms at 17,555).
        exact.append(or_(ids.c.a_form, _stands_whole(model, [form for group in forms for form in group])))
    flags = tuple(ids.c[f"whole_{n}"] if n in flagged else None for n in range(len(forms)))
    return and_(model.id == ids.c[key], *exact), flags


def sqlite_fts_triggers(table: str) -> list[str]:
    """SQL keeping `<table>_fts` in step with `table` (SQLite). Migrations run it again after any batch
    operation that rebuilds the table, since rebuilding drops triggers."""
    names = {"table": table, "fts": f"{table}_fts"}  # from the migrations' code: DDL cannot bind names
    return [
        ("CREATE TRIGGER IF NOT EXISTS {fts}_ai AFTER INSERT ON {table} BEGIN "  # nosec B608
         "INSERT INTO {fts}(rowid, search_text) VALUES (new.id, new.search_text); END").format(**names),
        ("CREATE TRIGGER IF NOT EXISTS {fts}_ad AFTER DELETE ON {table} BEGIN "  # nosec B608
         "INSERT INTO {fts}({fts}, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
         "END").format(**names),
        ("CREATE TRIGGER IF NOT EXISTS {fts}_au AFTER UPDATE OF search_text ON {table} BEGIN "  # nosec B608
         "INSERT INTO {fts}({fts}, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
         "INSERT INTO {fts}(rowid, search_text) VALUES (new.id, new.search_text); END").format(**names),
    ]


# SQLite's index of whole words: the words columns (already cut into words when a record is saved, a space
# between) as FTS5 tokens. The ascii tokenizer splits on ASCII spaces and punctuation only and keeps every
# other character in its token: unicode61 cut Thai words at their vowel and tone marks (ปลากัด → ปลาก, ด).
# A word's characters are letters, digits, Thai marks and "_" (search.text._TOKEN), so a token is a word.
WORDS_TOKENIZER = "ascii tokenchars '_'"


def words_fts_table(table: str) -> str:
    """The name of the FTS5 table of whole words of the table named `table` (SQLite)."""
    return f"{table}_words_fts"


def sqlite_words_triggers(table: str) -> list[str]:
    """SQL keeping `<table>_words_fts` in step with the words columns of `table` (SQLite), as sqlite_fts_triggers
    keeps `<table>_fts`; migrations run it again after any batch operation that rebuilds the table."""
    names = {"table": table, "fts": words_fts_table(table), "columns": ", ".join(WORD_COLUMNS),
             "new": ", ".join(f"new.{name}" for name in WORD_COLUMNS),
             "old": ", ".join(f"old.{name}" for name in WORD_COLUMNS)}
    return [
        ("CREATE TRIGGER IF NOT EXISTS {fts}_ai AFTER INSERT ON {table} BEGIN "  # nosec B608
         "INSERT INTO {fts}(rowid, {columns}) VALUES (new.id, {new}); END").format(**names),
        ("CREATE TRIGGER IF NOT EXISTS {fts}_ad AFTER DELETE ON {table} BEGIN "  # nosec B608
         "INSERT INTO {fts}({fts}, rowid, {columns}) VALUES ('delete', old.id, {old}); END").format(**names),
        ("CREATE TRIGGER IF NOT EXISTS {fts}_au AFTER UPDATE OF {columns} ON {table} BEGIN "  # nosec B608
         "INSERT INTO {fts}({fts}, rowid, {columns}) VALUES ('delete', old.id, {old}); "
         "INSERT INTO {fts}(rowid, {columns}) VALUES (new.id, {new}); END").format(**names),
    ]
