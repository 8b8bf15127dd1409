"""While the database is out of reach (stopped, restarting, the network gone), every page answers 503 with
Retry-After and says so in the visitor's language, or in both when even that needs the database; the API
answers problem+json. Not a bare 500: monitoring and people can tell an outage from a bug (issue 25's
PostgreSQL restart showed 755 error pages 500)."""
import time

import pytest
from sqlalchemy import create_engine, text

from config import TestConfig
from portal import create_app
from portal.extensions import db
from tests.conftest import PG_URL

UNREACHABLE = {
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:1/portal_gone?connect_timeout=2",
    "sqlite": "sqlite:////nonexistent-folder-of-the-portal/portal.db",
}


@pytest.fixture(params=sorted(UNREACHABLE))
def cut_off(request):
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = UNREACHABLE[request.param]

    app = create_app(Config)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("path", ["/", "/directory/?q=ปลากัด", "/clusters/", "/requests/"])
def test_pages_say_the_database_is_out_of_reach_with_retry_after(cut_off, path):
    response = cut_off.test_client().get(path, headers={"Accept-Language": "th"})
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    page = response.get_data(as_text=True)
    assert "ใช้งานไม่ได้ชั่วคราว" in page and "โปรดลองอีกครั้งในอีกสักครู่" in page


def test_a_form_posted_during_the_outage_gets_the_same_answer(cut_off):
    response = cut_off.test_client().post("/auth/login", data={"email": "a@example.com", "password": "x" * 12},
                                          headers={"Accept-Language": "en"})
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    assert "Temporarily unavailable" in response.get_data(as_text=True)


@pytest.mark.parametrize(("language", "title"), [("th", "ใช้งานไม่ได้ชั่วคราว"), ("en", "Temporarily unavailable")])
def test_the_api_answers_problem_json_in_the_clients_language(cut_off, language, title):
    response = cut_off.test_client().get("/api/v1/firms", headers={"Accept-Language": language})
    assert response.status_code == 503 and response.mimetype == "application/problem+json"
    assert response.headers["Retry-After"] == "30"
    assert response.get_json()["title"] == title and response.get_json()["status"] == 503


def test_health_check_still_answers_503_in_json(cut_off):
    response = cut_off.test_client().get("/healthz")
    assert response.status_code == 503 and response.is_json


def test_a_signed_in_visitor_gets_the_page_in_both_languages_when_even_that_needs_the_database(cut_off):
    client = cut_off.test_client()
    with client.session_transaction() as session:  # a sign-in cookie: finding the user needs the database
        session["_user_id"] = f"1:1:{int(time.time())}:token"  # id:session version:signed in at:device token
        session["_fresh"] = True
    response = client.get("/firms/mine", headers={"Accept-Language": "en"})
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    page = response.get_data(as_text=True)
    assert "ใช้งานไม่ได้ชั่วคราว" in page and '<h2 lang="en">Temporarily unavailable</h2>' in page


# --- a pooled connection tested before use only after it sat idle (portal.db.ping_when_idle) ---------------------

def _app_pinging_after(app, seconds):
    """Another app on the test database whose pool tests a connection idle longer than `seconds`."""
    config = type("Config", (TestConfig,), {
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "SQLALCHEMY_ENGINE_OPTIONS": app.config["SQLALCHEMY_ENGINE_OPTIONS"],
        "DATABASE_PING_AFTER_IDLE_SECONDS": seconds})
    return create_app(config)


def _pooled_backend(app) -> int:
    """A page served, and the PostgreSQL process of the one connection it used, now back in the pool."""
    client = app.test_client()
    assert client.get("/clusters/").status_code == 200
    with app.app_context():
        pid = db.session.scalar(text("SELECT pg_backend_pid()"))
        db.session.commit()
    return pid


def _terminate(app, pid) -> None:
    """As a restart of PostgreSQL does to every connection: the server ends this one's process."""
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    with engine.begin() as connection:
        assert connection.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    engine.dispose()


@pytest.fixture
def pings(app, monkeypatch):
    """The number of connections tested before use."""
    count = []
    with app.app_context():
        dialect = type(db.engine.dialect)
    original = dialect.do_ping
    monkeypatch.setattr(dialect, "do_ping", lambda self, connection: count.append(1) or original(self, connection))
    return count


def test_a_connection_back_a_moment_ago_is_used_untested_and_one_idle_longer_is_tested(app, pings):
    pinging = _app_pinging_after(app, 0.3)
    client = pinging.test_client()
    for _ in range(3):
        assert client.get("/clusters/").status_code == 200
    assert pings == []  # each request took the connection the one before gave back a moment ago
    time.sleep(0.4)
    assert client.get("/clusters/").status_code == 200
    assert pings == [1]
    every = _app_pinging_after(app, None)
    for _ in range(2):
        assert every.test_client().get("/clusters/").status_code == 200
    assert pings == [1, 1]  # None: every connection but a new one is tested (pool_pre_ping)
    for each in (pinging, every):
        with each.app_context():
            db.engine.dispose()


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL ends a connection's process; SQLite has none")
def test_a_connection_the_server_ended_while_it_sat_idle_is_replaced_before_the_request_uses_it(app):
    pinging = _app_pinging_after(app, 0.3)
    _terminate(pinging, _pooled_backend(pinging))
    time.sleep(0.4)
    assert pinging.test_client().get("/clusters/").status_code == 200  # no error page after the restart
    with pinging.app_context():
        db.engine.dispose()


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL ends a connection's process; SQLite has none")
def test_a_connection_ended_within_the_idle_time_costs_one_request_the_503_page_then_the_pool_is_fresh(app):
    """The price of not testing every connection: a server back within the idle time of a connection's last use
    (a restart shorter than that) fails the one request that takes it, with the outage page, not a bare 500."""
    pinging = _app_pinging_after(app, 60)
    _terminate(pinging, _pooled_backend(pinging))
    client = pinging.test_client()
    response = client.get("/clusters/", headers={"Accept-Language": "en"})
    assert response.status_code == 503 and "Temporarily unavailable" in response.get_data(as_text=True)
    assert client.get("/clusters/").status_code == 200
    with pinging.app_context():
        db.engine.dispose()
