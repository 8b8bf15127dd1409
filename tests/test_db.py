"""Database plumbing that pages rely on without showing it: psycopg keeps the conversion of the search's long
statements (portal.db.keep_long_statement_conversions)."""
import pytest
from sqlalchemy import event

from portal.db import PSYCOPG_CACHED_STATEMENT_LENGTH, PSYCOPG_CACHED_STATEMENT_PARAMS, keep_long_statement_conversions
from portal.extensions import db
from tests import factories
from tests.conftest import PG_URL
from tests.test_search_relevance import directory


def test_psycopgs_limits_for_kept_conversions_are_raised():
    """psycopg is installed with the portal (requirements.txt) whichever database it uses; an upgrade that renames
    the limits fails here rather than quietly converting long statements again on every page."""
    from psycopg import _queries

    assert keep_long_statement_conversions() is True
    assert _queries.MAX_CACHED_STATEMENT_LENGTH >= PSYCOPG_CACHED_STATEMENT_LENGTH
    assert _queries.MAX_CACHED_STATEMENT_PARAMS >= PSYCOPG_CACHED_STATEMENT_PARAMS


@pytest.mark.skipif(not PG_URL, reason="psycopg converts statements for PostgreSQL only")
def test_a_searchs_long_statement_is_converted_once_and_kept(app, client):
    """A search of three words sends a statement longer than psycopg's own limit for keeping its conversion
    (4,096 bytes, 50 parameters); the second identical search finds that conversion kept."""
    from psycopg import _queries

    with app.app_context():
        factories.firm(name_en="Organic Betta Farm", name_th="ฟาร์มปลากัดอินทรีย์")
        factories.firm(name_en="Premium Rice Mill", name_th="โรงสีข้าวพรีเมียม")
        db.session.commit()
    sent = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement, parameters))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", seen)
        try:
            _queries._query2pg.cache_clear()
            found = directory(client, "organic premium betta", lang="en")
        finally:
            event.remove(db.engine, "before_cursor_execute", seen)
    statement, parameters = max(sent, key=lambda s: len(s[0]))
    assert len(statement.encode()) > 4096 and len(parameters) > 50  # over psycopg's own limits
    assert "Organic Betta Farm" in found
    before = _queries._query2pg.cache_info()
    _queries._query2pg(statement.encode(), "utf-8")  # what the next page's execution of it looks up
    after = _queries._query2pg.cache_info()
    assert (after.hits, after.misses) == (before.hits + 1, before.misses)
