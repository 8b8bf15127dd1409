"""Search as a person typing Thai or English expects it (issue 19): the same word however it was typed,
whole words before parts of words, best match first, in the directory and on the request board.

Through the pages, on SQLite and PostgreSQL alike (CI runs the suite on both).
"""
import os
import re
from datetime import timedelta

import pytest

from portal.collab.models import CollabRequest, Kind
from portal.db import utcnow
from portal.extensions import db
from portal.search import normalise, terms, words
from portal.thai import bangkok_today, thai_sort_key
from tests import factories

CARD_NAME = re.compile(r'class="firm-name"><a [^>]+>(?:<span lang="\w+">)?([^<]+)')  # a card's name or title


def listed(client, path, query, **params) -> list[str]:
    """The names (directory) or titles (board) on the page, in the order shown."""
    response = client.get(path, query_string={"q": query, "lang": "th", **params})
    assert response.status_code == 200
    return CARD_NAME.findall(response.get_data(as_text=True))


def directory(client, query, **params):
    return listed(client, "/directory/", query, **params)


def board(client, query, **params):
    return listed(client, "/requests/", query, **params)


# --- how Thai is really typed -----------------------------------------------------------------------

@pytest.mark.parametrize("typed, plain", [
    ("เเม่ริม", "แม่ริม"),                          # แ typed as two เ
    ("น\u0e49\u0e4d\u0e32พริก", "น้ำพริก"),           # ำ typed as ํ + า after the tone mark
    ("น\u0e4d\u0e49\u0e32พริก", "น้ำพริก"),           # ... or before it
    ("ก\u0e48\u0e34ง", "กิ่ง"),                       # tone mark typed before the vowel above
    ("ก\u0e48\u0e48อน", "ก่อน"),                      # a tone mark typed twice
    ("๒๕๔๕", "2545"),                                # Thai digits
    ("ปลา\u200bกัด", "ปลากัด"),                       # a zero-width space
    ("ปลา\ufeffกัด\u200d", "ปลากัด"),                 # BOM and zero-width joiner
])
def test_typing_variants_have_one_normal_form(typed, plain):
    assert normalise(typed) == normalise(plain)
    assert terms(typed) == terms(plain)


TYPED_AS_IT_CAME = "ร้าน\u200bน\u0e4d\u0e49\u0e32พริกป้าแดง"  # a zero-width space and ำ in two keys


def test_the_same_word_typed_any_way_finds_the_same_firms(app, client):
    with app.app_context():
        factories.firm(name_th="น้ำพริกแม่ริม", description_th="ก่อตั้งปี 2545 กิ่งพันธุ์ไม้")
        factories.firm(name_th=TYPED_AS_IT_CAME, description_th="สูตรตั้งแต่ ๒๕๓๐")
        factories.firm(name_th="สวนส้มเขียวหวาน")
        db.session.commit()
    both = ["น้ำพริกแม่ริม", TYPED_AS_IT_CAME]  # names are shown as they were typed
    for typed in ("น้ำพริก", "น\u0e49\u0e4d\u0e32พริก", "น\u0e4d\u0e49\u0e32พริก", "น้ำพริก\u200b"):
        assert sorted(directory(client, typed)) == sorted(both), typed
    assert directory(client, "เเม่ริม") == ["น้ำพริกแม่ริม"]
    assert directory(client, "๒๕๔๕") == directory(client, "2545") == ["น้ำพริกแม่ริม"]
    assert directory(client, "2530") == [TYPED_AS_IT_CAME]  # stored in Thai digits, found in Arabic
    assert directory(client, "ก\u0e48\u0e34ง") == ["น้ำพริกแม่ริม"]


# --- words, not just letters --------------------------------------------------------------------------

def test_thai_text_is_cut_into_dictionary_words():
    assert words("ฟาร์มปลากัดบางกอก Betta Fish, farm.") == ["ฟาร์ม", "ปลากัด", "บางกอก", "betta", "fish", "farm"]
    assert "ปู" in words("ร้านขายปูสดมหาชัย") and "ปู" not in words("ปูนซีเมนต์ก่อสร้างไทย")


def test_a_whole_word_comes_before_the_same_letters_inside_another_word(app, client):
    with app.app_context():
        factories.firm(name_th="ปูนซีเมนต์ก่อสร้างไทย")              # ปูน: cement
        factories.firm(name_th="ร้านขายปูสดมหาชัย")                  # ปู: crab, in the name
        factories.firm(name_th="ครัวริมน้ำ", description_th="อาหารทะเล ปูผัดผงกะหรี่")  # crab, in the description
        db.session.commit()
    assert directory(client, "ปู") == ["ร้านขายปูสดมหาชัย", "ครัวริมน้ำ", "ปูนซีเมนต์ก่อสร้างไทย"]
    # Real compounds are still found, as words: ปลากัด inside ฟาร์มปลากัดบางกอก.
    with app.app_context():
        factories.firm(name_th="ฟาร์มปลากัดบางกอก")
        db.session.commit()
    assert directory(client, "ปลากัด") == ["ฟาร์มปลากัดบางกอก"]
    assert directory(client, "ฟาร์มปลากัด") == ["ฟาร์มปลากัดบางกอก"]


# --- best match first ---------------------------------------------------------------------------------

@pytest.fixture
def betta_firms(app):
    with app.app_context():
        factories.firm(name_th="อุปกรณ์เลี้ยงปลาสวยงาม", description_th="เหมาะกับปลากัดทุกสายพันธุ์")
        factories.firm(name_th="ร้านอาหารปลาสยาม", products_th="ไรแดงสำหรับปลากัด")
        factories.firm(name_th="ฟาร์มปลากัดนนทบุรี")
        factories.firm(name_th="ฟาร์มปลากัดส่งออกบางกอก", products_th="ปลากัดเกรดส่งออก")
        factories.firm(name_th="บริษัทส่งออกผลไม้ไทย")
        db.session.commit()


def test_name_before_products_before_description(client, betta_firms):
    assert directory(client, "ปลากัด") == [
        "ฟาร์มปลากัดส่งออกบางกอก", "ฟาร์มปลากัดนนทบุรี",   # in the name (tied: the complete profile first)
        "ร้านอาหารปลาสยาม",                               # in the products
        "อุปกรณ์เลี้ยงปลาสวยงาม",                           # in the description
    ]


def test_every_word_before_some(client, betta_firms):
    found = directory(client, "ปลากัด ส่งออก")
    assert found[0] == "ฟาร์มปลากัดส่งออกบางกอก"       # both words
    assert set(found[1:]) == {"ฟาร์มปลากัดนนทบุรี", "ร้านอาหารปลาสยาม", "อุปกรณ์เลี้ยงปลาสวยงาม",
                              "บริษัทส่งออกผลไม้ไทย"}   # one of them
    # ... the best of those first: one of the words in the name (tied: name order)
    assert found[1:3] == ["บริษัทส่งออกผลไม้ไทย", "ฟาร์มปลากัดนนทบุรี"]


def test_verified_then_complete_profiles_break_ties(app, client):
    with app.app_context():
        factories.firm(name_th="กขฟาร์มกล้วยไม้ ก")
        factories.firm(name_th="กขฟาร์มกล้วยไม้ ข", verified_at=utcnow())
        factories.firm(name_th="กขฟาร์มกล้วยไม้ ค", name_en="Orchid Farm C", products_th="ไม้ตัดดอก",
                       description_th="ส่งทั่วประเทศ")
        db.session.commit()
    assert directory(client, "กล้วยไม้") == ["กขฟาร์มกล้วยไม้ ข", "กขฟาร์มกล้วยไม้ ค", "กขฟาร์มกล้วยไม้ ก"]


def test_without_words_or_with_a_chosen_order_the_order_is_as_chosen(client, betta_firms):
    by_name = directory(client, "")
    assert by_name == sorted(by_name, key=thai_sort_key)
    assert directory(client, "ปลากัด", sort="name")[0] == "ฟาร์มปลากัดนนทบุรี"
    assert directory(client, "ปลากัด", sort="name")[-1] == "อุปกรณ์เลี้ยงปลาสวยงาม"
    assert directory(client, "ปลากัด", sort="newest")[0] == "ฟาร์มปลากัดส่งออกบางกอก"
    assert directory(client, "ปลากัด", sort="relevance") == directory(client, "ปลากัด")
    assert directory(client, "", sort="relevance") == by_name  # no words: nothing to rank by


def test_the_sort_menu_offers_best_match_and_says_which_order_is_shown(client, betta_firms):
    page = client.get("/directory/", query_string={"q": "ปลากัด", "lang": "en"}).get_data(as_text=True)
    assert re.search(r'<option value="relevance" selected>Best match', page)
    page = client.get("/directory/", query_string={"lang": "th"}).get_data(as_text=True)
    assert re.search(r'<option value="name" selected>', page)


# --- the request board --------------------------------------------------------------------------------

@pytest.fixture
def requests_posted(app):
    with app.app_context():
        poster = factories.firm(name_th="สหกรณ์ประมงมหาชัย")
        today, now = bangkok_today(), utcnow()
        for n, (title, details, quantity) in enumerate([
            ("หาผู้ซื้อปูนซีเมนต์", "ส่งได้ทุกเดือน", None),
            ("หาคู่ค้าอาหารทะเล", "มีปูม้าและปูดำ และ ปู สด", None),
            ("หาผู้ซื้อปูสดรายใหญ่", "ส่งทั่วประเทศ", "500 กิโลกรัม"),
            ("หาผู้ผลิตบรรจุภัณฑ์", "กล่องใส่อาหารทะเล", "ปู 200 กล่อง"),
        ]):
            db.session.add(CollabRequest(firm_id=poster.id, kind=Kind.JOINT_SELLING, title_th=title, details_th=details,
                                         quantity=quantity, expires_on=today + timedelta(days=30),
                                         created_at=now - timedelta(hours=n)))
        db.session.commit()


def test_the_board_ranks_like_the_directory(client, requests_posted):
    assert board(client, "ปู") == ["หาผู้ซื้อปูสดรายใหญ่",   # a word of the title
                                   "หาผู้ผลิตบรรจุภัณฑ์",      # of the quantity
                                   "หาคู่ค้าอาหารทะเล",        # of the details
                                   "หาผู้ซื้อปูนซีเมนต์"]       # part of a word only
    assert board(client, "ปู", sort="newest") == ["หาผู้ซื้อปูนซีเมนต์", "หาคู่ค้าอาหารทะเล",
                                                  "หาผู้ซื้อปูสดรายใหญ่", "หาผู้ผลิตบรรจุภัณฑ์"]
    assert board(client, "ปู\u200b") == board(client, "ปู")
    assert board(client, "หาผู้ซื้อ ปู")[0] == "หาผู้ซื้อปูสดรายใหญ่"


# --- matches inside longer words, said so ---------------------------------------------------------------

INSIDE_NOTE = {"th": "พบเป็นส่วนหนึ่งของคำอื่นเท่านั้น", "en": "Found only inside longer words"}


def noted(client, path, query, lang="th", **params) -> list[tuple[str, bool]]:
    """(name or title, whether the card says the words are found only inside longer words), in the order shown."""
    response = client.get(path, query_string={"q": query, "lang": lang, **params})
    assert response.status_code == 200
    cards = re.findall(r'<article class="firm-card[^"]*">(.*?)</article>', response.get_data(as_text=True), re.S)
    shown = []
    for card in cards:
        name = CARD_NAME.search(card).group(1)
        note = re.findall(r'<p class="match-note">([^<]*)</p>', card)
        assert note in ([], [INSIDE_NOTE[lang]]), note  # in the page's language
        shown.append((name, bool(note)))
    return shown


def test_a_match_only_inside_longer_words_says_so_in_the_directory(app, client):
    """Issue 19: letter-level matches come clearly below whole words. Ranked below them, and each such card says
    so, in the page's language; a glossary form (tea for ชา) counts as a term."""
    from portal.glossary.models import GlossaryEntry

    with app.app_context():
        db.session.add(GlossaryEntry(term_th="ชา", term_en="tea", key_th="ชา", key_en="tea"))
        factories.firm(name_th="ปูนซีเมนต์ก่อสร้างไทย")                                # ปูน: cement
        factories.firm(name_th="ร้านขายปูสดมหาชัย")                                    # ปู: crab, in the name
        factories.firm(name_th="ครัวริมน้ำ", description_th="อาหารทะเล ปูผัดผงกะหรี่")     # in the description
        factories.firm(name_th="โรงงานชาสมุนไพร")                                     # ชา: tea, a word
        factories.firm(name_th="ร้านสีธรรมชาติ")                                       # ชา inside ธรรมชาติ
        factories.firm(name_th="Team Steam Works")                                    # tea inside team, steam
        db.session.commit()
    assert noted(client, "/directory/", "ปู") == [("ร้านขายปูสดมหาชัย", False), ("ครัวริมน้ำ", False),
                                                  ("ปูนซีเมนต์ก่อสร้างไทย", True)]
    assert noted(client, "/directory/", "ปู", lang="en")[-1] == ("ปูนซีเมนต์ก่อสร้างไทย", True)
    # a term whole is enough: ก่อสร้าง is a word of the cement firm's name
    assert noted(client, "/directory/", "ปู ก่อสร้าง") == [("ปูนซีเมนต์ก่อสร้างไทย", False),
                                                          ("ร้านขายปูสดมหาชัย", False), ("ครัวริมน้ำ", False)]
    found = noted(client, "/directory/", "ชา")
    assert found[0] == ("โรงงานชาสมุนไพร", False)
    assert sorted(found[1:]) == [("Team Steam Works", True), ("ร้านสีธรรมชาติ", True)]
    assert noted(client, "/directory/", "tea", lang="en")[0] == ("โรงงานชาสมุนไพร", False)
    # sorted by name or date, or with no words, the list is not ranked: nothing to say
    assert not any(note for _name, note in noted(client, "/directory/", "ปู", sort="name"))
    assert not any(note for _name, note in noted(client, "/directory/", "ปู", sort="newest"))
    assert not any(note for _name, note in noted(client, "/directory/", ""))


def test_a_match_only_inside_longer_words_says_so_on_the_board(client, requests_posted):
    assert noted(client, "/requests/", "ปู") == [("หาผู้ซื้อปูสดรายใหญ่", False), ("หาผู้ผลิตบรรจุภัณฑ์", False),
                                                 ("หาคู่ค้าอาหารทะเล", False), ("หาผู้ซื้อปูนซีเมนต์", True)]
    assert not any(note for _title, note in noted(client, "/requests/", "ปู", sort="newest"))


def test_a_query_without_a_word_marks_nothing_inside_words():
    """Punctuation only: no term can stand whole, so no match is told apart as "inside longer words"."""
    from portal.search.rank import has_words

    assert has_words([["%"]]) is False and has_words([["-", '"', "%"]]) is False
    assert has_words([["ปู"]]) is True and has_words([["%", "ชา"]]) is True and has_words([]) is False


@pytest.fixture
def board_of_many_kinds(app, requests_posted):
    """Beside requests_posted's four open requests: one past its date, one closed, one hidden, one with
    quotes, percent and an underscore in its title, and one in English."""
    from portal.collab.models import RequestStatus

    with app.app_context():
        poster = factories.firm(name_th="บริษัทแปรรูปปูไทย")
        today = bangkok_today()
        for title, status, expires, hidden in [
            ("หาผู้ซื้อปูแช่แข็ง", RequestStatus.OPEN, today - timedelta(days=1), False),
            ("หาผู้ซื้อปูกระป๋อง", RequestStatus.CLOSED, today + timedelta(days=30), False),
            ("หาผู้ซื้อปูนิ่ม", RequestStatus.OPEN, today + timedelta(days=30), True),
            ('ลด 50% "ปู_ม้า" ทั้งล็อต', RequestStatus.OPEN, today + timedelta(days=30), False),
            ("Soft-shell crab buyers wanted", RequestStatus.OPEN, today + timedelta(days=30), False),
        ]:
            db.session.add(CollabRequest(firm_id=poster.id, kind=Kind.JOINT_SELLING, title_th=title, status=status,
                                         expires_on=expires, hidden_at=utcnow() if hidden else None))
        db.session.commit()


@pytest.mark.parametrize("query", ["ปู", "ปูน", "หาผู้ซื้อ ปู", "หาผู้ซื้อ ทะเล", "ทะเล", "50%", '"ปู_ม้า"', "_", "ก",
                                   "crab", "CRAB shell", "ไม่มีคำนี้"])
@pytest.mark.parametrize("sort", ["", "newest", "closing"])
def test_the_open_board_finds_the_same_requests_testing_their_text_as_through_the_index(
        client, board_of_many_kinds, monkeypatch, query, sort):
    """On SQLite a search of the open requests tests each one's text when the words are in many requests
    (collab.queries._scan_ways); the same requests come back in the same order as through the index."""
    from portal.collab import queries

    monkeypatch.setattr(queries, "SCAN_OPEN_OVER", 10 ** 9)  # never: the search index
    through_index = board(client, query, sort=sort)
    monkeypatch.setattr(queries, "SCAN_OPEN_OVER", 0)  # always, on SQLite: each open request's text
    assert board(client, query, sort=sort) == through_index
    # each open request's text for any term, the index for every term (a common word and a rare one)
    scan_ways = queries._scan_ways
    monkeypatch.setattr(queries, "_scan_ways", lambda filters: (scan_ways(filters)[0], False))
    assert board(client, query, sort=sort) == through_index


def test_the_open_board_tests_the_text_only_of_open_requests_and_only_for_words_in_many(app, board_of_many_kinds,
                                                                                         monkeypatch):
    from portal.collab import queries
    from portal.collab.queries import BoardFilters

    monkeypatch.setattr(queries, "SCAN_OPEN_OVER", 4)
    with app.test_request_context():
        on_sqlite = db.session.get_bind().dialect.name == "sqlite"
        in_many = BoardFilters(q="หาผู้ซื้อ")  # in 5 requests (closed, past its date and hidden included)
        in_few = BoardFilters(q="ทะเล")  # in 2
        assert queries._scan_ways(in_many)[0] is on_sqlite
        assert queries._scan_ways(in_few)[0] is False
        assert queries._scan_ways(BoardFilters(q="หาผู้ซื้อ", status="all"))[0] is False  # every request ever posted
        assert queries._scan_ways(BoardFilters())[0] is False  # no words
        # the requests with every term, counted apart: หาผู้ซื้อ and ทะเล are in no request together, หาผู้ซื้อ and ปู
        # in 5 (closed, past its date and hidden included)
        assert queries._scan_ways(BoardFilters(q="หาผู้ซื้อ ทะเล")) == (on_sqlite, False)
        assert queries._scan_ways(BoardFilters(q="หาผู้ซื้อ ปู")) == (on_sqlite, on_sqlite)
        assert queries._scan_ways(BoardFilters(q="หาผู้ซื้อ")) == (on_sqlite, on_sqlite)


@pytest.fixture
def a_busy_board(app):
    """90 requests a minute apart, the newest first: the newest 75 open, closed and past their date in turn
    (25 open), then 15 older ones open: 40 open requests. Returns their titles, newest first."""
    from portal.collab.models import RequestStatus

    with app.app_context():
        poster = factories.firm(name_th="ตลาดกลางสินค้าเกษตร")
        today, now = bangkok_today(), utcnow()
        for n in range(90):
            state = ("open", "closed", "expired")[n % 3] if n < 75 else "open"
            db.session.add(CollabRequest(
                firm_id=poster.id, kind=Kind.JOINT_SELLING, title_th=f"คำขอที่ {n:02d}",
                created_at=now - timedelta(minutes=n),
                status=RequestStatus.CLOSED if state == "closed" else RequestStatus.OPEN,
                expires_on=today - timedelta(days=1) if state == "expired" else today + timedelta(days=30)))
        db.session.commit()
        return [f"คำขอที่ {n:02d}" for n in range(90) if n >= 75 or n % 3 == 0]


@pytest.mark.parametrize("per_row", [1, 2, 8, 10 ** 6])
def test_the_boards_newest_open_requests_are_the_same_looked_for_among_the_newest_or_sorted(
        client, a_busy_board, monkeypatch, per_row):
    """On SQLite a page of the open board, newest first, is first looked for among the newest requests
    (collab.queries._among_newest): a part too small for the page (per_row 1 or 2 here) is read the sorted
    way, so every page is the same whatever its size."""
    from portal.collab import queries

    monkeypatch.setattr(queries, "NEWEST_FIRST_PER_ROW", per_row)
    assert len(a_busy_board) == 40
    assert [board(client, "", page=n) for n in (1, 2)] == [a_busy_board[:20], a_busy_board[20:]]
    assert board(client, "คำขอที่", sort="newest", page=2) == a_busy_board[20:]


# --- bounded work -------------------------------------------------------------------------------------

def test_ranking_looks_at_a_bounded_window_that_starts_with_records_having_every_term(app, client, monkeypatch):
    from portal.search import rank

    with app.app_context():
        for n in range(4):
            factories.firm(name_th=f"ร้านกาแฟคั่วบด {n}")           # one of the two words, found first
        factories.firm(name_th="ร้านกาแฟดอยช้าง", description_th="ส่งออกกาแฟ")  # both words, registered last
        db.session.commit()
    monkeypatch.setattr(rank, "RANK_WINDOW", 3)
    found = directory(client, "กาแฟ ส่งออก")
    assert found[0] == "ร้านกาแฟดอยช้าง"                      # every word: in the window and first
    assert len(found) == 3                                    # only the window is ranked and shown
    monkeypatch.setattr(rank, "RANK_WINDOW", 2000)
    assert len(directory(client, "กาแฟ ส่งออก")) == 5
    page = client.get("/directory/", query_string={"q": "กาแฟ ส่งออก", "lang": "en"}).get_data(as_text=True)
    assert "5 firms found" in page


def test_the_window_is_larger_than_what_can_be_browsed():
    """Otherwise a full window could not tell "1,000 firms" from "more than 1,000"."""
    from portal.listing import COUNT_CAP
    from portal.search.rank import RANK_WINDOW

    assert RANK_WINDOW > COUNT_CAP


@pytest.mark.parametrize("query", ["ปลากัด", "ปลากัด ส่งออก"])
@pytest.mark.parametrize("firms, shown", [(5, "5 firms found"), (6, "More than 5 firms found"),
                                          (7, "More than 5 firms found")])
def test_a_window_one_over_the_cap_tells_the_cap_from_more(app, client, monkeypatch, query, firms, shown):
    """The window is what can be browsed and one more (search.rank.RANK_WINDOW = COUNT_CAP + 1): as many matches
    as the cap are counted whole, one more says "more than", for one term and for several, best match first and
    by name. Every match can be browsed up to the cap, the best first."""
    from portal.directory import queries as directory_queries
    from portal.search import rank

    with app.app_context():
        for n in range(firms):
            if n % 2:
                factories.firm(name_th=f"ร้านค้า {n}", description_th="ปลากัด ส่งออก")
            else:
                factories.firm(name_th=f"ร้าน ปลากัด {n}", description_th="ส่งออก")
        db.session.commit()
    monkeypatch.setattr(directory_queries, "COUNT_CAP", 5)
    monkeypatch.setattr(directory_queries, "PER_PAGE", 5)
    monkeypatch.setattr(rank, "RANK_WINDOW", 6)
    for sort in ("", "name"):
        page = client.get("/directory/", query_string={"q": query, "sort": sort, "lang": "en"}).get_data(as_text=True)
        assert shown in page
        names = re.findall(r'class="firm-name"><a [^>]+>(?:<span lang="\w+">)?([^<]+)', page)
        assert len(names) == 5
        if not sort and firms == 5:  # the word in the name before the word in the description
            assert names[:3] == ["ร้าน ปลากัด 0", "ร้าน ปลากัด 2", "ร้าน ปลากัด 4"]


def test_a_querys_score_is_built_once_and_follows_its_words():
    """The relevance expression is kept per query (words, glossary forms, database, part of the search): the
    same query gets the same expression; a glossary form added, another database or the every-term-whole
    variant gets its own, which scores the new form."""
    from portal.firms.models import Firm
    from portal.search.rank import relevance

    first = relevance(Firm, [["ปลากัด"]], "sqlite")
    assert relevance(Firm, ["ปลากัด"], "sqlite") is first  # a plain term is a group of one
    widened = relevance(Firm, [["ปลากัด", "betta"]], "sqlite")
    others = [widened, relevance(Firm, [["ปลากัด"]], "postgresql"), relevance(Firm, [["ปลากัด"]], "sqlite", True)]
    assert all(other is not first for other in others) and len({id(other) for other in others}) == 3
    assert "betta" in str(widened.compile(compile_kwargs={"literal_binds": True}))
    assert "betta" not in str(first.compile(compile_kwargs={"literal_binds": True}))


# --- every term, with its other-language forms ---------------------------------------------------------

EVERY_TERM_FIRMS = {  # name: text beside it (products)
    "ฮาลาลส่งออก": None, "ฟาร์ม halal": "export", "ร้านฮาลาล": "ผลไม้ export", "halal kitchen": "ส่งออกทั่วโลก",
    "ร้านฮาลาลในเมือง": None, "export house": None, "ส่งออกข้าว": "ข้าวหอม", "ฮาลา ลส่ง ออก": None,
    "ร้านผม": "ฮาลาล ส่งออก", "ผมดี": "halal", "ทั่วไป": "export ส่งออก",
}


@pytest.mark.parametrize("query, groups", [
    ("two terms, two forms each", [["ฮาลาล", "halal"], ["ส่งออก", "export"]]),
    ("a term of one form", [["ฮาลาล", "halal"], ["export"]]),
    ("three terms", [["ฮาลาล", "halal"], ["ส่งออก", "export"], ["ร้าน", "ฟาร์ม"]]),
    ("a two-letter term among them", [["ฮาลาล", "halal"], ["ผม"]]),
    ("a two-letter form in a group", [["ผม", "halal"], ["ส่งออก", "export"]]),
    ("two two-letter terms", [["ผม"], ["ดี"]]),
])
def test_every_term_finds_the_records_with_one_form_of_each_term(app, query, groups, monkeypatch):
    """search.sql.matches_all: on PostgreSQL the forms of two terms are asked as combinations, one of each term
    (other queries, and too many combinations, as they are): the same records as "one form of each term"."""
    from sqlalchemy import select

    from portal.firms.models import Firm
    from portal.search import sql

    with app.app_context():
        for name, products in EVERY_TERM_FIRMS.items():
            factories.firm(name_th=name, products_th=products)
        db.session.commit()
        dialect = db.session.get_bind().dialect.name
        oracle = sorted(firm.name_th for firm in db.session.scalars(select(Firm))
                        if all(any(form in firm.search_text for form in group) for group in groups))
        assert oracle  # each case finds some records, and not all
        assert len(oracle) < len(EVERY_TERM_FIRMS)
        for combinations in (sql.MAX_COMBINATIONS, 1):  # combined, then too many to combine
            monkeypatch.setattr(sql, "MAX_COMBINATIONS", combinations)
            criterion = sql.matches_all(Firm, groups, dialect, "firms_fts")
            assert sorted(db.session.scalars(select(Firm.name_th).where(criterion))) == oracle, combinations


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"), reason="PostgreSQL only")
@pytest.mark.parametrize("groups", [[["ฮาลาล", "halal"], ["export"], ["ร้าน", "ฟาร์ม"]],
                                    [["ฮาลาล", "halal"], ["ส่งออก", "export"], ["ร้าน", "ฟาร์ม"]],
                                    [["ฮาลาล"], ["export"], ["ร้าน"]]])
@pytest.mark.parametrize("sampled", [True, False])
def test_every_term_is_asked_of_the_trigram_index_two_terms_together(app, groups, sampled):
    """search.sql.matches_all on PostgreSQL: two terms are asked of the trigram index together in each of its
    scans, and the others tested on the records found (terms of one form each are all asked in one scan). Left to
    itself, the planner drove by whichever term it took for the rarest, alone (a word absent from its statistics'
    sample is 1 in 10,000 rows to it), and read every record with that term: at 1,000,000 firms the 33,228 with
    premium, to find none with organic and betta. Here, without statistics, the single-form term (export) looks
    rarest: it fails with the plain criterion, whose one scan then asks export alone. The same with patterns the
    planner does not sample (search.sql._like), to which each pattern is 1 in 200 rows."""
    from sqlalchemy import select

    from portal.firms.models import Firm
    from portal.search import sql

    with app.app_context():
        for name, products in EVERY_TERM_FIRMS.items():
            factories.firm(name_th=name, products_th=products)
        db.session.commit()
        query = select(Firm.id).where(sql.matches_all(Firm, groups, "postgresql", "firms_fts", sampled=sampled))
        with sql.index_first_then(db.session):
            compiled = query.compile(dialect=db.session.get_bind().dialect)
            plan = db.session.connection().exec_driver_sql("EXPLAIN " + str(compiled), compiled.params).scalars().all()
            found = db.session.scalars(query).all()
        scans = [line for line in plan if "Index Cond" in line]
        assert scans and all(line.count("~~") >= 2 for line in scans), plan
        assert len(found) == sum(all(any(form in firm.search_text for form in group) for group in groups)
                                 for firm in db.session.scalars(select(Firm)))
        db.session.rollback()


@pytest.mark.parametrize("cap, shown", [(7, "More than 7 firms found"), (11, "More than 11 firms found"),
                                        (12, "12 firms found"), (20, "12 firms found")])
def test_records_only_counted_are_counted_to_the_cap_and_no_further(app, client, monkeypatch, cap, shown):
    """search.rank._found: records found below a page that others fill are only counted, up to the cap (a part
    reads cap + 1 of them, not the whole window): the count is the same as with every record read."""
    from portal.directory import queries as directory_queries

    with app.app_context():
        for n in range(6):
            factories.firm(name_th=f"ฮาลาล ส่งออก {n}")                            # every term
        for n in range(3):
            factories.firm(name_th=f"ร้าน ฮาลาล {n}")                              # one term
            factories.firm(name_th=f"กิจการ {n}", description_th="ส่งออก อาหาร")    # the other
        db.session.commit()
    monkeypatch.setattr(directory_queries, "PER_PAGE", 4)
    monkeypatch.setattr(directory_queries, "COUNT_CAP", cap)
    page = client.get("/directory/", query_string={"q": "ฮาลาล ส่งออก", "lang": "en"}).get_data(as_text=True)
    assert shown in page
    names = re.findall(r'<h2 class="firm-name"><a [^>]+>(?:<span lang="th">)?([^<]+)', page)
    assert names == [f"ฮาลาล ส่งออก {n}" for n in range(4)]


def test_records_missing_a_term_are_scored_only_when_the_page_reaches_them(app, client, monkeypatch):
    """search.rank: when the records with every term fill the pages up to the one asked for, the others are
    counted but not scored; on a page that reaches them they are ranked by their score (a term in the name
    before a term in the description), not by the order's tie-breakers (the name). Each page is the page
    ranked with every record scored."""
    from portal.directory import queries as directory_queries
    from portal.search import rank

    with app.app_context():
        for n in range(6):
            factories.firm(name_th=f"ฮาลาล ส่งออก {n}")                            # every term
        for n in range(3):
            factories.firm(name_th=f"ร้าน ฮาลาล {n}")                              # one term, in the name
            factories.firm(name_th=f"กิจการ {n}", description_th="อาหาร ฮาลาล")     # one term, described
        db.session.commit()
    monkeypatch.setattr(directory_queries, "PER_PAGE", 4)
    scored = rank._found

    def every_record_scored(queries, wanted, cap, kept_as=None):
        return scored(queries, 10 ** 9, cap, kept_as)

    pages = [directory(client, "ฮาลาล ส่งออก", page=page) for page in (1, 2, 3)]
    monkeypatch.setattr(rank, "_found", every_record_scored)
    assert pages == [directory(client, "ฮาลาล ส่งออก", page=page) for page in (1, 2, 3)]
    assert pages[1][2:] == ["ร้าน ฮาลาล 0", "ร้าน ฮาลาล 1"] and pages[2][0] == "ร้าน ฮาลาล 2"
    assert pages[2][1:] == ["กิจการ 0", "กิจการ 1", "กิจการ 2"]


def reference_score(firm, groups) -> int:
    """search.rank.relevance's definition, computed here from the firm's stored search columns."""
    from portal.search.rank import FOUND, IN_BODY, IN_NAME, IN_PRODUCTS, PART_OF_NAME
    from portal.search.text import word_text

    score = 0
    for group in groups:
        if len(groups) > 1 and any(s in firm.search_text for s in group):
            score += FOUND
        whole = [word_text(s) for s in group if word_text(s)]
        if not whole:
            continue
        for column, points in ((firm.words_name, IN_NAME), (firm.words_products, IN_PRODUCTS),
                               (firm.words_body, IN_BODY)):
            if any(w in column for w in whole):
                score += points
                break
        else:
            score += PART_OF_NAME if any(s in firm.words_name for s in group) else 0
    return score


@pytest.mark.parametrize("query", ["ปลา organic", "ปลากัด fish farm", "farm ปลา กัด", "organic premium betta",
                                   "ฟาร์มปลากัด ส่งออก", "bettas ปลาก", "ปลาก ฟาร์"])
def test_a_records_score_is_its_terms_found_and_their_best_place(app, query):
    """The score of every record, as SQL computes it, against the definition: FOUND for each term in its text (with
    several terms), then 40 / 20 / 10 for a term whole in the name / products / description, 1 for its letters
    inside a word of the name. Awkward records: punctuation between words, a compound cut into words, a word written
    apart, capitals, a possessive, a term in no field. A term of one word is not looked for in the words of a
    record whose text lacks it (its words are cut from that text): the same score. The score tells whether any term
    stands whole (search.rank.only_inside_words), also when two terms are each inside a word of the name (ปลาก ฟาร์:
    with 8 / 4 / 2 / 1 their two points were a word of the description's)."""
    from sqlalchemy import select

    from portal.directory.queries import Filters
    from portal.firms.models import Firm
    from portal.search import relevance
    from portal.search.rank import only_inside_words
    from portal.search.text import word_text

    with app.app_context():
        for name, products, description in [
            ("ฟาร์มปลากัดบางกอก", "Organic feed", "fish-farm ส่งออก"), ("ร้านปลา", None, "premium betta's"),
            ("ปลา กัด farm", "อินทรีย์", None), ("Betta Fish Farm", "ปลากัด", "organic, premium"),
            ("สวนผัก", None, None), ("ปลาก", "bettas", "ปลากะพง"),
        ]:
            factories.firm(name_th=name, products_th=products, description_th=description)
        db.session.commit()
        with app.test_request_context("/"):
            groups = Filters(q=query).groups
            dialect = db.session.get_bind().dialect.name
            scored = db.session.execute(select(Firm, relevance(Firm, groups, dialect))).all()
        assert len(scored) == 6
        for firm, score in scored:
            assert score == reference_score(firm, groups), (firm.name_th, groups)
            # and the score tells a record with a term whole from one with the terms only inside longer words
            whole = any(f in column for group in groups for f in (word_text(s) for s in group) if f
                        for column in (firm.words_name, firm.words_products, firm.words_body))
            assert only_inside_words(score) is not whole, (firm.name_th, groups)
