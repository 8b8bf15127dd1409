"""Service tokens (issue 23, phase 2a): administrators make them for OSMEP systems at /admin/service-tokens/
(shown once, listed with their last use, revocable, audited). A service token reads what a signed-in account
reads plus every visible firm's contacts, and writes nothing: no write rule admits a system yet."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.api import tokens
from portal.api.models import ApiToken
from portal.audit import AuditEntry
from portal.auth.models import Role, User
from portal.clusters.models import Membership, MembershipStatus, Position
from portal.db import utcnow
from portal.extensions import db
from tests import factories
from tests.helpers import signed_in


@pytest.fixture
def world(app):
    with app.app_context():
        betta = factories.cluster("betta")
        admin = factories.user(email="admin@example.com", role=Role.ADMIN)
        factories.user(email="staff@example.com", role=Role.STAFF)
        factories.user(email="member@example.com")
        public = factories.firm(name_th="ฟาร์มสาธารณะ", phone="+66812345678")
        members_only = factories.firm(name_th="ฟาร์มสมาชิก", public_listing_consent_at=None, phone="+66811111111")
        hidden = factories.firm(name_th="ฟาร์มที่ถูกซ่อน", hidden_at=utcnow())
        factories.membership(public, betta, Position.UPSTREAM)
        pending = factories.membership(members_only, betta, Position.UPSTREAM, status=MembershipStatus.PENDING)
        _row, raw = tokens.create_service_token(admin, "OSMEP CRM", True, 30, "crm@osmep.example")
        db.session.commit()
        return dict(public=public.id, members_only=members_only.id, hidden=hidden.id, pending=pending.id, raw=raw)


def bearer(raw, lang="en"):
    return {"Authorization": f"Bearer {raw}", "Accept-Language": lang}


def test_an_administrator_makes_a_service_token_shown_once(app, world):
    admin = signed_in(app, "admin@example.com")
    page = admin.get("/admin/service-tokens/?lang=en")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "OSMEP CRM" in text and "crm@osmep.example" in text
    made = admin.post("/admin/service-tokens/?lang=en", data={"name": "Loans system", "scope": "read", "days": "90",
                                                              "contact_email": "Loans@OSMEP.example"})
    raw = re.search(r"(cpt_[A-Za-z0-9_-]+)", made.get_data(as_text=True)).group(1)
    assert raw not in admin.get("/admin/service-tokens/").get_data(as_text=True)
    with app.app_context():
        row = db.session.scalar(select(ApiToken).where(ApiToken.name == "Loans system"))
        assert row.is_service and row.user_id is None and row.token_hash == tokens.digest(raw)
        assert row.contact_email == "loans@osmep.example" and not row.can_write
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "service_token.created",
                                                           AuditEntry.target_id == row.id))
        assert entry.details["contact_email"] == "loans@osmep.example"
    me = client_get(app, "/api/v1/me", raw).get_json()
    assert me["role"] == "service" and me["id"] is None and me["name"] == "Loans system"


def client_get(app, url, raw):
    return app.test_client().get(url, headers=bearer(raw))


@pytest.mark.parametrize("form", [{"name": "x", "scope": "read", "days": "10"},
                                  {"name": "x", "scope": "read", "days": "10", "contact_email": "not-an-address"},
                                  {"name": "", "scope": "read", "days": "10", "contact_email": "a@osmep.example"}])
def test_bad_forms_make_no_token(app, world, form):
    admin = signed_in(app, "admin@example.com")
    response = admin.post("/admin/service-tokens/?lang=th", data=form)
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 1


@pytest.mark.parametrize("who", ["staff@example.com", "member@example.com"])
def test_only_administrators_reach_the_page(app, world, who):
    client = signed_in(app, who)
    assert client.get("/admin/service-tokens/").status_code == 403
    assert client.post("/admin/service-tokens/", data={"name": "x", "scope": "write", "days": "10",
                                                       "contact_email": "a@osmep.example"}).status_code == 403
    anonymous = app.test_client().get("/admin/service-tokens/")
    assert anonymous.status_code == 302 and "/auth/login" in anonymous.location


def test_a_service_token_reads_contacts_as_staff_do_but_not_hidden_firms(client, world):
    public = client.get(f"/api/v1/firms/{world['public']}", headers=bearer(world["raw"])).get_json()
    assert public["contacts"]["phone"] == "+66812345678"
    members_only = client.get(f"/api/v1/firms/{world['members_only']}", headers=bearer(world["raw"])).get_json()
    assert members_only["contacts"]["phone"] == "+66811111111"  # a signed-in member would not see these
    assert client.get(f"/api/v1/firms/{world['hidden']}", headers=bearer(world["raw"])).status_code == 404
    listed = client.get("/api/v1/firms", headers=bearer(world["raw"])).get_json()["items"]
    assert {item["id"] for item in listed} == {world["public"], world["members_only"]}
    assert client.get("/api/v1/me/firms", headers=bearer(world["raw"])).get_json()["items"] == []


def test_a_service_token_writes_nothing_even_with_the_write_scope(app, client, world):
    headers = bearer(world["raw"])
    assert client.patch(f"/api/v1/firms/{world['public']}", headers=headers, json={"name_en": "X"}).status_code == 403
    assert client.post("/api/v1/requests", headers=headers,
                       json={"firm_id": world["public"], "kind": "seeking_buyers", "title_th": "ก"}).status_code == 403
    assert client.get("/api/v1/clusters/betta/membership-requests", headers=headers).status_code == 403
    assert client.post(f"/api/v1/memberships/{world['pending']}/approve", headers=headers).status_code == 404
    with app.app_context():
        assert db.session.get(Membership, world["pending"]).status is MembershipStatus.PENDING
        assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action != "service_token.created")) == 0


def test_revoking_a_service_token(app, client, world):
    assert client.get("/api/v1/clusters", headers=bearer(world["raw"])).status_code == 200
    with app.app_context():
        row = db.session.scalar(select(ApiToken).where(ApiToken.name == "OSMEP CRM"))
        assert row.last_used_at is not None  # listed with its last use
        token_id = row.id
    admin = signed_in(app, "admin@example.com")
    assert "OSMEP CRM" in admin.get("/admin/service-tokens/?lang=en").get_data(as_text=True)
    response = admin.post(f"/admin/service-tokens/{token_id}/revoke")
    assert response.status_code == 302
    assert client.get("/api/v1/clusters", headers=bearer(world["raw"])).status_code == 401
    with app.app_context():
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "service_token.revoked",
                                                          AuditEntry.target_id == token_id)) is not None


def test_a_personal_token_is_not_revoked_from_the_service_page(app, world):
    with app.app_context():
        member = db.session.scalar(select(User).where(User.email == "member@example.com"))
        personal, _raw = tokens.create_token(member, "mine", write=False, days=10)
        db.session.commit()
        token_id = personal.id
    admin = signed_in(app, "admin@example.com")
    assert admin.post(f"/admin/service-tokens/{token_id}/revoke").status_code == 404
    with app.app_context():
        assert db.session.get(ApiToken, token_id).revoked_at is None


def test_expiry_still_applies(app, client, world):
    with app.app_context():
        row = db.session.scalar(select(ApiToken).where(ApiToken.name == "OSMEP CRM"))
        row.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert client.get("/api/v1/clusters", headers=bearer(world["raw"])).status_code == 401
