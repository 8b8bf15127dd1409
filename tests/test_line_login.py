"""Sign in, register, link and unlink with LINE Login, end to end against a fake LINE platform on 127.0.0.1
(tests/fake_line_login.py): the portal's real OpenID Connect client (Authlib, requests) runs, and the tokens it
gets are signed, expired, forged or replayed as the test chooses. Mail goes through the test SMTP server."""
import time

import pytest
from sqlalchemy import select

from portal.audit import AuditEntry
from portal.auth.models import User
from portal.db import utcnow
from portal.extensions import db
from portal.line.models import LineAccount
from tests import factories, fake_line_login
from tests.fake_line_login import line_user, through_line
from tests.helpers import body, signed_in

fake_line_server, fake_line = fake_line_login.fake_line_server, fake_line_login.fake_line  # the fixtures

LINE_ROUTES = [("POST", "/line/login"), ("POST", "/line/link"), ("GET", "/line/callback?code=x&state=y"),
               ("GET", "/line/register"), ("POST", "/line/register"), ("GET", "/line/unlink"),
               ("POST", "/line/unlink")]


def make_user(app, email, line=None, password=True, suspended=False, confirmed=True):
    """A user (with the usual test password unless password=False), linked to the LINE user `line` if given."""
    from portal.auth.services import unusable_password

    with app.app_context():
        user = factories.user(email=email, suspended=suspended, confirmed=confirmed)
        if not password:
            user.password_hash = unusable_password()
        if line:
            db.session.add(LineAccount(user_id=user.id, line_user_id=line["sub"], display_name=line["name"],
                                       linked_at=utcnow()))
        db.session.commit()
        return user.id


def signed_in_id(client):
    with client.session_transaction() as session:
        held = session.get("_user_id") or ""
    return int(held.split(":")[0]) if held else None


def actions_of(app, user_id):
    with app.app_context():
        return db.session.scalars(select(AuditEntry.action).where(
            AuditEntry.target_type == "users", AuditEntry.target_id == user_id)).all()


def link_of(app, user_id):
    with app.app_context():
        return db.session.scalar(select(LineAccount.line_user_id).where(LineAccount.user_id == user_id))


def line_round_trip(client, start="/line/login"):
    """Press the LINE button, pass LINE's consent page, and come back: the callback's response (the visit
    reads English from then on, so that the tests can read its messages)."""
    return client.get(through_line(client, client.post(start + "?lang=en")))


def flashed(client, response) -> str:
    return body(client.get(response.location)) if response.status_code == 302 else body(response)


# --- off without configuration -------------------------------------------------------------------

def test_without_configuration_no_button_and_every_line_route_is_404(client, app):
    assert app.config["LINE_LOGIN_CHANNEL_ID"] is None
    assert "/line/login" not in body(client.get("/auth/login?lang=en"))
    assert "/line/login" not in body(client.get("/auth/register?lang=en"))
    for method, path in LINE_ROUTES:
        assert client.open(path, method=method).status_code == 404, path
    make_user(app, "member@example.com")
    member = signed_in(app, "member@example.com")
    assert "/line/link" not in body(member.get("/auth/account?lang=en"))
    for method, path in LINE_ROUTES:
        assert member.open(path, method=method).status_code == 404, path


# --- register, then sign in again ----------------------------------------------------------------

def test_register_with_line_then_confirm_and_sign_in_again(client, app, fake_line, mailbox):
    fake_line.user = line_user(7, name="  สมหญิง   รักดี ", email="Somying@Example.com")
    page = body(client.get("/auth/login?lang=en"))
    assert "/line/login" in page and "Sign in with LINE" in page

    back = line_round_trip(client)
    asked = fake_line.authorize_requests[-1]
    assert asked["code_challenge_method"] == "S256" and len(asked["code_challenge"]) == 43
    assert asked["nonce"] and asked["state"] and asked["scope"] == "openid profile email"
    assert asked["redirect_uri"] == "http://localhost/line/callback"  # from PORTAL_BASE_URL
    sent = fake_line.token_requests[-1]
    assert sent["client_secret"] and sent["code_verifier"] and sent["redirect_uri"] == asked["redirect_uri"]
    assert back.status_code == 302 and back.location.endswith("/line/register")
    assert signed_in_id(client) is None

    form = body(client.get("/line/register?lang=en"))
    assert 'value="สมหญิง รักดี"' in form and 'value="somying@example.com"' in form  # LINE's, editable
    done = client.post("/line/register?lang=en", data={"name": "สมหญิง รักดี (ร้านผ้าไหม)",
                                                        "email": "somying@example.com",
                                                        "accept_privacy": "y"})
    assert done.status_code == 302 and "/auth/check-email" in done.location
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "somying@example.com"))
        assert user.name == "สมหญิง รักดี (ร้านผ้าไหม)" and not user.is_confirmed and not user.has_password
        user_id = user.id
    assert link_of(app, user_id) == line_user(7)["sub"]
    assert {"user.registered", "line.linked"} <= set(actions_of(app, user_id))

    confirm = mailbox.link_in(mailbox.last_to("somying@example.com"), "/auth/confirm/")
    assert client.get(confirm).status_code == 302

    # No password: signing in with one fails with the usual neutral answer, never an error.
    refused = factories.sign_in(client, "somying@example.com", "!")
    assert refused.status_code == 200 and signed_in_id(client) is None
    refused = factories.sign_in(client, "somying@example.com", factories.PASSWORD)
    assert refused.status_code == 200 and signed_in_id(client) is None

    again = line_round_trip(client)
    assert again.status_code == 302 and "/line/register" not in again.location
    assert signed_in_id(client) == user_id
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user.last_login_at is not None and user.is_confirmed
    assert "line.signed_in" in actions_of(app, user_id)
    with client.session_transaction() as session:  # a fresh session, carrying the session version
        assert session["_user_id"].split(":")[1] == "1" and "line_pending" not in session


def test_sign_in_with_a_linked_line_account(app, fake_line):
    user_id = make_user(app, "linked@example.com", line=fake_line.user)
    client = app.test_client()
    response = line_round_trip(client)
    assert response.status_code == 302 and response.location.endswith("/firms/mine")
    assert signed_in_id(client) == user_id
    assert client.get("/auth/account").status_code == 200


def test_suspended_user_is_refused(app, fake_line):
    user_id = make_user(app, "suspended@example.com", line=fake_line.user, suspended=True)
    client = app.test_client()
    response = line_round_trip(client)
    assert response.status_code == 302 and "/auth/login" in response.location
    assert signed_in_id(client) is None
    assert "suspended" in flashed(client, response)
    assert "line.signed_in" not in actions_of(app, user_id)


# --- never taking over an e-mail account ---------------------------------------------------------

def test_an_existing_email_account_is_not_taken_over(client, app, fake_line):
    owner_id = make_user(app, "somchai@example.com")  # the LINE user's e-mail address (fake_line's default)
    response = line_round_trip(client)
    assert response.status_code == 302 and "/auth/login" in response.location
    page = flashed(client, response)
    assert "Sign in with its password, then link LINE in your account settings" in page
    assert signed_in_id(client) is None
    assert link_of(app, owner_id) is None
    with app.app_context():
        assert db.session.scalar(select(LineAccount.id)) is None


def test_the_typed_address_of_an_existing_account_creates_nothing(client, app, fake_line, mailbox):
    owner_id = make_user(app, "owner@example.com")
    fake_line.user = line_user(3, email=None)  # no e-mail from LINE: the form asks for one
    assert line_round_trip(client).location.endswith("/line/register")
    done = client.post("/line/register", data={"name": "Someone", "email": "OWNER@example.com",
                                                "accept_privacy": "y"})
    assert done.status_code == 302 and "/auth/check-email" in done.location  # as for a new account
    assert link_of(app, owner_id) is None
    with app.app_context():
        assert db.session.scalar(select(LineAccount.id)) is None
    assert mailbox.last_to("owner@example.com")  # its owner is told instead ("you already have an account")


# --- link and unlink from account settings -------------------------------------------------------

def test_link_then_unlink_from_settings(app, fake_line):
    user_id = make_user(app, "member@example.com")
    member = signed_in(app, "member@example.com")
    assert "/line/link" in body(member.get("/auth/account?lang=en"))

    response = line_round_trip(member, start="/line/link")
    assert response.status_code == 302 and response.location.endswith("/auth/account")
    assert link_of(app, user_id) == fake_line.user["sub"]
    assert signed_in_id(member) == user_id
    page = body(member.get("/auth/account?lang=en"))
    assert "/line/unlink" in page and "/line/link" not in page
    assert member.post("/line/link").status_code == 403  # one LINE account per portal account

    ask = member.get("/line/unlink?lang=en")
    assert ask.status_code == 200 and "Unlink LINE" in body(ask)
    assert link_of(app, user_id) is not None  # asking changes nothing
    done = member.post("/line/unlink")
    assert done.status_code == 302 and done.location.endswith("/auth/account")
    assert link_of(app, user_id) is None
    actions = actions_of(app, user_id)
    assert "line.linked" in actions and "line.unlinked" in actions
    assert member.get("/line/unlink").status_code == 404  # nothing to unlink


def test_a_line_account_linked_to_someone_else_is_refused(app, fake_line):
    make_user(app, "first@example.com", line=fake_line.user)
    second_id = make_user(app, "second@example.com")
    second = signed_in(app, "second@example.com")
    response = line_round_trip(second, start="/line/link")
    assert response.status_code == 302 and response.location.endswith("/auth/account")
    assert "already linked to another portal account" in flashed(second, response)
    assert link_of(app, second_id) is None


def test_no_unlinking_without_a_password(app, fake_line):
    user_id = make_user(app, "lineonly@example.com", line=fake_line.user, password=False)
    client = app.test_client()
    line_round_trip(client)
    assert signed_in_id(client) == user_id
    ask = body(client.get("/line/unlink?lang=en"))
    assert "has no password yet" in ask and "/auth/reset" in ask and "<button" not in ask.split("<main")[-1]
    refused = client.post("/line/unlink")
    assert refused.status_code == 302
    assert "has no password yet" in flashed(client, refused)
    assert link_of(app, user_id) == fake_line.user["sub"]
    assert "Set a password" in body(client.get("/auth/account?lang=en"))


def test_an_account_made_through_line_sets_a_password_by_the_reset_link_then_may_unlink(app, fake_line, mailbox):
    user_id = make_user(app, "lineonly@example.com", line=fake_line.user, password=False)
    client = app.test_client()
    line_round_trip(client)
    assert client.post("/auth/reset", data={"email": "lineonly@example.com"}).status_code == 302
    link = mailbox.link_in(mailbox.last_to("lineonly@example.com"), "/auth/reset/")
    password = "a passphrase set after LINE"
    assert client.post(link, data={"password": password, "password2": password}).status_code == 302
    assert client.get("/auth/account").status_code == 302  # a new password ends every session, this one too
    member = signed_in(app, "lineonly@example.com", password)
    assert member.post("/line/unlink").status_code == 302
    assert link_of(app, user_id) is None


# --- refused tokens and answers ------------------------------------------------------------------

SPOILED = {
    "forged signature": {"sign_with": "fedcba9876543210fedcba9876543210"},
    "another audience": {"claims": {"aud": "9999999999"}},
    "another issuer": {"claims": {"iss": "https://evil.example"}},
    "expired": {"claims": {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}},
    "another nonce (replayed token)": {"claims": {"nonce": "an-old-nonce"}},
    "no nonce": {"claims": {"nonce": None}},
    "no subject": {"claims": {"sub": None}},
    "a subject that is no LINE id": {"claims": {"sub": "../../etc"}},
}


@pytest.mark.parametrize("spoil", SPOILED.values(), ids=SPOILED.keys())
def test_a_bad_id_token_is_refused(app, client, fake_line, spoil):
    make_user(app, "linked@example.com", line=fake_line.user)
    fake_line.spoil = spoil
    response = line_round_trip(client)
    assert response.status_code == 302 and "/auth/login" in response.location
    assert signed_in_id(client) is None
    assert "Signing in with LINE did not work" in flashed(client, response)
    with app.app_context():
        assert db.session.scalar(select(User.last_login_at)) is None


def test_a_wrong_state_is_refused_and_the_round_trip_is_spent(app, client, fake_line):
    make_user(app, "linked@example.com", line=fake_line.user)
    back = through_line(client, client.post("/line/login"))
    forged = back.replace("state=", "state=x")
    assert client.get(forged).location.endswith("/auth/login")
    assert client.get(back).location.endswith("/auth/login")  # the pending round trip was used up
    assert signed_in_id(client) is None
    assert fake_line.token_requests == []  # the code never went to LINE


def test_a_replayed_callback_is_refused(app, client, fake_line):
    """The same answer from LINE a second time (the old session cookie and the same code): LINE's codes work
    once, and the session's pending round trip is taken out at the first use."""
    user_id = make_user(app, "linked@example.com", line=fake_line.user)
    back = through_line(client, client.post("/line/login"))
    with client.session_transaction() as session:
        saved = dict(session)
    assert client.get(back).status_code == 302 and signed_in_id(client) == user_id

    thief = app.test_client()
    with thief.session_transaction() as session:
        session.update(saved)
    replay = thief.get(back)
    assert replay.status_code == 302 and replay.location.endswith("/auth/login")
    assert signed_in_id(thief) is None
    assert fake_line.token_requests[-1]["code"] == fake_line.token_requests[0]["code"]


def test_cancelling_on_line_says_so(app, client, fake_line):
    fake_line.deny = True
    response = line_round_trip(client)
    assert response.location.endswith("/auth/login")
    assert "You did not sign in with LINE" in flashed(client, response)
    assert signed_in_id(client) is None


@pytest.mark.parametrize("query", [
    "", "?code=abc", "?state=abc", "?code=abc&state=abc", "?error=access_denied", "?code=" + "x" * 5000 + "&state=a",
    "?code=%00&state=%ff", "?state[]=1&code[]=2",
])
def test_bad_callback_input_never_fails(client, fake_line, query):
    response = client.get("/line/callback" + query)
    assert response.status_code in (302, 400)  # 400: a query string that is not UTF-8 (portal/web.py)
    assert response.status_code == 400 or response.location.endswith("/auth/login")
    client.post("/line/login")  # with a round trip pending too
    assert client.get("/line/callback" + query).status_code in (302, 400)
    assert signed_in_id(client) is None


def test_registration_page_needs_a_line_identity(client, fake_line):
    assert client.get("/line/register").location.endswith("/auth/login")
    assert client.post("/line/register", data={"name": "x", "email": "x@example.com"}).status_code == 302
    with client.application.app_context():
        assert db.session.scalar(select(User.id)) is None


def test_registration_form_checks_its_input(client, app, fake_line):
    fake_line.user = line_user(5, name="", email=None)
    line_round_trip(client)
    response = client.post("/line/register?lang=en", data={"name": "  ", "email": "not an address"})
    assert response.status_code == 200
    assert "Please enter your name" in body(response) and "valid e-mail address" in body(response)


def test_line_is_offered_in_thai(client, fake_line, th):
    page = body(client.get("/auth/login?lang=th"))
    assert th("Sign in with LINE") in page


LINE_ACTIONS = {"line.linked": "LINE account linked", "line.unlinked": "LINE account unlinked",
                "line.signed_in": "Signed in with LINE"}


def test_audit_labels_name_the_line_actions(app, th):
    from flask_babel import force_locale

    from portal.audit_labels import action_label

    for code, english in LINE_ACTIONS.items():
        with app.test_request_context("/"), force_locale("en"):
            assert action_label(code) == english
        with app.test_request_context("/"), force_locale("th"):
            assert action_label(code) == th(english)


@pytest.mark.parametrize(("next_url", "lands_on"), [("/directory/", "/directory/"), ("//evil.example/", "/firms/mine"),
                                                   ("https://evil.example/", "/firms/mine")])
def test_sign_in_with_line_keeps_a_local_next(app, client, fake_line, next_url, lands_on):
    make_user(app, "linked@example.com", line=fake_line.user)
    assert 'name="next" value="/directory/"' in body(client.get("/auth/login?lang=en&next=/directory/"))
    start = client.post("/line/login", data={"next": next_url})
    response = client.get(through_line(client, start))
    assert response.status_code == 302 and response.location == lands_on


def test_leaving_for_line_needs_the_csrf_token(app, client, fake_line, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert client.post("/line/login").status_code == 400
    with client.session_transaction() as session:
        assert "line_pending" not in session
    assert fake_line.authorize_requests == []


@pytest.mark.parametrize("data", [
    {"name": "x" * 5000, "email": "a@example.com"}, {"name": "ก่่่่่่า", "email": "a" * 300 + "@example.com"},
    {"name": "<script>alert(1)</script>", "email": "<b>@example.com"}, {}, {"name[]": "x", "email": ["a", "b"]},
])
def test_hostile_registration_input_never_fails(client, fake_line, data):
    fake_line.user = line_user(9, email=None)
    line_round_trip(client)
    response = client.post("/line/register", data=data)
    assert response.status_code in (200, 302)
    assert "<script>alert(1)</script>" not in body(response)


def test_the_pages_allow_their_forms_to_go_on_to_line_only_while_line_login_is_configured(client, app, monkeypatch):
    """The sign-in button's form is answered with a redirect to LINE; browsers hold that redirect to CSP's
    form-action (Chromium stopped the sign-in with 'self' alone: tests/browser/test_line_journey.py)."""
    def form_action():
        policy = client.get("/auth/login").headers["Content-Security-Policy"]
        return next(part.strip() for part in policy.split(";") if part.strip().startswith("form-action"))

    assert form_action() == "form-action 'self'"
    monkeypatch.setitem(app.config, "LINE_LOGIN_CHANNEL_ID", "1234567890")
    monkeypatch.setitem(app.config, "LINE_LOGIN_CHANNEL_SECRET", "0123456789abcdef0123456789abcdef")
    assert form_action() == "form-action 'self' https://access.line.me"
    monkeypatch.setitem(app.config, "LINE_AUTH_BASE_URL", "https://evil.example; script-src *")
    assert form_action() == "form-action 'self'"  # never a policy written by a setting
