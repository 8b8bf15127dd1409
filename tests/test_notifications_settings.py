"""The notification settings page: every kind listed with its label; e-mail / LINE / both / neither per
kind, LINE offered only to users who linked LINE (and only when LINE is configured); bad input is refused
with a translated error and changes nothing."""
import html
import uuid

import pytest
from sqlalchemy import select

from portal.db import utcnow
from portal.extensions import db
from portal.line.models import LineAccount
from portal.notifications.forms import field_name
from portal.notifications.labels import LABELS
from portal.notifications.models import NotificationPreference
from portal.notifications.services import choosable
from tests import factories, fake_line_messaging
from tests.fake_line_messaging import OFFICIAL_ACCOUNT
from tests.helpers import body, signed_in

fake_line, line_on = fake_line_messaging.fake_line, fake_line_messaging.line_on  # the fixtures

URL = "/notifications/settings"
KIND = "membership.requested"


def member(app, locale="en", linked=False, friend=False):
    with app.app_context():
        user = factories.user(locale=locale)
        if linked:
            db.session.add(LineAccount(user_id=user.id, line_user_id="U" + uuid.uuid4().hex, linked_at=utcnow(),
                                       is_friend=friend))
        db.session.commit()
        return user.id, user.email


def stored(app, user_id):
    with app.app_context():
        return {p.kind: (p.by_email, p.by_line) for p in db.session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == user_id))}


def everything(choice, **overrides):
    data = {field_name(kind): choice for kind in choosable()}
    data.update({field_name(k): v for k, v in overrides.items()})
    return data


def test_every_kind_is_listed_with_its_label(app, line_on):
    _id, email = member(app, linked=True, friend=True)
    page = html.unescape(body(signed_in(app, email).get(URL)))
    with app.test_request_context("/?lang=en"):
        for kind in choosable():
            assert str(LABELS[kind]) in page, kind
    assert 'value="both"' in page and 'value="line"' in page
    assert "Your LINE is linked and notifications" in page


def test_the_page_is_thai_for_a_thai_user(app, line_on, th):
    _id, email = member(app, locale="th", linked=True, friend=True)
    page = body(signed_in(app, email).get(URL))
    assert th("Notification settings") in page and th("E-mail and LINE") in page


@pytest.mark.parametrize(("choice", "saved"), [
    ("email", (True, False)), ("line", (False, True)), ("both", None), ("none", (False, False)),
])
def test_a_choice_is_saved(app, line_on, choice, saved):
    user_id, email = member(app, linked=True, friend=True)
    response = signed_in(app, email).post(URL, data=everything("both", **{KIND: choice}))
    assert response.status_code == 302
    assert stored(app, user_id) == ({KIND: saved} if saved else {})  # "both" everywhere is the default: no rows


@pytest.mark.parametrize("bad", ["sms", "", "both; DROP TABLE users", "ไลน์", "x" * 5000, "\x00"])
def test_bad_values_give_a_translated_error_and_change_nothing(app, line_on, th, bad):
    user_id, email = member(app, locale="th", linked=True, friend=True)
    client = signed_in(app, email)
    client.post(URL, data=everything("both", **{KIND: "email"}))
    before = stored(app, user_id)
    response = client.post(URL, data=everything("none", **{KIND: bad}))
    if "\x00" in bad:
        assert response.status_code == 400  # the portal refuses NUL in any input (portal/errors.py)
    else:
        assert response.status_code == 200
        page = body(response)
        assert th("Not a valid choice.") in page or th("Please choose how to be told.") in page
    assert stored(app, user_id) == before == {KIND: (True, False)}


def test_a_missing_field_is_an_error_too(app, line_on):
    user_id, email = member(app, linked=True, friend=True)
    data = everything("none")
    del data[field_name(KIND)]
    response = signed_in(app, email).post(URL, data=data)
    assert response.status_code == 200 and "Please choose how to be told." in body(response)
    assert stored(app, user_id) == {}


def test_linked_but_not_a_friend_gets_the_add_friend_link(app, line_on):
    _id, email = member(app, linked=True, friend=False)
    page = body(signed_in(app, email).get(URL))
    assert f"https://line.me/R/ti/p/{OFFICIAL_ACCOUNT}" in page
    assert 'value="line"' in page  # the choice is kept for when they add the friend


def test_not_linked_is_said_and_line_is_not_offered(app, line_on, th):
    user_id, email = member(app, locale="th", linked=False)
    client = signed_in(app, email)
    page = body(client.get(URL))
    assert th("LINE is not linked to your account, so notifications cannot be sent to LINE.") in page
    assert 'value="line"' not in page and "line.me/R/ti/p" not in page
    response = client.post(URL, data=everything("email", **{KIND: "line"}))
    assert response.status_code == 200 and th("Not a valid choice.") in body(response)
    assert stored(app, user_id) == {}
    # e-mail off for a kind keeps the LINE half as it was (the default: on, for when they link LINE)
    assert client.post(URL, data=everything("email", **{KIND: "none"})).status_code == 302
    assert stored(app, user_id) == {KIND: (False, True)}


def test_without_line_configured_no_line_choice_and_no_line_section(app):
    _id, email = member(app, linked=True, friend=True)
    page = body(signed_in(app, email).get(URL))
    assert 'value="line"' not in page and 'value="both"' not in page and "line-heading" not in page


def test_anonymous_is_sent_to_sign_in(app, client):
    response = client.get(URL)
    assert response.status_code == 302 and "/auth/login" in response.location
