"""LINE's webhook: signed follow / unfollow events say whether a user can get LINE messages; anything
unsigned or forged changes nothing; without LINE configured the route does not exist."""
import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from portal.db import utcnow
from portal.extensions import db
from portal.line.models import LineAccount
from tests import factories, fake_line_messaging
from tests.fake_line_messaging import SECRET, sign

fake_line, line_on = fake_line_messaging.fake_line, fake_line_messaging.line_on  # the fixtures

URL = "/line/webhook"


def account(friend=False):
    user = factories.user()
    row = LineAccount(user_id=user.id, line_user_id="U" + uuid.uuid4().hex, linked_at=utcnow(), is_friend=friend)
    db.session.add(row)
    db.session.commit()
    return row.line_user_id


def event(kind, user_id, at=None):
    at = at or datetime.now(timezone.utc)
    return {"type": kind, "mode": "active", "timestamp": int(at.timestamp() * 1000),
            "source": {"type": "user", "userId": user_id}, "webhookEventId": uuid.uuid4().hex,
            "deliveryContext": {"isRedelivery": False}}


def post(client, payload, signature="sign", raw=None):
    data = raw if raw is not None else json.dumps({"destination": "Ubot", "events": payload}).encode()
    headers = {"Content-Type": "application/json"}
    if signature == "sign":
        headers["X-Line-Signature"] = sign(data)
    elif signature is not None:
        headers["X-Line-Signature"] = signature
    return client.post(URL, data=data, headers=headers)


def friendship(line_user_id):
    return db.session.execute(select(LineAccount.is_friend, LineAccount.friend_changed_at)
                              .where(LineAccount.line_user_id == line_user_id)).one()


def test_follow_then_unfollow_with_a_valid_signature(app, line_on, client):
    with app.app_context():
        line_user = account(friend=False)
    assert post(client, [event("follow", line_user)]).status_code == 200
    with app.app_context():
        is_friend, changed = friendship(line_user)
        assert is_friend is True and changed is not None
    assert post(client, [event("unfollow", line_user)]).status_code == 200
    with app.app_context():
        assert friendship(line_user)[0] is False


def test_an_older_event_delivered_late_does_not_undo_a_newer_one(app, line_on, client):
    with app.app_context():
        line_user = account()
    now = datetime.now(timezone.utc)
    post(client, [event("follow", line_user, now)])
    post(client, [event("unfollow", line_user, now - timedelta(minutes=5))])
    with app.app_context():
        assert friendship(line_user)[0] is True


@pytest.mark.parametrize(("signature", "status"), [
    (None, 400),  # missing
    ("", 400),
    ("bm90IHRoZSBzaWduYXR1cmU=", 403),  # forged
    ("not base64 at all ✗", 403),
    ("wrong-secret", 403),
])
def test_a_missing_or_forged_signature_changes_nothing(app, line_on, client, signature, status):
    with app.app_context():
        line_user = account(friend=False)
    data = json.dumps({"destination": "Ubot", "events": [event("follow", line_user)]}).encode()
    if signature == "wrong-secret":
        signature = sign(data, secret="another-secret")
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Line-Signature"] = signature
    assert client.post(URL, data=data, headers=headers).status_code == status
    with app.app_context():
        assert friendship(line_user) == (False, None)


def test_the_signature_covers_the_exact_body(app, line_on, client):
    with app.app_context():
        line_user = account(friend=False)
    data = json.dumps({"events": [event("follow", line_user)]}).encode()
    tampered = data.replace(b'"follow"', b'"follow" ')
    response = client.post(URL, data=tampered, headers={"X-Line-Signature": sign(data)})
    assert response.status_code == 403
    with app.app_context():
        assert friendship(line_user)[0] is False


def test_unknown_users_and_other_events_are_ignored(app, line_on, client):
    with app.app_context():
        line_user = account(friend=False)
    events = [event("follow", "U" + "0" * 32), {"type": "message", "source": {"type": "user", "userId": line_user}},
              {"type": "follow", "source": {"type": "group", "groupId": "C1"}}, "junk", {"type": "follow"},
              {"type": "follow", "source": {"type": "user", "userId": ["list"]}}]
    assert post(client, events).status_code == 200
    assert post(client, []).status_code == 200  # LINE's "verify" button sends no events
    with app.app_context():
        assert friendship(line_user) == (False, None)


@pytest.mark.parametrize("raw", [b"", b"not json", b"[]", b'{"events": "x"}', b"\xff\xfe", b'{"events": null}'])
def test_bad_bodies_with_a_valid_signature_are_400_never_500(app, line_on, client, raw):
    assert post(client, None, raw=raw).status_code == 400


def test_the_webhook_needs_no_csrf_token(app, line_on, client, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    with app.app_context():
        line_user = account(friend=False)
    assert post(client, [event("follow", line_user)]).status_code == 200


def test_without_configuration_the_webhook_is_404_and_changes_nothing(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "LINE_MESSAGING_CHANNEL_SECRET", SECRET)  # a secret alone is not enough
    with app.app_context():
        line_user = account(friend=False)
    assert post(client, [event("follow", line_user)]).status_code == 404
    with app.app_context():
        assert friendship(line_user) == (False, None)
