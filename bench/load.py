"""Load benchmark: `make load` (python -m bench.load --help).

For each backend (SQLite, then PostgreSQL at 127.0.0.1, database portal_load), and each worker count:
1. builds a fresh database (bench/load_data.py): migrations, reference and demo data, a few thousand
   synthetic firms with member accounts, coordinators with terms, open requests, pending memberships;
2. starts gunicorn (sync workers) on a free loopback port, waits until it answers, warms it up;
3. runs locust headless (bench/locustfile.py: visitors browsing and searching, members posting and
   responding, coordinators approving) for the given time, then lets users finish their current task;
4. stops gunicorn, prints throughput, p50/p95 overall and per request kind, failures, and CPU used by
   the server and by the load generator (they share the machine's cores);
5. checks the database (bench/load_check.py): every acknowledged write is there exactly once, no
   unacknowledged one is, acknowledged approvals are approved.
With --smtp up|down|both, a background worker (`flask jobs worker`) runs beside gunicorn and delivers the
notifications' e-mails to a real SMTP server on loopback (up) or to a port where nothing listens (down): the
web figures of the two runs side by side show whether a mail outage reaches the web requests.
Exits non-zero if any request failed or any check did not pass.
"""
import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import load_check, load_data  # noqa: E402

VENV_BIN = Path(sys.executable).parent
WARM_UP = ["/", "/clusters/", "/clusters/betta", "/directory/", "/directory/?q=%E0%B8%9C%E0%B8%A1", "/requests/"]


def log(message):
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(url: str, work: Path, base: str, smtp_port: int | None = None) -> dict:
    env = {key: value for key, value in os.environ.items()
           if key not in ("MAIL_SERVER", "PORTAL_CONFIG", "FLASK_DEBUG")}
    plenty = "100000 per minute"
    env.update({
        "DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(32), "SESSION_COOKIE_SECURE": "false",
        "RATELIMIT_STORAGE_URI": "memory://", "RATELIMIT_LOGIN": plenty, "RATELIMIT_REGISTER": plenty,
        "RATELIMIT_RESET": plenty, "OUTBOX_DIR": str(work / "outbox"), "UPLOAD_DIR": str(work / "uploads"),
        "PORTAL_BASE_URL": base,
        # The coordinators are measured deciding memberships, not setting up a second factor: without this every
        # page of theirs was the two-factor gate's redirect (the two-factor sign-in has its own browser test).
        "TWO_FACTOR_REQUIRED_ROLES": "staff,admin",
        "RATELIMIT_PER_PROCESS_OK": "true",  # limits are set out of reach above; no Redis needed
        "HUEY_URL": f"sqlite:///{work / 'huey.db'}", "HUEY_NAME": "load",
        # Members take turns (thousands of accounts), but one firm may still post a few times a minute.
        "LIMIT_REQUESTS_PER_DAY": "1000", "LIMIT_RESPONSES_PER_DAY": "1000", "LIMIT_MESSAGES_PER_HOUR": "1000",
    })
    if smtp_port is not None:
        env.update({"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp_port), "MAIL_USE_TLS": "false",
                    "MAIL_TIMEOUT": "10"})
    return env


def start_server(url: str, workers: int, work: Path, smtp_port: int | None = None):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with open(work / "gunicorn.log", "w") as output:
        server = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}", "--timeout", "60",
             "--graceful-timeout", "20", "wsgi:app"],
            cwd=ROOT, env=server_env(url, work, base, smtp_port), stdout=output, stderr=subprocess.STDOUT)
    try:
        wait_and_warm_up(server, base, workers, work)
    except BaseException:
        stop_server(server)
        raise
    return server, base


def start_worker(url: str, work: Path, base: str, smtp_port: int):
    """The background worker beside gunicorn (it competes for the same cores, as in production)."""
    with open(work / "worker.log", "w") as output:
        return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "worker", "--workers", "2",
                                 "--no-periodic"], cwd=ROOT, env=server_env(url, work, base, smtp_port),
                                stdout=output, stderr=subprocess.STDOUT)


class CountingInbox:
    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        return "250 OK"


def outbox_counts(url: str) -> dict[str, int]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT status, COUNT(*) FROM outbox_messages GROUP BY status")).all()
    engine.dispose()
    return {status: count for status, count in rows}


def wait_and_warm_up(server, base: str, workers: int, work: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(base + "/", timeout=5) as response:
                if response.status == 200:
                    break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start; see {work / 'gunicorn.log'}") from None
            time.sleep(0.3)
    for _ in range(4 * workers):  # each worker loads templates, catalogues and caches on first use
        for path in WARM_UP:
            urllib.request.urlopen(base + path, timeout=30).read()


def cpu_seconds(process: psutil.Process) -> float:
    total = 0.0
    for proc in [process, *process.children(recursive=True)]:
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def database_cpu() -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend serving the benchmark's database, by process id."""
    found = {}
    for proc in psutil.process_iter(["cmdline", "cpu_times"]):
        title = " ".join(proc.info["cmdline"] or [])
        if title.startswith("postgres:") and f" {load_data.PG_DATABASE} " in title and proc.info["cpu_times"]:
            found[proc.pid] = proc.info["cpu_times"].user + proc.info["cpu_times"].system
    return found


def stop_server(server) -> int:
    server.send_signal(signal.SIGTERM)
    try:
        return server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        return server.wait()


def run_locust(base: str, args, work: Path, accounts: Path, records: Path):
    """Run locust in its own process; returns (exit code, its CPU seconds)."""
    env = {**os.environ, "LOAD_ACCOUNTS": str(accounts), "LOAD_RECORDS": str(records),
           "LOAD_THINK": str(args.think), "LOAD_SUMMARY": str(work / "summary.json")}
    command = [str(VENV_BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
               "-u", str(args.users), "-r", str(args.users), "-t", f"{args.seconds}s", "--stop-timeout", "30",
               "--host", base, "--only-summary", "--loglevel", "WARNING"]
    with open(work / "locust.log", "w") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
        _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, usage.ru_utime + usage.ru_stime


def read_summary(work: Path) -> dict:
    path = work / "summary.json"
    if not path.exists():
        raise RuntimeError(f"locust wrote no summary; see {work / 'locust.log'}")
    return json.loads(path.read_text(encoding="utf-8"))


def measured(server, run_locust_now):
    """Run locust; returns its exit code and the CPU seconds used by gunicorn, locust, PostgreSQL's
    backends for our database, and the share of the machine that was busy."""
    server_process = psutil.Process(server.pid)
    server_before, database_before = cpu_seconds(server_process), database_cpu()
    machine_before, clock = psutil.cpu_times(), time.monotonic()
    rc, locust_cpu = run_locust_now()
    server_cpu = cpu_seconds(server_process) - server_before
    database = sum(cpu - database_before.get(pid, 0.0) for pid, cpu in database_cpu().items())
    machine_after, elapsed = psutil.cpu_times(), time.monotonic() - clock
    idle = (machine_after.idle + machine_after.iowait) - (machine_before.idle + machine_before.iowait)
    busy = 1 - idle / max(1e-9, sum(machine_after) - sum(machine_before))
    return rc, {"server_cpu": server_cpu, "locust_cpu": locust_cpu, "database_cpu": database, "busy": busy,
                "elapsed": elapsed}


def run_one(backend: str, workers: int, args, smtp: str = "none") -> dict:
    log(f"# {backend}, {workers} workers: building the dataset …")
    started = time.perf_counter()
    url = load_data.recreate_database(backend)
    accounts = load_data.build(url, args.firms, 3, args.pending, args.open_requests)
    work = ROOT / "instance" / "load" / (f"{backend}-w{workers}" + ("" if smtp == "none" else f"-smtp-{smtp}"))
    # (the last run's files, kept to look at)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    load_data.write_accounts(accounts, work / "accounts.json")
    log(f"  dataset built in {time.perf_counter() - started:.0f} s; starting gunicorn …")
    smtp_port = None if smtp == "none" else free_port()
    inbox = controller = worker = None
    if smtp == "up":
        from aiosmtpd.controller import Controller

        inbox = CountingInbox()
        controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
        controller.start()
    server, base = start_server(url, workers, work, smtp_port)
    if smtp_port is not None:
        worker = start_worker(url, work, base, smtp_port)
    try:
        log(f"  running locust: {args.users} users for {args.seconds} s against {base} (smtp {smtp}) …")
        rc, cpu = measured(server, lambda: run_locust(base, args, work, work / "accounts.json",
                                                      work / "records.jsonl"))
    finally:
        server_rc = stop_server(server)
        if worker is not None:
            stop_server(worker)
        if controller is not None:
            controller.stop()
    mail = {"smtp": smtp, "received": inbox.count if inbox else None,
            "outbox": outbox_counts(url) if smtp != "none" else {}}
    log_text = (work / "gunicorn.log").read_text(errors="replace")
    report = load_check.verify(url, work / "records.jsonl")
    return {"backend": backend, "workers": workers, "stats": read_summary(work), "mail": mail,
            "locust_rc": rc, "server_rc": server_rc, **cpu, "tracebacks": log_text.count("Traceback"),
            "kept": kept_pages(log_text), "cpu_by_endpoint": cpu_by_endpoint(log_text),
            "report": report, "work": work, "load": os.getloadavg(),
            "dataset": f"{args.firms:,} synthetic firms + 200 demo, {len(accounts['members']):,} member accounts, "
                       f"{len(accounts['coordinators'])} coordinators, {args.pending} pending memberships per "
                       f"cluster, {args.open_requests:,} open requests"}


def _access_entries(log_text: str, field: str):
    """The access log's entries (JSON lines) that have `field`."""
    for line in log_text.splitlines():
        if f'"{field}"' not in line:
            continue
        try:
            yield json.loads(line)
        except ValueError:
            continue


def kept_pages(log_text: str) -> dict:
    """{endpoint: [served kept, rendered]} of the pages portal/pagecache.py may keep, from the access log's
    "kept" field (warm-up included: a handful of requests)."""
    found = {}
    for entry in _access_entries(log_text, "kept"):
        counts = found.setdefault(entry.get("endpoint"), [0, 0])
        counts[entry["kept"] != "served"] += 1
    return found


def cpu_by_endpoint(log_text: str) -> dict:
    """{(method, endpoint, kept): [requests, CPU ms]} from the access log's "cpu_ms" (each request's own thread:
    the app's share of gunicorn's CPU, without the database's)."""
    found = {}
    for entry in _access_entries(log_text, "cpu_ms"):
        counts = found.setdefault((entry.get("method"), entry.get("endpoint"), entry.get("kept", "")), [0, 0.0])
        counts[0] += 1
        counts[1] += entry["cpu_ms"]
    return found


def ms(value) -> str:
    return "-" if value is None else f"{value:,.0f}"


def server_ms_per_request(result: dict) -> float:
    return 1000 * (result["server_cpu"] + result["database_cpu"]) / max(1, result["stats"]["total"]["count"])


def print_result(result: dict, args) -> bool:
    total, report = result["stats"]["total"], result["report"]
    print(f"\n== {result['backend']}: gunicorn {result['workers']} sync workers, {args.users} users, "
          f"{args.seconds} s, smtp {result['mail']['smtp']} ==")
    if result["mail"]["smtp"] != "none":
        print(f"mail       outbox {result['mail']['outbox']}; the SMTP server received {result['mail']['received']}")
    print(f"dataset    {result['dataset']}; users pause up to {args.think} s between actions")
    print(f"throughput {total['rps']:.1f} req/s   requests {total['count']:,}   failures {total['failures']}")
    print(f"latency    p50 {ms(total['p50'])} ms   p95 {ms(total['p95'])} ms   p99 {ms(total['p99'])} ms   "
          f"max {ms(total['max'])} ms")
    print(f"  {'request kind':46} {'count':>6} {'p50':>6} {'p95':>6} {'fail':>5}")
    for row in sorted(result["stats"]["entries"], key=lambda r: r["name"]):
        print(f"  {row['name'][:46]:46} {row['count']:>6} {ms(row['p50']):>6} {ms(row['p95']):>6} "
              f"{row['failures']:>5}")
    for row in result["stats"]["errors"][:10]:
        print(f"  FAILED {row['method']} {row['name']}: {row['error'][:120]} (x{row['occurrences']})")
    for kind, counts in report.counts.items():
        print(f"writes     {kind + 's':10} " + "  ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    served, rendered = (sum(counts[i] for counts in result["kept"].values()) for i in (0, 1))
    print(f"kept       {served:,} of {served + rendered:,} pages that may be kept were served kept "
          f"({served / max(1, served + rendered):.0%}): " + ", ".join(
              f"{endpoint} {counts[0]}/{sum(counts)}" for endpoint, counts in sorted(result["kept"].items())))
    cores = psutil.cpu_count()
    ours = result["server_cpu"] + result["locust_cpu"] + result["database_cpu"]
    others = max(0.0, result["busy"] * cores * result["elapsed"] - ours)
    print(f"cpu        over {result['elapsed']:.0f} s on {cores} cores: gunicorn {result['server_cpu']:.0f} s, "
          f"locust {result['locust_cpu']:.0f} s, PostgreSQL {result['database_cpu']:.0f} s, other work on the "
          f"machine {others:.0f} s (busy {result['busy']:.0%}, load average {result['load'][0]:.1f})"
          + ("  << NOISY: compare within one run" if others > 0.25 * cores * result["elapsed"] else ""))
    print(f"cpu/req    {server_ms_per_request(result):.1f} ms of CPU per request (gunicorn and PostgreSQL; less "
          "swayed than req/s by other work on the machine)")
    spent = result["cpu_by_endpoint"]
    logged = sum(cpu for _count, cpu in spent.values())
    print(f"  where the app's CPU went (the access log's cpu_ms: {logged / 1000:.0f} s of gunicorn's "
          f"{result['server_cpu']:.0f} s; the rest is gunicorn and the WSGI layer around the app)")
    print(f"  {'method endpoint (kept)':46} {'count':>6} {'ms/req':>7} {'share':>6}")
    for (method, endpoint, kept), (count, cpu) in sorted(spent.items(), key=lambda item: -item[1][1])[:15]:
        name = f"{method} {endpoint}" + (f" ({kept})" if kept else "")
        print(f"  {name[:46]:46} {count:>6} {cpu / count:>7.1f} {cpu / max(1.0, logged):>6.0%}")
    checks = [
        ("no request failed", total["failures"] == 0 and result["locust_rc"] == 0),
        ("no server error in the gunicorn log, and gunicorn stopped cleanly",
         result["tracebacks"] == 0 and result["server_rc"] == 0),
        ("every kind of write was made, and every acknowledged one is in the database exactly once, no "
         "unacknowledged one", report.ok),
    ]
    for name, ok in checks:
        print(f"check      {'OK  ' if ok else 'FAIL'} {name}")
    for error in report.errors[:20]:
        print(f"           {error}")
    print(f"files      {result['work']}")
    return all(ok for _name, ok in checks)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--workers", default="4", help="gunicorn sync workers; a list such as 2,4 runs each")
    parser.add_argument("--think", type=float, default=0.5, help="longest pause between a user's actions (s)")
    parser.add_argument("--firms", type=int, default=3000, help="synthetic firms, each with a member account")
    parser.add_argument("--pending", type=int, default=60, help="pending membership requests per cluster")
    parser.add_argument("--open-requests", type=int, default=1500)
    parser.add_argument("--smtp", choices=["none", "up", "down", "both"], default="none",
                        help="run a worker delivering to an SMTP server that is up, down, or both runs in turn")
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    (ROOT / "instance" / "load").mkdir(parents=True, exist_ok=True)
    results, passed = [], True
    for backend in backends:
        for workers, smtp in [(int(w), m) for w in args.workers.split(",")
                              for m in (["up", "down"] if args.smtp == "both" else [args.smtp])]:
            try:
                results.append(run_one(backend, workers, args, smtp))
            except (subprocess.CalledProcessError, FileNotFoundError, RuntimeError) as exc:
                print(f"# {backend} with {workers} workers did not run: {exc}", flush=True)
                passed = False
                continue
            passed = print_result(results[-1], args) and passed
    print("\n== summary ==")
    for result in results:
        total = result["stats"]["total"]
        print(f"{result['backend']:10} workers={result['workers']} smtp={result['mail']['smtp']} "
              f"req_s={total['rps']:.1f} "
              f"p50_ms={ms(total['p50'])} p95_ms={ms(total['p95'])} failures={total['failures']} "
              f"cpu_ms_per_req={server_ms_per_request(result):.1f} "
              f"checks={'OK' if result['report'].ok else 'FAIL'}")
    print("PASS" if passed else "FAIL")
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
