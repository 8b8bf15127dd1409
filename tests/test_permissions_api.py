"""Truth tables for the JSON API (issue 23, first phase), on the shared cast (tests/helpers.py): who may
make and revoke personal access tokens, when a token may be used, and what each role's token gets from
each API route.

Awkward rows: an unconfirmed account (no tokens), a suspended account (no tokens, and the tokens it made
before stop working), an erased account, someone else's token (not revocable), an expired or revoked
token (refused even on public routes), a read token asked to write, a hidden firm (its own team and staff
see it through the API as on the page), a members-only firm (signed-out callers see nothing of it).
"""
from datetime import timedelta

import pytest

from portal.api import tokens
from portal.api.models import ApiToken
from portal.db import utcnow
from portal.extensions import db
from portal.permissions import can_manage_api_tokens, can_revoke_api_token, can_use_api_token
from tests.helpers import WHO, load_cast
from tests.test_permissions import table

#              make  revoke_own  revoke_owners
TOKENS = table("""
anonymous      0     0           0
unconfirmed    0     1           0
stranger       1     1           0
owner          1     1           1
editor         1     1           0
owner_of_two   1     1           0
owner_c        1     1           0
coordinator    1     1           0
other_coordinator 1  1           0
ended_coordinator 1  1           0
suspended      0     0           0
staff          1     1           0
admin          1     1           0
owner_h        1     1           0
applicant      1     1           0
""")


@pytest.mark.parametrize("who", WHO)
def test_making_and_revoking_tokens(roles, who):
    user = roles.users[who]
    owners = ApiToken(user_id=roles.users["owner"].id)
    own = ApiToken(user_id=getattr(user, "id", None) or -1)
    answers = [can_manage_api_tokens(user), can_revoke_api_token(user, own), can_revoke_api_token(user, owners)]
    assert answers == TOKENS[who]


#                  read  write   (owner: active / suspended / erased; token: usable / revoked / expired / write scope)
USE = table("""
active_read        1     0
active_write       1     1
revoked            0     0
expired            0     0
suspended_owner    0     0
erased_owner       0     0
""")


@pytest.mark.parametrize("state", list(USE))
def test_using_a_token(roles, state):
    now = utcnow()
    owner = roles.users["suspended" if state == "suspended_owner" else "owner"]
    token = ApiToken(user=owner, can_write=state == "active_write", expires_at=now + timedelta(days=1))
    if state == "revoked":
        token.revoked_at = now
    if state == "expired":
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
}


@pytest.fixture
def api_tokens(app, cast):
    with app.app_context():
        roles = load_cast(cast)
        raw = {}
        for who in ("stranger", "owner", "owner_h", "staff", "revoked", "expired", "suspended"):
            user = roles.users["owner" if who in ("revoked", "expired") else who]
            secret = f"cpt_{who}-token-for-the-truth-table"
            token = ApiToken(user_id=user.id, name=who, token_hash=tokens.digest(secret), hint=secret[:10],
                             expires_at=utcnow() + timedelta(days=1))
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
