"""Two-factor sign-in through the views: TOTP set-up with a pyotp-computed code, the second step (right,
wrong, reused and recovery codes), throttling, remembered browsers, the enrolment gate for staff, and
re-authentication before sensitive changes."""
import re
import time
import types

import pyotp
import pytest
from sqlalchemy import func, select

from portal.audit import AuditEntry
from portal.auth.models import Role, User
from portal.extensions import db
from portal.outbox.models import OutboxMessage
from portal.twofactor import flow, services
from portal.twofactor.models import RecoveryCode, RememberedDevice, TotpCredential
from tests import factories
from tests.helpers import body, signed_in

EMAIL = "two@example.com"


def _user_id(client):
    with client.session_transaction() as session:
        return (session.get("_user_id") or "").split(":")[0] or None


def _secret(app, email=EMAIL):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        return services._secret(db.session.get(TotpCredential, user.id))


def _enrol(app, client, email=EMAIL):
    """Set up an app through the pages; returns (secret, recovery codes shown)."""
    assert client.get("/account/security/totp").status_code == 200
    secret = _secret(app, email)
    response = client.post("/account/security/totp", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200
    codes = re.findall(r"<code>([0-9a-f]{5}-[0-9a-f]{5})</code>", body(response))
    return secret, codes


def _other_code(secret):
    """A valid code not used yet: the next time step's (accepted for a slow clock)."""
    return pyotp.TOTP(secret).at(int(time.time()) + 30)


@pytest.fixture
def member(app):
    with app.app_context():
        factories.user(email=EMAIL)
        db.session.commit()
    return EMAIL


@pytest.fixture
def enrolled(app, member):
    client = signed_in(app, member)
    secret, codes = _enrol(app, client)
    return secret, codes


def test_setup_shows_a_qr_code_and_turns_on_with_a_computed_code(app, member, mailbox):
    client = signed_in(app, member)
    page = body(client.get("/account/security/totp"))
    assert "<svg" in page and _secret(app) in page
    assert client.post("/account/security/totp", data={"code": "000000"}).status_code == 200
    with app.app_context():
        assert services.totp_of(db.session.scalar(select(User).where(User.email == EMAIL))) is None
    secret, codes = _enrol(app, client)
    assert len(codes) == 10 and len(set(codes)) == 10
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == EMAIL))
        assert services.totp_of(user) is not None
        stored = db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)).all()
        assert len(stored) == 10 and not any(code.replace("-", "") in stored for code in codes)
        assert db.session.get(TotpCredential, user.id).secret_encrypted != secret  # not stored in clear
        actions = set(db.session.scalars(select(AuditEntry.action).where(AuditEntry.target_id == user.id)))
        assert "twofactor.totp_enabled" in actions
        kinds = db.session.scalars(select(OutboxMessage.kind).where(OutboxMessage.user_id == user.id)).all()
        assert "twofactor.changed" in kinds
    message = mailbox.last_to(EMAIL)  # in the user's language (Thai), with the link to the security page
    assert message["Subject"] == "การตั้งค่าความปลอดภัยในการเข้าสู่ระบบของคุณเปลี่ยนไป"
    text = mailbox.body(message)
    assert "มีการตั้งค่าแอปยืนยันตัวตนเป็นปัจจัยที่สอง" in text and "http://localhost/account/security" in text


def test_sign_in_asks_for_the_code_and_refuses_wrong_and_reused_ones(app, enrolled):
    secret, _codes = enrolled
    client = app.test_client()
    response = factories.sign_in(client, EMAIL)
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/security/verify")
    assert _user_id(client) is None  # not signed in before the second factor
    assert client.get("/auth/account").status_code == 302
    wrong = client.post("/account/security/verify", data={"code": "123456"})
    assert wrong.status_code == 200 and _user_id(client) is None
    code = _other_code(secret)
    assert client.post("/account/security/verify", data={"code": code}).status_code == 302
    assert _user_id(client) is not None
    # The same code a second time (another browser, same minute) is refused.
    other = app.test_client()
    factories.sign_in(other, EMAIL)
    assert other.post("/account/security/verify", data={"code": code}).status_code == 200
    assert _user_id(other) is None


def test_a_recovery_code_works_once(app, enrolled):
    _secret_, codes = enrolled
    client = app.test_client()
    factories.sign_in(client, EMAIL)
    assert client.post("/account/security/verify", data={"code": codes[0].upper()}).status_code == 302
    assert _user_id(client) is not None
    again = app.test_client()
    factories.sign_in(again, EMAIL)
    assert again.post("/account/security/verify", data={"code": codes[0]}).status_code == 200
    assert _user_id(again) is None
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == EMAIL))
        assert services.recovery_codes_left(user) == 9


def test_second_step_is_throttled_with_a_translated_429(app, enrolled):
    client = app.test_client()
    factories.sign_in(client, EMAIL)
    free = app.config["LOGIN_FREE_FAILURES"]
    for _ in range(free):
        assert client.post("/account/security/verify", data={"code": "111111"}).status_code == 200
    response = client.post("/account/security/verify", data={"code": "111111"}, headers={"Accept-Language": "th"})
    assert response.status_code == 429 and "Retry-After" in response.headers
    # Even the right code waits now.
    blocked = client.post("/account/security/verify", data={"code": _other_code(enrolled[0])})
    assert blocked.status_code == 429 and _user_id(client) is None


def test_pending_state_expires(app, enrolled, monkeypatch):
    client = app.test_client()
    factories.sign_in(client, EMAIL)
    later = time.time() + app.config["TWO_FACTOR_PENDING_SECONDS"] + 5
    monkeypatch.setattr(flow, "time", types.SimpleNamespace(time=lambda: later))
    response = client.post("/account/security/verify", data={"code": _other_code(enrolled[0])})
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert _user_id(client) is None


def test_remembered_browser_skips_the_step_until_settings_change(app, enrolled):
    secret, _codes = enrolled
    client = app.test_client()
    factories.sign_in(client, EMAIL)
    client.post("/account/security/verify", data={"code": _other_code(secret), "remember_device": "y"})
    assert client.get_cookie(flow.DEVICE_COOKIE) is not None
    client.post("/auth/logout")
    assert _user_id(client) is None
    response = factories.sign_in(client, EMAIL)
    assert response.status_code == 302 and "verify" not in response.headers["Location"]
    assert _user_id(client) is not None
    # Forgetting the browsers (any change of second factors does it too) brings the step back.
    assert client.post("/account/security/devices/forget").status_code == 302
    client.post("/auth/logout")
    response = factories.sign_in(client, EMAIL)
    assert response.headers["Location"].endswith("/account/security/verify")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RememberedDevice)) == 0


def test_removing_the_app_needs_a_recent_sign_in(app, enrolled, monkeypatch):
    secret, codes = enrolled
    client = app.test_client()
    factories.sign_in(client, EMAIL)
    client.post("/account/security/verify", data={"code": _other_code(secret)})
    later = time.time() + app.config["REAUTH_MAX_AGE"] + 60
    monkeypatch.setattr(flow, "time", types.SimpleNamespace(time=lambda: later))
    response = client.post("/account/security/totp/remove")
    assert response.status_code == 302 and "/account/security/confirm" in response.headers["Location"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(TotpCredential)) == 1
    # The password alone is not enough while the app is on; a wrong password neither.
    assert client.post("/account/security/confirm", data={"password": factories.PASSWORD}).status_code == 200
    assert client.post("/account/security/confirm", data={
        "password": "wrong-password", "code": codes[0]}).status_code == 200
    done = client.post("/account/security/confirm", data={
        "password": factories.PASSWORD, "code": codes[0],
        "next": "/account/security"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/account/security")
    assert client.post("/account/security/totp/remove").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(TotpCredential)) == 0
        assert db.session.scalar(select(func.count()).select_from(RecoveryCode)) == 0
        assert "twofactor.totp_disabled" in db.session.scalars(select(AuditEntry.action)).all()


def test_changing_the_password_asks_to_confirm_after_a_while(app, member, monkeypatch):
    client = signed_in(app, member)
    assert client.get("/auth/password").status_code == 200  # just signed in
    later = time.time() + app.config["REAUTH_MAX_AGE"] + 60
    monkeypatch.setattr(flow, "time", types.SimpleNamespace(time=lambda: later))
    response = client.get("/auth/password")
    assert response.status_code == 302 and "/account/security/confirm" in response.headers["Location"]
    response = client.post("/account/security/confirm", data={"password": factories.PASSWORD,
                                                              "next": "/auth/password"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/auth/password")
    assert client.get("/auth/password").status_code == 200


def test_staff_without_a_second_factor_is_sent_to_enrol(app, monkeypatch):
    monkeypatch.setitem(app.config, "TWO_FACTOR_REQUIRED_ROLES", ("staff", "admin", "coordinator"))
    with app.app_context():
        factories.user(email="staff@example.com", role=Role.STAFF)
        db.session.commit()
    client = signed_in(app, "staff@example.com")
    for path in ("/admin/audit", "/moderation/", "/firms/mine", "/auth/account", "/privacy/consents"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].endswith("/account/security"), path
    assert client.post("/admin/staff", data={}).headers["Location"].endswith("/account/security")  # posts too
    assert client.get("/account/security").status_code == 200
    _enrol(app, client, "staff@example.com")
    assert client.get("/auth/account").status_code == 200


def test_regenerated_recovery_codes_replace_the_old_ones(app, enrolled):
    _secret_, old = enrolled
    client = app.test_client()
    factories.sign_in(client, EMAIL)
    client.post("/account/security/verify", data={"code": old[1]})
    response = client.post("/account/security/recovery-codes")
    new = re.findall(r"<code>([0-9a-f]{5}-[0-9a-f]{5})</code>", body(response))
    assert len(new) == 10 and not set(new) & set(old)
    other = app.test_client()
    factories.sign_in(other, EMAIL)
    assert other.post("/account/security/verify", data={"code": old[2]}).status_code == 200
    assert other.post("/account/security/verify", data={"code": new[0]}).status_code == 302


# --- LINE sign-in also asks for the second factor ----------------------------------------------------

from tests.test_line_login import fake_line, fake_line_server, line_round_trip, make_user  # noqa: E402,F401


def test_line_sign_in_asks_for_the_second_factor(app, fake_line):  # noqa: F811  (the fixture)
    user_id = make_user(app, "line.2fa@example.com", line=fake_line.user, password=False)
    with app.app_context():
        user = db.session.get(User, user_id)
        services.start_totp(user)
        secret = services.pending_secret(user)
        services.confirm_totp(user, pyotp.TOTP(secret).now())
        db.session.commit()
    client = app.test_client()
    response = line_round_trip(client)
    assert response.status_code == 302 and response.location.endswith("/account/security/verify")
    assert _user_id(client) is None
    assert client.post("/account/security/verify", data={"code": _other_code(secret)}).status_code == 302
    assert _user_id(client) == str(user_id)
    # A LINE-only account confirms it is them with a code (it has no password).
    page = body(client.get("/account/security/confirm?lang=en"))
    assert 'name="code"' in page and 'name="password"' not in page


def test_a_passkey_only_account_confirms_with_password_and_recovery_code(app, member, monkeypatch):
    from portal.twofactor.models import Passkey

    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == EMAIL))
        db.session.add(Passkey(user_id=user.id, credential_id="cGFzc2tleQ", public_key=b"\xa5", name="phone"))
        codes = services.regenerate_recovery_codes(user)
        db.session.commit()
    client = app.test_client()
    factories.sign_in(client, EMAIL)
    assert client.post("/account/security/verify", data={"code": codes[0]}).status_code == 302
    later = time.time() + app.config["REAUTH_MAX_AGE"] + 60
    monkeypatch.setattr(flow, "time", types.SimpleNamespace(time=lambda: later))
    page = body(client.get("/account/security/confirm?lang=en"))
    assert "Confirm with a passkey" in page and 'name="code"' in page
    assert client.post("/account/security/confirm", data={"password": factories.PASSWORD}).status_code == 200
    done = client.post("/account/security/confirm", data={"password": factories.PASSWORD, "code": codes[1],
                                                          "next": "/auth/password"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/auth/password")


def test_the_security_log_has_the_factor_added_a_wrong_code_and_the_sign_in_after_the_second_step(
        app, member, caplog):
    import json
    import logging

    with caplog.at_level(logging.INFO, logger="portal.security"):
        secret, _codes = _enrol(app, signed_in(app, member))
        client = app.test_client()
        factories.sign_in(client, EMAIL)
        client.post("/account/security/verify", data={"code": "000000"})
        client.post("/account/security/verify", data={"code": _other_code(secret)})
    events = [json.loads(r.getMessage()) for r in caplog.records if r.name == "portal.security"]
    names = [e["event"] for e in events]
    assert "two_factor.enabled" in names and "two_factor.failed" in names
    enabled = next(e for e in events if e["event"] == "two_factor.enabled")
    assert enabled["change"] == "totp_added" and enabled["user_id"] is not None
    # the sign-in counts once the second step is done, not at the password
    assert names.index("two_factor.failed") < len(names) - 1 - names[::-1].index("sign_in.succeeded")
    assert all(secret not in json.dumps(e) for e in events)
