"""The portal as a production web service: security headers, proxy, static caching, request ids, logs,
the health endpoint, and rate limits shared by several gunicorn workers through Redis."""
import io
import json
import logging
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from config import Config, TestConfig
from portal import create_app
from portal.web import GC_THRESHOLDS, log_handler
from tests.browser.quality import in_ci

ROOT = Path(__file__).resolve().parent.parent


def production_app(tmp_path, **settings):
    config = type("Production", (Config,), {
        "SECRET_KEY": "x" * 32, "PORTAL_BASE_URL": "https://localhost",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}", **settings})
    return create_app(config)


@pytest.mark.parametrize("level", ["warning", "Warning", "WARNING"])
def test_log_level_is_read_in_any_case_as_gunicorn_reads_it(tmp_path, restore_logging, level):
    """#17.17: LOG_LEVEL=warning stopped the app at start with "Unknown level"."""
    production_app(tmp_path, LOG_LEVEL=level)
    assert logging.getLogger().level == logging.WARNING


# --- headers ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/directory/", "/auth/login", "/clusters/", "/healthz"])
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("path", ["/", "/directory/?q=ปลากัด", "/auth/login", "/auth/register", "/clusters/",
                                  "/requests/", "/results"])
def test_pages_have_no_inline_script_or_style_the_policy_would_block(client, path):
    html = client.get(path).get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"\sstyle\s*=", html)
    assert not re.search(r"\son[a-z]+\s*=", html, re.IGNORECASE)


def test_hsts_only_on_https_and_only_in_production(tmp_path, restore_logging):
    app = production_app(tmp_path)
    client = app.test_client()
    assert "Strict-Transport-Security" not in client.get("/healthz").headers
    assert client.get("/healthz", base_url="https://localhost").headers[
        "Strict-Transport-Security"].startswith("max-age=31536000")
    from config import DevConfig

    dev = create_app(type("Dev", (DevConfig,), {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'd.db'}"}))
    assert "Strict-Transport-Security" not in dev.test_client().get(
        "/healthz", base_url="https://localhost").headers


def test_cookies_are_secure_httponly_lax_and_bounded_in_production(tmp_path, restore_logging):
    app = production_app(tmp_path)
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == app.config["REMEMBER_COOKIE_SAMESITE"] == "Lax"
    assert app.config["REMEMBER_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_HTTPONLY"]
    assert app.config["PERMANENT_SESSION_LIFETIME"] <= 14 * 24 * 3600
    assert app.config["REMEMBER_COOKIE_DURATION"] <= 30 * 24 * 3600
    response = app.test_client().get("/auth/login", base_url="https://localhost")
    cookie = response.headers["Set-Cookie"]  # the CSRF token puts the session cookie on the form
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


# --- proxy, static files, request ids, logs --------------------------------------------------------

def test_forwarded_headers_are_trusted_only_from_the_configured_proxy(tmp_path, restore_logging, caplog):
    forwarded = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    for hops, expected in ((0, "127.0.0.1"), (1, "203.0.113.9")):
        app = production_app(tmp_path, TRUSTED_PROXIES=hops)
        logging.getLogger().addHandler(caplog.handler)  # the production app replaced the root handlers
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="portal.access"):
            app.test_client().get("/healthz", headers=forwarded)
        assert [r.remote_addr for r in caplog.records if r.name == "portal.access"] == [expected]


def test_static_files_are_versioned_and_cached(client):
    html = client.get("/").get_data(as_text=True)
    css = re.search(r'href="(/static/css/portal\.css\?v=[0-9a-f]{12})"', html).group(1)
    versioned = client.get(css)
    assert versioned.status_code == 200
    assert "immutable" in versioned.headers["Cache-Control"] and "max-age=31536000" in versioned.headers[
        "Cache-Control"]
    plain = client.get("/static/css/portal.css")
    assert "max-age=86400" in plain.headers["Cache-Control"] and "immutable" not in plain.headers["Cache-Control"]


def test_request_id_is_echoed_when_sane_and_replaced_when_not(client):
    assert client.get("/healthz", headers={"X-Request-ID": "edge-1234abcd"}).headers["X-Request-ID"] == \
        "edge-1234abcd"
    for bad in ("short", "x" * 65, "has space in it", "<script>alert(1)</script>"):
        returned = client.get("/healthz", headers={"X-Request-ID": bad}).headers["X-Request-ID"]
        assert returned != bad and re.fullmatch(r"[0-9a-f]{32}", returned)


def test_json_log_lines_carry_the_request_id(app):
    stream = io.StringIO()
    logger = logging.getLogger("portal.test-json")
    logger.addHandler(log_handler("json", stream))
    logger.propagate = False
    try:
        with app.test_request_context("/"):
            from flask import g

            g.request_id = "req-12345678"
            logger.warning("ปลากัด %s", "ok", extra={"status": 200})
        logger.warning("outside")
    finally:
        logger.handlers.clear()
    inside, outside = (json.loads(line) for line in stream.getvalue().splitlines())
    assert inside["request_id"] == "req-12345678" and inside["message"] == "ปลากัด ok"
    assert inside["level"] == "WARNING" and inside["status"] == 200 and inside["time"]
    assert outside["request_id"] == "-"


# --- health -----------------------------------------------------------------------------------------

def test_who_is_signed_in_is_logged_and_kept_private_without_reading_the_account_again(app, caplog):
    """The access log's user id and the no-store header say who is signed in. After a write's commit the account's
    row is expired, and reading its columns (is_authenticated reads the suspension) loaded it again: a statement
    after the commit of every write a signed-in user made, for each of the two. They now read the row's identity.
    Rows: a visitor, a signed-in write, signing out (the response is the visitor's then)."""
    from sqlalchemy import event

    from portal.extensions import db
    from tests import factories
    from tests.helpers import signed_in

    with app.app_context():
        member = factories.user(email="writer@example.com")
        db.session.commit()
        member_id, engine = member.id, db.engine
    client = signed_in(app, "writer@example.com")
    visitor = app.test_client()
    after_commit, committed = [], []

    def on_commit(conn):
        committed.append(True)

    def on_statement(conn, cursor, statement, *args):
        if committed:
            after_commit.append(statement)

    event.listen(engine, "commit", on_commit)
    event.listen(engine, "before_cursor_execute", on_statement)
    try:
        with caplog.at_level(logging.INFO, logger="portal.access"):
            seen = visitor.get("/clusters/")
            committed.clear()  # on PostgreSQL a page's read-only transaction ends with a commit too
            wrote = client.post("/notifications/read")
            wrote_committed, wrote_after = list(committed), list(after_commit)
            left = client.post("/auth/logout")
    finally:
        event.remove(engine, "commit", on_commit)
        event.remove(engine, "before_cursor_execute", on_statement)
    assert (seen.status_code, wrote.status_code, left.status_code) == (200, 302, 302)
    assert wrote_committed and wrote_after == []
    logged = [(r.path, r.user_id) for r in caplog.records if r.name == "portal.access"]
    assert logged == [("/clusters/", None), ("/notifications/read", member_id), ("/auth/logout", None)]
    assert "no-store" not in seen.headers.get("Cache-Control", "")
    assert "no-store" in wrote.headers["Cache-Control"] and "no-store" in left.headers["Cache-Control"]


def test_a_request_answered_before_its_view_is_logged_with_its_timing(app, caplog):
    """The access log's timing starts before every other hook of the app: a request that a hook answers (a NUL
    refused, the privacy notice's gate sending a signed-in person to accept it) is logged with its status, time
    and CPU like any other; both went unlogged while the timing started after those hooks. Rows: a visitor's
    page, a NUL refused, a gate's redirect, the same person's page once the notice is accepted."""
    from sqlalchemy import delete

    from portal.auth.models import User
    from portal.extensions import db
    from portal.privacy import services as privacy
    from portal.privacy.models import ConsentMethod, ConsentRecord
    from tests import factories
    from tests.helpers import signed_in

    with app.app_context():
        person = factories.user(email="held@example.com")
        db.session.commit()
        person_id = person.id
    client = signed_in(app, "held@example.com")
    with app.app_context():
        db.session.execute(delete(ConsentRecord).where(ConsentRecord.user_id == person_id))
        db.session.commit()
    with caplog.at_level(logging.INFO, logger="portal.access"):
        answers = [app.test_client().get("/clusters/").status_code, app.test_client().get("/directory/?q=a%00b")
                   .status_code, client.get("/firms/mine").status_code]
        with app.app_context():
            privacy.accept_notice(db.session.get(User, person_id), ConsentMethod.REACCEPTANCE, "th")
            db.session.commit()
        answers.append(client.get("/firms/mine").status_code)
    assert answers == [200, 400, 302, 200]
    logged = [r for r in caplog.records if r.name == "portal.access"]
    assert [(r.path, r.status, r.user_id) for r in logged] == [
        ("/clusters/", 200, None), ("/directory/", 400, None), ("/firms/mine", 302, person_id),
        ("/firms/mine", 200, person_id)]
    assert all(0 <= r.cpu_ms <= r.duration_ms + 0.2 for r in logged)  # one thread's CPU: never over the time taken


def test_health_says_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json
    assert {key: body[key] for key in ("status", "database", "migrations", "rate_limits")} == {
        "status": "ok", "database": "ok", "migrations": "current", "rate_limits": "per-process"}
    assert body["outbox"] == {"pending": 0, "oldest_pending_seconds": 0, "failed": 0, "workers": "ok",
                              "queue": None}  # tests deliver at once: no queue
    assert "warnings" not in body
    assert "no-store" in response.headers["Cache-Control"]


def test_health_says_per_process_while_this_worker_still_counts_in_memory_after_a_redis_outage(app, monkeypatch):
    """Flask-Limiter keeps counting in memory after Redis failed until its next look at Redis (a backoff of up to
    32 s), even once Redis answers again: /healthz says what this process does, not only whether Redis is up."""
    from portal.extensions import limiter

    monkeypatch.setitem(app.config, "RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    monkeypatch.setattr(limiter, "_storage", type("RedisAnswers", (), {"check": lambda self: True})())
    client = app.test_client()
    assert client.get("/healthz").json["rate_limits"] == "shared"
    monkeypatch.setattr(limiter, "_storage_dead", True)
    assert client.get("/healthz").json["rate_limits"] == "per-process"


def test_health_answers_503_when_the_database_does_not(tmp_path):
    config = type("Broken", (TestConfig,), {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'missing-dir' / 'nothing.db'}"})
    response = create_app(config).test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "unavailable"


# --- several gunicorn workers share the rate limit through Redis -----------------------------------

def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _login_attempt(base: str, barrier: threading.Barrier, results: list) -> None:
    """One browser: fetch the form (session cookie + CSRF token), then post a wrong password."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    page = opener.open(f"{base}/auth/login", timeout=20).read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"csrf_token": token, "email": "nobody@example.com",
                                   "password": "wrong-password"}).encode()
    barrier.wait()
    try:
        results.append(opener.open(f"{base}/auth/login", data=body, timeout=20).status)
    except urllib.error.HTTPError as error:
        results.append(error.code)


@pytest.mark.skipif(not _redis_up() and not in_ci(), reason="Redis is not running on 127.0.0.1:6379")
def test_a_sign_in_limit_holds_across_several_gunicorn_workers(app, tmp_path):
    port, access_log = _free_port(), tmp_path / "access.log"
    env = {**os.environ, "SECRET_KEY": "y" * 32, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "REDIS_URL": "redis://127.0.0.1:6379/0", "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
           "RATELIMIT_LOGIN": "3 per minute", "SESSION_COOKIE_SECURE": "false", "HSTS_ENABLED": "false",
           "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "3", "PORTAL_CONFIG": "production",
           "PORTAL_BASE_URL": f"http://127.0.0.1:{port}"}
    env.pop("RATELIMIT_STORAGE_URI", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--access-logfile", str(access_log),
         "--access-logformat", "%(p)s %(m)s %(U)s %(s)s", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):  # the master loads the app and prepares the workers first: seconds on a busy machine
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        attempts, results = 9, []
        barrier = threading.Barrier(attempts)
        threads = [threading.Thread(target=_login_attempt, args=(base, barrier, results)) for _ in range(attempts)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        server.terminate()
        _out, errors = server.communicate(timeout=30)
    assert sorted(results) == [200] * 3 + [429] * 6, errors.decode()[-2000:]
    workers = {line.split()[0] for line in access_log.read_text().splitlines() if " POST /auth/login " in line}
    assert len(workers) >= 2, "the attempts should have been spread over several workers"


_FORKED_WORKER = """
import gc
import os
import resource
import wsgi  # (as gunicorn's master imports it, preload_app)
from pythainlp.tokenize import word_dict_trie

built_in_master = word_dict_trie.cache_info().misses
read, write = os.pipe()
if os.fork() == 0:  # a worker, forked from the master as gunicorn forks it
    from portal.search.text import words
    cut = words("ฟาร์มปลากัดบางกอก")
    # (the cache's keys: the loader, the template's name, the language it was compiled in)
    compiled = {key[1:] for key in wsgi.app.jinja_env.cache.keys()}
    every = {(name, lang) for name in wsgi.app.jinja_env.list_templates() for lang in wsgi.app.config["LANGUAGES"]}
    collector = f"{gc.get_threshold()}|{gc.get_freeze_count() > 100_000}"
    from werkzeug.security import generate_password_hash
    from portal.auth.passwords import check_password, hash_password
    hashed, old_way = hash_password("a sign-in"), generate_password_hash("a sign-in")  # Argon2id; scrypt
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    check_password(hashed, "a sign-in")
    check_password(old_way, "a sign-in")
    check_password(hashed, "a sign-in")
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
    os.write(write, f"{'/'.join(cut)}|{word_dict_trie.cache_info().misses}|{compiled == every}|{len(every)}|{collector}"
             f"|{faults}".encode())
    os._exit(0)
os.wait()
print(f"{built_in_master}|{os.read(read, 1000).decode()}")
"""


def test_workers_forked_from_the_preloaded_app_share_its_dictionary_and_compiled_templates(tmp_path):
    """wsgi.py builds PyThaiNLP's dictionary (0.6 s, 75 MB) and compiles every template in each language before
    gunicorn forks: a worker's first Thai text is cut with the master's dictionary, and its first pages are rendered
    from templates compiled there, not built while a visitor waits (portal.web.prepare_workers). It collects garbage
    with the start-up objects frozen and the thresholds of portal.web.settle_collector, and a password hash's memory
    is kept for the next one (portal.web.keep_hash_memory)."""
    env = {**os.environ, "SECRET_KEY": "z" * 32, "DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}",
           "PORTAL_CONFIG": "production", "PORTAL_BASE_URL": "https://localhost"}
    done = subprocess.run([sys.executable, "-c", _FORKED_WORKER], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    master, cut, worker, all_compiled, templates, thresholds, frozen, faults = done.stdout.split("\n")[0].split("|")
    assert cut == "ฟาร์ม/ปลากัด/บางกอก"
    assert (master, worker) == ("1", "1")  # built once, in the master
    assert all_compiled == "True" and int(templates) > 200  # over 100 templates, each in Thai and in English
    assert thresholds == str(GC_THRESHOLDS) and frozen == "True"  # the start-up objects frozen, the collector tuned
    # passwords checked after one another: the hash's memory reused (19 MiB for Argon2id, 32 MiB for a scrypt hash
    # made before), not 4,850 or 8,193 pages mapped afresh each time
    assert int(faults) < 1000, faults
