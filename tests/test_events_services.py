"""Matching-day services: events and their slots, registrations, meeting requests, notifications, expiry."""
from datetime import time, timedelta

import pytest
from sqlalchemy import func, select

from portal.audit import AuditEntry
from portal.events import services
from portal.events.models import (
    Event,
    EventSession,
    MeetingRequest,
    MeetingRequestStatus,
    Registration,
    RegistrationStatus,
    Slot,
)
from portal.exceptions import PermissionDenied, RuleViolation
from portal.extensions import db
from portal.notifications.models import Notification
from portal.outbox.models import OutboxMessage
from portal.thai import BANGKOK, bangkok_today
from tests.events_helpers import close_windows, event_data, make_event, register, sessions


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_an_event_gets_slot_rows_in_bangkok_time_and_its_tables(roles):
    staff = roles.users["staff"]
    two = [services.SessionData(bangkok_today() + timedelta(days=10), time(13, 0), 3),
           services.SessionData(bangkok_today() + timedelta(days=10), time(9, 0), 2)]
    event = make_event(staff, session_list=two, tables=4)
    slots = event.slots
    assert [s.position for s in slots] == [0, 1, 2, 3, 4]
    assert [s.local_start.strftime("%H:%M") for s in slots] == ["09:00", "09:20", "13:00", "13:20", "13:40"]
    assert slots[0].starts_at.utcoffset() == timedelta(0) and slots[0].local_start.tzinfo.key == BANGKOK.key
    assert slots[0].starts_at.hour == 2  # 09:00 in Bangkok is 02:00 UTC
    assert (slots[0].ends_at - slots[0].starts_at) == timedelta(minutes=20)
    assert {s.day for s in slots} == {bangkok_today() + timedelta(days=10)}
    assert [t.name for t in event.tables] == ["1", "2", "3", "4"]
    assert event.starts_on == bangkok_today() + timedelta(days=10)
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.target_id == event.id)) == "event.created"


@pytest.mark.parametrize(("change", "field"), [
    ({"title_th": None, "title_en": None}, "title_th"),
    ({"venue": None}, "venue"),
    ({"online_url": "javascript://x.example/%0Aalert(1)"}, "online_url"),
    ({"meeting_minutes": 25}, "meeting_minutes"),
    ({"max_meetings_per_firm": 0}, "max_meetings_per_firm"),
    ({"registration_closes_on": bangkok_today() - timedelta(days=30)}, "registration_closes_on"),
    ({"booking_closes_on": bangkok_today() + timedelta(days=20)}, "booking_closes_on"),
])
def test_bad_event_values_are_refused_and_nothing_is_written(roles, change, field):
    with pytest.raises(RuleViolation) as refused:
        services.create_event(roles.users["staff"], event_data(**change), [], sessions(), ["1"])
    assert refused.value.field == field
    db.session.rollback()
    assert _count(Event) == 0 and _count(Slot) == 0


def test_overlapping_sessions_are_refused(roles, th):
    day = bangkok_today() + timedelta(days=10)
    overlap = [services.SessionData(day, time(9, 0), 4), services.SessionData(day, time(10, 0), 2)]
    with pytest.raises(RuleViolation, match=th("Two sessions overlap. Change a start time or the number of slots.")):
        services.create_event(roles.users["staff"], event_data(), [], overlap, ["1"])


def test_a_coordinator_organises_only_for_their_clusters(roles):
    coordinator, betta, cosplay = roles.users["coordinator"], roles.clusters["betta"], roles.clusters["cosplay"]
    make_event(coordinator, [betta.id])
    for clusters in ([], [cosplay.id], [betta.id, cosplay.id]):
        with pytest.raises(RuleViolation):
            services.create_event(coordinator, event_data(), clusters, sessions(), ["1"])
    with pytest.raises(PermissionDenied):
        services.create_event(roles.users["owner"], event_data(), [betta.id], sessions(), ["1"])


def test_sessions_change_until_a_firm_registers(roles):
    staff, owner = roles.users["staff"], roles.users["owner"]
    event = make_event(staff)
    longer = sessions(slots=6)
    services.update_event(staff, event, event_data(), [], longer, ["A", "B"])
    assert len(event.slots) == 6 and [t.name for t in event.tables] == ["A", "B"]
    register(owner, event, roles.firms["A"])
    with pytest.raises(RuleViolation) as refused:
        services.update_event(staff, event, event_data(), [], sessions(slots=2), ["A", "B"])
    assert refused.value.field == "sessions"
    services.update_event(staff, event, event_data(title_en="Renamed"), [], longer, ["A", "B"])
    assert event.title_en == "Renamed" and len(event.slots) == 6


def test_registration_needs_slots_and_is_approved_at_once_without_approval(roles):
    event, other = make_event(roles.users["staff"]), make_event(roles.users["staff"])
    db.session.commit()
    owner, firm = roles.users["owner"], roles.firms["A"]
    with pytest.raises(RuleViolation) as refused:
        services.register(owner, event, firm, "คุณสมชาย", None, None, [])
    assert refused.value.field == "slot_ids"
    with pytest.raises(RuleViolation):  # a slot of another event
        services.register(owner, event, firm, "คุณสมชาย", None, None, [other.slots[0].id])
    db.session.rollback()
    assert _count(Registration) == 0
    registration = register(owner, event, firm, slots=event.slots[:2])
    assert registration.status is RegistrationStatus.APPROVED
    assert registration.slot_ids == {event.slots[0].id, event.slots[1].id}
    with pytest.raises(RuleViolation):
        register(roles.users["editor"], event, firm)


def test_approval_and_decline_notify_the_firm_team_in_their_language(roles):
    staff = roles.users["staff"]
    roles.users["editor"].locale = "en"
    event = make_event(staff, needs_approval=True)
    pending = register(roles.users["owner"], event, roles.firms["A"])
    assert pending.status is RegistrationStatus.PENDING
    services.decide_registration(staff, pending, approve=False, reason="เต็มแล้ว")
    assert pending.status is RegistrationStatus.DECLINED and pending.decline_reason == "เต็มแล้ว"
    notes = db.session.scalars(select(Notification).where(Notification.kind == "events.registration_declined")).all()
    assert {n.user_id for n in notes} == {roles.users["owner"].id, roles.users["editor"].id,
                                          roles.users["suspended"].id}
    mails = {m.recipient: m.locale for m in db.session.scalars(select(OutboxMessage))}
    assert mails.get("editor@example.com") == "en" and mails.get("owner@example.com") == "th"
    with pytest.raises(RuleViolation):
        services.decide_registration(staff, pending, approve=True)
    # a coordinator never decides on their own firm's registration
    betta_event = make_event(roles.users["coordinator"], [roles.clusters["betta"].id], needs_approval=True)
    own = register(roles.users["coordinator"], betta_event, roles.firms["K"])
    with pytest.raises(PermissionDenied):
        services.decide_registration(roles.users["coordinator"], own, approve=True)


@pytest.fixture
def matching(roles):
    """An open event with firms A (owner), B and B2 (owner_of_two) and C (owner_c) registered and approved."""
    event = make_event(roles.users["staff"])
    regs = {name: register(roles.users[who], event, roles.firms[name])
            for name, who in (("A", "owner"), ("B", "owner_of_two"), ("B2", "owner_of_two"), ("C", "owner_c"))}
    return event, regs


def test_request_accept_and_decline(roles, matching, th):
    event, regs = matching
    owner, other = roles.users["owner"], roles.users["owner_of_two"]
    sent = services.request_meeting(owner, regs["A"], regs["B"], "อยากซื้อปลา")
    assert sent.status is MeetingRequestStatus.PENDING
    assert db.session.scalar(select(Notification.kind).where(Notification.user_id == other.id)) \
        == "events.request_received"
    with pytest.raises(RuleViolation, match=th("There is a request between these two firms already.")):
        services.request_meeting(other, regs["B"], regs["A"], "ซ้ำ")
    with pytest.raises(PermissionDenied):  # only the receiving team answers
        services.answer_request(owner, sent, accept=True)
    services.answer_request(other, sent, accept=True)
    assert sent.status is MeetingRequestStatus.ACCEPTED and sent.responded_at is not None
    assert db.session.scalar(select(Notification.kind).where(Notification.user_id == owner.id)) \
        == "events.request_accepted"
    actions = set(db.session.scalars(select(AuditEntry.action).where(AuditEntry.target_type == "meeting_requests")))
    assert actions == {"meeting_request.sent", "meeting_request.accepted"}
    second = services.request_meeting(owner, regs["A"], regs["C"], "คุยเรื่องชุด")
    services.answer_request(roles.users["owner_c"], second, accept=False)
    assert second.status is MeetingRequestStatus.DECLINED


def test_no_request_between_two_firms_of_one_owner_nor_to_oneself(roles, matching):
    _event, regs = matching
    owner_of_two = roles.users["owner_of_two"]
    with pytest.raises(PermissionDenied):
        services.request_meeting(owner_of_two, regs["B"], regs["B2"], "ตัวเอง")
    with pytest.raises(PermissionDenied):
        services.request_meeting(owner_of_two, regs["B"], regs["B"], "ตัวเอง")
    with pytest.raises(RuleViolation) as refused:
        services.request_meeting(roles.users["owner"], regs["A"], regs["B"], "   ")
    assert refused.value.field == "reason"
    db.session.rollback()
    assert _count(MeetingRequest) == 0


def test_the_per_firm_limit_counts_pending_and_accepted(roles, matching, th):
    event, regs = matching
    event.max_meetings_per_firm = 2
    owner = roles.users["owner"]
    services.request_meeting(owner, regs["A"], regs["B"], "1")
    services.request_meeting(owner, regs["A"], regs["C"], "2")
    with pytest.raises(RuleViolation, match=th("Your firm has reached this event's limit of %(num)s meetings.", num=2)):
        services.request_meeting(owner, regs["A"], regs["B2"], "3")
    # B2 may not send to A either: A is full (its limit counts what it received)
    db.session.rollback()


def test_unanswered_requests_expire_when_booking_closes(roles, matching):
    event, regs = matching
    waiting = services.request_meeting(roles.users["owner"], regs["A"], regs["B"], "รอ")
    answered = services.request_meeting(roles.users["owner"], regs["A"], regs["C"], "ตอบแล้ว")
    services.answer_request(roles.users["owner_c"], answered, accept=True)
    db.session.commit()
    assert services.expire_requests() == 0  # booking still open today
    assert services.expire_requests(event.booking_closes_on + timedelta(days=1)) == 1
    db.session.commit()
    db.session.refresh(waiting)
    db.session.refresh(answered)
    assert waiting.status is MeetingRequestStatus.EXPIRED and answered.status is MeetingRequestStatus.ACCEPTED
    assert services.expire_requests(event.booking_closes_on + timedelta(days=1)) == 0


def test_the_periodic_job_expires_requests(roles, matching):
    from portal.jobs import periodic

    event, regs = matching
    waiting = services.request_meeting(roles.users["owner"], regs["A"], regs["B"], "รอ")
    close_windows(event, registration=False)
    db.session.commit()
    assert periodic.expire_meeting_requests() == "1 meeting requests expired"
    db.session.commit()
    db.session.refresh(waiting)
    assert waiting.status is MeetingRequestStatus.EXPIRED
    assert "events.expire_requests" in periodic.BY_NAME


def test_nobody_answers_once_booking_closed(roles, matching, th):
    event, regs = matching
    waiting = services.request_meeting(roles.users["owner"], regs["A"], regs["B"], "รอ")
    close_windows(event, registration=False)
    with pytest.raises(PermissionDenied):
        services.answer_request(roles.users["owner_of_two"], waiting, accept=True)
    with pytest.raises(RuleViolation, match=th("Booking is not open for this event.")):
        services.request_meeting(roles.users["owner"], regs["A"], regs["C"], "สาย")


def test_sessions_table_rows(roles):
    event = make_event(roles.users["staff"])
    assert db.session.scalar(select(func.count()).select_from(EventSession).where(
        EventSession.event_id == event.id)) == 1


def test_the_demo_data_has_an_upcoming_matching_day(ctx):
    from portal.events.models import EventStatus
    from portal.seed import demo

    counts = demo.generate(firms=40)
    event = db.session.scalar(select(Event))
    assert event.status is EventStatus.OPEN and event.starts_on > bangkok_today()
    assert event.registration_open_on(bangkok_today()) and event.booking_open_on(bangkok_today())
    assert counts["event_registrations"] == 8 == _count(Registration)
    assert all(r.slots for r in db.session.scalars(select(Registration)))
    assert {m.status for m in db.session.scalars(select(MeetingRequest))} == {MeetingRequestStatus.PENDING,
                                                                             MeetingRequestStatus.ACCEPTED}
