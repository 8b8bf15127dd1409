"""Two-factor sign-in in real Chromium: an authenticator app set up with a computed code (pyotp), sign-in with a
code, recovery codes that work once, a passkey registered and used through Chromium's virtual authenticator
(DevTools protocol WebAuthn domain), and a staff account kept away from the portal until it has a second factor.

WebAuthn needs a domain as relying party id (not an IP address): these tests open the live server as
http://localhost:<port> and point PORTAL_BASE_URL (the RP id and origin) there."""
import re
import time
import types
from urllib.parse import urlsplit

import pyotp
import pytest
from playwright.sync_api import Page, expect

from portal.auth.models import Role
from portal.extensions import db
from portal.twofactor import flow
from tests import factories
from tests.browser.quality import check_accessibility, keep_html

pytestmark = pytest.mark.browser
EMAIL = "nida.2fa@example.com"


@pytest.fixture
def site(app, base_url, monkeypatch):
    local = f"http://localhost:{urlsplit(base_url).port}"
    monkeypatch.setitem(app.config, "PORTAL_BASE_URL", local)
    return local


def _password_step(page: Page, site: str, email: str = EMAIL) -> None:
    page.context.clear_cookies()
    page.goto(site + "/auth/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(factories.PASSWORD)
    page.locator("form.form", has=page.locator("#password")).locator("button[type=submit]").click()


def _signed_in(page: Page) -> None:
    page.wait_for_url(re.compile(r"/firms/mine$"))
    expect(page.get_by_text("Welcome,")).to_be_visible()


def test_totp_recovery_codes_and_passkey(page: Page, app, site, monkeypatch):
    with app.app_context():
        factories.user(email=EMAIL, locale="en", name="Nida")
        db.session.commit()
    page.context.set_extra_http_headers({"Accept-Language": "en"})
    keep_html(page, "twofactor")
    _password_step(page, site)
    _signed_in(page)

    # The authenticator app: the key beside the QR code, and the code it computes.
    page.goto(site + "/account/security")
    check_accessibility(page)
    page.get_by_role("link", name="Set up an authenticator app").click()
    expect(page.locator("svg")).to_be_visible()
    check_accessibility(page)
    secret = page.locator("[data-totp-secret]").inner_text().strip()
    page.get_by_label("The 6-digit code your app shows now").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    codes = [c.strip() for c in page.locator(".recovery-codes code").all_inner_texts()]
    assert len(codes) == 10
    check_accessibility(page)

    # A passkey, made by Chromium's virtual authenticator.
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True}})["authenticatorId"]
    page.goto(site + "/account/security")
    page.get_by_label("Name of this passkey").fill("Nida laptop")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_text("Your passkey has been added.")).to_be_visible()
    expect(page.get_by_text("Nida laptop").first).to_be_visible()
    assert len(cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]) == 1
    check_accessibility(page)

    # The password alone no longer signs in: a code from the app does (the next time step: the first is used).
    _password_step(page, site)
    expect(page.get_by_role("heading", level=1)).to_have_text("Second step of signing in")
    check_accessibility(page)
    page.get_by_label("Code from your authenticator app, or a recovery code").fill(
        pyotp.TOTP(secret).at(int(time.time()) + 30))
    page.get_by_role("button", name="Continue").click()
    _signed_in(page)

    # The passkey.
    _password_step(page, site)
    page.get_by_role("button", name="Sign in with a passkey").click()
    _signed_in(page)

    # An hour later, changing the password asks to confirm it is you: the passkey does, and back to the page.
    monkeypatch.setattr(flow, "time", types.SimpleNamespace(time=lambda: time.time() + 3600))
    page.goto(site + "/auth/password")
    expect(page).to_have_url(re.compile(r"/account/security/confirm\?next="))
    check_accessibility(page)
    page.get_by_role("button", name="Confirm with a passkey").click()
    page.wait_for_url(re.compile(r"/auth/password$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Change your password")
    monkeypatch.setattr(flow, "time", time)

    # A recovery code works once.
    _password_step(page, site)
    page.get_by_label("Code from your authenticator app, or a recovery code").fill(codes[0])
    page.get_by_role("button", name="Continue").click()
    _signed_in(page)
    _password_step(page, site)
    page.get_by_label("Code from your authenticator app, or a recovery code").fill(codes[0])
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("That code is not correct, or it has been used already.").first).to_be_visible()
    expect(page).to_have_url(re.compile(r"/account/security/verify$"))


def test_staff_refused_without_a_second_factor(page: Page, app, site, monkeypatch):
    monkeypatch.setitem(app.config, "TWO_FACTOR_REQUIRED_ROLES", ("staff", "admin", "coordinator"))
    with app.app_context():
        factories.user(email="staff.2fa@example.com", locale="en", role=Role.STAFF)
        db.session.commit()
    page.context.set_extra_http_headers({"Accept-Language": "en"})
    _password_step(page, site, "staff.2fa@example.com")
    page.wait_for_url(re.compile(r"/account/security$"))
    expect(page.get_by_text("Your account needs a second factor before you can continue.")).to_be_visible()
    page.goto(site + "/moderation/")
    expect(page).to_have_url(re.compile(r"/account/security$"))
    page.goto(site + "/admin/audit")
    expect(page).to_have_url(re.compile(r"/account/security$"))
