"""Signed webhooks, end to end: events emitted by the real service calls, delivered by the worker's code to a
real HTTP receiver on 127.0.0.1 (started here) that checks each signature as the README tells receivers to,
answers 500 first and then 200, and records the order; a rolled-back change sends nothing; private addresses
are refused at registration and again at delivery; replay; who may manage endpoints; bad form input."""
import hashlib
import hmac
import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select

from portal.admin import services as results
from portal.audit import AuditEntry
from portal.auth.models import User
from portal.collab import services as collab
from portal.collab.models import CloseReason, Confirmation, Kind, Outcome, OutcomeKind
from portal.db import utcnow
from portal.exceptions import RuleViolation
from portal.extensions import db
from portal.memberships import services as memberships
from portal.permissions import can_manage_webhooks
from portal.webhooks import addresses, delivery, services
from portal.webhooks.models import EVENT_TYPES, DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent
from tests.helpers import body, email_of, signed_in

LATER = timedelta(hours=2)  # past any backoff of the first tries


# --- the receiver ------------------------------------------------------------------------------------

def signature_is_valid(secret: str, header: str, raw: bytes, tolerance: int = 300) -> bool:
    """What a receiver does (README, "Webhooks"), written independently of the portal's code."""
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + raw, hashlib.sha256).hexdigest()
    return abs(time.time() - timestamp) <= tolerance and hmac.compare_digest(expected, fields.get("v1", ""))


class Receiver:
    """A webhook receiver on a free loopback port: checks the signature, answers the next scripted status
    (200 once the script is used up), records what came in order."""

    def __init__(self):
        self.secret = None
        self.answers: list[int] = []
        self.received: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802  (http.server's name)
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                status = receiver.answers.pop(0) if receiver.answers else 200
                receiver.received.append({
                    "path": self.path, "host": self.headers["Host"], "event": self.headers["X-Portal-Event"],
                    "delivery": self.headers["X-Portal-Delivery"], "body": json.loads(raw), "status": status,
                    "signed": signature_is_valid(receiver.secret, self.headers["X-Portal-Signature"], raw)})
                answer = b"ok" if status == 200 else b"boom: try later"
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/portal"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def of(self, object_id) -> list[tuple[str, int]]:
        return [(r["event"], r["status"]) for r in self.received if r["body"]["object"]["id"] == object_id]


@pytest.fixture
def receiver(app, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOWED_HOSTS", ("127.0.0.1",))
    receiver = Receiver()
    yield receiver
    receiver.close()


def register(roles, receiver, events=tuple(EVENT_TYPES)) -> WebhookEndpoint:
    endpoint, secret = services.create_endpoint(roles.users["admin"], receiver.url, list(events), "ERP ของสมาคม")
    db.session.commit()
    receiver.secret = secret
    return endpoint


def post_request(roles, firm="A", who="owner", title="หาฟาร์มปลากัด"):
    request = collab.post_request(roles.users[who], roles.firms[firm], {
        "cluster_id": roles.clusters["betta"].id, "kind": Kind.SEEKING_SUPPLIER, "title_th": title})
    db.session.commit()
    return request


def deliveries(**where) -> list[WebhookDelivery]:
    return db.session.scalars(select(WebhookDelivery).filter_by(**where).order_by(WebhookDelivery.id)).all()


# --- delivery -----------------------------------------------------------------------------------------

def test_an_approval_is_signed_sent_retried_after_a_500_and_logged(roles, receiver):
    endpoint = register(roles, receiver)
    receiver.answers = [500]
    from portal.clusters.models import Membership, MembershipStatus

    pending = db.session.scalar(select(Membership).where(Membership.firm_id == roles.firms["N"].id))
    memberships.approve(roles.users["coordinator"], pending)
    db.session.commit()

    assert delivery.deliver_due() == {"pending": 1}
    row = deliveries(endpoint_id=endpoint.id)[0]
    assert (row.status, row.attempts, row.response_status, row.response_snippet) == \
        (DeliveryStatus.PENDING, 1, 500, "boom: try later")
    assert row.next_attempt_at > utcnow() + timedelta(seconds=20)  # backoff: not again at once
    assert delivery.deliver_due() == {}
    assert delivery.deliver_due(now=utcnow() + LATER) == {"sent": 1}
    db.session.refresh(row)
    assert (row.status, row.attempts, row.response_status) == (DeliveryStatus.SENT, 2, 200)

    first, second = receiver.received
    assert (first["status"], second["status"]) == (500, 200)
    assert first["body"] == second["body"] and first["delivery"] == second["delivery"] == str(row.id)
    assert first["signed"] and second["signed"] and first["path"] == "/hooks/portal"
    sent = second["body"]
    event = db.session.get(WebhookEvent, row.event_id)
    assert (sent["id"], sent["type"]) == (event.public_id, "membership.approved") and second["event"] == sent["type"]
    assert sent["occurred_at"].endswith("Z")
    assert sent["object"] == {"id": pending.id, "firm_id": roles.firms["N"].id, "cluster": "betta",
                              "status": MembershipStatus.APPROVED.value, "positions": ["upstream"],
                              "fiscal_year": pending.fiscal_year, "created_at": pending.created_at.isoformat(),
                              "decided_at": pending.decided_at.isoformat()}


def test_each_event_type_comes_from_its_service(roles, receiver):
    register(roles, receiver)
    users, firms = roles.users, roles.firms
    request = post_request(roles)
    collab.respond(users["owner_of_two"], request, firms["B"], "เรามีปลากัด")
    collab.close(users["owner"], request, CloseReason.PARTNERED, firms["B"].id, 25000, OutcomeKind.NEW_SALES)
    outcome = db.session.scalar(select(Outcome).where(Outcome.request_id == request.id))
    results.confirm_outcome(users["coordinator"], outcome, Confirmation.CONFIRMED)
    from portal.clusters.models import Membership

    membership = db.session.scalar(select(Membership).where(Membership.firm_id == firms["C"].id))
    memberships.leave(users["owner_c"], membership, "ปิดกิจการ")
    db.session.commit()
    delivery.deliver_due()

    assert [(r["event"], r["status"], r["signed"]) for r in receiver.received] == [
        ("request.posted", 200, True), ("request.closed", 200, True), ("outcome.confirmed", 200, True),
        ("membership.ended", 200, True)]
    posted, closed, confirmed, ended = (r["body"]["object"] for r in receiver.received)
    assert posted["status"] == "open" and closed["status"] == "closed" and posted["id"] == closed["id"] == request.id
    assert posted["firm"] == {"id": firms["A"].id, "name_th": "กิจการ A", "name_en": "Firm A"}
    assert (confirmed["confirmation"], confirmed["value_baht"]) == ("confirmed", "25000.00")
    assert (ended["status"], ended["cluster"]) == ("left", "cosplay")
    assert_as_documented(receiver.received)


def assert_as_documented(received) -> None:
    """Each body carries the fields the API's OpenAPI document (its `webhooks`) says, and no others."""
    from flask import current_app

    spec = current_app.test_client().get("/api/openapi.json").get_json()
    for item in received:
        documented = spec["webhooks"][item["event"]]["post"]
        body_schema = documented["requestBody"]["content"]["application/json"]["schema"]
        assert set(item["body"]) == set(body_schema["required"]) == set(body_schema["properties"])
        assert body_schema["properties"]["type"]["const"] == item["body"]["type"] == item["event"]
        object_schema = body_schema["properties"]["object"]
        if "$ref" in object_schema:
            object_schema = spec["components"]["schemas"][object_schema["$ref"].rsplit("/", 1)[1]]
        assert set(item["body"]["object"]) == set(object_schema["properties"]), item["event"]
        assert {p["name"] for p in documented["parameters"]} == {"X-Portal-Event", "X-Portal-Delivery",
                                                                 "X-Portal-Signature"}


def test_publishing_a_schedule_is_an_event(roles, receiver):
    from portal.events import scheduling
    from tests.test_events_scheduling import _day, _run

    register(roles, receiver, ["schedule.published"])
    event, _regs, _requests = _day(roles)
    _run(roles.users["staff"], event)
    scheduling.publish(roles.users["staff"], event)
    db.session.commit()
    delivery.deliver_due()
    assert [(r["event"], r["body"]["object"]["id"], r["body"]["object"]["status"]) for r in receiver.received] == \
        [("schedule.published", event.id, "published")]
    assert_as_documented(receiver.received)


def test_only_the_events_asked_for_and_only_to_active_endpoints(roles, receiver):
    endpoint = register(roles, receiver, ["request.closed"])
    post_request(roles)
    assert deliveries() == []  # nobody asked for request.posted: nothing written at all
    endpoint.is_active = False
    db.session.commit()
    request = post_request(roles, title="หาบรรจุภัณฑ์")
    collab.close(roles.users["owner"], request, CloseReason.WITHDRAWN)
    db.session.commit()
    assert deliveries() == []


def test_deliveries_of_one_object_keep_their_order_while_others_go_on(roles, receiver):
    register(roles, receiver)
    receiver.answers = [500]
    first = post_request(roles)
    collab.close(roles.users["owner"], first, CloseReason.WITHDRAWN)
    db.session.commit()
    other = post_request(roles, firm="B", who="owner_of_two", title="หาตู้ปลา")

    assert delivery.deliver_due() == {"pending": 1, "sent": 1}
    # the closing waits behind the posting, which the receiver refused; the other request went on
    assert receiver.of(first.id) == [("request.posted", 500)]
    assert receiver.of(other.id) == [("request.posted", 200)]
    closing = deliveries()[1]
    assert closing.status is DeliveryStatus.PENDING and closing.attempts == 0

    delivery.deliver_due(now=utcnow() + LATER)
    assert receiver.of(first.id) == [("request.posted", 500), ("request.posted", 200), ("request.closed", 200)]


def test_a_failing_endpoint_gives_up_after_the_last_try(app, roles, receiver, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_MAX_ATTEMPTS", 3)
    register(roles, receiver)
    from prometheus_client import REGISTRY

    def counted(outcome):
        return REGISTRY.get_sample_value("portal_outbox_delivery_failures_total",
                                         {"channel": "webhook", "outcome": outcome}) or 0

    before = counted("retry"), counted("failed")
    receiver.answers = [500, 503, 404]
    post_request(roles)
    moment = utcnow()
    for _ in range(4):
        delivery.deliver_due(now=moment)
        moment += LATER
    assert (counted("retry") - before[0], counted("failed") - before[1]) == (2, 1)
    row = deliveries()[0]
    assert (row.status, row.attempts, row.last_error, row.response_status) == (DeliveryStatus.FAILED, 3, "HTTP 404",
                                                                              404)
    assert [r["status"] for r in receiver.received] == [500, 503, 404]


def test_a_silent_endpoint_times_out_and_is_tried_again(app, roles, monkeypatch):
    import socket

    monkeypatch.setitem(app.config, "WEBHOOK_ALLOWED_HOSTS", ("127.0.0.1",))
    monkeypatch.setitem(app.config, "WEBHOOK_TIMEOUT_SECONDS", 0.3)
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts the connection, never answers
    try:
        services.create_endpoint(roles.users["admin"], f"http://127.0.0.1:{silent.getsockname()[1]}/",
                                 ["request.posted"])
        db.session.commit()
        post_request(roles)
        delivery.deliver_due()
    finally:
        silent.close()
    row = deliveries()[0]
    assert row.status is DeliveryStatus.PENDING and row.attempts == 1 and "Timeout" in row.last_error


def test_a_rolled_back_change_sends_nothing(roles, receiver):
    register(roles, receiver)
    collab.post_request(roles.users["owner"], roles.firms["A"], {
        "cluster_id": roles.clusters["betta"].id, "kind": Kind.SEEKING_SUPPLIER, "title_th": "ไม่ได้ลง"})
    assert len(deliveries()) == 1  # written with the change, in its transaction
    db.session.rollback()
    assert deliveries() == [] and db.session.scalar(select(func.count()).select_from(WebhookEvent)) == 0
    assert delivery.deliver_due() == {} and receiver.received == []


# --- addresses ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/hook", "http://localhost/hook", "http://10.1.2.3/", "http://192.168.1.10/",
    "http://172.16.0.1/", "http://169.254.169.254/latest/meta-data", "http://[::1]/", "http://[fe80::1]/",
    "http://224.0.0.1/", "http://0.0.0.0/", "http://[::ffff:127.0.0.1]/", "http://100.64.0.1/", "http://240.0.0.1/",
])
def test_private_addresses_are_refused_at_registration(roles, url):
    with pytest.raises(RuleViolation) as refused:
        services.create_endpoint(roles.users["admin"], url, ["request.posted"])
    assert refused.value.field == "url" and refused.value.message is addresses.PRIVATE
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(WebhookEndpoint)) == 0


def test_address_rules(app, roles, monkeypatch):
    admin = roles.users["admin"]
    for url, reason in [("ftp://example.org/", addresses.BAD_URL), ("not a url", addresses.BAD_URL),
                        ("https://user:pw@127.0.0.1/", addresses.NO_CREDENTIALS),
                        ("https://no-such-host.invalid/", addresses.UNRESOLVED), ("http://[::1/", addresses.BAD_URL)]:
        with pytest.raises(RuleViolation) as refused:
            services.create_endpoint(admin, url, ["request.posted"])
        assert refused.value.message is reason, url
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_HTTP", False)
    with pytest.raises(RuleViolation) as refused:
        services.create_endpoint(admin, "http://example.org/", ["request.posted"])
    assert refused.value.message is addresses.HTTPS_ONLY
    monkeypatch.setattr(addresses, "resolve", lambda host, port: ["93.184.216.34", "2606:2800:220:1::1"])
    services.create_endpoint(admin, "https://hooks.example.org/portal", ["request.posted"])  # public: accepted


def test_an_address_that_turned_private_is_refused_at_delivery(roles, receiver, monkeypatch):
    """DNS answered a public address at registration and now answers loopback: nothing is posted."""
    monkeypatch.setattr(addresses, "resolve", lambda host, port: ["93.184.216.34"])
    services.create_endpoint(roles.users["admin"], receiver.url.replace("127.0.0.1", "hooks.example.org"),
                             ["request.posted"])
    db.session.commit()
    post_request(roles)
    monkeypatch.setattr(addresses, "resolve", lambda host, port: ["10.0.0.7"])
    assert delivery.deliver_due() == {"failed": 1}
    row = deliveries()[0]
    assert row.status is DeliveryStatus.FAILED and row.last_error.startswith("refused") and row.attempts == 1
    assert receiver.received == []


def test_an_allowed_loopback_removed_from_the_list_is_refused_at_delivery(app, roles, receiver, monkeypatch):
    register(roles, receiver)
    post_request(roles)
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOWED_HOSTS", ())
    assert delivery.deliver_due() == {"failed": 1} and receiver.received == []


# --- pages: registration, secret once, log, replay ----------------------------------------------------

def test_admin_registers_an_endpoint_sees_the_secret_once_and_replays_a_delivery(app, cast, receiver):
    admin = signed_in(app, email_of("admin"))
    page = admin.post("/admin/webhooks/", data={"url": receiver.url, "description": "ERP",
                                                "events": ["request.posted", "request.closed"], "is_active": "y"})
    assert page.status_code == 200
    with app.app_context():
        endpoint = db.session.scalar(select(WebhookEndpoint))
        receiver.secret, endpoint_id = endpoint.secret, endpoint.id
        assert endpoint.events == ["request.posted", "request.closed"] and endpoint.is_active
        assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.target_type == "webhook_endpoints")) \
            == "webhook.created"
    assert receiver.secret in body(page)
    assert receiver.secret not in body(admin.get(f"/admin/webhooks/{endpoint_id}"))  # shown once

    owner = signed_in(app, email_of("owner"))
    with app.app_context():
        from tests.helpers import load_cast

        request_id = post_request(load_cast(cast)).id  # committed here; the worker sends it (below)
        delivery.deliver_due()
        first = deliveries()[0]
    assert [r["event"] for r in receiver.received] == ["request.posted"] and receiver.received[0]["signed"]
    assert receiver.received[0]["body"]["object"]["id"] == request_id

    log = body(admin.get(f"/admin/webhooks/{endpoint_id}"))
    assert "ok" in log and "200" in log and f"/deliveries/{first.id}/replay" in log
    assert admin.post(f"/admin/webhooks/{endpoint_id}/deliveries/{first.id}/replay").status_code == 302
    # the request's commit nudged the worker (tests run it at once): the same event went again
    assert [r["body"]["id"] for r in receiver.received] == [receiver.received[0]["body"]["id"]] * 2
    assert receiver.received[1]["delivery"] != receiver.received[0]["delivery"]
    with app.app_context():
        again = deliveries()[1]
        assert (again.replay_of_id, again.status) == (first.id, DeliveryStatus.SENT)
        audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "webhook.replayed"))
        assert audit.details == {"delivery_id": first.id, "replay_id": again.id}

    rotated = admin.post(f"/admin/webhooks/{endpoint_id}/secret")
    with app.app_context():
        new_secret = db.session.get(WebhookEndpoint, endpoint_id).secret
    assert new_secret != receiver.secret and new_secret in body(rotated)
    assert owner.get(f"/admin/webhooks/{endpoint_id}").status_code == 403
    assert signed_in(app, email_of("staff")).post(
        f"/admin/webhooks/{endpoint_id}/deliveries/{first.id}/replay").status_code == 403

    assert admin.post(f"/admin/webhooks/{endpoint_id}/delete").status_code == 302  # with its log
    with app.app_context():
        assert db.session.get(WebhookEndpoint, endpoint_id) is None and deliveries() == []
        assert db.session.scalar(select(AuditEntry.details).where(AuditEntry.action == "webhook.deleted")) == \
            {"url": receiver.url}


def test_a_delivery_still_queued_cannot_be_replayed(roles, receiver):
    register(roles, receiver)
    post_request(roles)
    with pytest.raises(RuleViolation):
        services.replay(roles.users["admin"], deliveries()[0])


def test_bad_form_input_gets_translated_errors_and_changes_nothing(app, cast, th):
    admin = signed_in(app, email_of("admin"))
    empty = admin.post("/admin/webhooks/", data={"url": "  ", "description": "x" * 201})
    assert empty.status_code == 422
    assert th("This field is required.") in body(empty) and th("Choose at least one event.") in body(empty)
    private = admin.post("/admin/webhooks/", data={"url": "http://169.254.169.254/", "events": ["request.posted"]})
    assert private.status_code == 422
    assert th("This address leads to a private, local or reserved network, where webhooks may not go.") \
        in body(private)
    unknown = admin.post("/admin/webhooks/", data={"url": "http://10.0.0.1/", "events": ["no.such"]})
    assert unknown.status_code == 422 and th("Choose at least one event.") in body(unknown)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(WebhookEndpoint)) == 0
    assert admin.get("/admin/webhooks/999999").status_code == 404


def test_pausing_and_editing_from_the_page(app, cast, receiver):
    admin = signed_in(app, email_of("admin"))
    with app.app_context():
        endpoint, _secret = services.create_endpoint(db.session.get(User, cast.users["admin"]), receiver.url,
                                                     ["request.posted"])
        db.session.commit()
        endpoint_id = endpoint.id
    saved = admin.post(f"/admin/webhooks/{endpoint_id}", data={"url": receiver.url, "events": ["request.closed"]})
    assert saved.status_code == 302
    with app.app_context():
        endpoint = db.session.get(WebhookEndpoint, endpoint_id)
        assert endpoint.events == ["request.closed"] and not endpoint.is_active  # the box was not ticked
        assert db.session.scalar(select(AuditEntry.details).where(AuditEntry.action == "webhook.updated"))["after"] \
            == {"url": receiver.url, "events": ["request.closed"], "is_active": False}
    assert admin.post(f"/admin/webhooks/{endpoint_id}/delete").status_code == 302
    with app.app_context():
        assert db.session.get(WebhookEndpoint, endpoint_id) is None


# --- the rule -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("who", "suspended", "allowed"), [
    ("anonymous", False, False),
    ("stranger", False, False),
    ("owner", False, False),
    ("coordinator", False, False),
    ("staff", False, False),  # OSMEP staff see the outbox, but data leaving the portal is an admin's decision
    ("admin", False, True),
    ("admin", True, False),
])
def test_can_manage_webhooks(roles, who, suspended, allowed):
    user = roles.users[who]
    if suspended:
        user.suspended_at = utcnow()
    assert can_manage_webhooks(user) is allowed


def test_signature_helper_matches_the_documented_recipe():
    body_bytes = '{"id":"evt_1","type":"request.posted"}'.encode()
    header = services.signature("whsec_test", 1764547200, body_bytes)
    expected = hmac.new(b"whsec_test", b"1764547200." + body_bytes, hashlib.sha256).hexdigest()
    assert header == f"t=1764547200,v1={expected}"
    assert services.verify("whsec_test", header, body_bytes, now=1764547200 + 299)
    assert not services.verify("whsec_test", header, body_bytes, now=1764547200 + 301)  # too old
    assert not services.verify("whsec_other", header, body_bytes, now=1764547200)
    assert not services.verify("whsec_test", header, body_bytes + b" ", now=1764547200)
    assert not services.verify("whsec_test", "garbage", body_bytes, now=1764547200)


def test_finished_deliveries_and_their_events_go_with_the_outbox_retention(app, roles, receiver):
    from portal.privacy import retention

    register(roles, receiver)
    post_request(roles)
    delivery.deliver_due()  # sent
    receiver.answers = [500]
    post_request(roles, firm="B", who="owner_of_two", title="หาตู้ปลา")
    delivery.deliver_due()  # still being tried
    later = utcnow() + timedelta(days=app.config["OUTBOX_RETENTION_DAYS"] + 1)
    assert retention.remove_old_outbox(later) == 1
    db.session.commit()
    (left,) = deliveries()
    assert left.status is DeliveryStatus.PENDING
    assert db.session.scalars(select(WebhookEvent.id)).all() == [left.event_id]


# --- the connection goes to the address that was checked ----------------------------------------------

def _certificate(tmp_path, name):
    """A self-signed certificate for `name` (its own CA), as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = utcnow()
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_the_post_goes_to_the_checked_address_under_the_endpoints_name(app, roles, receiver, monkeypatch, tmp_path,
                                                                       scheme):
    """hooks.example.org resolves (here) to the allowed loopback only through the portal's own check: the
    connection must use that checked address (no second lookup: this machine's DNS knows no such name),
    while HTTPS still sends and verifies the name."""
    import ssl

    name = "hooks.example.org"
    if scheme == "https":
        cert_file, key_file = _certificate(tmp_path, name)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        receiver.server.socket = context.wrap_socket(receiver.server.socket, server_side=True)
        monkeypatch.setitem(app.config, "WEBHOOK_CA_BUNDLE", str(cert_file))
    port = receiver.server.server_address[1]
    monkeypatch.setattr(addresses, "resolve", lambda host, port: ["127.0.0.1"] if host == name else [])
    endpoint, receiver.secret = services.create_endpoint(roles.users["admin"], f"{scheme}://{name}:{port}/in",
                                                         ["request.posted"])
    db.session.commit()
    post_request(roles)
    assert delivery.deliver_due() == {"sent": 1}
    assert [(r["path"], r["host"], r["signed"]) for r in receiver.received] == [("/in", f"{name}:{port}", True)]
    assert deliveries(endpoint_id=endpoint.id)[0].status is DeliveryStatus.SENT
