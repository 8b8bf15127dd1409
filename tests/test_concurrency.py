"""Two people acting on the same thing at the same moment: exactly one wins, the other is told why, no
500, and nothing of the losing action is left behind (status, audit trail, notifications, e-mail).

These are real races: two test clients in two threads, each request with its own app context, session
and database connection, on the suite's database (a SQLite file in WAL mode, or PostgreSQL). A flush
hook makes the race certain rather than likely, and its order known: both requests read the old state,
then wait at a barrier just before their first write; the first writes, and the second writes as soon
as the first has (before the first commits). So the first call always wins, and each test can say what
both people see.
"""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import event, func, select

from portal.audit import AuditEntry
from portal.auth.models import Role, User
from portal.clusters.models import Membership, MembershipPosition, MembershipStatus, Position
from portal.collab import services as collab_services
from portal.collab.models import CollabRequest, Kind, Outcome, RequestStatus, Response, ResponseStatus
from portal.extensions import db
from portal.firms.models import Firm
from portal.notifications.models import Notification
from tests import factories
from tests.helpers import signed_in

S, R = MembershipStatus, ResponseStatus
DECIDED_MEANWHILE = "Someone else decided this request at the same moment (now: {}). Your decision was not saved."
CHANGED_MEANWHILE = "Someone else changed this membership at the same moment (now: {})."
RESPONSE_MEANWHILE = "Someone else changed this response at the same moment (now: {}). Your change was not saved."
ANOTHER_ACCEPTED = "Another response has already been accepted for this request."
REQUEST_MEANWHILE = "Someone else changed this request at the same moment."


class Race:
    """Runs calls in threads. Each reads, then is held before its first flush that changes one of `models`
    until all have got there; then they write in turn, each as soon as the one before has flushed."""

    def __init__(self):
        self.local = threading.local()
        self.barrier = None

    def __call__(self, models, *calls):
        self.models, self.barrier = models, threading.Barrier(len(calls), timeout=30)
        self.turns = [threading.Event() for _ in range(len(calls) + 1)]
        self.turns[0].set()
        try:
            with ThreadPoolExecutor(len(calls)) as pool:
                futures = [pool.submit(self._play, turn, call) for turn, call in enumerate(calls)]
                return [future.result(timeout=60) for future in futures]
        finally:
            self.barrier = None

    def _play(self, turn, call):
        self.local.turn, self.local.state = turn, "reading"
        try:
            return call()
        finally:
            self.local.state = None
            self.turns[turn + 1].set()  # a loser's flush fails: let the next one go all the same

    def before_flush(self, session, flush_context, instances):
        if self.barrier is None or getattr(self.local, "state", None) != "reading":
            return
        if any(isinstance(obj, self.models) for obj in session.dirty):
            self.local.state = "writing"
            self.barrier.wait()  # everybody has read
            assert self.turns[self.local.turn].wait(timeout=30)

    def after_flush(self, session, flush_context):
        if getattr(self.local, "state", None) == "writing":  # written, not committed: the next one may write
            self.local.state = "written"
            self.turns[self.local.turn + 1].set()

    def do_orm_execute(self, state):
        """An UPDATE statement (not a flush) on one of the models takes its turn the same way."""
        if self.barrier is None or getattr(self.local, "state", None) != "reading" or not state.is_update \
                or not any(issubclass(mapper.class_, self.models) for mapper in state.all_mappers):
            return None
        self.local.state = "writing"
        self.barrier.wait()
        assert self.turns[self.local.turn].wait(timeout=30)
        result = state.invoke_statement()
        self.after_flush(state.session, None)
        return result


@pytest.fixture
def race(app):
    hook = Race()
    event.listen(db.session, "before_flush", hook.before_flush)
    event.listen(db.session, "after_flush", hook.after_flush)
    event.listen(db.session, "do_orm_execute", hook.do_orm_execute)
    yield hook
    event.remove(db.session, "before_flush", hook.before_flush)
    event.remove(db.session, "after_flush", hook.after_flush)
    event.remove(db.session, "do_orm_execute", hook.do_orm_execute)


def page_after(client, response) -> str:
    """What the user sees next: the page the action redirected to, with its flashed message."""
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    return client.get(response.location).get_data(as_text=True)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


# --- two people deciding one join request --------------------------------------------------------

@pytest.fixture
def join_request(app):
    """A pending request of Bangkok Betta Farm to join Betta; two coordinators of Betta."""
    with app.app_context():
        owner = factories.user(email="owner@example.com", locale="en")
        firm = factories.firm(name_th="ฟาร์มปลากัดบางกอก", name_en="Bangkok Betta Farm")
        factories.team_member(firm, owner, "owner")
        betta = factories.cluster("betta")
        for n in (1, 2):
            factories.term(factories.user(email=f"coord{n}@example.com", locale="en"), betta)
        membership = factories.membership(firm, betta, Position.UPSTREAM, status=S.PENDING)
        db.session.commit()
        return {"firm": firm.id, "membership": membership.id}


MEMBERSHIP_ACTIONS = {  # the URL, the form posted, the status it leads to, what the winner is told
    "approve": ("/clusters/betta/manage/{membership}/approve", {}, S.APPROVED, "Bangkok Betta Farm is now a member."),
    "decline": ("/clusters/betta/manage/{membership}/decline", {"reason": "Not in the value chain"}, S.DECLINED,
                "The request of Bangkok Betta Farm has been declined."),
    "cancel": ("/firms/{firm}/memberships/{membership}/cancel", {}, S.CANCELLED, "Your request has been cancelled."),
}
AUDITED = {S.APPROVED: "membership.approved", S.DECLINED: "membership.declined", S.CANCELLED: "membership.cancelled"}


@pytest.mark.parametrize(("first", "second"), [
    ("approve", "approve"), ("approve", "decline"), ("decline", "approve"), ("decline", "decline"),
    ("approve", "cancel"), ("cancel", "approve"), ("cancel", "decline"),
])
def test_two_decisions_on_one_join_request_at_once(app, join_request, race, mailbox, first, second):
    emails = ["owner@example.com" if action == "cancel" else f"coord{n}@example.com"
              for n, action in ((1, first), (2, second))]
    clients = [signed_in(app, email) for email in emails]
    actions = [MEMBERSHIP_ACTIONS[first], MEMBERSHIP_ACTIONS[second]]
    results = race((Membership,), *[
        (lambda i=i: clients[i].post(actions[i][0].format(**join_request), data=actions[i][1])) for i in (0, 1)])
    won, lost = [page_after(client, result) for client, result in zip(clients, results, strict=True)]

    with app.test_request_context("/?lang=en"):  # English status labels in the expected messages
        membership = db.session.get(Membership, join_request["membership"])
        status, told_winner = actions[0][2], actions[0][3]
        assert membership.status is status
        assert db.session.get(User, membership.decided_by_id or membership.ended_by_id).email == emails[0]
        assert told_winner in won
        assert DECIDED_MEANWHILE.format(status.label) in lost and actions[1][3] not in lost
        decisions = db.session.scalars(select(AuditEntry.action).where(
            AuditEntry.target_type == "memberships", AuditEntry.target_id == membership.id)).all()
        assert decisions == [AUDITED[status]]
        told = db.session.scalars(select(Notification.kind).where(Notification.target_type == "memberships")).all()
        assert told == ([] if status is S.CANCELLED else [AUDITED[status]])
    assert len([m for m in mailbox.messages if m["To"] == "owner@example.com"]) == len(told)


@pytest.mark.parametrize("first", ["positions", "remove"])
def test_positions_changed_while_the_member_is_removed(app, join_request, race, first):
    with app.app_context():
        db.session.get(Membership, join_request["membership"]).status = S.APPROVED
        db.session.commit()
    page = f"/clusters/betta/manage/members/{join_request['membership']}"
    posts = {"positions": (page, {"p-positions": ["upstream", "downstream"], "n-notes": ""}),
             "remove": (f"{page}/remove", {"r-reason": "Closed down"})}
    order = [first, "remove" if first == "positions" else "positions"]
    clients = [signed_in(app, f"coord{n}@example.com") for n in (1, 2)]
    results = race((Membership,), *[(lambda i=i: clients[i].post(posts[order[i]][0], data=posts[order[i]][1]))
                                    for i in (0, 1)])

    with app.test_request_context("/?lang=en"):
        membership = db.session.get(Membership, join_request["membership"])
        audited = db.session.scalars(select(AuditEntry.action).where(AuditEntry.target_type == "memberships")).all()
        positions = count(MembershipPosition, MembershipPosition.membership_id == membership.id)
        changed = CHANGED_MEANWHILE.format(membership.status.label)
        if first == "remove":  # the positions form comes back, with the reason it was not saved
            assert membership.status is S.REMOVED and audited == ["membership.removed"] and positions == 1
            assert "has been removed from the cluster" in page_after(clients[0], results[0])
            assert results[1].status_code == 200 and changed in results[1].get_data(as_text=True)
        else:
            assert membership.status is S.APPROVED and audited == ["membership.positions_changed"] and positions == 2
            assert "Saved." in page_after(clients[0], results[0])
            assert changed in page_after(clients[1], results[1])


# --- two people deciding on responses to one request ---------------------------------------------

@pytest.fixture
def responses(app):
    """A Betta request posted by a firm with two team members; two firms have responded to it."""
    with app.app_context():
        betta = factories.cluster("betta")
        poster = factories.firm(name_th="ผู้ส่งออกปลากัด", name_en="Betta Exporter")
        factories.membership(poster, betta, Position.DOWNSTREAM)
        owner, editor = (factories.user(email=f"{name}@example.com", locale="en") for name in ("owner", "editor"))
        factories.team_member(poster, owner, "owner")
        factories.team_member(poster, editor, "editor")
        request = collab_services.post_request(owner, poster, {
            "cluster_id": betta.id, "kind": Kind.SEEKING_SUPPLIER, "position_sought": Position.UPSTREAM,
            "title_th": "หาฟาร์มปลากัดเกรดส่งออก"})
        ids = {"request": request.id, "poster": poster.id}
        for n in (1, 2):
            farm = factories.firm(name_th=f"ฟาร์ม {n}", name_en=f"Farm {n}")
            factories.membership(farm, betta, Position.UPSTREAM)
            user = factories.user(email=f"farm{n}@example.com", locale="en")
            factories.team_member(farm, user, "owner")
            ids[f"response{n}"] = collab_services.respond(user, request, farm, "We breed halfmoons").id
        db.session.commit()
        return ids


def test_two_responses_accepted_at_once_only_one_is(app, responses, race, mailbox):
    clients = [signed_in(app, "owner@example.com"), signed_in(app, "editor@example.com")]
    results = race((Response,), lambda: clients[0].post(f"/requests/responses/{responses['response1']}/accepted"),
                   lambda: clients[1].post(f"/requests/responses/{responses['response2']}/accepted"))
    won, lost = [page_after(client, result) for client, result in zip(clients, results, strict=True)]

    assert "Saved." in won and ANOTHER_ACCEPTED not in won
    assert ANOTHER_ACCEPTED in lost and "Saved." not in lost
    with app.app_context():
        assert [db.session.get(Response, responses[f"response{n}"]).status for n in (1, 2)] == [R.ACCEPTED, R.OPEN]
        assert count(AuditEntry, AuditEntry.action == "response.accepted") == 1
        told = db.session.scalars(select(Notification.target_id).where(Notification.kind == "response.accepted"))
        assert list(told) == [responses["response1"]]
    # (The poster's team was also told of the two responses, queued by the fixture.)
    assert [m["To"] for m in mailbox.messages if "accepted your response" in m["Subject"]] == ["farm1@example.com"]
    # From now on the second response's page offers no "Accept", and says why.
    thread = clients[1].get(f"/requests/responses/{responses['response2']}").get_data(as_text=True)
    assert ANOTHER_ACCEPTED in thread and "/accepted" not in thread


RESPONSE_ACTIONS = {  # who acts, the URL's decision, the status it leads to
    "accept": ("owner@example.com", "accepted", R.ACCEPTED),
    "accept_too": ("editor@example.com", "accepted", R.ACCEPTED),
    "decline": ("editor@example.com", "declined", R.DECLINED),
    "withdraw": ("farm1@example.com", "withdrawn", R.WITHDRAWN),
}


@pytest.mark.parametrize(("first", "second"), [
    ("accept", "accept_too"), ("accept", "decline"), ("decline", "accept"), ("accept", "withdraw"),
    ("withdraw", "accept"),
])
def test_two_decisions_on_one_response_at_once(app, responses, race, first, second):
    actions = [RESPONSE_ACTIONS[first], RESPONSE_ACTIONS[second]]
    clients = [signed_in(app, email) for email, _decision, _to in actions]
    url = "/requests/responses/{}/{}".format
    results = race((Response,), *[
        (lambda i=i: clients[i].post(url(responses["response1"], actions[i][1]))) for i in (0, 1)])
    won, lost = [page_after(client, result) for client, result in zip(clients, results, strict=True)]

    with app.test_request_context("/?lang=en"):
        status = actions[0][2]
        assert db.session.get(Response, responses["response1"]).status is status
        assert "Saved." in won and "Saved." not in lost and RESPONSE_MEANWHILE.format(status.label) in lost
        audited = db.session.scalars(select(AuditEntry.action).where(
            AuditEntry.target_type == "collab_responses", AuditEntry.target_id == responses["response1"],
            AuditEntry.action != "response.sent")).all()
        assert audited == [f"response.{status.value}"]
        assert count(Notification, Notification.kind.in_(["response.accepted", "response.declined"])) == \
            (0 if status is R.WITHDRAWN else 1)


# --- two people closing one request; two staff hiding it ------------------------------------------

@pytest.mark.parametrize("first", ["partnered", "not_fulfilled"])
def test_two_closings_of_one_request_at_once(app, responses, race, first):
    with app.app_context():
        partner = db.session.get(Response, responses["response1"]).firm_id
    forms = {"partnered": {"reason": "partnered", "partner_firm_id": partner, "value": "25000",
                           "outcome_kind": "new_sales"},
             "not_fulfilled": {"reason": "not_fulfilled", "partner_firm_id": ""}}
    order = [first, "not_fulfilled" if first == "partnered" else "partnered"]
    clients = [signed_in(app, "owner@example.com"), signed_in(app, "editor@example.com")]
    path = f"/requests/{responses['request']}/close"
    results = race((CollabRequest,), *[(lambda i=i: clients[i].post(path, data=forms[order[i]])) for i in (0, 1)])

    assert "The request is closed." in page_after(clients[0], results[0])
    assert results[1].status_code == 200  # the form again, saying why it was not saved
    assert REQUEST_MEANWHILE in results[1].get_data(as_text=True)
    with app.app_context():
        request = db.session.get(CollabRequest, responses["request"])
        assert request.status is RequestStatus.CLOSED and request.close_reason.value == first
        assert count(Outcome) == (1 if first == "partnered" else 0)
        assert count(AuditEntry, AuditEntry.action == "request.closed") == 1


def test_a_change_no_service_expected_to_race_gets_a_409_page_not_a_500(app, responses, race):
    """Moderation writes without turning a conflict into its own message: the safety net answers 409."""
    with app.app_context():
        for n in (1, 2):
            factories.user(email=f"staff{n}@example.com", role=Role.STAFF, locale="en")
        db.session.commit()
    clients = [signed_in(app, f"staff{n}@example.com") for n in (1, 2)]
    path = f"/moderation/request/{responses['request']}"
    results = race((CollabRequest,), *[
        (lambda i=i: clients[i].post(path, data={"action": "hide", "reason": f"Spam, says staff {i + 1}"}))
        for i in (0, 1)])

    assert "Done." in page_after(clients[0], results[0])
    assert results[1].status_code == 409
    assert "Someone else changed this at the same moment" in results[1].get_data(as_text=True)
    with app.app_context():
        assert db.session.get(CollabRequest, responses["request"]).hidden_reason == "Spam, says staff 1"
        assert count(AuditEntry, AuditEntry.action == "moderation.hidden") == 1
        told = db.session.scalars(select(Notification.user_id).where(Notification.kind == "moderation.hidden"))
        assert sorted(told) == sorted(db.session.scalars(select(User.id).where(  # once each, the poster's team
            User.email.in_(["owner@example.com", "editor@example.com"]))))


def test_the_database_itself_refuses_a_second_accepted_response(app, responses):
    from sqlalchemy.exc import IntegrityError

    with app.app_context():
        for n in (1, 2):
            db.session.get(Response, responses[f"response{n}"]).status = R.ACCEPTED
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


# --- the nightly expiry run while a poster renews --------------------------------------------------

@pytest.mark.parametrize("first", ["renewal", "expiry"])
def test_expiry_run_while_the_poster_renews_keeps_both_sides_whole(app, responses, race, first):
    """`flask requests expire` and a renewal of the same request at once: if the renewal is first, the run
    leaves that request open (and closes the others, saying it skipped one); if the run is first, the
    renewal is refused with a message and can be done again."""
    from datetime import timedelta

    from portal.thai import bangkok_today

    today = bangkok_today()
    with app.app_context():
        renewed = db.session.get(CollabRequest, responses["request"])
        owner = db.session.scalar(select(User).where(User.email == "owner@example.com"))
        other = collab_services.post_request(owner, db.session.get(Firm, responses["poster"]), {
            "kind": Kind.SEEKING_SUPPLIER, "position_sought": Position.UPSTREAM, "title_th": "หาถุงบรรจุปลา"})
        renewed.expires_on = other.expires_on = today - timedelta(days=1)
        db.session.commit()
        other_id = other.id
    client = signed_in(app, "owner@example.com")
    calls = {"renewal": lambda: client.post(f"/requests/{responses['request']}/renew"),
             "expiry": lambda: app.test_cli_runner().invoke(args=["requests", "expire"])}
    order = [first, "expiry" if first == "renewal" else "renewal"]
    results = dict(zip(order, race((CollabRequest,), *[calls[name] for name in order]), strict=True))

    run = results["expiry"]
    assert run.exit_code == 0, run.output
    renewal_page = page_after(client, results["renewal"])
    with app.app_context():
        request = db.session.get(CollabRequest, responses["request"])
        assert db.session.get(CollabRequest, other_id).status is RequestStatus.CLOSED  # the run went on
        expired_audit = list(db.session.scalars(select(AuditEntry.target_id).where(
            AuditEntry.action == "request.expired")))
        renewed_audit = count(AuditEntry, AuditEntry.action == "request.renewed")
        if first == "renewal":
            assert request.status is RequestStatus.OPEN and request.expires_on > today
            assert "The request is open until" in renewal_page
            assert "1 requests closed as expired" in run.output and "left as they are" in run.output
            assert expired_audit == [other_id] and renewed_audit == 1
        else:
            assert request.status is RequestStatus.CLOSED and request.close_reason.value == "expired"
            assert REQUEST_MEANWHILE in renewal_page  # told; renewing again now works
            assert "2 requests closed as expired" in run.output and "left as they are" not in run.output
            assert sorted(expired_audit) == sorted([request.id, other_id]) and renewed_audit == 0
