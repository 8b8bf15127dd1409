"""A journey for each kind of user, in Chromium, in Thai on a phone (360×740) and in English on a desktop: how the
portal's users come (Thai owners on phones, foreign buyers at a desk), as the accessibility sweep does.

Every page a journey visits is checked by axe-core on the spot, and kept for the Nu HTML validator, which
checks them all at the end of the session (tests/browser/quality.py, tests/conftest.py)."""
import re

import pytest
from playwright.sync_api import Browser, expect

from portal.auth.models import Role
from portal.clusters.models import MembershipStatus, Position
from portal.collab import services as collab
from portal.collab.models import CloseReason, OutcomeKind
from portal.extensions import db
from portal.moderation import services as moderation
from portal.moderation.models import ReportReason
from tests import factories
from tests.browser.quality import (
    SIGNED_IN_LANDING,
    check_accessibility,
    keep_html,
    one_variant_on_postgresql,
    submit_sign_in,
)

pytestmark = pytest.mark.browser

SIZES = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 800}}
OWNER, COORDINATOR, STAFF, MEMBER = ("owner.j@example.com", "coord.j@example.com", "staff.j@example.com",
                                     "member.j@example.com")


def label(text):
    return re.compile("^" + re.escape(text) + r"\s*\*?$")


@pytest.fixture
def world(app, lang):
    """Betta fish with a coordinator, a member firm with contacts, a firm waiting to join, a request that
    was partnered (its value waiting for confirmation) and a reported request for staff."""
    with app.app_context():
        betta = factories.cluster("betta")
        coordinator = factories.user(email=COORDINATOR, name="Anna Coordinator", locale=lang)
        factories.term(coordinator, betta)
        factories.user(email=STAFF, name="OSMEP Staff", role=Role.STAFF, locale=lang)
        owner = factories.user(email=OWNER, name="สมหญิง", locale=lang)
        farm = factories.firm(name_th="ฟาร์มปลากัดนนทบุรี", name_en="Nonthaburi Betta Farm", phone="+66812345678",
                              description_th="เพาะพันธุ์ปลากัดฮาล์ฟมูนส่งออก", description_en="Halfmoon bettas for export")
        factories.team_member(farm, owner, "owner")
        factories.membership(farm, betta, Position.UPSTREAM)
        waiting = factories.firm(name_th="ร้านอาหารปลารอพิจารณา", name_en="Waiting Fish Food Shop")
        factories.membership(waiting, betta, Position.MIDSTREAM, status=MembershipStatus.PENDING)

        member = factories.user(email=MEMBER, name="สมชาย", locale=lang)
        exporter = factories.firm(name_th="ผู้ส่งออกปลากัดสยาม", name_en="Siam Betta Exporter")
        factories.team_member(exporter, member, "owner")
        factories.membership(exporter, betta, Position.DOWNSTREAM)
        partnered = collab.post_request(member, exporter, {
            "cluster_id": betta.id, "kind": collab.Kind.SEEKING_SUPPLIER, "title_th": "หาปลากัดเกรดส่งออก",
            "title_en": "Export-grade bettas wanted", "details_th": "500 ตัวต่อเดือน"})
        collab.respond(owner, partnered, farm, "เรามีปลากัดฮาล์ฟมูน 600 ตัวต่อเดือน")
        collab.close(member, partnered, CloseReason.PARTNERED, farm.id, value=250000,
                     outcome_kind=OutcomeKind.NEW_SALES)
        collab.post_request(member, exporter, {
            "cluster_id": betta.id, "kind": collab.Kind.SEEKING_SUPPLIER, "title_th": "หาโรงพิมพ์ฉลากบรรจุภัณฑ์",
            "title_en": "Label printer wanted", "details_th": "ฉลากกันน้ำสำหรับถุงปลา"})
        spam = collab.post_request(member, exporter, {"cluster_id": betta.id, "kind": collab.Kind.KNOWLEDGE,
                                                      "title_th": "คอร์สรวยเร็วใน 7 วัน"})
        moderation.report(owner, "request", spam, ReportReason.SPAM, "โฆษณา")
        db.session.commit()
        return {"farm": farm.id, "exporter": exporter.id, "partnered": partnered.id, "spam": spam.id}


class Journey:
    """One user in one browser context: every page is checked (axe) and kept (HTML validation)."""

    def __init__(self, browser: Browser, base_url, size, lang, th, who):
        self.context = browser.new_context(viewport=SIZES[size], locale="th-TH" if lang == "th" else "en-US",
                                           extra_http_headers={"Accept-Language": lang})
        self.page = self.context.new_page()
        self.page.set_default_timeout(10_000)
        self.base_url, self.lang = base_url, lang
        self._th = th
        keep_html(self.page, f"{who}-{lang}")

    def t(self, msgid, **values):
        """The text the user sees in this journey's language."""
        return self._th(msgid, **values) if self.lang == "th" else (msgid % values if values else msgid)

    def pick(self, thai, english):
        """Data (names, titles) in this journey's language."""
        return thai if self.lang == "th" else english

    def go(self, path):
        self.page.goto(self.base_url + path)
        self.check()

    def check(self):
        """The page in view: right language, nothing wider than the screen, no axe violation."""
        self.page.wait_for_load_state("load")  # after a click the stylesheet may still be on its way
        expect(self.page.locator("html")).to_have_attribute("lang", self.lang)
        assert self.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), self.page.url
        check_accessibility(self.page)

    def open_menu(self):
        """On a phone the main menu is folded: open it (a no-op where it shows whole)."""
        toggle = self.page.locator("nav.main-nav summary")
        if toggle.is_visible() and self.page.locator("nav.main-nav details[open]").count() == 0:
            toggle.click()

    def sign_in(self, email):
        self.go("/auth/login")
        submit_sign_in(self.page, email)
        self.check()

    def close(self):
        self.context.close()


@pytest.fixture(params=["th", "en"])
def lang(request):
    one_variant_on_postgresql(lang=request.param)
    return request.param


# Each journey in Thai on a phone and in English on a desktop (the PostgreSQL run: Thai on a phone only).
VARIANTS = pytest.mark.parametrize("lang, size", [("th", "phone"), ("en", "desktop")], ids=["th-phone", "en-desktop"])


@pytest.fixture
def journey(browser, base_url, size, lang, th, request):
    one_variant_on_postgresql(lang=lang, size=size)
    journeys = []

    def start(who):
        journeys.append(Journey(browser, base_url, size, lang, th, who))
        return journeys[-1]

    yield start
    for one in journeys:
        one.close()


@VARIANTS
def test_visitor_browses_clusters_directory_requests_and_results(journey, world):
    visitor = journey("visitor")
    page, t = visitor.page, visitor.t
    visitor.go("/")
    page.get_by_role("link", name=visitor.pick("ปลากัด", "Betta fish")).first.click()
    visitor.check()
    expect(page.locator("section.chain-column")).to_have_count(3)
    farm_name = visitor.pick("ฟาร์มปลากัดนนทบุรี", "Nonthaburi Betta Farm")
    expect(page.get_by_text(farm_name).first).to_be_visible()
    visitor.go("/directory/?q=" + ("ปลากัด" if visitor.lang == "th" else "betta"))
    page.get_by_role("link", name=farm_name).first.click()
    visitor.check()
    expect(page.get_by_text(t("Contact details are shown to signed-in members."))).to_be_visible()
    expect(page.get_by_text("081 234 5678")).to_have_count(0)  # contacts are never shown to anonymous visitors
    visitor.go("/requests/")
    title = visitor.pick("หาโรงพิมพ์ฉลากบรรจุภัณฑ์", "Label printer wanted")
    page.get_by_role("link", name=title).first.click()
    visitor.check()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    visitor.go("/results")
    expect(page.get_by_role("heading", level=1)).to_be_visible()


@VARIANTS
def test_foreign_buyer_switches_to_english_registers_and_finds_a_supplier(journey, world, mailbox, lang, size):
    """The buyer may land on the Thai page (a link from a Thai site) or arrive in English; either way they
    read English, register, confirm by e-mail and see a supplier's contacts."""
    buyer = journey("buyer")
    page = buyer.page
    buyer.go("/")
    if lang == "th":
        page.get_by_role("link", name="English").click()
        buyer.lang = "en"
        buyer.check()
    buyer.open_menu()
    page.get_by_role("link", name="Register").first.click()
    buyer.check()
    email = f"buyer.{lang}.{size}@example.de"
    page.locator("#name").fill("Hans Becker")
    page.locator("#email").fill(email)
    page.locator("#password").fill("aquarium-imports-2026")
    page.locator("#password2").fill("aquarium-imports-2026")
    page.locator("#accept_privacy").check()
    page.get_by_role("button", name="Create account").click()
    buyer.check()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your e-mail")
    buyer.go(mailbox.link_in(mailbox.last_to(email), "/auth/confirm/"))
    expect(page.get_by_text("Thank you: your e-mail address is confirmed. You can now sign in.")).to_be_visible()
    page.locator("#email").fill(email)
    page.locator("#password").fill("aquarium-imports-2026")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(SIGNED_IN_LANDING)
    buyer.check()
    buyer.go("/directory/?q=betta")
    page.get_by_role("link", name="Nonthaburi Betta Farm").first.click()
    buyer.check()
    expect(page.get_by_text("Halfmoon bettas for export")).to_be_visible()
    expect(page.get_by_text("081 234 5678")).to_be_visible()  # signed in: the supplier's contacts


@VARIANTS
def test_sme_owner_edits_the_profile_posts_a_request_and_reads_notifications(journey, world):
    owner = journey("owner")
    page, t = owner.page, owner.t
    owner.sign_in(OWNER)
    owner.go(f"/firms/{world['farm']}/edit")
    page.get_by_label(label(t("Products and services, in Thai"))).fill("ปลากัดฮาล์ฟมูน ปลากัดหางมงกุฎ")
    page.locator("form.form button[type=submit]").click()
    owner.check()
    expect(page.get_by_text(t("Your changes have been saved."))).to_be_visible()
    # #17.1 and .13: a name of spaces is refused beside its field, and the summary at the top links to it
    owner.go(f"/firms/{world['farm']}/edit")
    page.get_by_label(label(t("Name in Thai"))).fill("   ")
    page.locator("form.form button[type=submit]").click()
    owner.check()
    expect(page.locator("#name_th-errors")).to_contain_text(t("This field is required."))
    page.locator(".error-summary a[href='#name_th']").click()
    expect(page.locator("#name_th")).to_be_focused()
    # #17.3: a tone mark held down on the keyboard is stored once
    page.get_by_label(label(t("Name in Thai"))).fill("ฟาร์มปลากัดนนทบุรี")
    page.get_by_label(label(t("Products and services, in Thai"))).fill("ปลาก่่่่่่่ัดฮาล์ฟมูน")
    page.locator("form.form button[type=submit]").click()
    owner.check()
    owner.go(f"/firms/{world['farm']}")
    expect(page.get_by_text("ปลาก่ัดฮาล์ฟมูน")).to_be_visible()
    owner.go(f"/firms/{world['farm']}/memberships")
    owner.go("/requests/new")
    page.get_by_label(label(t("Where"))).select_option(label=owner.pick("ปลากัด", "Betta fish"))
    page.get_by_label(label(t("Kind of collaboration"))).select_option(label=t("Seeking buyers"))
    page.get_by_label(label(t("Position sought in the value chain"))).select_option(label=t("Downstream"))
    page.get_by_label(label(t("Title in Thai"))).fill("หาผู้ซื้อปลากัดฮาล์ฟมูนในยุโรป")
    page.get_by_label(label(t("Budget from (baht)"))).fill("200000")
    page.get_by_label(label(t("Budget up to (baht)"))).fill("50000")
    page.get_by_role("button", name=t("Post the request")).click()
    owner.check()
    # #17.13: the budget-order error sits beside the budget, not under the title
    expect(page.locator("#budget_max-errors")).to_contain_text(t("The lowest budget is higher than the highest."))
    expect(page.locator("#title_th-errors")).to_have_count(0)
    page.get_by_label(label(t("Budget up to (baht)"))).fill("500000")
    page.get_by_role("button", name=t("Post the request")).click()
    owner.check()
    expect(page.get_by_role("heading", level=1)).to_have_text("หาผู้ซื้อปลากัดฮาล์ฟมูนในยุโรป")
    # #17.12: whole baht, no ".00"
    expect(page.get_by_text(re.compile(r"^200,000–500,000 (บาท|baht)$"))).to_be_visible()
    owner.go("/notifications/")
    owner.go(f"/requests/for/{world['farm']}")


@VARIANTS
def test_coordinator_approves_a_member_and_confirms_a_partnership_value(journey, world):
    coordinator = journey("coordinator")
    page, t = coordinator.page, coordinator.t
    coordinator.sign_in(COORDINATOR)
    coordinator.go("/clusters/betta/manage")
    waiting = coordinator.pick("ร้านอาหารปลารอพิจารณา", "Waiting Fish Food Shop")
    page.get_by_role("button", name=t("Approve %(firm)s", firm=waiting)).click()
    coordinator.check()
    expect(page.get_by_text(t("No requests are waiting."))).to_be_visible()
    coordinator.go("/clusters/betta/manage/members")
    expect(page.get_by_role("link", name=waiting)).to_be_visible()
    coordinator.go("/admin/results/dashboard?cluster=betta")
    coordinator.go("/admin/results/outcomes")
    page.get_by_role("button", name=t("Confirm")).first.click()
    coordinator.check()
    expect(page.get_by_text(t("Saved."))).to_be_visible()


@VARIANTS
def test_staff_hides_a_reported_request_verifies_a_firm_and_reads_the_audit_log(journey, world):
    staff = journey("staff")
    page, t = staff.page, staff.t
    staff.sign_in(STAFF)
    expect(page).to_have_url(re.compile(r"/moderation/$"))  # #17.17: staff land on the queue, not "My firms"
    # #17.9: the queue names the listing, never a raw code such as "collab_requests #25"
    expect(page.get_by_role("link", name=re.compile("คอร์สรวยเร็วใน 7 วัน"))).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("collab_requests")
    staff.go(f"/moderation/request/{world['spam']}")
    page.get_by_label(t("Reason (the owner will see it)")).fill("โฆษณาที่ไม่เกี่ยวกับคลัสเตอร์")
    page.get_by_role("button", name=t("Hide")).click()
    staff.check()
    expect(page.get_by_text(re.compile("โฆษณาที่ไม่เกี่ยวกับคลัสเตอร์")).first).to_be_visible()
    staff.go(f"/moderation/firm/{world['farm']}")
    page.get_by_role("button", name=t("Verify: registration checked")).click()
    staff.check()
    expect(page.get_by_role("button", name=t("Remove verification"))).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("moderation.hidden")  # the history reads as text
    staff.go("/admin/audit")
    expect(page.get_by_role("cell", name="โฆษณาที่ไม่เกี่ยวกับคลัสเตอร์").first).to_be_visible()  # who hid what, and why
    for code in ("moderation.hidden", "firm.verified", "collab_requests #"):
        expect(page.locator("main")).not_to_contain_text(code)
    staff.go("/admin/results/dashboard")
    staff.go("/admin/staff")


@pytest.mark.parametrize("accept, expected", [("de-DE,de;q=0.9,en;q=0.5", "en"), ("ja-JP", "en"), ("zh-CN,zh", "en"),
                                              ("th-TH,th;q=0.9,en;q=0.8", "th"), ("en-GB,th;q=0.5", "en")])
def test_a_browser_without_thai_reads_english(browser, base_url, accept, expected):
    """#17.10: a German, Japanese or Chinese browser gets English, not Thai; one that asks for Thai gets it."""
    context = browser.new_context(extra_http_headers={"Accept-Language": accept})
    page = context.new_page()
    page.goto(base_url + "/clusters/betta")
    expect(page.locator("html")).to_have_attribute("lang", expected)
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Betta fish" if expected == "en" else "ปลากัด"))
    context.close()


@VARIANTS
def test_coordinator_edits_the_excel_export_imports_it_and_goes_back_after_confirming(journey, world, app):
    """#17.7 and #17.8: the member list goes out as .xlsx, is edited as in Excel (a position added, a firm new
    to the portal), comes back; the preview counts the changes in words and says what the positions were;
    after confirming, Back shows the preview saying the file was confirmed, not a resubmission prompt."""
    import io

    import openpyxl

    from portal.firms.models import Firm

    with app.app_context():  # firms matched by their registration numbers
        for key, number in (("farm", "0105567000129"), ("exporter", "0105567000200")):
            db.session.get(Firm, world[key]).registration_number = number
        db.session.commit()
    coordinator = journey("coordinator-import")
    page, t = coordinator.page, coordinator.t

    def counted(singular, plural, num):
        return t(singular, plural=plural, num=num) if coordinator.lang == "th" else (
            (singular if num == 1 else plural) % {"num": num})

    coordinator.sign_in(COORDINATOR)
    coordinator.go("/clusters/betta/manage/import")
    with page.expect_download() as download:
        page.get_by_role("link", name=t("Export Excel")).click()
    book = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes()))
    sheet = book.active
    farm_row = next(row for row in sheet.iter_rows(min_row=2) if row[0].value == "0105567000129")
    farm_row[4].value = f"{t('Upstream')}, {t('Midstream')}"
    sheet.append([105536001247, "บริษัท ชุดคอสเพลย์ จำกัด", "Cosplay Costumes Co.",
                  coordinator.pick("กรุงเทพมหานคร", "Bangkok"), t("Downstream")])  # as Excel keeps a typed number
    edited = download.value.path().with_name("betta-members-edited.xlsx")
    book.save(edited)

    page.get_by_label(label(t("Member list (CSV or Excel)"))).set_input_files(str(edited))
    page.get_by_role("button", name=t("Check the file")).click()
    page.wait_for_url(re.compile(r"/clusters/betta/manage/import/[0-9a-f]{32}$"))
    coordinator.check()
    preview_url = page.url
    summary = page.locator("#preview-heading + ul")
    expect(summary).to_contain_text(counted(
        "%(num)s firm new to the portal: a new profile (unclaimed), joining the cluster",
        "%(num)s firms new to the portal: new profiles (unclaimed), joining the cluster", 1))
    expect(summary).to_contain_text(counted("%(num)s member with changed positions",
                                            "%(num)s members with changed positions", 1))
    expect(summary).to_contain_text(counted("%(num)s row without change", "%(num)s rows without change", 1))
    expect(summary.locator("li")).to_have_count(3)  # no "0" lines
    expect(page.get_by_role("cell", name=t("Positions change from %(before)s to %(after)s", before=t("Upstream"),
                                           after=f"{t('Upstream')}, {t('Midstream')}"))).to_be_visible()
    page.get_by_role("button", name=counted("Import %(num)s change", "Import these %(num)s changes", 2)).click()
    page.wait_for_url(re.compile(r"/clusters/betta/manage/imports/\d+$"))
    coordinator.check()
    status_url = page.url
    expect(page.get_by_text(counted("%(num)s member with changed positions",
                                    "%(num)s members with changed positions", 1))).to_be_visible()

    page.go_back()
    expect(page).to_have_url(preview_url)
    coordinator.check()
    expect(page.get_by_role("heading", name=t("You have confirmed this file"))).to_be_visible()
    expect(page.locator(f'form[action="{preview_url.removeprefix(coordinator.base_url)}"]')).to_have_count(0)
    page.get_by_role("link", name=t("See where the import stands")).click()
    expect(page).to_have_url(status_url)


def _member_and_listing_firms(app):
    """Two more Betta members: one without consent to a public listing, one hidden by moderation. Members
    like the others; not public listings."""
    from portal.db import utcnow

    with app.app_context():
        betta = factories.cluster("betta")
        factories.membership(factories.firm(name_th="ฟาร์มไม่เผยแพร่", public_listing_consent_at=None), betta)
        factories.membership(factories.firm(name_th="ร้านที่ถูกซ่อน", hidden_at=utcnow()), betta)
        db.session.commit()


@VARIANTS
def test_the_member_figure_is_the_same_on_every_page_signed_in_or_not(journey, world, app):
    """Issue 17.4: home (signed out and in), /results, the dashboard and the Betta page all show the same
    number of member firms, labelled the same; public listings are a separate, named figure."""
    from portal.db import utcnow
    from portal.thai import fiscal_year

    _member_and_listing_firms(app)
    year = fiscal_year(utcnow())
    visitor = journey("figures-visitor")
    page = visitor.page
    seen = {}
    for path in ("/", "/results", "/clusters/betta"):
        visitor.go(path)
        seen["signed out " + path] = page.locator("[data-figure=members]").first.inner_text()
    expect(page.locator("[data-figure=public-listings]")).to_have_text("2")  # the farm and the exporter
    label = visitor.pick(f"กิจการสมาชิกในปัจจุบัน (ปีงบประมาณ {year} ถึงวันนี้)",
                         f"member firms now (fiscal year {year} to date)")
    expect(page.get_by_text(label)).to_be_visible()
    staff = journey("figures-staff")
    staff.sign_in(STAFF)
    for path in ("/", "/results", "/admin/results/dashboard", "/clusters/betta"):
        staff.go(path)
        seen["signed in " + path] = staff.page.locator("[data-figure=members]").first.inner_text()
        expect(staff.page.get_by_text(label).first).to_be_visible()
    assert set(seen.values()) == {"4"}, seen  # farm, exporter, the private and the hidden firm


@VARIANTS
def test_every_chart_value_is_drawn_whole_inside_its_chart(journey, world, app):
    """Issue 17.5: at phone and desktop width, each bar's value lies inside the SVG and reads as in the
    table beside it (the longest bar's "25" was cut to "2")."""
    with app.app_context():
        betta = factories.cluster("betta")
        for n in range(23):  # 25 members this year: the longest bar of the members chart
            factories.membership(factories.firm(name_th=f"ฟาร์มที่ {n}"), betta)
        db.session.commit()
    staff = journey("charts-staff")
    staff.sign_in(STAFF)
    staff.go("/admin/results/dashboard")
    charts = staff.page.evaluate("""() => [...document.querySelectorAll('figure.chart')].map(figure => {
        const svg = figure.querySelector('svg'), box = svg ? svg.getBoundingClientRect() : null;
        return {
          table: [...figure.querySelectorAll('tbody tr td:nth-child(2)')].map(td => td.textContent.trim()),
          values: svg ? [...svg.querySelectorAll('text.chart-value')].map(text => {
            const r = text.getBoundingClientRect();
            return {text: text.textContent.trim(), inside: r.width > 0 && r.left >= box.left - 0.5
                    && r.right <= box.right + 0.5 && r.top >= box.top - 0.5 && r.bottom <= box.bottom + 0.5};
          }) : [],
        };
      })""")
    drawn = [chart for chart in charts if chart["values"]]
    assert len(drawn) >= 3
    assert any("25" in [value["text"] for value in chart["values"]] for chart in drawn)
    for chart in drawn:
        assert [value["text"] for value in chart["values"]] == chart["table"]
        assert all(value["inside"] for value in chart["values"]), chart


# --- On a phone (#17.2, #17.16): 360×740, Thai and English; the menu also without JavaScript -----------------

PHONE = SIZES["phone"]
MENU_ROW_MAX = 60  # px: one row of 44-px targets with its padding
# Visible controls a thumb must hit: at least 44 × 44 CSS px (WCAG 2.5.5).
TARGETS_JS = """(selector) => [...document.querySelectorAll(selector)]
  .filter(e => e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden')
  .map(e => { const r = e.getBoundingClientRect();
              return {text: (e.innerText || e.value || e.id || '').trim().slice(0, 40), w: r.width, h: r.height}; })"""
# Buttons whose text runs over more than one line (a word broken in two, or a label wrapped).
BROKEN_BUTTONS_JS = """() => [...document.querySelectorAll('button, .button, summary')]
  .filter(e => e.getClientRects().length)
  .filter(e => { const range = document.createRange(); range.selectNodeContents(e);
                 const line = parseFloat(getComputedStyle(e).lineHeight) || 24;
                 return range.getBoundingClientRect().height > 1.5 * line; })
  .map(e => e.innerText.trim())"""


class PhoneJourney(Journey):
    """A journey at 360×740. With javascript=False the pages' scripts never run; axe cannot run either (it waits
    on the page's event loop), so those pages are checked by axe in the journeys that have JavaScript."""

    def __init__(self, browser, base_url, lang, th, who, javascript=True):
        self.context = browser.new_context(viewport=PHONE, locale="th-TH" if lang == "th" else "en-US",
                                           extra_http_headers={"Accept-Language": lang},
                                           java_script_enabled=javascript)
        self.page = self.context.new_page()
        self.page.set_default_timeout(10_000)
        self.base_url, self.lang, self._th, self.javascript = base_url, lang, th, javascript
        keep_html(self.page, f"{who}-phone-{lang}")

    def check(self):
        if self.javascript:
            return super().check()
        self.page.wait_for_load_state("load")
        expect(self.page.locator("html")).to_have_attribute("lang", self.lang)
        assert self.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), self.page.url

    def targets(self, selector):
        return self.page.evaluate(TARGETS_JS, selector)

    def assert_targets_large(self, selector):
        small = [t for t in self.targets(selector) if t["w"] < 44 or t["h"] < 44]
        assert not small, f"{self.page.url}: touch targets under 44 px: {small}"

    def assert_buttons_whole(self):
        assert self.page.evaluate(BROKEN_BUTTONS_JS) == [], self.page.url


@pytest.fixture
def phone(browser, base_url, lang, th):
    journeys = []

    def start(who, javascript=True):
        journeys.append(PhoneJourney(browser, base_url, lang, th, who, javascript))
        return journeys[-1]

    yield start
    for one in journeys:
        one.close()


@pytest.mark.parametrize("javascript", [False, True], ids=["no-js", "js"])
def test_phone_menu_is_one_row_until_opened_even_without_javascript(phone, world, javascript):
    for who, email in (("visitor", None), ("staff", STAFF)):
        person = phone(f"menu-{who}", javascript=javascript)
        page, t = person.page, person.t
        if email:
            person.sign_in(email)
        else:
            person.go("/")
        nav = page.locator("nav.main-nav")
        height = nav.bounding_box()["height"]
        print(f"menu height at 360 px, {who} ({person.lang}): {height:.0f} px closed")
        assert height <= MENU_ROW_MAX
        directory = nav.get_by_role("link", name=t("Directory"), exact=True)
        expect(directory).to_be_hidden()
        nav.locator("summary").click()
        expect(directory).to_be_visible()
        person.check()
        person.assert_targets_large("nav.main-nav a, nav.main-nav button, nav.main-nav summary, .lang-switch a, "
                                    ".lang-switch button")
        directory.click()
        page.wait_for_url(re.compile("/directory/"))
        person.check()
        expect(nav.locator('a[aria-current="page"]')).to_have_text(t("Directory"))
        page.set_viewport_size(SIZES["desktop"])  # on a desktop the whole menu shows, no toggle
        expect(nav.get_by_role("link", name=t("Requests"), exact=True)).to_be_visible()
        expect(nav.locator("summary")).to_be_hidden()


def test_phone_first_request_and_firm_show_before_the_filters(phone, world):
    person = phone("filters")
    page, t = person.page, person.t
    for path, first in (("/requests/", "ul.firm-list li a"), ("/directory/", "ul.firm-list li a")):
        person.go(path)
        top = page.locator(first).first.bounding_box()
        print(f"{path} at 360 px ({person.lang}): first result's link ends at {top['y'] + top['height']:.0f} px")
        assert top["y"] + top["height"] <= PHONE["height"], f"{path}: the first result is below the fold"
        expect(page.locator("select#province")).to_be_hidden()
        page.locator("details.filters > summary").click()
        expect(page.locator("select#province")).to_be_visible()
        person.assert_targets_large(".directory-form select, .directory-form button, .directory-form summary")
        person.assert_buttons_whole()
    person.go("/requests/?kind=seeking_supplier")  # a filter in use: the filters are open, showing it
    expect(page.locator("select#kind")).to_be_visible()
    expect(page.locator("details.filters > summary")).to_contain_text(t("Filters"))


def test_phone_buttons_keep_words_whole_and_small_controls_are_44px(app, phone, world):
    with app.app_context():
        factories.membership(db.session.get(factories.Firm, world["farm"]), factories.cluster("agritech"),
                             status=MembershipStatus.PENDING)
        db.session.commit()
    person = phone("targets")
    page, t = person.page, person.t
    person.go("/results")
    size = page.locator("select#year").bounding_box()
    print(f"results year menu at 360 px: {size['width']:.0f} × {size['height']:.0f} px")
    person.assert_targets_large("main select, main button")
    person.sign_in(OWNER)
    person.go(f"/firms/{world['farm']}/memberships")
    cancel = page.get_by_role("button", name=t("Cancel request"))
    expect(cancel).to_be_visible()
    person.assert_buttons_whole()
    person.assert_targets_large("main button, main select")
    for path in ("/requests/", "/directory/", "/firms/new", f"/firms/{world['farm']}"):
        person.go(path)
        person.assert_buttons_whole()
        person.assert_targets_large("main button, main select")


def test_phone_firm_form_is_short_its_errors_lead_to_the_fields_and_line_is_tappable(phone, world):
    person = phone("firm-form")
    page, t = person.page, person.t
    person.sign_in(OWNER)
    person.go("/firms/new")
    height = page.evaluate("document.documentElement.scrollHeight")
    print(f"firm form at 360 px ({person.lang}): {height} px tall")
    assert height <= 3000
    page.locator("form.form button[type=submit]").click()
    person.check()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    summary.get_by_role("link").first.click()
    expect(page.locator("#name_th")).to_be_in_viewport()
    page.locator("#name_th").fill("ฟาร์มไลน์ทดสอบ")
    page.get_by_label(t("Individual or household business")).check()
    page.locator("#province_id").select_option(index=1)
    page.get_by_label(t("Micro"), exact=True).check()
    page.locator("#founded_year").fill("2558")
    page.locator("details", has=page.locator("#line_id")).locator("summary").click()
    page.locator("#line_id").fill("somchai.farm")
    page.locator("form.form button[type=submit]").click()
    person.check()
    expect(page.get_by_role("heading", level=1)).to_have_text("ฟาร์มไลน์ทดสอบ")
    line = page.get_by_role("link", name="somchai.farm")
    expect(line).to_have_attribute("href", "https://line.me/ti/p/~somchai.farm")
    person.assert_targets_large(".contact-list a")
    expect(page.get_by_text("2015" if person.lang == "en" else "2558")).to_be_visible()
    page.get_by_role("link", name=t("Edit profile")).click()
    person.check()
    expect(page.locator("#founded_year")).to_have_value("2558" if person.lang == "th" else "2015")
    page.locator("#name_th").fill("")  # an error elsewhere: the year still reads as typed, in the form's era
    page.locator("form.form button[type=submit]").click()
    person.check()
    expect(page.locator("#founded_year")).to_have_value("2558" if person.lang == "th" else "2015")


def noise_jpeg(width, height, orientation=None) -> bytes:
    """A photo-sized JPEG: random noise does not compress, so the file is as large as a phone's."""
    import io
    import os

    from PIL import Image

    image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    out = io.BytesIO()
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    image.save(out, format="JPEG", quality=92, exif=exif)
    return out.getvalue()


def test_phone_photo_as_logo_is_shrunk_and_what_is_too_large_returns_to_the_form(phone, world):
    person = phone("logo")
    page, t = person.page, person.t
    person.sign_in(OWNER)
    photo = noise_jpeg(2560, 1920, orientation=6)  # held sideways: EXIF says turn it upright
    assert len(photo) > 4 * 1024 * 1024
    person.go(f"/firms/{world['farm']}/edit")
    expect(page.locator("#logo-help")).to_contain_text("10 MB")
    page.locator("details", has=page.locator("#logo")).locator("summary").click()
    page.locator("#logo").set_input_files({"name": "IMG_0412.jpg", "mimeType": "image/jpeg", "buffer": photo},
                                         timeout=60_000)
    page.locator("form.form button[type=submit]").click()
    person.check()
    expect(page.get_by_text(t("Your changes have been saved."))).to_be_visible()
    logo = page.locator("img.firm-logo")
    expect(logo).to_be_visible()
    natural = logo.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert natural == [384, 512], natural  # upright (portrait), and shrunk to fit 512 px

    person.go(f"/firms/{world['farm']}/edit")
    page.locator("#name_en").fill("Nonthaburi Betta Farm Co.")
    page.locator("details", has=page.locator("#logo")).locator("summary").click()
    page.locator("#logo").set_input_files({"name": "RAW.jpg", "mimeType": "image/jpeg",
                                          "buffer": noise_jpeg(3600, 3200)}, timeout=60_000)  # about 11 MB
    page.locator("form.form button[type=submit]").click()
    person.check()
    expect(page.locator("#logo-errors")).to_contain_text("10 MB")
    expect(page.locator("#name_en")).to_have_value("Nonthaburi Betta Farm Co.")  # nothing typed is lost

    page.locator("#logo").set_input_files({"name": "video.jpg", "mimeType": "image/jpeg",
                                          "buffer": b"\xff\xd8" + b"0" * (21 * 1024 * 1024)},
                                         timeout=60_000)
    with page.expect_response(re.compile(r"/firms/\d+/edit")) as answer:
        page.locator("form.form button[type=submit]").click()
    assert answer.value.status == 413
    person.check()
    expect(page.locator("form.form")).to_be_visible()
    expect(page.locator("#logo-errors")).to_contain_text("20 MB")
    expect(page.locator("#name_th")).to_have_value("ฟาร์มปลากัดนนทบุรี")
