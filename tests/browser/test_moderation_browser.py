"""In Chromium: a member reports a spam request → staff hides it → the owner sees why and asks for a
review → staff restores it."""

import pytest
from playwright.sync_api import Browser, expect

from portal.auth.models import Role
from portal.clusters.models import Position
from portal.collab import services as collab
from portal.extensions import db
from tests import factories
from tests.browser.quality import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def spam(app):
    with app.app_context():
        betta = factories.cluster("betta")
        owner = factories.user(email="spammer.m@example.com", locale="th")
        firm = factories.firm(name_th="ร้านรวยเร็ว")
        factories.team_member(firm, owner, "owner")
        factories.membership(firm, betta, Position.UPSTREAM)
        factories.user(email="reporter.m@example.com", locale="th")
        factories.user(email="staff.m@example.com", locale="en", role=Role.STAFF)
        request = collab.post_request(owner, firm, {"cluster_id": betta.id, "kind": collab.Kind.KNOWLEDGE,
                                                    "title_th": "คอร์สรวยเร็วใน 7 วัน"})
        db.session.commit()
        return request.id


def session_for(browser, base_url, email, lang):
    context = browser.new_context(viewport={"width": 360 if lang == "th" else 1280, "height": 800},
                                  extra_http_headers={"Accept-Language": lang})
    page = context.new_page()
    sign_in(page, base_url, email)
    return context, page


def test_report_hide_review_restore(browser: Browser, base_url, spam, th):
    url = f"{base_url}/requests/{spam}"
    reporter_context, reporter = session_for(browser, base_url, "reporter.m@example.com", "th")
    reporter.goto(url)
    reporter.get_by_role("link", name=th("Report a problem")).click()
    reporter.get_by_label(th("Spam or advertising")).check()
    reporter.get_by_role("button", name=th("Send report")).click()
    expect(reporter.get_by_text(th("Thank you. OSMEP staff will look at your report."))).to_be_visible()

    staff_context, staff = session_for(browser, base_url, "staff.m@example.com", "en")
    staff.goto(base_url + "/moderation/")
    staff.get_by_role("link", name="Request: คอร์สรวยเร็วใน 7 วัน").first.click()  # named, not numbered
    staff.get_by_label("Reason (the owner will see it)").fill("Advertising unrelated to the cluster")
    staff.get_by_role("button", name="Hide").click()
    expect(staff.get_by_text("Reason: Advertising unrelated to the cluster")).to_be_visible()
    reporter.goto(url)
    expect(reporter.get_by_role("heading", level=1)).not_to_have_text("คอร์สรวยเร็วใน 7 วัน")  # 404 page

    owner_context, owner = session_for(browser, base_url, "spammer.m@example.com", "th")
    owner.goto(url)
    expect(owner.get_by_text("Advertising unrelated to the cluster")).to_be_visible()
    owner.get_by_role("link", name=th("Ask for a review")).click()
    owner.get_by_label(th("What have you changed, or why should it be shown again?")).fill("แก้เป็นเวิร์กช็อปฟรีแล้ว")
    owner.get_by_role("button", name=th("Ask for a review")).click()
    expect(owner.get_by_text(th("We have asked OSMEP staff to review it."))).to_be_visible()

    staff.goto(base_url + "/moderation/")
    expect(staff.get_by_role("heading", name="Reviews asked for")).to_be_visible()
    staff.get_by_role("link", name="Request: คอร์สรวยเร็วใน 7 วัน").last.click()
    staff.get_by_role("button", name="Restore").click()
    reporter.goto(url)
    expect(reporter.get_by_role("heading", level=1)).to_have_text("คอร์สรวยเร็วใน 7 วัน")
    for context in (reporter_context, staff_context, owner_context):
        context.close()
