"""`make cluster-test` (python -m bench.cluster --help): two app nodes and workers under faults.

On loopback, all private to this run: PostgreSQL (its own cluster), Redis (its own server), two gunicorn
nodes behind a small balancer (bench/cluster/balancer.py), two queue workers, a scheduler and an SMTP
server. `make load`'s users (plus password resets, for mail) run through the balancer while faults come
one after another: kill -9 one app node, kill -9 a worker in the middle of a batch, restart Redis, restart
PostgreSQL, then a rolling restart of both nodes. Then it checks sessions, rate limits and consistency
across the nodes, periodic jobs, every acknowledged write and every e-mail, prints a table per fault and
exits non-zero if a check failed or a recovery took longer than 10 s.
"""
import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from contextlib import ExitStack
from pathlib import Path

from bench.cluster import checks, side_checks
from bench.cluster.balancer import Balancer
from bench.cluster.checks import Phase
from bench.cluster.topology import (
    ROOT,
    VENV_BIN,
    Inbox,
    PrivatePostgres,
    PrivateRedis,
    Processes,
    free_port,
    missing_tools,
    wait_until,
)

REGISTER_LIMIT = 4


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def environment(pg, redis, balancer_port: int, smtp_port: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PORTAL_CONFIG", "FLASK_DEBUG", "RATELIMIT_STORAGE_URI",
                                                             "HUEY_URL", "PROMETHEUS_MULTIPROC_DIR")}
    plenty = "100000 per minute"
    env.update({
        "DATABASE_URL": pg.url, "SECRET_KEY": secrets.token_hex(32), "REDIS_URL": redis.url,
        "HUEY_NAME": "cluster", "RATELIMIT_KEY_PREFIX": f"cluster-{secrets.token_hex(4)}",
        "PORTAL_BASE_URL": f"http://127.0.0.1:{balancer_port}", "TRUSTED_HOSTS": "127.0.0.1",
        "SESSION_COOKIE_SECURE": "false", "HSTS_ENABLED": "false", "TWO_FACTOR_REQUIRED_ROLES": "",
        "RATELIMIT_LOGIN": plenty, "RATELIMIT_RESET": plenty, "RATELIMIT_REGISTER": f"{REGISTER_LIMIT} per minute",
        "LIMIT_REQUESTS_PER_DAY": "1000", "LIMIT_RESPONSES_PER_DAY": "1000", "LIMIT_MESSAGES_PER_HOUR": "1000",
        "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp_port), "MAIL_USE_TLS": "false", "MAIL_TIMEOUT": "5",
        # a dead worker's message goes again after 10 s (production: 5 minutes); retries come quickly
        "OUTBOX_LEASE_SECONDS": "10", "OUTBOX_RETRY_BASE": "1", "OUTBOX_RETRY_MAX": "5",
        "LOG_FORMAT": "text", "LOG_LEVEL": "warning", "PYTHONPATH": str(ROOT),
    })
    return env


def post_reset(base: str, email: str) -> bool:
    """One password-reset request through the balancer (a form with its CSRF token); True once answered."""
    browser = side_checks.Browser()
    status, _url, _page = browser.post(f"{base}/auth/reset", f"{base}/auth/reset", {"email": email})
    return status == 200


class Run:
    def __init__(self, args, folder: Path, stack: ExitStack):
        self.args, self.folder, self.stack = args, folder, stack
        self.phases: list[Phase] = []
        self.errors: list[str] = []

    # --- the topology ------------------------------------------------------------------------------
    def start(self):
        from aiosmtpd.controller import Controller

        from bench import load_data

        self.pg = PrivatePostgres(self.folder / "pg")
        self.stack.callback(self.pg.destroy)
        self.pg.create()
        self.redis = PrivateRedis(self.folder / "redis")
        self.stack.callback(self.redis.stop)
        self.redis.start()
        self.inbox, smtp_port = Inbox(), free_port()
        controller = Controller(self.inbox, hostname="127.0.0.1", port=smtp_port)
        controller.start()
        self.stack.callback(controller.stop)
        log(f"building the dataset ({self.args.firms} firms) on the private PostgreSQL …")
        self.accounts = load_data.build(self.pg.url, self.args.firms, 2, 20, self.args.firms // 2)
        load_data.write_accounts(self.accounts, self.folder / "accounts.json")
        balancer_port = free_port()
        self.env = environment(self.pg, self.redis, balancer_port, smtp_port)
        self.procs = Processes(self.folder, self.env)
        self.stack.callback(self.procs.stop_all)
        for node in ("node-a", "node-b"):
            self.procs.start_node(node)
        for node in ("node-a", "node-b"):
            self.procs.wait_node(node)
        self.procs.start_worker("worker-1")
        self.procs.start_worker("worker-2")
        self.procs.start_worker("scheduler", periodic=True)
        self.balancer = Balancer(balancer_port, dict(self.procs.ports)).start()
        self.stack.callback(self.balancer.stop)
        self.base = f"http://127.0.0.1:{balancer_port}"
        self.node = {name: f"http://127.0.0.1:{port}" for name, port in self.procs.ports.items()}
        log(f"up: nodes {self.node}, balancer {self.base}, PostgreSQL :{self.pg.port}, Redis :{self.redis.port}")

    def start_load(self):
        env = {**self.env, "LOAD_ACCOUNTS": str(self.folder / "accounts.json"),
               "LOAD_RECORDS": str(self.folder / "records.jsonl"), "LOAD_THINK": str(self.args.think),
               "LOAD_SUMMARY": str(self.folder / "summary.json"),
               "CLUSTER_REQUESTS": str(self.folder / "requests.jsonl")}
        command = [str(VENV_BIN / "locust"), "-f", str(ROOT / "bench" / "cluster" / "locustfile.py"), "--headless",
                   "-u", str(self.args.users), "-r", str(self.args.users), "--stop-timeout", "15",
                   "--host", self.base, "--only-summary", "--loglevel", "WARNING"]
        with open(self.folder / "locust.log", "w") as output:
            self.locust = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
                                           start_new_session=True)
        self.stack.callback(lambda: self.locust.poll() is None and os.killpg(self.locust.pid, signal.SIGKILL))

    def stop_load(self):
        self.locust.send_signal(signal.SIGTERM)  # locust lets the users finish their task, then writes its summary
        self.locust.wait(60)

    # --- phases --------------------------------------------------------------------------------------
    def phase(self, name: str) -> Phase:
        if self.phases:
            self.phases[-1].ended = time.time()
        self.phases.append(Phase(name, time.time()))
        log(name)
        return self.phases[-1]

    def returned(self, phase: Phase) -> None:
        """The dependency is back: note when, and time a fresh e-mail through the whole path."""
        phase.returned = time.time()
        probe = f"probe-{len(self.phases)}-{secrets.token_hex(3)}@cluster.example"
        wait_until(lambda: post_reset(self.base, probe), 60, 0.5)
        if wait_until(lambda: probe in self.inbox.arrivals, 60, 0.1):
            phase.mail_back = self.inbox.arrivals[probe] - phase.returned

    def settle(self):
        time.sleep(self.args.settle)

    def kill_node(self):
        phase = self.phase("1. kill -9 node A")
        self.procs.kill("node-a")
        time.sleep(self.args.down)
        self.procs.start_node("node-a")
        self.procs.wait_node("node-a")
        self.returned(phase)
        phase.notes.append(f"balancer: {self.balancer.refused} connections refused by a node went to the other")
        self.settle()

    def kill_worker(self):
        phase = self.phase("2. kill -9 a worker mid-batch")
        before = len(self.inbox.ids)
        burst = [threading.Thread(target=post_reset,
                                  args=(self.base, f"burst{n}-{secrets.token_hex(3)}@cluster.example"))
                 for n in range(self.args.burst)]
        for thread in burst:
            thread.start()
        wait_until(lambda: len(self.inbox.ids) >= before + 5, 60, 0.02)
        self.procs.kill("worker-1")
        phase.notes.append(f"worker-1 killed after {len(self.inbox.ids) - before} of a burst of {self.args.burst}")
        for thread in burst:
            thread.join(60)
        time.sleep(self.args.down)
        self.procs.start_worker("worker-1")
        self.returned(phase)
        self.settle()

    def restart_redis(self):
        phase = self.phase("3. restart Redis")
        self.redis.stop()
        time.sleep(self.args.down)
        self.redis.start()
        self.returned(phase)
        shared = self.limits_shared_again(phase.returned)
        phase.limits_back = shared
        phase.notes.append("rate limits counted in Redis again on every gunicorn worker of both nodes after "
                           + ("(never, within 60 s)" if shared is None else f"{shared:.1f} s"))
        self.settle()

    def limits_shared_again(self, since: float) -> float | None:
        """Seconds after `since` until every /healthz answer of both nodes says the limits are shared again
        (twenty in a row per node, so that both gunicorn workers of each answered)."""
        def all_shared():
            for base in self.node.values():
                for _ in range(20):
                    try:
                        with urllib.request.urlopen(f"{base}/healthz", timeout=5) as answer:
                            body = json.loads(answer.read())
                    except OSError:
                        return False
                    if body.get("rate_limits") != "shared":
                        return False
            return True
        return time.time() - since if wait_until(all_shared, 60, 0.2) else None

    def restart_postgres(self):
        phase = self.phase("4. restart PostgreSQL")
        self.pg.stop("fast")
        time.sleep(self.args.down)
        self.pg.start()
        self.returned(phase)
        self.settle()

    def rolling_restart(self):
        self.phase("5. rolling restart, one node at a time")
        for node in ("node-a", "node-b"):
            self.balancer.drain(node)
            self.procs.stop(node)
            self.procs.start_node(node)
            self.procs.wait_node(node)
            self.balancer.enable(node)
            time.sleep(2)
        self.settle()
        self.phase("(after the faults)")

    # --- checks --------------------------------------------------------------------------------------
    def side_checks(self):
        member = self.accounts["members"][-1]
        a, b = self.node["node-a"], self.node["node-b"]
        for name, found in (
            ("sessions and remember-me on both nodes; a change on A seen on B", side_checks.sessions_and_consistency(
                a, b, member, self.accounts["password"])),
            (f"rate limit ({REGISTER_LIMIT}/min registrations) counted across both nodes",
             side_checks.rate_limit_across_nodes(a, b, REGISTER_LIMIT)),
            ("periodic jobs: two schedulers at once run each job once",
             side_checks.periodic_once(self.env, self.pg.url)),
        ):
            print(f"check  {'OK  ' if not found else 'FAIL'} {name}")
            for error in found:
                print(f"       {error}")
            self.errors += found

    def drain_mail(self) -> None:
        from sqlalchemy import create_engine, text

        engine = create_engine(self.pg.url)

        def settled():
            with engine.connect() as conn:
                return not conn.execute(text("SELECT COUNT(*) FROM outbox_messages WHERE status IN "
                                             "('pending', 'sending')")).scalar()
        wait_until(settled, self.args.drain, 0.5)
        engine.dispose()
        time.sleep(1)

    def report(self) -> bool:
        requests = checks.read_requests(self.folder / "requests.jsonl")
        writes, write_errors = checks.check_writes(self.pg.url, self.folder / "records.jsonl", self.phases)
        mail, mail_errors, totals = checks.check_mail(self.pg.url, self.inbox.counts(), self.phases)
        late = checks.print_table(self.phases, requests, writes, mail)
        if self.args.short:
            # A speed goal belongs to the benchmark (the long version), not to a test on a busy machine: the
            # short version fails only on a recovery that never came (within 60 s), and shows slow ones.
            for slow in [entry for entry in late if "never" not in entry]:
                print(f"note   slower than the goal: {slow}")
            late = [entry for entry in late if "never" in entry]
        summary_file = self.folder / "summary.json"
        total = json.loads(summary_file.read_text()).get("total", {}) if summary_file.exists() else {}
        print(f"\nload   {len(requests)} requests by {self.args.users} users, {total.get('rps', 0):.1f} req/s, "
              f"p50 {total.get('p50')} ms, p95 {total.get('p95')} ms; balancer: "
              f"node A {self.balancer.served['node-a']}, node B {self.balancer.served['node-b']} connections, "
              f"{self.balancer.dropped} with no node")
        print(f"mail   {totals['queued']} queued, {totals['distinct']} distinct Message-IDs delivered, "
              f"{totals['duplicates']} duplicate deliveries (same Message-ID: a worker died, or the database went "
              "away, after the server accepted and before it was recorded)")
        copies = {}
        for message_id, moment in zip(self.inbox.ids, self.inbox.times, strict=False):  # (mail has stopped)
            copies.setdefault(message_id, []).append(moment)
        for message_id, moments in copies.items():
            if len(moments) > 1:
                where = ", ".join(f"{(checks.in_phase(self.phases, m) or Phase('-', 0)).name} at "
                                  f"{time.strftime('%H:%M:%S', time.localtime(m))}" for m in moments)
                print(f"       duplicate {message_id}: {where}")
        rolling = checks.request_table(self.phases, requests)["5. rolling restart, one node at a time"]["failed"]
        results = [
            ("every acknowledged write is in the database exactly once", write_errors),
            ("every queued e-mail delivered, by Message-ID (no more than one extra copy)", mail_errors),
            ("recovery within 10 s of the dependency's return (web, mail, Redis's rate limits)" if not self.args.short
             else "recovery after each dependency's return (web, mail, Redis's rate limits)", late),
            ("the rolling restart lost no request", [f"{rolling} requests failed"] if rolling else []),
        ]
        for name, found in results:
            print(f"check  {'OK  ' if not found else 'FAIL'} {name}")
            for error in found[:15]:
                print(f"       {error}")
            self.errors += found
        print(f"files  {self.folder}")
        return not self.errors


def _no_interruptions() -> None:
    """From here on a second Ctrl+C (or SIGTERM) waits: stopping the processes is what it would ask for."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _run(run: Run) -> bool:
    run.start()
    run.start_load()
    run.phase("0. steady load")
    run.settle()
    run.kill_node()
    run.kill_worker()
    run.restart_redis()
    run.restart_postgres()
    run.rolling_restart()
    run.settle()
    run.stop_load()
    run.phases[-1].ended = time.time()
    run.side_checks()
    run.drain_mail()
    return run.report()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--short", action="store_true", help="CI's version: a small dataset, short phases")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--think", type=float, default=0.5)
    parser.add_argument("--firms", type=int, default=1000)
    parser.add_argument("--down", type=float, default=10.0, help="seconds each dependency stays down")
    parser.add_argument("--settle", type=float, default=30.0, help="seconds of load after each fault")
    parser.add_argument("--burst", type=int, default=40, help="e-mails queued at once before a worker is killed")
    parser.add_argument("--drain", type=float, default=90.0, help="longest wait for the outbox to empty at the end")
    parser.add_argument("--keep", action="store_true", help="keep the run's folder (logs, records)")
    args = parser.parse_args(argv)
    if args.short:
        args.users, args.firms, args.down, args.settle, args.burst = 8, 150, 3.0, 6.0, 20
    missing = missing_tools()
    if missing:
        print(f"cannot run: {', '.join(missing)} not found", file=sys.stderr)
        return 2
    folder = Path(tempfile.mkdtemp(prefix="portal-cluster-"))
    folder.chmod(0o755)  # PostgreSQL's own user must reach its data folder inside
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop as on Ctrl+C: the finally below cleans up
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started in the background by a shell
    passed = False
    try:
        with ExitStack() as stack:
            try:
                passed = _run(Run(args, folder, stack))
            finally:
                _no_interruptions()  # the stack's cleanup, which follows, must not be cut short
    finally:
        if not args.keep and passed:
            shutil.rmtree(folder, ignore_errors=True)
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
