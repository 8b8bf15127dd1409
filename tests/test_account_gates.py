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
