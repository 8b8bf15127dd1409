"""Truth tables for the rules no other test named: one row per (who, target, state) → the exact answer.

Who is the shared cast (tests/helpers.py). On top of it, the `deals` fixture builds, in cluster X (Betta):

    req_A       firm A's open request (A and B are members-only here: no public listing)
    B_to_A      firm B's response to it (B is owned by owner_of_two)
    req_B       firm B's open request;  B2_to_B: firm B2's response to it, both firms of owner_of_two (a
                response can_respond would refuse today; it exists if the firms came under one owner later)
    outcomes    partnerships reported on closed requests, 500,000 baht each:
                A_with_B, K_with_B (posted by the coordinator's own firm K), A_with_K (partner K),
                C_with_B (posted by firm C, of cluster Y: Cosplay)

and `unconfirmed` is an editor of firm A (the cast's `suspended` is one already). A state changes one thing
before the rule is asked: the request or response closed, expired, hidden; a counterpart listed publicly or
hidden; the user suspended; an outcome's value at or above the staff threshold, or its request open to all
clusters.
"""
from datetime import timedelta
from decimal import Decimal

import pytest

from portal.admin.services import staff_confirmation_threshold
from portal.clusters.models import Membership, MembershipStatus
from portal.collab.models import (
    CloseReason,
    CollabRequest,
    Kind,
    Outcome,
    OutcomeKind,
    RequestStatus,
    Response,
    ResponseStatus,
)
from portal.db import utcnow
from portal.extensions import db
from portal.permissions import (
    can_confirm_outcome,
    can_decide_response,
    can_edit_glossary,
    can_manage_outbox,
    can_manage_request,
    can_see_counterpart_contacts,
    can_verify_firm,
    can_view_dashboard,
    is_coordinator,
)
from portal.thai import bangkok_today
from tests import factories


def _request(firm, cluster, **values):
    request = CollabRequest(firm_id=firm.id, cluster_id=cluster.id, kind=Kind.SEEKING_SUPPLIER,
                            title_th=f"คำขอของ {firm.name_en}", expires_on=bangkok_today() + timedelta(days=30),
                            fiscal_year=2569, **values)
    db.session.add(request)
    db.session.flush()
    return request


def _response(request, firm, user):
    response = Response(request_id=request.id, firm_id=firm.id, created_by_id=user.id)
    db.session.add(response)
    db.session.flush()
    return response


def _outcome(poster, partner, cluster):
    request = _request(poster, cluster, status=RequestStatus.CLOSED, close_reason=CloseReason.PARTNERED,
                       closed_at=utcnow())
    outcome = Outcome.of_request(request, partner_firm_id=partner.id, value_baht=Decimal(500_000),
                      kind=OutcomeKind.NEW_SALES, fiscal_year=2569)
    db.session.add(outcome)
    db.session.flush()
    return outcome


@pytest.fixture
def deals(roles):
    users, firms, betta = roles.users, roles.firms, roles.clusters["betta"]
    factories.team_member(firms["A"], users["unconfirmed"], "editor")
    firms["A"].public_listing_consent_at = firms["B"].public_listing_consent_at = None
    req_a, req_b = _request(firms["A"], betta), _request(firms["B"], betta)
    objects = {"req_A": req_a, "req_B": req_b, "B_to_A": _response(req_a, firms["B"], users["owner_of_two"]),
               "B2_to_B": _response(req_b, firms["B2"], users["owner_of_two"])}
    for name, poster, partner, cluster in (("A_with_B", "A", "B", "betta"), ("K_with_B", "K", "B", "betta"),
                                           ("A_with_K", "A", "K", "betta"), ("C_with_B", "C", "B", "cosplay")):
        objects[name] = _outcome(firms[poster], firms[partner], roles.clusters[cluster])
    db.session.commit()
    return objects


def _hide(obj, staff):
    obj.hidden_at, obj.hidden_by_id, obj.hidden_reason = utcnow(), staff.id, "ไม่เหมาะสม"


def _request_of(target):
    return db.session.get(CollabRequest, target.request_id) if isinstance(target, (Response, Outcome)) else target


def _close(request):
    request.status, request.close_reason, request.closed_at = RequestStatus.CLOSED, CloseReason.WITHDRAWN, utcnow()


STATES = {
    "": lambda roles, user, target: None,
    "suspended": lambda roles, user, target: setattr(user, "suspended_at", utcnow()),
    "request closed": lambda roles, user, target: _close(_request_of(target)),
    "request expired": lambda roles, user, target: setattr(_request_of(target), "expires_on",
                                                           bangkok_today() - timedelta(days=1)),
    "request hidden": lambda roles, user, target: _hide(_request_of(target), roles.users["staff"]),
    "response hidden": lambda roles, user, target: _hide(target, roles.users["staff"]),
    "accepted": lambda roles, user, target: setattr(target, "status", ResponseStatus.ACCEPTED),
    "declined": lambda roles, user, target: setattr(target, "status", ResponseStatus.DECLINED),
    "at the threshold": lambda roles, user, target: setattr(target, "value_baht", staff_confirmation_threshold()),
    "above the threshold": lambda roles, user, target: setattr(
        target, "value_baht", staff_confirmation_threshold() + Decimal("0.01")),
    "open to all clusters": lambda roles, user, target: (setattr(_request_of(target), "cluster_id", None),
                                                         setattr(target, "cluster_id", None)),
    # An agreement answered to a follow-up: no request of its own; its firm, partner and cluster decide.
    "from a follow-up": lambda roles, user, target: setattr(target, "request_id", None),
}


def row_id(value) -> str:
    return "as built" if value == "" else str(value)


def prepare(roles, who, target, *states):
    """Apply the row's states (names in STATES, joined by ' + ') and flush; return the user."""
    user = roles.users[who]
    for state in states:
        for part in state.split(" + "):
            STATES[part](roles, user, target)
    db.session.flush()
    return user


# --- can_manage_request: the posting firm's team edits, renews and closes it ------------------------

@pytest.mark.parametrize(("who", "target", "state", "allowed"), [
    ("anonymous", "req_A", "", False),
    ("stranger", "req_A", "", False),
    ("owner", "req_A", "", True),
    ("editor", "req_A", "", True),
    ("unconfirmed", "req_A", "", True),           # an editor whose address is not confirmed still manages it
    ("suspended", "req_A", "", False),            # editor of A, suspended
    ("owner", "req_A", "suspended", False),
    ("owner_of_two", "req_A", "", False),         # answered it: not its poster
    ("owner_of_two", "req_B", "", True),
    ("owner", "req_B", "", False),
    ("owner", "req_A", "request closed", True),   # closed, it is still theirs (to renew)
    ("owner", "req_A", "request hidden", True),   # hidden by staff, its team still fixes it
    ("coordinator", "req_A", "", False),          # coordinates X, but does not speak for firm A
    ("ended_coordinator", "req_A", "", False),
    ("staff", "req_A", "", False),                # staff moderate requests, they do not manage them
    ("admin", "req_A", "", False),
    ("owner_c", "req_A", "", False),
], ids=row_id)
def test_can_manage_request(roles, deals, who, target, state, allowed):
    user = prepare(roles, who, deals[target], state)
    assert can_manage_request(user, deals[target]) is allowed


# --- can_decide_response: the posting firm shortlists, accepts, declines while the request is open ---

@pytest.mark.parametrize(("who", "response", "state", "allowed"), [
    ("anonymous", "B_to_A", "", False),
    ("stranger", "B_to_A", "", False),
    ("owner", "B_to_A", "", True),
    ("editor", "B_to_A", "", True),
    ("unconfirmed", "B_to_A", "", True),          # editor of A: the rule asks for no confirmed address
    ("suspended", "B_to_A", "", False),
    ("owner", "B_to_A", "suspended", False),
    ("owner_of_two", "B_to_A", "", False),        # the responder never decides on its own response
    ("owner", "B_to_A", "request closed", False),
    ("owner", "B_to_A", "request expired", True),  # still open until the expiry job closes it
    ("owner", "B_to_A", "request hidden", True),
    ("owner", "B_to_A", "response hidden", False),  # out of the posting firm's sight: not decided on either
    ("owner", "B_to_A", "accepted", True),        # while open, a decision can be changed
    # Two firms of one owner: can_respond refuses B2 on B's request, but a response that exists is decided
    # by B's team, which is B2's owner.
    ("owner_of_two", "B2_to_B", "", True),
    ("owner", "B2_to_B", "", False),
    ("coordinator", "B_to_A", "", False),
    ("staff", "B_to_A", "", False),
    ("admin", "B_to_A", "", False),
], ids=row_id)
def test_can_decide_response(roles, deals, who, response, state, allowed):
    user = prepare(roles, who, deals[response], state)
    assert can_decide_response(user, deals[response]) is allowed


# --- can_see_counterpart_contacts: each side sees the other's contacts once accepted, or if public ---

@pytest.mark.parametrize(("who", "counterpart", "state", "allowed"), [
    ("owner", "B", "", False),                    # pending, B members-only
    ("owner", "B", "accepted", True),
    ("owner", "B", "declined", False),
    ("editor", "B", "accepted", True),
    ("unconfirmed", "B", "accepted", True),       # editor of A
    ("suspended", "B", "accepted", False),
    ("owner", "B", "accepted + suspended", False),
    ("owner_of_two", "A", "", False),
    ("owner_of_two", "A", "accepted", True),
    ("owner", "B", "public", True),               # B listed publicly: its contacts are public anyway
    ("owner", "B", "counterpart hidden", False),
    ("owner", "B", "accepted + counterpart hidden", True),  # a deal made stays a deal
    ("owner", "B", "accepted + response hidden", False),    # the posting side no longer sees the thread
    ("owner_of_two", "A", "accepted + response hidden", True),  # the responding side still does
    ("owner_of_two", "A", "accepted + request hidden", True),
    ("stranger", "B", "accepted", False),
    ("stranger", "B", "public", False),           # public contacts, but not their thread
    ("coordinator", "B", "accepted", False),
    ("anonymous", "B", "accepted", False),
    ("staff", "B", "", True),
    ("admin", "A", "", True),
], ids=row_id)
def test_can_see_counterpart_contacts(roles, deals, who, counterpart, state, allowed):
    response, firm = deals["B_to_A"], roles.firms[counterpart]
    states = state.split(" + ")
    if "public" in states:
        firm.public_listing_consent_at = factories.CONSENTED
    if "counterpart hidden" in states:
        _hide(firm, roles.users["staff"])
    user = prepare(roles, who, response, *(s for s in states if s not in ("public", "counterpart hidden")))
    assert can_see_counterpart_contacts(user, response, firm) is allowed


# --- can_verify_firm: staff, and coordinators of the firm's clusters unless it is their own ----------

def _pending(firm):
    membership = db.session.scalar(db.select(Membership).where(Membership.firm_id == firm.id))
    membership.status = MembershipStatus.PENDING


@pytest.mark.parametrize(("who", "firm", "state", "allowed"), [
    ("anonymous", "A", "", False),
    ("unconfirmed", "A", "", False),
    ("owner", "A", "", False),
    ("suspended", "A", "", False),
    ("coordinator", "A", "", True),
    ("coordinator", "A", "pending", False),       # not (yet) a member of X
    ("coordinator", "A", "suspended", False),
    ("coordinator", "K", "", False),              # their own firm: OSMEP staff decide
    ("coordinator", "C", "", False),              # another cluster's member
    ("coordinator", "H", "", True),               # hidden, still a member of X
    ("other_coordinator", "C", "", True),
    ("other_coordinator", "A", "", False),
    ("ended_coordinator", "A", "", False),
    ("staff", "A", "", True),
    ("staff", "A", "pending", True),
    ("staff", "H", "", True),
    ("staff", "A", "suspended", False),
    ("admin", "K", "", True),
], ids=row_id)
def test_can_verify_firm(roles, deals, who, firm, state, allowed):
    target = roles.firms[firm]
    if state == "pending":
        _pending(target)
    user = prepare(roles, who, target, *([state] if state != "pending" else []))
    assert can_verify_firm(user, target) is allowed


# --- can_view_dashboard: staff see every cluster's figures, coordinators during a term their own ----

@pytest.mark.parametrize(("who", "state", "allowed"), [
    ("anonymous", "", False),
    ("unconfirmed", "", False),
    ("stranger", "", False),
    ("owner", "", False),
    ("owner_of_two", "", False),
    ("coordinator", "", True),
    ("coordinator", "suspended", False),
    ("other_coordinator", "", True),
    ("ended_coordinator", "", False),
    ("suspended", "", False),
    ("staff", "", True),
    ("staff", "suspended", False),
    ("admin", "", True),
], ids=row_id)
def test_can_view_dashboard(roles, who, state, allowed):
    user = prepare(roles, who, None, state)
    assert can_view_dashboard(user) is allowed


# --- can_confirm_outcome: staff any value; a coordinator of the request's cluster up to the threshold,
# never for a partnership their own firm is part of ------------------------------------------------------

@pytest.mark.parametrize(("who", "outcome", "state", "allowed"), [
    ("anonymous", "A_with_B", "", False),
    ("owner", "A_with_B", "", False),             # the poster reports it, never confirms it
    ("owner_of_two", "A_with_B", "", False),      # nor the partner
    ("coordinator", "A_with_B", "", True),
    ("coordinator", "A_with_B", "at the threshold", True),
    ("coordinator", "A_with_B", "above the threshold", False),
    ("coordinator", "A_with_B", "suspended", False),
    ("coordinator", "A_with_B", "open to all clusters", False),
    ("coordinator", "A_with_B", "from a follow-up", True),
    ("coordinator", "K_with_B", "from a follow-up", False),  # their firm reported it
    ("coordinator", "C_with_B", "from a follow-up", False),
    ("coordinator", "K_with_B", "", False),       # their firm posted it
    ("coordinator", "A_with_K", "", False),       # their firm is the partner
    ("coordinator", "C_with_B", "", False),       # another cluster's request
    ("other_coordinator", "C_with_B", "", True),
    ("other_coordinator", "A_with_B", "", False),
    ("ended_coordinator", "A_with_B", "", False),
    ("suspended", "A_with_B", "", False),
    ("staff", "A_with_B", "above the threshold", True),
    ("staff", "A_with_B", "open to all clusters", True),
    ("staff", "K_with_B", "", True),
    ("staff", "A_with_B", "suspended", False),
    ("admin", "A_with_K", "above the threshold", True),
], ids=row_id)
def test_can_confirm_outcome(roles, deals, who, outcome, state, allowed):
    user = prepare(roles, who, deals[outcome], state)
    assert can_confirm_outcome(user, deals[outcome]) is allowed


# --- is_coordinator: a term covering the day, for that cluster ------------------------------------------

@pytest.mark.parametrize(("who", "cluster", "days_ago", "state", "allowed"), [
    ("coordinator", "betta", 0, "", True),
    ("coordinator", "cosplay", 0, "", False),
    ("coordinator", "betta", 0, "suspended", False),
    ("coordinator", "betta", 31, "", False),      # before the term began (30 days ago)
    ("ended_coordinator", "betta", 0, "", False),
    ("ended_coordinator", "betta", 1, "", True),  # the last day of the term
    ("other_coordinator", "cosplay", 0, "", True),
    ("staff", "betta", 0, "", False),             # staff manage clusters, they do not coordinate them
    ("owner", "betta", 0, "", False),
    ("anonymous", "betta", 0, "", False),
], ids=row_id)
def test_is_coordinator(roles, who, cluster, days_ago, state, allowed):
    user = prepare(roles, who, None, state)
    assert is_coordinator(user, roles.clusters[cluster], bangkok_today() - timedelta(days=days_ago)) is allowed


# --- can_manage_outbox: OSMEP staff only ------------------------------------------------------------------

@pytest.mark.parametrize(("who", "state", "allowed"), [
    ("anonymous", "", False),
    ("owner", "", False),
    ("coordinator", "", False),
    ("staff", "", True),
    ("staff", "suspended", False),
    ("admin", "", True),
], ids=row_id)
def test_can_manage_outbox(roles, who, state, allowed):
    user = prepare(roles, who, None, state)
    assert can_manage_outbox(user) is allowed


# --- can_edit_glossary: OSMEP staff and administrators keep the search glossary -------------------------

@pytest.mark.parametrize(("who", "state", "allowed"), [
    ("anonymous", "", False),
    ("stranger", "", False),
    ("owner", "", False),
    ("editor", "", False),
    ("coordinator", "", False),
    ("other_coordinator", "", False),
    ("staff", "", True),
    ("staff", "suspended", False),
    ("admin", "", True),
    ("admin", "suspended", False),
], ids=row_id)
def test_can_edit_glossary(roles, who, state, allowed):
    user = prepare(roles, who, None, state)
    assert can_edit_glossary(user) is allowed
