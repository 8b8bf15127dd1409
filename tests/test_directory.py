"""The member directory: search correctness, filters, sort order, privacy and query counts.

The suite runs on SQLite and on PostgreSQL (CI does both), so every expectation here holds on both.
"""
import os
import re

import pytest

from portal.clusters.models import MembershipStatus, Position
from portal.db import utcnow
from portal.extensions import db
from portal.firms.models import FirmSize
from tests import factories
from tests.helpers import get_counting, get_statements

FIRMS = {
    "betta": dict(name_th="ฟาร์มปลากัดบางกอก", name_en="Bangkok Betta Fish Farm",
                  products_th="ปลากัดฮาล์ฟมูนเกรดส่งออก"),
    "barber": dict(name_th="ร้านตัดผมชายสยาม", description_th="ตัดผมและโกนหนวด"),
    "van": dict(name_th="บริษัท ให้เช่ารถตู้ จำกัด", name_en="Van Rental Co., Ltd."),
    "ran": dict(name_th="สวนร่านทอง", description_en="Orchid garden"),
    "percent": dict(name_th="ฟาร์มอินทรีย์", name_en="100% Organic_Farm"),
    "quote": dict(name_th="สยามคอสเพลย์", name_en='Siam "Quote" Cosplay', description_en="King's costumes"),
    "coffee": dict(name_th="ร้านกาแฟดอยสูง", products_en="Arabica coffee, roasted"),
    "slash": dict(name_th="สตูดิโอสี่สิบสอง", name_en="Studio\\42"),
}


@pytest.fixture
def directory(app):
    with app.app_context():
        for values in FIRMS.values():
            factories.firm(**values)
        factories.firm(name_th="ปลากัดที่ถูกซ่อน", hidden_at=utcnow())
        factories.firm(name_th="ปลากัดสมาชิกเท่านั้น", public_listing_consent_at=None)
        db.session.commit()


def names(client, query, **params):
    return names_on(client.get("/directory/", query_string={"q": query, "lang": "th", **params}))


def names_on(response):
    """The firms' names a directory page lists."""
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    return set(re.findall(r'<h2 class="firm-name"><a [^>]+>(?:<span lang="\w+">)?([^<]+)', page))


def key_names(*keys):
    return {FIRMS[k]["name_th"] for k in keys}


@pytest.mark.parametrize("query, expected", [
    ("ปลากัด", ["betta"]),                    # inside Thai text without spaces
    ("betta", ["betta"]),
    ("BETTA", ["betta"]),                     # case-insensitive
    ("Betta fish", ["betta"]),                # several words
    ("fish ปลากัด", ["betta"]),               # mixed Thai and English
    ("betta กาแฟ", ["betta", "coffee"]),      # some of the words: listed after those with all
    ("ฮาล์ฟมูน", ["betta"]),                   # products are searched
    ("ผม", ["barber"]),                       # two-letter Thai word
    ("รถ", ["van"]),                          # two-letter Thai word
    ("ร้าน", ["barber", "coffee"]),            # tone marks matter: not ร่าน
    ("ร่าน", ["ran"]),
    ("orchid", ["ran"]),                      # English description
    ("%", ["percent"]),                       # LIKE wildcards are plain text
    ("_", ["percent"]),
    ("100%", ["percent"]),
    ("0%_", []),
    ("a%b", []),
    ("o\\4", ["slash"]),                     # so is LIKE's escape character
    ("\\", ["slash"]),
    ("o\\%", []),
    ('"quote"', ["quote"]),                   # quotes are plain text
    ('"', ["quote"]),
    ("king's", ["quote"]),
    ("ปลา*", []),                             # FTS syntax is plain text
    ("betta OR กาแฟ", ["betta", "coffee", "percent", "ran"]),  # OR is a word: Organic, Orchid
    ("NEAR(betta)", []),
    ("x' OR 1=1 --", ["percent", "ran"]),     # the words taken literally: only "or" is found
    ("ปลา\u200bกัด", ["betta"]),               # a zero-width space is ignored
    ("  ", list(FIRMS)),                      # empty search lists everything visible
])
@pytest.mark.parametrize("narrowed", [{}, {"size": "micro"}], ids=["no filter", "a filter every firm passes"])
def test_search_correctness(client, directory, query, expected, narrowed):
    """With no filter, PostgreSQL plans the search's patterns without its statistics' sample (each pattern a value of
    its own, search.sql._like); with a filter, as written in the statement. Both take %, _ and \\ literally."""
    assert names(client, query, **narrowed) == key_names(*expected)


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"), reason="PostgreSQL only")
@pytest.mark.parametrize("query, narrowed, unsampled", [
    ("ปลากัด", {}, True),                          # one term: the window's part with the term's letters
    ("ปลากัด ส่งออก", {}, True),                    # several: and the part with every term
    ("ปลากัด ส่งออก", {"sort": "name"}, True),      # sorted by name: the same window
    ("ปลากัด ส่งออก", {"size": "micro"}, False),    # a filter: the planner weighs its index against the search's
    ("ปลากัด", {"province": "10"}, False),
    ("ปลากัด", {"sort": "newest"}, False),          # by date: the planner weighs the date index against the search's
])
def test_the_window_is_planned_without_the_sample_only_when_no_filter_narrows(app, client, directory, query,
                                                                              narrowed, unsampled):
    """search.sql._like(sampled=False), which spares PostgreSQL testing each pattern against its sample of the firms'
    text (1.5 of the 2.0 ms of planning a search of two words at 100,000 firms), is only for search.rank's window
    with no filter: a plan that chooses between the search's index and another one needs the sample to tell a
    common word from a rare one."""
    from urllib.parse import urlencode

    response, statements = get_statements(app, client, "/directory/?" + urlencode({"q": query, "lang": "th",
                                                                                   **narrowed}))
    assert names_on(response) == key_names("betta")
    patterns = [s for s in statements if "search_text LIKE" in s]
    assert patterns
    assert all(("search_text LIKE (SELECT" in s) is unsampled for s in patterns), patterns


def test_hidden_and_unlisted_firms_never_show_to_the_public(app, client, directory):
    assert names(client, "ปลากัด") == key_names("betta")
    with app.app_context():
        factories.user(email="member@example.com")
        db.session.commit()
    member = app.test_client()
    factories.sign_in(member, "member@example.com")
    found = names(member, "ปลากัด")
    assert "ปลากัดสมาชิกเท่านั้น" in found and "ปลากัดที่ถูกซ่อน" not in found


def test_directory_shows_no_contact_details(app, client):
    with app.app_context():
        factories.firm(name_th="ร้านมีเบอร์", phone="+66812345678", email="shop@example.com", line_id="@shop")
        db.session.commit()
    page = client.get("/directory/").get_data(as_text=True)
    assert "ร้านมีเบอร์" in page
    for secret in ("081 234 5678", "+66812345678", "shop@example.com", "@shop"):
        assert secret not in page


@pytest.fixture
def members(app):
    """Firms in clusters at positions, in provinces, of sizes, some verified."""
    with app.app_context():
        betta, cosplay = factories.cluster("betta"), factories.cluster("cosplay")
        a = factories.firm(name_th="ก ฟาร์มต้นน้ำ", province_code="73", size=FirmSize.SMALL, verified_at=utcnow())
        b = factories.firm(name_th="ข ผู้ส่งออก", province_code="10", size=FirmSize.MICRO)
        c = factories.firm(name_th="ค สตูดิโอ", province_code="10", size=FirmSize.MEDIUM, verified_at=utcnow())
        d = factories.firm(name_th="ง รอพิจารณา", province_code="10")
        factories.membership(a, betta, Position.UPSTREAM, Position.DOWNSTREAM)
        factories.membership(b, betta, Position.DOWNSTREAM)
        factories.membership(c, cosplay, Position.MIDSTREAM)
        factories.membership(d, betta, Position.UPSTREAM, status=MembershipStatus.PENDING)
        db.session.commit()


@pytest.mark.parametrize("params, expected", [
    ({"cluster": "betta"}, {"ก ฟาร์มต้นน้ำ", "ข ผู้ส่งออก"}),          # pending requests are not members
    ({"position": "downstream"}, {"ก ฟาร์มต้นน้ำ", "ข ผู้ส่งออก"}),
    ({"cluster": "betta", "position": "upstream"}, {"ก ฟาร์มต้นน้ำ"}),
    ({"cluster": "cosplay", "position": "upstream"}, set()),
    ({"province": "10"}, {"ข ผู้ส่งออก", "ค สตูดิโอ", "ง รอพิจารณา"}),
    ({"size": "medium"}, {"ค สตูดิโอ"}),
    ({"verified": "1"}, {"ก ฟาร์มต้นน้ำ", "ค สตูดิโอ"}),
    ({"verified": "1", "province": "10", "cluster": "cosplay"}, {"ค สตูดิโอ"}),
])
def test_filters(client, members, params, expected):
    assert names(client, "", **params) == expected


def test_result_count_and_shareable_urls(client, members):
    page = client.get("/directory/?cluster=betta&position=downstream&lang=en").get_data(as_text=True)
    assert "2 firms found" in page
    assert 'option value="betta" selected' in page and 'option value="downstream" selected' in page


# the filters' options as the templates wrote them, option by option, before reference.option_tags
_OPTIONS_LOOP = ('{% for key, id, name in rows %}<option value="{{ key }}" {% if selected == id %}selected{% endif %}>'
                 '{{ name }}</option>{% endfor %}')


@pytest.mark.parametrize("kind", ["clusters", "provinces"])
@pytest.mark.parametrize("locale", ["th", "en"])
def test_the_filters_options_are_written_as_the_template_wrote_them(app, kind, locale):
    from portal import reference

    with app.test_request_context():
        factories.cluster().name_en = 'Betta & "fighting" <fish>'  # escaped in the value's quotes and the text
        db.session.commit()
        reference.clear()
        rows = reference.options(kind, locale)
        loop = app.jinja_env.from_string(_OPTIONS_LOOP)
        for selected in [None, rows[0][1], rows[len(rows) // 2][1], rows[-1][1], -1]:
            written = str(reference.option_tags(kind, locale, selected))
            assert written == loop.render(rows=rows, selected=selected)
            assert written.count(" selected>") == (selected in {row[1] for row in rows})
        assert "Betta &amp; &#34;fighting&#34; &lt;fish&gt;" in str(reference.option_tags("clusters", "en"))


@pytest.mark.parametrize("params", [{"cluster": "nope"}, {"position": "sideways"}, {"province": "99"},
                                    {"size": "huge"}, {"page": "abc"}, {"sort": "price"}, {"q": "x" * 5000}])
def test_bad_parameters_are_explained_not_errors(client, members, params):
    response = client.get("/directory/", query_string={**params, "lang": "en"})
    assert response.status_code == 200
    if set(params) & {"cluster", "position", "province", "size"}:
        assert "There is no such" in response.get_data(as_text=True)


def test_sort_by_name_follows_thai_order_and_newest_first(app, client):
    with app.app_context():
        for name in ["ข้าว", "ขา", "ไก่", "เก", "กา"]:
            factories.firm(name_th=name, name_en=None)
        db.session.commit()
    page = client.get("/directory/?lang=th").get_data(as_text=True)
    assert re.findall(r'<h2 class="firm-name"><a [^>]+>([^<]+)', page) == ["กา", "เก", "ไก่", "ขา", "ข้าว"]
    newest = client.get("/directory/?sort=newest&lang=th").get_data(as_text=True)
    assert re.findall(r'<h2 class="firm-name"><a [^>]+>([^<]+)', newest)[0] == "กา"  # created last


def test_english_sort_uses_english_names_with_thai_fallback(app, client):
    with app.app_context():
        factories.firm(name_th="ฟาร์มปลากัด", name_en="Zebra Betta")
        factories.firm(name_th="กาแฟ", name_en="Apple Coffee")
        factories.firm(name_th="ข้าวหอม", name_en=None)
        db.session.commit()
    page = client.get("/directory/?lang=en").get_data(as_text=True)
    order = re.findall(r'<h2 class="firm-name"><a [^>]+>(?:<span lang="th">)?([^<]+)', page)
    assert order == ["ข้าวหอม", "Apple Coffee", "Zebra Betta"]  # Thai before Latin, as ICU orders


def test_pagination_and_its_limits(app, client, monkeypatch):
    from portal.directory import queries

    with app.app_context():
        for n in range(30):
            factories.firm(name_th=f"กิจการ{n:02d}")
        db.session.commit()
    first = client.get("/directory/?lang=en").get_data(as_text=True)
    assert "30 firms found" in first and "Page 1 of 2" in first and 'rel="next"' in first
    assert "Page 2 of 2" in client.get("/directory/?page=2&lang=en").get_data(as_text=True)
    assert "Page 1 of 2" in client.get("/directory/?page=3&lang=en").get_data(as_text=True)  # no such page
    monkeypatch.setattr(queries, "PER_PAGE", 5)
    monkeypatch.setattr(queries, "COUNT_CAP", 10)
    capped = client.get("/directory/?lang=en").get_data(as_text=True)
    assert "More than 10 firms found" in capped
    assert "Only the first 10 can be browsed" in capped and "Page 1 of 2" in capped
    assert "Page 2 of 2" in client.get("/directory/?page=2&lang=en").get_data(as_text=True)
    assert "Page 1 of 2" in client.get("/directory/?page=3&lang=en").get_data(as_text=True)  # past the cap



@pytest.mark.parametrize("sort", ["name", "newest"])
def test_a_search_sorted_by_name_or_date_is_counted_and_paged_as_the_whole_list_is(app, client, monkeypatch, sort):
    """Sorted by name (search.rank.ranked_page's window, in name order) or by date (the date index walked): the
    same count, pages and cap as every other list."""
    from portal.directory import queries

    with app.app_context():
        for n in range(30):
            factories.firm(name_th=f"กิจการ{n:02d} ปลากัด")
        for n in range(5):
            factories.firm(name_th=f"กิจการ{n:02d} กาแฟ")
        db.session.commit()

    def shown(**params):
        page = client.get("/directory/", query_string={"q": "ปลากัด", "sort": sort, "lang": "en", **params})
        text = page.get_data(as_text=True)
        names = re.findall(r'<h2 class="firm-name"><a [^>]+>(?:<span lang="th">)?([^<]+)', text)
        return text, [name.split()[0] for name in names]

    expected = [f"กิจการ{n:02d}" for n in (range(30) if sort == "name" else range(29, -1, -1))]
    first, names = shown()
    assert "30 firms found" in first and "Page 1 of 2" in first and names == expected[:24]
    second, names = shown(page=2)
    assert "Page 2 of 2" in second and names == expected[24:]
    monkeypatch.setattr(queries, "PER_PAGE", 5)
    monkeypatch.setattr(queries, "COUNT_CAP", 10)
    capped, names = shown()
    assert "More than 10 firms found" in capped and "Page 1 of 2" in capped and names == expected[:5]
    second, names = shown(page=2)
    assert "Page 2 of 2" in second and names == expected[5:10]
    past, names = shown(page=3)  # past the cap: page 1
    assert "Page 1 of 2" in past and names == expected[:5]
    monkeypatch.setattr(queries, "COUNT_CAP", 30)  # exactly the cap: counted whole
    whole, _names = shown()
    assert "30 firms found" in whole and "Page 1 of 6" in whole
    nothing, names = shown(q="ไม่มีคำนี้")
    assert names == [] and "0 firms found" in nothing and "No firm matches" in nothing


def _shown(client, query, sort, lang="en", **params):
    """The directory's page for these words in this order: its text, and the first word of each firm's name."""
    page = client.get("/directory/", query_string={"q": query, "sort": sort, "lang": lang, **params})
    text = page.get_data(as_text=True)
    return text, [name.split()[0] for name in
                  re.findall(r'<h2 class="firm-name"><a [^>]+>(?:<span lang="th">)?([^<]+)', text)]


@pytest.mark.parametrize("cap, shown", [(10, "6 firms found"), (5, "More than 5 firms found"),
                                        (2, "More than 2 firms found")])
def test_a_search_sorted_by_date_counts_the_word_inside_longer_words_too(app, client, monkeypatch, cap, shown):
    """Sorted by date, the firms with the word whole are counted first (PostgreSQL's postings, SQLite's table of
    words), and only when they are not more than the cap is every match counted (the word inside longer words
    too): the count is the same either way, as it is best match first."""
    from portal.directory import queries

    with app.app_context():
        for n in range(3):
            factories.firm(name_th=f"กขค{n} ปู")
            factories.firm(name_th=f"งจฉ{n} ปูน")
        factories.firm(name_th="ชซฌ กาแฟ")
        db.session.commit()
    monkeypatch.setattr(queries, "COUNT_CAP", cap)
    for sort in ("newest", "relevance", "name"):
        assert shown in _shown(client, "ปู", sort)[0], sort


def test_a_search_sorted_by_date_finds_its_page_beyond_the_newest_firms(app, client, monkeypatch):
    """On SQLite a search sorted by date looks for its page among the newest firms first (_among_newest); when
    they do not hold it (here the newest firms have none of the words), the page is read the sorted way:
    the same firms, in the same order, as when they do."""
    from datetime import timedelta

    from portal.directory import queries

    start = utcnow() - timedelta(days=100)
    with app.app_context():
        for n in range(30):
            factories.firm(name_th=f"กิจการ{n:02d} ปลากัด", created_at=start + timedelta(hours=n))
        for n in range(30):
            factories.firm(name_th=f"ร้าน{n:02d} กาแฟ", created_at=start + timedelta(days=10, hours=n))
        db.session.commit()
    expected = [f"กิจการ{n:02d}" for n in range(29, -1, -1)]
    for per_row in (40, 1):  # the newest 960 firms hold the page; the newest 24 do not
        monkeypatch.setattr(queries, "NEWEST_FIRST_PER_ROW", per_row)
        text, names = _shown(client, "ปลากัด", "newest")
        assert "30 firms found" in text and names == expected[:24], per_row
        text, names = _shown(client, "ปลากัด", "newest", page=2)
        assert names == expected[24:], per_row


def _by_name(client, query, **params):
    return _shown(client, query, **{"sort": "name", **params})


def test_with_more_matches_than_the_window_a_search_by_name_sorts_the_window_and_says_so(app, client, monkeypatch):
    """Sorted by name, a search orders the matches search.rank finds for its window (up to RANK_WINDOW) by name:
    the pages are that window in name order, and the page says that not every match is sorted. With no more
    matches than the window, no such notice (every match is sorted: the test above)."""
    from portal.directory import queries
    from portal.search import rank

    with app.app_context():
        for n in range(8):  # created in the opposite of name order: the window (found in id order) is the last names
            factories.firm(name_th=f"กิจการ{7 - n:02d} ปลากัด")
        db.session.commit()
    monkeypatch.setattr(queries, "PER_PAGE", 2)
    monkeypatch.setattr(queries, "COUNT_CAP", 4)
    text, names = _by_name(client, "ปลากัด")
    assert "More firms match than can be sorted by name: 8 of them" not in text
    monkeypatch.setattr(rank, "RANK_WINDOW", 5)
    window = sorted(f"กิจการ{7 - n:02d}" for n in range(5))  # กิจการ03 … กิจการ07
    text, names = _by_name(client, "ปลากัด")
    assert names == window[:2] and "More than 4 firms found" in text and "Page 1 of 2" in text
    assert "More firms match than can be sorted by name: 5 of them are in name order here" in text
    assert "Only the first 4 can be browsed" not in text  # one notice, not two
    _text, names = _by_name(client, "ปลากัด", page=2)
    assert names == window[2:4]
    thai, _names = _by_name(client, "ปลากัด", lang="th")
    assert "ที่นี่เรียงตามชื่อ 5 รายการ" in thai
    best, _names = _shown(client, "ปลากัด", "relevance")  # best match first: the window needs no notice
    assert "than can be sorted by name" not in best and "Only the first 4 can be browsed" in best


def test_a_search_by_name_beyond_the_window_keeps_whole_words_first(app, client, monkeypatch):
    """The window of a search sorted by name is filled with the firms that have the word whole before those
    that have it inside a longer word (ปู, crab, inside ปูน, cement), as best match first fills it."""
    from portal.search import rank

    with app.app_context():
        for n in range(3):
            factories.firm(name_th=f"กขค{n} ปูน")  # first in id order and in name order
        for n in range(3):
            factories.firm(name_th=f"งจฉ{n} ปู")
        db.session.commit()
    assert _by_name(client, "ปู")[1] == ["กขค0", "กขค1", "กขค2", "งจฉ0", "งจฉ1", "งจฉ2"]  # every match, by name
    monkeypatch.setattr(rank, "RANK_WINDOW", 3)
    assert _by_name(client, "ปู")[1] == ["งจฉ0", "งจฉ1", "งจฉ2"]


def count_queries(app, client, url):
    response, ran = get_counting(app, client, url)
    assert response.status_code == 200
    return ran


SEARCH_COLUMNS = ("search_text", "words_name", "words_products", "words_body")


@pytest.mark.parametrize("url", ["/directory/", "/directory/?q=ปลากัด", "/directory/?q=ปลากัด&sort=name",
                                 "/directory/?q=ปลากัด&sort=newest", "/clusters/betta",
                                 "/clusters/betta/members/upstream", "/api/v1/firms"])
def test_lists_of_firms_read_no_search_columns(app, client, url):
    """The search columns are about 40 % of a firm's row and only SQL needs them: a list's rows leave them out
    (portal.firms.queries.listed), and the page still shows its firms."""
    from sqlalchemy import event

    with app.app_context():
        betta = factories.cluster("betta")
        firm = factories.firm(name_th="ฟาร์มปลากัดบางกอก", name_en="Bangkok Betta Farm", products_th="ปลากัดสายพันธุ์แท้")
        factories.membership(firm, betta, Position.UPSTREAM)
        db.session.commit()
        engine = db.engine
    rows = []

    def seen(_conn, _cursor, statement, *_args):
        # the statements that read firms' own columns: their name is always among them
        if "firms.name_th" in statement and "FROM firms" in statement.replace("\n", " "):
            rows.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        response = client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert response.status_code == 200
    assert "ฟาร์มปลากัดบางกอก" in response.get_data(as_text=True) or "Bangkok Betta Farm" in response.get_data(
        as_text=True)
    assert rows
    selected = [statement.split("FROM")[0] for statement in rows]  # a search's own criteria read them, after FROM
    assert not [columns for columns in selected for column in SEARCH_COLUMNS if f"firms.{column}" in columns]


def test_a_firm_listed_then_changed_is_found_by_its_new_words(app, client):
    """A firm read as lists read it (without its search columns) and then edited in the same session is saved
    with search columns computed from its new fields: the new name is found, the old one no longer."""
    from portal.directory.queries import Filters, search

    with app.app_context():
        factories.firm(name_th="ฟาร์มปลากัดบางกอก")
        db.session.commit()
    with app.test_request_context("/"):
        from flask_login import AnonymousUserMixin

        page = search(Filters(q="ปลากัด"), AnonymousUserMixin(), "th")
        firm = page.rows[0]
        firm.name_th = "สวนกล้วยไม้ดอยสูง"
        db.session.commit()
    assert names(client, "กล้วยไม้") == {"สวนกล้วยไม้ดอยสูง"}
    assert names(client, "ปลากัด") == set()


@pytest.mark.parametrize("url", ["/directory/", "/directory/?q=ปลากัด", "/directory/?q=ผม", "/directory/?q=ปลากัด+ผม",
                                 "/directory/?q=ปลากัด&sort=name", "/directory/?q=ปลากัด&sort=newest",
                                 "/directory/?cluster=betta&position=upstream&province=10&sort=newest",
                                 "/clusters/betta"])
def test_query_count_is_small_and_does_not_grow_with_the_data(app, client, url):
    def add(n):
        with app.app_context():
            betta = factories.cluster("betta")
            for i in range(n):
                firm = factories.firm(name_th=f"ฟาร์มปลากัด ผมดี {i}", province_code="10")
                factories.membership(firm, betta, list(Position)[i % 3])
            db.session.commit()

    add(10)
    count_queries(app, client, url)  # the first request fills the in-memory province and cluster lists
    few = count_queries(app, client, url)
    add(100)
    # fewer is allowed: on SQLite a page sorted by date that the newest firms hold is one statement fewer
    # (_among_newest: with 10 firms the page is short and read the sorted way)
    assert count_queries(app, client, url) <= few
    assert few <= 5
