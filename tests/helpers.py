"""What the tests share besides fixtures: signing a test client in (with proof), reading a response's text,
and the usual cast of users and firms (built here, offered as the `cast` and `roles` fixtures in conftest).

The cast (e-mail addresses are `<name>@example.com`; clusters X = Betta, Y = Cosplay):

    unconfirmed         e-mail address not confirmed, no firm
    stranger            confirmed, no firm
    owner               owner of firm A (X member)                  editor      editor of firm A
    owner_of_two        owner of firms B and B2 (both X members)
    owner_c             owner of firm C (Y member: another cluster)
    coordinator         coordinator of X (term covering today); owner of firm K (X member)
    other_coordinator   coordinator of Y (no firm)
    ended_coordinator   coordinator of X whose term ended yesterday
    suspended           suspended; editor of firm A (suspension outweighs the team role)
    staff, admin        OSMEP staff, administrator
    owner_h             owner of firm H (X member, hidden by OSMEP staff)
    applicant           owner of firm N (asked to join X: membership pending)

Every firm is listed publicly (consent given) unless a test says otherwise; every user reads Thai (the
factories' default).
"""
import os
from dataclasses import dataclass, field
from datetime import timedelta

from flask_login import AnonymousUserMixin
from sqlalchemy import event, select

from portal.auth.models import Role, User
from portal.clusters.models import Cluster, MembershipStatus, Position
from portal.db import utcnow
from portal.extensions import db
from portal.firms.models import Firm
from portal.thai import bangkok_today
from tests import factories

# The suite runs on PostgreSQL when TEST_DATABASE_URL is set (conftest.py), on SQLite otherwise.
POSTGRESQL_RUN = bool(os.environ.get("TEST_DATABASE_URL"))

PEOPLE = ("unconfirmed", "stranger", "owner", "editor", "owner_of_two", "owner_c", "coordinator",
          "other_coordinator", "ended_coordinator", "suspended", "staff", "admin", "owner_h", "applicant")
WHO = ("anonymous", *PEOPLE)
# firm: (the cluster it is a member of, its team as (person, role)); N's membership is pending
FIRMS = {"A": ("betta", (("owner", "owner"), ("editor", "editor"), ("suspended", "editor"))),
         "B": ("betta", (("owner_of_two", "owner"),)),
         "B2": ("betta", (("owner_of_two", "owner"),)),
         "C": ("cosplay", (("owner_c", "owner"),)),
         "K": ("betta", (("coordinator", "owner"),)),
         "H": ("betta", (("owner_h", "owner"),)),
         "N": ("betta", (("applicant", "owner"),))}


def body(response) -> str:
    """The response's text (HTML, CSV) as the browser receives it."""
    return response.get_data(as_text=True)


def get_counting(app, client, url):
    """(response, how many SQL statements it ran) for a GET of `url` by `client` of `app`."""
    response, ran = get_statements(app, client, url)
    return response, len(ran)


def get_statements(app, client, url):
    """(response, the SQL statements it ran, as sent) for a GET of `url` by `client` of `app`."""
    with app.app_context():
        engine = db.engine
    ran = []
    listener = lambda conn, cursor, statement, *args: ran.append(statement)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        response = client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return response, ran


def email_of(who: str) -> str:
    return f"{who}@example.com"


def signed_in(app_or_client, user, password=factories.PASSWORD):
    """A test client signed in as `user` (an e-mail address or a User), from a new client of the app or
    the client given. It proves the sign-in worked (a redirect, and the session holds that very user), so
    a 403 asked of it later means the rule refused that user, not that nobody was signed in."""
    client = app_or_client.test_client() if hasattr(app_or_client, "test_client") else app_or_client
    email = (user if isinstance(user, str) else user.email).lower()
    with client.application.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == email))
    assert user_id is not None, f"no user {email} to sign in"
    response = factories.sign_in(client, email, password)
    with client.session_transaction() as session:
        held = session.get("_user_id") or ""
    assert response.status_code == 302 and held.split(":")[0] == str(user_id), (
        f"sign-in as {email} failed: {response.status_code} {response.location}\n{body(response)[-1500:]}")
    return client


@dataclass
class Cast:
    """The cast's ids by name: cast.users["owner"], cast.firms["A"], cast.clusters["betta"]."""

    users: dict[str, int] = field(default_factory=dict)
    firms: dict[str, int] = field(default_factory=dict)
    clusters: dict[str, int] = field(default_factory=dict)

    def email(self, who: str) -> str:
        return email_of(who)


@dataclass
class Roles:
    """The cast loaded in the current session: roles.users["anonymous"], roles.firms["A"], roles.clusters["betta"]."""

    users: dict
    firms: dict[str, Firm]
    clusters: dict[str, Cluster]


def build_cast() -> Cast:
    """Create the cast in the current app context, commit, and return its ids."""
    today = bangkok_today()
    betta, cosplay = factories.cluster("betta"), factories.cluster("cosplay")
    roles = {"staff": Role.STAFF, "admin": Role.ADMIN}
    people = {who: factories.user(email=email_of(who), confirmed=who != "unconfirmed", role=roles.get(who),
                                  suspended=who == "suspended")
              for who in PEOPLE}
    clusters = {"betta": betta, "cosplay": cosplay}
    firms = {}
    for name, (slug, team) in FIRMS.items():
        firms[name] = factories.firm(name_th=f"กิจการ {name}", name_en=f"Firm {name}")
        for who, role in team:
            factories.team_member(firms[name], people[who], role)
        factories.membership(firms[name], clusters[slug], Position.UPSTREAM,
                             status=MembershipStatus.PENDING if name == "N" else MembershipStatus.APPROVED)
    firms["H"].hidden_at, firms["H"].hidden_by_id, firms["H"].hidden_reason = utcnow(), people["staff"].id, "ปลอม"
    factories.term(people["coordinator"], betta)
    factories.term(people["other_coordinator"], cosplay)
    factories.term(people["ended_coordinator"], betta, today - timedelta(days=300), today - timedelta(days=1))
    db.session.commit()
    return Cast(users={who: person.id for who, person in people.items()},
                firms={name: firm.id for name, firm in firms.items()},
                clusters={slug: cluster.id for slug, cluster in clusters.items()})


def load_cast(cast: Cast) -> Roles:
    """The cast's objects in the current session (anonymous included)."""
    users = {who: db.session.get(User, user_id) for who, user_id in cast.users.items()}
    users["anonymous"] = AnonymousUserMixin()
    return Roles(users=users, firms={name: db.session.get(Firm, firm_id) for name, firm_id in cast.firms.items()},
                 clusters={slug: db.session.get(Cluster, cluster_id) for slug, cluster_id in cast.clusters.items()})
