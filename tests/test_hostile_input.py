"""Regression tests for what the fuzz tests (tests/test_fuzz.py) found: each input here gave a 500."""
import csv
import io
from datetime import timedelta

import pytest

from portal.collab.models import CollabRequest, RequestStatus
from portal.extensions import db
from portal.firms.models import Firm
from portal.thai import bangkok_today
from tests import fuzz_world
from tests.helpers import body


@pytest.fixture
def world(app):
    with app.app_context():
        return fuzz_world.build()


def client_as(app, world, role):
    client = app.test_client()
    if role != "anonymous":
        with client.session_transaction() as session:
            session["_user_id"] = world.user_id(role)
    return client


@pytest.mark.parametrize(("role", "url"), [
    ("anonymous", "/clusters/betta/members/upstream?page=99999999999999999999"),
    ("owner", "/notifications/?page=9223372036854775808"),
    ("coordinator", "/clusters/betta/manage/members?page=100000000"),
    ("staff", "/admin/audit?page=99999999999999999999"),
])
def test_absurd_page_numbers_open_the_first_page(app, world, role, url):
    response = client_as(app, world, role).get(url)
    assert response.status_code == 200 and 'rel="prev"' not in body(response)


@pytest.mark.parametrize("url", ["/directory/?page=0", "/requests/?page=0", "/directory/?page=๐"])
def test_page_zero_of_a_filtered_listing_opens_its_first_page(app, world, url):
    response = client_as(app, world, "owner").get(url)
    assert response.status_code == 200


@pytest.mark.parametrize(("method", "url"), [
    ("GET", "/firms/2147483648"),
    ("GET", "/firms/99999999999999999999"),
    ("GET", "/requests/9223372036854775808"),
    ("POST", "/firms/1/invitations/99999999999999999999/revoke"),
    ("POST", "/clusters/betta/manage/99999999999999999999/approve"),
])
def test_ids_beyond_a_database_integer_are_not_found(app, world, method, url):
    assert client_as(app, world, "staff").open(url, method=method).status_code == 404


def test_audit_log_ignores_dates_at_the_ends_of_the_calendar(app, world):
    staff = client_as(app, world, "staff")
    page = staff.get("/admin/audit?from=0001-01-01&to=9999-12-31")
    assert page.status_code == 200 and "request.posted" in body(page)
    assert staff.get("/admin/audit.csv?from=0001-01-01&to=9999-12-31").status_code == 200


@pytest.mark.parametrize(("method", "url", "data"), [
    ("GET", "/directory/?q=ปลา%00กัด&lang=en", None),
    ("GET", "/clusters/bet%00ta?lang=en", None),
    ("POST", "/firms/{firm}/edit?lang=en", {"name_th": "ฟาร์ม\x00ใหม่"}),
    ("POST", "/requests/responses/{response}?lang=en", {"body\x00": "สวัสดี"}),
])
def test_nul_characters_are_refused_with_a_reason(app, world, method, url, data):
    response = client_as(app, world, "owner").open(url.format(**world.ids), method=method, data=data)
    assert response.status_code == 400
    assert "NUL character" in body(response)
    with app.app_context():
        assert db.session.get(Firm, world.ids["firm"]).name_th == "ฟาร์มเจ้าของ"


def test_line_breaks_in_a_reason_do_not_break_the_notification_mail(app, world, mailbox):
    coordinator = client_as(app, world, "coordinator")
    removed = coordinator.post(f"/clusters/betta/manage/members/{world.ids['membership']}/remove",
                               data={"r-reason": "ปิดกิจการ\r\nชั่วคราว"})
    assert removed.status_code == 302
    subject = mailbox.last_to("owner@fuzz.example")["Subject"]
    assert "\n" not in subject and "\r" not in subject


def test_a_blank_outcome_kind_is_no_outcome_kind(app, world):
    closed = client_as(app, world, "owner").post(f"/requests/{world.ids['request']}/close", data={
        "reason": "not_fulfilled", "partner_firm_id": "", "outcome_kind": "   "})
    assert closed.status_code == 302
    with app.app_context():
        assert db.session.get(CollabRequest, world.ids["request"]).status is RequestStatus.CLOSED


@pytest.mark.parametrize("amount", ["sNaN", "NaN", "Infinity", "-Infinity"])
def test_budgets_that_are_not_numbers_are_refused(app, world, th, amount):
    response = client_as(app, world, "owner").post("/requests/new", data={
        "firm_id": world.ids["firm"], "cluster_id": 0, "kind": "seeking_supplier", "position_sought": "",
        "title_th": "หาฟาร์มปลากัด", "province_id": 0, "budget_min": amount,
        "expires_on": (bangkok_today() + timedelta(days=30)).isoformat()})
    assert response.status_code == 200
    assert th("Enter an amount in baht.") in body(response)


def test_a_reason_typed_as_a_formula_reaches_the_audit_spreadsheet_as_text(app, world):
    coordinator = client_as(app, world, "coordinator")
    coordinator.post(f"/clusters/betta/manage/members/{world.ids['membership']}/remove",
                     data={"r-reason": "=cmd|' /C calc'!A0"})
    exported = client_as(app, world, "staff").get("/admin/audit.csv?action=membership.removed")
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[1][4] == "'=cmd|' /C calc'!A0"  # the Reason column
