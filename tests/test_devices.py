"""Devices signed in (issue 24): the sessions page, signing out one device or everywhere, remember-me on
the same record, the daily expiry, who may end which session, and the security events' JSON lines."""
import json
import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.audit import AuditEntry
from portal.auth.models import User
from portal.db import utcnow
from portal.devices import services as devices
from portal.devices.models import DeviceSession
from portal.extensions import db
from portal.permissions import can_end_device_session
from portal.thai import to_bangkok
from tests import factories
from tests.helpers import WHO, body, signed_in
from tests.test_permissions import table

FIREFOX_ANDROID = "Mozilla/5.0 (Android 14; Mobile; rv:132.0) Gecko/132.0 Firefox/132.0"
SAFARI_IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                 "Version/17.5 Mobile/15E148 Safari/604.1")


@pytest.fixture
def member(app):
    with app.app_context():
        user = factories.user(email="member@example.com", name="สมหญิง")
        db.session.commit()
        return user.id


def rows_of(app, user_id):
    with app.app_context():
        return db.session.execute(select(DeviceSession.id, DeviceSession.ended_at, DeviceSession.ended_reason,
                                         DeviceSession.user_agent, DeviceSession.remember)
                                  .where(DeviceSession.user_id == user_id).order_by(DeviceSession.id)).all()


def events(caplog, name):
    found = [json.loads(r.getMessage()) for r in caplog.records if r.name == "portal.security"]
    return [e for e in found if e["event"] == name]


# --- who may end which session -----------------------------------------------------------------

#                  own, going   own, ended   another user's
END_SESSION = table("""
anonymous          0            0            0
unconfirmed        1            0            0
stranger           1            0            0
owner              1            0            0
editor             1            0            0
owner_of_two       1            0            0
owner_c            1            0            0
coordinator        1            0            0
other_coordinator  1            0            0
ended_coordinator  1            0            0
suspended          0            0            0
staff              1            0            0
admin              1            0            0
owner_h            1            0            0
applicant          1            0            0
""")


@pytest.mark.parametrize("who", WHO)
def test_a_user_ends_only_their_own_sessions_still_going(roles, who):
    user = roles.users[who]
    own_id = getattr(user, "id", None) or -1
    other_id = roles.users["stranger"].id if who != "stranger" else roles.users["owner"].id
    rows = [DeviceSession(user_id=own_id), DeviceSession(user_id=own_id, ended_at=utcnow()),
            DeviceSession(user_id=other_id)]
    assert [can_end_device_session(user, row) for row in rows] == END_SESSION[who]


# --- signing out, one device or all ---------------------------------------------------------------

def test_the_sessions_page_lists_devices_marks_this_one_and_shows_buddhist_era_dates(app, member):
    phone, laptop = app.test_client(), app.test_client()
    phone.environ_base["HTTP_USER_AGENT"], laptop.environ_base["HTTP_USER_AGENT"] = FIREFOX_ANDROID, SAFARI_IPHONE
    factories.sign_in(phone, "member@example.com")
    factories.sign_in(laptop, "member@example.com", remember=True)
    page = body(phone.get("/auth/sessions/"))
    assert "Firefox · Android" in page and "Safari · iPhone" in page
    assert page.count("อุปกรณ์นี้") >= 1 and page.count("ออกจากระบบอุปกรณ์นี้") == 1  # this device, once
    assert str(to_bangkok(utcnow()).year + 543) in page and "127.0.0.1" in page
    assert [(r.user_agent, r.remember) for r in rows_of(app, member)] == [
        ("Firefox · Android", False), ("Safari · iPhone", True)]


def test_ending_another_device_signs_it_out_only_and_is_audited_and_logged(app, member, caplog):
    phone, laptop = app.test_client(), app.test_client()
    factories.sign_in(phone, "member@example.com")
    factories.sign_in(laptop, "member@example.com", remember=True)
    laptop_row = rows_of(app, member)[1].id
    with caplog.at_level(logging.INFO, logger="portal.security"):
        response = phone.post(f"/auth/sessions/{laptop_row}/end")
    assert response.status_code == 302 and response.location.endswith("/auth/sessions/")
    assert laptop.get("/auth/account").status_code == 302  # session and remember-me cookie both refused
    assert phone.get("/auth/account").status_code == 200
    assert [(r.ended_at is not None, r.ended_reason) for r in rows_of(app, member)] == [
        (False, None), (True, "ended_by_user")]
    [event] = events(caplog, "session.ended")
    assert event["request_id"] == response.headers["X-Request-ID"]
    assert event["user_id"] == member and event["session_id"] == laptop_row and event["current"] is False
    assert event["client_address"] == "127.0.0.1" and event["time"]
    with app.app_context():
        assert db.session.scalar(select(AuditEntry.details).where(AuditEntry.action == "user.session_ended")) == {
            "session": laptop_row, "device": None}


def test_ending_this_device_from_the_page_signs_it_out(app, member):
    phone = signed_in(app, "member@example.com")
    [row] = rows_of(app, member)
    response = phone.post(f"/auth/sessions/{row.id}/end")
    assert response.status_code == 302 and phone.get("/auth/account").status_code == 302
    assert rows_of(app, member)[0].ended_reason == "ended_by_user"


def test_sign_out_is_this_device_only_and_says_so(app, member, caplog):
    phone, laptop = app.test_client(), app.test_client()
    factories.sign_in(phone, "member@example.com")
    factories.sign_in(laptop, "member@example.com")
    with caplog.at_level(logging.INFO, logger="portal.security"):
        response = phone.post("/auth/logout", follow_redirects=True)
    assert "ออกจากระบบบนอุปกรณ์นี้แล้ว" in body(response)
    assert laptop.get("/auth/account").status_code == 200 and phone.get("/auth/account").status_code == 302
    assert [r.ended_reason for r in rows_of(app, member)] == ["signed_out", None]
    assert events(caplog, "sign_out")[0]["user_id"] == member


def test_sign_out_everywhere_ends_all_and_is_audited(app, member, caplog):
    phone, laptop = app.test_client(), app.test_client()
    factories.sign_in(phone, "member@example.com")
    factories.sign_in(laptop, "member@example.com", remember=True)
    with caplog.at_level(logging.INFO, logger="portal.security"):
        response = phone.post("/auth/sessions/end-all", follow_redirects=True)
    assert "ออกจากระบบทุกที่แล้ว" in body(response)
    assert phone.get("/auth/account").status_code == 302 and laptop.get("/auth/account").status_code == 302
    assert [r.ended_reason for r in rows_of(app, member)] == ["everywhere", "everywhere"]
    assert events(caplog, "sign_out.everywhere")[0]["sessions"] == 2
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(AuditEntry.action == "user.signed_out_everywhere")) == 1


@pytest.mark.parametrize("whose", ["another user's", "already ended", "missing"])
def test_ending_a_session_one_may_not_is_refused_and_changes_nothing(app, member, caplog, whose):
    other = app.test_client()
    with app.app_context():
        factories.user(email="other@example.com")
        db.session.commit()
    factories.sign_in(other, "other@example.com")
    phone = signed_in(app, "member@example.com")
    mine = rows_of(app, member)[0].id
    with app.app_context():
        other_id = db.session.scalar(select(User.id).where(User.email == "other@example.com"))
    target = {"another user's": rows_of(app, other_id)[0].id, "missing": 999999}.get(whose)
    if whose == "already ended":
        second = signed_in(app, "member@example.com")
        target = rows_of(app, member)[1].id
        second.post("/auth/logout")
    before = rows_of(app, member) + rows_of(app, other_id)
    with caplog.at_level(logging.INFO, logger="portal.security"):
        response = phone.post(f"/auth/sessions/{target}/end")
    assert response.status_code == (404 if whose == "missing" else 403)
    assert rows_of(app, member) + rows_of(app, other_id) == before
    assert other.get("/auth/account").status_code == 200 and phone.get("/auth/account").status_code == 200
    assert mine in [r.id for r in rows_of(app, member) if r.ended_at is None]
    if whose != "missing":
        [denied] = events(caplog, "permission.denied")
        assert denied["user_id"] == member and denied["request_id"] == response.headers["X-Request-ID"]
        assert denied["path"] == f"/auth/sessions/{target}/end"


def test_the_sessions_page_needs_a_sign_in(client):
    response = client.get("/auth/sessions/")
    assert response.status_code == 302 and "/auth/login" in response.location
    assert client.post("/auth/sessions/end-all").status_code == 302


# --- remember-me, password change, suspension ----------------------------------------------------

def test_a_remember_me_restore_is_the_same_device_session(app, member):
    laptop, phone = app.test_client(), app.test_client()
    factories.sign_in(laptop, "member@example.com", remember=True)
    laptop.delete_cookie("session")  # the browser was closed: only the remember-me cookie is left
    assert laptop.get("/auth/account").status_code == 200
    [row] = rows_of(app, member)
    assert row.remember and row.ended_at is None
    factories.sign_in(phone, "member@example.com")
    phone.post(f"/auth/sessions/{row.id}/end")
    laptop.delete_cookie("session")
    assert laptop.get("/auth/account").status_code == 302  # its record ended: the remember-me cookie too


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(app, member, caplog):
    phone, laptop = app.test_client(), app.test_client()
    factories.sign_in(phone, "member@example.com")
    factories.sign_in(laptop, "member@example.com")
    with caplog.at_level(logging.INFO, logger="portal.security"):
        phone.post("/auth/password", data={"current": factories.PASSWORD, "password": "a new long password 9",
                                           "password2": "a new long password 9"})
    assert [r.ended_reason for r in rows_of(app, member)] == [None, "password"]
    assert phone.get("/auth/account").status_code == 200 and laptop.get("/auth/account").status_code == 302
    assert events(caplog, "password.changed")[0]["user_id"] == member


def test_suspension_ends_every_session(app, member):
    phone = signed_in(app, "member@example.com")
    with app.app_context():
        from portal.moderation import services as moderation

        staff = factories.user(role=__import__("portal.auth.models", fromlist=["Role"]).Role.STAFF)
        moderation.suspend(staff, db.session.get(User, member), "spam")
        db.session.commit()
    assert rows_of(app, member)[0].ended_reason == "suspended"
    assert phone.get("/auth/account").status_code == 302


# --- last seen and the daily expiry ----------------------------------------------------------------

def test_last_seen_is_written_at_most_every_few_minutes(app, member):
    phone = signed_in(app, "member@example.com")
    [row] = rows_of(app, member)

    def set_seen(ago):
        with app.app_context():
            db.session.get(DeviceSession, row.id).last_seen_at = utcnow() - ago
            db.session.commit()

    def seen():
        with app.app_context():
            return db.session.get(DeviceSession, row.id).last_seen_at

    set_seen(timedelta(minutes=2))
    before = seen()
    phone.get("/auth/account")
    assert seen() == before  # within DEVICE_SEEN_INTERVAL: no write
    set_seen(timedelta(minutes=10))
    phone.get("/auth/account")
    assert utcnow() - seen() < timedelta(minutes=1)


def test_the_daily_job_ends_expired_sessions_and_forgets_old_ended_ones(app, member):
    with app.app_context():
        now, user = utcnow(), db.session.get(User, member)
        made = {}
        for name, created, seen, remember, ended in (
                ("fresh", now, now, False, None),
                ("remembered, 20 days", now - timedelta(days=20), now - timedelta(days=20), True, None),
                ("remembered, 31 days", now - timedelta(days=31), now, True, None),
                ("plain, unseen 15 days", now - timedelta(days=15), now - timedelta(days=15), False, None),
                ("ended 89 days ago", now - timedelta(days=100), now, False, now - timedelta(days=89)),
                ("ended 91 days ago", now - timedelta(days=100), now, False, now - timedelta(days=91))):
            devices.open_session(user)
            row = devices.current_of(user)
            row.created_at, row.last_seen_at, row.remember, row.ended_at = created, seen, remember, ended
            made[name] = row.id
        db.session.commit()
        from portal.jobs import periodic

        assert periodic.expire_device_sessions() == "2 expired sessions ended, 1 old ended sessions removed"
        db.session.commit()
        state = dict(db.session.execute(select(DeviceSession.id, DeviceSession.ended_reason)).all())
    assert {name: state.get(ident, "removed") for name, ident in made.items()} == {
        "fresh": None, "remembered, 20 days": None, "remembered, 31 days": "expired",
        "plain, unseen 15 days": "expired", "ended 89 days ago": None, "ended 91 days ago": "removed"}


# --- security events ------------------------------------------------------------------------------

def test_sign_in_success_and_failure_are_json_lines_without_the_password_or_address(app, member, caplog):
    client = app.test_client()
    with caplog.at_level(logging.INFO, logger="portal.security"):
        failed = factories.sign_in(client, "Member@Example.com", "wrong password!")
        succeeded = factories.sign_in(client, "member@example.com", remember=True)
    lines = [r.getMessage() for r in caplog.records if r.name == "portal.security"]
    assert all("wrong password" not in line and "member@example.com" not in line.lower() for line in lines)
    [failure] = events(caplog, "sign_in.failed")
    [success] = events(caplog, "sign_in.succeeded")
    assert failure["request_id"] == failed.headers["X-Request-ID"] and failure["user_id"] is None
    assert len(failure["email_hash"]) == 24
    with app.test_request_context():
        from portal.security_events import email_fingerprint

        assert failure["email_hash"] == email_fingerprint("member@example.com")  # the same for any case
    assert success["request_id"] == succeeded.headers["X-Request-ID"] and success["user_id"] == member
    assert success["method"] == "password" and success["remember"] is True


def test_hitting_the_throttle_is_logged_and_audited(app, member, caplog, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_FREE_FAILURES", 1)
    client = app.test_client()
    with caplog.at_level(logging.INFO, logger="portal.security"):
        answers = [factories.sign_in(client, "member@example.com", "wrong password!").status_code for _ in range(3)]
    assert answers[-1] == 429 and len(events(caplog, "sign_in.failed")) == 2
    assert events(caplog, "sign_in.throttled")[0]["wait_seconds"] > 0
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "sign_in.throttled"))
        assert entry.target_type == "users" and entry.target_id == member and "email" not in entry.details


def test_security_event_outside_a_request_still_logs_a_json_line(app, caplog):
    from portal.security_events import security_event

    with app.app_context(), caplog.at_level(logging.INFO, logger="portal.security"):
        security_event("two_factor.enabled", None, method="totp")
    [event] = events(caplog, "two_factor.enabled")
    assert event["request_id"] is None and event["user_id"] is None and event["method"] == "totp"


@pytest.mark.parametrize("header, expected", [
    (FIREFOX_ANDROID, "Firefox · Android"), (SAFARI_IPHONE, "Safari · iPhone"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36 "
     "Edg/131.0", "Edge · Windows"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 "
     "Safari/537.36", "Chrome · macOS"),
    ("curl/8.5.0", ""), (None, ""),
])
def test_the_device_is_named_by_browser_and_system(header, expected):
    assert devices.describe_user_agent(header) == expected


def test_last_seen_is_not_committed_after_a_page_that_wrote_something(app, member):
    from flask import Response, g

    from portal.devices.views import touch_after_request

    with app.app_context():
        user = db.session.get(User, member)
        devices.open_session(user)
        row = devices.current_of(user)
        row.last_seen_at = long_ago = utcnow() - timedelta(hours=1)
        db.session.commit()
        row_id = row.id
    for wrote, expect_touched in ((True, False), (False, True)):
        with app.test_request_context("/auth/account"):
            g.device_session_to_touch, g.device_flushed = row_id, wrote
            touch_after_request(Response("ok"))
            db.session.rollback()  # what the page left uncommitted is dropped at the end of the request
            seen = db.session.get(DeviceSession, row_id).last_seen_at
        assert (seen != long_ago) is expect_touched


def test_a_permission_refused_by_a_service_is_logged_with_the_request_id(app, caplog):
    from flask import g

    from portal.exceptions import PermissionDenied

    with app.test_request_context("/requests/1/close", method="POST"), \
            caplog.at_level(logging.INFO, logger="portal.security"):
        app.preprocess_request()  # gives the request its id
        response = app.make_response(app.handle_user_exception(PermissionDenied()))
        request_id = g.request_id
    assert response.status_code == 403
    [event] = events(caplog, "permission.denied")
    assert event["request_id"] == request_id and event["path"] == "/requests/1/close" and event["method"] == "POST"


def test_the_account_page_links_the_sessions_page_and_offers_sign_out_everywhere(app, member):
    page = body(signed_in(app, "member@example.com").get("/auth/account"))
    assert 'href="/auth/sessions/"' in page and 'action="/auth/sessions/end-all"' in page
