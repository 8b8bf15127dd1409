"""Matching-day rules as truth tables on the usual cast (tests/helpers.py): who organises, who registers which
firm, who asks whom for a meeting, who answers. Awkward rows: one's own firm, two firms of one owner, a hidden
firm, a pending membership, closed windows, a coordinator of another cluster, an ended term, a suspension."""
from datetime import timedelta

import pytest

from portal.db import utcnow
from portal.events.models import EventStatus, MeetingRequest, MeetingRequestStatus, Registration, RegistrationStatus
from portal.extensions import db
from portal.permissions import (
    can_answer_meeting_request,
    can_cancel_meeting_request,
    can_create_event,
    can_decide_registration,
    can_manage_event,
    can_register_for_event,
    can_request_meeting,
    can_schedule_event,
    can_view_attendees,
    can_view_event,
    can_withdraw_registration,
)
from tests.events_helpers import close_windows, make_event
from tests.helpers import WHO
from tests.test_permissions import table


@pytest.fixture
def events(roles):
    staff, c = roles.users["staff"], roles.clusters
    made = {"betta": make_event(staff, [c["betta"].id]), "cosplay": make_event(staff, [c["cosplay"].id]),
            "all": make_event(staff), "both": make_event(staff, [c["betta"].id, c["cosplay"].id]),
            "draft": make_event(staff, [c["betta"].id], opened=False), "closed": make_event(staff, [c["betta"].id])}
    close_windows(made["closed"])
    db.session.commit()
    return made


def _registration(event, firm, status=RegistrationStatus.APPROVED):
    registration = Registration(event_id=event.id, firm_id=firm.id, attendees="คุณสมชาย", status=status,
                                slots=event.slots)
    db.session.add(registration)
    db.session.flush()
    return registration


#                         any  betta cosplay both open_to_all
CREATE = table("""
anonymous                 0    0     0       0    0
unconfirmed               0    0     0       0    0
stranger                  0    0     0       0    0
owner                     0    0     0       0    0
editor                    0    0     0       0    0
owner_of_two              0    0     0       0    0
owner_c                   0    0     0       0    0
coordinator               1    1     0       0    0
other_coordinator         1    0     1       0    0
ended_coordinator         0    0     0       0    0
suspended                 0    0     0       0    0
staff                     1    1     1       1    1
admin                     1    1     1       1    1
owner_h                   0    0     0       0    0
applicant                 0    0     0       0    0
""")


def test_can_create_event(roles):
    betta, cosplay = roles.clusters["betta"].id, roles.clusters["cosplay"].id
    columns = [None, [betta], [cosplay], [betta, cosplay], []]
    actual = {who: [can_create_event(roles.users[who], c) for c in columns] for who in WHO}
    assert actual == CREATE


#                         betta cosplay all both | view draft | attendees of betta (A approved, C pending)
MANAGE = table("""
anonymous                 0     0       0   0      0            0
unconfirmed               0     0       0   0      0            0
stranger                  0     0       0   0      0            0
owner                     0     0       0   0      0            1
editor                    0     0       0   0      0            1
owner_of_two              0     0       0   0      0            0
owner_c                   0     0       0   0      0            0
coordinator               1     0       0   1      1            1
other_coordinator         0     1       0   1      0            0
ended_coordinator         0     0       0   0      0            0
suspended                 0     0       0   0      0            0
staff                     1     1       1   1      1            1
admin                     1     1       1   1      1            1
owner_h                   0     0       0   0      0            0
applicant                 0     0       0   0      0            0
""")


def test_can_manage_and_view_event(roles, events):
    _registration(events["betta"], roles.firms["A"])
    _registration(events["betta"], roles.firms["C"], RegistrationStatus.PENDING)
    actual = {who: [*(can_manage_event(roles.users[who], events[e]) for e in ("betta", "cosplay", "all", "both")),
                    can_view_event(roles.users[who], events["draft"]),
                    can_view_attendees(roles.users[who], events["betta"])] for who in WHO}
    assert actual == MANAGE
    assert can_view_event(roles.users["anonymous"], events["betta"])


# (who, firm) -> betta cosplay all closed_window draft
REGISTER = {
    ("owner", "A"): "1 0 1 0 0",
    ("editor", "A"): "1 0 1 0 0",
    ("suspended", "A"): "0 0 0 0 0",  # suspension outweighs the team role
    ("stranger", "A"): "0 0 0 0 0",  # not on the team
    ("staff", "A"): "0 0 0 0 0",  # staff organise, they do not register others' firms
    ("owner_c", "C"): "0 1 1 0 0",  # a cosplay member: not eligible for a betta day
    ("owner_h", "H"): "0 0 0 0 0",  # hidden by OSMEP staff
    ("applicant", "N"): "0 0 0 0 0",  # membership still pending
    ("coordinator", "K"): "1 0 1 0 0",  # a coordinator's own firm registers like any other
    ("unconfirmed", "A"): "0 0 0 0 0",
}


@pytest.mark.parametrize(("who", "firm"), list(REGISTER))
def test_can_register_for_event(roles, events, who, firm):
    if who == "unconfirmed":
        from tests import factories

        factories.team_member(roles.firms["A"], roles.users["unconfirmed"], "editor")
    expected = [cell == "1" for cell in REGISTER[(who, firm)].split()]
    actual = [can_register_for_event(roles.users[who], events[e], roles.firms[firm])
              for e in ("betta", "cosplay", "all", "closed", "draft")]
    assert actual == expected


@pytest.fixture
def booked(roles, events):
    """The open-to-all event with A, B, B2, C, H and K approved and N pending."""
    event = events["all"]
    regs = {name: _registration(event, roles.firms[name]) for name in ("A", "B", "B2", "C", "H", "K")}
    regs["N"] = _registration(event, roles.firms["N"], RegistrationStatus.PENDING)
    db.session.commit()
    return event, regs


REQUEST = [  # who, from, to, allowed
    ("owner", "A", "B", True),
    ("editor", "A", "B", True),
    ("owner_of_two", "B", "A", True),
    ("owner", "A", "A", False),  # its own firm
    ("owner_of_two", "B", "B2", False),  # two firms of one owner
    ("owner_of_two", "B2", "B", False),
    ("owner", "B", "A", False),  # not on the sending firm's team
    ("owner", "A", "H", False),  # a hidden firm
    ("owner_h", "H", "A", False),
    ("owner", "A", "N", False),  # not approved
    ("applicant", "N", "A", False),
    ("suspended", "A", "B", False),
    ("staff", "A", "B", False),
    ("anonymous", "A", "B", False),
    ("coordinator", "K", "A", True),
]


@pytest.mark.parametrize(("who", "sender", "receiver", "allowed"), REQUEST)
def test_can_request_meeting(roles, booked, who, sender, receiver, allowed):
    _event, regs = booked
    assert can_request_meeting(roles.users[who], regs[sender], regs[receiver]) is allowed


def _request(event, sender, receiver, status=MeetingRequestStatus.PENDING):
    request = MeetingRequest(event_id=event.id, from_registration_id=sender.id, to_registration_id=receiver.id,
                             reason="พบกัน", status=status)
    db.session.add(request)
    db.session.flush()
    return request


def test_limits_duplicates_and_closed_booking_stop_requests(roles, booked, events):
    event, regs = booked
    owner = roles.users["owner"]
    _request(event, regs["A"], regs["B"])
    assert not can_request_meeting(owner, regs["A"], regs["B"])  # one live request per pair
    assert not can_request_meeting(roles.users["owner_of_two"], regs["B"], regs["A"])  # either way
    assert can_request_meeting(owner, regs["A"], regs["C"])
    event.max_meetings_per_firm = 2
    _request(event, regs["K"], regs["A"], MeetingRequestStatus.ACCEPTED)  # received ones count too
    assert not can_request_meeting(owner, regs["A"], regs["C"])
    _request(event, regs["A"], regs["C"], MeetingRequestStatus.DECLINED)  # declined ones do not
    event.max_meetings_per_firm = 3
    assert can_request_meeting(owner, regs["A"], regs["C"])
    close_windows(event, registration=False)
    assert not can_request_meeting(owner, regs["A"], regs["C"])
    other_event = _registration(events["betta"], roles.firms["C"])
    assert not can_request_meeting(owner, regs["A"], other_event)  # another event's registration


ANSWER = table("""
anonymous                 0
stranger                  0
owner                     0
editor                    0
owner_of_two              1
owner_c                   0
coordinator               0
staff                     0
suspended                 0
""")


def test_can_answer_meeting_request(roles, booked):
    event, regs = booked
    request = _request(event, regs["A"], regs["B"])
    assert {who: [can_answer_meeting_request(roles.users[who], request)] for who in ANSWER} == ANSWER
    request.status = MeetingRequestStatus.ACCEPTED
    assert not can_answer_meeting_request(roles.users["owner_of_two"], request)  # answered already
    request.status = MeetingRequestStatus.PENDING
    close_windows(event, registration=False)
    assert not can_answer_meeting_request(roles.users["owner_of_two"], request)  # booking closed


#                         A's registration | K's (the coordinator's firm)
DECIDE = table("""
anonymous                 0                  0
owner                     0                  0
coordinator               1                  0
other_coordinator         0                  0
ended_coordinator         0                  0
staff                     1                  1
suspended                 0                  0
""")


def test_can_decide_registration(roles, events):
    a = _registration(events["betta"], roles.firms["A"], RegistrationStatus.PENDING)
    k = _registration(events["betta"], roles.firms["K"], RegistrationStatus.PENDING)
    assert {who: [can_decide_registration(roles.users[who], r) for r in (a, k)] for who in DECIDE} == DECIDE


#                         betta cosplay all draft closed published cancelled
SCHEDULE = table("""
anonymous                 0     0       0   0     0      0         0
unconfirmed               0     0       0   0     0      0         0
stranger                  0     0       0   0     0      0         0
owner                     0     0       0   0     0      0         0
editor                    0     0       0   0     0      0         0
owner_of_two              0     0       0   0     0      0         0
owner_c                   0     0       0   0     0      0         0
coordinator               1     0       0   0     1      1         0
other_coordinator         0     1       0   0     0      0         0
ended_coordinator         0     0       0   0     0      0         0
suspended                 0     0       0   0     0      0         0
staff                     1     1       1   0     1      1         0
admin                     1     1       1   0     1      1         0
owner_h                   0     0       0   0     0      0         0
applicant                 0     0       0   0     0      0         0
""")


def test_can_schedule_event(roles, events):
    """Organisers schedule an open event (booking closed or not) and change a published schedule; never a
    draft's nor a cancelled event's."""
    staff, betta = roles.users["staff"], roles.clusters["betta"].id
    published, cancelled = make_event(staff, [betta]), make_event(staff, [betta])
    published.status, cancelled.status = EventStatus.PUBLISHED, EventStatus.CANCELLED
    columns = [events["betta"], events["cosplay"], events["all"], events["draft"], events["closed"], published,
               cancelled]
    actual = {who: [can_schedule_event(roles.users[who], e) for e in columns] for who in WHO}
    assert actual == SCHEDULE


#                         A approved | A pending | A declined | A withdrawn | K approved
WITHDRAW = table("""
anonymous                 0            0           0            0             0
stranger                  0            0           0            0             0
owner                     1            1           0            0             0
editor                    1            1           0            0             0
suspended                 0            0           0            0             0
owner_of_two              0            0           0            0             0
coordinator               0            0           0            0             1
staff                     0            0           0            0             0
""")


def test_can_withdraw_registration(roles, events):
    """Only the firm's own team withdraws it (organisers decline instead; a coordinator withdraws their own
    firm like anyone), a waiting or approved registration, before the day; never after the first slot has
    begun nor from a cancelled event."""
    firms, staff = roles.firms, roles.users["staff"]
    withdrawn_event = make_event(staff, [roles.clusters["betta"].id])
    columns = [_registration(events["betta"], firms["A"]),
               _registration(events["both"], firms["A"], RegistrationStatus.PENDING),
               _registration(events["all"], firms["A"], RegistrationStatus.DECLINED),
               _registration(withdrawn_event, firms["A"], RegistrationStatus.WITHDRAWN),
               _registration(events["betta"], firms["K"])]
    actual = {who: [can_withdraw_registration(roles.users[who], r) for r in columns] for who in WITHDRAW}
    assert actual == WITHDRAW
    owner, approved = roles.users["owner"], columns[0]
    events["closed"].status = EventStatus.PUBLISHED  # windows closed, schedule out: still before the day
    assert can_withdraw_registration(owner, _registration(events["closed"], firms["A"]))
    approved.event.slots[0].starts_at = utcnow() - timedelta(minutes=1)  # the day has begun
    assert not can_withdraw_registration(owner, approved)
    columns[1].event.status = EventStatus.CANCELLED
    assert not can_withdraw_registration(owner, columns[1])


#                         A→B waits | A→B2 accepted | C→A waits | K→A accepted | A→C declined
CANCEL = table("""
anonymous                 0           0               0           0              0
stranger                  0           0               0           0              0
owner                     1           1               0           1              0
editor                    1           1               0           1              0
suspended                 0           0               0           0              0
owner_of_two              0           1               0           0              0
owner_c                   0           0               1           0              0
coordinator               0           0               0           1              0
staff                     0           0               0           0              0
""")


def test_can_cancel_meeting_request(roles, booked):
    """A waiting request is taken back by its sender only (the receiver declines it); an accepted meeting is
    cancelled by either firm's team; organisers and staff do neither; nothing once the day has begun."""
    event, regs = booked
    columns = [_request(event, regs["A"], regs["B"]),
               _request(event, regs["A"], regs["B2"], MeetingRequestStatus.ACCEPTED),
               _request(event, regs["C"], regs["A"]),
               _request(event, regs["K"], regs["A"], MeetingRequestStatus.ACCEPTED),
               _request(event, regs["A"], regs["C"], MeetingRequestStatus.DECLINED)]
    actual = {who: [can_cancel_meeting_request(roles.users[who], r) for r in columns] for who in CANCEL}
    assert actual == CANCEL
    owner = roles.users["owner"]
    columns[0].status = MeetingRequestStatus.EXPIRED
    assert not can_cancel_meeting_request(owner, columns[0])
    close_windows(event)  # booking closed: an accepted meeting can still be cancelled before the day
    assert can_cancel_meeting_request(owner, columns[1])
    event.slots[0].starts_at = utcnow() - timedelta(minutes=1)
    assert not can_cancel_meeting_request(owner, columns[1])
