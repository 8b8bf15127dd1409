"""In Chromium, in two languages: post a request in Thai → another firm responds in English → accept →
close as partnered with a value."""
import re

import pytest
from playwright.sync_api import Browser, expect

from portal.clusters.models import Position
from portal.extensions import db
from tests import factories
from tests.browser.quality import sign_in

pytestmark = pytest.mark.browser


def label(text):
    return re.compile("^" + re.escape(text) + r"\s*\*?$")


@pytest.fixture
def firms(app):
    with app.app_context():
        betta = factories.cluster("betta")
        for email, name_th, name_en, locale, position in (
            ("poster.b@example.com", "ผู้ส่งออกปลากัดสยาม", "Siam Betta Exporter", "th", Position.DOWNSTREAM),
            ("breeder.b@example.com", "ฟาร์มปลากัดบางกอก", "Bangkok Betta Farm", "en", Position.UPSTREAM),
        ):
            user = factories.user(email=email, locale=locale)
            firm = factories.firm(name_th=name_th, name_en=name_en)
            factories.team_member(firm, user, "owner")
            factories.membership(firm, betta, position)
        db.session.commit()


def test_post_respond_accept_close(browser: Browser, base_url, firms, th):
    thai = browser.new_context(viewport={"width": 360, "height": 740}, extra_http_headers={"Accept-Language": "th"})
    poster = thai.new_page()
    sign_in(poster, base_url, "poster.b@example.com")
    poster.goto(base_url + "/requests/new")
    expect(poster.locator("html")).to_have_attribute("lang", "th")
    poster.get_by_label(label(th("Where"))).select_option(label="ปลากัด")
    poster.get_by_label(label(th("Kind of collaboration"))).select_option(label=th("Seeking a supplier"))
    poster.get_by_label(label(th("Position sought in the value chain"))).select_option(label=th("Upstream"))
    poster.get_by_label(label(th("Title in Thai"))).fill("หาฟาร์มปลากัดฮาล์ฟมูนส่งออกเยอรมนี")
    poster.get_by_label(label(th("Quantity"))).fill("500 ตัว/เดือน")
    poster.get_by_role("button", name=th("Post the request")).click()
    expect(poster.get_by_role("heading", level=1)).to_have_text("หาฟาร์มปลากัดฮาล์ฟมูนส่งออกเยอรมนี")
    request_url = poster.url

    english = browser.new_context(viewport={"width": 1280, "height": 800}, extra_http_headers={"Accept-Language": "en"})
    breeder = english.new_page()
    sign_in(breeder, base_url, "breeder.b@example.com")
    breeder.goto(request_url)
    expect(breeder.locator("html")).to_have_attribute("lang", "en")
    expect(breeder.get_by_text("หาฟาร์มปลากัดฮาล์ฟมูนส่งออกเยอรมนี").first).to_be_visible()
    breeder.get_by_label(label("Your message")).fill("We breed show-grade halfmoon bettas, 600 a month.")
    breeder.get_by_role("button", name="Send response").click()
    expect(breeder.get_by_text("We breed show-grade halfmoon bettas, 600 a month.")).to_be_visible()

    poster.goto(base_url + "/notifications/")
    poster.get_by_role("button", name=re.compile("ฟาร์มปลากัดบางกอก")).first.click()
    expect(poster.get_by_text("We breed show-grade halfmoon bettas, 600 a month.")).to_be_visible()
    poster.get_by_role("link", name=th("Accept")).click()
    poster.get_by_role("button", name=th("Yes, accept")).click()
    expect(poster.get_by_text(th("Accepted"), exact=True)).to_be_visible()

    poster.goto(request_url + "/close")
    poster.get_by_label(th("Partnered")).check()
    poster.get_by_label(label(th("Partner firm"))).select_option(label="ฟาร์มปลากัดบางกอก")
    poster.get_by_label(label(th("Estimated value (baht)"))).fill("180000")
    poster.get_by_label(th("New sales")).check()
    poster.get_by_role("button", name=th("Close the request")).click()
    expect(poster.get_by_text(th("Partnered"))).to_be_visible()
    assert poster.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    breeder.goto(base_url + "/notifications/")
    expect(breeder.get_by_role("button", name=re.compile("accepted your response"))).to_be_visible()
    thai.close()
    english.close()


@pytest.fixture
def open_request(app, firms):
    """A request posted by the Thai exporter, answered by the English-speaking farm: (request id, response id)."""
    from sqlalchemy import select

    from portal.auth.models import User
    from portal.collab import services
    from portal.collab.models import Kind
    from portal.firms.models import Firm

    with app.app_context():
        poster = db.session.scalar(select(User).where(User.email == "poster.b@example.com"))
        breeder = db.session.scalar(select(User).where(User.email == "breeder.b@example.com"))
        exporter = db.session.scalar(select(Firm).where(Firm.name_th == "ผู้ส่งออกปลากัดสยาม"))
        farm = db.session.scalar(select(Firm).where(Firm.name_th == "ฟาร์มปลากัดบางกอก"))
        request = services.post_request(poster, exporter, {
            "cluster_id": None, "kind": Kind.SEEKING_SUPPLIER, "title_th": "หาฟาร์มปลากัดฮาล์ฟมูน"})
        response = services.respond(breeder, request, farm, "We breed halfmoon bettas.")
        db.session.commit()
        return request.id, response.id


def error_of(page, field_id):
    return page.locator(f"#{field_id}-errors")


def test_each_error_beside_its_field_with_a_summary_linking_to_it(browser: Browser, base_url, firms, th,
                                                                  open_request):
    thai = browser.new_context(extra_http_headers={"Accept-Language": "th"})
    poster = thai.new_page()
    sign_in(poster, base_url, "poster.b@example.com")
    poster.goto(base_url + "/requests/new")
    poster.get_by_label(label(th("Title in Thai"))).fill("หาฟาร์มปลากัด")
    poster.get_by_label(label(th("Budget from (baht)"))).fill("50000")
    poster.get_by_label(label(th("Budget up to (baht)"))).fill("10000")
    poster.get_by_label(label(th("Open until"))).fill("2099-01-01")
    poster.get_by_role("button", name=th("Post the request")).click()
    expect(error_of(poster, "budget_max")).to_have_text(th("The lowest budget is higher than the highest."))
    expect(error_of(poster, "expires_on")).to_have_text(th("A request can stay open for at most 12 months."))
    expect(error_of(poster, "title_th")).to_have_count(0)
    summary = poster.get_by_role("alert")
    budget = th("The lowest budget is higher than the highest.")
    dates = th("A request can stay open for at most 12 months.")
    expect(summary.locator('a[href="#budget_max"]')).to_contain_text(budget)
    expect(summary.locator('a[href="#expires_on"]')).to_contain_text(dates)

    request_id, _response_id = open_request
    poster.goto(f"{base_url}/requests/{request_id}/close")
    poster.get_by_label(th("Partnered")).check()
    poster.get_by_label(label(th("Partner firm"))).select_option(label="ฟาร์มปลากัดบางกอก")
    poster.get_by_role("button", name=th("Close the request")).click()
    needed = th("Give the estimated value in baht and whether it saved cost or made sales.")
    expect(error_of(poster, "value")).to_have_text(needed)
    expect(error_of(poster, "reason")).to_have_count(0)
    expect(poster.get_by_role("alert").locator('a[href="#value"]')).to_be_visible()
    thai.close()


def test_deciding_asks_first_and_closed_requests_offer_no_more(browser: Browser, base_url, firms, th, open_request):
    request_id, response_id = open_request
    thai = browser.new_context(extra_http_headers={"Accept-Language": "th"})
    poster = thai.new_page()
    sign_in(poster, base_url, "poster.b@example.com")
    poster.goto(f"{base_url}/requests/responses/{response_id}")
    expect(poster.get_by_text("We breed halfmoon bettas.")).to_be_visible()
    poster.get_by_label(label(th("Message"))).fill("ส่งตัวอย่างได้ไหมคะ")
    poster.get_by_role("button", name=th("Send")).click()
    own = poster.locator("li.message", has_text="ส่งตัวอย่างได้ไหมคะ")
    expect(own.get_by_role("link", name=th("Report a problem"))).to_have_count(0)  # one's own message
    theirs = poster.locator("li.message", has_text="We breed halfmoon bettas.")
    expect(theirs.get_by_role("link", name=th("Report a problem"))).to_be_visible()

    poster.get_by_role("link", name=th("Decline")).click()  # asks first: nothing is decided yet
    expect(poster.get_by_role("heading", level=1)).to_have_text(
        th("Decline the response of %(firm)s?", firm="ฟาร์มปลากัดบางกอก"))
    poster.get_by_role("link", name=th("Cancel")).click()
    expect(poster).to_have_url(f"{base_url}/requests/responses/{response_id}")
    expect(poster.locator("p.firm-meta .status")).not_to_have_text(th("Declined"))
    poster.get_by_role("link", name=th("Accept")).click()
    poster.get_by_role("button", name=th("Yes, accept")).click()
    expect(poster.get_by_text(th("Accepted"), exact=True)).to_be_visible()

    poster.goto(f"{base_url}/requests/{request_id}/close")
    poster.get_by_label(th("Withdrawn")).check()
    poster.get_by_role("button", name=th("Close the request")).click()
    expect(poster.get_by_text(th("Withdrawn")).first).to_be_visible()
    expect(poster.get_by_role("heading", name=th("Firms that may fit"))).to_have_count(0)
    poster.goto(f"{base_url}/requests/{request_id}/close")
    expect(poster).to_have_url(f"{base_url}/requests/{request_id}")
    expect(poster.get_by_text(th("This request is already closed."))).to_be_visible()
    thai.close()
