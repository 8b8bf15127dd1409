"""The words that searchable records use, for "did you mean" (portal.search.suggest).

`search_words` holds every word (as portal.search.words cuts and normalises it) of the firms' and the
requests' search text, with its length and its letters backwards, so that the words close to a typed
term are found by index range scans on both databases (see suggest.py), and how many records used it.

Kept in step by the session: after each flush, the words of the firms and requests whose search text
was written (their `words_*` columns: already cut into words) are inserted if missing, in one
statement (INSERT OR IGNORE / ON CONFLICT DO NOTHING), in the same transaction. Existing rows are not
touched, so editing a firm never locks a shared word row; the counts (`records`, only used to order
equally close suggestions) are exact after `rebuild()` (`flask search rebuild-vocabulary`, also run by
the bench loaders after their bulk inserts) and a word first seen since counts 1. A word no record uses
any more stays until the next rebuild: suggestions are always checked against what the viewer can find,
so it is never offered on its own.
"""
import unicodedata
from collections import Counter
from functools import lru_cache

from sqlalchemy import Index, Integer, String, delete, event, func, insert, inspect, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.search.sql import _like
from portal.search.text import WORD_COLUMNS, words

MIN_LENGTH, MAX_LENGTH = 2, 40
WORD = String(MAX_LENGTH).with_variant(String(MAX_LENGTH, collation="C"), "postgresql")  # prefix ranges: code points
BATCH = 2000


class SearchWord(db.Model):
    __tablename__ = "search_words"

    word: Mapped[str] = mapped_column(WORD, primary_key=True)
    length: Mapped[int] = mapped_column(Integer)
    backward: Mapped[str] = mapped_column(WORD)  # the word's characters in reverse order: suffixes as prefixes
    records: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __table_args__ = (
        Index("ix_search_words_length_word", "length", "word"),
        Index("ix_search_words_length_backward", "length", "backward"),
    )


def _edge(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "PSZ"  # punctuation, symbols, separators


def clean_word(word: str) -> str | None:
    """The word as the vocabulary keeps it (edge punctuation off), or None for one it skips: shorter than 2
    or longer than 40 characters, or without a letter (numbers, prices, dates)."""
    start, end = 0, len(word)
    while start < end and _edge(word[start]):
        start += 1
    while end > start and _edge(word[end - 1]):
        end -= 1
    word = word[start:end]
    if not MIN_LENGTH <= len(word) <= MAX_LENGTH or not any(ch.isalpha() for ch in word):
        return None
    return word


def vocabulary_words(text: str | None) -> set[str]:
    """The distinct vocabulary words of a text (a record's search text, or any text)."""
    return {w for w in map(clean_word, words(text)) if w}


def _row(word: str, records: int = 1) -> dict:
    return {"word": word, "length": len(word), "backward": word[::-1], "records": records}


def add_words(connection, found) -> None:
    """Insert the words that are missing, one statement; existing words are left alone."""
    if not found:
        return
    rows = [_row(w) for w in sorted(found)]  # sorted: concurrent writers meet shared words in one order
    table = SearchWord.__table__
    if connection.dialect.name == "postgresql":
        statement = pg_insert(table).on_conflict_do_nothing(index_elements=["word"])
    elif connection.dialect.name == "sqlite":
        statement = sqlite_insert(table).on_conflict_do_nothing(index_elements=["word"])
    else:  # pragma: no cover  (the portal runs on SQLite and PostgreSQL)
        raise NotImplementedError(connection.dialect.name)
    connection.execute(statement, rows)


@lru_cache(maxsize=1)
def _searchable():
    """The searchable models (imported late: their modules import portal.search)."""
    from portal.collab.models import CollabRequest
    from portal.firms.models import Firm

    return (Firm, CollabRequest)


def record_words(*word_texts) -> set[str]:
    """The distinct vocabulary words of a record, from its `words_*` columns: the words its search fields
    were already cut into when it was saved (portal.search.text.record_fields), not cut a second time."""
    return {w for text in word_texts if text for w in map(clean_word, text.split()) if w}


def _written_records(session):
    searchable = _searchable()
    for obj in session.new:
        if isinstance(obj, searchable):
            yield obj
    for obj in session.dirty:
        if isinstance(obj, searchable) and inspect(obj).attrs.search_text.history.has_changes():
            yield obj


def _after_flush(session, flush_context) -> None:
    found = set()
    for record in _written_records(session):
        found |= record_words(*(getattr(record, column) for column in WORD_COLUMNS))
    add_words(session.connection(), found)


def init_app(app) -> None:
    """Keep the vocabulary in step with the sessions of portal.extensions.db."""
    if not event.contains(db.session, "after_flush", _after_flush):
        event.listen(db.session, "after_flush", _after_flush)


def count_words(rows, counts: Counter | None = None) -> Counter:
    """Add to `counts` how many records use each vocabulary word; rows are the records' `words_*` values."""
    counts = Counter() if counts is None else counts
    for row in rows:
        counts.update(record_words(*row))
    return counts


def _word_rows(session, table, batch: int):
    """The `words_*` values of a table's records, in batches of ids (keyset: each batch is one indexed range)."""
    last = 0
    while True:
        rows = session.execute(select(table.c.id, *(table.c[c] for c in WORD_COLUMNS)).where(table.c.id > last)
                               .order_by(table.c.id).limit(batch)).all()
        if not rows:
            return
        last = rows[-1][0]
        yield [row[1:] for row in rows]


def rebuild(session, progress=None, batch: int = 5000) -> int:
    """Count the words of every firm and request again and replace the vocabulary with them, in the
    session's transaction (the caller commits). Returns the number of words."""
    Firm, CollabRequest = _searchable()
    counts = Counter()
    for model in (Firm, CollabRequest):
        done = 0
        for rows in _word_rows(session, model.__table__, batch):
            count_words(rows, counts)
            done += len(rows)
            if progress:
                progress(f"{model.__tablename__}: {done:,} read, {len(counts):,} words")
    session.execute(SearchWord.__table__.delete())
    rows = [_row(w, n) for w, n in sorted(counts.items())]
    for start in range(0, len(rows), BATCH):
        session.execute(insert(SearchWord.__table__), rows[start:start + BATCH])
    if progress:
        progress(f"search_words: {len(rows):,} words written")
    return len(rows)


def uses(session, word: str, batch: int = 500) -> bool:
    """Whether any firm or request has `word` among its vocabulary words. The records whose words contain its
    letters are read in batches of ids and their words cut as the vocabulary cuts them (a prefix or an edge
    mark does not count): a scan of the words columns, for the rare writes that take words away for good."""
    for model in _searchable():
        table, last = model.__table__, 0
        columns = [table.c[c] for c in WORD_COLUMNS]
        while True:
            rows = session.execute(select(table.c.id, *columns)
                                   .where(or_(*(_like(c, word) for c in columns)), table.c.id > last)
                                   .order_by(table.c.id).limit(batch)).all()
            if any(word in record_words(*row[1:]) for row in rows):
                return True
            if len(rows) < batch:
                break
            last = rows[-1][0]
    return False


def forget_unused(session, candidates) -> int:
    """Delete from the vocabulary those of `candidates` that no firm or request uses any more; returns how many
    candidates were unused (whether the vocabulary held them or not).
    An account's erasure (portal/mydata/erasure.py) takes its name out of records' text, and the words of that
    name would otherwise stay here, with no record, until the next rebuild."""
    gone = sorted(word for word in set(candidates) if not uses(session, word))
    if gone:
        session.execute(delete(SearchWord.__table__).where(SearchWord.word.in_(gone)))
    return len(gone)


def size(session) -> int:
    return session.scalar(select(func.count()).select_from(SearchWord))
