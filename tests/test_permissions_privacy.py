"""can_view_consents as a truth table over the usual cast: OSMEP staff and administrators only (a coordinator,
who sees their clusters' firms, does not see people's consent history; a suspended or unconfirmed account
sees nothing)."""
import pytest

from portal.permissions import can_view_consents
from tests.helpers import WHO
from tests.test_permissions import table

#                      view_consents
RULES = table("""
anonymous              0
unconfirmed            0
stranger               0
owner                  0
editor                 0
owner_of_two           0
owner_c                0
coordinator            0
other_coordinator      0
ended_coordinator      0
suspended              0
staff                  1
admin                  1
owner_h                0
applicant              0
""")


def test_the_table_covers_the_whole_cast():
    assert set(RULES) == set(WHO)


@pytest.mark.parametrize("who", list(RULES))
def test_can_view_consents(roles, who):
    assert can_view_consents(roles.users[who]) is RULES[who][0]


def test_a_suspended_staff_member_sees_no_consents(roles):
    from portal.auth.models import Role

    staff = roles.users["staff"]
    staff.suspended_at = roles.users["suspended"].suspended_at
    assert staff.role is Role.STAFF and can_view_consents(staff) is False
