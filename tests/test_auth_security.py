"""Rate limits (translated 429), CSRF on every POST, outbox and SMTP failure, open redirects."""
import time

import pytest

from config import TestConfig
from portal import create_app
from portal.auth.models import User
from portal.extensions import db
from portal.validators import is_safe_next
from tests import factories


def fresh_app(database_url, **settings):
    config = type("Config", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": database_url, **settings})
    return create_app(config)


@pytest.fixture
def limiter_restored():
    """Flask-Limiter keeps its on/off switch and storage on the shared instance, not per app."""
    from portal.extensions import limiter

    enabled = limiter.enabled
    yield
    limiter.reset()
    limiter.enabled = enabled


@pytest.mark.parametrize("path, data", [
    ("/auth/login", {"email": "x@example.com", "password": "whatever1"}),
    ("/auth/register", {"name": "x", "email": "x@example.com", "password": "short"}),
    ("/auth/reset", {"email": "not an address"}),
])
def test_sign_in_registration_and_reset_are_rate_limited(database_url, app, limiter_restored, path, data):
    limited = fresh_app(database_url, RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="3 per minute",
                        RATELIMIT_REGISTER="3 per minute", RATELIMIT_RESET="3 per minute")
    client = limited.test_client()
    statuses = [client.post(f"{path}?lang=th", data=data).status_code for _ in range(4)]
    assert statuses[:3] != [429] * 3 and statuses[3] == 429
    page = client.post(f"{path}?lang=th", data=data)
    assert page.status_code == 429 and "มีคำขอมากเกินไป" in page.get_data(as_text=True)
    english = client.post(f"{path}?lang=en", data=data)
    assert "Too many requests" in english.get_data(as_text=True)
    assert client.get(path).status_code == 200  # reading the form is not limited


def test_posts_without_a_csrf_token_are_refused(database_url, app):
    protected = fresh_app(database_url, WTF_CSRF_ENABLED=True)
    client = protected.test_client()
    response = client.post("/auth/login?lang=th", data={"email": "a@example.com", "password": "whatever1"})
    assert response.status_code == 400
    assert "คำขอไม่ถูกต้อง" in response.get_data(as_text=True)
    assert client.post("/auth/logout").status_code == 400


def test_without_smtp_mail_goes_to_the_outbox(database_url, app, tmp_path):
    dev = fresh_app(database_url, MAIL_SERVER=None, OUTBOX_DIR=str(tmp_path / "outbox"))
    dev.test_client().post("/auth/register?lang=en", data={
        "name": "Dev", "email": "dev@example.com", "password": "long enough 123", "password2": "long enough 123",
        "accept_privacy": "y"})
    files = list((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 1
    assert b"/auth/confirm/" in files[0].read_bytes()


def test_an_smtp_failure_keeps_the_account_and_the_message_for_a_later_try(database_url, app):
    """#15: the page says what is true (we are sending it) and never "could not send" beside it; the
    message waits in the outbox for the next try."""
    from portal.outbox.models import OutboxMessage, OutboxStatus

    broken = fresh_app(database_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=9, MAIL_USE_TLS=False, MAIL_TIMEOUT=2)
    client = broken.test_client()
    response = client.post("/auth/register?lang=th", data={
        "name": "ไม่มีเมล", "email": "nomail@example.com", "password": "long enough 123",
        "password2": "long enough 123", "accept_privacy": "y"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "เรากำลังส่งข้อความไปที่ nomail@example.com" in page
    assert "ส่งอีเมลไม่สำเร็จ" not in page and "ไม่สามารถส่งอีเมล" not in page
    with broken.app_context():
        assert db.session.scalar(db.select(User).filter_by(email="nomail@example.com")) is not None
        queued = db.session.scalar(db.select(OutboxMessage).filter_by(recipient="nomail@example.com"))
        assert queued.status is OutboxStatus.PENDING and queued.attempts == 1
        assert "Connection refused" in queued.last_error


@pytest.mark.parametrize("target", ["//evil.example", "/\\evil.example", "https:evil.example", "http://evil.example",
                                    "evil.example", "", None, "/ok\r\nLocation: x", "\\\\evil", "/\t/evil"])
def test_unsafe_next_targets(target):
    assert not is_safe_next(target)


@pytest.mark.parametrize("target", ["/", "/firms/1", "/clusters/betta?lang=en", "/a//b"])
def test_safe_next_targets(target):
    assert is_safe_next(target)


def test_session_cookies_are_hardened_in_production_config():
    from config import Config

    assert Config.SESSION_COOKIE_HTTPONLY and Config.SESSION_COOKIE_SAMESITE == "Lax"
    assert Config.REMEMBER_COOKIE_HTTPONLY and Config.REMEMBER_COOKIE_SAMESITE == "Lax"
    assert Config.REMEMBER_COOKIE_DURATION == 30 * 24 * 3600


def test_user_loader_rejects_old_session_versions(app):
    from portal.auth.services import load_user

    with app.app_context():
        user = factories.user()
        db.session.commit()
        from portal.devices import services as devices

        token = devices.open_session(user)
        db.session.commit()
        now = int(time.time())
        assert load_user(f"{user.id}:{user.session_version}:{now}:{token}") == user
        assert load_user(f"{user.id}:{user.session_version - 1}:{now}:{token}") is None
        assert load_user(f"{user.id}:{user.session_version}:{now}") is None  # no device token (before issue 24)
        assert load_user("garbage") is None and load_user(f"{user.id}") is None
        assert load_user(f"{user.id}:{user.session_version}") is None  # no sign-in time: not accepted
