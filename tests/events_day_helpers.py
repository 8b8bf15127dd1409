"""Builders for the matching day itself: a meeting placed straight in the database (the scheduler that fills
Meeting rows is another feature), between two registered firms, in a slot that has begun or not."""
from datetime import timedelta

from portal.db import utcnow
from portal.events import services
from portal.events.models import Meeting
from portal.extensions import db
from tests.events_helpers import make_event, register


def place_meeting(event, sender_actor, sender, receiver_actor, receiver, position=0, table=0,
                  reason="คุยเรื่องปลากัดส่งออก"):
    """An accepted request from `sender` to `receiver` placed in the event's slot `position` at table `table`."""
    request = services.request_meeting(sender_actor, sender, receiver, reason)
    services.answer_request(receiver_actor, request, True)
    slot = event.slots[position]
    meeting = Meeting(event_id=event.id, request_id=request.id, slot_id=slot.id, table_id=event.tables[table].id)
    db.session.add(meeting)
    db.session.flush()
    return meeting


def start_slots(event, hours=2):
    """Move the event's slots back in time so that the first one began `hours` ago (as on the day)."""
    shift = event.slots[0].starts_at - (utcnow() - timedelta(hours=hours))
    for slot in event.slots:
        slot.starts_at, slot.ends_at = slot.starts_at - shift, slot.ends_at - shift
    db.session.flush()


def matching_day(roles, started=False):
    """Betta's event with firms A (owner), B (owner_of_two) and K (coordinator) registered (no approval
    needed); meetings A→B in slot 1 at table 2 and K→A in slot 0 at table 1; with `started`, the slots have
    begun."""
    users, firms = roles.users, roles.firms
    event = make_event(users["staff"], [roles.clusters["betta"].id])
    regs = {name: register(users[who], event, firms[name])
            for name, who in (("A", "owner"), ("B", "owner_of_two"), ("K", "coordinator"))}
    ab = place_meeting(event, users["owner"], regs["A"], users["owner_of_two"], regs["B"], position=1, table=1)
    ka = place_meeting(event, users["coordinator"], regs["K"], users["owner"], regs["A"], position=0, table=0,
                       reason="หาผู้ซื้อ")
    if started:
        start_slots(event)
    return event, regs, {"ab": ab, "ka": ka}
