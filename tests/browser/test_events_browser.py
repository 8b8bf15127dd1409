"""A business matching day (issue 20), in Chromium, in Thai at phone size (360×740) and in English at desktop
size: an organiser creates and opens the event, three firms register, firm A asks B and C for meetings and both
accept, the organiser makes and publishes the schedule, A reads its agenda (.ics and PDF too), is checked in
at the desk, and after its first meeting marks it held and rates it.

Every page is checked where it stands (right language, nothing wider than the screen, axe-core) and kept for
the Nu HTML validator (tests/browser/quality.py), as in tests/browser/test_journeys.py."""
import re
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from portal.clusters.models import Position
from portal.db import utcnow
from portal.events import scheduling
from portal.events.models import Event, Meeting, ScheduleRun
from portal.extensions import db
from portal.thai import bangkok_today, to_bangkok
from tests import factories
from tests.browser.quality import check_accessibility, keep_html, one_variant_on_postgresql, submit_sign_in

pytestmark = pytest.mark.browser

SIZES = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 800}}
COORDINATOR = "coord.ev@example.com"
# (key, owner's e-mail, Thai name, English name, position in the Betta chain)
FIRMS = (("A", "farm.ev@example.com", "ฟาร์มปลากัดนนทบุรี", "Nonthaburi Betta Farm", Position.UPSTREAM),
         ("B", "exporter.ev@example.com", "ผู้ส่งออกปลากัดสยาม", "Siam Betta Exporter", Position.DOWNSTREAM),
         ("C", "food.ev@example.com", "ร้านอาหารปลาสุพรรณ", "Suphan Fish Food", Position.MIDSTREAM))


def label(text):
    return re.compile("^" + re.escape(text) + r"\s*\*?$")


# Each language and each size once: Thai owners on phones, and English at a desk. The four-way product ran the
# same journey twice more (some 150 s of every test run) for what the other journeys already cover.
JOURNEYS = (("th", "phone"), ("en", "desktop"))


@pytest.fixture(params=JOURNEYS, ids="-".join)
def journey(request):
    one_variant_on_postgresql(lang=request.param[0], size=request.param[1])
    return request.param


@pytest.fixture
def lang(journey):
    return journey[0]


@pytest.fixture
def size(journey):
    return journey[1]


@pytest.fixture
def betta(app, lang):
    """Betta fish with its coordinator and three member firms, each with its owner (all reading `lang`)."""
    with app.app_context():
        cluster = factories.cluster("betta")
        factories.term(factories.user(email=COORDINATOR, name="Anna Coordinator", locale=lang), cluster)
        for _key, email, name_th, name_en, position in FIRMS:
            firm = factories.firm(name_th=name_th, name_en=name_en)
            factories.team_member(firm, factories.user(email=email, locale=lang), "owner")
            factories.membership(firm, cluster, position)
        db.session.commit()


class Person:
    """One user in one browser context: every page is checked (axe) and kept (HTML validation)."""

    def __init__(self, browser: Browser, base_url, size, lang, th, who, seen: set):
        self.context = browser.new_context(viewport=SIZES[size], locale="th-TH" if lang == "th" else "en-US",
                                           extra_http_headers={"Accept-Language": lang})
        self.page = self.context.new_page()
        self.page.set_default_timeout(10_000)
        self.base_url, self.lang, self._th, self.seen = base_url, lang, th, seen
        keep_html(self.page, f"event-{who}-{size}-{lang}")

    def t(self, msgid, **values):
        """The text the user sees in this journey's language."""
        return self._th(msgid, **values) if self.lang == "th" else (msgid % values if values else msgid)

    def pick(self, thai, english):
        return thai if self.lang == "th" else english

    def go(self, path):
        self.page.goto(self.base_url + path)
        self.check()

    def click(self, role, name, **options):
        """Click a link or button by what it says, and check the page it leads to."""
        self.page.get_by_role(role, name=name, **options).click()
        self.check()

    def check(self):
        """The page in view: right language, nothing wider than the screen, no axe violation."""
        self.page.wait_for_load_state("load")
        expect(self.page.locator("html")).to_have_attribute("lang", self.lang)
        assert self.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), self.page.url
        check_accessibility(self.page)

    def flash(self, text):
        """The success message at the top of the page."""
        expect(self.page.locator(".flash-success")).to_have_text(text)

    def pattern(self, msgid, name):
        """A regular expression for a translated sentence whose value `name` is unknown: what the user reads,
        with the value as the group."""
        before, after = self.t(msgid, **{name: "\x00"}).split("\x00")
        return re.compile(re.escape(before) + "(.+?)" + re.escape(after))

    def row(self, firm):
        """The table row of the meeting with `firm` (its name links to the firm)."""
        return self.page.locator("tbody tr").filter(has=self.page.get_by_role("link", name=firm, exact=True))

    def cell(self, row, column):
        """The row's cell in `column` (its English heading), as labelled for the phone's stacked table."""
        return row.locator(f'td[data-label="{self.t(column)}"]')

    def open_menu(self):
        """On a phone the main menu is folded: open it (a no-op where it shows whole)."""
        toggle = self.page.locator("nav.main-nav summary")
        if toggle.is_visible() and self.page.locator("nav.main-nav details[open]").count() == 0:
            toggle.click()

    def sign_in(self, email):
        """Sign in from the sign-in page: the same page for everyone, so axe checks it once a journey."""
        self.page.goto(self.base_url + "/auth/login")
        if "sign-in" not in self.seen:
            self.check()
            self.seen.add("sign-in")
        submit_sign_in(self.page, email)
        self.check()


@pytest.fixture
def person(browser, base_url, size, lang, th):
    people, seen = [], set()

    def start(who):
        people.append(Person(browser, base_url, size, lang, th, who, seen))
        return people[-1]

    yield start
    for one in people:
        one.context.close()


def _the_day_arrives(app, event_id):
    """The day arrives: the event's session is moved to start an hour ago (its slots with it), as
    tests/events_day_helpers.start_slots does. Through the pages it could not be: registration and booking
    must close before the first session's day, so the session was made for tomorrow."""
    with app.app_context():
        event = db.session.get(Event, event_id)
        first = utcnow().replace(second=0, microsecond=0) - timedelta(hours=1)
        shift = event.slots[0].starts_at - first
        for slot in event.slots:
            slot.starts_at, slot.ends_at = slot.starts_at - shift, slot.ends_at - shift
        session = event.sessions[0]
        session.day, session.start_time = to_bangkok(first).date(), to_bangkok(first).time()
        event.starts_on = session.day
        db.session.commit()


def _placed(app, event_id):
    """{receiving firm's English name: (table name, "HH:MM–HH:MM")} of the event's placed meetings."""
    with app.app_context():
        placed = {}
        for meeting in db.session.scalars(select(Meeting).where(Meeting.event_id == event_id)):
            assert meeting.slot is not None, f"meeting {meeting.id} left out: {meeting.unscheduled_reason}"
            placed[meeting.request.receiver.firm.name_en] = (
                meeting.table.name, f"{meeting.slot.local_start:%H:%M}–{meeting.slot.local_end:%H:%M}")
        return placed


def test_a_matching_day_from_the_new_event_page_to_a_rated_meeting(app, betta, person, size):
    today = bangkok_today()
    tomorrow = today + timedelta(days=1)
    organiser = person("organiser")
    page, t = organiser.page, organiser.t
    names = {key: organiser.pick(name_th, name_en) for key, _email, name_th, name_en, _pos in FIRMS}
    tables = [organiser.pick("โต๊ะกุ้ง", "Shrimp table"), organiser.pick("โต๊ะปลากัด", "Betta table")]
    title = organiser.pick("วันจับคู่ธุรกิจปลากัด", "Betta business matching day")

    # 1. The coordinator creates the event, for tomorrow, and opens it
    organiser.sign_in(COORDINATOR)
    organiser.open_menu()
    organiser.click("link", t("Matching days"), exact=True)
    organiser.click("link", t("New matching day"))
    page.get_by_label(label(t("Title in Thai"))).fill("วันจับคู่ธุรกิจปลากัด")
    page.get_by_label(label(t("Title in English"))).fill("Betta business matching day")
    page.get_by_label(label(t("Description in Thai"))).fill("พบผู้ซื้อและผู้ขายปลากัด โต๊ะละ 20 นาที")
    page.get_by_label(label(t("Description in English"))).fill("Meet betta buyers and sellers, 20 minutes a table.")
    page.get_by_label(label(t("Venue"))).fill("ศูนย์ประชุมนนทบุรี")
    page.get_by_label(organiser.pick("ปลากัด", "Betta fish"), exact=True).check()
    for field in ("Registration opens on", "Registration closes on", "Meeting requests open on",
                  "Meeting requests close on"):
        page.get_by_label(label(t(field))).fill(today.isoformat())
    page.get_by_label(label(t("Meeting length"))).select_option(label=t("%(num)s minutes", num=20))
    page.get_by_label(label(t("Maximum meetings per firm"))).fill("3")
    page.get_by_label(t("Registrations need the organisers' approval")).uncheck()
    page.get_by_label(t("Session %(num)s: date", num=1)).fill(tomorrow.isoformat())
    page.locator("#sessions-0-start_time").fill("09:00")
    page.locator("#sessions-0-slot_count").fill("3")
    page.get_by_label(label(t("Number of tables"))).fill("2")
    page.get_by_label(label(t("Table names"))).fill("\n".join(tables))
    organiser.click("button", t("Save"))
    organiser.flash(t("The event is saved as a draft. Open it when it is ready for firms."))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    event_id = int(re.search(r"/events/(\d+)$", page.url).group(1))
    organiser.click("button", t("Open to firms"))
    organiser.flash(t("The event is open: firms can see it and register."))

    # 2. Three firms register, each owner in their own browser
    firms = {}
    for key, email, *_rest in FIRMS:
        firm = firms[key] = person(f"firm{key}")
        firm.sign_in(email)
        if key == "A":  # A finds it in the list; B and C follow a link they were sent
            firm.open_menu()
            firm.click("link", t("Matching days"), exact=True)
            firm.click("link", title)
        else:
            firm.go(f"/events/{event_id}")
        firm.click("link", t("Register a firm"))
        firm.page.get_by_label(label(t("Who will attend"))).fill(firm.pick("คุณสมชาย, คุณสมหญิง", "Somchai, Somying"))
        slots = firm.page.get_by_role("group", name=label(t("When your firm can meet"))).get_by_role("checkbox")
        expect(slots).to_have_count(3)
        for n in range(3):
            slots.nth(n).check()
        firm.page.get_by_label(label(t("What you offer at this event"))).fill(
            firm.pick("ปลากัดฮาล์ฟมูนเกรดส่งออก", "Export-grade halfmoon bettas"))
        firm.click("button", t("Register"), exact=True)
        firm.flash(t("%(firm)s is registered.", firm=names[key]))

    # 3. Firm A browses the attendees and asks B and C for a meeting; both accept
    a = firms["A"]
    a.click("link", t("Attendees"), exact=True)
    expect(a.page.get_by_role("heading", level=2, name=names["C"])).to_be_visible()
    reasons = {"B": a.pick("เราส่งปลากัดได้เดือนละ 600 ตัว", "We can supply 600 bettas a month."),
               "C": a.pick("อยากซื้ออาหารปลาชนิดเม็ด", "We would like to buy pellet food.")}
    for key in ("B", "C"):
        if key == "C":
            a.go(f"/events/{event_id}/attendees")
        # from the firm's entry in the list (the suggestions above it may offer the same link)
        entry = a.page.get_by_role("article").filter(has=a.page.get_by_role("heading", level=2, name=names[key]))
        entry.get_by_role("link", name=f"{t('Request a meeting')} {names[key]}").click()
        a.check()
        expect(a.page.get_by_role("heading", level=1)).to_have_text(
            t("Request a meeting with %(firm)s", firm=names[key]))
        a.page.get_by_label(label(t("Why would you like to meet?"))).fill(reasons[key])
        a.click("button", t("Send the request"))
        a.flash(t("Your request was sent to %(firm)s.", firm=names[key]))
    for key in ("B", "C"):
        firm = firms[key]
        firm.go(f"/events/{event_id}")
        firm.click("link", t("Your meeting requests"))
        headers = firm.page.get_by_role("table", name=t("Received")).get_by_role("columnheader")
        # the firms' columns: "from" and "to" a firm, not the date range's ตั้งแต่วันที่ / ถึงวันที่
        expect(headers.nth(0)).to_have_text(firm.pick("จาก", "From"))
        expect(headers.nth(1)).to_have_text(firm.pick("ถึง", "To"))
        received = firm.page.get_by_role("table", name=t("Received")).locator("tbody tr")
        expect(received).to_contain_text(reasons[key])
        expect(received).to_contain_text(t("Waiting for an answer"))
        firm.click("link", f"{t('Accept')} {names['A']}")
        firm.click("button", t("Yes, accept"))
        firm.flash(t("You accepted the meeting with %(firm)s.", firm=names["A"]))
        expect(received).to_contain_text(t("Accepted"))

    # 4. The organiser makes the schedule (a worker's job) and publishes it
    organiser.go(f"/events/{event_id}")
    organiser.click("link", t("Schedule"), exact=True)
    organiser.click("button", t("Make the schedule"))
    organiser.flash(t("The schedule is being made. This page shows when it is done."))
    with app.app_context():
        run = db.session.scalar(select(ScheduleRun).where(ScheduleRun.event_id == event_id))
        if run.is_active:  # a worker's queue: run the job as the worker does (tests run it in the request)
            scheduling.run(run.id)
            page.reload()
            organiser.check()
    expect(page.get_by_role("heading", level=2, name=t("Schedule made"))).to_be_visible()
    placed = _placed(app, event_id)
    assert set(placed) == {"Siam Betta Exporter", "Suphan Fish Food"}
    both = page.locator("tbody tr").filter(has_text=t("%(first)s and %(second)s", first=names["A"], second=names["B"]))
    expect(both.locator(f'td[data-label="{t("Table")}"]')).to_have_text(placed["Siam Betta Exporter"][0])
    organiser.click("button", t("Publish the schedule"))
    organiser.flash(t("The schedule is published. Every registered firm is told."))
    expect(page.get_by_text(t("Schedule published"), exact=True)).to_be_visible()
    organiser.click("link", t("Table plan for printing"))

    # 5. Firm A reads its agenda: each meeting's time, table and firm; the check-in code; .ics and PDF
    a.go(f"/events/{event_id}")
    a.click("link", t("Agenda"), exact=True)
    expect(a.page.get_by_role("heading", level=1)).to_have_text(t("Agenda of %(firm)s", firm=names["A"]))
    agenda = a.page.url.removeprefix(a.base_url)
    for key, english in (("B", "Siam Betta Exporter"), ("C", "Suphan Fish Food")):
        table, times = placed[english]
        row = a.row(names[key])
        expect(a.cell(row, "Time")).to_contain_text(times)
        expect(a.cell(row, "Table")).to_have_text(table)
        expect(a.cell(row, "Reason")).to_have_text(reasons[key])
        expect(a.cell(row, "Status")).to_have_text(t("Scheduled"))
    expect(a.page.get_by_role("img", name=t("QR code for check-in"))).to_be_visible()
    shown = a.page.get_by_text(a.pattern("Check-in code: %(code)s", "code"))
    code = re.fullmatch(a.pattern("Check-in code: %(code)s", "code"), shown.inner_text().strip()).group(1)
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", code), code
    for name, kind, start in ((t("Add to calendar (.ics)"), "text/calendar", b"BEGIN:VCALENDAR"),
                              (t("Printable agenda (PDF)"), "application/pdf", b"%PDF")):
        href = a.page.get_by_role("link", name=name).get_attribute("href")
        response = a.page.request.get(a.base_url + href)
        assert response.status == 200 and response.headers["content-type"].startswith(kind), (href, response.status)
        assert response.body().startswith(start)
        if kind == "text/calendar":  # each meeting, in the reader's language (lines unfolded)
            calendar = response.text().replace("\r\n ", "")
            assert t("Meeting with %(firm)s", firm=names["B"]) in calendar, calendar
    expect(a.page.get_by_role("link", name=t("Mark held") + " " + names["B"])).to_have_count(0)  # not begun

    # 6. The day arrives; at the desk the organiser types A's code and checks it in
    _the_day_arrives(app, event_id)
    organiser.go(f"/events/{event_id}")
    organiser.click("link", t("Check-in desk"))
    organiser.page.get_by_label(label(t("Check-in code"))).fill(code.lower())  # as typed in haste
    organiser.click("button", t("Find the firm"))
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Check in %(firm)s?", firm=names["A"]))
    organiser.click("button", t("Yes, check in"))
    organiser.flash(t("%(firm)s has checked in.", firm=names["A"]))
    expect(page.get_by_role("heading", name=t("Checked in (%(num)s)", num=1))).to_be_visible()

    # 7. After its first meeting, A marks it held and rates it
    first = min(placed, key=lambda firm: placed[firm][1])
    other = {"Siam Betta Exporter": names["B"], "Suphan Fish Food": names["C"]}[first]
    a.go(agenda)  # A opens its agenda again on the day
    a.click("link", f"{t('Mark held')} {other}")
    a.click("button", t("Yes, it was held"))
    a.flash(t("The meeting is marked held."))
    expect(a.cell(a.row(other), "Status")).to_have_text(t("Held"))
    a.click("link", f"{t('Rate this meeting')} {other}")
    a.page.get_by_label(t("5 — very useful")).check()
    a.page.get_by_role("group", name=label(t("Do you want to continue with this firm?"))).get_by_label(
        t("Yes"), exact=True).check()
    a.click("button", t("Save"))
    a.flash(t("Thank you. Your answer is saved."))
    expect(a.page.get_by_role("link", name=f"{t('Rate this meeting')} {other}")).to_have_count(0)
    expect(a.page.get_by_text(a.pattern("Checked in at %(time)s.", "time"))).to_be_visible()
    with app.app_context():
        rated = db.session.scalar(select(Meeting).where(Meeting.event_id == event_id,
                                                        Meeting.sender_rating.is_not(None)))
        assert (rated.state.value, rated.sender_rating, rated.sender_continues) == ("held", 5, True)
