"""portal.glossary.queries: what the search asks. alternatives() widens each term of a query with its
other-language forms (words and 2-3 word phrases, both directions, active entries only) in one query;
translations() gives the whole query in the other language."""
import pytest
from sqlalchemy import event

from portal.db import utcnow
from portal.extensions import db
from portal.glossary import queries
from portal.glossary.models import GlossaryEntry
from portal.search import normalise, terms


def add(th, en, retired=False):
    entry = GlossaryEntry(term_th=th, term_en=en, key_th=normalise(th), key_en=normalise(en),
                          retired_at=utcnow() if retired else None)
    db.session.add(entry)
    db.session.flush()
    return entry


@pytest.fixture
def glossary(ctx):
    for th, en in [("ทุเรียน", "durian"), ("ทุเรียนหมอนทอง", "monthong durian"), ("มะพร้าว", "coconut"),
                   ("น้ำมะพร้าว", "coconut water"), ("น้ำ", "water"), ("คอสเพลย์", "cosplay"),
                   ("ปลากัด", "betta"), ("ปลากัด", "betta fish"), ("ปลากัด", "Siamese Fighting Fish"),
                   ("ปลากัดป่า", "wild betta"), ("กล้วยไม้", "orchid")]:
        add(th, en)
    add("กล้วยไม้", "orchids", retired=True)


def test_no_terms_no_query(ctx):
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert queries.alternatives([]) == []
        assert queries.translations([]) == []
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert statements == []


@pytest.mark.parametrize(("query", "expected"), [
    ("durian", [["durian", "ทุเรียน"]]),                       # English -> Thai
    ("ทุเรียน", [["ทุเรียน", "durian"]]),                      # Thai -> English
    ("มะพร้าว", [["มะพร้าว", "coconut"]]),
    ("cosplay", [["cosplay", "คอสเพลย์"]]),
    ("คอสเพลย์", [["คอสเพลย์", "cosplay"]]),
    ("ปลากัด", [["ปลากัด", "betta", "betta fish", "siamese fighting fish"]]),  # several, oldest first, normalised
    ("betta", [["betta", "ปลากัด"]]),
    ("orchid", [["orchid", "กล้วยไม้"]]),
    ("orchids", [["orchids"]]),                                  # retired entries do not count
    ("mango", [["mango"]]),                                      # unknown word: itself only
    ("DURIAN  Cosplay", [["durian", "ทุเรียน"], ["cosplay", "คอสเพลย์"]]),
])
def test_alternatives_both_directions(glossary, query, expected):
    assert queries.alternatives(terms(query)) == expected


def test_a_phrase_adds_its_translation_to_each_of_its_terms(glossary):
    assert queries.alternatives(["coconut", "water"]) == [["coconut", "มะพร้าว", "น้ำมะพร้าว"],
                                                          ["water", "น้ำ", "น้ำมะพร้าว"]]
    assert queries.alternatives(["fresh", "monthong", "durian"]) == [
        ["fresh"], ["monthong", "ทุเรียนหมอนทอง"], ["durian", "ทุเรียน", "ทุเรียนหมอนทอง"]]
    assert queries.alternatives(["siamese", "fighting", "fish", "farm"]) == [
        ["siamese", "ปลากัด"], ["fighting", "ปลากัด"], ["fish", "ปลากัด"], ["farm"]]
    # a phrase only counts as consecutive terms
    assert queries.alternatives(["water", "coconut"]) == [["water", "น้ำ"], ["coconut", "มะพร้าว"]]


def test_keys_are_matched_as_typed_by_staff_and_normalised(ctx):
    add("  ทุเรียน\u200b", "  Monthong   DURIAN ")
    assert queries.alternatives(terms("monthong durian")) == [["monthong", "ทุเรียน"], ["durian", "ทุเรียน"]]
    assert queries.alternatives(terms("ทุเรียน")) == [["ทุเรียน", "monthong durian"]]


def test_alternatives_is_one_query(glossary):
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        queries.alternatives(terms("siamese fighting fish coconut water durian cosplay orchid"))
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 1


def test_translations_of_a_whole_query(glossary):
    assert queries.translations(["durian"]) == ["ทุเรียน"]
    assert queries.translations(["ทุเรียน"]) == ["durian"]
    assert queries.translations(["coconut", "water"]) == ["น้ำมะพร้าว"]  # the phrase, not its words
    assert queries.translations(["ปลากัด"]) == ["betta", "betta fish", "siamese fighting fish"]
    assert queries.translations(["cosplay", "shop", "durian"]) == ["คอสเพลย์", "ทุเรียน"]
    assert queries.translations(["mango"]) == []
    assert queries.translations(["orchids"]) == []


def test_listing_filters_by_words_and_state(glossary):
    def listed(words="", status="active"):
        return [e.key_en for e in db.session.scalars(queries.listing(words, status))]

    assert "orchids" not in listed() and "orchid" in listed()
    assert listed(status="retired") == ["orchids"]
    assert len(listed(status="all")) == 12
    assert listed("COCONUT") == ["coconut", "coconut water"]
    assert listed("มะพร้าว") == ["coconut", "coconut water"]
    assert listed("orchid", "all") == ["orchid", "orchids"]
    assert listed("100%_") == []
