"""Did you mean: whole corrected queries for a search that found nothing.

Each term of the query that is not a word of the vocabulary (portal.search.vocabulary) is replaced by the
known words closest to it: at most 1 edit away for terms of up to 4 characters, 2 for longer ones, where an
edit is a letter inserted, deleted, replaced, or two neighbours swapped (optimal string alignment, the
usual Damerau-Levenshtein for typing slips: ปลากดั → ปลากัด, bettta → betta, a wrong tone mark).

Finding them without reading the whole vocabulary: a word within 1 edit of a term of 2+ letters starts
with the term's first letter or ends with its last (one edit cannot change both ends, except swapping the
two letters of a 2-letter term, asked for as such); so the candidates are read as index ranges of
(length, word) and (length, word backwards), one length at a time within the distance. For longer terms the
same holds of the first or the last two letters unless both ends were mistyped. No trigram index is
needed, so 2- and 3-letter Thai words (ยา, รถ, ผ้า) are corrected like long ones, alike on both databases.

Only the queries that the caller's `exists` confirms are offered: it runs the real search with the
viewer's visibility and filters, so words known only from hidden or members-only records are never shown
to someone who could not find them.
"""
from itertools import islice, product

from sqlalchemy import and_, or_, select

from portal.extensions import db
from portal.search.vocabulary import MAX_LENGTH, MIN_LENGTH, SearchWord

CANDIDATE_ROWS = 300  # vocabulary rows read per unknown term, at most
PER_TERM = 3  # closest words kept per unknown term
MAX_UNKNOWN = 3  # terms corrected per query (the others are kept as typed)
MAX_CHECKS = 6  # corrected queries tried against the search, at most
_TOP = "\U0010ffff"


def max_distance(term: str) -> int:
    return 1 if len(term) <= 4 else 2


def distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance between a and b, or limit + 1 as soon as it must exceed limit."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before, previous = None, list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                value = min(value, before[j - 2] + 1)
            current[j] = value
        if min(current) > limit:
            return limit + 1
        before, previous = previous, current
    return min(previous[-1], limit + 1)


def _near(term: str):
    """SQL criterion: the vocabulary words that may be within max_distance(term) of the term (see above)."""
    k = max_distance(term)
    ends = 1 if len(term) <= 4 else 2
    head, tail = term[:ends], term[::-1][:ends]
    ranges = []
    for length in range(max(MIN_LENGTH, len(term) - k), min(MAX_LENGTH, len(term) + k) + 1):
        ranges.append(and_(SearchWord.length == length, SearchWord.word >= head, SearchWord.word < head + _TOP))
        ranges.append(and_(SearchWord.length == length, SearchWord.backward >= tail,
                           SearchWord.backward < tail + _TOP))
    if len(term) == 2:
        ranges.append(SearchWord.word == term[::-1])
    return or_(*ranges)


def candidates(term: str, limit: int = PER_TERM) -> list[str]:
    """The known words closest to the term, closest first, then the most used: one query."""
    k = max_distance(term)
    rows = db.session.execute(select(SearchWord.word, SearchWord.records).where(_near(term))
                              .limit(CANDIDATE_ROWS)).all()
    scored = []
    for word, records in rows:
        d = distance(term, word, k)
        if 0 < d <= k:
            scored.append((d, -records, word))
    return [word for _d, _r, word in sorted(scored)[:limit]]


def known_words(terms: list[str]) -> set[str]:
    return set(db.session.scalars(select(SearchWord.word).where(SearchWord.word.in_(terms)))) if terms else set()


def suggestions(terms: list[str], exists, limit: int = 3) -> list[str]:
    """Corrected queries (each a string of space-separated terms) for a query whose `terms` (normalised,
    as portal.search.terms gives them) found nothing, best first; only those for which `exists(terms)`
    is true, that is those that find something the viewer may see. At most 2 + MAX_UNKNOWN vocabulary
    queries and MAX_CHECKS calls of `exists`."""
    terms = [t for t in terms if t]
    known = known_words([t for t in terms if len(t) <= MAX_LENGTH])
    unknown = [t for t in terms if t not in known and MIN_LENGTH <= len(t) <= MAX_LENGTH + 2][:MAX_UNKNOWN]
    options, corrected = [], False
    for term in terms:
        found = candidates(term) if term in unknown else []
        options.append(list(enumerate(found)) if found else [(0, term)])
        corrected = corrected or bool(found)
    if not corrected:
        return []
    # Every combination, the ones made of each term's best candidates first.
    combos = sorted(product(*options), key=lambda combo: sum(rank for rank, _word in combo))
    found = []
    for combo in islice(combos, MAX_CHECKS):
        query = list(dict.fromkeys(word for _rank, word in combo))
        if query == terms:
            continue
        if exists(query):
            found.append(" ".join(query))
            if len(found) == limit:
                break
    return found
