"""Truth tables for following (issue 22), on the shared cast (tests/helpers.py): who may follow which firm,
follow a cluster, save a search, and stop a follow or saved search.

Awkward rows: one's own firm (refused: its team is told of its own news), both firms of one owner (B and
B2 for owner_of_two: each is their own), a hidden firm (H: refused to everyone, its own team and staff
included), a members-only firm (A without a public listing: signed-in users may follow it), a suspended
user (refused everything; the alert e-mails' links still stop their alerts), an unconfirmed user.
"""
import pytest

from portal.extensions import db
from portal.following.models import Follow, Frequency, SavedSearch, SearchList
from portal.permissions import can_follow_cluster, can_follow_firm, can_save_search, can_stop_alert
from tests.helpers import WHO
from tests.test_permissions import table

#                    A  A_members_only  B  B2  C  K  H
FOLLOW_FIRM = table("""
anonymous            0  0               0  0   0  0  0
unconfirmed          0  0               0  0   0  0  0
stranger             1  1               1  1   1  1  0
owner                0  0               1  1   1  1  0
editor               0  0               1  1   1  1  0
owner_of_two         1  1               0  0   1  1  0
owner_c              1  1               1  1   0  1  0
coordinator          1  1               1  1   1  0  0
other_coordinator    1  1               1  1   1  1  0
ended_coordinator    1  1               1  1   1  1  0
suspended            0  0               0  0   0  0  0
staff                1  1               1  1   1  1  0
admin                1  1               1  1   1  1  0
owner_h              1  1               1  1   1  1  0
applicant            1  1               1  1   1  1  0
""")
FIRM_COLUMNS = ("A", "A_members_only", "B", "B2", "C", "K", "H")


@pytest.mark.parametrize("who", WHO)
def test_can_follow_firm(roles, who):
    user = roles.users[who]
    answers = []
    for column in FIRM_COLUMNS:
        firm = roles.firms[column.split("_")[0]]
        if column == "A_members_only":
            saved, firm.public_listing_consent_at = firm.public_listing_consent_at, None
            answers.append(can_follow_firm(user, firm))
            firm.public_listing_consent_at = saved
        else:
            answers.append(can_follow_firm(user, firm))
    assert answers == FOLLOW_FIRM[who], dict(zip(FIRM_COLUMNS, answers, strict=True))


#                     follow a cluster (betta, cosplay)   save a search
OTHERS = table("""
anonymous             0 0                                  0
unconfirmed           0 0                                  0
stranger              1 1                                  1
owner                 1 1                                  1
editor                1 1                                  1
owner_of_two          1 1                                  1
owner_c               1 1                                  1
coordinator           1 1                                  1
other_coordinator     1 1                                  1
ended_coordinator     1 1                                  1
suspended             0 0                                  0
staff                 1 1                                  1
admin                 1 1                                  1
owner_h               1 1                                  1
applicant             1 1                                  1
""")


@pytest.mark.parametrize("who", WHO)
def test_can_follow_cluster_and_save_search(roles, who):
    user = roles.users[who]
    answers = [can_follow_cluster(user, roles.clusters["betta"]), can_follow_cluster(user, roles.clusters["cosplay"]),
               can_save_search(user)]
    assert answers == OTHERS[who]


#                     stranger's follow   stranger's saved search   suspended's follow
STOP = table("""
anonymous             0                   0                         0
stranger              1                   1                         0
owner                 0                   0                         0
suspended             0                   0                         0
staff                 0                   0                         0
admin                 0                   0                         0
""")


@pytest.mark.parametrize("who", list(STOP))
def test_can_stop_alert(roles, who):
    """Only the row's own, active user stops it in the portal (a suspended one has the e-mail's link, which
    needs no sign-in); staff do not manage other people's alerts."""
    stranger, suspended = roles.users["stranger"], roles.users["suspended"]
    rows = [Follow(user_id=stranger.id, firm_id=roles.firms["A"].id),
            SavedSearch(user_id=stranger.id, list=SearchList.BOARD, query="", name="x", frequency=Frequency.DAILY),
            Follow(user_id=suspended.id, cluster_id=roles.clusters["betta"].id)]
    assert [can_stop_alert(roles.users[who], row) for row in rows] == STOP[who]
    db.session.rollback()
