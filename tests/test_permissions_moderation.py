"""Moderation and conflict-of-interest rules (issue #14) as truth tables: who (rows) × target (columns).

The world is tests/moderation_world.py. The rows the pentest found missing: a coordinator acting on their
own firm (coordinator_own: owner of C and C2, editor of P), the owner of two firms (poster: P and X),
hidden targets (firm H, request Q_hidden), and reported vs unreported thread content (m2/resp2 vs m1/resp1).
"""
from decimal import Decimal

import pytest
from flask_login import AnonymousUserMixin

from portal.auth.models import User
from portal.clusters.models import Membership
from portal.collab.models import (
    CloseReason,
    CollabRequest,
    Kind,
    Message,
    Outcome,
    OutcomeKind,
    RequestStatus,
    Response,
)
from portal.db import utcnow
from portal.extensions import db
from portal.firms.models import Firm
from portal.permissions import (
    can_confirm_outcome,
    can_decide_membership,
    can_moderate_target,
    can_report_target,
    can_respond,
    can_restore_target,
    can_set_confirmation_threshold,
    can_verify_firm,
    can_view_request,
)
from portal.thai import bangkok_today
from tests import moderation_world
from tests.test_permissions import table

WHO = ["anonymous", "stranger", "poster", "responder", "coordinator", "coordinator_own", "other_coordinator",
       "staff"]


@pytest.fixture
def world(app):
    with app.app_context():
        ids = moderation_world.build()
    with app.test_request_context("/"):
        users = {who: AnonymousUserMixin() if who == "anonymous" else db.session.get(User, ids[who])
                 for who in WHO + ["member"]}
        yield users, ids


def load(ids, model, name):
    return db.session.get(model, ids[name])


def check(users, expected, cells):
    """cells: one callable per column, taking the user."""
    assert set(expected) <= set(users)
    actual = {who: [bool(cell(users[who])) for cell in cells] for who in expected}
    assert actual == expected


#                      firm_P firm_C firm_M request resp1  resp2     m1     m2
#                                                  unrep. reported unrep. reported
MODERATE = table("""
anonymous              0      0      0      0       0      0        0      0
stranger               0      0      0      0       0      0        0      0
poster                 0      0      0      0       0      0        0      0
responder              0      0      0      0       0      0        0      0
coordinator            1      1      1      1       0      1        0      1
coordinator_own        0      0      1      0       0      0        0      0
other_coordinator      0      0      0      0       0      0        0      0
staff                  1      1      1      1       1      1        1      1
""")


def test_can_moderate_target(world):
    users, ids = world
    targets = [("firm", Firm, "firm_P"), ("firm", Firm, "firm_C"), ("firm", Firm, "firm_M"),
               ("request", CollabRequest, "request"), ("response", Response, "resp1"),
               ("response", Response, "resp2"), ("message", Message, "m1"), ("message", Message, "m2")]
    check(users, MODERATE, [lambda u, t=t, m=m, n=n: can_moderate_target(u, t, load(ids, m, n))
                            for t, m, n in targets])


#                      by staff  by coordinator  own firm C by coordinator  suspended owner's  not hidden
RESTORE = table("""
anonymous              0         0               0                          0                  0
poster                 0         0               0                          0                  0
coordinator            0         1               1                          0                  0
coordinator_own        0         1               0                          0                  0
other_coordinator      0         0               0                          0                  0
staff                  1         1               1                          1                  0
""")


def test_can_restore_target(world):
    """What OSMEP staff hid, only staff restore; nobody restores their own firm but staff."""
    users, ids = world
    firms = {name: load(ids, Firm, f"firm_{name}") for name in "MRCXP"}
    now = utcnow()
    firms["M"].hidden_at, firms["M"].hidden_by_id = now, ids["staff"]
    firms["R"].hidden_at, firms["R"].hidden_by_id = now, ids["coordinator"]
    firms["C"].hidden_at, firms["C"].hidden_by_id = now, ids["coordinator"]
    firms["X"].hidden_at, firms["X"].hidden_by_id, firms["X"].hidden_for_suspension_of = now, None, ids["poster"]
    db.session.flush()
    check(users, RESTORE, [lambda u, f=firms[name]: can_restore_target(u, "firm", f) for name in "MRCXP"])


#                      firm_P  firm_H   request  request   resp1  m1      m2
#                              hidden            hidden          (by R)  (by P)
REPORT = table("""
anonymous              0       0        0        0         0      0       0
stranger               1       0        1        0         0      0       0
poster                 0       0        0        0         1      1       0
responder              1       0        1        0         0      0       1
coordinator            1       0        1        1         0      0       0
other_coordinator      1       0        1        0         0      0       0
staff                  1       1        1        1         1      1       1
""")


def test_can_report_target(world):
    """Report what you can see: firms and requests by their pages' rules, messages iff their thread; never
    what one's own firm wrote."""
    users, ids = world
    targets = [("firm", Firm, "firm_P"), ("firm", Firm, "firm_H"), ("request", CollabRequest, "request"),
               ("request", CollabRequest, "request_hidden"), ("response", Response, "resp1"),
               ("message", Message, "m1"), ("message", Message, "m2")]
    check(users, REPORT, [lambda u, t=t, m=m, n=n: can_report_target(u, t, load(ids, m, n)) for t, m, n in targets])


VIEW_REQUEST = {"anonymous": [True, False], "stranger": [True, False], "poster": [True, True],
                "responder": [True, False], "coordinator": [True, True], "coordinator_own": [True, True],
                "other_coordinator": [True, False], "staff": [True, True]}


def test_can_view_request_hidden(world):
    users, ids = world
    check(users, VIEW_REQUEST, [lambda u, n=n: can_view_request(u, load(ids, CollabRequest, n))
                                for n in ("request", "request_hidden")])


# Responding: finding 9 (a hidden request takes no response) and finding 5 (nobody on the posting firm's
# team responds, from whichever of their firms).
@pytest.mark.parametrize(("who", "firm", "target", "allowed"), [
    ("member", "firm_M", "request", True),
    ("responder", "firm_R", "request", True),
    ("responder", "firm_R", "request_hidden", False),
    ("member", "firm_M", "request_hidden", False),
    ("poster", "firm_P", "request", False),
    ("poster", "firm_X", "request", False),
    ("coordinator_own", "firm_C", "request", False),
    ("coordinator_own", "firm_C2", "request", False),
    ("staff", "firm_R", "request", False),
], ids=lambda value: str(value))
def test_can_respond(world, who, firm, target, allowed):
    users, ids = world
    assert can_respond(users[who], load(ids, CollabRequest, target), load(ids, Firm, firm)) is allowed


#                      firm_P  firm_C  firm_M
VERIFY = table("""
anonymous              0       0       0
poster                 0       0       0
coordinator            1       1       1
coordinator_own        0       0       1
other_coordinator      0       0       0
staff                  1       1       1
""")


def test_can_verify_firm(world):
    users, ids = world
    check(users, VERIFY, [lambda u, n=n: can_verify_firm(u, load(ids, Firm, n))
                          for n in ("firm_P", "firm_C", "firm_M")])


#                      own firm's   own firm's   another firm's
#                      pending (C2) member (C)   pending (N)
DECIDE_MEMBERSHIP = table("""
anonymous              0            0            0
poster                 0            0            0
coordinator            1            1            1
coordinator_own        0            0            1
other_coordinator      0            0            0
staff                  1            1            1
""")


def test_can_decide_membership(world):
    users, ids = world
    check(users, DECIDE_MEMBERSHIP, [lambda u, n=n: can_decide_membership(u, load(ids, Membership, n))
                                     for n in ("own_pending", "own_membership", "other_pending")])


def _outcome(ids, poster_firm, partner_firm, value):
    request = CollabRequest(firm_id=ids[poster_firm], cluster_id=ids["betta"], kind=Kind.JOINT_SELLING,
                            title_th="ขายร่วมกัน", expires_on=bangkok_today(), fiscal_year=2569,
                            status=RequestStatus.CLOSED, close_reason=CloseReason.PARTNERED)
    db.session.add(request)
    db.session.flush()
    outcome = Outcome.of_request(request, partner_firm_id=ids[partner_firm], value_baht=Decimal(value),
                      kind=OutcomeKind.NEW_SALES, fiscal_year=2569)
    db.session.add(outcome)
    db.session.flush()
    return outcome


#                      M with R    posted by C  partner P    M with R, above the
#                      500,000     (own firm)   (own firm)   10 million threshold
CONFIRM = table("""
anonymous              0           0            0            0
poster                 0           0            0            0
coordinator            1           1            1            0
coordinator_own        1           0            0            0
other_coordinator      0           0            0            0
staff                  1           1            1            1
""")


def test_can_confirm_outcome(world):
    users, ids = world
    outcomes = [_outcome(ids, "firm_M", "firm_R", 500_000), _outcome(ids, "firm_C", "firm_M", 500_000),
                _outcome(ids, "firm_M", "firm_P", 500_000), _outcome(ids, "firm_M", "firm_R", "10000000.01")]
    check(users, CONFIRM, [lambda u, o=o: can_confirm_outcome(u, o) for o in outcomes])


def test_only_staff_set_the_confirmation_threshold(world):
    users, _ids = world
    assert {who: can_set_confirmation_threshold(users[who]) for who in WHO} == {
        who: who == "staff" for who in WHO}
