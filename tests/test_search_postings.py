"""Whole words read first (issue 19): each record's words, kept by the database as records change (PostgreSQL's
postings tables, SQLite's FTS5 tables of words), and read in order, so that a common word's page costs the same
at any size of the directory, and records with the word whole rank above those with its letters inside a longer
word. Tests of what only PostgreSQL does (a window of records with any term whole; its planner settings) are
marked so.
"""
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from portal.collab.models import CollabRequest, Kind
from portal.extensions import db
from portal.firms.models import Firm
from portal.glossary.models import GlossaryEntry
from portal.search.sql import words_fts_table
from portal.search.text import words as search_words
from portal.thai import bangkok_today
from tests import factories
from tests.conftest import PG_URL
from tests.helpers import get_statements
from tests.test_search_relevance import board, directory

pg_only = pytest.mark.skipif(not PG_URL, reason="PostgreSQL only")
DIALECT = "postgresql" if PG_URL else "sqlite"


def indexed(table: str, key: str, record_id: int, candidates) -> set[str]:
    """Which of the `candidates` words the database holds as whole words of the record: PostgreSQL's postings
    (`firm_words`, `collab_request_words`), or SQLite's table of words of the record's table."""
    if PG_URL:
        found = set(db.session.scalars(text(f"SELECT word FROM {table} WHERE {key} = :id"), {"id": record_id}))  # nosec
        return found & set(candidates)
    fts = words_fts_table({"firm_words": "firms", "collab_request_words": "collab_requests"}[table])
    query = text(f"SELECT rowid FROM {fts} WHERE {fts} MATCH :word AND rowid = :id")  # nosec B608
    return {word for word in candidates
            if db.session.scalar(query, {"word": '"' + word + '"', "id": record_id}) is not None}


@pytest.fixture(params=["gin", "merge"] if PG_URL else ["words table"])
def way(request, monkeypatch):
    """PostgreSQL reads several terms whole from its GIN index of words, or by the postings' merge join when its
    statistics say many records have them all (search.sql._common_together): each test of several terms runs both
    ways there. SQLite has one way, its FTS5 table of words."""
    from portal.search import sql

    monkeypatch.setattr(sql, "MERGE_OVER", 0 if request.param == "merge" else 10**12)
    return request.param


def test_a_firms_words_follow_its_profile(app):
    with app.app_context():
        firm = factories.firm(name_th="ฟาร์มปลากัดบางกอก", description_th="ส่งออก betta")
        db.session.commit()
        candidates = {"ฟาร์ม", "ปลากัด", "ส่งออก", "betta", "ปลา", *search_words("ขายส่ง")}
        assert indexed("firm_words", "firm_id", firm.id, candidates) == {"ฟาร์ม", "ปลากัด", "ส่งออก", "betta"}

        firm.description_th = "ขายส่ง"
        db.session.commit()
        assert indexed("firm_words", "firm_id", firm.id, candidates) == {"ฟาร์ม", "ปลากัด", *search_words("ขายส่ง")}

        firm_id = firm.id
        db.session.execute(text("DELETE FROM firms WHERE id = :id"), {"id": firm_id})
        assert indexed("firm_words", "firm_id", firm_id, candidates) == set()
        db.session.rollback()


def post(firm, title):
    request = CollabRequest(firm_id=firm.id, kind=Kind.SEEKING_BUYERS, title_th=title,
                            expires_on=bangkok_today() + timedelta(days=30))
    db.session.add(request)
    db.session.flush()
    return request


@pg_only
def test_a_firm_or_request_written_leaves_nothing_pending_for_searches_to_read(app):
    """PostgreSQL's search GIN indexes are written through (migration a2c4e6f8b0d1): a firm registered, then
    edited, and a request posted put their keys in the indexes themselves, not in a pending list that every scan of
    the index would read until autovacuum merged it. gin_clean_pending_list says how many pending pages it merged:
    none, for every search index. With PostgreSQL's default (`fastupdate` on) the first write leaves one."""
    from portal.search.sql import SEARCH_GIN_INDEXES

    with app.app_context():
        firm = factories.firm(name_th="ฟาร์มปลากัดบางกอก", description_th="ส่งออก betta")
        db.session.commit()
        firm.description_th = "ปลากัดป่า ส่งออกทั่วโลก"
        post(firm, "หาผู้ซื้อปลากัด ส่งออก")
        db.session.commit()
        merged = {name: db.session.scalar(text("SELECT gin_clean_pending_list(CAST(:name AS regclass))"),
                                          {"name": name}) for name in SEARCH_GIN_INDEXES}
        assert merged == dict.fromkeys(SEARCH_GIN_INDEXES, 0)


def test_a_requests_words_are_posted_too(app):
    with app.app_context():
        request = post(factories.firm(), "หาผู้ซื้อปลากัดส่งออก")
        db.session.commit()
        assert indexed("collab_request_words", "request_id", request.id, {"ปลากัด", "ส่งออก", "ปลา"}) == {
            "ปลากัด", "ส่งออก"}


def test_a_full_window_of_whole_words_leaves_out_the_same_letters_inside_other_words(app, client, monkeypatch):
    """More matches than the window: the window is taken from records having the words whole (they rank above
    any with the letters only inside a longer word), whichever were registered first."""
    from portal.search import rank

    with app.app_context():
        for n in range(3):
            factories.firm(name_th=f"ฟาร์มปลากัด {n}")         # ปลา inside ปลากัด, registered first
        for n in range(3):
            factories.firm(name_th=f"ร้านขายปลา {n}")          # ปลา as a word
        db.session.commit()
    monkeypatch.setattr(rank, "RANK_WINDOW", 3)
    assert sorted(directory(client, "ปลา")) == ["ร้านขายปลา 0", "ร้านขายปลา 1", "ร้านขายปลา 2"]
    monkeypatch.setattr(rank, "RANK_WINDOW", 2000)
    found = directory(client, "ปลา")
    assert len(found) == 6 and all(name.startswith("ร้านขายปลา") for name in found[:3])


def sent(app, client, url) -> list[str]:
    """The SQL statements a GET of `url` sent, as sent."""
    response, ran = get_statements(app, client, url)
    assert response.status_code == 200
    return ran


def asks_the_trigram_index(statement: str) -> bool:
    return " LIKE " in statement if PG_URL else "firms_fts MATCH" in statement


@pytest.mark.parametrize("query", ["ปลา", "ปลา ส่งออก"])
def test_a_window_filled_by_whole_words_is_read_alone(app, client, monkeypatch, query):
    """When the records with every term whole fill the window, they are read in a statement of their own: the
    trigram index's parts (PostgreSQL's LIKE, SQLite's firms_fts) are not sent, so not planned either. When
    they do not fill it, the others follow, and the page is the same as one read at once."""
    from portal.search import rank

    with app.app_context():
        for n in range(3):
            factories.firm(name_th=f"ร้านขายปลา {n}", description_th="ส่งออก")
        factories.firm(name_th="ฟาร์มปลากัด 9", description_th="ส่งออก")   # ปลา only inside ปลากัด
        db.session.commit()
    url = f"/directory/?q={query}&lang=th"
    monkeypatch.setattr(rank, "RANK_WINDOW", 3)
    assert not any(asks_the_trigram_index(statement) for statement in sent(app, client, url))
    assert sorted(directory(client, query)) == ["ร้านขายปลา 0", "ร้านขายปลา 1", "ร้านขายปลา 2"]
    monkeypatch.setattr(rank, "RANK_WINDOW", 2000)
    assert any(asks_the_trigram_index(statement) for statement in sent(app, client, url))
    assert directory(client, query)[-1] == "ฟาร์มปลากัด 9"


def test_a_window_not_filled_by_every_term_whole_takes_the_rest_of_it_from_every_term_somewhere(app, client,
                                                                                                 monkeypatch, way):
    """Two firms with both terms whole (read first, on their own) and a window of four: the two places left go to
    records with both terms somewhere, inside longer words, before one with a term whole and not the other. The
    part of records with every term somewhere leaves out the two already read (PostgreSQL: not scored again), so
    its two places are the firm with both inside longer words and, the window not being full, the next part's.
    It fails when that part's window is two but the two read are not left out of it: the part then takes them
    again and fills up."""
    from portal.search import rank

    with app.app_context():
        factories.firm(name_en="Betta Export House")                          # both whole, in the name
        factories.firm(name_en="Siam Aquatics", description_en="betta export")  # both whole, in the description
        factories.firm(name_en="Bettafish Exporters")                         # both inside longer words
        factories.firm(name_en="Betta Only")                                   # one whole, not the other
        db.session.commit()
    monkeypatch.setattr(rank, "RANK_WINDOW", 4)
    expected = ["Betta Export House", "Siam Aquatics", "Bettafish Exporters", "Betta Only"]
    assert directory(client, "betta export", lang="en") == expected
    monkeypatch.setattr(rank, "RANK_WINDOW", 2000)
    assert directory(client, "betta export", lang="en") == expected


def test_records_with_every_term_whole_read_first_rank_above_the_rest_on_every_page(app, client, way):
    """Two terms, 25 records with both whole (read first, on their own) and three with one: page 1 is 24 of the
    25 (those below are only counted), page 2 the 25th then the three, and the count is all 28."""
    with app.app_context():
        for n in range(25):
            factories.firm(name_th=f"ร้านปลา {n:02d}", description_th="ส่งออก")
        for n in range(3):
            factories.firm(name_th=f"ร้านปลา x{n}")
        db.session.commit()
    first = client.get("/directory/?q=ปลา+ส่งออก&lang=en")
    assert "28 firms" in first.get_data(as_text=True)
    page_one = directory(client, "ปลา ส่งออก")
    page_two = directory(client, "ปลา ส่งออก", page=2)
    assert len(page_one) == 24 and not any("x" in name for name in page_one)
    assert len(page_two) == 4 and sorted(page_two[1:]) == ["ร้านปลา x0", "ร้านปลา x1", "ร้านปลา x2"]


def test_every_term_whole_and_a_term_of_several_words(app, client, way, monkeypatch):
    """ฟาร์มปลากัด is two words, ฟาร์ม ปลากัด: looked up by the first, it must then stand whole."""
    from portal.search import rank

    with app.app_context():
        factories.firm(name_th="ฟาร์มหมูบางกอก", description_th="ปลากัด ส่งออก")  # both words, apart
        factories.firm(name_th="ฟาร์มปลากัดบางกอก", description_th="ส่งออก")
        factories.firm(name_th="ฟาร์มปลากัดนนท์")                                 # not ส่งออก
        db.session.commit()
    for window in (1, 2000):
        monkeypatch.setattr(rank, "RANK_WINDOW", window)
        assert directory(client, "ฟาร์มปลากัด ส่งออก")[0] == "ฟาร์มปลากัดบางกอก"
    # then those with one of the two terms (any term matches): the name first
    assert directory(client, "ฟาร์มปลากัด ส่งออก") == ["ฟาร์มปลากัดบางกอก", "ฟาร์มปลากัดนนท์", "ฟาร์มหมูบางกอก"]


def test_a_record_with_two_forms_of_a_term_takes_one_place_in_the_window(app, client, monkeypatch):
    """ปลากัด and betta are one term (the glossary): a firm with both words is one match, not two. Read per
    word, it took two places of a window of two, and the other firm was left out."""
    from portal.search import rank

    with app.app_context():
        db.session.add(GlossaryEntry(term_th="ปลากัด", term_en="betta", key_th="ปลากัด", key_en="betta"))
        factories.firm(name_th="ปลากัดสยาม", name_en="Siam Betta")
        factories.firm(name_th="ร้านปลากัด")
        db.session.commit()
    monkeypatch.setattr(rank, "RANK_WINDOW", 2)
    assert sorted(directory(client, "ปลากัด")) == ["ปลากัดสยาม", "ร้านปลากัด"]


def test_every_term_whole_takes_any_form_of_each_term(app, client, way, monkeypatch):
    """betta and ปลากัด are one term (the glossary): with two terms, a firm with ปลากัด whole and export whole has
    every term whole, and takes its place in a window of two before a firm created earlier that has both terms'
    letters only inside longer words (Bettas, exporters). Asked only by the first form of each term, the window was
    that firm's and the other firm with both whole."""
    from portal.search import rank

    with app.app_context():
        db.session.add(GlossaryEntry(term_th="ปลากัด", term_en="betta", key_th="ปลากัด", key_en="betta"))
        factories.firm(name_th="ร้านหนึ่ง", name_en="Bettas Exporters")
        factories.firm(name_th="ปลากัดสยาม", description_en="We export.")
        factories.firm(name_th="ร้านสอง", name_en="Betta Export House")
        db.session.commit()
    monkeypatch.setattr(rank, "RANK_WINDOW", 2)
    for query in ("betta export", "export ปลากัด"):
        assert sorted(directory(client, query)) == ["ปลากัดสยาม", "ร้านสอง"]


def test_the_window_of_whole_words_is_taken_in_record_order_whatever_the_terms_order(app, client, way, monkeypatch):
    """The terms' lists are intersected before a record is read (PostgreSQL's GIN index of words, SQLite's FTS5
    table of words), and the records read in the table's order: with more matches than the window, the window is
    the first records, the same whichever term is typed first, so that every page ranks the same window."""
    from portal.search import rank

    with app.app_context():
        for n in range(4):
            factories.firm(name_th=f"ฟาร์มปลากัด {n}", description_th="ส่งออก")
        factories.firm(name_th="ฟาร์มปลากัด 9")                                   # not ส่งออก
        db.session.commit()
    monkeypatch.setattr(rank, "RANK_WINDOW", 2)
    for query in ("ปลากัด ส่งออก", "ส่งออก ปลากัด"):
        assert sorted(directory(client, query)) == ["ฟาร์มปลากัด 0", "ฟาร์มปลากัด 1"]


@pg_only
def test_a_full_window_of_any_term_whole_leaves_out_a_term_only_inside_other_words(app, client, monkeypatch):
    """Several terms, none of the records with all of them: the window is then taken from the records with
    any term whole (from the postings, not the trigram index), above those with a term only inside a longer
    word, whichever were registered first; and the same order as the full search's when the window holds all."""
    from portal.search import rank

    with app.app_context():
        for n in range(3):
            factories.firm(name_th=f"ฟาร์มปลากัด {n}")         # ปลา inside ปลากัด, registered first
        factories.firm(name_th="ร้านขายปลา 0")                  # ปลา as a word
        factories.firm(name_th="ร้านข้าว 1", description_th="ส่งออก")  # the other term, as a word
        factories.firm(name_th="ร้านขายปลา 2")
        db.session.commit()
    monkeypatch.setattr(rank, "RANK_WINDOW", 3)
    assert sorted(directory(client, "ปลา ส่งออก")) == ["ร้านขายปลา 0", "ร้านขายปลา 2", "ร้านข้าว 1"]
    monkeypatch.setattr(rank, "RANK_WINDOW", 2000)
    found = directory(client, "ปลา ส่งออก")
    assert len(found) == 6 and sorted(found[:3]) == ["ร้านขายปลา 0", "ร้านขายปลา 2", "ร้านข้าว 1"]


@pg_only
def test_the_window_of_any_term_whole_checks_a_term_of_several_words_whole(app, client, monkeypatch):
    """ฟาร์มปลากัด is looked up in the postings by its first word, ฟาร์ม: a firm with ฟาร์ม and neither term is no
    match, and must not take the window's one place."""
    from portal.search import rank

    with app.app_context():
        factories.firm(name_th="ฟาร์มหมูบางกอก")               # ฟาร์ม, registered first: no term at all
        factories.firm(name_th="ฟาร์มปลากัดนนท์")                # the first term whole, not the second
        db.session.commit()
    monkeypatch.setattr(rank, "RANK_WINDOW", 1)
    assert directory(client, "ฟาร์มปลากัด ส่งออก") == ["ฟาร์มปลากัดนนท์"]


@pytest.mark.parametrize("query", ["ปลากัด ส่งออก", "ฟาร์มปลากัด ส่งออก", "fighting fish export", "ส่งออก"])
def test_the_whole_word_windows_score_is_the_full_score(app, query):
    """relevance(every_term_whole=True) leaves tests out for records having every term whole: for those it must
    give what the full score gives, including a term of several words standing whole with other letters
    between ("fighting-fish": found whole, not as typed) and terms only in the description."""
    from sqlalchemy import select

    from portal.firms.models import Firm
    from portal.search import relevance
    from portal.search.sql import whole_words

    with app.app_context():
        db.session.add(GlossaryEntry(term_th="ส่งออก", term_en="export", key_th="ส่งออก", key_en="export"))
        for name, products, description in [
            ("ฟาร์มปลากัดบางกอก", None, "ส่งออก"), ("ร้านปลา", "ปลากัด", "export"), ("สวนผัก", None, "ปลากัด ส่งออก"),
            ("ฟาร์ม ปลากัด", "ส่งออก", None), ("Fighting-fish Farm", None, "export only"), ("ปลากัดส่งออก", None, None),
            ("fighting fish export", None, None), ("ส่งออกข้าว", "ปลากัดป่า", None),
        ]:
            factories.firm(name_th=name, products_th=products, description_th=description)
        db.session.commit()
        with app.test_request_context("/"):
            from portal.directory.queries import Filters

            groups = Filters(q=query).groups
            found = whole_words(Firm, groups, "firm_words", "firm_id", dialect=DIALECT)
            full, short = relevance(Firm, groups, DIALECT), relevance(Firm, groups, DIALECT, True)
            scores = db.session.execute(select(Firm.name_th, full, short).where(found)).all()
        assert scores and all(row[1] == row[2] for row in scores), scores
        db.session.rollback()


@pg_only
@pytest.mark.parametrize("query", ["ปลากัด ส่งออก", "ปลา ส่งออก ข้าว", "fighting fish export", "ปลา fighting fish"])
def test_the_any_term_whole_windows_score_from_its_flags_is_the_full_score(app, query):
    """relevance(whole_flags=...) takes, for records with any term whole, whether each term is whole from the
    postings' flags and leaves out the tests that settles: for every such record it must give what the full score
    gives, a term whole in the name, the products or the description, one only inside a longer word of the name or
    elsewhere, or absent, a term of several words (no flag, scored as before) and a glossary pair. It fails when a
    flagged term not whole is scored as absent, or one whole is scored at the description whatever its place."""
    from sqlalchemy import select

    from portal.firms.models import Firm
    from portal.search import relevance
    from portal.search.sql import any_whole_flags, whole_words

    with app.app_context():
        db.session.add(GlossaryEntry(term_th="ส่งออก", term_en="export", key_th="ส่งออก", key_en="export"))
        for name, products, description in [
            ("ฟาร์มปลากัดบางกอก", None, "ส่งออก"), ("ร้านปลา", "ปลากัด", "export"), ("สวนผัก", None, "ปลากัด ส่งออก"),
            ("ฟาร์ม ปลากัด", "ส่งออก", None), ("Fighting-fish Farm", None, "export only"), ("ปลากัดส่งออก", None, None),
            ("fighting fish export", None, None), ("ส่งออกข้าว", "ปลากัดป่า", None), ("ข้าว ปลา", None, "ร้านส่งออกปลา"),
            ("ร้านข้าวแกง", "ปลาทู", "ข้าว"), ("Fish farm", "fighting fish", None),
        ]:
            factories.firm(name_th=name, products_th=products, description_th=description)
        db.session.commit()
        with app.test_request_context("/"):
            from portal.directory.queries import Filters

            groups = Filters(q=query).groups
            found = whole_words(Firm, groups, "firm_words", "firm_id", every=False, dialect=DIALECT)
            flags = any_whole_flags(Firm, groups, "firm_words", "firm_id")
            full, flagged = relevance(Firm, groups, DIALECT), relevance(Firm, groups, DIALECT, whole_flags=flags)
            scores = db.session.execute(select(Firm.name_th, full, flagged).where(found)).all()
        assert len(scores) >= 5 and all(row[1] == row[2] for row in scores), scores
        assert any(flag is not None for flag in flags)
        db.session.rollback()


@pytest.mark.parametrize("query", [  # every term whole; any term whole (none has ส่งออก: PostgreSQL's window only)
    "ปลา", pytest.param("ปลา ส่งออก", marks=pg_only)])
def test_the_board_reads_its_whole_words_too(app, client, monkeypatch, query):
    from portal.search import rank

    with app.app_context():
        firm = factories.firm()
        for n in range(2):
            post(firm, f"หาผู้ซื้อปลากัด {n}")
        post(firm, "หาผู้ซื้อปลา")
        db.session.commit()
    monkeypatch.setattr(rank, "RANK_WINDOW", 1)
    assert board(client, query) == ["หาผู้ซื้อปลา"]


SETTINGS = ("SELECT current_setting('enable_seqscan'), current_setting('random_page_cost'), "
            "current_setting('enable_hashagg'), current_setting('plan_cache_mode')")


@pg_only
@pytest.mark.parametrize("listing", ["directory", "board"])
@pytest.mark.parametrize("sort", ["", "name", "newest"])
@pytest.mark.parametrize("query", ["ปลากัด", "ไม่มีคำนี้เลย"])
def test_the_search_settings_are_put_back_within_the_transaction(app, listing, sort, query):
    """The planner settings a search sets (search.sql.index_first_then) go back with the page's rows, or on
    their own when the page is empty, best match first or in a chosen order: a later statement of the same
    transaction plans as usual."""
    from portal.collab import queries as board_queries
    from portal.directory import queries as directory_queries

    if listing == "board" and sort == "name":
        sort = "closing"  # the board's other chosen order
    with app.app_context():
        post(factories.firm(name_th="ฟาร์มปลากัดบางกอก"), "หาผู้ซื้อปลากัด")
        db.session.commit()
        before = db.session.execute(text(SETTINGS)).one()
        with app.test_request_context("/"):
            if listing == "directory":
                page = directory_queries.search(directory_queries.Filters(q=query, sort=sort), None, "th")
            else:
                page = board_queries.board(board_queries.BoardFilters(q=query, sort=sort), None)
        assert bool(page.rows) is (query == "ปลากัด")
        after = db.session.execute(text(SETTINGS)).one()
        assert tuple(after) == tuple(before) == ("on", before[1], "on", "auto")
        db.session.rollback()


@pg_only
@pytest.mark.parametrize("model", [Firm, CollabRequest])
def test_several_terms_whole_are_asked_of_the_words_gin_index(app, model, monkeypatch):
    """The criterion's array of words is the GIN index's expression (migration f3b5d7e9a1c4), written apart in
    search.sql.words_array: the planner uses the index only when the two are the same expression, and without it
    would test every record's words. Asked under the search's own settings (no sequential scan)."""
    from portal.search import sql
    from portal.search.sql import index_first_then, whole_words, words_gin_index

    monkeypatch.setattr(sql, "MERGE_OVER", 10**12)  # the GIN index's way
    with app.app_context():
        post(factories.firm(name_th="ฟาร์มปลากัดบางกอก", description_th="ส่งออก"), "หาผู้ซื้อปลากัด ส่งออก")
        db.session.commit()
        postings, key = ("firm_words", "firm_id") if model is Firm else ("collab_request_words", "request_id")
        criterion = whole_words(model, [["ปลากัด"], ["ส่งออก"]], postings, key)
        query = select(model.id).where(criterion)
        with index_first_then(db.session):
            compiled = query.compile(dialect=db.session.get_bind().dialect)
            plan = "\n".join(db.session.connection().exec_driver_sql("EXPLAIN " + str(compiled), compiled.params)
                              .scalars())
            found = db.session.scalars(query).all()
        assert words_gin_index(model.__tablename__) in plan
        assert len(found) == 1
        db.session.rollback()


@pg_only
def test_the_way_for_several_terms_follows_the_tables_statistics(app, monkeypatch):
    """PostgreSQL's statistics of the GIN index of words estimate how many firms have every term (the table's rows
    times each term's frequency): at MERGE_OVER or more the postings' merge join, in record order, which then stops
    early; under it the GIN index. Read once per process for a while, and again after that."""
    from portal.search import sql

    with app.app_context():
        for n in range(40):
            factories.firm(name_th=f"ร้านปลากัด {n}", description_th="ส่งออก" if n % 2 else "ขายปลีก")
        db.session.commit()
        db.session.execute(text("ANALYZE firms"))
        db.session.commit()
        monkeypatch.setattr(sql, "_statistics_kept", {})
        rows, frequency = sql._statistics("firms")
        assert rows >= 40 and frequency["ปลากัด"] == pytest.approx(1.0) and frequency["ส่งออก"] == pytest.approx(0.5, 0.1)

        def merged_or_gin(merge_over):
            monkeypatch.setattr(sql, "MERGE_OVER", merge_over)
            criterion = str(sql.whole_words(Firm, [["ปลากัด"], ["ส่งออก"]], "firm_words", "firm_id"))
            return "firm_words" in criterion, "string_to_array" in criterion

        assert merged_or_gin(rows * 0.4) == (True, False)       # about half the firms have both: merged
        assert merged_or_gin(rows * 0.6) == (False, True)       # fewer than asked: the GIN index
        assert sql._common_together(Firm, [[" ปลากัด "], [" ไม่มีคำนี้ "]]) is False  # a word not in the statistics: 0
        db.session.rollback()


@pg_only
def test_the_boards_several_terms_whole_come_from_the_gin_index_however_common(app, client, monkeypatch):
    """The board lists open requests, few of those ever posted: the postings' merge join would read every request
    with the words in record order, so the board never takes that way, whatever the statistics say."""
    from portal.search import sql

    monkeypatch.setattr(sql, "MERGE_OVER", 0)  # every estimate says "common"
    with app.app_context():
        post(factories.firm(name_th="ฟาร์มปลากัดบางกอก"), "หาผู้ซื้อปลากัด ส่งออก")
        db.session.commit()
    response, statements = get_statements(app, client, "/requests/?q=ปลากัด+ส่งออก&lang=th")
    assert response.status_code == 200 and "หาผู้ซื้อปลากัด ส่งออก" in response.get_data(as_text=True)
    assert any("string_to_array" in s for s in statements)
    assert not any("collab_request_words_0" in s for s in statements)
    _, directory_statements = get_statements(app, client, "/directory/?q=ปลากัด+ส่งออก&lang=th")
    assert any("firm_words_0" in s for s in directory_statements)  # the directory does, then


@pg_only
def test_a_trigram_is_named_and_cut_as_pg_trgm_does(app):
    """search.sql chooses a term's rarest trigrams by the names show_trgm gives them in the table's statistics
    (_trigram_key: three one-byte characters as they are, a longer one hashed as pg_trgm hashes it) and only among
    characters pg_trgm puts in a trigram (_in_trigrams). A character counted in that pg_trgm leaves out (a Thai tone
    mark ends a word for it) would make a part of the term the index holds no trigram of: the index would then hand
    over every record."""
    from portal.search import sql

    with app.app_context():
        def show_trgm(string):
            return set(db.session.scalar(text("SELECT show_trgm(:s)"), {"s": string}))

        for trigram in ["pre", "a1b", "ปลา", "ากั", "ฮาล", "ินท", "xปl", "๒๕๖"]:
            assert sql._trigram_key(trigram) in show_trgm(trigram), trigram
        characters = [chr(code) for code in range(0x0E01, 0x0E5C)] + list("azAZ09_-. %")
        for ch in characters:
            in_a_word = len(show_trgm("ก" + ch + "ก")) == 4  # one word of three letters: "  ก", " กx", "กxก", "xก "
            if sql._in_trigrams(ch):
                assert in_a_word, f"U+{ord(ch):04X}"
        assert not sql._in_trigrams("\u0e48") and sql._in_trigrams("\u0e31")  # ่ (a tone mark) no; ั (a vowel) yes
        db.session.rollback()


NARROWED_FIRMS = {
    "ฟาร์มออร์แกนิก": "organic premium betta",                  # every term
    "ร้านปลากัดพรีเมียม": "premium organic ปลากัด",               # every term, betta's other form
    "ร้านอินทรีย์": "อินทรีย์ premium betta fish",                 # every term, organic's other form
    # every part of four letters of organic and premium, and betta, but neither term itself
    "ร้านหลอก": "orga rgan gani anic prem remi emiu mium betta",
    "ร้านเกือบ": "organic premium",                               # two terms of three
}


@pg_only
@pytest.mark.parametrize("analysed", [True, False])
@pytest.mark.parametrize("sampled", [True, False])
def test_every_term_is_asked_of_the_trigram_index_by_its_rarest_trigrams(app, monkeypatch, analysed, sampled):
    """search.sql.matches_all on PostgreSQL: with the table's statistics of trigrams (migration b3d5f7a9c1e4,
    after ANALYZE), each form of the two terms asked together is asked of the trigram index by its two rarest
    trigrams side by side (four letters), and the terms themselves are then tested on the records found; without
    statistics, whole. The same firms either way: a firm with every part of four letters of the terms but not the
    terms is not found (it is when the terms are not tested again)."""
    from portal.search import sql

    groups = [["organic", "อินทรีย์"], ["premium"], ["betta", "ปลากัด"]]
    with app.app_context():
        for name, products in NARROWED_FIRMS.items():
            factories.firm(name_th=name, products_th=products)
        for n in range(30):  # common trigrams beside them, for the statistics to tell from rare ones
            factories.firm(name_th=f"ร้านค้า {n}", products_th="export premier organ farm")
        db.session.commit()
        if analysed:
            db.session.execute(text("ANALYZE firms"))
            db.session.commit()
        monkeypatch.setattr(sql, "_statistics_kept", {})
        if not analysed:
            monkeypatch.setattr(sql, "_trigram_frequency", lambda table_name: None)
        criterion = sql.matches_all(Firm, groups, "postgresql", "firms_fts", sampled=sampled)
        query = select(Firm.name_th).where(criterion)
        compiled = query.compile(dialect=db.session.get_bind().dialect)
        patterns = {value.strip("%") for value in compiled.params.values()
                    if isinstance(value, str) and value.startswith("%")}
        with sql.index_first_then(db.session):
            found = set(db.session.scalars(query))
        assert found == {"ฟาร์มออร์แกนิก", "ร้านปลากัดพรีเมียม", "ร้านอินทรีย์"}
        whole = {"organic", "อินทรีย์", "premium"}
        if analysed:
            assert patterns and not patterns & whole and all(len(p) == 4 for p in patterns), patterns
            assert all(any(p in form for form in whole) for p in patterns), patterns
        else:
            assert patterns == whole
        db.session.rollback()


@pytest.mark.parametrize("term, frequency, part", [
    ("premium", {}, None),                                      # no statistics: whole
    ("premium", {"pre": 0.2, "rem": 0.1, "emi": 0.05}, "mium"),  # miu and ium unlisted: rarest together
    ("premium", {"miu": 0.2, "ium": 0.2, "emi": 0.2}, "prem"),   # pre and rem unlisted
    ("betta", {"x": 0.1}, "bett"),                               # three trigrams: the first two on a tie
    ("halal", {"hal": 0.3, "ala": 0.01, "lal": 0.01}, "alal"),
    ("soap", {"x": 0.1}, None),                                  # two trigrams: whole
    ("ส่งออก", {"x": 0.1}, None),                                # ่ ends a word for pg_trgm: งออก's two only
    ("ปลากัด", {"x": 0.1}, "ปลาก"),
])
def test_a_terms_rarest_part(term, frequency, part):
    """search.sql._narrowest: the NARROW_TO trigrams side by side whose frequencies add up least (a trigram the
    statistics do not list counts 0), the first on a tie; None when the term has no more trigrams than that."""
    from portal.search import sql

    assert sql._narrowest(term, frequency) == part


@pytest.mark.skipif(bool(PG_URL), reason="SQLite only")
@pytest.mark.parametrize("part_size", [4, 10**6])
def test_sqlite_asks_its_trigram_table_for_the_middle_of_each_term(app, monkeypatch, part_size):
    """search.sql.matches_all on SQLite: the FTS5 trigram table is asked for four letters from the middle of each
    term longer than that (_middle_part), and the terms themselves are then tested on the records found; with
    the part as long as any term, the terms whole. The same firms either way: a firm with the parts but not the
    terms is not found (it is when the terms are not tested again)."""
    from portal.search import sql

    monkeypatch.setattr(sql, "SQLITE_PART", part_size)
    sql._matches_all.cache_clear()
    groups = [["organic", "อินทรีย์"], ["premium"], ["betta", "ปลากัด"]]
    with app.app_context():
        for name, products in NARROWED_FIRMS.items():
            factories.firm(name_th=name, products_th=products)
        db.session.commit()
        query = select(Firm.name_th).where(sql.matches_all(Firm, groups, "sqlite", "firms_fts"))
        phrases = [value for value in query.compile().params.values() if isinstance(value, str) and " AND " in value]
        found = set(db.session.scalars(query))
        assert found == {"ฟาร์มออร์แกนิก", "ร้านปลากัดพรีเมียม", "ร้านอินทรีย์"}
        if part_size == 4:
            assert phrases == ['("rgan" OR "นทรี") AND ("remi") AND ("bett" OR "ลากั")']
        else:
            assert phrases == ['("organic" OR "อินทรีย์") AND ("premium") AND ("betta" OR "ปลากัด")']
        db.session.rollback()
    sql._matches_all.cache_clear()


@pytest.mark.parametrize("term, part", [("organic", "rgan"), ("premium", "remi"), ("betta", "bett"), ("ปลากัด", "ลากั"),
                                        ("soap", None), ("abc", None), ("fighting fish", "ghti"),
                                        ("big red cat", None), ("ร้าน ปลากัด", "ลากั")])
def test_the_middle_of_a_term_sqlite_asks_for(term, part):
    """search.sql._middle_part: four letters from the middle of the term's longest word (the first of two middles);
    None for a term of four letters or fewer, or whose words all are."""
    from portal.search import sql

    assert sql._middle_part(term) == part


# --- the window's statements kept for a search's shape (search.rank.search_shape, PostgreSQL) -----------------------

def _window_builds(monkeypatch) -> list:
    """Records each time a search builds its window's later parts (search.rank._rest_statement)."""
    from portal.search import rank

    built = []
    build = rank._rest_statement

    def counted(*args, **kwargs):
        built.append(args[1:])
        return build(*args, **kwargs)

    monkeypatch.setattr(rank, "_rest_statement", counted)
    return built


@pg_only
def test_a_searchs_later_pages_reuse_its_kept_window_and_list_the_same_as_built_anew(app, client, monkeypatch):
    """Three pages of one search of two words, the window built on the first page only (the check of the tests'
    configuration, which builds it again, off); each page is the one built anew, with the check on; the same words
    with a filter, in the other language or another order of words are other shapes, built anew."""
    from portal.directory import queries as directory_queries

    with app.app_context():
        for n in range(5):
            factories.firm(name_th=f"ฮาลาล ส่งออก {n}")
            factories.firm(name_th=f"ร้าน ฮาลาล {n}", province_code="50")
        db.session.commit()
    monkeypatch.setattr(directory_queries, "PER_PAGE", 3)
    pages = [directory(client, "ฮาลาล ส่งออก", page=page) for page in (1, 2, 3)]  # checked against a build each
    assert pages[0] + pages[1][:2] == [f"ฮาลาล ส่งออก {n}" for n in range(5)]  # every term first, in name order
    assert sorted(pages[1][2:] + pages[2]) == [f"ร้าน ฮาลาล {n}" for n in range(4)]
    monkeypatch.setitem(app.config, "CHECK_KEPT_SEARCH_STATEMENTS", False)
    from portal.search import rank

    rank._kept_windows.clear()
    built = _window_builds(monkeypatch)
    assert [directory(client, "ฮาลาล ส่งออก", page=page) for page in (1, 2, 3, 2)] == pages + [pages[1]]
    # built twice: once for the page that the firms with every term whole fill (page 1: five for three), once for
    # those that need the rest (pages 2 and 3, the second time page 2 is asked too)
    assert [filled for _known, filled, _cap in built] == [True, False]
    directory(client, "ฮาลาล ส่งออก", province="50")
    directory(client, "ฮาลาล ส่งออก", lang="en")
    directory(client, "ส่งออก ฮาลาล")
    assert len(built) == 5


@pg_only
def test_a_kept_window_is_kept_for_each_audience(app, monkeypatch):
    """A firm that did not consent to a public listing is found by a signed-in member and never by a visitor, in
    whichever order they search the same words, with the window kept (the check off)."""
    from tests.helpers import signed_in

    with app.app_context():
        factories.firm(name_th="ฮาลาล ส่งออก สาธารณะ")
        factories.firm(name_th="ฮาลาล ส่งออก สมาชิกเท่านั้น", public_listing_consent_at=None)
        factories.firm(name_th="ร้าน ฮาลาล")
        email = factories.user().email
        db.session.commit()
    monkeypatch.setitem(app.config, "CHECK_KEPT_SEARCH_STATEMENTS", False)
    visitor, signed = app.test_client(), signed_in(app, email)
    for _round in range(2):
        assert "ฮาลาล ส่งออก สมาชิกเท่านั้น" not in directory(visitor, "ฮาลาล ส่งออก")
        assert "ฮาลาล ส่งออก สมาชิกเท่านั้น" in directory(signed, "ฮาลาล ส่งออก")


@pg_only
def test_a_kept_window_that_differs_from_the_pages_own_fails_the_tests_check(app, client, monkeypatch):
    """The check of the tests' configuration: a shape that leaves out what the statement depends on (here, every
    search the same shape) makes the next search of other words fail, rather than show the first one's window."""
    from portal.search import rank

    with app.app_context():
        factories.firm(name_th="ฮาลาล ทุเรียน")
        factories.firm(name_th="ปลากัด มะม่วง")
        db.session.commit()
    monkeypatch.setattr("portal.directory.queries.search_shape", lambda *args: ("one shape for every search",))
    assert directory(client, "ฮาลาล ทุเรียน") == ["ฮาลาล ทุเรียน"]
    with pytest.raises(AssertionError, match="kept window statement"):
        directory(client, "ปลากัด มะม่วง")
    monkeypatch.setitem(app.config, "CHECK_KEPT_SEARCH_STATEMENTS", False)
    rank._kept_windows.clear()
    assert directory(client, "ปลากัด มะม่วง") == ["ปลากัด มะม่วง"]
