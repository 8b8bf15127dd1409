"""The rules issue #16 moved into portal/permissions.py, as truth tables on the moderation world
(tests/moderation_world.py), and the properties that keep them honest: SQL twins agree with their rules, and
rules never answer from a stale copy of what they know about their viewer.

    firms P (poster; coordinator_own is its editor), R (responder), M (member), C (coordinator_own's),
    X (poster's second firm), H (hidden); request Q by P with responses resp1 (R) and resp2 (M).
"""
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.auth.models import Role, User
from portal.collab.models import CloseReason, CollabRequest, Message, RequestStatus, Response, ResponseStatus
from portal.db import utcnow
from portal.extensions import db
from portal.firms.models import Firm, FirmMember, FirmRole
from portal.firms.queries import visible_firm_filter
from portal.moderation import queries as moderation_queries
from portal.moderation.models import Report, ReportReason
from portal.permissions import (
    can_close_request,
    can_decide_response,
    can_edit_firm,
    can_edit_request,
    can_manage_cluster,
    can_moderate_target,
    can_renew_request,
    can_set_staff,
    can_suspend_user,
    can_view_firm,
    can_withdraw_response,
    can_write_in_thread,
    managed_cluster_ids,
    response_decisions,
)
from portal.thai import bangkok_today
from tests import factories
from tests.test_permissions import table
from tests.test_permissions_moderation import WHO, check, load
from tests.test_permissions_moderation import world as moderation_world_fixture

R = ResponseStatus
world = moderation_world_fixture  # the moderation world, under the name the tests ask for


def _set_state(request, state):
    if state == "expired":
        request.status, request.close_reason = RequestStatus.CLOSED, CloseReason.EXPIRED
    elif state == "withdrawn":
        request.status, request.close_reason = RequestStatus.CLOSED, CloseReason.WITHDRAWN
    db.session.flush()


#                      open: edit close renew   expired: edit close renew   withdrawn: edit close renew
REQUEST_RULES = table("""
anonymous              0     0     0            0      0     0              0      0     0
stranger               0     0     0            0      0     0              0      0     0
poster                 1     1     1            0      0     1              0      0     0
coordinator_own        1     1     1            0      0     1              0      0     0
responder              0     0     0            0      0     0              0      0     0
coordinator            0     0     0            0      0     0              0      0     0
staff                  0     0     0            0      0     0              0      0     0
""")


def test_edit_close_renew_a_request(world):
    """The posting firm's team (its owner, and coordinator_own as its editor) edits and closes an open
    request and renews it; an expired one is only renewed; one closed on purpose stays closed."""
    users, ids = world
    request = load(ids, CollabRequest, "request")
    actual = {who: [] for who in REQUEST_RULES}
    for state in ("open", "expired", "withdrawn"):
        _set_state(request, state)
        for who in REQUEST_RULES:
            actual[who] += [rule(users[who], request) for rule in (can_edit_request, can_close_request,
                                                                    can_renew_request)]
    assert actual == REQUEST_RULES


#                      resp1 open: withdraw write decide    resp1 declined: withdraw write    resp1 hidden: write
RESPONSE_RULES = table("""
anonymous              0           0     0                  0               0                 0
stranger               0           0     0                  0               0                 0
poster                 0           1     1                  0               0                 0
coordinator_own        0           1     1                  0               0                 0
responder              1           1     0                  0               0                 1
member                 0           0     0                  0               0                 0
coordinator            0           0     0                  0               0                 0
staff                  0           0     0                  0               0                 0
""")


def test_withdraw_write_and_decide_on_a_response(world):
    """Only the two firms write in a thread (staff read it), while it is neither declined nor withdrawn and
    they may see it (a hidden response is out of the posting firm's sight); the responding firm withdraws,
    the posting firm decides."""
    users, ids = world
    response = load(ids, Response, "resp1")
    actual = {who: [can_withdraw_response(users[who], response), can_write_in_thread(users[who], response),
                    can_decide_response(users[who], response)] for who in RESPONSE_RULES}
    response.status = R.DECLINED
    db.session.flush()
    for who in RESPONSE_RULES:
        actual[who] += [can_withdraw_response(users[who], response), can_write_in_thread(users[who], response)]
    response.status, response.hidden_at, response.hidden_by_id = R.OPEN, utcnow(), ids["staff"]
    db.session.flush()
    for who in RESPONSE_RULES:
        actual[who].append(can_write_in_thread(users[who], response))
    assert actual == {who: row for who, row in RESPONSE_RULES.items()}


@pytest.mark.parametrize("start, other, offered", [
    (R.OPEN, R.OPEN, [R.SHORTLISTED, R.ACCEPTED, R.DECLINED]),
    (R.SHORTLISTED, R.OPEN, [R.ACCEPTED, R.DECLINED]),
    (R.OPEN, R.ACCEPTED, [R.SHORTLISTED, R.DECLINED]),  # one partner per request
    (R.ACCEPTED, R.OPEN, []),
    (R.DECLINED, R.OPEN, []),
    (R.WITHDRAWN, R.OPEN, []),
], ids=lambda v: getattr(v, "value", None) or "-".join(s.value for s in v) or "none")
def test_the_decisions_offered_follow_the_response_transitions(world, start, other, offered):
    users, ids = world
    response, second = load(ids, Response, "resp1"), load(ids, Response, "resp2")
    response.status, second.status = start, other
    db.session.flush()
    assert response_decisions(users["poster"], response) == offered
    assert response_decisions(users["responder"], response) == []  # the responding firm never decides
    request = load(ids, CollabRequest, "request")
    request.status, request.close_reason = RequestStatus.CLOSED, CloseReason.NOT_FULFILLED
    db.session.flush()
    assert response_decisions(users["poster"], response) == []  # nothing is decided on a closed request


#                      member  another staff  an admin  oneself  suspended member
SUSPEND = table("""
anonymous              0       0              0         0        0
stranger               0       0              0         0        0
coordinator            0       0              0         0        0
staff                  1       1              0         0        1
admin                  1       1              1         0        1
suspended_staff        0       0              0         0        0
""")
SET_STAFF = table("""
anonymous              0       0              0         0        0
stranger               0       0              0         0        0
staff                  0       0              0         0        0
admin                  1       1              0         0        1
suspended_staff        0       0              0         0        0
""")


def test_who_may_suspend_whom_and_appoint_staff(world):
    """Staff suspend other accounts but never their own nor an administrator's; only an administrator
    makes someone staff, and administrators stay as they are."""
    users, ids = world
    people = dict(users, admin=factories.user(role=Role.ADMIN),
                  suspended_staff=factories.user(role=Role.STAFF, suspended=True))
    targets = [users["member"], factories.user(role=Role.STAFF), factories.user(role=Role.ADMIN), None,
               factories.user(suspended=True)]

    def cells(rule):  # None: the acting user themself
        return [lambda u, t=t: rule(u, u if t is None else t) for t in targets]

    check(people, SUSPEND, cells(can_suspend_user))
    check(people, SET_STAFF, cells(can_set_staff))


def test_the_clusters_a_user_may_see_as_a_manager(world):
    users, ids = world
    cosplay = factories.cluster("cosplay")
    assert managed_cluster_ids(users["staff"]) is None  # every cluster
    assert managed_cluster_ids(users["coordinator"]) == {ids["betta"]}
    assert managed_cluster_ids(users["coordinator_own"]) == {ids["betta"]}
    assert managed_cluster_ids(users["other_coordinator"]) == {cosplay.id}
    for who in ("anonymous", "stranger", "poster"):
        assert managed_cluster_ids(users[who]) == set()
    ended = factories.user()
    factories.term(ended, cosplay, starts_on=bangkok_today() - timedelta(days=60),
                   ends_on=bangkok_today() - timedelta(days=2))
    assert managed_cluster_ids(ended) == set()


# --- SQL twins ------------------------------------------------------------------------------------

TARGETS = {"firm": Firm, "request": CollabRequest, "response": Response, "message": Message}


def test_the_moderation_queue_filter_agrees_with_can_moderate_target(world):
    """portal.moderation.queries.moderatable is can_moderate_target in SQL: for every person of the world
    and every firm, request, response and message, both say the same."""
    users, ids = world
    for target_type, model in TARGETS.items():
        objects = db.session.scalars(select(model)).all()
        for who in WHO:
            in_sql = set(db.session.scalars(select(model.id).where(
                moderation_queries.moderatable(users[who], target_type))))
            by_rule = {obj.id for obj in objects if can_moderate_target(users[who], target_type, obj)}
            assert in_sql == by_rule, (who, target_type)


def test_the_firm_list_filter_agrees_with_can_view_firm(world):
    """portal.firms.queries.visible_firm_filter is can_view_firm in SQL for every firm that is not hidden;
    lists never show a hidden firm, not even to those who may open its page."""
    users, ids = world
    firms = db.session.scalars(select(Firm)).all()
    firms[0].public_listing = False  # a members-only firm too
    db.session.flush()
    for who in WHO:
        listed = set(db.session.scalars(select(Firm.id).where(visible_firm_filter(users[who]))))
        for firm in firms:
            expected = can_view_firm(users[who], firm) and not firm.is_hidden
            assert (firm.id in listed) == expected, (who, firm.name_en)


def test_a_coordinator_sees_their_reports_behind_a_long_queue_elsewhere(world):
    """The queue is filtered in SQL before its limit: 250 newer reports in another cluster do not push a
    Betta coordinator's report out of their queue."""
    users, ids = world
    cosplay = factories.cluster("cosplay")
    elsewhere = factories.firm(name_th="ร้านคอสเพลย์")
    factories.membership(elsewhere, cosplay)
    db.session.flush()
    later = utcnow() + timedelta(minutes=1)
    db.session.add_all([Report(reporter_id=ids["stranger"], target_type="firm", target_id=elsewhere.id,
                               firm_id=elsewhere.id, reason=ReportReason.SPAM, created_at=later)] +
                       [Report(reporter_id=ids["stranger"], target_type="request", target_id=100000 + n,
                               firm_id=elsewhere.id, reason=ReportReason.SPAM, created_at=later)
                        for n in range(250)])
    db.session.flush()
    groups = moderation_queries.open_report_groups(users["coordinator"])
    assert ("firm", ids["firm_C"]) in {(t, i) for t, i, *_ in groups}
    assert all(can_moderate_target(users["coordinator"], t, db.session.get(moderation_queries.TARGETS[t], i))
               for t, i, *_ in groups)
    staff_groups = moderation_queries.open_report_groups(users["staff"])
    assert len(staff_groups) == moderation_queries.QUEUE_LIMIT  # staff see everything, newest first


# --- facts about the viewer are never stale ---------------------------------------------------------

def test_rules_see_a_team_change_made_earlier_in_the_same_transaction(world):
    users, ids = world
    stranger, firm = users["stranger"], load(ids, Firm, "firm_M")
    assert not can_edit_firm(stranger, firm)
    db.session.add(FirmMember(firm_id=firm.id, user_id=stranger.id, role=FirmRole.EDITOR))
    db.session.flush()
    assert can_edit_firm(stranger, firm)
    db.session.rollback()
    assert not can_edit_firm(db.session.get(User, ids["stranger"]), db.session.get(Firm, ids["firm_M"]))


def test_ending_a_term_takes_the_rights_away_in_the_same_request(world):
    users, ids = world
    from portal.clusters.models import CoordinatorTerm

    coordinator, betta = users["coordinator"], factories.cluster("betta")
    assert can_manage_cluster(coordinator, betta)
    for term in db.session.scalars(select(CoordinatorTerm).where(CoordinatorTerm.user_id == coordinator.id)):
        term.ends_on = bangkok_today() - timedelta(days=1)
    db.session.flush()
    assert not can_manage_cluster(coordinator, betta)
    assert not can_moderate_target(coordinator, "firm", load(ids, Firm, "firm_M"))
