"""A member who has not accepted the current privacy notice meets the acceptance page after signing in: it is
accessible (axe, and the HTML is validated at the end of the session), refuses an unticked box, and lets them
through once they accept, in Thai."""
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from portal.extensions import db
from portal.privacy.models import ConsentRecord
from tests import factories
from tests.browser.quality import keep_html

pytestmark = pytest.mark.browser


def test_a_member_accepts_the_notice_before_going_on(page: Page, base_url, app, th):
    with app.app_context():
        factories.user(email="not.yet@example.com", locale="th")
        db.session.execute(ConsentRecord.__table__.delete().where(ConsentRecord.user_id.isnot(None)))
        db.session.commit()
    keep_html(page, "privacy")
    page.goto(f"{base_url}/auth/login?lang=th")
    page.locator("#email").fill("not.yet@example.com")
    page.locator("#password").fill(factories.PASSWORD)
    page.locator("form.form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/privacy/accept"))
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()

    page.get_by_role("button", name=th("Accept and continue")).click()
    refusal = th("Please read the privacy notice and tick the box to accept it.")
    expect(page.get_by_text(refusal, exact=True)).to_be_visible()
    page.get_by_label(th("I have read the privacy notice and accept it")).check()
    page.get_by_role("button", name=th("Accept and continue")).click()
    expect(page).to_have_url(re.compile(r"/firms/mine$"))
    expect(page.get_by_text(th("Thank you: your acceptance of the privacy notice is recorded."))).to_be_visible()
