"""Three gates send a signed-in person elsewhere before a page: the privacy notice to accept
(portal/privacy), the second factor a privileged account must set up (portal/twofactor), and an account
due for deletion (portal/mydata). Together they must lead somewhere, never round in a loop, and never hold
back the person's own rights (their data, cancelling the deletion)."""
import pytest
from sqlalchemy import delete

from portal.auth.models import Role, User
from portal.extensions import db
from portal.mydata import services as mydata
from portal.privacy.models import ConsentRecord
from tests import factories
from tests.helpers import signed_in


def _follow(client, path, limit=6):
    """The pages a GET of `path` is sent through, until one answers (at most `limit` hops)."""
    seen = []
    for _ in range(limit):
        response = client.get(path)
        seen.append((path, response.status_code))
        if response.status_code not in (301, 302, 303):
            return seen
        path = response.location
    raise AssertionError(f"redirected round and round: {seen}")


@pytest.fixture
def person(app, monkeypatch):
    """make(staff=…, accepted=…, pending=…): a signed-in client in that situation."""
    monkeypatch.setitem(app.config, "TWO_FACTOR_REQUIRED_ROLES", ("staff", "admin", "coordinator"))

    def make(staff: bool, accepted: bool, pending: bool):
        email = f"gate-{int(staff)}{int(accepted)}{int(pending)}@example.com"
        with app.app_context():
            user = factories.user(email=email, locale="en")
            if staff:
                user.role = Role.STAFF
            db.session.commit()
            user_id = user.id
        client = signed_in(app, email)
        with app.app_context():
            if not accepted:
                db.session.execute(delete(ConsentRecord).where(ConsentRecord.user_id == user_id))
            if pending:
                mydata.request_deletion(db.session.get(User, user_id), factories.PASSWORD)
            db.session.commit()
        if pending:  # deletion signed every device out: sign in again, into the pending account
            client = signed_in(app, email)
        return client

    return make


# staff (second factor required, none set up), notice accepted, deletion pending -> where /firms/mine lands
@pytest.mark.parametrize(("staff", "accepted", "pending", "lands"), [
    (False, True, False, "/firms/mine"),
    (False, False, False, "/privacy/accept"),
    (True, True, False, "/account/security"),
    (True, False, False, "/account/security"),  # set up the second factor first; the notice comes after
    (False, True, True, "/account/delete"),
    (False, False, True, "/account/delete"),  # its rights never wait for the notice
    (True, False, True, "/account/security"),
])
def test_the_gates_lead_somewhere_and_never_loop(app, person, staff, accepted, pending, lands):
    client = person(staff, accepted, pending)
    hops = _follow(client, "/firms/mine")
    last, status = hops[-1]
    assert status == 200 and last.split("?")[0] == lands, hops


def test_a_pending_account_can_still_take_its_data_and_read_the_notice(app, person):
    client = person(False, False, True)
    assert _follow(client, "/account/data")[-1] == ("/account/data", 200)
    assert _follow(client, "/privacy")[-1] == ("/privacy", 200)


@pytest.mark.parametrize(("staff", "accepted", "pending"), [(True, True, False), (False, False, False),
                                                            (False, True, True)])
def test_machine_endpoints_never_meet_a_gate_even_with_a_browser_session(app, person, staff, accepted, pending):
    """The API answers with a token, never the session: a held-back person's cookie changes nothing there."""
    client = person(staff, accepted, pending)
    clusters = client.get("/api/v1/clusters")
    assert clusters.status_code == 200 and clusters.mimetype == "application/json"
    me = client.get("/api/v1/me")  # the cookie is not a sign-in for the API
    assert me.status_code == 401 and me.mimetype == "application/problem+json"


# Which gate holds a person back from a page: the second factor (staff), the pending deletion, the notice.
@pytest.mark.parametrize(("endpoint", "method", "needs", "gate"), [
    ("firms.mine", "GET", {"second_factor", "deletion_pending", "privacy_notice"}, "second_factor"),
    ("firms.mine", "GET", {"deletion_pending", "privacy_notice"}, "deletion_pending"),
    ("firms.mine", "POST", {"privacy_notice"}, None),  # the notice is asked on page views only
    ("privacy.accept", "GET", {"second_factor", "privacy_notice"}, None),  # a gate's own page: never held
    ("twofactor.security", "GET", {"second_factor", "deletion_pending", "privacy_notice"}, None),
    ("mydata.cancel", "POST", {"second_factor", "deletion_pending"}, None),
    ("mydata.hand_over", "POST", {"deletion_pending"}, "deletion_pending"),  # not a page the deletion allows
    ("privacy.consents", "GET", {"second_factor"}, "second_factor"),  # staff's consent view needs the factor
    ("privacy.consents", "GET", {"deletion_pending"}, "deletion_pending"),
    ("privacy.consents", "GET", {"privacy_notice"}, None),  # the privacy pages never wait for the notice
    ("main.index", "GET", {"deletion_pending"}, None),
    ("main.index", "GET", {"second_factor"}, "second_factor"),
    ("following.stop", "GET", {"privacy_notice"}, None),
    ("following.stop", "GET", {"second_factor"}, "second_factor"),
    ("auth.logout", "POST", {"second_factor", "deletion_pending", "privacy_notice"}, None),
    ("privacy.notice", "GET", {"second_factor", "deletion_pending", "privacy_notice"}, None),
])
def test_which_gate_holds_a_person_back(app, monkeypatch, endpoint, method, needs, gate):
    from portal import account_gates

    gates = tuple(g.__class__(**{**g.__dict__, "holds": (lambda user, name=g.name: name in needs)})
                  for g in account_gates.GATES)
    monkeypatch.setattr(account_gates, "GATES", gates)
    blueprint = endpoint.split(".")[0] if "." in endpoint else None
    with app.test_request_context():
        found = account_gates.holding_gate(object(), endpoint, blueprint, method)
    assert (found.name if found else None) == gate


def test_every_endpoint_the_gates_name_exists(app):
    from portal import account_gates

    named = set(account_gates.ALWAYS_OPEN)
    for gate in account_gates.GATES:
        named |= gate.own_endpoints | gate.also_open | {gate.target}
    blueprints = {b for gate in account_gates.GATES for b in gate.own_blueprints | gate.also_open_blueprints}
    assert named <= {rule.endpoint for rule in app.url_map.iter_rules()}
    assert blueprints | account_gates.MACHINE_BLUEPRINTS <= set(app.blueprints)
