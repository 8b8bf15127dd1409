"""LINE Login's rules as a truth table: who (rows) × what (columns) → allowed.

    member            signed in, no LINE link
    linked            linked to LINE, has a password
    line_only         linked to LINE, no password (made through LINE)
    suspended         suspended, no LINE link
    suspended_linked  suspended, linked to LINE
    unconfirmed       e-mail address not confirmed, no LINE link

Columns: sign in with LINE; start linking (nothing known of the LINE account yet); link a LINE account that is
free; link a LINE account linked to someone else; unlink their own link.
"""
import pytest
from flask_login import AnonymousUserMixin

from portal.auth.services import unusable_password
from portal.db import utcnow
from portal.extensions import db
from portal.line.models import LineAccount
from portal.permissions import can_link_line, can_sign_in_with_line, can_unlink_line
from tests import factories
from tests.test_permissions import table

#                   sign_in  start_link  link_free  link_taken  unlink
RULES = table("""
anonymous           0        0           0          0           0
member              1        1           1          0           0
unconfirmed         1        1           1          0           0
linked              1        0           0          0           1
line_only           1        0           0          0           0
suspended           0        0           0          0           0
suspended_linked    0        0           0          0           0
""")
COLUMNS = ("sign_in", "start_link", "link_free", "link_taken", "unlink")


@pytest.fixture
def world(ctx):
    """The rows' users and their links, and a LINE account linked to someone else."""
    users = {"anonymous": AnonymousUserMixin()}
    links = {"anonymous": None}
    for n, who in enumerate([*RULES][1:], start=1):
        user = factories.user(email=f"{who}@example.com", suspended=who.startswith("suspended"),
                              confirmed=who != "unconfirmed")
        if who == "line_only":
            user.password_hash = unusable_password()
        users[who], links[who] = user, None
        if who in ("linked", "line_only", "suspended_linked"):
            links[who] = LineAccount(user_id=user.id, line_user_id=f"U{n:032x}", linked_at=utcnow())
            db.session.add(links[who])
    someone = factories.user(email="someone@example.com")
    taken = LineAccount(user_id=someone.id, line_user_id=f"U{99:032x}", linked_at=utcnow())
    db.session.add(taken)
    db.session.flush()
    return users, links, taken


@pytest.mark.parametrize("who", RULES)
def test_line_rules(world, who):
    users, links, taken = world
    user, own = users[who], links[who]
    answers = {
        "sign_in": can_sign_in_with_line(user) if who != "anonymous" else can_sign_in_with_line(None),
        "start_link": can_link_line(user, own),
        "link_free": can_link_line(user, own, None),
        "link_taken": can_link_line(user, own, taken),
        "unlink": can_unlink_line(user, own),
    }
    assert [answers[column] for column in COLUMNS] == RULES[who], who


def test_nobody_unlinks_someone_elses_line_account(world):
    users, _links, taken = world
    assert not can_unlink_line(users["linked"], taken)
    assert not can_unlink_line(users["member"], taken)


def test_an_account_without_a_password_says_so(world):
    users, _links, _taken = world
    assert not users["line_only"].has_password and users["linked"].has_password
