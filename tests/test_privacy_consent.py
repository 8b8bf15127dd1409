"""The privacy notice, acceptance at registration and again for a new version, listing consent history and
its withdrawal taking effect at once, and OSMEP's view of a person's consents."""
import pytest
from sqlalchemy import select

from portal.audit import AuditEntry
from portal.auth.models import User
from portal.extensions import db
from portal.firms.models import Firm
from portal.privacy import notice
from portal.privacy.models import ConsentKind, ConsentMethod, ConsentRecord
from tests import factories
from tests.helpers import body, signed_in


def records(app, **where):
    with app.app_context():
        return db.session.scalars(select(ConsentRecord).filter_by(**where).order_by(ConsentRecord.id)).all()


# --- the notice -----------------------------------------------------------------------------------

def test_the_notice_is_public_in_both_languages_with_the_configured_contact(client, app):
    thai = body(client.get("/privacy?lang=th"))
    english = body(client.get("/privacy?lang=en"))
    assert "สำนักงานส่งเสริมวิสาหกิจขนาดกลางและขนาดย่อม" in thai and "ผู้ประสานงานคลัสเตอร์" in thai
    assert "Office of Small and Medium Enterprises Promotion" in english and "coordinators" in english.lower()
    for page in (thai, english):
        assert app.config["PRIVACY_CONTACT_EMAIL"] in page
        assert "2569" in page if page is thai else "2026" in page  # the effective date, B.E. in Thai


def test_the_notice_shows_the_retention_schedule_from_the_configuration(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "NOTIFICATION_RETENTION_DAYS", 123)
    monkeypatch.setitem(app.config, "OUTBOX_RETENTION_DAYS", 45)
    page = body(client.get("/privacy?lang=en"))
    assert "Removed 123 days after they were read." in page
    assert "Removed 45 days after they were sent" in page
    assert f"Removed {app.config['UNCONFIRMED_RETENTION_DAYS']} days after registration" in page


# --- registration ---------------------------------------------------------------------------------

REGISTRATION = {"name": "สมชาย ใจดี", "email": "somchai@example.com", "password": factories.PASSWORD,
                "password2": factories.PASSWORD}


def test_registering_without_accepting_the_notice_creates_nothing(client, app):
    response = client.post("/auth/register?lang=en", data=REGISTRATION)
    assert response.status_code == 200
    assert "Please read the privacy notice and tick the box to accept it." in body(response)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "somchai@example.com")) is None


def test_registering_records_the_acceptance_of_the_current_version(client, app, th):
    page = body(client.get("/auth/register?lang=th"))
    assert th("I have read the privacy notice and accept it") in page and 'href="/privacy"' in page
    response = client.post("/auth/register?lang=th", data={**REGISTRATION, "accept_privacy": "y"})
    assert response.status_code == 302
    [record] = records(app)
    assert (record.kind, record.version, record.method, record.locale, record.granted) == (
        ConsentKind.NOTICE, app.config["PRIVACY_NOTICE_VERSION"], ConsentMethod.REGISTRATION, "th", True)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "somchai@example.com"))
        assert record.user_id == user.id
        assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "privacy.notice_accepted",
                                                             AuditEntry.target_id == user.id))


# --- asked again ----------------------------------------------------------------------------------

@pytest.fixture
def member(app):
    with app.app_context():
        user = factories.user(email="member@example.com", locale="en")
        db.session.commit()
        return user.id


def test_a_member_who_accepted_the_current_version_is_not_asked(app, member):
    client = signed_in(app, "member@example.com")
    assert client.get("/firms/mine").status_code == 200


def test_an_existing_member_without_any_acceptance_is_asked_and_then_let_through(app, member):
    with app.app_context():
        db.session.execute(ConsentRecord.__table__.delete())
        db.session.commit()
    client = signed_in(app, "member@example.com")
    asked = client.get("/firms/mine?x=1")
    assert asked.status_code == 302 and "/privacy/accept" in asked.location
    page = client.get(asked.location)
    assert page.status_code == 200 and "Before you go on" in body(page)
    refused = client.post("/privacy/accept", data={"next": "/firms/mine?x=1"})
    assert refused.status_code == 200 and records(app, user_id=member) == []
    accepted = client.post("/privacy/accept", data={"next": "/firms/mine?x=1", "accept": "y"})
    assert accepted.status_code == 302 and accepted.location.endswith("/firms/mine?x=1")
    [record] = records(app, user_id=member)
    assert record.method is ConsentMethod.REACCEPTANCE and record.locale == "en"
    assert client.get("/firms/mine").status_code == 200


def test_a_new_version_asks_again_but_not_on_the_open_pages(app, member, monkeypatch):
    client = signed_in(app, "member@example.com")
    monkeypatch.setitem(app.config, "PRIVACY_NOTICE_VERSION", 2)
    monkeypatch.setitem(notice.EFFECTIVE, 2, notice.EFFECTIVE[1])
    monkeypatch.setattr(notice, "template_of", lambda version, locale: f"privacy/notice_v1.{locale}.html")
    asked = client.get("/directory/")
    assert asked.status_code == 302 and "/privacy/accept" in asked.location
    assert "has changed since you accepted it" in body(client.get(asked.location))
    for path in ("/privacy", "/healthz", "/static/favicon.ico", "/following/stop/not-a-token"):
        assert client.get(path).status_code in (200, 400, 404), path  # never the accept page
        assert "/privacy/accept" not in (client.get(path).location or "")
    assert client.post("/privacy/accept", data={"accept": "y"}).status_code == 302
    assert [r.version for r in records(app, user_id=member)] == [1, 2]
    assert client.get("/directory/").status_code == 200
    assert client.post("/auth/logout").status_code == 302  # signing out is never held back


def test_a_foreign_next_after_accepting_goes_home_instead(app, member):
    with app.app_context():
        db.session.execute(ConsentRecord.__table__.delete())
        db.session.commit()
    client = signed_in(app, "member@example.com")
    response = client.post("/privacy/accept", data={"next": "https://evil.example/", "accept": "y"})
    assert response.status_code == 302 and "evil" not in response.location


# --- listing consent ------------------------------------------------------------------------------

@pytest.fixture
def public_firm(app, cast):
    with app.app_context():
        return db.session.get(Firm, cast.firms["A"])


def test_withdrawing_listing_consent_takes_effect_at_once(app, cast, monkeypatch):
    monkeypatch.setitem(app.config, "COUNTS_CACHE_SECONDS", 600)  # a cached count would hide the change
    firm_id = cast.firms["A"]
    anonymous = app.test_client()
    assert "Firm A" in body(anonymous.get("/directory/?lang=en"))
    assert anonymous.get(f"/firms/{firm_id}").status_code == 200
    with app.app_context():
        from portal.clusters.queries import public_listings

        before = public_listings(cast.clusters["betta"])

    owner = signed_in(app, cast.email("owner"))
    page = body(owner.get(f"/firms/{firm_id}?lang=en"))
    assert "Withdraw public listing consent" in page
    response = owner.post(f"/privacy/firms/{firm_id}/withdraw-listing")
    assert response.status_code == 302

    assert "Firm A" not in body(anonymous.get("/directory/?lang=en"))
    assert anonymous.get(f"/firms/{firm_id}").status_code in (302, 404)
    with app.app_context():
        assert public_listings(cast.clusters["betta"]) == before - 1
        assert db.session.get(Firm, firm_id).public_listing_consent_at is None
    [record] = records(app, firm_id=firm_id)
    assert (record.kind, record.granted, record.method, record.user_id) == (
        ConsentKind.LISTING, False, ConsentMethod.WITHDRAW_BUTTON, cast.users["owner"])
    assert "Withdraw public listing consent" not in body(owner.get(f"/firms/{firm_id}?lang=en"))
    assert owner.post(f"/privacy/firms/{firm_id}/withdraw-listing").status_code == 302
    assert len(records(app, firm_id=firm_id)) == 1  # withdrawing twice records once


def test_only_the_firms_team_may_withdraw(app, cast):
    firm_id = cast.firms["A"]
    stranger = signed_in(app, cast.email("stranger"))
    assert stranger.post(f"/privacy/firms/{firm_id}/withdraw-listing").status_code == 403
    assert app.test_client().post(f"/privacy/firms/{firm_id}/withdraw-listing").status_code == 302
    assert signed_in(app, cast.email("owner")).post("/privacy/firms/999999/withdraw-listing").status_code == 404
    with app.app_context():
        assert db.session.get(Firm, firm_id).public_listing_consent_at is not None
    assert records(app, firm_id=firm_id) == []


def test_the_firm_form_records_grants_and_withdrawals(app, cast):
    from portal.firms import services
    from portal.firms.services import PROFILE_FIELDS

    with app.test_request_context("/"):
        firm = db.session.get(Firm, cast.firms["A"])
        owner = db.session.get(User, cast.users["owner"])
        data = {key: getattr(firm, key) for key in PROFILE_FIELDS}
        services.update_firm(owner, firm, data, public_listing=False)
        services.update_firm(owner, firm, data, public_listing=False)  # no change: nothing recorded
        services.update_firm(owner, firm, data, public_listing=True)
        new = services.create_firm(owner, {**data, "registration_number": None}, public_listing=True)
        db.session.commit()
        new_id = new.id
    assert [(r.granted, r.method) for r in records(app, firm_id=cast.firms["A"])] == [
        (False, ConsentMethod.FIRM_FORM), (True, ConsentMethod.FIRM_FORM)]
    assert [(r.granted, r.user_id) for r in records(app, firm_id=new_id)] == [(True, cast.users["owner"])]


# --- OSMEP's view ---------------------------------------------------------------------------------

def test_staff_see_a_persons_consent_history(app, cast):
    firm_id = cast.firms["A"]
    signed_in(app, cast.email("owner")).post(f"/privacy/firms/{firm_id}/withdraw-listing")
    staff = signed_in(app, cast.email("staff"))
    page = body(staff.get("/privacy/consents?lang=en&email=OWNER@example.com"))
    assert "Privacy notice version 1" in page and "Public listing of" in page
    assert "Withdrawn" in page and "Withdrawal button" in page
    editor_page = body(staff.get("/privacy/consents?lang=en&email=editor@example.com"))
    assert "Public listing of" in editor_page  # a change to a firm of their team, by someone else
    assert "No account has this e-mail address." in body(staff.get("/privacy/consents?lang=en&email=x@y.z"))
    assert staff.get("/privacy/consents?email=" + "a" * 5000).status_code == 200


def test_others_do_not_see_consents(app, cast):
    assert signed_in(app, cast.email("coordinator")).get("/privacy/consents").status_code == 403
    response = app.test_client().get("/privacy/consents")
    assert response.status_code == 302 and "/auth/login" in response.location


def test_staff_download_a_persons_history_and_find_it_from_the_user_page(app, cast):
    staff = signed_in(app, cast.email("staff"))
    response = staff.get("/privacy/consents.csv?lang=en&email=owner@example.com")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    lines = body(response).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("When,What,Privacy notice version") and len(lines) == 2
    assert ",notice,1,," in lines[1] and "owner@example.com" in lines[1]
    assert staff.get("/privacy/consents.csv?email=nobody@example.com").status_code == 404
    assert signed_in(app, cast.email("owner")).get("/privacy/consents.csv?email=owner@example.com").status_code == 403
    page = body(staff.get(f"/moderation/users/{cast.users['owner']}?lang=en"))
    assert "/privacy/consents?email=owner@example.com" in page and "Consent history" in page
