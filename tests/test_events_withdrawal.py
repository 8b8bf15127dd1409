"""Changing one's mind before a matching day: a request taken back, an accepted meeting cancelled, a firm
withdrawn (and registered again), through the services and the pages; what the other firm is told; what is
kept. The rules themselves are truth tables in tests/test_permissions_events.py."""
import pytest
from sqlalchemy import select

from portal.audit import AuditEntry
from portal.events import services, withdrawal
from portal.events.models import Meeting, MeetingRequest, MeetingRequestStatus, Registration, RegistrationStatus
from portal.exceptions import PermissionDenied, RuleViolation
from portal.extensions import db
from portal.notifications.models import Notification
from portal.permissions import can_request_meeting
from tests.events_day_helpers import matching_day, start_slots
from tests.events_helpers import make_event, register
from tests.helpers import body, load_cast, signed_in

R = MeetingRequestStatus


def _kinds(user) -> list[str]:
    return list(db.session.scalars(select(Notification.kind).where(Notification.user_id == user.id)
                                   .order_by(Notification.id)))


def _audit(action) -> AuditEntry | None:
    return db.session.scalar(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id.desc()))


def test_the_sender_takes_back_a_waiting_request_and_the_receiver_is_told(roles):
    users, firms = roles.users, roles.firms
    event = make_event(users["staff"], max_meetings_per_firm=1)
    a, b, c = (register(users[who], event, firms[name])
               for name, who in (("A", "owner"), ("B", "owner_of_two"), ("C", "owner_c")))
    sent = services.request_meeting(users["owner"], a, b, "ปลากัดส่งออก")
    assert not can_request_meeting(users["owner"], a, c)  # A's one meeting is taken by the waiting request
    with pytest.raises(PermissionDenied):
        withdrawal.cancel_request(users["owner_of_two"], sent)  # the receiver declines; it does not take back
    withdrawal.cancel_request(users["editor"], sent)
    assert sent.status is R.CANCELLED and sent.responded_by_id == users["editor"].id
    assert "events.request_cancelled" in _kinds(users["owner_of_two"])
    assert "events.request_cancelled" not in _kinds(users["owner"])
    entry = _audit("meeting_request.cancelled")
    assert entry.details["was"] == "pending" and entry.details["placed"] is None
    assert can_request_meeting(users["owner"], a, c)  # the limit is free again
    with pytest.raises(RuleViolation):
        withdrawal.cancel_request(users["owner"], sent)  # nothing left to cancel


def test_either_side_cancels_an_accepted_meeting_and_it_leaves_the_schedule(roles):
    users = roles.users
    event, regs, meetings = matching_day(roles)
    ab_request = meetings["ab"].request
    withdrawal.cancel_request(users["owner_of_two"], ab_request)  # B received it and accepted; B cancels
    assert ab_request.status is R.CANCELLED
    assert db.session.scalar(select(Meeting).where(Meeting.request_id == ab_request.id)) is None
    assert db.session.get(MeetingRequest, ab_request.id) is not None  # the request itself is kept
    assert "events.meeting_cancelled" in _kinds(users["owner"])
    entry = _audit("meeting_request.cancelled")
    assert entry.details["was"] == "accepted" and entry.details["placed"]["slot_id"] == event.slots[1].id
    # the other meeting stands; once the day has begun it is marked, not cancelled
    start_slots(event)
    with pytest.raises(PermissionDenied):
        withdrawal.cancel_request(users["owner"], meetings["ka"].request)
    assert meetings["ka"].request.status is R.ACCEPTED


def test_withdrawing_cancels_every_live_request_both_ways_and_tells_each_firm(roles):
    users = roles.users
    event, regs, meetings = matching_day(roles)
    waiting = services.request_meeting(users["owner_of_two"], regs["B"], regs["K"], "ขอพบ")
    withdrawal.withdraw_registration(users["owner"], regs["A"])
    assert regs["A"].status is RegistrationStatus.WITHDRAWN
    assert meetings["ab"].request.status is R.CANCELLED and meetings["ka"].request.status is R.CANCELLED
    assert db.session.scalars(select(Meeting).where(Meeting.event_id == event.id)).all() == []
    assert waiting.status is R.PENDING  # B and K's own request is none of A's business
    assert "events.meeting_cancelled" in _kinds(users["owner_of_two"])
    assert "events.meeting_cancelled" in _kinds(users["coordinator"])
    assert _audit("registration.withdrawn").details["cancelled"] == 2
    with pytest.raises(RuleViolation):
        withdrawal.withdraw_registration(users["owner"], regs["A"])


def test_a_withdrawn_firm_registers_again_on_its_row_and_keeps_its_code(roles):
    users, firms = roles.users, roles.firms
    event = make_event(users["staff"])
    first = register(users["owner"], event, firms["A"])
    code = first.checkin_code
    withdrawal.withdraw_registration(users["owner"], first)
    again = services.register(users["editor"], event, firms["A"], "คุณสมศรี", "ปลากัดฮาล์ฟมูน", None,
                              [event.slots[0].id])
    assert again.id == first.id and again.status is RegistrationStatus.APPROVED
    assert again.attendees == "คุณสมศรี" and again.slot_ids == {event.slots[0].id} and again.checkin_code == code
    assert _audit("event.registered").details["again"] is True
    with pytest.raises(RuleViolation):
        services.register(users["owner"], event, firms["A"], "x", None, None, [event.slots[0].id])
    assert len(db.session.scalars(select(Registration).where(Registration.event_id == event.id)).all()) == 1


def _day(app, cast):
    with app.app_context():
        roles = load_cast(cast)
        event, regs, meetings = matching_day(roles)
        db.session.commit()
        return event.id, {k: r.id for k, r in regs.items()}, {k: m.request_id for k, m in meetings.items()}


def test_pages_ask_before_cancelling_and_withdrawing_in_thai(app, cast, th):
    event_id, regs, requests = _day(app, cast)
    owner = signed_in(app, cast.email("owner"))
    mine = body(owner.get(f"/events/{event_id}/requests/mine"))
    assert f"/events/{event_id}/requests/{requests['ab']}/cancel" in mine
    assert f"/events/{event_id}/requests/{requests['ka']}/cancel" in mine  # received and accepted
    page = owner.get(f"/events/{event_id}/requests/{requests['ab']}/cancel")
    assert page.status_code == 200 and th("Yes, cancel the meeting") in body(page)
    stranger = signed_in(app, cast.email("stranger"))
    assert stranger.get(f"/events/{event_id}/requests/{requests['ab']}/cancel").status_code == 403
    assert stranger.post(f"/events/{event_id}/requests/{requests['ab']}/cancel").status_code == 403
    assert owner.get(f"/events/{event_id}/requests/999999/cancel").status_code == 404
    response = owner.post(f"/events/{event_id}/requests/{requests['ab']}/cancel", follow_redirects=True)
    assert response.status_code == 200
    with app.app_context():
        assert db.session.get(MeetingRequest, requests["ab"]).status is R.CANCELLED
    # the withdrawal page names the meeting that will be cancelled, and the detail page links to it
    assert f"/events/{event_id}/registrations/{regs['A']}/withdraw" in body(owner.get(f"/events/{event_id}"))
    page = body(owner.get(f"/events/{event_id}/registrations/{regs['A']}/withdraw"))
    with app.app_context():
        other = db.session.get(Registration, regs["K"]).firm.name_th
    assert th("Yes, withdraw") in page and other in page  # K's accepted meeting is named
    assert owner.get(f"/events/{event_id}/registrations/{regs['B']}/withdraw").status_code == 403
    response = owner.post(f"/events/{event_id}/registrations/{regs['A']}/withdraw", follow_redirects=True)
    assert response.status_code == 200
    with app.app_context():
        assert db.session.get(Registration, regs["A"]).status is RegistrationStatus.WITHDRAWN
        assert db.session.get(MeetingRequest, requests["ka"]).status is R.CANCELLED
    # withdrawn: it may register again, and the withdraw link is gone
    detail = body(owner.get(f"/events/{event_id}"))
    assert f"/events/{event_id}/register" in detail and "/withdraw" not in detail
    assert owner.get(f"/events/{event_id}/register").status_code == 200
