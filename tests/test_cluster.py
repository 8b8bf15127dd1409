"""Issue 25: `make cluster-test`'s short version as a test. Two gunicorn nodes behind a balancer, two
workers and a scheduler, on a private PostgreSQL cluster and a private Redis (the harness starts both on
ports of its own and never touches the machine's), under `make load`'s users while one node is killed, a
worker is killed mid-batch, Redis and PostgreSQL restart, and both nodes restart in turn. It passes only if
every acknowledged write is in the database once, every e-mail arrived (by Message-ID), each dependency's
return was followed by recovery within 10 s, the rolling restart lost no request, sessions, remember-me,
rate limits and a fresh change hold across the nodes, and periodic jobs ran once (bench/cluster/)."""
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bench.cluster.topology import missing_tools
from tests.browser.quality import in_ci
from tests.test_production import _redis_up

ROOT = Path(__file__).resolve().parent.parent


def _reason_to_skip() -> str | None:
    if not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"):
        return "the cluster test runs with the PostgreSQL suite (TEST_DATABASE_URL=postgresql…)"
    if not _redis_up():
        return "Redis is not reachable at 127.0.0.1:6379"
    return None


def test_two_nodes_and_workers_keep_every_write_and_message_through_faults():
    reason = _reason_to_skip()
    if reason:
        pytest.skip(reason)
    missing = missing_tools()
    if missing:
        message = f"the cluster test needs {', '.join(missing)} (apt-get install redis-server postgresql)"
        pytest.fail(message) if in_ci() else pytest.skip(message)
    run = subprocess.Popen([sys.executable, "-m", "bench.cluster", "--short"], cwd=ROOT, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        stdout, stderr = run.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        run.send_signal(signal.SIGTERM)  # the harness stops every process it started, then exits
        stdout, stderr = run.communicate(timeout=90)
        pytest.fail("the cluster test took more than 5 minutes\n" + stdout + stderr[-3000:])
    shown = stdout + "\n--- stderr (end) ---\n" + stderr[-3000:]
    assert run.returncode == 0, shown
    for phase in ("1. kill -9 node A", "2. kill -9 a worker mid-batch", "3. restart Redis", "4. restart PostgreSQL",
                  "5. rolling restart"):
        assert phase in stdout, shown
    assert "FAIL" not in stdout and stdout.rstrip().endswith("PASS"), shown
