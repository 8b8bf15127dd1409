"""Search across Thai and English (issue 19): the glossary's pairs widen every search, in the directory and on
the board; staff add a pair and the very next search uses it; a retired pair no longer does; a search that
finds nothing offers its words, and its corrections, in the other language where they find something.

Through the pages, on SQLite and PostgreSQL alike (CI runs the suite on both).
"""
import re
from datetime import timedelta

import pytest

from portal.collab.models import CollabRequest, Kind
from portal.extensions import db
from portal.glossary.models import GlossaryEntry
from portal.search import normalise
from portal.thai import bangkok_today
from tests import factories
from tests.helpers import body, signed_in

PAIRS = [("ทุเรียน", "durian"), ("มะพร้าว", "coconut"), ("น้ำมะพร้าว", "coconut water"), ("คอสเพลย์", "cosplay"),
         ("ปลากัด", "betta")]


def listed(client, path, query, lang="th") -> list[str]:
    page = body(client.get(path, query_string={"q": query, "lang": lang}))
    return re.findall(r'class="firm-name"><a [^>]+>(?:<span lang="\w+">)?([^<]+)', page)


@pytest.fixture
def world(app):
    with app.app_context():
        for th, en in PAIRS:
            db.session.add(GlossaryEntry(term_th=th, term_en=en, key_th=normalise(th), key_en=normalise(en)))
        factories.firm(name_th="สวนทุเรียนหมอนทองจันทบุรี")                             # Thai only
        factories.firm(name_th="ไร่สามพราน", products_en="Coconut water, fresh and bottled")  # English only
        factories.firm(name_th="น้ำมะพร้าวน้ำหอมราชบุรี")                                 # Thai only
        factories.firm(name_th="Siam Cosplay Studio")
        factories.firm(name_th="ร้านผ้าไหมไทย", description_en="Silk from Surin")
        poster = factories.firm(name_th="สหกรณ์ชาวสวนระยอง")
        db.session.add(CollabRequest(firm_id=poster.id, kind=Kind.JOINT_SELLING, title_th="รวมกลุ่มส่งออกทุเรียน",
                                     expires_on=bangkok_today() + timedelta(days=30)))
        db.session.commit()


def test_a_foreign_buyer_finds_firms_that_wrote_only_thai(client, world):
    assert listed(client, "/directory/", "durian", lang="en") == ["สวนทุเรียนหมอนทองจันทบุรี"]
    assert listed(client, "/directory/", "DURIAN", lang="en") == ["สวนทุเรียนหมอนทองจันทบุรี"]
    assert listed(client, "/requests/", "durian", lang="en") == ["รวมกลุ่มส่งออกทุเรียน"]


def test_a_thai_owner_finds_firms_that_wrote_only_english(client, world):
    assert sorted(listed(client, "/directory/", "มะพร้าว")) == sorted(["ไร่สามพราน", "น้ำมะพร้าวน้ำหอมราชบุรี"])
    assert listed(client, "/directory/", "คอสเพลย์") == ["Siam Cosplay Studio"]


def test_a_phrase_is_translated_whole(client, world):
    found = listed(client, "/directory/", "coconut water", lang="en")
    assert sorted(found) == sorted(["ไร่สามพราน", "น้ำมะพร้าวน้ำหอมราชบุรี"])


def test_the_page_says_which_other_words_it_searched(client, world):
    page = body(client.get("/directory/", query_string={"q": "durian", "lang": "en"}))
    assert "Also searched in the other language: ทุเรียน" in page
    page = body(client.get("/directory/", query_string={"q": "silk", "lang": "en"}))
    assert "Also searched" not in page  # no pair for silk: nothing said


def test_staff_add_a_pair_and_the_next_search_uses_it_then_retire_it(app, client, cast, world):
    assert listed(client, "/directory/", "silk", lang="en") == ["ร้านผ้าไหมไทย"]
    assert listed(client, "/directory/", "ผ้าไหม") == ["ร้านผ้าไหมไทย"]
    assert listed(client, "/directory/", "ไหม") == ["ร้านผ้าไหมไทย"]
    with app.app_context():
        factories.firm(name_th="Surin Silk House")
        db.session.commit()
    assert listed(client, "/directory/", "ผ้าไหม") == ["ร้านผ้าไหมไทย"]  # no pair yet: Surin Silk House missed
    staff = signed_in(app, cast.email("staff"))
    assert staff.post("/admin/glossary/?lang=en", data={"term_th": "ผ้าไหม", "term_en": "silk"}).status_code == 302
    assert sorted(listed(client, "/directory/", "ผ้าไหม")) == sorted(["Surin Silk House", "ร้านผ้าไหมไทย"])
    with app.app_context():
        entry = db.session.query(GlossaryEntry).filter_by(key_en="silk").one()
        entry_id = entry.id
    response = staff.post(f"/admin/glossary/{entry_id}/retire?lang=en", data={"confirm": "y"})
    assert response.status_code in (200, 302)
    with app.app_context():
        assert not db.session.get(GlossaryEntry, entry_id).is_active
    assert listed(client, "/directory/", "ผ้าไหม") == ["ร้านผ้าไหมไทย"]


def test_no_result_offers_the_correction_in_the_other_language(app, client, world):
    page = body(client.get("/directory/", query_string={"q": "duriann", "lang": "en"}))
    assert "No firm matches “duriann”." in page
    links = re.findall(r'<li><a href="([^"]+)" rel="nofollow">([^<]+)</a></li>', page)
    assert ("durian" in [text for _href, text in links]) and ("ทุเรียน" in [text for _href, text in links])
    href = dict((text, h) for h, text in links)["ทุเรียน"]
    followed = body(client.get(href.replace("&amp;", "&")))
    assert "สวนทุเรียนหมอนทองจันทบุรี" in followed


def test_nothing_in_either_language_says_so_without_dead_links(client, world):
    page = body(client.get("/directory/", query_string={"q": "zzqx", "lang": "th"}))
    assert "ไม่พบ" in page or "No firm" in page
    assert 'rel="nofollow"' not in page  # no suggestion that would find nothing
