"""What the search asks the glossary, and the staff page's list.

The search calls `alternatives(terms)` with a query's terms as `portal.search.terms()` gives them (NFC,
case-folded, split on whitespace) and widens each term to "the term OR any of its alternatives"; the
"search in the other language" link uses `translations(terms)`. Only active entries count.
"""
import threading

from cachetools import LRUCache
from sqlalchemy import or_, select

from portal.extensions import db
from portal.glossary.models import GlossaryEntry
from portal.search import normalise

MAX_PHRASE = 3  # an entry's key is matched against 1, 2 or 3 consecutive terms
STATUSES = ("active", "retired", "all")
_KEPT: LRUCache = LRUCache(maxsize=512)  # (database, generation, keys) -> _translations_of's answer, a process
_KEPT_LOCK = threading.Lock()


def _spans(terms: list[str]) -> dict[str, list[tuple[int, int]]]:
    """Each unigram, bigram and trigram of the terms (joined by one space) -> the (start, end) spans it covers."""
    spans: dict[str, list[tuple[int, int]]] = {}
    for size in range(1, MAX_PHRASE + 1):
        for start in range(len(terms) - size + 1):
            spans.setdefault(" ".join(terms[start:start + size]), []).append((start, start + size))
    return spans


def _translations_of(keys) -> dict[str, list[str]]:
    """key -> the other-language keys paired with it in active entries, oldest entry first: one query, or none
    when this request knows the glossary table's generation (portal.pagecache.generation_known) and this process
    has asked the same keys at that generation. Any change to the glossary is a new generation of its table (one
    that public pages show), so what is kept is never older than the glossary, on any process or machine.
    The result is shared: callers only read it."""
    keys = tuple(keys)
    if not keys:
        return {}
    from portal.pagecache import generation_known, note_read  # here: pagecache's permissions import the searches

    generation = generation_known(GlossaryEntry.__tablename__)
    if generation is None:
        return _asked(keys)
    note_read(GlossaryEntry.__tablename__)  # a page kept with this answer is one to render again when it changes
    kept_key = (id(db.session.get_bind()), generation, keys)
    with _KEPT_LOCK:
        found = _KEPT.get(kept_key)
    if found is None:
        found = _asked(keys)
        with _KEPT_LOCK:
            _KEPT[kept_key] = found
    return found


def _asked(keys: tuple[str, ...]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    rows = db.session.execute(
        select(GlossaryEntry.key_th, GlossaryEntry.key_en)
        .where(GlossaryEntry.retired_at.is_(None),
               or_(GlossaryEntry.key_th.in_(keys), GlossaryEntry.key_en.in_(keys)))
        .order_by(GlossaryEntry.id)).all()
    wanted = set(keys)
    for key_th, key_en in rows:
        for key, other in ((key_th, key_en), (key_en, key_th)):
            if key in wanted and other not in found.setdefault(key, []):
                found[key].append(other)
    return found


def alternatives(terms: list[str]) -> list[list[str]]:
    """One list per term: the term itself, then its other-language forms, deduplicated, in a stable order:
    the term's own translations first, then those of the two- and three-term phrases it is part of
    (["coconut", "water"] with น้ำมะพร้าว / coconut water: น้ำมะพร้าว joins both terms' lists); within
    each, oldest entry first. [] for no terms."""
    if not terms:
        return []
    spans = _spans(terms)
    found = _translations_of(spans)
    result = [[term] for term in terms]
    for size in range(1, MAX_PHRASE + 1):
        for key, places in spans.items():
            if len(key.split(" ")) != size or key not in found:
                continue
            for start, end in places:
                for index in range(start, end):
                    result[index].extend(other for other in found[key] if other not in result[index])
    return result


def translations(terms: list[str]) -> list[str]:
    """The other-language forms of a whole query, for a "search in the other language" link: reading the
    terms left to right, the translations of the longest phrase (three, two or one terms) that the glossary
    knows at each place; terms it does not know are left out. ["durian"] -> ["ทุเรียน"];
    ["coconut", "water"] -> ["น้ำมะพร้าว"] (not the single words' forms). Deduplicated, in order."""
    found = _translations_of(_spans(terms)) if terms else {}
    result: list[str] = []
    index = 0
    while index < len(terms):
        for size in range(min(MAX_PHRASE, len(terms) - index), 0, -1):
            key = " ".join(terms[index:index + size])
            if key in found:
                result.extend(other for other in found[key] if other not in result)
                index += size
                break
        else:
            index += 1
    return result


def known_words() -> set[str]:
    """Every word of the active entries' keys: words a search understands even where no record uses them
    (a buyer's "durian" before any firm wrote it), offered as spelling corrections. One query."""
    rows = db.session.execute(select(GlossaryEntry.key_th, GlossaryEntry.key_en)
                              .where(GlossaryEntry.retired_at.is_(None))).all()
    return {word for row in rows for key in row for word in key.split()}


def listing(words: str = "", status: str = "active"):
    """The staff page's list: entries whose Thai or English side contains the words (normalised), active,
    retired or all, in English alphabetical order."""
    query = select(GlossaryEntry)
    if status == "active":
        query = query.where(GlossaryEntry.retired_at.is_(None))
    elif status == "retired":
        query = query.where(GlossaryEntry.retired_at.is_not(None))
    key = normalise(words)
    if key:
        pattern = "%" + key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(GlossaryEntry.key_th.like(pattern, escape="\\"),
                                GlossaryEntry.key_en.like(pattern, escape="\\")))
    return query.order_by(GlossaryEntry.key_en, GlossaryEntry.key_th, GlossaryEntry.id)


def get_or_404(entry_id: int) -> GlossaryEntry:
    return db.get_or_404(GlossaryEntry, entry_id)
