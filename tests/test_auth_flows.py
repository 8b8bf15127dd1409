"""Accounts end to end: register, confirm by the mailed link, sign in and out, reset, change password,
settings. Mail goes through a real SMTP server on 127.0.0.1."""
import re

import itsdangerous.timed
import pytest
from sqlalchemy import func, select

from portal.audit import AuditEntry
from portal.auth.models import User
from portal.auth.passwords import hash_password
from portal.extensions import db
from tests import factories
from tests.helpers import body

NEW_PASSWORD = "a much longer new passphrase 2567"
# How today's password hashes begin: Argon2id at OWASP's minimum (19 MiB, 2 passes, 1 lane), written out, not read
# from portal.auth.passwords, so that weaker parameters there fail these tests.
TODAYS_HASH = "$argon2id$v=19$m=19456,t=2,p=1$"


def register(client, email="somchai@example.com", password=factories.PASSWORD, lang="th", name="สมชาย ใจดี"):
    return client.post(f"/auth/register?lang={lang}", data={
        "name": name, "email": email, "password": password, "password2": password, "accept_privacy": "y",
    })


def user_by_email(app, email):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        if user is not None:
            db.session.expunge(user)
        return user


def test_register_confirm_by_mailed_link_in_thai(client, app, mailbox):
    response = register(client, email="Somchai@Example.com")
    assert response.status_code == 302 and "/auth/check-email" in response.location
    user = user_by_email(app, "somchai@example.com")  # stored lower-cased
    assert user is not None and not user.is_confirmed and user.locale == "th"
    assert user.password_hash.startswith(TODAYS_HASH)

    message = mailbox.last_to("somchai@example.com")
    assert message["Subject"] == "ยืนยันอีเมลของคุณ" or "อีเมล" in message["Subject"]
    assert message.get_content_type() == "text/plain"
    assert "สมชาย ใจดี" in mailbox.body(message)
    link = mailbox.link_in(message, "/auth/confirm/")
    assert "lang=th" in link

    followed = client.get(link)
    assert followed.status_code == 302 and "/auth/login" in followed.location
    assert user_by_email(app, "somchai@example.com").is_confirmed
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.target_id == user.id)).all()
    assert {"user.registered", "user.confirmed"} <= set(actions)


def test_english_registration_gets_an_english_mail(client, mailbox):
    register(client, email="buyer@example.com", lang="en", name="Anna Buyer")
    message = mailbox.last_to("buyer@example.com")
    assert message["Subject"] == "Confirm your e-mail address"
    assert "Hello Anna Buyer," in mailbox.body(message)
    assert "lang=en" in mailbox.link_in(message, "/auth/confirm/")


def test_confirmation_link_cannot_be_forged_or_used_late(client, app, mailbox, monkeypatch):
    register(client, email="late@example.com")
    link = mailbox.link_in(mailbox.last_to("late@example.com"), "/auth/confirm/")
    path, query = link.split("?")
    forged = client.get(f"{path[:-3]}xyz?{query}", follow_redirects=True)
    assert "ลิงก์ยืนยันนี้ไม่ถูกต้อง" in body(forged) or "ไม่ถูกต้อง" in body(forged)
    real_time = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() + 3 * 24 * 3600)
    late = client.get(link, follow_redirects=True)
    assert not user_by_email(app, "late@example.com").is_confirmed
    assert "หมดอายุ" in body(late)  # expired


def test_registering_a_taken_address_answers_the_same_and_tells_the_owner(client, app, mailbox):
    with app.app_context():
        factories.user(email="taken@example.com", name="เจ้าของเดิม")
        db.session.commit()
        users_before = db.session.scalar(select(func.count()).select_from(User))
    fresh = register(client, email="fresh@example.com")
    page_fresh = body(client.get(fresh.location))
    again = factories_client(app)
    taken = register(again, email="taken@example.com")
    page_taken = body(again.get(taken.location))
    assert taken.status_code == fresh.status_code == 302
    assert taken.location == fresh.location
    assert page_fresh.replace("fresh@example.com", "X") == page_taken.replace("taken@example.com", "X")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == users_before + 1
    assert "เจ้าของเดิม" in mailbox.body(mailbox.last_to("taken@example.com"))


def factories_client(app):
    return app.test_client()


@pytest.fixture
def member(app):
    with app.app_context():
        user = factories.user(email="member@example.com", name="สมหญิง")
        db.session.commit()
        return user.id


def test_wrong_password_and_unknown_address_get_the_same_answer(client, member):
    wrong = factories.sign_in(client, "member@example.com", "wrong password!")
    unknown = factories.sign_in(client, "nobody@example.com", "wrong password!")
    assert wrong.status_code == unknown.status_code == 200
    message = "อีเมลหรือรหัสผ่านไม่ถูกต้อง"
    assert message in body(wrong) and message in body(unknown)
    assert body(wrong).replace("member@example.com", "X") == body(unknown).replace("nobody@example.com", "X")


def test_unknown_address_still_costs_a_password_hash(app, member, monkeypatch):
    """No timing difference: an unknown address is checked against a dummy hash."""
    from portal.auth import passwords, services

    checked = []
    real = passwords.check_password
    monkeypatch.setattr(passwords, "check_password", lambda h, p: checked.append(h) or real(h, p))
    with app.app_context():
        assert services.authenticate("nobody@example.com", "whatever1") is None
        assert services.authenticate("member@example.com", "whatever1") is None
    assert len(checked) == 2 and all(h.startswith(TODAYS_HASH) for h in checked)


def _old_hashes():
    from argon2 import PasswordHasher
    from werkzeug.security import generate_password_hash

    return {
        "werkzeug scrypt": lambda p: generate_password_hash(p, method="scrypt"),
        "werkzeug pbkdf2": lambda p: generate_password_hash(p, method="pbkdf2:sha256:1000"),
        "argon2id, weaker parameters": PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash,
        "argon2id, today's parameters": hash_password,
    }


@pytest.mark.parametrize(("stored", "typed", "signs_in", "hash_after"), [
    ("werkzeug scrypt", "right", True, "today's"),
    ("werkzeug scrypt", "wrong", False, "unchanged"),
    ("werkzeug pbkdf2", "right", True, "today's"),
    ("argon2id, weaker parameters", "right", True, "today's"),
    ("argon2id, weaker parameters", "wrong", False, "unchanged"),
    ("argon2id, today's parameters", "right", True, "unchanged"),
    ("argon2id, today's parameters", "wrong", False, "unchanged"),
])
def test_a_password_hash_made_before_is_replaced_at_the_next_sign_in(client, app, stored, typed, signs_in,
                                                                      hash_after):
    """Accounts made before Argon2id (werkzeug's scrypt) or under weaker parameters keep working; the right password
    replaces their hash with one of today's parameters, and the same password still works after; a wrong one
    changes nothing."""
    with app.app_context():
        user = factories.user(email="old@example.com")
        user.password_hash = before = _old_hashes()[stored](factories.PASSWORD)
        db.session.commit()
    password = factories.PASSWORD if typed == "right" else "not the password 1"
    response = factories.sign_in(client, "old@example.com", password)
    assert (response.status_code == 302) is signs_in
    after = user_by_email(app, "old@example.com").password_hash
    if hash_after == "unchanged":
        assert after == before
    else:
        assert after != before and after.startswith(TODAYS_HASH)
    if signs_in:
        client.post("/auth/logout")
        assert factories.sign_in(client, "old@example.com", factories.PASSWORD).status_code == 302
        assert user_by_email(app, "old@example.com").password_hash == after  # replaced once, not at every sign-in


def test_sign_in_starts_a_fresh_session_and_keeps_the_language(client, member):
    client.get("/?lang=en")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    response = factories.sign_in(client, "member@example.com")
    assert response.status_code == 302
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["locale"] == "en"
        assert session["_user_id"].startswith(str(member) + ":")


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/firms/mine", "/firms/mine"),
        ("/clusters/betta?lang=en", "/clusters/betta?lang=en"),
        ("//evil.example/", "/firms/mine"),
        ("/\\evil.example", "/firms/mine"),
        ("https:evil.example", "/firms/mine"),
        ("https://evil.example/x", "/firms/mine"),
        ("javascript:alert(1)", "/firms/mine"),
        ("evil.example", "/firms/mine"),
        ("/%0d%0aSet-Cookie:x=1", "/%0d%0aSet-Cookie:x=1"),  # still a local path, header-safe
    ],
)
def test_next_only_redirects_to_local_paths(client, member, target, expected):
    response = factories.sign_in(client, "member@example.com", next=target)
    assert response.status_code == 302
    assert response.location == expected


def test_signing_out_ends_this_device_only_and_everywhere_ends_all(app, member):
    phone, laptop = app.test_client(), app.test_client()
    factories.sign_in(phone, "member@example.com")
    factories.sign_in(laptop, "member@example.com", remember=True)
    assert laptop.get("/auth/account").status_code == 200
    phone.post("/auth/logout")
    assert phone.get("/auth/account").status_code == 302
    assert laptop.get("/auth/account").status_code == 200  # issue 24: the other device stays signed in
    factories.sign_in(phone, "member@example.com")
    phone.post("/auth/sessions/end-all")
    for device in (phone, laptop):  # the laptop's session and its remember-me cookie no longer work
        response = device.get("/auth/account")
        assert response.status_code == 302 and "/auth/login" in response.location


def test_remember_me_keeps_the_user_signed_in_for_30_days(app, member):
    client = app.test_client()
    response = factories.sign_in(client, "member@example.com", remember=True)
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_token="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Max-Age" in cookie or "Expires" in cookie
    client.delete_cookie("session")  # the browser was closed
    assert client.get("/auth/account").status_code == 200


def test_changing_password_keeps_this_device_and_signs_out_others(app, member):
    here, elsewhere = app.test_client(), app.test_client()
    factories.sign_in(here, "member@example.com")
    factories.sign_in(elsewhere, "member@example.com")
    wrong = here.post("/auth/password", data={"current": "not it at all", "password": NEW_PASSWORD,
                                              "password2": NEW_PASSWORD})
    assert "รหัสผ่านปัจจุบันไม่ถูกต้อง" in body(wrong)
    ok = here.post("/auth/password", data={"current": factories.PASSWORD, "password": NEW_PASSWORD,
                                           "password2": NEW_PASSWORD})
    assert ok.status_code == 302
    assert here.get("/auth/account").status_code == 200
    assert elsewhere.get("/auth/account").status_code == 302
    fresh = app.test_client()
    assert "อีเมลหรือรหัสผ่านไม่ถูกต้อง" in body(factories.sign_in(fresh, "member@example.com"))
    assert factories.sign_in(fresh, "member@example.com", NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize("password, message", [
    ("short", "อย่างน้อย 8 ตัวอักษร"),
    ("x" * 1001, "อย่างน้อย 8 ตัวอักษร"),
])
def test_password_length_rules(client, app, password, message):
    response = register(client, email="weak@example.com", password=password)
    assert response.status_code == 200 and message in body(response)
    assert user_by_email(app, "weak@example.com") is None


def test_long_passwords_are_allowed(client, app):
    assert register(client, email="long@example.com", password="ก" * 200).status_code == 302
    assert factories.sign_in(app.test_client(), "long@example.com", "ก" * 200).status_code == 302


def test_password_reset_by_mailed_link_works_once(client, app, member, mailbox):
    response = client.post("/auth/reset", data={"email": "member@example.com"})
    assert response.status_code == 302
    link = mailbox.link_in(mailbox.last_to("member@example.com"), "/auth/reset/")
    assert client.get(link).status_code == 200
    done = client.post(link, data={"password": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 302 and "/auth/login" in done.location
    assert factories.sign_in(app.test_client(), "member@example.com", NEW_PASSWORD).status_code == 302
    again = client.post(link, data={"password": "another one 12345", "password2": "another one 12345"},
                        follow_redirects=True)
    assert "ถูกใช้ไปแล้ว" in body(again)
    assert factories.sign_in(app.test_client(), "member@example.com", NEW_PASSWORD).status_code == 302


def test_reset_request_answers_the_same_for_unknown_addresses(client, member, mailbox):
    known = client.post("/auth/reset", data={"email": "member@example.com"})
    known_page = body(client.get(known.location))
    unknown = client.post("/auth/reset", data={"email": "ghost@example.com"})
    unknown_page = body(client.get(unknown.location))
    assert known.status_code == unknown.status_code == 302
    assert known_page.replace("member@example.com", "X") == unknown_page.replace("ghost@example.com", "X")
    # Both mailboxes get a message, so the work (and time) is the same; only the real one has a link.
    assert "/auth/reset/" in mailbox.body(mailbox.last_to("member@example.com"))
    assert "/auth/reset/" not in mailbox.body(mailbox.last_to("ghost@example.com"))


def test_settings_change_name_and_language(client, app, member):
    factories.sign_in(client, "member@example.com")
    response = client.post("/auth/account", data={"name": "Somying", "locale": "en", "email_setting": "daily"})
    assert response.status_code == 302
    page = client.get("/clusters/", headers={"Accept-Language": "th"})
    assert '<html lang="en">' in body(page)  # the user's setting beats the browser
    assert '<html lang="th">' in body(client.get("/clusters/?lang=th"))  # a shared link still wins
    saved = user_by_email(app, "member@example.com")
    assert saved.name == "Somying" and saved.email_setting.value == "daily"
    bad = client.post("/auth/account?lang=en", data={"name": "", "locale": "fr"})
    assert bad.status_code == 200 and "Please enter your name." in body(bad)


def test_language_switch_by_get_changes_the_visit_only_and_by_post_the_preference(client, app, member):
    """#14.11: a GET (any site can link to it) switches this visit's language; only a POST with the
    form's token stores the preference that e-mails follow."""
    factories.sign_in(client, "member@example.com")
    response = client.get("/auth/lang/en?next=/clusters/betta")
    assert response.status_code == 302 and response.location == "/clusters/betta"
    assert '<html lang="en">' in body(client.get("/clusters/betta"))
    assert user_by_email(app, "member@example.com").locale == "th"  # unchanged by a cross-site link
    assert client.get("/auth/lang/en?next=//evil.example").location == "/"
    # The switch a signed-in user sees is a form that posts.
    page = body(client.get("/clusters/betta"))
    assert re.search(r'<form method="post" action="/auth/lang/th\?next=/clusters/betta"', page)
    posted = client.post("/auth/lang/th?next=/clusters/betta")
    assert posted.status_code == 303 and posted.location == "/clusters/betta"
    assert user_by_email(app, "member@example.com").locale == "th"
    client.post("/auth/lang/en")
    assert user_by_email(app, "member@example.com").locale == "en"


def test_language_switch_says_when_it_changes_the_e_mail_language_too(client, app, member):
    """#17.11b: tapping "English" once also changes the e-mail language; the switch says so, in the new language."""
    factories.sign_in(client, "member@example.com")
    english = "Your e-mails will also come in English. Change this in your account settings."
    # A GET changes this visit only: nothing to say about e-mails.
    assert english not in body(client.get("/auth/lang/en?next=/auth/account", follow_redirects=True))
    page = body(client.post("/auth/lang/en?next=/auth/account", follow_redirects=True))
    assert '<html lang="en">' in page and english in page
    assert user_by_email(app, "member@example.com").locale == "en"
    # Choosing the language already stored changes nothing, and says nothing.
    assert english not in body(client.post("/auth/lang/en?next=/auth/account", follow_redirects=True))
    thai = body(client.post("/auth/lang/th?next=/auth/account", follow_redirects=True))
    assert '<html lang="th">' in thai and "อีเมลถึงคุณจะเป็นภาษาไทยด้วย" in thai and english not in thai


def test_unconfirmed_users_cannot_create_firms(client, app):
    with app.app_context():
        factories.user(email="new@example.com", confirmed=False)
        db.session.commit()
    factories.sign_in(client, "new@example.com")
    response = client.get("/firms/new")
    assert response.status_code == 302 and "/auth/account" in response.location
    client.post("/firms/new", data={"name_th": "ร้านใหม่", "legal_form": "individual", "province_id": 1,
                                    "size": "micro"})
    with app.app_context():
        from portal.firms.models import Firm
        assert db.session.scalar(select(func.count()).select_from(Firm)) == 0


def test_resend_confirmation(client, app, mailbox):
    with app.app_context():
        factories.user(email="again@example.com", confirmed=False)
        db.session.commit()
    factories.sign_in(client, "again@example.com")
    client.post("/auth/confirm/resend")
    assert "/auth/confirm/" in mailbox.body(mailbox.last_to("again@example.com"))


def test_suspended_users_cannot_sign_in(client, app):
    with app.app_context():
        factories.user(email="banned@example.com", suspended=True)
        db.session.commit()
    response = factories.sign_in(client, "banned@example.com")
    assert response.status_code == 200 and "ถูกระงับ" in body(response)


@pytest.mark.parametrize(("who", "landing"), [
    ("newcomer", "/firms/mine"),              # nothing yet: My firms invites them to create one
    ("owner", "/firms/mine"),
    ("staff", "/moderation/"),
    ("coordinator", "/clusters/betta/manage"),
    ("coordinator_with_firm", "/firms/mine"),
])
def test_each_user_lands_where_their_work_is(client, app, who, landing):
    """#17.17: staff were sent to "My firms" and told to create one."""
    from portal.auth.models import Role

    with app.app_context():
        user = factories.user(email=f"{who}@example.com", role=Role.STAFF if who == "staff" else None)
        if who.startswith("coordinator"):
            factories.term(user, factories.cluster("betta"))
        if who in ("owner", "coordinator_with_firm"):
            factories.team_member(factories.firm(), user, "owner")
        db.session.commit()
    response = factories.sign_in(client, f"{who}@example.com")
    assert response.status_code == 302 and response.location == landing
    assert client.get(landing).status_code == 200
