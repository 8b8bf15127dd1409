"""Public pages: home, the cluster list, each cluster's value chain, members by position, error pages."""
import re

import pytest
from sqlalchemy import event

from config import TestConfig
from portal import create_app
from portal.clusters.models import MembershipStatus, Position
from portal.db import utcnow
from portal.extensions import db
from portal.seed.reference import CLUSTERS
from tests import factories
from tests.test_directory import count_queries

SLUGS = [row[0] for row in CLUSTERS]


def text_of(response) -> str:
    return response.get_data(as_text=True)


def column(body: str, position: str) -> str:
    match = re.search(rf'<section class="chain-column" id="{position}".*?</section>', body, re.S)
    assert match, f"no {position} column"
    return match.group(0)


@pytest.fixture
def betta_members(app):
    """Betta fish: a breeder-exporter (two positions), a grader, and firms that must not show."""
    with app.app_context():
        _betta_members()


def _betta_members():
    betta = factories.cluster("betta")
    breeder = factories.firm(name_th="ฟาร์มปลากัดบางกอก", name_en="Bangkok Betta Farm", verified_at=utcnow())
    grader = factories.firm(name_th="คัดเกรดปลากัดนครปฐม", province_code="73")
    factories.membership(breeder, betta, Position.UPSTREAM, Position.DOWNSTREAM)
    factories.membership(grader, betta, Position.MIDSTREAM)
    hidden = factories.firm(name_th="ร้านที่ถูกซ่อน", hidden_at=utcnow())
    factories.membership(hidden, betta, Position.UPSTREAM)
    private = factories.firm(name_th="ร้านที่ไม่ยินยอมเผยแพร่", public_listing_consent_at=None)
    factories.membership(private, betta, Position.UPSTREAM)
    pending = factories.firm(name_th="ฟาร์มที่รออนุมัติ")
    factories.membership(pending, betta, Position.UPSTREAM, status=MembershipStatus.PENDING)
    cosplay_only = factories.firm(name_th="สตูดิโอคอสเพลย์")
    factories.membership(cosplay_only, factories.cluster("cosplay"), Position.MIDSTREAM)
    db.session.commit()


def test_home_lists_every_cluster_with_figures(client, betta_members):
    body = text_of(client.get("/?lang=en"))
    for slug in SLUGS:
        assert f'href="/clusters/{slug}"' in body
    assert re.search(r"<strong>8</strong>\s*clusters", body)
    # Member firms: every firm with an approved membership, listed publicly or not (5); public listings: those
    # anyone may see listed (breeder, grader, cosplay studio). Not the hidden, private or pending ones.
    assert re.search(r"<strong[^>]*>5</strong>\s*member firms now", body)
    assert re.search(r"<strong[^>]*>3</strong>\s*public listings", body)


def test_cluster_list_counts_member_firms_as_the_results_do(client, betta_members):
    body = text_of(client.get("/clusters/?lang=en"))
    betta = re.search(r'href="/clusters/betta">.*?</li>', body, re.S).group(0)
    assert "4 member firms" in betta  # breeder, grader, and the hidden and the private listing
    agritech = re.search(r'href="/clusters/agritech">.*?</li>', body, re.S).group(0)
    assert "0 member firms" in agritech


def test_cluster_page_groups_members_by_position_with_counts(client, betta_members):
    body = text_of(client.get("/clusters/betta?lang=th"))
    upstream, midstream, downstream = (column(body, p) for p in ("upstream", "midstream", "downstream"))
    assert "ต้นน้ำ" in upstream and "1 กิจการ" in upstream and "ฟาร์มปลากัดบางกอก" in upstream
    assert "กลางน้ำ" in midstream and "1 กิจการ" in midstream and "คัดเกรดปลากัดนครปฐม" in midstream
    assert "ปลายน้ำ" in downstream and "ฟาร์มปลากัดบางกอก" in downstream  # a firm in two positions
    for absent in ("ร้านที่ถูกซ่อน", "ร้านที่ไม่ยินยอมเผยแพร่", "ฟาร์มที่รออนุมัติ", "สตูดิโอคอสเพลย์"):
        assert absent not in body
    assert "ยืนยันแล้ว" in upstream  # the verified badge
    assert "สมาคมปลากัดแห่งประเทศไทย" in body
    assert "มหาวิทยาลัยเทคโนโลยีพระจอมเกล้าพระนครเหนือ" in body


def test_english_page_uses_english_names_and_marks_thai_fallbacks(client, betta_members):
    body = text_of(client.get("/clusters/betta?lang=en"))
    assert "Bangkok Betta Farm" in body
    assert '<span lang="th">คัดเกรดปลากัดนครปฐม</span>' in body  # no English name: Thai, marked as Thai
    assert "Nakhon Pathom" in body


def test_empty_position_is_shown_as_a_gap(client):
    body = text_of(client.get("/clusters/agritech?lang=en"))
    for position in ("upstream", "midstream", "downstream"):
        assert "0 firms" in column(body, position)
        assert "a gap where partners are needed" in column(body, position)


@pytest.mark.parametrize("slug", SLUGS)
def test_every_cluster_page_renders_in_both_languages(client, slug):
    for lang in ("th", "en"):
        response = client.get(f"/clusters/{slug}?lang={lang}")
        assert response.status_code == 200
        assert f'<html lang="{lang}">' in text_of(response)


def test_members_page_paginates_in_thai_order(client, app):
    with app.app_context():
        betta = factories.cluster("betta")
        names = [f"ฟาร์ม{n:03d}" for n in range(30)] + ["กาแฟ", "เกม", "ไก่"]
        for name in names:
            factories.membership(factories.firm(name_th=name), betta, Position.UPSTREAM)
        db.session.commit()
    per_page = app.config["PAGE_SIZE"]
    first = text_of(client.get("/clusters/betta/members/upstream?lang=th"))
    assert "33 กิจการ" in first
    shown = re.findall(r'<h2 class="firm-name"><a [^>]+>([^<]+)</a></h2>', first)
    assert shown[:3] == ["กาแฟ", "เกม", "ไก่"] and len(shown) == per_page
    assert 'rel="next"' in first and "หน้า 1 จาก 2" in first
    second = text_of(client.get("/clusters/betta/members/upstream?page=2&lang=th"))
    assert len(re.findall(r'class="firm-name"', second)) == 33 - per_page
    detail = text_of(client.get("/clusters/betta?lang=en"))
    assert "See all 33 firms at this position" in detail


def test_cluster_page_query_count_does_not_grow_with_members(client, app):
    """Eager loading: the page costs the same number of queries with 3 members or 30."""
    with app.app_context():
        engine = db.engine

    def queries_for_page():
        count = 0

        def count_it(*args):
            nonlocal count
            count += 1

        event.listen(engine, "before_cursor_execute", count_it)
        try:
            assert client.get("/clusters/betta").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count_it)
        return count

    def add_members(n):
        with app.app_context():
            betta = factories.cluster("betta")
            for i in range(n):
                firm = factories.firm(province_code=["20", "50", "73"][i % 3])
                factories.membership(firm, betta, list(Position)[i % 3])
            db.session.commit()

    add_members(3)
    queries_for_page()  # the first request fills the in-memory province list
    few = queries_for_page()
    add_members(30)
    assert queries_for_page() == few
    assert few <= 5


@pytest.mark.parametrize(
    "url",
    ["/clusters/no-such-cluster", "/clusters/betta/members/sideways", "/nowhere"],
)
def test_unknown_pages_are_translated_404s(client, url):
    sep = "&" if "?" in url else "?"
    thai = client.get(f"{url}{sep}lang=th")
    assert thai.status_code == 404
    assert "ไม่พบหน้าที่ต้องการ" in text_of(thai)
    english = client.get(f"{url}{sep}lang=en")
    assert english.status_code == 404 and "Page not found" in text_of(english)


def test_wrong_method_is_a_translated_405(client):
    response = client.post("/clusters/?lang=th")
    assert response.status_code == 405
    assert "ไม่อนุญาต" in text_of(response)


def test_unexpected_error_is_a_translated_500(database_url):
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        PROPAGATE_EXCEPTIONS = False

    app = create_app(Config)

    @app.get("/__boom")
    def boom():
        raise RuntimeError("boom")

    response = app.test_client().get("/__boom?lang=th")
    assert response.status_code == 500
    assert "เกิดข้อผิดพลาด" in text_of(response)
    assert "RuntimeError" not in text_of(response)


def test_static_assets_are_local(client):
    body = text_of(client.get("/"))
    assert not re.search(r'(src|href)="(https?:)?//', body.replace('href="http://localhost/', ""))
    assert client.get("/favicon.ico").status_code == 200
    assert client.get("/static/css/portal.css").status_code == 200
    assert client.get("/static/fonts/noto-sans-thai-thai-400-normal.woff2").status_code == 200


def test_signed_in_members_also_see_firms_without_public_consent(app, betta_members):
    with app.app_context():
        factories.user(email="viewer@example.com")
        db.session.commit()
    anonymous = text_of(app.test_client().get("/clusters/betta"))
    member = app.test_client()
    factories.sign_in(member, "viewer@example.com")
    signed_in = text_of(member.get("/clusters/betta"))
    assert "ร้านที่ไม่ยินยอมเผยแพร่" not in anonymous
    assert "ร้านที่ไม่ยินยอมเผยแพร่" in signed_in
    assert "ร้านที่ถูกซ่อน" not in signed_in  # hidden stays hidden


def test_gap_view_lists_positions_with_few_or_no_members(client, betta_members):
    page = text_of(client.get("/clusters/betta?lang=en"))
    gaps = re.search(r'<section class="panel" aria-labelledby="gaps-heading">.*?</section>', page, re.S).group(0)
    assert "Where partners are missing" in gaps
    assert "Upstream: only 1 member firm." in gaps
    assert "Midstream: only 1 member firm." in gaps
    assert "Downstream: only 1 member firm." in gaps
    empty = text_of(client.get("/clusters/agritech?lang=en"))
    assert "Upstream: no member firms yet." in empty


def test_members_page_count_stops_at_the_cap(client, app, monkeypatch):
    """Counting stops at COUNT_CAP, as in the directory: a cluster of 30,000 costs what one of 1,000 does,
    and the page says "more than" and points to the directory, which narrows further."""
    import portal.clusters.queries as cluster_queries

    with app.app_context():
        betta = factories.cluster("betta")
        for n in range(5):
            factories.membership(factories.firm(name_th=f"ฟาร์ม{n}"), betta, Position.UPSTREAM)
        db.session.commit()
    monkeypatch.setattr(cluster_queries, "COUNT_CAP", 3)
    body = text_of(client.get("/clusters/betta/members/upstream?lang=en"))
    assert "More than 3 firms found" in body
    assert "/directory/?cluster=betta&amp;position=upstream" in body
    assert len(re.findall(r'class="firm-name"', body)) == 5
    beyond = client.get("/clusters/betta/members/upstream?page=2&lang=en")  # no page 2: page 1 (portal.listing)
    assert beyond.status_code == 200 and len(re.findall(r'class="firm-name"', text_of(beyond))) == 5


# --- counts over the cap -----------------------------------------------------------------------------

def _upstream_members(app, public: int, signed_in_only: int = 0):
    with app.app_context():
        betta = factories.cluster("betta")
        for n in range(public):
            factories.membership(factories.firm(name_th=f"ฟาร์มสาธารณะ{n}"), betta, Position.UPSTREAM)
        for n in range(signed_in_only):
            factories.membership(factories.firm(name_th=f"ฟาร์มสมาชิก{n}", public_listing_consent_at=None), betta,
                                 Position.UPSTREAM)
        db.session.commit()


def test_a_column_over_the_cap_says_more_than_the_cap(client, app, monkeypatch):
    """Counted up to the cap + 1, a column said "4 firms" of 5 with a cap of 3 (the largest bench cluster:
    "1,001 firms" at each position, of more than 10,000)."""
    import portal.clusters.queries as cluster_queries

    _upstream_members(app, public=5)
    monkeypatch.setattr(cluster_queries, "COUNT_CAP", 3)
    upstream = column(text_of(client.get("/clusters/betta?lang=en")), "upstream")
    assert "More than 3 firms" in upstream and "See all firms at this position" in upstream
    assert "4 firms" not in upstream and "See all 4" not in upstream
    thai = column(text_of(client.get("/clusters/betta?lang=th")), "upstream")
    assert "มากกว่า 3 กิจการ" in thai and "ดูกิจการทั้งหมดในตำแหน่งนี้" in thai
    monkeypatch.setattr(cluster_queries, "COUNT_CAP", 5)  # exactly the cap: counted whole
    upstream = column(text_of(client.get("/clusters/betta?lang=en")), "upstream")
    assert "5 firms" in upstream and "More than" not in upstream


@pytest.fixture
def counts_kept(app, monkeypatch):
    """The counts cache on, as in production, and empty (another test's clusters had the same ids)."""
    from portal import reference

    monkeypatch.setitem(app.config, "COUNTS_CACHE_SECONDS", 60)
    reference.forget("chain-full:")
    yield
    reference.forget("chain-full:")


def test_a_count_over_the_cap_is_not_counted_again_meanwhile(client, app, monkeypatch, counts_kept):
    """Every position over the cap: the next visit reads no count (one statement fewer), and says the same."""
    import portal.clusters.queries as cluster_queries

    _upstream_members(app, public=4)
    with app.app_context():
        betta = factories.cluster("betta")
        for position in (Position.MIDSTREAM, Position.DOWNSTREAM):
            for n in range(4):
                factories.membership(factories.firm(name_th=f"ฟาร์ม{position.value}{n}"), betta, position)
        db.session.commit()
    monkeypatch.setattr(cluster_queries, "COUNT_CAP", 3)
    from portal import reference

    count_queries(app, client, "/clusters/betta")  # the in-memory reference data, once
    reference.forget("chain-full:")
    first = count_queries(app, client, "/clusters/betta?lang=en")
    second = count_queries(app, client, "/clusters/betta?lang=en")
    assert second == first - 1
    assert "More than 3 firms" in column(text_of(client.get("/clusters/betta?lang=en")), "downstream")
    members = text_of(client.get("/clusters/betta/members/upstream?lang=en"))
    assert "More than 3 firms found" in members


def test_a_count_under_the_cap_is_always_counted(client, app, monkeypatch, counts_kept):
    """A small cluster shows a firm joining at once, counts kept or not."""
    import portal.clusters.queries as cluster_queries

    _upstream_members(app, public=2)
    monkeypatch.setattr(cluster_queries, "COUNT_CAP", 3)
    assert "2 firms" in column(text_of(client.get("/clusters/betta?lang=en")), "upstream")
    _upstream_members(app, public=1)
    for _visit in range(2):  # exactly the cap is not over it: counted again
        upstream = column(text_of(client.get("/clusters/betta?lang=en")), "upstream")
        assert "3 firms" in upstream and "More than" not in upstream


def test_the_public_and_signed_in_members_counts_are_kept_apart(client, app, monkeypatch, counts_kept):
    """Five firms listed for members, two of them for the public: a member's "more than 3" is not the
    public's figure."""
    import portal.clusters.queries as cluster_queries

    _upstream_members(app, public=2, signed_in_only=3)
    with app.app_context():
        factories.user(email="member@example.com")
        db.session.commit()
    monkeypatch.setattr(cluster_queries, "COUNT_CAP", 3)
    member = app.test_client()
    factories.sign_in(member, "member@example.com")
    assert "More than 3 firms" in column(text_of(member.get("/clusters/betta?lang=en")), "upstream")
    assert "2 firms" in column(text_of(client.get("/clusters/betta?lang=en")), "upstream")
    public = text_of(client.get("/clusters/betta/members/upstream?lang=en"))
    assert "<p>2 firms</p>" in public and "More than" not in public


# --- a cluster page's statements, built once a shape --------------------------------------------------

@pytest.mark.parametrize("order", [("visitor", "member"), ("member", "visitor")])
def test_a_cluster_pages_kept_statements_follow_the_audience_the_language_and_the_cluster(app, order):
    """clusters.queries keeps the counts' and the first firms' statements by shape (positions, audience,
    language), with the cluster's id as a parameter: whoever asks first, a visitor never sees the firm without
    public consent and a member does, each language in its own name order, and each cluster its own members.
    Built once: the second cluster of the same shape builds nothing."""
    from portal.clusters import queries as cluster_queries

    with app.app_context():
        betta, cosplay = factories.cluster("betta"), factories.cluster("cosplay")
        for name_th, name_en in (("ฟาร์มข", "Alpha Farm"), ("ฟาร์มก", "Zulu Farm")):
            factories.membership(factories.firm(name_th=name_th, name_en=name_en), betta, Position.UPSTREAM)
        factories.membership(factories.firm(name_th="ฟาร์มเฉพาะสมาชิก", public_listing_consent_at=None), betta,
                             Position.UPSTREAM)
        factories.membership(factories.firm(name_th="สตูดิโอคอสเพลย์"), cosplay, Position.UPSTREAM)
        factories.user(email="member@example.com")
        db.session.commit()
    cluster_queries._counts_statement.cache_clear()
    cluster_queries._firsts_statement.cache_clear()
    clients = {"visitor": app.test_client(), "member": app.test_client()}
    factories.sign_in(clients["member"], "member@example.com")
    clients["member"].get("/")  # the sign-in's message
    for who in order:
        for lang in ("th", "en", "th"):
            upstream = column(text_of(clients[who].get(f"/clusters/betta?lang={lang}")), "upstream")
            names = re.findall(r'class="firm-name"><a [^>]+>(?:<span lang="th">)?([^<]+)<', upstream)
            expected = {  # English names in English order; a firm without one by its Thai name (sort_en), first
                ("visitor", "th"): ["ฟาร์มก", "ฟาร์มข"], ("visitor", "en"): ["Alpha Farm", "Zulu Farm"],
                ("member", "th"): ["ฟาร์มก", "ฟาร์มข", "ฟาร์มเฉพาะสมาชิก"],
                ("member", "en"): ["ฟาร์มเฉพาะสมาชิก", "Alpha Farm", "Zulu Farm"],
            }[who, lang]
            assert names == expected, (who, lang)
            assert "สตูดิโอคอสเพลย์" not in upstream
    built = cluster_queries._firsts_statement.cache_info().misses
    assert built == 4  # two audiences, two languages
    cosplay_page = column(text_of(clients["visitor"].get("/clusters/cosplay?lang=th")), "upstream")
    assert "สตูดิโอคอสเพลย์" in cosplay_page and "ฟาร์มก" not in cosplay_page
    assert cluster_queries._firsts_statement.cache_info().misses == built
