"""Issue #14, the holes found when the portal was attacked: links from the configured base URL and a
trusted Host only, sign-in throttling per (address, account), GETs that change nothing stored, the
remember-me lifetime enforced by the server, no-store on private pages, and shared rate-limit storage.
Each test failed before its fix."""
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from config import Config
from portal import create_app
from portal.auth.models import Role, User
from portal.db import utcnow
from portal.extensions import db
from tests import factories
from tests.helpers import body
from tests.test_auth_security import fresh_app, limiter_restored  # noqa: F401  (a fixture)

ROOT = Path(__file__).resolve().parent.parent
EVIL = "http://evil.example"


def links(mailbox, address) -> list[str]:
    return re.findall(r"https?://\S+", mailbox.body(mailbox.last_to(address)))


@pytest.fixture
def member(app):
    with app.app_context():
        factories.user(email="victim@example.com", name="Victim")
        db.session.commit()


# --- 1. mailed links never follow the Host header --------------------------------------------------

@pytest.mark.parametrize("path, data, address, fragment", [
    ("/auth/reset", {"email": "victim@example.com"}, "victim@example.com", "/auth/reset/"),
    ("/auth/reset", {"email": "nobody@example.com"}, "nobody@example.com", "/auth/register"),
    ("/auth/register", {"name": "New", "email": "new@example.com", "password": "long enough 123",
                        "password2": "long enough 123", "accept_privacy": "y"}, "new@example.com", "/auth/confirm/"),
    ("/auth/register", {"name": "Again", "email": "victim@example.com", "password": "long enough 123",
                        "password2": "long enough 123", "accept_privacy": "y"}, "victim@example.com", "/auth/login"),
])
def test_mailed_links_use_the_configured_base_url_whatever_the_host_header(
        client, mailbox, member, path, data, address, fragment):
    client.post(path, data=data, base_url=EVIL, headers={"X-Forwarded-Host": "evil.example"})
    found = links(mailbox, address)
    assert found and all(link.startswith("http://localhost/") for link in found), found
    assert any(fragment in link for link in found)


def test_notification_mails_use_the_configured_base_url(app, mailbox):
    with app.app_context():
        factories.user(email="staff@example.com", role=Role.STAFF)
        owner = factories.user(email="owner@example.com")
        firm = factories.firm()
        factories.team_member(firm, owner, "owner")
        db.session.commit()
        firm_id = firm.id
    client = app.test_client()
    factories.sign_in(client, "staff@example.com")
    client.set_cookie("session", client.get_cookie("session").value, domain="evil.example")
    response = client.post(f"/moderation/firm/{firm_id}", base_url=EVIL,
                           data={"action": "hide", "reason": "Spam listing"})
    assert response.status_code == 302 and response.location.startswith(f"/moderation/firm/{firm_id}")
    found = links(mailbox, "owner@example.com")
    assert found == [f"http://localhost/firms/{firm_id}"]


def test_hreflang_alternates_use_the_configured_base_url(client):
    page = body(client.get("/clusters/betta", base_url=EVIL))
    assert "evil.example" not in page
    assert 'hreflang="en" href="http://localhost/clusters/betta?lang=en"' in page


def production_app(tmp_path, **settings):
    config = type("Production", (Config,), {
        "SECRET_KEY": "x" * 32, "PORTAL_BASE_URL": "https://portal.example.go.th",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}", **settings})
    return create_app(config)


def test_production_answers_400_to_a_foreign_host(tmp_path, restore_logging):
    app = production_app(tmp_path, TRUSTED_PROXIES=1)
    client = app.test_client()
    assert client.get("/healthz", base_url="https://portal.example.go.th").status_code == 200
    refused = client.get("/auth/reset", base_url="https://evil.example")
    assert refused.status_code == 400 and "<html" in body(refused)
    assert client.post("/auth/reset", base_url="https://evil.example",
                       data={"email": "victim@example.com"}).status_code == 400
    forwarded = client.get("/auth/reset", base_url="https://portal.example.go.th",
                           headers={"X-Forwarded-Host": "evil.example"})
    assert forwarded.status_code == 400
    extra = production_app(tmp_path, TRUSTED_HOSTS=["portal.example.go.th", "127.0.0.1"])
    assert extra.test_client().get("/healthz", base_url="http://127.0.0.1:8000").status_code == 200


def test_readme_nginx_example_drops_unknown_hosts():
    readme = (ROOT / "README.md").read_text()
    assert re.search(r"listen 443 ssl default_server;.*?return 444;", readme, re.S)


# --- 7. throttle per (address, account), growing delays, no lockout of the owner --------------------

def _attempt(client, password, address, lang="en"):
    return client.post(f"/auth/login?lang={lang}", data={"email": "victim@example.com", "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_wrong_passwords_slow_one_address_down_and_never_lock_the_owner_out(app, member, monkeypatch):
    from portal.auth import throttle

    clock = [utcnow()]
    monkeypatch.setattr(throttle, "utcnow", lambda: clock[0])
    attacker = app.test_client()
    for _ in range(5):  # the first five cost nothing
        response = _attempt(attacker, "wrong password", "203.0.113.1")
        assert response.status_code == 200 and "is not correct" in body(response)
    refused = _attempt(attacker, "wrong password", "203.0.113.1")
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "15"
    assert "Please try again in 15 seconds" in body(refused)
    thai = _attempt(attacker, factories.PASSWORD, "203.0.113.1", lang="th")  # even the right password waits
    assert thai.status_code == 429 and "กรุณาลองใหม่อีกครั้งใน 15 วินาที" in body(thai)
    clock[0] += timedelta(seconds=16)
    assert _attempt(attacker, "wrong password", "203.0.113.1").headers["Retry-After"] == "30"  # it doubles
    clock[0] += timedelta(seconds=31)
    assert _attempt(attacker, "wrong password", "203.0.113.1").headers["Retry-After"] == "60"
    # 21 wrong passwords from three addresses (as in the attack) do not keep the owner out.
    for address in ("203.0.113.2", "203.0.113.3"):
        for _ in range(7):
            _attempt(attacker, "wrong password", address)
    owner = app.test_client()
    signed_in = _attempt(owner, factories.PASSWORD, "198.51.100.7")
    assert signed_in.status_code == 302 and signed_in.location.endswith("/firms/mine")


def test_a_successful_sign_in_clears_the_count(app, member, monkeypatch):
    client = app.test_client()
    for _ in range(4):
        _attempt(client, "wrong password", "203.0.113.9")
    assert _attempt(client, factories.PASSWORD, "203.0.113.9").status_code == 302
    client.post("/auth/logout")
    client = app.test_client()
    for _ in range(5):
        assert _attempt(client, "wrong password", "203.0.113.9").status_code == 200


def test_unknown_accounts_are_throttled_alike(app):
    client = app.test_client()
    statuses = [client.post("/auth/login", data={"email": "ghost@example.com", "password": "nope nope"},
                            environ_base={"REMOTE_ADDR": "203.0.113.4"}).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]


@pytest.mark.usefixtures("limiter_restored")
def test_the_rate_limit_page_says_when_to_try_again(database_url, app):
    limited = fresh_app(database_url, RATELIMIT_ENABLED=True, RATELIMIT_RESET="2 per minute")
    client = limited.test_client()
    for _ in range(2):
        client.post("/auth/reset?lang=en", data={"email": "x@example.com"})
    refused = client.post("/auth/reset?lang=en", data={"email": "x@example.com"})
    assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 60
    assert re.search(r"Please try again in \d+ (seconds?|minutes?) \(at \d\d:\d\d\)", body(refused))


# --- 11. a GET changes nothing stored -------------------------------------------------------------

def test_a_cross_site_get_neither_changes_the_language_preference_nor_reads_notifications(app, member):
    client = app.test_client()
    factories.sign_in(client, "victim@example.com")
    client.get("/auth/lang/en")
    with app.app_context():
        assert db.session.scalar(db.select(User.locale).where(User.email == "victim@example.com")) == "th"


# --- 12. hardening ----------------------------------------------------------------------------------

def test_the_remember_me_cookie_ends_after_30_days_on_the_server(app, member, monkeypatch):
    from portal.auth import services

    client = app.test_client()
    factories.sign_in(client, "victim@example.com", remember=True)
    remembered = client.get_cookie("remember_token")
    assert remembered is not None
    started = services.now_seconds()

    def returning_after(days):
        monkeypatch.setattr(services, "now_seconds", lambda: started + days * 86400)
        browser = app.test_client()  # the session cookie is gone; only the remember-me cookie is left
        browser.set_cookie("remember_token", remembered.value)
        return browser.get("/auth/account")

    assert returning_after(29).status_code == 200
    late = returning_after(31)
    assert late.status_code == 302 and "/auth/login" in late.location


def test_private_pages_and_exports_are_not_stored(app, member):
    with app.app_context():
        owner = factories.user(email="coord@example.com")
        from portal.clusters.models import Cluster

        betta = db.session.scalar(db.select(Cluster).where(Cluster.slug == "betta"))
        factories.term(owner, betta)
        db.session.commit()
    client = app.test_client()
    assert "no-store" in client.get("/auth/reset/sometoken").headers.get("Cache-Control", "")
    assert "no-store" not in client.get("/clusters/").headers.get("Cache-Control", "")
    factories.sign_in(client, "coord@example.com")
    for path in ("/auth/account", "/firms/mine", "/notifications/", "/clusters/betta/manage/members.csv",
                 "/clusters/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response.headers["Cache-Control"], path


def test_production_health_says_loudly_that_limits_are_per_process(tmp_path, restore_logging):
    health = production_app(tmp_path).test_client().get("/healthz", base_url="https://portal.example.go.th")
    assert health.json["rate_limits"] == "per-process" and "REDIS_URL" in health.json["warnings"][0]


def test_gunicorn_refuses_several_workers_without_shared_rate_limits(tmp_path):
    env = {key: value for key, value in os.environ.items()
           if key not in ("REDIS_URL", "RATELIMIT_STORAGE_URI", "RATELIMIT_PER_PROCESS_OK")}
    env.update({"SECRET_KEY": "y" * 32, "PORTAL_BASE_URL": "http://127.0.0.1", "WEB_CONCURRENCY": "4",
                "DATABASE_URL": f"sqlite:///{tmp_path / 'g.db'}", "GUNICORN_BIND": "127.0.0.1:0"})
    started = subprocess.run([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                             cwd=ROOT, env=env, capture_output=True, timeout=60)
    assert started.returncode != 0
    assert "no shared rate-limit storage" in started.stderr.decode()
