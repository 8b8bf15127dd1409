"""In real Chromium, in Thai: sign up → confirm by the mailed link → sign in → create a firm."""
import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def exactly(label: str) -> re.Pattern:
    """The whole label, allowing for the required-field marker after it."""
    return re.compile("^" + re.escape(label) + r"(\s*\*)?$")


def test_sign_up_confirm_and_create_a_firm_in_thai(page: Page, base_url, mailbox, th):
    page.set_viewport_size({"width": 360, "height": 740})
    page.context.set_extra_http_headers({"Accept-Language": "th-TH,th;q=0.9"})
    page.goto(base_url + "/")
    page.locator("nav.main-nav summary").click()  # on a phone the menu is folded (#17.16)
    page.get_by_role("link", name=th("Register")).click()
    expect(page.locator("html")).to_have_attribute("lang", "th")

    page.get_by_label(th("Your name")).fill("สมชาย ใจดี")
    page.get_by_label(th("E-mail")).fill("somchai.browser@example.com")
    page.get_by_label(exactly(th("Password"))).fill("ปลากัดสวยที่สุด 2567")
    page.get_by_label(th("Repeat the password")).fill("ปลากัดสวยที่สุด 2567")
    page.get_by_label(th("I have read the privacy notice and accept it")).check()
    page.get_by_role("button", name=th("Create account")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(th("Check your e-mail"))

    message = mailbox.last_to("somchai.browser@example.com")
    assert "สมชาย ใจดี" in mailbox.body(message)
    page.goto(base_url + mailbox.link_in(message, "/auth/confirm/"))
    expect(page.get_by_text(th("Thank you: your e-mail address is confirmed. You can now sign in."))).to_be_visible()

    page.get_by_label(th("E-mail")).fill("somchai.browser@example.com")
    page.get_by_label(th("Password")).fill("ปลากัดสวยที่สุด 2567")
    page.get_by_role("button", name=th("Sign in")).click()
    expect(page).to_have_url(re.compile(r"/firms/mine$"))

    page.get_by_role("link", name=th("Create a firm")).click()
    page.get_by_label(th("Name in Thai")).fill("ฟาร์มปลากัดบางกอก")
    page.get_by_label(th("Community enterprise")).check()
    page.get_by_label(th("Province")).select_option(label="นครปฐม")
    page.get_by_label(th("Small")).check()
    page.locator("details", has=page.get_by_label(th("Phone"))).locator("summary").click()  # an optional section
    page.get_by_label(th("Phone")).fill("081 234 5678")
    page.get_by_label(th("Show this firm's profile publicly")).check()
    page.get_by_role("button", name=th("Create firm")).click()

    expect(page.get_by_text(th("Your firm has been created."))).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("ฟาร์มปลากัดบางกอก")
    expect(page.get_by_text("081 234 5678")).to_be_visible()  # its own team sees the contacts
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
