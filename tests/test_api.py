"""The JSON API (portal/api/): visibility like the pages, filters like the directory's, cursor pages,
ETags, problem+json errors in Thai and English, personal access tokens and the per-token rate limit."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.api import tokens
from portal.api.models import ApiToken
from portal.audit import AuditEntry
from portal.clusters.models import Position
from portal.collab.models import CollabRequest, Kind
from portal.db import utcnow
from portal.extensions import db, limiter
from portal.thai import bangkok_today, fiscal_year
from tests import factories


@pytest.fixture
def world(app):
    """Public and members-only firms, a hidden firm, a member with a token, an open request."""
    with app.app_context():
        betta = factories.cluster("betta")
        public = factories.firm(name_th="ฟาร์มปลากัดสาธารณะ", name_en="Public Betta Farm", phone="+66812345678",
                                email="public@example.com")
        members_only = factories.firm(name_th="ฟาร์มสมาชิกเท่านั้น", public_listing_consent_at=None,
                                      phone="+66811111111")
        hidden = factories.firm(name_th="ฟาร์มที่ถูกซ่อน", hidden_at=utcnow())
        factories.membership(public, betta, Position.UPSTREAM)
        member = factories.user(email="member@example.com")
        own = factories.firm(name_th="กิจการของสมาชิก")
        factories.team_member(own, member)
        factories.membership(own, betta, Position.DOWNSTREAM)
        posted = CollabRequest(firm_id=public.id, cluster_id=betta.id, kind=Kind.SEEKING_SUPPLIER,
                               title_th="หาผู้จัดส่งปลากัด", title_en="Seeking betta suppliers",
                               expires_on=bangkok_today() + timedelta(days=30), fiscal_year=fiscal_year(utcnow()))
        hidden_request = CollabRequest(firm_id=members_only.id, kind=Kind.SEEKING_SUPPLIER, title_th="ลับ",
                                       expires_on=bangkok_today() + timedelta(days=30),
                                       fiscal_year=fiscal_year(utcnow()))
        db.session.add_all([posted, hidden_request])
        db.session.flush()
        _token, raw = tokens.create_token(member, "ERP", write=False, days=30)
        db.session.commit()
        return dict(public=public.id, members_only=members_only.id, hidden=hidden.id, own=own.id,
                    request=posted.id, members_only_request=hidden_request.id, member=member.id, token=raw)


def bearer(raw):
    return {"Authorization": f"Bearer {raw}"}


def ids(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    return {item["id"] for item in response.get_json()["items"]}


def test_anonymous_sees_public_firms_only_and_no_contacts(client, world):
    assert ids(client.get("/api/v1/firms")) == {world["public"], world["own"]}
    body = client.get(f"/api/v1/firms/{world['public']}").get_json()
    assert body["name_th"] == "ฟาร์มปลากัดสาธารณะ" and body["name_en"] == "Public Betta Farm"
    assert body["contacts"] is None and body["clusters"][0]["slug"] == "betta"
    assert client.get(f"/api/v1/firms/{world['members_only']}").status_code == 404
    assert client.get(f"/api/v1/firms/{world['hidden']}").status_code == 404


def test_member_token_sees_what_a_signed_in_member_sees(client, world):
    headers = bearer(world["token"])
    assert ids(client.get("/api/v1/firms", headers=headers)) == {world["public"], world["own"], world["members_only"]}
    public = client.get(f"/api/v1/firms/{world['public']}", headers=headers).get_json()
    assert public["contacts"] == {"phone": "+66812345678", "email": "public@example.com", "line_id": None}
    members_only = client.get(f"/api/v1/firms/{world['members_only']}", headers=headers).get_json()
    assert members_only["contacts"] is None  # a members-only firm's contacts are for its team and partners
    assert client.get(f"/api/v1/firms/{world['hidden']}", headers=headers).status_code == 404


def test_requests_follow_the_posting_firms_visibility(client, world):
    assert ids(client.get("/api/v1/requests")) == {world["request"]}
    assert ids(client.get("/api/v1/requests", headers=bearer(world["token"]))) == {
        world["request"], world["members_only_request"]}
    assert client.get(f"/api/v1/requests/{world['members_only_request']}").status_code == 404
    body = client.get(f"/api/v1/requests/{world['request']}").get_json()
    assert body["title_en"] == "Seeking betta suppliers" and body["cluster"] == "betta"
    assert ids(client.get("/api/v1/requests?status=closed")) == set()


def directory_names(client, **params):
    page = client.get("/directory/", query_string={"lang": "th", **params}).get_data(as_text=True)
    return set(re.findall(r'<h2 class="firm-name"><a [^>]+>(?:<span lang="\w+">)?([^<]+)', page))


@pytest.mark.parametrize("params", [{"q": "ปลากัด"}, {"cluster": "betta"}, {"position": "downstream"},
                                    {"province": "10"}, {"q": "betta", "cluster": "betta"}, {}])
def test_filters_give_the_directory_pages_results(client, world, params):
    response = client.get("/api/v1/firms", query_string=params)
    assert {item["name_th"] for item in response.get_json()["items"]} == directory_names(client, **params)


def test_pagination_walks_every_firm_once(app, client):
    with app.app_context():
        made = {factories.firm().id for _ in range(7)}
        db.session.commit()
    seen, url, pages = [], "/api/v1/firms?limit=3", 0
    while url:
        body = client.get(url).get_json()
        seen += [item["id"] for item in body["items"]]
        url, pages = body["next"], pages + 1
        assert pages <= 3
    assert pages == 3 and len(seen) == len(set(seen)) and set(seen) == made and seen == sorted(seen)


def test_a_bad_cursor_or_limit_is_a_translated_problem(client, world):
    response = client.get("/api/v1/firms?cursor=nonsense", headers={"Accept-Language": "en"})
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    assert response.get_json()["detail"].startswith("The cursor is not valid")
    response = client.get("/api/v1/firms?limit=500", headers={"Accept-Language": "en"})
    body = response.get_json()
    assert response.status_code == 422 and body["title"] == "Invalid input" and "limit" in body["errors"]["query"]
    assert client.get("/api/v1/firms?cluster=nope").status_code == 422


def test_problems_in_thai_and_english(client, world):
    th = client.get("/api/v1/firms/999999", headers={"Accept-Language": "th-TH,th;q=0.9"})
    en = client.get("/api/v1/firms/999999", headers={"Accept-Language": "en-GB"})
    for response in (th, en):
        assert response.status_code == 404 and response.mimetype == "application/problem+json"
        assert set(response.get_json()) >= {"type", "title", "status", "detail"}
    assert en.get_json()["title"] == "Not found" and th.get_json()["title"] == "ไม่พบ"
    assert th.headers["Content-Language"] == "th"
    unknown = client.get("/api/v1/nothing-here", headers={"Accept-Language": "en"})
    assert unknown.status_code == 404 and unknown.mimetype == "application/problem+json"
    me = client.get("/api/v1/me", headers={"Accept-Language": "th"})
    assert me.status_code == 401 and me.mimetype == "application/problem+json"
    assert me.get_json()["title"] == "ยังไม่ได้เข้าสู่ระบบ"


def test_the_session_language_does_not_choose_the_apis(client, world):
    client.get("/?lang=th")  # remembered in the session for the pages
    response = client.get("/api/v1/firms/999999", headers={"Accept-Language": "en"})
    assert response.get_json()["title"] == "Not found"


def test_etag_and_304(client, world):
    first = client.get("/api/v1/clusters")
    assert first.status_code == 200 and first.headers["ETag"]
    again = client.get("/api/v1/clusters", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    other = client.get("/api/v1/clusters", headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200


def test_clusters_and_results(client, world):
    clusters = client.get("/api/v1/clusters").get_json()["items"]
    assert "betta" in {c["slug"] for c in clusters} and all("name_th" in c and "name_en" in c for c in clusters)
    assert client.get("/api/v1/clusters/betta").get_json()["slug"] == "betta"
    assert client.get("/api/v1/clusters/no-such").status_code == 404
    year = fiscal_year(utcnow())
    body = client.get(f"/api/v1/results/{year}").get_json()
    assert body["fiscal_year"] == year and body["members"] >= 0 and body["requests_posted"] == 2
    assert client.get("/api/v1/results/1999").status_code == 404


def test_me_endpoints(client, world):
    headers = bearer(world["token"])
    me = client.get("/api/v1/me", headers=headers).get_json()
    assert me["email"] == "member@example.com" and me["token"]["scopes"] == ["read"]
    assert ids(client.get("/api/v1/me/firms", headers=headers)) == {world["own"]}
    memberships = client.get("/api/v1/me/memberships", headers=headers).get_json()["items"]
    assert [(m["cluster"], m["positions"]) for m in memberships] == [("betta", ["downstream"])]
    assert ids(client.get("/api/v1/me/requests", headers=headers)) == set()
    assert ids(client.get("/api/v1/me/responses", headers=headers)) == set()
    for path in ("/api/v1/me", "/api/v1/me/firms", "/api/v1/me/memberships"):
        assert client.get(path).status_code == 401


def test_the_api_ignores_the_session_cookie(client, world):
    factories.sign_in(client, "member@example.com")
    assert client.get("/api/v1/me").status_code == 401  # a browser's sign-in is not an API credential
    assert world["members_only"] not in ids(client.get("/api/v1/firms"))


# --- tokens -------------------------------------------------------------------------------------------

def test_token_page_shows_the_token_once_and_stores_a_hash(app, client, world):
    factories.sign_in(client, "member@example.com")
    page = client.get("/account/tokens/?lang=en")
    assert page.status_code == 200 and "ERP" in page.get_data(as_text=True)
    made = client.post("/account/tokens/?lang=en", data={"name": "Reporting", "scope": "read", "days": "10"})
    text = made.get_data(as_text=True)
    raw = re.search(r"(cpt_[A-Za-z0-9_-]+)", text).group(1)
    assert "it will not be shown again" in text
    assert raw not in client.get("/account/tokens/?lang=en").get_data(as_text=True)
    with app.app_context():
        row = db.session.scalar(select(ApiToken).where(ApiToken.name == "Reporting"))
        assert row.token_hash == tokens.digest(raw) and raw not in (row.token_hash, row.hint)
        assert timedelta(days=9) < row.expires_at - utcnow() <= timedelta(days=10)
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "api_token.created",
                                                          AuditEntry.target_id == row.id)) is not None
    assert client.get("/api/v1/me", headers=bearer(raw)).status_code == 200


@pytest.mark.parametrize("form, problem", [
    ({"name": "", "scope": "read", "days": "10"}, "name"),
    ({"name": "x", "scope": "read", "days": "366"}, "days"),
    ({"name": "x", "scope": "admin", "days": "10"}, "scope"),
])
def test_bad_token_forms_change_nothing(app, client, world, form, problem):
    factories.sign_in(client, "member@example.com")
    response = client.post("/account/tokens/?lang=en", data=form)
    assert response.status_code == 422 and not re.search(r"cpt_[\w-]{20,}", response.get_data(as_text=True))
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(ApiToken)) == 1


def test_revoked_token_is_refused(app, client, world):
    factories.sign_in(client, "member@example.com")
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id))
    assert client.post(f"/account/tokens/{token_id}/revoke").status_code == 302
    response = client.get("/api/v1/firms", headers=bearer(world["token"]))
    assert response.status_code == 401 and response.mimetype == "application/problem+json"
    with app.app_context():
        assert db.session.get(ApiToken, token_id).revoked_at is not None
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "api_token.revoked")) is not None


def test_someone_elses_token_cannot_be_revoked(app, client, world):
    with app.app_context():
        factories.user(email="other@example.com")
        db.session.commit()
        token_id = db.session.scalar(select(ApiToken.id))
    factories.sign_in(client, "other@example.com")
    assert client.post(f"/account/tokens/{token_id}/revoke").status_code == 404
    assert client.get("/api/v1/me", headers=bearer(world["token"])).status_code == 200


@pytest.mark.parametrize("change", ["expired", "suspended", "erased"])
def test_expired_token_or_suspended_or_erased_owner_is_401(app, client, world, change):
    with app.app_context():
        token = db.session.scalar(select(ApiToken))
        if change == "expired":
            token.expires_at = utcnow() - timedelta(seconds=1)
        elif change == "suspended":
            token.user.suspended_at = utcnow()
        else:
            token.user.erased_at = utcnow()
        db.session.commit()
    assert client.get("/api/v1/clusters", headers=bearer(world["token"])).status_code == 401


@pytest.mark.parametrize("header", ["Bearer cpt_wrong", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer " + "x" * 5000])
def test_unknown_tokens_are_401(client, world, header):
    response = client.get("/api/v1/clusters", headers={"Authorization": header})
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")


def test_last_used_is_written_at_most_every_few_minutes(app, client, world):
    client.get("/api/v1/me", headers=bearer(world["token"]))
    with app.app_context():
        first = db.session.scalar(select(ApiToken.last_used_at))
    client.get("/api/v1/me", headers=bearer(world["token"]))
    with app.app_context():
        assert first is not None and db.session.scalar(select(ApiToken.last_used_at)) == first


def test_read_scope_is_the_default_and_write_is_recorded(app, world):
    with app.app_context():
        from portal.auth.models import User

        member = db.session.get(User, world["member"])
        token, _raw = tokens.create_token(member, "Sync", write=True, days=1)
        assert token.scopes == ["read", "write"]
        assert db.session.scalar(select(ApiToken).where(ApiToken.name == "ERP")).scopes == ["read"]
        db.session.rollback()


@pytest.fixture
def limiter_restored():
    """Flask-Limiter keeps its on/off switch and storage on the shared instance, not per app."""
    enabled = limiter.enabled
    yield
    limiter.reset()
    limiter.enabled = enabled


def test_rate_limit_per_token_is_a_translated_429(database_url, world, limiter_restored):
    from config import TestConfig
    from portal import create_app

    limited = create_app(type("Config", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": database_url,
                                                        "RATELIMIT_ENABLED": True, "API_RATE_LIMIT": "3 per minute"}))
    limiter.reset()
    client = limited.test_client()
    for _ in range(3):
        assert client.get("/api/v1/clusters", headers=bearer(world["token"])).status_code == 200
    refused = client.get("/api/v1/clusters", headers={**bearer(world["token"]), "Accept-Language": "th"})
    assert refused.status_code == 429 and refused.mimetype == "application/problem+json"
    assert refused.get_json()["title"] == "มีคำขอมากเกินไป" and int(refused.headers["Retry-After"]) >= 1
    assert client.get("/api/v1/clusters").status_code == 200  # another key: signed out, by address


def test_no_cors_unless_configured(app, client, world):
    assert "Access-Control-Allow-Origin" not in client.get("/api/v1/clusters", headers={"Origin": "https://x.example"}).headers
    app.config["API_CORS_ORIGINS"] = ("https://x.example",)
    try:
        response = client.get("/api/v1/clusters", headers={"Origin": "https://x.example"})
        assert response.headers["Access-Control-Allow-Origin"] == "https://x.example"
    finally:
        app.config["API_CORS_ORIGINS"] = ()


def test_openapi_document_and_reference_page(client, world):
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"] == "3.1.0" and "/api/v1/firms" in spec["paths"]
    assert spec["components"]["securitySchemes"]["BearerAuth"]["scheme"] == "bearer"
    assert "/api/docs" not in spec["paths"] and not any(p.startswith("/directory") for p in spec["paths"])
    page = client.get("/api/docs?lang=en").get_data(as_text=True)
    assert "GET /api/v1/firms" in page and "<script" not in page.split("<main", 1)[-1] and "cdn" not in page
    # The webhooks are in the document (OpenAPI 3.1) and on the page, with their signature header.
    assert set(spec["webhooks"]) == {"membership.approved", "membership.ended", "request.posted", "request.closed",
                                     "outcome.confirmed", "schedule.published"}
    assert "POST request.posted" in page and "X-Portal-Signature" in page


def test_the_pages_are_unchanged_by_apiflask(client):
    """PortalFlask inherits from APIFlask with its JSON errors and its own routes off."""
    missing = client.get("/no-such-page?lang=en")
    assert missing.status_code == 404 and missing.mimetype == "text/html"
    assert client.get("/openapi.json").status_code == 404 and client.get("/docs").status_code == 404
    assert client.get("/directory/").mimetype == "text/html"
