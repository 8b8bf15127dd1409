"""Truth tables for the matching day itself (portal/permissions.py): agendas, check-in, marking meetings and
rating them. Betta's event (tests/events_day_helpers.matching_day): A (owner, editor, suspended), B and B2
(both owned by owner_of_two) and K (the coordinator's firm) registered; meetings A→B and K→A."""
import pytest

from portal.events.models import EventStatus, MeetingState
from portal.extensions import db
from portal.permissions import can_check_in, can_mark_meeting, can_rate_meeting, can_view_agenda
from tests.events_day_helpers import matching_day
from tests.events_helpers import register
from tests.helpers import WHO
from tests.test_permissions import table


@pytest.fixture
def day(roles):
    event, regs, meetings = matching_day(roles, started=True)
    regs["B2"] = register(roles.users["owner_of_two"], event, roles.firms["B2"])
    db.session.commit()
    return event, regs, meetings


#                  agenda: A  B  B2 K | check-in | mark A→B  K→A | rate (held) A→B  K→A
DAY = table("""
anonymous                  0  0  0  0   0          0     0         0     0
unconfirmed                0  0  0  0   0          0     0         0     0
stranger                   0  0  0  0   0          0     0         0     0
owner                      1  0  0  0   0          1     1         1     1
editor                     1  0  0  0   0          1     1         1     1
owner_of_two               0  1  1  0   0          1     0         1     0
owner_c                    0  0  0  0   0          0     0         0     0
coordinator                1  1  1  1   1          1     1         0     1
other_coordinator          0  0  0  0   0          0     0         0     0
ended_coordinator          0  0  0  0   0          0     0         0     0
suspended                  0  0  0  0   0          0     0         0     0
staff                      1  1  1  1   1          1     1         0     0
admin                      1  1  1  1   1          1     1         0     0
owner_h                    0  0  0  0   0          0     0         0     0
applicant                  0  0  0  0   0          0     0         0     0
""")


def test_the_day_rules(roles, day):
    event, regs, meetings = day
    ab, ka = meetings["ab"], meetings["ka"]
    actual = {}
    for who in WHO:
        user = roles.users[who]
        actual[who] = [*(can_view_agenda(user, regs[name]) for name in ("A", "B", "B2", "K")),
                       can_check_in(user, event), can_mark_meeting(user, ab), can_mark_meeting(user, ka)]
    ab.state = ka.state = MeetingState.HELD
    db.session.flush()
    for who in WHO:
        user = roles.users[who]
        actual[who] += [can_rate_meeting(user, ab), can_rate_meeting(user, ka)]
    assert actual == DAY


def test_marks_wait_for_the_slot_and_happen_once(roles):
    event, _regs, meetings = matching_day(roles)  # slots ten days ahead
    owner = roles.users["owner"]
    assert not can_mark_meeting(owner, meetings["ab"])
    event.slots[1].starts_at = event.slots[1].starts_at.replace(year=2020)
    meetings["ab"].state = MeetingState.NO_SHOW
    assert not can_mark_meeting(owner, meetings["ab"]) and not can_rate_meeting(owner, meetings["ab"])


def test_each_side_rates_once_and_a_draft_or_cancelled_event_has_no_check_in(roles, day):
    event, regs, meetings = day
    ab = meetings["ab"]
    ab.state, ab.sender_rating = MeetingState.HELD, 4
    assert not can_rate_meeting(roles.users["owner"], ab)
    assert can_rate_meeting(roles.users["owner_of_two"], ab)
    event.status = EventStatus.CANCELLED
    assert not can_check_in(roles.users["staff"], event)
    regs["A"].status = regs["A"].status.__class__.DECLINED
    assert not can_view_agenda(roles.users["owner"], regs["A"])
