"""The API's write endpoints (issue 23, phase 2a): a firm's team updates its firm and posts, renews and
closes requests; coordinators list and decide their clusters' membership requests. Each is checked as its
caller would: the answer, then the database and the audit trail; bad input is a translated 422 (Thai and
English) that changes nothing; a read-only token is refused (403); CSRF does not apply to bearer tokens."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.api import tokens
from portal.audit import AuditEntry
from portal.clusters.models import Membership, MembershipStatus, Position
from portal.collab.models import CloseReason, CollabRequest, Kind, RequestStatus
from portal.db import utcnow
from portal.extensions import db
from portal.firms.models import Firm
from portal.thai import bangkok_today, fiscal_year
from tests import factories
from tests.helpers import signed_in


@pytest.fixture
def world(app):
    """Betta: the owner's firm (a member), a stranger's firm, a hidden firm, a firm asking to join;
    Cosplay: another coordinator. Write and read tokens for the owner, write tokens for both coordinators."""
    with app.app_context():
        betta, cosplay = factories.cluster("betta"), factories.cluster("cosplay")
        owner = factories.user(email="owner@example.com")
        own = factories.firm(name_th="ฟาร์มของเจ้าของ", phone="+66812345678")
        factories.team_member(own, owner)
        factories.membership(own, betta, Position.UPSTREAM)
        other = factories.firm(name_th="ฟาร์มของคนอื่น")
        factories.team_member(other, factories.user(email="other@example.com"))
        hidden = factories.firm(name_th="ฟาร์มที่ถูกซ่อน", hidden_at=utcnow())
        applicant = factories.firm(name_th="ฟาร์มที่ขอเข้าร่วม")
        factories.team_member(applicant, factories.user(email="applicant@example.com"))
        pending = factories.membership(applicant, betta, Position.DOWNSTREAM, status=MembershipStatus.PENDING)
        coordinator = factories.user(email="coord@example.com")
        other_coordinator = factories.user(email="oc@example.com")
        factories.term(coordinator, betta)
        factories.term(other_coordinator, cosplay)
        posted = CollabRequest(firm_id=own.id, cluster_id=betta.id, kind=Kind.SEEKING_SUPPLIER,
                               title_th="หาผู้จัดส่งปลากัด", expires_on=bangkok_today() + timedelta(days=30),
                               fiscal_year=fiscal_year(utcnow()))
        db.session.add(posted)
        db.session.flush()
        raw = {"write": tokens.create_token(owner, "ERP", write=True, days=30)[1],
               "read": tokens.create_token(owner, "dashboard", write=False, days=30)[1],
               "coordinator": tokens.create_token(coordinator, "CRM", write=True, days=30)[1],
               "other_coordinator": tokens.create_token(other_coordinator, "CRM", write=True, days=30)[1]}
        db.session.commit()
        return dict(own=own.id, other=other.id, hidden=hidden.id, pending=pending.id, request=posted.id,
                    owner=owner.id, coordinator=coordinator.id, tokens=raw)


def auth(world, who="write", lang="en"):
    return {"Authorization": f"Bearer {world['tokens'][who]}", "Accept-Language": lang}


def audits(app, action):
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def problem_of(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    return response.get_json()


def firm_row(app, firm_id):
    with app.app_context():
        firm = db.session.get(Firm, firm_id)
        return {"name_en": firm.name_en, "phone": firm.phone, "legal_form": firm.legal_form.value,
                "registration_number": firm.registration_number, "public": firm.has_public_consent}


# --- PATCH /api/v1/firms/<id> ------------------------------------------------------------------------

def test_owner_updates_the_firm_as_on_its_edit_page(app, client, world):
    response = client.patch(f"/api/v1/firms/{world['own']}", headers=auth(world),
                            json={"name_en": "Owner's Betta Farm", "phone": "02 123 4567", "province": "50",
                                  "founded_year": 2012})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["name_en"] == "Owner's Betta Farm" and body["province"]["code"] == "50"
    assert body["founded_year"] == 2012 and body["contacts"]["phone"] == "+6621234567"  # the page's normal form
    assert firm_row(app, world["own"])["phone"] == "+6621234567"
    [entry] = audits(app, "firm.updated")
    assert entry.actor_id == world["owner"] and entry.target_id == world["own"]
    assert set(entry.details["fields"]) == {"name_en", "phone", "province_id", "founded_year"}
    read = client.get(f"/api/v1/firms/{world['own']}", headers=auth(world, "read")).get_json()
    assert read["name_en"] == "Owner's Betta Farm"


def test_withdrawing_consent_is_recorded_as_on_the_page(app, client, world):
    response = client.patch(f"/api/v1/firms/{world['own']}", headers=auth(world), json={"public_listing": False})
    assert response.status_code == 200
    assert firm_row(app, world["own"])["public"] is False
    assert len(audits(app, "firm.consent_withdrawn")) == 1


@pytest.mark.parametrize(("lang", "phone_error", "registration_error"), [
    ("en", "Enter a Thai phone number", "A juristic person needs its 13-digit registration number."),
    ("th", "กรอกหมายเลขโทรศัพท์", "นิติบุคคล"),
])
def test_the_pages_rules_refuse_bad_input_translated_and_change_nothing(app, client, world, lang, phone_error,
                                                                        registration_error):
    before = firm_row(app, world["own"])
    response = client.patch(f"/api/v1/firms/{world['own']}", headers=auth(world, lang=lang),
                            json={"name_en": "Changed", "phone": "123", "legal_form": "juristic_person"})
    errors = problem_of(response, 422)["errors"]["json"]
    assert phone_error in errors["phone"][0]
    assert registration_error in errors["registration_number"][0]
    assert firm_row(app, world["own"]) == before
    assert audits(app, "firm.updated") == []


@pytest.mark.parametrize(("lang", "required", "choice", "unknown"), [
    ("en", "From 1 to 200 characters.", "Must be one of", "Unknown field."),
    ("th", "ตัวอักษร", "ต้องเป็นค่าใดค่าหนึ่ง", "ไม่รู้จักช่องนี้"),
])
def test_the_schema_refuses_bad_types_translated(app, client, world, lang, required, choice, unknown):
    before = firm_row(app, world["own"])
    response = client.patch(f"/api/v1/firms/{world['own']}", headers=auth(world, lang=lang),
                            json={"name_th": "", "size": "huge", "nmae_en": "typo", "founded_year": "1990"})
    body = problem_of(response, 422)
    errors = body["errors"]["json"]
    assert required in errors["name_th"][0] and choice in errors["size"][0] and unknown in errors["nmae_en"][0]
    assert errors["founded_year"]
    assert firm_row(app, world["own"]) == before


def test_a_read_only_token_is_refused_translated(app, client, world):
    before = firm_row(app, world["own"])
    english = problem_of(client.patch(f"/api/v1/firms/{world['own']}", headers=auth(world, "read"),
                                      json={"name_en": "X"}), 403)
    assert "write scope" in english["detail"]
    thai = problem_of(client.patch(f"/api/v1/firms/{world['own']}", headers=auth(world, "read", "th"),
                                   json={"name_en": "X"}), 403)
    assert "อ่านอย่างเดียว" in thai["detail"]
    assert firm_row(app, world["own"]) == before


def test_other_firms_are_refused_and_hidden_ones_not_found(client, world):
    assert client.patch(f"/api/v1/firms/{world['other']}", headers=auth(world), json={}).status_code == 403
    assert client.patch(f"/api/v1/firms/{world['hidden']}", headers=auth(world), json={}).status_code == 404
    assert client.patch(f"/api/v1/firms/{world['own']}", json={}).status_code == 401


def test_if_match_with_the_etag(app, client, world):
    etag = client.get(f"/api/v1/firms/{world['own']}", headers=auth(world)).headers["ETag"]
    stale = client.patch(f"/api/v1/firms/{world['own']}", headers={**auth(world), "If-Match": '"not-it"'},
                         json={"name_en": "Stale"})
    assert problem_of(stale, 412)
    assert firm_row(app, world["own"])["name_en"] is None
    fresh = client.patch(f"/api/v1/firms/{world['own']}", headers={**auth(world), "If-Match": etag},
                         json={"name_en": "Fresh"})
    assert fresh.status_code == 200 and fresh.get_json()["name_en"] == "Fresh"
    again = client.patch(f"/api/v1/firms/{world['own']}", headers={**auth(world), "If-Match": etag},
                         json={"name_en": "Again"})
    assert again.status_code == 412  # the ETag named the profile before "Fresh"
    assert fresh.headers["ETag"] == client.get(f"/api/v1/firms/{world['own']}", headers=auth(world)).headers["ETag"]
    following = client.patch(f"/api/v1/firms/{world['own']}", json={"name_en": "Following"},
                             headers={**auth(world), "If-Match": fresh.headers["ETag"]})
    assert following.status_code == 200


# --- requests --------------------------------------------------------------------------------------------

def request_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(CollabRequest))


def test_posting_a_request(app, client, world):
    response = client.post("/api/v1/requests", headers=auth(world),
                           json={"firm_id": world["own"], "cluster": "betta", "kind": "seeking_buyers",
                                 "title_en": "Selling betta", "budget_min": "1000", "budget_max": 2500.5,
                                 "province": "10", "position_sought": "downstream"})
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["title_en"] == "Selling betta" and body["cluster"] == "betta" and body["status"] == "open"
    assert body["budget_max"] == "2500.50" and body["expires_on"] == str(bangkok_today() + timedelta(days=60))
    [entry] = audits(app, "request.posted")
    assert entry.target_id == body["id"] and entry.actor_id == world["owner"]
    assert client.get(f"/api/v1/requests/{body['id']}").get_json()["title_en"] == "Selling betta"


@pytest.mark.parametrize(("payload", "field", "english", "thai"), [
    ({"kind": "seeking_buyers"}, "title_th", "Give the request a title", "หัวข้อคำขอ"),
    ({"kind": "seeking_buyers", "title_en": "   "}, "title_th", "Give the request a title", "หัวข้อคำขอ"),
    ({"kind": "seeking_buyers", "title_th": "ก", "budget_min": 9, "budget_max": 1}, "budget_max",
     "The lowest budget is higher", "งบประมาณ"),
    ({"kind": "seeking_buyers", "title_th": "ก", "expires_on": "2000-01-01"}, "expires_on", "in the past", "ผ่านมาแล้ว"),
    ({"kind": "seeking_buyers", "title_th": "ก", "cluster": "cosplay"}, "cluster", "not a member", "ไม่ได้เป็นสมาชิก"),
    ({"kind": "nonsense", "title_th": "ก"}, "kind", "Must be one of", "ต้องเป็นค่าใดค่าหนึ่ง"),
])
def test_bad_requests_are_refused_translated_and_nothing_is_posted(app, client, world, payload, field, english, thai):
    before = request_count(app)
    for lang, expected in (("en", english), ("th", thai)):
        response = client.post("/api/v1/requests", headers=auth(world, lang=lang),
                               json={"firm_id": world["own"], **payload})
        assert expected in problem_of(response, 422)["errors"]["json"][field][0]
    assert request_count(app) == before
    assert audits(app, "request.posted") == []


def test_posting_for_someone_elses_firm_or_an_unknown_one(app, client, world):
    body = {"kind": "seeking_buyers", "title_th": "ก"}
    others = client.post("/api/v1/requests", headers=auth(world), json={"firm_id": world["other"], **body})
    assert others.status_code == 403
    for firm_id in (world["hidden"], 999_999):  # a hidden firm answers as one that does not exist
        response = client.post("/api/v1/requests", headers=auth(world), json={"firm_id": firm_id, **body})
        assert "firm_id" in problem_of(response, 422)["errors"]["json"]
    assert client.post("/api/v1/requests", headers=auth(world, "read"), json={"firm_id": world["own"], **body}
                       ).status_code == 403
    assert request_count(app) == 1


def set_request(app, request_id, **values):
    with app.app_context():
        row = db.session.get(CollabRequest, request_id)
        for key, value in values.items():
            setattr(row, key, value)
        db.session.commit()


def request_row(app, request_id):
    with app.app_context():
        row = db.session.get(CollabRequest, request_id)
        return row.status, row.close_reason, row.expires_on


def test_renewing_an_expired_request_reopens_it(app, client, world):
    set_request(app, world["request"], status=RequestStatus.CLOSED, close_reason=CloseReason.EXPIRED,
                closed_at=utcnow(), expires_on=bangkok_today() - timedelta(days=1))
    until = bangkok_today() + timedelta(days=20)
    response = client.post(f"/api/v1/requests/{world['request']}/renew", headers=auth(world),
                           json={"expires_on": until.isoformat()})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["status"] == "open"
    assert request_row(app, world["request"]) == (RequestStatus.OPEN, None, until)
    assert len(audits(app, "request.renewed")) == 1


def test_renewing_needs_no_body_and_refuses_a_bad_date(app, client, world):
    too_far = (bangkok_today() + timedelta(days=800)).isoformat()
    for lang, words in (("en", "at most 12 months"), ("th", "12 เดือน")):
        response = client.post(f"/api/v1/requests/{world['request']}/renew", headers=auth(world, lang=lang),
                               json={"expires_on": too_far})
        assert words in problem_of(response, 422)["errors"]["json"]["expires_on"][0]
    assert audits(app, "request.renewed") == []
    response = client.post(f"/api/v1/requests/{world['request']}/renew", headers=auth(world))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert request_row(app, world["request"])[2] == bangkok_today() + timedelta(days=60)


def test_closing_a_request(app, client, world):
    bad = client.post(f"/api/v1/requests/{world['request']}/close", headers=auth(world, lang="th"),
                      json={"reason": "partnered"})
    assert "partner_firm_id" in problem_of(bad, 422)["errors"]["json"]
    assert request_row(app, world["request"])[0] is RequestStatus.OPEN
    response = client.post(f"/api/v1/requests/{world['request']}/close", headers=auth(world),
                           json={"reason": "withdrawn"})
    assert response.status_code == 200 and response.get_json()["status"] == "closed"
    assert request_row(app, world["request"])[:2] == (RequestStatus.CLOSED, CloseReason.WITHDRAWN)
    [entry] = audits(app, "request.closed")
    assert entry.reason == "withdrawn"
    again = client.post(f"/api/v1/requests/{world['request']}/close", headers=auth(world), json={"reason": "withdrawn"})
    assert "already closed" in problem_of(again, 409)["detail"]
    renew = client.post(f"/api/v1/requests/{world['request']}/renew", headers=auth(world))
    assert problem_of(renew, 409)  # closed on purpose: never renewed


def test_requests_of_other_firms_and_hidden_ones(app, client, world):
    other_request = client.post(f"/api/v1/requests/{world['request']}/close",
                                headers=auth(world, "coordinator"), json={"reason": "withdrawn"})
    assert other_request.status_code == 403
    set_request(app, world["request"], hidden_at=utcnow())
    # the cluster's coordinator moderates it, so still sees it (403 above); another cluster's does not
    hidden = client.post(f"/api/v1/requests/{world['request']}/close", headers=auth(world, "other_coordinator"),
                         json={"reason": "withdrawn"})
    assert hidden.status_code == 404
    assert client.post("/api/v1/requests/999999/renew", headers=auth(world)).status_code == 404
    assert request_row(app, world["request"])[0] is RequestStatus.OPEN


# --- membership requests -------------------------------------------------------------------------------

def membership_status(app, membership_id):
    with app.app_context():
        return db.session.get(Membership, membership_id).status


def test_coordinator_lists_and_approves(app, client, world):
    listed = client.get("/api/v1/clusters/betta/membership-requests", headers=auth(world, "coordinator"))
    assert listed.status_code == 200
    [item] = listed.get_json()["items"]
    assert item["id"] == world["pending"] and item["positions"] == ["downstream"] and item["status"] == "pending"
    response = client.post(f"/api/v1/memberships/{world['pending']}/approve", headers=auth(world, "coordinator"))
    assert response.status_code == 200 and response.get_json()["status"] == "approved"
    assert membership_status(app, world["pending"]) is MembershipStatus.APPROVED
    [entry] = audits(app, "membership.approved")
    assert entry.actor_id == world["coordinator"]
    again = client.post(f"/api/v1/memberships/{world['pending']}/approve", headers=auth(world, "coordinator"))
    assert problem_of(again, 409)
    assert client.get("/api/v1/clusters/betta/membership-requests",
                      headers=auth(world, "coordinator")).get_json()["items"] == []


@pytest.mark.parametrize(("lang", "words"), [("en", "Please give the firm a reason."), ("th", "เหตุผล")])
def test_declining_needs_a_reason(app, client, world, lang, words):
    for body in ({}, {"reason": "   "}):
        response = client.post(f"/api/v1/memberships/{world['pending']}/decline",
                               headers=auth(world, "coordinator", lang), json=body)
        assert words in problem_of(response, 422)["errors"]["json"]["reason"][0]
    assert membership_status(app, world["pending"]) is MembershipStatus.PENDING
    response = client.post(f"/api/v1/memberships/{world['pending']}/decline", headers=auth(world, "coordinator"),
                           json={"reason": "ยังไม่ผ่านเกณฑ์"})
    assert response.status_code == 200
    assert membership_status(app, world["pending"]) is MembershipStatus.DECLINED
    [entry] = audits(app, "membership.declined")
    assert entry.reason == "ยังไม่ผ่านเกณฑ์"


def test_others_cannot_see_or_decide_a_clusters_requests(app, client, world):
    for who in ("write", "other_coordinator"):
        assert client.get("/api/v1/clusters/betta/membership-requests", headers=auth(world, who)).status_code == 403
        assert client.post(f"/api/v1/memberships/{world['pending']}/approve",
                           headers=auth(world, who)).status_code == 404
    assert client.get("/api/v1/clusters/betta/membership-requests").status_code == 401
    assert membership_status(app, world["pending"]) is MembershipStatus.PENDING


# --- CSRF ------------------------------------------------------------------------------------------------

def test_bearer_writes_need_no_csrf_token_but_pages_still_do(app, client, world, monkeypatch):
    page = signed_in(app, "owner@example.com")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    response = client.post(f"/api/v1/requests/{world['request']}/close", headers=auth(world),
                           json={"reason": "withdrawn"})
    assert response.status_code == 200
    refused = page.post(f"/requests/{world['request']}/renew")
    assert refused.status_code == 400  # the page's POST without its CSRF token
    assert request_row(app, world["request"])[0] is RequestStatus.CLOSED


def test_a_configured_origin_may_send_writes(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "API_CORS_ORIGINS", ("https://erp.example",))
    preflight = client.options(f"/api/v1/firms/{world['own']}", headers={
        "Origin": "https://erp.example", "Access-Control-Request-Method": "PATCH",
        "Access-Control-Request-Headers": "authorization, content-type, if-match"})
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://erp.example"
    assert "PATCH" in preflight.headers["Access-Control-Allow-Methods"]
    assert {"if-match", "content-type"} <= {h.strip().lower() for h in
                                            preflight.headers["Access-Control-Allow-Headers"].split(",")}
    assert "Access-Control-Allow-Origin" not in client.options(
        f"/api/v1/firms/{world['own']}", headers={"Origin": "https://evil.example"}).headers
