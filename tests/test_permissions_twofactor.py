"""Who must use a second factor, as a truth table: who (rows) × TWO_FACTOR_REQUIRED_ROLES (columns).

    member             an ordinary account
    staff / admin      OSMEP staff roles
    coordinator        a coordinator term covering today
    past_coordinator   a term that ended yesterday (no longer required)
    suspended_staff    staff, suspended (cannot sign in: never asked)

Columns: the production default (staff,admin,coordinator); staff only; none (the test default); coordinator only.
"""
from datetime import timedelta

import pytest
from flask_login import AnonymousUserMixin

from portal.auth.models import Role
from portal.permissions import must_use_two_factor
from portal.thai import bangkok_today
from tests import factories
from tests.test_permissions import table

#                   default  staff_only  none  coordinator_only
RULES = table("""
anonymous           0        0           0     0
member              0        0           0     0
staff               1        1           0     0
admin               1        0           0     0
coordinator         1        0           0     1
past_coordinator    0        0           0     0
suspended_staff     0        0           0     0
""")
SETTINGS = (("staff", "admin", "coordinator"), ("staff",), (), ("coordinator",))


@pytest.fixture
def world(ctx):
    users = {"anonymous": AnonymousUserMixin()}
    cluster = factories.cluster()
    today = bangkok_today()
    for who in [*RULES][1:]:
        role = {"staff": Role.STAFF, "admin": Role.ADMIN, "suspended_staff": Role.STAFF}.get(who)
        users[who] = factories.user(email=f"{who}@example.com", role=role, suspended=who == "suspended_staff")
    factories.term(users["coordinator"], cluster, starts_on=today - timedelta(days=30))
    factories.term(users["past_coordinator"], cluster, starts_on=today - timedelta(days=60),
                   ends_on=today - timedelta(days=1))
    return users


@pytest.mark.parametrize("who", [*RULES])
def test_must_use_two_factor(ctx, world, who, monkeypatch):
    for setting, expected in zip(SETTINGS, RULES[who], strict=True):
        monkeypatch.setitem(ctx.config, "TWO_FACTOR_REQUIRED_ROLES", setting)
        assert must_use_two_factor(world[who]) is expected, (who, setting)
