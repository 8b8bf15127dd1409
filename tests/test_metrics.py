"""/metrics: Prometheus text with request, query, outbox and sign-in metrics; only for allowed addresses or
the token; several processes summed in multiprocess mode."""
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from portal.db import utcnow
from portal.extensions import db
from portal.mail import DeliveryError
from portal.outbox import services as outbox
from portal.outbox.models import OutboxMessage
from portal.permissions import can_read_metrics
from tests import factories

ROOT = Path(__file__).resolve().parents[1]
OUTSIDE = {"REMOTE_ADDR": "203.0.113.9"}


def samples(text: str) -> dict:
    """{(name, frozenset(labels)): value} of every sample in a scrape."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(scrape: dict, name: str, **labels) -> float:
    return scrape.get((name, frozenset(labels.items())), 0.0)


def scrape(client, **kwargs) -> dict:
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200 and response.mimetype == "text/plain"
    return samples(response.get_data(as_text=True))


def test_requests_latency_and_queries_are_counted_by_endpoint_not_path(app, client):
    before = scrape(client)
    for _ in range(3):
        client.get("/")
    client.get("/firms/12345")  # a firm that is not there: 404 from the firms.detail view
    client.get("/no/such/page")
    after = scrape(client)
    grew = lambda name, **labels: value(after, name, **labels) - value(before, name, **labels)  # noqa: E731
    assert grew("portal_http_requests_total", endpoint="main.index", method="GET", status="2xx") == 3
    assert grew("portal_http_requests_total", endpoint="firms.detail", method="GET", status="4xx") == 1
    assert grew("portal_http_requests_total", endpoint="none", method="GET", status="4xx") == 1
    assert grew("portal_http_request_duration_seconds_count", endpoint="main.index") == 3
    assert grew("portal_db_queries_per_request_count", endpoint="firms.detail") == 1
    assert grew("portal_db_queries_per_request_sum", endpoint="firms.detail") >= 1  # it looked the firm up
    assert grew("portal_db_queries_per_request_sum", endpoint="none") == 0
    names = {key[0] for key in after}
    assert not any("12345" in str(labels) for _, labels in after)  # never the raw path
    assert "portal_http_requests_total" in names and "portal_http_request_duration_seconds_bucket" in names
    assert not any(dict(labels).get("endpoint") == "metrics.scrape" for _, labels in after)  # not itself


def test_sign_ins_succeeded_and_failed_are_counted(app, client):
    with app.app_context():
        factories.user(email="counted@example.com")
        db.session.commit()
    before = scrape(client)
    factories.sign_in(app.test_client(), "counted@example.com")
    factories.sign_in(app.test_client(), "counted@example.com", password="wrong password")
    after = scrape(client)
    for outcome in ("succeeded", "failed"):
        assert value(after, "portal_sign_ins_total", outcome=outcome) - \
            value(before, "portal_sign_ins_total", outcome=outcome) == 1


def test_outbox_depth_age_and_delivery_failures(app, client, monkeypatch):
    with app.app_context():
        for channel in ("email", "email", "line"):
            db.session.add(OutboxMessage(channel=channel, kind="test", recipient="x@example.com", locale="th",
                                         message_id=outbox.new_message_id(), created_at=utcnow()))
        db.session.commit()
    before = scrape(client)
    assert value(before, "portal_outbox_queue_depth", channel="email") == 2
    assert value(before, "portal_outbox_queue_depth", channel="line") == 1
    assert value(before, "portal_outbox_oldest_pending_age_seconds", channel="email") >= 0

    def refuse(message):
        raise DeliveryError("451 try later")

    monkeypatch.setattr(outbox, "render", lambda row: object())
    monkeypatch.setattr(outbox, "transmit", refuse)
    with app.app_context():
        claimed = outbox.claim_one()
        while claimed and db.session.get(OutboxMessage, claimed[0]).channel != "email":
            claimed = outbox.claim_one()
        outbox.deliver(*claimed)
    after = scrape(client)
    assert value(after, "portal_outbox_delivery_failures_total", channel="email", outcome="retry") - \
        value(before, "portal_outbox_delivery_failures_total", channel="email", outcome="retry") == 1


def test_other_addresses_get_404_unless_they_bring_the_token(app, client):
    assert client.get("/metrics", environ_base=OUTSIDE).status_code == 404
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    app.config["METRICS_TOKEN"] = "s3cret-token"
    try:
        assert client.get("/metrics", environ_base=OUTSIDE,
                          headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
        assert client.get("/metrics", environ_base=OUTSIDE,
                          headers={"Authorization": "Bearer wrong"}).status_code == 404
        assert client.get("/metrics", environ_base=OUTSIDE,
                          headers={"Authorization": "s3cret-token"}).status_code == 404
        app.config["METRICS_ALLOWED_IPS"] = ("10.0.0.0/8",)
        assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
        assert client.get("/metrics").status_code == 404  # 127.0.0.1 is no longer listed
    finally:
        app.config["METRICS_TOKEN"] = None
        app.config["METRICS_ALLOWED_IPS"] = ("127.0.0.1", "::1")


LOOPBACK, NETWORK = ("127.0.0.1", "::1"), ("10.0.0.0/8", "2001:db8::/32", "not-an-address")
TOKEN = "s3cret-token"

# Columns: the configuration (allowed addresses, token or None); rows: who asks (address, Authorization).
#                                                       loopback  loopback+token  network  network+token  nothing
READ_METRICS = [
    (("127.0.0.1", None),                               (1,        1,              0,       0,             0)),
    (("::1", None),                                     (1,        1,              0,       0,             0)),
    (("::ffff:127.0.0.1", None),                        (0,        0,              0,       0,             0)),
    (("203.0.113.9", None),                             (0,        0,              0,       0,             0)),
    (("10.20.30.40", None),                             (0,        0,              1,       1,             0)),
    (("2001:db8::7", None),                             (0,        0,              1,       1,             0)),
    (("203.0.113.9", f"Bearer {TOKEN}"),                (0,        1,              0,       1,             0)),
    (("203.0.113.9", f"bearer {TOKEN}"),                (0,        1,              0,       1,             0)),
    (("203.0.113.9", TOKEN),                            (0,        0,              0,       0,             0)),
    (("203.0.113.9", f"Bearer {TOKEN}x"),               (0,        0,              0,       0,             0)),
    (("203.0.113.9", "Bearer "),                        (0,        0,              0,       0,             0)),
    (("203.0.113.9", f"Basic {TOKEN}"),                 (0,        0,              0,       0,             0)),
    (("garbage", None),                                 (0,        0,              0,       0,             0)),
    ((None, f"Bearer {TOKEN}"),                         (0,        1,              0,       1,             0)),
    ((None, None),                                      (0,        0,              0,       0,             0)),
]
CONFIGS = [(LOOPBACK, None), (LOOPBACK, TOKEN), (NETWORK, None), (NETWORK, TOKEN), ((), "")]


@pytest.mark.parametrize("who,expected", READ_METRICS)
def test_who_may_read_metrics(who, expected):
    """Awkward rows: an IPv4-mapped IPv6 loopback is not 127.0.0.1 (list it if the proxy speaks IPv6), the
    scheme is case-insensitive, an empty configured token never matches, a bad entry allows nothing."""
    address, authorization = who
    got = tuple(int(can_read_metrics(address, authorization, ips, token)) for ips, token in CONFIGS)
    assert got == expected


NODE = """
import sys
from config import TestConfig
from portal import create_app
app = create_app(TestConfig)
client = app.test_client()
if sys.argv[1] == "scrape":
    sys.stdout.write(client.get("/metrics").get_data(as_text=True))
else:
    for _ in range(int(sys.argv[1])):
        assert client.get("/no/such/page").status_code == 404
"""


def test_multiprocess_mode_sums_what_several_processes_counted(app, tmp_path):
    """Two processes (two gunicorn workers, as it were) count requests into PROMETHEUS_MULTIPROC_DIR; a scrape
    served by a third adds them up."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "TEST_DATABASE_URL":
           app.config["SQLALCHEMY_DATABASE_URI"], "PYTHONPATH": str(ROOT)}
    run = lambda arg: subprocess.run([sys.executable, "-c", NODE, arg], env=env, cwd=ROOT,  # noqa: E731
                                     capture_output=True, text=True, timeout=300, check=True).stdout
    run("2")
    run("3")
    assert len(list(tmp_path.glob("counter_*.db"))) == 2  # one file per process
    scraped = samples(run("scrape"))
    assert value(scraped, "portal_http_requests_total", endpoint="none", method="GET", status="4xx") == 5
    assert value(scraped, "portal_http_request_duration_seconds_count", endpoint="none") == 5
    assert value(scraped, "portal_outbox_queue_depth", channel="email") == 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_under_gunicorn_a_scrape_sums_the_workers_and_a_stale_folder_is_emptied(app, tmp_path):
    """gunicorn.conf.py with two workers and PROMETHEUS_MULTIPROC_DIR: files an earlier run left are removed
    at start (a broken one would make every scrape fail), and any worker's scrape counts every request."""
    folder = tmp_path / "prom"
    folder.mkdir()
    (folder / "counter_99999.db").write_bytes(b"left by an earlier run, and unreadable")
    port = _free_port()
    env = {**os.environ, "SECRET_KEY": "y" * 32, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "SESSION_COOKIE_SECURE": "false", "HSTS_ENABLED": "false", "GUNICORN_BIND": f"127.0.0.1:{port}",
           "WEB_CONCURRENCY": "2", "PORTAL_CONFIG": "production", "PORTAL_BASE_URL": f"http://127.0.0.1:{port}",
           "RATELIMIT_PER_PROCESS_OK": "true", "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base, seen = f"http://127.0.0.1:{port}", []

    def get_health():
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=30) as response:
                seen.append(response.status)
        except urllib.error.HTTPError as error:  # answered (and counted), just not 2xx
            seen.append(error.code)

    try:
        for _ in range(300):
            try:
                get_health()
                break
            except OSError:  # not listening yet: nothing was counted
                time.sleep(0.1)
        threads = [threading.Thread(target=get_health) for _ in range(19)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        scraped = samples(urllib.request.urlopen(f"{base}/metrics", timeout=30).read().decode())
    finally:
        server.terminate()
        _out, errors = server.communicate(timeout=30)
    assert not (folder / "counter_99999.db").exists()
    assert len(seen) == 20, errors.decode()[-2000:]
    for status in {f"{code // 100}xx" for code in seen}:
        counted = value(scraped, "portal_http_requests_total", endpoint="main.health", method="GET", status=status)
        assert counted == sum(1 for code in seen if f"{code // 100}xx" == status), (seen, errors.decode()[-2000:])
