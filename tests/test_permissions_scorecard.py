"""Truth tables for the scorecard rules, on the shared cast (tests/helpers.py): X = betta, Y = cosplay."""
import pytest

from portal.permissions import can_view_all_scorecards, can_view_scorecard
from tests.helpers import WHO
from tests.test_permissions import table

#                       betta cosplay all
SCORECARDS = table("""
anonymous               0     0       0
unconfirmed             0     0       0
stranger                0     0       0
owner                   0     0       0
editor                  0     0       0
owner_of_two            0     0       0
owner_c                 0     0       0
coordinator             1     0       0
other_coordinator       0     1       0
ended_coordinator       0     0       0
suspended               0     0       0
staff                   1     1       1
admin                   1     1       1
owner_h                 0     0       0
applicant               0     0       0
""")


def test_scorecard_rules(roles):
    """Coordinators during a term see their own cluster's scorecard (not another cluster's, not after
    their term); OSMEP staff see every cluster and the table of all; firm owners, members, the suspended
    and anonymous visitors see none."""
    assert set(SCORECARDS) == set(WHO)
    actual = {who: [can_view_scorecard(roles.users[who], roles.clusters["betta"]),
                    can_view_scorecard(roles.users[who], roles.clusters["cosplay"]),
                    can_view_all_scorecards(roles.users[who])] for who in WHO}
    assert actual == SCORECARDS


@pytest.mark.parametrize("who", ["coordinator", "staff"])
def test_suspension_outweighs_the_role(roles, who):
    from portal.db import utcnow
    from portal.extensions import db

    user = roles.users[who]
    user.suspended_at = utcnow()
    db.session.flush()
    assert not can_view_scorecard(user, roles.clusters["betta"])
    assert not can_view_all_scorecards(user)
