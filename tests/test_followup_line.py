"""The follow-up question on LINE (issue 21): members who linked LINE get the question there too, in their
language, with one button to the same signed link; each member's channel choice for the question is obeyed;
past LINE's monthly quota the question goes by e-mail, once. The real LINE client talks to the fake
Messaging API on loopback (tests/fake_line_messaging.py)."""
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.auth.models import User
from portal.db import utcnow
from portal.events.models import MeetingState
from portal.extensions import db
from portal.followup import services
from portal.followup.models import FollowUp, Stage
from portal.line.models import LineAccount
from portal.notifications.models import NotificationPreference
from portal.outbox import services as outbox
from portal.outbox.models import OutboxMessage
from portal.outbox.models import OutboxStatus as S
from tests import fake_line_messaging
from tests.events_day_helpers import matching_day
from tests.helpers import body, load_cast

fake_line, line_on = fake_line_messaging.fake_line, fake_line_messaging.line_on  # the fixtures
DAY = timedelta(days=1)
BASE = "https://portal.example.go.th"


@pytest.fixture
def world(app, cast, line_on):
    """A met B 182 days ago and wants to go on; A's owner reads Thai and linked LINE (a friend of the
    Official Account), A's editor reads English and did not link LINE."""
    now = utcnow()
    with app.test_request_context("/"):
        roles = load_cast(cast)
        _event, _regs, meetings = matching_day(roles, started=True)
        meeting = meetings["ab"]
        meeting.state, meeting.marked_at = MeetingState.HELD, now - 182 * DAY
        meeting.sender_continues, meeting.receiver_continues = True, False
        db.session.get(User, cast.users["editor"]).locale = "en"
        db.session.get(User, cast.users["owner"]).locale = "th"
        db.session.add(LineAccount(user_id=cast.users["owner"], line_user_id="U" + uuid.uuid4().hex,
                                   linked_at=now, is_friend=True))
        db.session.commit()
        return {"now": now, "meeting": meeting.id}


def _choose(user_id, by_email, by_line):
    db.session.add(NotificationPreference(user_id=user_id, kind="followup.ask", by_email=by_email, by_line=by_line))
    db.session.commit()


def _rows(channel):
    return db.session.execute(select(OutboxMessage.user_id, OutboxMessage.locale, OutboxMessage.context)
                              .where(OutboxMessage.kind == "followup.ask", OutboxMessage.channel == channel)
                              .order_by(OutboxMessage.id)).all()


def _questions(mailbox):
    """To whom the follow-up question (or its reminder) was mailed, once per mail."""
    return [m["To"] for m in mailbox.messages if "/followup/" in mailbox.body(m)]


def _send(world, days=0):
    run = services.send_due(world["now"] + days * DAY)
    db.session.commit()
    return run


def test_a_linked_member_gets_the_question_on_line_in_thai_with_the_signed_link(app, cast, world, line_on, th):
    with app.test_request_context("/"):
        _send(world)
        assert [(u, loc) for u, loc, _c in _rows("line")] == [(cast.users["owner"], "th")]
        assert sorted(u for u, _l, _c in _rows("email")) == sorted([cast.users["owner"], cast.users["editor"]])
        outbox.deliver_due()
    (push,) = line_on.pushes
    flex = push["messages"][0]
    text = flex["contents"]["body"]["contents"][0]["text"]
    assert text == th("About six months ago %(firm)s met or partnered with %(other)s through the Cluster Portal. "
                      "What came of it? One short question, no sign-in needed.", firm="กิจการ A", other="กิจการ B")
    button = flex["contents"]["footer"]["contents"][0]["action"]
    assert button["label"] == th("Answer the question")
    assert button["uri"].startswith(BASE + "/followup/") and button["uri"].endswith("?lang=th")
    page = app.test_client().get(button["uri"][len(BASE):])  # no sign-in: the same link as the mail's
    assert page.status_code == 200 and "กิจการ B" in body(page)


def test_reminders_reach_line_too_and_an_answered_question_is_not_pushed(app, cast, world, line_on, th):
    with app.test_request_context("/"):
        _send(world)
        outbox.deliver_due()
        _send(world, days=7)  # the first reminder
        outbox.deliver_due()
        assert len(line_on.pushes) == 2
        reminder = line_on.pushes[1]["messages"][0]["altText"]
        assert reminder == th("A reminder: about six months ago %(firm)s met or partnered with %(other)s through the "
                              "Cluster Portal. What came of it? One short question, no sign-in needed.",
                              firm="กิจการ A", other="กิจการ B")
        _send(world, days=21)  # the second reminder is queued ...
        followup = db.session.scalar(select(FollowUp).where(FollowUp.meeting_id == world["meeting"]))
        services.answer(followup, Stage.KNOWLEDGE)  # ... but answered before the worker takes it
        db.session.commit()
        outbox.deliver_due()
        assert len(line_on.pushes) == 2
        last = db.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "line")
                                  .order_by(OutboxMessage.id.desc())).first()
        assert last.status is S.CANCELLED and last.last_error == "nothing to send any more"


# the owner's choice for the question -> (e-mails to the owner, LINE messages to the owner)
@pytest.mark.parametrize(("choice", "emails", "lines"), [
    (None, 1, 1), ((True, False), 1, 0), ((False, True), 0, 1), ((True, True), 1, 1), ((False, False), 0, 0),
])
def test_the_owners_channel_choice_is_obeyed(app, cast, world, choice, emails, lines):
    with app.test_request_context("/"):
        if choice is not None:
            _choose(cast.users["owner"], *choice)
        run = _send(world)
        assert run.sent == 1
        owner = cast.users["owner"]
        assert [u for u, _l, _c in _rows("email")].count(owner) == emails
        assert [u for u, _l, _c in _rows("line")].count(owner) == lines
        assert [u for u, _l, _c in _rows("email")].count(cast.users["editor"]) == 1  # the editor: defaults


def test_line_alone_chosen_but_not_linked_is_mailed_and_neither_asks_nobody(app, cast, world):
    with app.test_request_context("/"):
        _choose(cast.users["editor"], False, True)  # wants LINE only, but never linked LINE
        _send(world)
        assert [u for u, _l, _c in _rows("email")].count(cast.users["editor"]) == 1
        assert [u for u, _l, _c in _rows("line")].count(cast.users["editor"]) == 0
        # the coordinator's one more reminder counts those it asked: nobody who chose neither
        _choose(cast.users["owner"], False, False)
        db.session.execute(NotificationPreference.__table__.update()
                           .where(NotificationPreference.user_id == cast.users["editor"])
                           .values(by_email=False, by_line=False))
        followup = db.session.scalar(select(FollowUp).where(FollowUp.meeting_id == world["meeting"]))
        coordinator = db.session.get(User, cast.users["coordinator"])
        from portal.clusters.models import Cluster

        cluster = db.session.get(Cluster, cast.clusters["betta"])
        assert services.remind_again(coordinator, cluster, followup) == 0


def test_past_the_quota_a_line_only_member_is_mailed_once_and_one_with_both_not_twice(app, cast, world, line_on,
                                                                                       monkeypatch, mailbox):
    monkeypatch.setitem(app.config, "LINE_MONTHLY_MESSAGE_QUOTA", 0)
    with app.test_request_context("/"):
        _choose(cast.users["owner"], False, True)
        _send(world)
        mailbox.clear()
        outbox.deliver_due()
        assert line_on.pushes == []
        (row,) = db.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "line")).all()
        assert row.status is S.CANCELLED and "by e-mail instead" in row.last_error
        owner_email = db.session.get(User, cast.users["owner"]).email
        outbox.deliver_due()
        assert _questions(mailbox).count(owner_email) == 1
        # with both chosen, the e-mail went already: the cancelled push sends no second one
        db.session.execute(NotificationPreference.__table__.update()
                           .where(NotificationPreference.user_id == cast.users["owner"]).values(by_email=True))
        db.session.commit()
        mailbox.clear()
        _send(world, days=7)
        outbox.deliver_due()
        outbox.deliver_due()
        assert _questions(mailbox).count(owner_email) == 1
