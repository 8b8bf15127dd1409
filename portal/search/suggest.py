"""Did you mean: whole corrected queries for a search that found nothing.

Each term of the query that is not a word of the vocabulary (portal.search.vocabulary) is replaced by the
known words closest to it: at most 1 edit away for terms of up to 4 characters, 2 for longer ones, where an
edit is a letter inserted, deleted, replaced, or two neighbours swapped (optimal string alignment, the
usual Damerau-Levenshtein for typing slips: ปลากดั → ปลากัด, bettta → betta, a wrong tone mark).

Finding them without reading the whole vocabulary, as index ranges of (length, word) and (length, word
backwards) one length at a time (see _one_edit): a word one edit away ends with all of the term but its
first letter, or starts with all of it but its last, or keeps both its first and last letters, or is the
term with two neighbours swapped. That is exact, and works alike for 2- and 3-letter Thai words (ยา, รถ,
ผ้า), which a trigram index cannot serve. Only for a term of 5+ letters with no word one edit away are words
two edits away looked for: those starting with its first two letters or ending with its last two.

Thai is written without spaces between words, and the search looks for a term's letters as typed: ปลากัดส่งออก
(betta export, typed as one) finds only a text with those letters side by side. A Thai term that segmentation
cuts into several words is also offered with its words apart ("ปลากัด ส่งออก"), first (`words_apart`).

Only the queries that the caller's `exists` confirms are offered: it runs the real search with the
viewer's visibility and filters, so words known only from hidden or members-only records are never shown
to someone who could not find them.
"""
from itertools import islice, product

from rapidfuzz.distance import OSA
from sqlalchemy import and_, or_, select

from portal.extensions import db
from portal.search import text
from portal.search.sql import needed
from portal.search.text import terms
from portal.search.vocabulary import MAX_LENGTH, MIN_LENGTH, SearchWord

CANDIDATE_ROWS = 500  # vocabulary rows read per query, at most
PER_TERM = 3  # closest words kept per unknown term
MAX_UNKNOWN = 3  # terms corrected per query (the others are kept as typed)
MAX_CHECKS = 6  # corrected queries tried against the search, at most
_TOP = "\U0010ffff"


def max_distance(term: str) -> int:
    return 1 if len(term) <= 4 else 2


def distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance between a and b (rapidfuzz's OSA), or limit + 1 beyond limit."""
    return OSA.distance(a, b, score_cutoff=limit)


def _starts(column, prefix: str, length: int):
    return and_(SearchWord.length == length, column >= prefix, column < prefix + _TOP)


def _one_edit(term: str):
    """SQL criterion: every word within one edit of the term (2+ letters), and few others. One edit leaves
    the term's end intact if it is at the start (the word ends with term[1:]), its start intact if it is at
    the end (the word starts with term[:-1]), both ends if it is inside; a swap of two letters is asked for
    as such. Each is an index range of one length."""
    ranges = []
    for length in range(max(MIN_LENGTH, len(term) - 1), min(MAX_LENGTH, len(term) + 1) + 1):
        ends_kept = SearchWord.backward.startswith(term[-1], autoescape=True)
        ranges += [_starts(SearchWord.backward, term[1:][::-1], length), _starts(SearchWord.word, term[:-1], length),
                   and_(_starts(SearchWord.word, term[0], length), ends_kept)]
    swaps = {term[:i] + term[i + 1] + term[i] + term[i + 2:] for i in range(len(term) - 1)}
    return or_(*ranges, SearchWord.word.in_(sorted(swaps)))


def _two_edits(term: str):
    """SQL criterion for longer terms: the words of a length within 2 that start with the term's first two
    letters or end with its last two (missing only words mistyped at both ends)."""
    ranges = []
    for length in range(max(MIN_LENGTH, len(term) - 2), min(MAX_LENGTH, len(term) + 2) + 1):
        ranges += [_starts(SearchWord.word, term[:2], length), _starts(SearchWord.backward, term[-2:][::-1], length)]
    return or_(*ranges)


def candidates(term: str, limit: int = PER_TERM, also_known=()) -> list[str]:
    """The known words closest to the term, closest first, then the most used: one query, or two for a
    term of 5+ letters with no word one edit away. `also_known`: words the search understands without any
    record using them (the glossary's), weighed as used once."""
    for k, near in ((1, _one_edit), (2, _two_edits)):
        if k > max_distance(term):
            break
        rows = db.session.execute(select(SearchWord.word, SearchWord.records).where(near(term))
                                  .limit(CANDIDATE_ROWS)).all()
        rows += [(word, 1) for word in also_known if word not in {w for w, _n in rows}]
        scored = sorted((d, -records, word) for word, records in rows if 0 < (d := distance(term, word, k)) <= k)
        if scored:
            return [word for _d, _r, word in scored[:limit]]
    return []


def known_words(terms: list[str]) -> set[str]:
    return set(db.session.scalars(select(SearchWord.word).where(SearchWord.word.in_(terms)))) if terms else set()


def words_apart(terms: list[str], known: set[str], also_known=()) -> dict[str, str]:
    """{term: its words apart} for each Thai term typed as several words without a space (ปลากัดส่งออก →
    "ปลากัด ส่งออก"): the term is not a known word, and Thai word segmentation (portal.search.text.words) cuts it
    into two or more pieces, each a word (of the vocabulary, the glossary's `also_known` or the segmenter's
    dictionary), one at least a word some record uses. A mistyped word, whose pieces are not all words (ปลากดั →
    ปลาก, ดั), is left to the corrections. One vocabulary query for every term."""
    pieces = {t: text.words(t) for t in terms if t not in known and text.has_thai(t)}
    pieces = {t: found for t, found in pieces.items() if len(found) > 1}
    if not pieces:
        return {}
    used = known_words(sorted({w for found in pieces.values() for w in found if len(w) <= MAX_LENGTH}))
    glossary, dictionary = set(also_known), text.dictionary()

    def a_word(piece: str) -> bool:
        return piece in used or piece in glossary or piece in dictionary

    return {t: " ".join(found) for t, found in pieces.items()
            if all(map(a_word, found)) and any(w in used for w in found)}


def suggestions(terms: list[str], exists, limit: int = 3, also_known=()) -> list[str]:
    """Corrected queries (each a string of space-separated terms) for a query whose `terms` (normalised,
    as portal.search.terms gives them) found nothing, best first; only those for which `exists(terms)`
    is true, that is those that find something the viewer may see. At most 3 + MAX_UNKNOWN vocabulary
    queries and MAX_CHECKS calls of `exists`. `also_known`: see candidates. A term typed as several Thai
    words without a space is offered with its words apart before any correction of it (words_apart)."""
    terms = [t for t in terms if t]
    also_known = sorted({w for w in also_known if MIN_LENGTH <= len(w) <= MAX_LENGTH})
    known = known_words([t for t in terms if len(t) <= MAX_LENGTH])
    apart = words_apart(terms, known, also_known)
    unknown = [t for t in terms if t not in known and MIN_LENGTH <= len(t) <= MAX_LENGTH + 2][:MAX_UNKNOWN]
    options, corrected = [], False
    for term in terms:
        found = candidates(term, also_known=also_known) if term in unknown else []
        found = [apart[term], *found] if term in apart else found
        options.append(list(enumerate(found)) if found else [(0, term)])
        corrected = corrected or bool(found)
    if not corrected:
        return []
    # Every combination, the ones made of each term's best candidates first.
    combos = sorted(product(*options), key=lambda combo: sum(rank for rank, _word in combo))
    found = []
    for combo in islice(combos, MAX_CHECKS):
        query = list(dict.fromkeys(word for _rank, option in combo for word in option.split()))
        if query == terms:
            continue
        if exists(query):
            found.append(" ".join(query))
            if len(found) == limit:
                break
    return found


def other_language_of(query_terms: list[str], did_you_mean: list[str], translate, exists, limit: int = 3) -> list[str]:
    """The query, and each correction offered for it, in the other language (`translate(terms)` gives
    whole-query translations, from the glossary), kept only where `exists` finds something for this viewer."""
    found = []
    corrected = [w for suggestion in did_you_mean for w in translate(terms(suggestion))]
    offered = needed([*translate(query_terms), *corrected])
    for words in offered:  # "betta fish" is not offered beside "betta": it would find a part of the same
        if exists(words.split()):
            found.append(words)
            if len(found) == limit:
                break
    return found
