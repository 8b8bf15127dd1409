"""Notifications as LINE messages: what reaches LINE (language, button), the user's choice per kind, the
outbox's retries against LINE's answers, the monthly quota's fallback to e-mail. The portal's real HTTP
client talks to a fake Messaging API on loopback (tests/fake_line_messaging.py)."""
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.auth.models import EmailSetting
from portal.db import utcnow
from portal.extensions import db
from portal.line.models import LineAccount
from portal.notifications.models import NotificationPreference
from portal.notifications.services import message, notify
from portal.outbox import services as outbox
from portal.outbox.models import OutboxMessage
from portal.outbox.models import OutboxStatus as S
from tests import factories, fake_line_messaging

fake_line, line_on = fake_line_messaging.fake_line, fake_line_messaging.line_on  # the fixtures

PARAMS = {"firm": {"th": "ฟาร์มปลากัดสยาม", "en": "Siam Betta Farm"}, "cluster": {"th": "ปลากัด", "en": "Betta"},
          "cluster_slug": "betta"}


def reader(locale="th", friend=True, linked=True, setting=EmailSetting.IMMEDIATE, choice=None):
    user = factories.user(locale=locale)
    user.email_setting = setting
    if linked:
        db.session.add(LineAccount(user_id=user.id, line_user_id="U" + uuid.uuid4().hex, linked_at=utcnow(),
                                   is_friend=friend))
    if choice is not None:
        by_email, by_line = {"email": (True, False), "line": (False, True), "both": (True, True),
                             "none": (False, False)}[choice]
        db.session.add(NotificationPreference(user_id=user.id, kind="membership.requested", by_email=by_email,
                                              by_line=by_line))
    db.session.flush()
    return user


def tell(*users):
    firm = factories.firm()
    db.session.flush()
    notifications = notify(users, "membership.requested", firm, **PARAMS)
    db.session.commit()
    return notifications


def rows(channel, user=None):
    query = select(OutboxMessage).where(OutboxMessage.channel == channel)
    if user is not None:
        query = query.where(OutboxMessage.user_id == user.id)
    return db.session.scalars(query.order_by(OutboxMessage.id)).all()


def line_id(user):
    return db.session.scalar(select(LineAccount.line_user_id).where(LineAccount.user_id == user.id))


def test_thai_and_english_readers_get_their_language_and_a_button_from_the_base_url(app, line_on, th):
    with app.app_context():
        thai, english = reader("th"), reader("en")
        n_th, n_en = tell(thai, english)
        expected = {line_id(thai): message(n_th, "th"), line_id(english): message(n_en, "en")}
        outbox.deliver_due()
        assert len(line_on.pushes) == 2
        by_user = {p["to"]: p for p in line_on.pushes}
        for to, text in expected.items():
            flex = by_user[to]["messages"][0]
            assert flex["type"] == "flex" and flex["altText"] == text
            assert flex["contents"]["body"]["contents"][0]["text"] == text
            action = flex["contents"]["footer"]["contents"][0]["action"]
            assert action["type"] == "uri"
            assert action["uri"] == "https://portal.example.go.th/clusters/betta/manage"
            uuid.UUID(by_user[to]["retry_key"])  # LINE wants a UUID
        assert "ฟาร์มปลากัดสยาม" in expected[line_id(thai)] and "ปลากัด" in expected[line_id(thai)]
        assert expected[line_id(english)] == "Siam Betta Farm asks to join the Betta cluster."
        labels = {to: by_user[to]["messages"][0]["contents"]["footer"]["contents"][0]["action"]["label"]
                  for to in by_user}
        assert labels[line_id(english)] == "Open in the Cluster Portal"
        assert labels[line_id(thai)] == th("Open in the Cluster Portal")
        assert all(row.status is S.SENT and row.sent_at for row in rows("line"))


def test_the_button_never_takes_the_host_of_a_request(app, line_on, client):
    """A notification written during a request with a forged Host still links to PORTAL_BASE_URL."""
    with app.app_context():
        user = reader("en")
        tell(user)
    with app.test_request_context("/", base_url="https://evil.example"):
        outbox.deliver_due()
    uri = line_on.pushes[0]["messages"][0]["contents"]["footer"]["contents"][0]["action"]["uri"]
    assert uri.startswith("https://portal.example.go.th/")


# choice -> (e-mails queued at once, LINE messages queued), for a reader who can be reached on LINE
@pytest.mark.parametrize(("choice", "emails", "lines"), [
    (None, 1, 1), ("email", 1, 0), ("line", 0, 1), ("both", 1, 1), ("none", 0, 0),
])
def test_the_choice_per_kind_is_obeyed(app, line_on, choice, emails, lines):
    with app.app_context():
        user = reader("th", choice=choice)
        tell(user)
        assert (len(rows("email", user)), len(rows("line", user))) == (emails, lines)
        outbox.deliver_due()
        assert len(line_on.pushes) == lines


# who -> whether a LINE message is queued (the reader wants LINE: the default)
@pytest.mark.parametrize(("who", "queued"), [
    ("friend", True), ("not_friend", False), ("not_linked", False), ("suspended", False),
])
def test_line_goes_only_to_those_it_can_reach(app, line_on, who, queued):
    with app.app_context():
        user = reader("th", friend=who != "not_friend", linked=who != "not_linked")
        if who == "suspended":
            user.suspended_at = utcnow()
        tell(user)
        assert len(rows("line", user)) == (1 if queued else 0)


def test_without_configuration_nothing_is_pushed(app, fake_line, monkeypatch):
    fake_line.reset()
    monkeypatch.setitem(app.config, "LINE_API_BASE_URL", fake_line.base_url)
    with app.app_context():
        user = reader("th")
        tell(user)
        outbox.deliver_due()
        assert rows("line") == [] and len(rows("email", user)) == 1
    assert fake_line.requests == []


def test_a_daily_reader_who_turned_email_off_for_a_kind_gets_no_digest_of_it(app, line_on):
    from portal.notifications.services import send_digests

    with app.app_context():
        off, on = reader("th", setting=EmailSetting.DAILY, choice="line"), reader("th", setting=EmailSetting.DAILY)
        tell(off, on)
        assert rows("email") == []
        assert send_digests() == (1, 1)
        assert [r.user_id for r in rows("email")] == [on.id]


def _one_line_row(app):
    with app.app_context():
        user = reader("en")
        tell(user)
        return rows("line", user)[0].id


def _due_now(row_id):
    row = db.session.get(OutboxMessage, row_id)
    row.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()


def test_429_waits_as_long_as_retry_after_says_then_succeeds_with_the_same_retry_key(app, line_on):
    row_id = _one_line_row(app)
    line_on.fail_next(429, retry_after=120, message="Too many requests")
    with app.app_context():
        before = utcnow()
        outbox.deliver_due()
        row = db.session.get(OutboxMessage, row_id)
        assert row.status is S.PENDING and row.attempts == 1 and "429" in row.last_error
        assert 115 <= (row.next_attempt_at - before).total_seconds() <= 125
        assert line_on.pushes == []
        _due_now(row_id)
        outbox.deliver_due()
        row = db.session.get(OutboxMessage, row_id, populate_existing=True)
        assert row.status is S.SENT and row.attempts == 2
    assert len(line_on.requests) == 2 and len(line_on.pushes) == 1
    assert line_on.requests[0]["retry_key"] == line_on.requests[1]["retry_key"]


def test_5xx_backs_off_like_email(app, line_on):
    row_id = _one_line_row(app)
    line_on.fail_next(500, message="Internal server error")
    with app.app_context():
        before = utcnow()
        outbox.deliver_due()
        row = db.session.get(OutboxMessage, row_id)
        assert row.status is S.PENDING and "500" in row.last_error
        wait = (row.next_attempt_at - before).total_seconds()
        assert outbox.backoff(1) - 5 <= wait <= outbox.backoff(1) + 5


def test_a_retry_of_a_push_line_already_accepted_counts_as_sent(app, line_on):
    """LINE answers 409 to a retry key it accepted (the portal timed out before hearing it): no second push."""
    row_id = _one_line_row(app)
    with app.app_context():
        line_on._accepted.add(db.session.get(OutboxMessage, row_id).message_id)
        outbox.deliver_due()
        assert db.session.get(OutboxMessage, row_id).status is S.SENT
    assert line_on.pushes == []


@pytest.mark.parametrize(("status", "said", "still_friend"), [
    (400, "The user hasn't added the LINE Official Account as a friend or has blocked it", False),
    (400, "The request body has 1 error(s)", True),
    (403, "Access to this API is not available for your account", True),
])
def test_other_4xx_fail_for_good_and_an_unreachable_user_is_no_longer_a_friend(app, line_on, status, said,
                                                                                still_friend):
    row_id = _one_line_row(app)
    line_on.fail_next(status, message=said)
    with app.app_context():
        outbox.deliver_due()
        row = db.session.get(OutboxMessage, row_id)
        assert row.status is S.FAILED and str(status) in row.last_error and row.attempts == 1
        account = db.session.scalar(select(LineAccount).where(LineAccount.user_id == row.user_id))
        assert account.is_friend is still_friend
        assert (account.friend_changed_at is None) is still_friend


def test_a_wrong_access_token_fails_and_changes_no_friendship(app, line_on, monkeypatch):
    monkeypatch.setitem(app.config, "LINE_MESSAGING_ACCESS_TOKEN", "not-the-token")
    row_id = _one_line_row(app)
    with app.app_context():
        outbox.deliver_due()
        row = db.session.get(OutboxMessage, row_id)
        assert row.status is S.FAILED and "401" in row.last_error
        assert db.session.scalar(select(LineAccount.is_friend).where(LineAccount.user_id == row.user_id)) is True
    assert line_on.pushes == []


def test_line_down_is_retried_not_failed(app, line_on, monkeypatch):
    monkeypatch.setitem(app.config, "LINE_API_BASE_URL", "http://127.0.0.1:9")  # nothing listens
    row_id = _one_line_row(app)
    with app.app_context():
        outbox.deliver_due()
        row = db.session.get(OutboxMessage, row_id)
        assert row.status is S.PENDING and "ConnectionError" in row.last_error


def test_past_the_monthly_quota_the_message_goes_by_email_once(app, line_on, monkeypatch, mailbox):
    monkeypatch.setitem(app.config, "LINE_MONTHLY_MESSAGE_QUOTA", 1)
    with app.app_context():
        earlier = reader("en")
        last_month = OutboxMessage(channel="line", kind="notifications.line", recipient="Uold", locale="en",
                                   message_id=str(uuid.uuid4()), status=S.SENT,
                                   sent_at=utcnow() - timedelta(days=40), context={})
        db.session.add(last_month)
        tell(earlier)
        outbox.deliver_due()
        assert len(line_on.pushes) == 1  # last month's message does not count
        line_only = reader("en", choice="line")
        both = reader("en", choice="both")
        tell(line_only, both)
        mailbox.clear()
        outbox.deliver_due()
        assert len(line_on.pushes) == 1  # the quota is used up: nothing more reaches LINE
        for user in (line_only, both):
            (row,) = rows("line", user)
            assert row.status is S.CANCELLED and "quota" in row.last_error
        assert "by e-mail instead" in rows("line", line_only)[0].last_error
        assert [m["To"] for m in mailbox.messages].count(line_only.email) == 1
        assert [m["To"] for m in mailbox.messages].count(both.email) == 1  # its e-mail only, not a second
        outbox.deliver_due()
        assert [m["To"] for m in mailbox.messages].count(line_only.email) == 1
        assert len(rows("email", line_only)) == 1


def test_the_staff_outbox_page_says_the_quota_is_used_up(app, line_on, monkeypatch):
    from portal.auth.models import Role
    from tests.helpers import body, signed_in

    monkeypatch.setitem(app.config, "LINE_MONTHLY_MESSAGE_QUOTA", 0)
    with app.app_context():
        staff = factories.user(email="staff-line@example.com", role=Role.STAFF, locale="en")
        db.session.commit()
    page = body(signed_in(app, "staff-line@example.com").get("/admin/outbox/"))
    assert "LINE messages sent this month: 0 of 0." in page
    assert "The monthly LINE quota is used up" in page
    assert staff


def test_a_long_thai_sentence_fits_lines_limits(app, line_on):
    from portal.line.messages import LineText, build

    with app.app_context():
        text = "ก" * 1000
        (flex,) = build(LineText(text, "https://portal.example.go.th/x"), "th")
        assert len(flex["altText"]) == 400 and flex["contents"]["body"]["contents"][0]["text"] == text
        assert len(flex["contents"]["footer"]["contents"][0]["action"]["label"]) <= 40


def test_every_registered_kind_has_a_label(app):
    from portal.notifications.labels import LABELS
    from portal.notifications.services import choosable

    assert "followup.ask" in choosable()
    assert choosable() - set(LABELS) == set()
