"""Search inside Thai and English text on SQLite and PostgreSQL.

text: the normal form of stored text and queries, terms, Thai words. sql: the criteria that find
records containing terms (trigram indexes on both databases). rank: best match first.
"""
from portal.search.rank import relevance
from portal.search.sql import groups_of, matches, sqlite_fts_triggers
from portal.search.text import (
           MAX_TERM_LENGTH,
           MAX_TERMS,
           SENTINEL,
           normalise,
           record_fields,
           search_text,
           terms,
           word_text,
           words,
)

__all__ = ["MAX_TERMS", "MAX_TERM_LENGTH", "SENTINEL", "groups_of", "matches", "normalise", "record_fields",
           "relevance", "search_text", "sqlite_fts_triggers", "terms", "word_text", "words"]
