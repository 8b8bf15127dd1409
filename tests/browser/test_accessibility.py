"""axe-core finds no accessibility violations on the public pages, in Thai on a phone and English on a desktop. Like
Lighthouse, page quality does not depend on the database, so it runs on the SQLite run only (the journeys check
every page they visit with axe on both)."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from portal.clusters.models import Position
from portal.extensions import db
from tests import factories
from tests.browser.quality import ON_SQLITE_RUN_ONLY, SIGNED_IN_LANDING, keep_html

pytestmark = [pytest.mark.browser, ON_SQLITE_RUN_ONLY]

PAGES = ["/", "/clusters/", "/clusters/betta", "/clusters/betta/members/upstream", "/clusters/missing",
         "/auth/register", "/auth/login", "/auth/reset", "/firms/{firm}", "/directory/",
         "/directory/?q=ปลากัด&cluster=betta&position=upstream&province=nope&verified=1",
         "/requests/", "/requests/?q=ปลากัด&status=all&kind=nope", "/requests/{request}", "/results", "/privacy",
         "/api/docs"]
SIGNED_IN_PAGES = ["/firms/mine", "/firms/new", "/firms/{firm}", "/firms/{firm}/edit", "/firms/{firm}/team",
                   "/auth/account", "/auth/password", "/auth/sessions/", "/firms/{firm}/memberships", "/notifications/",
                   "/clusters/betta/manage", "/clusters/betta/manage/members", "/clusters/betta/manage/import",
                   "/clusters/betta/coordinators", "/requests/new", "/requests/{request}",
                   "/requests/{request}/close", "/requests/{request}/edit", "/requests/responses/{response}",
                   "/requests/for/{firm}", "/moderation/", "/moderation/request/{request}",
                   "/moderation/report/request/{request}", "/moderation/review/request/{request}",
                   "/admin/audit", "/moderation/users/{response}", "/admin/results/dashboard",
                   "/account/security", "/account/security/totp", "/account/security/confirm",
                   "/admin/results/outcomes", "/account/data", "/account/delete",
                   "/privacy/consents?email=a11y@example.com", "/account/tokens/",
                   "/admin/service-tokens/", "/admin/webhooks/", "/admin/webhooks/{webhook}"]


@pytest.fixture
def some_members(app):
    with app.app_context():
        betta = factories.cluster("betta")
        from portal.auth.models import Role
        from portal.clusters.models import MembershipStatus

        owner = factories.user(email="a11y@example.com", role=Role.ADMIN)  # staff, and the admin-only pages
        factories.term(owner, betta)
        waiting = factories.firm(name_th="ฟาร์มรอพิจารณา")
        factories.membership(waiting, betta, Position.MIDSTREAM, status=MembershipStatus.PENDING)
        for n in range(3):
            firm = factories.firm(name_th=f"ฟาร์มปลากัด{n}", name_en=f"Betta Farm {n}" if n else None,
                                  phone="+66812345678", description_th="เพาะพันธุ์ปลากัด")
            factories.membership(firm, betta, list(Position)[n])
            factories.team_member(firm, owner, "owner")
        from portal.collab import services as collab

        request = collab.post_request(owner, firm, {"cluster_id": betta.id, "kind": collab.Kind.SEEKING_SUPPLIER,
                                                    "title_th": "หาฟาร์มปลากัด", "details_th": "ปลากัดส่งออก"})
        other = factories.user(email="a11y.other@example.com")
        responder = factories.firm(name_th="ฟาร์มตอบรับ")
        factories.team_member(responder, other, "owner")
        factories.membership(responder, betta, Position.UPSTREAM)
        response = collab.respond(other, request, responder, "สนใจครับ")
        from portal.webhooks.models import WebhookEndpoint

        webhook = WebhookEndpoint(url="https://hooks.example.org/portal", secret="whsec_a11y",
                                  events=["request.posted"], is_active=True)
        db.session.add(webhook)
        db.session.commit()
        return {"firm": firm.id, "request": request.id, "response": response.id, "webhook": webhook.id}


# Each language and each width once, as the matching-day journey: Thai on a phone, English at a desk. The journeys
# check the pages they visit in all four; the two other pairs swept every page again (about 47 s a run).
@pytest.mark.parametrize(("lang", "width"), [("th", 360), ("en", 1280)])
def test_public_pages_have_no_axe_violations(page: Page, base_url, some_members, lang, width):
    page.set_viewport_size({"width": width, "height": 800})
    keep_html(page, f"a11y-{lang}")  # and every page is validated as HTML at the end of the session
    axe = Axe()
    for path in PAGES:
        _check(page, axe, f"{base_url}{path.format(**some_members)}{'&' if '?' in path else '?'}lang={lang}")
    page.goto(f"{base_url}/auth/login?lang={lang}")
    page.locator("#email").fill("a11y@example.com")
    page.locator("#password").fill(factories.PASSWORD)
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url(SIGNED_IN_LANDING)
    for path in SIGNED_IN_PAGES:
        _check(page, axe, f"{base_url}{path.format(**some_members)}{'&' if '?' in path else '?'}lang={lang}")
    # A form with errors is accessible too.
    page.goto(f"{base_url}/firms/new?lang={lang}")
    with page.expect_navigation():  # the page with the errors, not the form while it is being left
        page.locator("form.form button[type=submit]").click()
    _check(page, axe, None)


def _check(page, axe, url):
    if url:
        page.goto(url)
    results = axe.run(page)
    assert results.violations_count == 0, f"{page.url}:\n{results.generate_report()}"
