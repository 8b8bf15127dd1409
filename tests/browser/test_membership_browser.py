"""In Chromium: a firm asks to join in Thai → the coordinator approves in English → the firm sees its
new membership and the notification."""
import re

import pytest
from playwright.sync_api import Browser, expect

from portal.extensions import db
from tests import factories
from tests.browser.quality import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def people(app):
    with app.app_context():
        owner = factories.user(email="owner.browser@example.com", name="สมหญิง", locale="th")
        coordinator = factories.user(email="coord.browser@example.com", name="Anna", locale="en")
        firm = factories.firm(name_th="ฟาร์มปลากัดนนทบุรี", name_en="Nonthaburi Betta Farm")
        factories.team_member(firm, owner, "owner")
        factories.term(coordinator, factories.cluster("betta"))
        db.session.commit()
        return firm.id


def test_ask_in_thai_approve_in_english_see_notification(browser: Browser, base_url, people, th):
    thai = browser.new_context(viewport={"width": 360, "height": 740}, locale="th-TH",
                               extra_http_headers={"Accept-Language": "th"})
    owner = thai.new_page()
    sign_in(owner, base_url, "owner.browser@example.com", th("Sign in"))
    owner.goto(f"{base_url}/firms/{people}/memberships")
    expect(owner.locator("html")).to_have_attribute("lang", "th")
    owner.get_by_label(re.compile("^" + re.escape(th("Cluster")) + r"\s*\*?$")).select_option(label="ปลากัด")
    owner.get_by_label(th("Upstream")).check()
    owner.get_by_label(th("Downstream")).check()
    owner.get_by_label(th("What your firm offers in this cluster")).fill("ปลากัดฮาล์ฟมูนเกรดส่งออก")
    owner.get_by_role("button", name=th("Send request")).click()
    expect(owner.get_by_text(th("Pending"), exact=True)).to_be_visible()

    english = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US",
                                  extra_http_headers={"Accept-Language": "en"})
    coordinator = english.new_page()
    sign_in(coordinator, base_url, "coord.browser@example.com", "Sign in")
    expect(coordinator.get_by_role("link", name=re.compile("Notifications"))).to_contain_text("1")
    coordinator.goto(f"{base_url}/clusters/betta/manage")
    expect(coordinator.locator("html")).to_have_attribute("lang", "en")
    expect(coordinator.get_by_text("ปลากัดฮาล์ฟมูนเกรดส่งออก")).to_be_visible()
    coordinator.get_by_role("button", name="Approve Nonthaburi Betta Farm").click()
    expect(coordinator.get_by_text("Nonthaburi Betta Farm is now a member.")).to_be_visible()

    owner.goto(f"{base_url}/")
    notifications = owner.get_by_role("link", name=re.compile(th("Notifications")))
    expect(notifications).to_contain_text("1")
    notifications.click()
    item = owner.get_by_role("button", name=re.compile("ฟาร์มปลากัดนนทบุรี"))
    expect(item).to_be_visible()
    item.click()
    expect(owner).to_have_url(re.compile(rf"/firms/{people}/memberships$"))
    expect(owner.get_by_text(th("Member"), exact=True)).to_be_visible()
    assert owner.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    thai.close()
    english.close()
