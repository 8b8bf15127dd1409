"""Search inside Thai and English text on SQLite and PostgreSQL.

text: the normal form of stored text and queries, terms, Thai words. sql: the criteria that find
records containing terms (trigram indexes on both databases).
"""
from portal.search.sql import matches, sqlite_fts_triggers
from portal.search.text import MAX_TERM_LENGTH, MAX_TERMS, SENTINEL, normalise, search_text, terms, word_text, words

__all__ = ["MAX_TERMS", "MAX_TERM_LENGTH", "SENTINEL", "matches", "normalise", "search_text", "sqlite_fts_triggers",
           "terms", "word_text", "words"]
