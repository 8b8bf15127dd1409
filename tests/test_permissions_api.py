"""Truth tables for the JSON API (issue 23, first phase), on the shared cast (tests/helpers.py): who may
make and revoke personal access tokens, when a token may be used, and what each role's token gets from
each API route.

Awkward rows: an unconfirmed account (no tokens), a suspended account (no tokens, and the tokens it made
before stop working), an erased account, someone else's token (not revocable), an expired or revoked
token (refused even on public routes), a read token asked to write, a hidden firm (its own team and staff
see it through the API as on the page), a members-only firm (signed-out callers see nothing of it).
Writes (phase 2a): the owner of two firms acting on the other, an editor, a hidden firm's own owner, staff
(who see a hidden firm but edit no firm), a coordinator of another cluster or whose term ended, a read-only
token, and a service token with the write scope (which no write rule admits).
"""
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.api import tokens
from portal.api.models import ApiToken, ServiceActor
from portal.clusters.models import Membership, MembershipStatus, Position
from portal.collab.models import CollabRequest, Kind
from portal.db import utcnow
from portal.extensions import db
from portal.permissions import (
    can_edit_firm,
    can_manage_api_tokens,
    can_manage_service_tokens,
    can_revoke_api_token,
    can_use_api_token,
    can_view_firm,
    can_view_firm_contacts,
    is_service_actor,
)
from portal.thai import bangkok_today
from tests import factories
from tests.helpers import WHO, load_cast
from tests.test_permissions import table

#              make  revoke_own  revoke_owners  service_tokens
TOKENS = table("""
anonymous      0     0           0              0
unconfirmed    0     1           0              0
stranger       1     1           0              0
owner          1     1           1              0
editor         1     1           0              0
owner_of_two   1     1           0              0
owner_c        1     1           0              0
coordinator    1     1           0              0
other_coordinator 1  1           0              0
ended_coordinator 1  1           0              0
suspended      0     0           0              0
staff          1     1           0              0
admin          1     1           0              1
owner_h        1     1           0              0
applicant      1     1           0              0
""")


@pytest.mark.parametrize("who", WHO)
def test_making_and_revoking_tokens(roles, who):
    user = roles.users[who]
    owners = ApiToken(user_id=roles.users["owner"].id)
    own = ApiToken(user_id=getattr(user, "id", None) or -1)
    answers = [can_manage_api_tokens(user), can_revoke_api_token(user, own), can_revoke_api_token(user, owners),
               can_manage_service_tokens(user)]
    assert answers == TOKENS[who]


def test_a_service_actor(roles):
    """A service token's actor: signed in, no firm, no cluster, not staff; it sees firms' contacts as staff
    do (a members-only firm's too), never a hidden firm, and edits none (not even with the write scope)."""
    actor = ServiceActor(ApiToken(name="CRM", contact_email="crm@osmep.example", can_write=True))
    firm_a, hidden = roles.firms["A"], roles.firms["H"]
    members_only = factories.firm(name_th="สมาชิกเท่านั้น", public_listing_consent_at=None)
    assert is_service_actor(actor) and not is_service_actor(roles.users["staff"])
    assert not is_service_actor(roles.users["anonymous"])
    assert [can_view_firm(actor, f) for f in (firm_a, members_only, hidden)] == [True, True, False]
    assert [can_view_firm_contacts(actor, f) for f in (firm_a, members_only, hidden)] == [True, True, False]
    assert not can_view_firm_contacts(roles.users["stranger"], members_only)  # what the actor adds
    assert not any(can_edit_firm(actor, f) for f in (firm_a, members_only, hidden))
    assert not can_manage_api_tokens(actor) and not can_manage_service_tokens(actor)


#                  read  write   (owner: active / suspended / erased; token: usable / revoked / expired / write scope)
USE = table("""
active_read        1     0
active_write       1     1
revoked            0     0
expired            0     0
suspended_owner    0     0
erased_owner       0     0
service_read       1     0
service_write      1     1
service_revoked    0     0
service_expired    0     0
""")


@pytest.mark.parametrize("state", list(USE))
def test_using_a_token(roles, state):
    now = utcnow()
    owner = roles.users["suspended" if state == "suspended_owner" else "owner"]
    token = ApiToken(user=None if state.startswith("service") else owner,
                     can_write=state in ("active_write", "service_write"), expires_at=now + timedelta(days=1))
    if state.endswith("revoked"):
        token.revoked_at = now
    if state.endswith("expired"):
        token.expires_at = now - timedelta(seconds=1)
    if state == "erased_owner":
        owner.erased_at = now
    try:
        assert [can_use_api_token(token, now), can_use_api_token(token, now, write=True)] == USE[state]
        assert can_use_api_token(None, now) is False
    finally:
        owner.erased_at = None
        db.session.expunge(token) if token in db.session else None


# --- the routes, per role's token --------------------------------------------------------------------

ROUTES = ("/api/v1/clusters", "/api/v1/firms", "/api/v1/firms/{A}", "/api/v1/firms/{H}", "/api/v1/me",
          "/api/v1/me/firms", "/api/v1/requests", "/api/openapi.json")
#                  clusters firms  A    H    me   me/firms requests spec
ROUTE_TABLE = {
    "anonymous":    (200, 200, 200, 404, 401, 401, 200, 200),
    "stranger":     (200, 200, 200, 404, 200, 200, 200, 200),
    "owner":        (200, 200, 200, 404, 200, 200, 200, 200),
    "owner_h":      (200, 200, 200, 200, 200, 200, 200, 200),
    "staff":        (200, 200, 200, 200, 200, 200, 200, 200),
    "suspended":    (401, 401, 401, 401, 401, 401, 401, 401),  # its old token stopped working
    "revoked":      (401, 401, 401, 401, 401, 401, 401, 401),  # a bad token is refused everywhere
    "expired":      (401, 401, 401, 401, 401, 401, 401, 401),
    "service":      (200, 200, 200, 404, 200, 200, 200, 200),  # an OSMEP system: no hidden firm either
}


@pytest.fixture
def api_tokens(app, cast):
    with app.app_context():
        roles = load_cast(cast)
        raw = {}
        for who in ("stranger", "owner", "owner_h", "staff", "revoked", "expired", "suspended", "service"):
            user = roles.users["owner" if who in ("revoked", "expired") else who] if who != "service" else None
            secret = f"cpt_{who}-token-for-the-truth-table"
            token = ApiToken(user_id=user and user.id, name=who, token_hash=tokens.digest(secret), hint=secret[:10],
                             expires_at=utcnow() + timedelta(days=1), contact_email="crm@osmep.example")
            if who == "revoked":
                token.revoked_at = utcnow()
            if who == "expired":
                token.expires_at = utcnow() - timedelta(minutes=1)
            db.session.add(token)
            raw[who] = secret
        db.session.commit()
        return raw, {name: cast.firms[name] for name in ("A", "H")}


@pytest.mark.parametrize("who", list(ROUTE_TABLE))
def test_api_routes_per_token(client, api_tokens, who):
    raw, firms = api_tokens
    headers = {"Authorization": f"Bearer {raw[who]}"} if who != "anonymous" else {}
    statuses = tuple(client.get(route.format(**firms), headers=headers).status_code for route in ROUTES)
    assert statuses == ROUTE_TABLE[who], dict(zip(ROUTES, statuses, strict=True))


# --- the write routes, per role's write token ---------------------------------------------------------

WRITES = (("PATCH", "/api/v1/firms/{A}", {}), ("PATCH", "/api/v1/firms/{B2}", {}), ("PATCH", "/api/v1/firms/{H}", {}),
          ("POST", "/api/v1/requests", {"firm_id": "{A}", "kind": "seeking_buyers"}),  # no title: 422 once allowed
          ("POST", "/api/v1/requests/{R}/renew", None),
          ("GET", "/api/v1/clusters/betta/membership-requests", None),
          ("POST", "/api/v1/memberships/{N}/approve", None),
          ("POST", "/api/v1/memberships/{C}/decline", {"reason": "ยังไม่ผ่านเกณฑ์"}))
#                      A    B2   H    post renew list approve decline
WRITE_TABLE = {
    "stranger":          (403, 403, 404, 403, 403, 403, 404, 404),
    "owner":             (200, 403, 404, 422, 200, 403, 404, 404),
    "editor":            (200, 403, 404, 422, 200, 403, 404, 404),
    "owner_of_two":      (403, 200, 404, 403, 403, 403, 404, 404),  # B2 is theirs, A is not
    "coordinator":       (403, 403, 404, 403, 403, 200, 200, 200),
    "other_coordinator": (403, 403, 404, 403, 403, 403, 404, 404),  # Cosplay's: Betta's queue is not theirs
    "ended_coordinator": (403, 403, 404, 403, 403, 403, 404, 404),
    "staff":             (403, 403, 403, 403, 403, 200, 200, 200),  # sees hidden H, edits no firm
    "admin":             (403, 403, 403, 403, 403, 200, 200, 200),
    "owner_h":           (403, 403, 200, 403, 403, 403, 404, 404),  # edits its own hidden firm, as on the page
    "suspended":         (401, 401, 401, 401, 401, 401, 401, 401),
    "owner_read":        (403, 403, 403, 403, 403, 403, 403, 403),  # a read-only token writes nothing
    "service":           (403, 403, 404, 403, 403, 403, 404, 404),  # no write rule admits a system
}


@pytest.fixture
def write_world(app, cast):
    with app.app_context():
        roles = load_cast(cast)
        betta = roles.clusters["betta"]
        posted = CollabRequest(firm_id=roles.firms["A"].id, cluster_id=betta.id, kind=Kind.SEEKING_SUPPLIER,
                               title_th="หาปลากัด", expires_on=bangkok_today() + timedelta(days=30))
        asking = factories.membership(roles.firms["C"], betta, Position.UPSTREAM, status=MembershipStatus.PENDING)
        db.session.add(posted)
        raw = {}
        for who in WRITE_TABLE:
            user = None if who == "service" else roles.users["owner" if who == "owner_read" else who]
            secret = f"cpt_{who}-write-token-for-the-truth-table"
            db.session.add(ApiToken(user_id=user and user.id, name=who, token_hash=tokens.digest(secret),
                                    hint=secret[:10], can_write=who != "owner_read",
                                    expires_at=utcnow() + timedelta(days=1), contact_email="crm@osmep.example"))
            raw[who] = secret
        db.session.flush()
        pending = db.session.scalar(select(Membership.id).where(Membership.firm_id == roles.firms["N"].id))
        ids = {"A": roles.firms["A"].id, "B2": roles.firms["B2"].id, "H": roles.firms["H"].id, "R": posted.id,
               "N": pending, "C": asking.id}
        db.session.commit()
        return raw, ids


@pytest.mark.parametrize("who", list(WRITE_TABLE))
def test_api_write_routes_per_token(client, write_world, who):
    raw, ids = write_world
    statuses = []
    for method, url, body in WRITES:
        payload = {key: int(value.format(**ids)) if key == "firm_id" else value for key, value in body.items()} \
            if body is not None else None
        response = client.open(url.format(**ids), method=method, json=payload,
                               headers={"Authorization": f"Bearer {raw[who]}"})
        statuses.append(response.status_code)
    assert tuple(statuses) == WRITE_TABLE[who], dict(zip([w[1] for w in WRITES], statuses, strict=True))
