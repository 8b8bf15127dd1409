"""While the database is out of reach (stopped, restarting, the network gone), every page answers 503 with
Retry-After and says so in the visitor's language, or in both when even that needs the database; the API
answers problem+json. Not a bare 500: monitoring and people can tell an outage from a bug (issue 25's
PostgreSQL restart showed 755 error pages 500)."""
import time

import pytest

from config import TestConfig
from portal import create_app
from portal.extensions import db

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
