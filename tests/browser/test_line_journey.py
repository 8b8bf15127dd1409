"""Issue 22's journey in Chromium, against fake LINE platforms on loopback (the portal's real LINE clients run):
a Thai owner signs in with LINE, adds the Official Account (LINE's follow webhook), follows the Betta cluster;
another firm posts a Betta request; the owner's LINE gets the news in Thai, with a button to the request and
one that stops the alerts; once stopped, the next request reaches her LINE no more."""
import json
import re
import threading

import pytest
import requests
from playwright.sync_api import Browser, expect
from werkzeug.serving import make_server

from portal.clusters.models import Position
from portal.extensions import db
from tests import factories, fake_line_login, fake_line_messaging
from tests.browser.quality import check_accessibility, keep_html, sign_in

pytestmark = pytest.mark.browser

LINE_USER = fake_line_login.line_user(7, name="สมศรี ฟาร์มปลากัด", email="somsri.line@example.com")


@pytest.fixture(scope="module")
def line_platform():
    """LINE's platform faked on one loopback address, as api.line.me serves both: LINE Login's authorize and
    token endpoints, and the Messaging API's push."""
    login = fake_line_login.FakeLine()
    messaging = fake_line_messaging.FakeLineMessaging(fake_line_messaging.TOKEN).start()

    def platform(environ, start_response):
        handler = messaging._app if environ.get("PATH_INFO", "").startswith("/v2/bot/") else login
        return handler(environ, start_response)

    server = make_server("127.0.0.1", 0, platform, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield login, f"http://127.0.0.1:{server.server_port}", messaging
    server.shutdown()
    messaging.stop()


@pytest.fixture
def line_configured(app, live_server, line_platform, monkeypatch):
    login, base, messaging = line_platform
    login.reset()
    messaging.reset()
    login.user = LINE_USER
    settings = {
        "LINE_LOGIN_CHANNEL_ID": fake_line_login.CHANNEL_ID,
        "LINE_LOGIN_CHANNEL_SECRET": fake_line_login.CHANNEL_SECRET,
        "LINE_AUTH_BASE_URL": base, "LINE_API_BASE_URL": base,
        "LINE_MESSAGING_ACCESS_TOKEN": fake_line_messaging.TOKEN,
        "LINE_MESSAGING_CHANNEL_SECRET": fake_line_messaging.SECRET, "LINE_TIMEOUT_SECONDS": 5,
        "PORTAL_BASE_URL": live_server,  # LINE sends the browser back to the callback built from it
    }
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    return login, messaging


@pytest.fixture
def people(app):
    """Somsri (Thai, a Betta farm, her account linked to LINE) and an exporter who will post in Betta."""
    from portal.db import utcnow
    from portal.line.models import LineAccount

    with app.app_context():
        betta = factories.cluster("betta")
        somsri = factories.user(email="somsri@example.com", locale="th", name="สมศรี")
        farm = factories.firm(name_th="ฟาร์มปลากัดสมศรี", name_en="Somsri Betta Farm")
        factories.team_member(farm, somsri, "owner")
        factories.membership(farm, betta, Position.UPSTREAM)
        db.session.add(LineAccount(user_id=somsri.id, line_user_id=LINE_USER["sub"], display_name=LINE_USER["name"],
                                   linked_at=utcnow()))
        exporter = factories.user(email="exporter.l@example.com", locale="th")
        firm = factories.firm(name_th="ผู้ส่งออกปลากัดอันดามัน", name_en="Andaman Betta Export")
        factories.team_member(firm, exporter, "owner")
        factories.membership(firm, betta, Position.DOWNSTREAM)
        db.session.commit()


def _line_event(live_server, event_type):
    """LINE's webhook call, signed with the channel secret as LINE signs it."""
    body = json.dumps({"destination": "Uportal", "events": [
        {"type": event_type, "timestamp": 1764547200000, "mode": "active",
         "source": {"type": "user", "userId": LINE_USER["sub"]}, "webhookEventId": "01TEST", "replyToken": "x"}]},
        ensure_ascii=False).encode()
    answer = requests.post(live_server + "/line/webhook", data=body, timeout=5, headers={
        "Content-Type": "application/json", "X-Line-Signature": fake_line_messaging.sign(body)})
    assert answer.status_code == 200, answer.text


def test_sign_in_with_line_follow_betta_and_hear_of_a_new_request_on_line(
        browser: Browser, app, live_server, line_configured, people, th):
    login, messaging = line_configured
    context = browser.new_context(viewport={"width": 360, "height": 740}, extra_http_headers={"Accept-Language": "th"})
    page = context.new_page()
    keep_html(page, "line")

    # 1. Sign in with LINE: the portal leaves for (fake) LINE, which sends the browser back signed in.
    page.goto(live_server + "/auth/login")
    page.get_by_role("button", name=th("Sign in with LINE")).click()
    page.wait_for_url(re.compile(r"/firms/mine"))
    assert login.token_requests, "the portal never asked LINE for the token"
    expect(page.get_by_text("ฟาร์มปลากัดสมศรี").first).to_be_visible()

    # 2. She adds the Official Account as a friend on LINE: LINE's follow event reaches the webhook.
    _line_event(live_server, "follow")

    # 3. She follows the Betta cluster from its page.
    page.goto(live_server + "/clusters/betta")
    page.get_by_role("button", name=th("Follow"), exact=True).click()
    expect(page.get_by_role("button", name=th("Stop following"))).to_be_visible()
    check_accessibility(page)

    # 4. Another firm posts a Betta request, in its own browser.
    other = browser.new_context(extra_http_headers={"Accept-Language": "th"})
    poster = other.new_page()
    sign_in(poster, live_server, "exporter.l@example.com")
    poster.goto(live_server + "/requests/new")
    label = lambda text: re.compile("^" + re.escape(text) + r"\s*\*?$")  # noqa: E731
    poster.get_by_label(label(th("Where"))).select_option(label="ปลากัด")
    poster.get_by_label(label(th("Kind of collaboration"))).select_option(label=th("Seeking a supplier"))
    poster.get_by_label(label(th("Title in Thai"))).fill("หาฟาร์มปลากัดคราวน์เทลส่งออก")
    poster.get_by_role("button", name=th("Post the request")).click()
    expect(poster.get_by_role("heading", level=1)).to_have_text("หาฟาร์มปลากัดคราวน์เทลส่งออก")
    request_url = poster.url

    # 5. The followers' fan-out ran after that commit; the workers deliver the outbox (here, in this process).
    from portal.outbox import services as outbox

    with app.app_context():
        outbox.deliver_due()
    pushes = [p for p in messaging.pushes if p["to"] == LINE_USER["sub"]]
    assert len(pushes) == 1, messaging.requests
    text = messaging.texts()[messaging.pushes.index(pushes[0])]
    assert text == th("%(firm)s posted a new request: “%(request)s”.", firm="ผู้ส่งออกปลากัดอันดามัน",
                      request="หาฟาร์มปลากัดคราวน์เทลส่งออก")
    buttons = [b["action"] for b in pushes[0]["messages"][0]["contents"]["footer"]["contents"]]
    assert buttons[0]["uri"].split("?")[0] == request_url.split("?")[0]  # opens the request, from PORTAL_BASE_URL
    assert buttons[1]["label"] == th("Stop these alerts") and buttons[1]["uri"].startswith(live_server)

    # 6. On LINE, the second button stops this follow: its page asks once (no sign-in), then stops it.
    stranger = browser.new_context(extra_http_headers={"Accept-Language": "th"}).new_page()
    stranger.goto(buttons[1]["uri"])
    stranger.get_by_role("button", name=th("Stop these alerts")).click()
    expect(stranger.get_by_text(th("Done: you will get no more alerts of this kind."))).to_be_visible()
    messaging.reset()
    poster.goto(live_server + "/requests/new")
    poster.get_by_label(label(th("Where"))).select_option(label="ปลากัด")
    poster.get_by_label(label(th("Kind of collaboration"))).select_option(label=th("Seeking buyers"))
    poster.get_by_label(label(th("Title in Thai"))).fill("หาผู้ซื้อปลากัดฮาล์ฟมูน")
    poster.get_by_role("button", name=th("Post the request")).click()
    expect(poster.get_by_role("heading", level=1)).to_have_text("หาผู้ซื้อปลากัดฮาล์ฟมูน")
    with app.app_context():
        outbox.deliver_due()
    assert not [p for p in messaging.pushes if p["to"] == LINE_USER["sub"]]
    stranger.context.close()
    other.close()
    context.close()
