"""Every permission rule as a truth table: who (rows) × firm state (columns) → allowed."""
import pytest

from portal.db import utcnow
from portal.extensions import db
from portal.permissions import (
    can_create_firm,
    can_edit_firm,
    can_manage_firm_team,
    can_view_firm,
    can_view_firm_contacts,
)
from tests import factories

WHO = ["anonymous", "unconfirmed", "stranger", "editor", "owner", "staff", "suspended"]
STATES = ["public", "members_only", "hidden"]


@pytest.fixture
def firms(roles):
    """One firm in each state, on top of the cast (tests/helpers.py): the cast's owner owns each one, its
    editor edits each one, and the suspended user owns each one too."""
    firms = {
        "public": factories.firm(),
        "members_only": factories.firm(public_listing_consent_at=None),
        "hidden": factories.firm(hidden_at=utcnow()),
    }
    for firm in firms.values():
        factories.team_member(firm, roles.users["owner"], "owner")
        factories.team_member(firm, roles.users["editor"], "editor")
        factories.team_member(firm, roles.users["suspended"], "owner")
    db.session.commit()
    return firms


def table(rows: str) -> dict[str, list[bool]]:
    """Parse 'who  1 0 1' lines into {who: [bools per state]}."""
    parsed = {}
    for line in rows.strip().splitlines():
        who, *cells = line.split()
        parsed[who] = [cell == "1" for cell in cells]
    return parsed


#                       public members_only hidden
VIEW = table("""
anonymous               1      0            0
unconfirmed             1      1            0
stranger                1      1            0
editor                  1      1            1
owner                   1      1            1
staff                   1      1            1
suspended               1      0            0
""")

CONTACTS = table("""
anonymous               0      0            0
unconfirmed             1      0            0
stranger                1      0            0
editor                  1      1            1
owner                   1      1            1
staff                   1      1            1
suspended               0      0            0
""")

EDIT = table("""
anonymous               0      0            0
unconfirmed             0      0            0
stranger                0      0            0
editor                  1      1            1
owner                   1      1            1
staff                   0      0            0
suspended               0      0            0
""")

MANAGE_TEAM = table("""
anonymous               0      0            0
unconfirmed             0      0            0
stranger                0      0            0
editor                  0      0            0
owner                   1      1            1
staff                   0      0            0
suspended               0      0            0
""")

CREATE = {"anonymous": False, "unconfirmed": False, "stranger": True, "editor": True, "owner": True,
          "staff": True, "suspended": False}


@pytest.mark.parametrize("rule, expected", [
    (can_view_firm, VIEW),
    (can_view_firm_contacts, CONTACTS),
    (can_edit_firm, EDIT),
    (can_manage_firm_team, MANAGE_TEAM),
], ids=["view", "contacts", "edit", "manage_team"])
def test_firm_rules(roles, firms, rule, expected):
    users = roles.users
    assert set(expected) == set(WHO)
    actual = {who: [rule(users[who], firms[state]) for state in STATES] for who in WHO}
    assert actual == expected


def test_create_rule(roles):
    users = roles.users
    assert {who: can_create_firm(users[who]) for who in WHO} == CREATE
