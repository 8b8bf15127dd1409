"""The parts of `make cluster-test` (bench/cluster/) that decide pass or fail, on their own: the balancer
moves traffic off a dead or drained node, and the after-run checks catch lost, doubled and undelivered
writes and e-mails, while a write whose answer was lost may be there once."""
import threading
import time
import urllib.request
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sqlalchemy import update

from bench.cluster import checks
from bench.cluster.balancer import Balancer
from bench.cluster.topology import free_port
from portal.extensions import db
from portal.outbox import services as outbox
from portal.outbox.models import OutboxMessage, OutboxStatus
from tests.test_load_check import _data, _records, _write


def _node(name: str):
    class Answer(BaseHTTPRequestHandler):
        def do_GET(self):
            time.sleep(float(self.path.strip("/") or 0))
            body = name.encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _get(base: str, path: str = "/") -> str:
    with urllib.request.urlopen(base + path, timeout=10) as answer:
        return answer.read().decode()


def test_the_balancer_round_robins_skips_a_dead_node_and_drains_one():
    a, b, dead_port = _node("a"), _node("b"), free_port()
    balancer = Balancer(free_port(), {"a": a.server_port, "b": b.server_port, "dead": dead_port}).start()
    base = f"http://127.0.0.1:{balancer.port}"
    try:
        answers = Counter(_get(base) for _ in range(12))
        # Every third turn is the dead node's: it refuses, and the next node in order answers instead.
        assert answers == {"a": 8, "b": 4} and balancer.refused == 4 and balancer.dropped == 0
        slow = threading.Thread(target=_get, args=(base, "/0.5"))
        balancer.served.update(a=0, b=0)
        slow.start()
        time.sleep(0.1)
        busy = "a" if balancer.open["a"] else "b"
        started = time.monotonic()
        balancer.drain(busy)
        assert time.monotonic() - started >= 0.3 and balancer.open[busy] == 0  # waited for its request
        slow.join(5)
        assert {_get(base) for _ in range(6)} == {"b" if busy == "a" else "a"}
        balancer.enable(busy)
        assert {_get(base) for _ in range(6)} == {"a", "b"}
    finally:
        balancer.stop()
        a.shutdown()
        b.shutdown()


def test_acknowledged_writes_must_be_there_once_and_unanswered_ones_at_most_once(ctx, tmp_path):
    request_id, response_id, approved_id, _pending_id = _data()
    url = ctx.config["SQLALCHEMY_DATABASE_URI"]
    now = time.time()
    phases = [checks.Phase("steady", now - 100, ended=now - 50), checks.Phase("fault", now - 50)]
    good = [{**row, "t": now - 10} for row in _records(request_id, response_id, approved_id)]
    per_phase, errors = checks.check_writes(url, _write(tmp_path / "good.jsonl", *good), phases)
    assert errors == [] and per_phase["fault"]["acked"] == 3

    # The answer to the request never came (the node died): it is there once, which the client cannot know.
    unsure = [good[0], {**good[1], "outcome": "failed"}, *good[2:]]
    per_phase, errors = checks.check_writes(url, _write(tmp_path / "unsure.jsonl", *unsure), phases)
    assert errors == [] and per_phase["fault"]["unsure"] == 1

    missing = [good[0], {**good[1], "id": request_id + 1000}, *good[2:4]]  # acknowledged under another id
    per_phase, errors = checks.check_writes(url, _write(tmp_path / "missing.jsonl", *missing), phases)
    assert len(errors) == 1 and "acknowledged as" in errors[0] and per_phase["fault"]["bad"] == 1

    _per_phase, errors = checks.check_writes(url, _write(tmp_path / "unsent.jsonl", *good[:2]), phases)
    assert errors == ["response LT-bbbbbbbbbbbb is in the database but was never sent"]


def test_every_message_delivered_by_message_id_duplicates_counted_and_a_third_copy_fails(ctx):
    rows = [outbox.enqueue_email("auth.reset_unknown", f"m{n}@example.com", "th") for n in range(3)]
    db.session.commit()
    ids = [row.message_id for row in rows]
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id.in_([rows[0].id, rows[1].id]))
                       .values(status=OutboxStatus.SENT))
    db.session.commit()
    phases = [checks.Phase("all", 0.0)]
    url = ctx.config["SQLALCHEMY_DATABASE_URI"]

    per_phase, errors, totals = checks.check_mail(url, Counter({ids[0]: 1, ids[1]: 2}), phases)
    assert errors == [f"mail {ids[2]} is pending after the run (0 copies arrived)"]
    assert per_phase["all"] == {"queued": 3, "delivered": 2, "duplicates": 1, "missing": 1}
    assert totals == {"queued": 3, "distinct": 2, "duplicates": 1}

    _per_phase, errors, _totals = checks.check_mail(url, Counter({ids[0]: 3, "<stranger@x>": 1}), phases)
    assert f"mail {ids[0]} arrived 3 times" in errors
    assert f"mail {ids[1]} is marked sent but never arrived" in errors
    assert "1 e-mails arrived that the outbox does not hold" in errors


def test_failures_are_placed_in_their_phase_and_recovery_counts_from_the_return():
    phases = [checks.Phase("steady", 0.0, ended=10.0), checks.Phase("fault", 10.0, returned=15.0, ended=30.0)]
    requests = [{"t": 5.0, "ok": True, "error": None}, {"t": 12.0, "ok": False, "error": "status 500"},
                {"t": 16.5, "ok": False, "error": "status 500"}, {"t": 20.0, "ok": True, "error": None}]
    table = checks.request_table(phases, requests)
    assert table["steady"]["failed"] == 0 and table["steady"]["recovered"] is None
    assert table["fault"]["count"] == 3 and table["fault"]["failed"] == 2
    assert table["fault"]["span"] == 4.5 and table["fault"]["recovered"] == 1.5
    still_failing = checks.request_table(phases, [*requests, {"t": 25.0, "ok": False, "error": "status 500"}])
    assert still_failing["fault"]["recovered"] is None  # printed as "never", which fails the run
