"""A hand-built programme with known scorecard and funnel figures for fiscal year 2564 (1 Oct 2020 –
30 Sep 2021, Bangkok), shared by tests/test_scorecard.py and tests/test_scorecard_views.py.

Members (cluster, year approved, position):
    A  betta 2563 upstream; cosplay 2564 midstream (a firm in two clusters)
    B  betta 2564 downstream          C  betta 2564 upstream
    D  cosplay 2564 downstream        E  betta 2565 upstream (after the year: not counted)
Requests (stored fiscal year; response; outcome):
    r1 A in betta 2564, B responded, partnered with B, 100,000 confirmed, reported after meeting m1
    r2 B in betta 2564, C responded, partnered with C, 50,000 not confirmed, reported before meeting m2
    r3 C in betta 2564, no response, posted 30 Sep 2021 23:59 Bangkok (inside the last 90 days)
    r4 D in cosplay 2564, A responded, partnered with A, 30,000 confirmed
    r5 A open to all clusters 2564, no response
    r6 B in betta 2563 (the year before)
    D responded to r6 on 1 Oct 2021 00:00 Bangkok: after the year, D is not active in it.
Matching days: ev1 on 30 Sep 2021 (2564), ev2 on 1 Oct 2021 (2565).
    ev1: m1 A→B held, A continues (agreement: r1)   m2 B→C held, neither continues (r2 came before)
         m3 C→A no-show                               m4 D→A request only, never accepted
    ev2: m5 A→B held (next year)
"""
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from portal.auth.models import Role
from portal.clusters.models import MembershipStatus, Position
from portal.collab.models import CloseReason, CollabRequest, Confirmation, Kind, Outcome, OutcomeKind, RequestStatus
from portal.collab.models import Response as CollabResponse
from portal.events.models import (
    Event,
    EventSession,
    EventStatus,
    Meeting,
    MeetingRequest,
    MeetingRequestStatus,
    MeetingState,
    Registration,
    RegistrationStatus,
    Slot,
)
from portal.extensions import db
from portal.thai import BANGKOK, fiscal_year
from tests import factories

YEAR = 2564
LAST_MINUTE = datetime(2021, 9, 30, 16, 59, tzinfo=timezone.utc)  # 23:59 on 30 Sep 2021 in Bangkok
FIRST_MINUTE = datetime(2021, 9, 30, 17, 0, tzinfo=timezone.utc)  # 00:00 on 1 Oct 2021 in Bangkok
APPROVED_2563 = datetime(2020, 9, 30, 16, 59, tzinfo=timezone.utc)
APPROVED_2564 = datetime(2020, 9, 30, 17, 0, tzinfo=timezone.utc)
APPROVED_2565 = FIRST_MINUTE


def _member(firm, cluster, when, position):
    membership = factories.membership(firm, cluster, position, status=MembershipStatus.APPROVED)
    membership.decided_at, membership.fiscal_year = when, fiscal_year(when)


def _request(firm, cluster, year, created_at=None, responder=None, partner=None, value=None, confirmed=False,
             reported_at=None):
    request = CollabRequest(firm_id=firm.id, cluster_id=cluster.id if cluster else None, kind=Kind.JOINT_SELLING,
                            title_th="คำขอ", expires_on=date(2021, 12, 31), fiscal_year=year,
                            status=RequestStatus.CLOSED if partner else RequestStatus.OPEN,
                            close_reason=CloseReason.PARTNERED if partner else None)
    if created_at:
        request.created_at = created_at
    db.session.add(request)
    db.session.flush()
    if responder:
        db.session.add(CollabResponse(request_id=request.id, firm_id=responder.id))
    if partner:
        outcome = Outcome.of_request(request, partner_firm_id=partner.id, value_baht=Decimal(value),
                          kind=OutcomeKind.NEW_SALES, fiscal_year=year,
                          confirmation=Confirmation.CONFIRMED if confirmed else Confirmation.UNCONFIRMED)
        outcome.created_at = reported_at
        db.session.add(outcome)
    db.session.flush()
    return request


def _event(day: date, title: str):
    event = Event(title_th=title, registration_opens_on=day - timedelta(days=20),
                  registration_closes_on=day - timedelta(days=5), booking_opens_on=day - timedelta(days=20),
                  booking_closes_on=day - timedelta(days=2), meeting_minutes=20, max_meetings_per_firm=5,
                  status=EventStatus.PUBLISHED, starts_on=day)
    session = EventSession(day=day, start_time=time(9, 0), slot_count=4)
    event.sessions.append(session)
    db.session.add(event)
    db.session.flush()
    slots = []
    for n in range(4):
        start = datetime.combine(day, time(9, 0), BANGKOK) + timedelta(minutes=20 * n)
        slot = Slot(event_id=event.id, session_id=session.id, position=n, starts_at=start,
                    ends_at=start + timedelta(minutes=20))
        db.session.add(slot)
        slots.append(slot)
    db.session.flush()
    return event, slots


def _meeting(event, registrations, sender, receiver, slot=None, state=None, continues=None):
    request = MeetingRequest(event_id=event.id, from_registration_id=registrations[sender].id,
                             to_registration_id=registrations[receiver].id, reason="พบกัน",
                             status=MeetingRequestStatus.ACCEPTED if state else MeetingRequestStatus.PENDING)
    db.session.add(request)
    db.session.flush()
    if state:
        db.session.add(Meeting(event_id=event.id, request_id=request.id, slot_id=slot.id, state=state,
                               sender_continues=continues, receiver_continues=None if continues is None else False))
    db.session.flush()


def _registrations(event, firms):
    out = {}
    for name, firm in firms.items():
        registration = Registration(event_id=event.id, firm_id=firm.id, attendees="คุณสมชาย",
                                    status=RegistrationStatus.APPROVED)
        db.session.add(registration)
        out[name] = registration
    db.session.flush()
    return out


def build() -> dict:
    """Build the world in the current app context and commit; return the ids tests need."""
    betta, cosplay = factories.cluster("betta"), factories.cluster("cosplay")
    firms = {name: factories.firm(name_th=f"กิจการ {name}", name_en=f"Firm {name}") for name in "ABCDE"}
    a, b, c, d, e = (firms[n] for n in "ABCDE")
    _member(a, betta, APPROVED_2563, Position.UPSTREAM)
    _member(a, cosplay, APPROVED_2564, Position.MIDSTREAM)
    _member(b, betta, APPROVED_2564, Position.DOWNSTREAM)
    _member(c, betta, APPROVED_2564, Position.UPSTREAM)
    _member(d, cosplay, APPROVED_2564, Position.DOWNSTREAM)
    _member(e, betta, APPROVED_2565, Position.UPSTREAM)

    meeting_1 = datetime.combine(date(2021, 9, 30), time(9, 0), BANGKOK)
    _request(a, betta, YEAR, responder=b, partner=b, value="100000", confirmed=True,
             reported_at=meeting_1 + timedelta(hours=3))
    _request(b, betta, YEAR, responder=c, partner=c, value="50000", reported_at=datetime(2021, 1, 1, tzinfo=BANGKOK))
    _request(c, betta, YEAR, created_at=LAST_MINUTE)
    _request(d, cosplay, YEAR, responder=a, partner=a, value="30000", confirmed=True,
             reported_at=datetime(2021, 3, 1, tzinfo=BANGKOK))
    _request(a, None, YEAR)
    r6 = _request(b, betta, fiscal_year(APPROVED_2563))
    late = CollabResponse(request_id=r6.id, firm_id=d.id)
    late.created_at = FIRST_MINUTE
    db.session.add(late)

    ev1, slots1 = _event(date(2021, 9, 30), "วันจับคู่ 30 ก.ย.")
    regs = _registrations(ev1, {n: firms[n] for n in "ABCD"})
    _meeting(ev1, regs, "A", "B", slots1[0], MeetingState.HELD, continues=True)
    _meeting(ev1, regs, "B", "C", slots1[1], MeetingState.HELD, continues=False)
    _meeting(ev1, regs, "C", "A", slots1[2], MeetingState.NO_SHOW)
    _meeting(ev1, regs, "D", "A")
    ev2, slots2 = _event(date(2021, 10, 1), "วันจับคู่ 1 ต.ค.")
    regs2 = _registrations(ev2, {n: firms[n] for n in "AB"})
    _meeting(ev2, regs2, "A", "B", slots2[0], MeetingState.HELD, continues=True)

    staff = factories.user(email="staff@example.com", role=Role.STAFF, locale="en")
    coordinator = factories.user(email="coord@example.com", locale="th")
    factories.term(coordinator, betta)
    owner = factories.user(email="owner@example.com", locale="en")
    factories.team_member(a, owner, "owner")
    db.session.commit()
    return {"betta": betta.id, "cosplay": cosplay.id, "staff": staff.id, "coordinator": coordinator.id,
            "owner": owner.id, "firms": {n: f.id for n, f in firms.items()}}
