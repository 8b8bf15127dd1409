"""No dead ends: the search vocabulary, "did you mean", and the panel an empty directory or board search shows."""
import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.clusters.models import Position
from portal.collab.models import CollabRequest, Kind
from portal.db import utcnow
from portal.extensions import db
from portal.search import terms
from portal.search.suggest import distance, suggestions
from portal.search.vocabulary import SearchWord, clean_word, vocabulary_words
from portal.thai import bangkok_today
from tests import factories
from tests.helpers import body, signed_in


def vocabulary() -> dict[str, int]:
    return dict(db.session.execute(select(SearchWord.word, SearchWord.records)).all())


def suggest(query: str, exists=lambda words: True) -> list[str]:
    return suggestions(terms(query), exists)


def did_you_mean(page: str) -> list[tuple[str, str]]:
    """(link, text) of each did-you-mean link on a page."""
    block = re.search(r'aria-labelledby="did-you-mean">(.*?)</ul>', page, re.S)
    if not block:
        return []
    return [(html.unescape(href), html.unescape(text))
            for href, text in re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', block.group(1))]


def request_of(firm, title_th, **values):
    request = CollabRequest(firm_id=firm.id, kind=Kind.SEEKING_SUPPLIER, position_sought=Position.UPSTREAM,
                            title_th=title_th, expires_on=bangkok_today() + timedelta(days=30), **values)
    db.session.add(request)
    db.session.flush()
    return request


# --- the vocabulary -------------------------------------------------------------------------------------

def test_words_kept_skip_short_numeric_and_long_ones():
    assert vocabulary_words("Betta (halfmoon), 2024 x 12.5 ฟาร์มปลากัด " + "a" * 41) == {
        "betta", "halfmoon", "ฟาร์ม", "ปลากัด"}
    assert clean_word("“betta”") == "betta" and clean_word("๒๕๖๙") is None and clean_word("a" * 40) == "a" * 40


def test_vocabulary_follows_inserts_and_updates_in_the_same_transaction(ctx):
    firm = factories.firm(name_th="ฟาร์มปลากัดบางกอก", name_en="Bangkok Betta Farm 2024")
    assert {"ฟาร์ม", "ปลากัด", "บางกอก", "bangkok", "betta", "farm"} <= set(vocabulary())
    assert "2024" not in vocabulary()
    firm.products_en = "Halfmoon plakat"
    db.session.flush()
    assert {"halfmoon", "plakat"} <= set(vocabulary())
    request_of(firm, "หารถขนส่ง", quantity="500 ตัว/เดือน")
    assert {"รถ", "ขนส่ง", "ตัว", "เดือน"} <= set(vocabulary())
    db.session.rollback()  # the words go with the transaction that wrote them
    assert vocabulary() == {}


def test_forgetting_words_keeps_those_a_record_still_uses_whole(ctx):
    """forget_unused (after an erasure): a word goes only when no firm or request has it among its words; having
    it inside a longer word, or with an edge mark, does not keep it; a request's word counts as a firm's."""
    from portal.search.vocabulary import forget_unused

    firm = factories.firm(name_th="ฟาร์มปลา", name_en="Halfmoons plakat_x 100%", products_en="“guppy”")
    request_of(firm, "หารถขนส่ง", details_en="halfmoon tails")
    firm.products_en, firm.name_en = "guppies", "Halfmoons"
    db.session.flush()
    assert {"halfmoon", "plakat_x", "guppy", "halfmoons"} <= set(vocabulary())  # kept on flush, until forgotten
    assert forget_unused(db.session, ["halfmoon", "plakat_x", "guppy", "halfmoons", "never-there"]) == 3
    assert {"halfmoon", "halfmoons"} <= set(vocabulary())  # the request has one, the firm the other
    assert not {"plakat_x", "guppy"} & set(vocabulary())  # inside "guppies", or no longer anywhere


def test_rebuild_command_counts_every_record(app):
    with app.app_context():
        for n in range(3):
            factories.firm(name_th=f"ฟาร์มปลากัด {n}", name_en="Betta Farm" if n else None)
        request_of(factories.firm(name_th="สหกรณ์"), "หาปลากัด")
        db.session.execute(SearchWord.__table__.delete())
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["search", "rebuild-vocabulary", "--batch", "2"])
    assert result.exit_code == 0, result.output
    assert "firms: 4 read" in result.output and "Vocabulary rebuilt" in result.output
    with app.app_context():
        counts = vocabulary()
    assert counts["ปลากัด"] == 4 and counts["betta"] == 2 and counts["สหกรณ์"] == 1 and counts["หา"] == 1


# --- suggestions -----------------------------------------------------------------------------------------

def test_distance_counts_a_swap_as_one_edit():
    assert distance("ปลากดั", "ปลากัด", 2) == 1
    assert distance("bettta", "betta", 2) == 1
    assert distance("abcdef", "uvwxyz", 2) == 3  # beyond the limit: limit + 1


@pytest.mark.parametrize("typed, meant", [
    ("ปลากดั", "ปลากัด"),  # two marks typed in the wrong order
    ("ปลากัท", "ปลากัด"),  # a neighbouring key
    ("ปลากด", "ปลากัด"),  # a mark left out
    ("bettta", "betta"),
    ("Beta", "betta"),
    ("ผ่า", "ผ้า"),  # a 3-letter Thai word with the wrong tone mark
    ("รด", "รถ"),  # a 2-letter Thai word
])
def test_a_mistyped_word_is_corrected(ctx, typed, meant):
    factories.firm(name_th="ฟาร์มปลากัดบางกอก", name_en="Betta Farm", products_th="ผ้า รถ")
    assert suggest(typed) == [meant]


def test_only_the_wrong_term_of_several_is_corrected(ctx):
    factories.firm(name_th="ฟาร์มปลากัดส่งออก", name_en="Betta Export")
    assert suggest("ปลากัด ส่งอออก") == ["ปลากัด ส่งออก"]
    assert suggest("bettta export") == ["betta export"]


def test_closest_first_then_most_used(ctx):
    factories.firm(name_en="Betta farm")
    for _n in range(2):
        factories.firm(name_en="Better fish")
    factories.firm(name_en="Beta testers")
    db.session.commit()
    from portal.search.vocabulary import rebuild

    rebuild(db.session)
    assert suggest("bettar") == ["better", "betta"]  # "better" is used twice; "beta" is 2 edits away


def test_two_edits_away_only_for_longer_words_and_when_nothing_is_closer(ctx):
    factories.firm(name_en="Halfmoon betta")
    assert suggest("halfmun") == ["halfmoon"]
    assert suggest("bta") == []  # 3 letters: one edit at most


def test_nothing_close_means_no_suggestion(ctx):
    factories.firm(name_th="ฟาร์มปลากัด", name_en="Betta Farm")
    assert suggest("zzyzx") == []
    assert suggest("คอมพิวเตอร์") == []
    assert suggest("ปลากัด") == []  # a known word is not corrected


@pytest.mark.parametrize("typed, offered", [
    ("ปลากัดส่งออก", ["ปลากัด ส่งออก"]),        # two words typed as one, as Thai is written
    ("ปลากัดส่งออก ฮาลาล", ["ปลากัด ส่งออก ฮาลาล"]),  # beside another term, kept as typed
    ("ส่งออกbetta", ["ส่งออก betta"]),            # a Thai word and an English one without a space
    ("ปลากดั", ["ปลากัด"]),                      # a mistyped word is corrected, not cut (ปลาก, ดั)
    ("ปลากัดบางกอก", ["ปลากัด บางกอก"]),          # บางกอก is no record's word, but a Thai word: ปลากัด finds
    ("คอมพิวเตอร์มือสอง", []),                     # Thai words, but no record's: nothing to find
    ("betta export", []),                       # English words are typed apart already
])
def test_thai_words_typed_without_a_space_are_offered_apart(ctx, typed, offered):
    """suggest.words_apart: a Thai term that is several known words (segmented as the records are) is offered with
    its words apart, before any correction of it; one whose pieces are not all words is left to the corrections."""
    factories.firm(name_th="ฟาร์มปลากัด", name_en="Betta Farm", products_th="ปลากัด ส่งออก ฮาลาล")
    assert suggest(typed) == offered


def test_words_apart_come_before_corrections_and_only_where_they_find_something(ctx):
    factories.firm(name_th="ฟาร์มปลากัด", products_th="ปลากัด ส่งออก")
    asked = []
    suggest("ปลากัดส่งออก", exists=lambda words: asked.append(words) or False)
    assert asked and asked[0] == ["ปลากัด", "ส่งออก"]
    assert suggest("ปลากัดส่งออก", exists=lambda words: False) == []


def test_only_corrections_that_find_something_are_offered(ctx):
    factories.firm(name_en="Betta Farm")
    assert suggest("bettta", exists=lambda words: False) == []
    asked = []
    suggest("bettta farmm", exists=lambda words: asked.append(words) or True)
    assert asked[0] == ["betta", "farm"]


# --- the pages ---------------------------------------------------------------------------------------------

@pytest.fixture
def directory(app):
    with app.app_context():
        factories.firm(name_th="ฟาร์มปลากัดบางกอก", name_en="Bangkok Betta Farm")
        factories.firm(name_th="ร้านคอสเพลย์ลับ", name_en="Secret Cosplay", hidden_at=utcnow())
        factories.firm(name_th="โรงงานกระดาษสา", name_en="Mulberry Paper Mill", public_listing_consent_at=None)
        factories.user(email="member@example.com")
        db.session.commit()


def test_a_typo_in_the_directory_leads_to_the_firm(app, directory, th):
    client = app.test_client()
    page = body(client.get("/directory/?q=ปลากดั&lang=th"))
    assert th("No firm matches “%(words)s”.", words="ปลากดั") in page
    [(link, text)] = did_you_mean(page)
    assert text == "ปลากัด"
    assert "ฟาร์มปลากัดบางกอก" in body(client.get(link))
    english = body(client.get("/directory/?q=bettta&lang=en"))
    assert "No firm matches “bettta”." in english and "Did you mean:" in english
    [(link, text)] = did_you_mean(english)
    assert text == "betta" and "Bangkok Betta Farm" in body(client.get(link))


def test_hidden_and_members_only_words_are_never_suggested_to_those_who_cannot_see_them(app, directory):
    with app.app_context():
        assert {"คอสเพลย์", "cosplay", "mulberry", "กระดาษสา"} <= set(vocabulary())  # the vocabulary has them
    anonymous = app.test_client()
    for typo in ("คอสเพล", "cosplai", "mulbery", "secrett"):
        page = body(anonymous.get(f"/directory/?q={typo}&lang=en"))
        assert did_you_mean(page) == [], typo
        assert "Secret Cosplay" not in page and "mulberry" not in page.lower()
    member = signed_in(app, "member@example.com")
    assert [text for _link, text in did_you_mean(body(member.get("/directory/?q=mulbery&lang=en")))] == ["mulberry"]
    assert did_you_mean(body(member.get("/directory/?q=cosplai&lang=en"))) == []  # hidden from members too


def test_suggestions_keep_the_filters_and_filters_can_be_cleared(app, directory, th):
    client = app.test_client()
    page = body(client.get("/directory/?q=bettta&province=10&sort=newest&lang=en"))
    [(link, _text)] = did_you_mean(page)
    assert "province=10" in link and "sort=newest" in link and "q=betta" in link
    assert "Search again without the filters" in page
    narrowed = body(client.get("/directory/?q=bettta&province=50&lang=th"))  # no firm there: nothing to suggest
    assert did_you_mean(narrowed) == []
    assert th("Search again without the filters") in narrowed
    assert 'href="/directory/?q=bettta"' in narrowed


def test_other_language_words_are_offered_when_given(app, directory):
    with app.test_request_context("/directory/?q=fish&cluster=betta"):
        from flask import render_template_string

        from portal.directory.queries import Filters
        from portal.listing import words_url

        page = render_template_string(
            '{% from "search/_no_results.html" import no_results %}'
            "{{ no_results('firms', 'directory.index', filters, [], ['ปลา'], search_url) }}",
            filters=Filters(q="fish"), search_url=words_url("directory.index"))
    assert 'aria-labelledby="other-language"' in page and "cluster=betta" in page and "q=%E0%B8%9B" in page


def test_thai_typed_without_spaces_leads_to_the_firms_with_those_words(app, th):
    """The directory and the board: ปลากัดส่งออก (betta export as Thai writes it) is in no text as typed; the page says
    what was searched and offers the words apart, which find the firm and the request that have both words."""
    with app.app_context():
        firm = factories.firm(name_th="ฟาร์มปลากัดบางกอก", products_th="ปลากัด สำหรับ ส่งออก")
        request_of(firm, "หาผู้ส่งออก ปลากัด")
        db.session.commit()
    client = app.test_client()
    page = body(client.get("/directory/?q=ปลากัดส่งออก&lang=th"))
    assert th("No firm matches “%(words)s”.", words="ปลากัดส่งออก") in page
    [(link, text)] = did_you_mean(page)
    assert text == "ปลากัด ส่งออก" and "ฟาร์มปลากัดบางกอก" in body(client.get(link))
    board = body(client.get("/requests/?q=ปลากัดส่งออก&lang=th"))
    [(link, text)] = did_you_mean(board)
    assert text == "ปลากัด ส่งออก" and "หาผู้ส่งออก ปลากัด" in body(client.get(link + "&lang=th"))


def test_the_board_offers_corrections_too(app, th):
    with app.app_context():
        firm = factories.firm(name_th="ฟาร์มปลากัด")
        request_of(firm, "หาฟาร์มปลากัดส่งออก", title_en="Looking for a betta exporter")
        request_of(factories.firm(name_th="ร้านลับ", hidden_at=utcnow()), "หากระดาษสา")
        db.session.commit()
    client = app.test_client()
    page = body(client.get("/requests/?q=exportr&lang=en"))
    assert "No request matches “exportr”." in page
    [(link, text)] = did_you_mean(page)
    assert text == "exporter" and "Looking for a betta exporter" in body(client.get(link + "&lang=en"))
    thai = body(client.get("/requests/?q=ส่งอออก&lang=th"))
    assert th("No request matches “%(words)s”.", words="ส่งอออก") in thai
    assert [text for _link, text in did_you_mean(thai)] == ["ส่งออก"]
    assert did_you_mean(body(client.get("/requests/?q=กระดาษส้า&lang=th"))) == []  # a hidden firm's request
