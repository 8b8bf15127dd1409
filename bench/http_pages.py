"""Pages under gunicorn against a same-bytes floor: `make bench-http` (python -m bench.http_pages --help).

Serves the databases `make bench` built (instance/bench/bench.db and $BENCH_PG_DB, default portal_bench) with
the production configuration under gunicorn (2 sync workers, gunicorn.conf.py, JSON access log), and beside it
the floor (bench/floor.py: the same gunicorn settings, a Flask app answering with the very bytes the portal
sent for that page). Each page is loaded with wrk (or locust when wrk is missing) on the portal, then on the
floor, one after the other in the same run, and one line is printed per page:

    page req/s floor_req/s ratio

ratio = req/s ÷ floor_req/s. The load generator shares the machine's cores with the servers and the database:
compare ratios within one run, not absolute figures across machines. `_member` pages are signed in.
"""
import argparse
import csv
import os
import re
import shutil
import socket
import subprocess  # nosec B404  # gunicorn, wrk and locust, started by this benchmark with fixed arguments
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.directory import (  # noqa: E402
    BENCH_PASSWORD,
    MEMBER,
    accept_notice,
    ensure_member,
    existing_database,
    make_app,
    sample_ids,
)
from portal.clusters.models import Cluster  # noqa: E402
from portal.extensions import db  # noqa: E402

OUT = ROOT / "instance" / "bench" / "http"
# The member's browser: signed in with it, and sent by wrk with each signed-in page (Flask-Login's session protection
# marks a session whose browser changed as no longer fresh, which changes the cookie on every answer).
USER_AGENT = "bench-http member (one browser)"
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
LOCUST = str(Path(sys.executable).parent / "locust")


def cases_for(largest: str, ids: dict) -> list[tuple[str, str]]:
    return [
        ("home", "/?lang=th"),
        ("cluster_list", "/clusters/?lang=th"),
        ("directory_page1", "/directory/?lang=th"),
        ("filter_cluster_position", f"/directory/?cluster={largest}&position=upstream&lang=th"),
        ("search_thai", "/directory/?q=%E0%B8%9B%E0%B8%A5%E0%B8%B2%E0%B8%81%E0%B8%B1%E0%B8%94&lang=th"),  # ปลากัด
        ("search_english", "/directory/?q=betta&lang=en"),
        ("largest_cluster_page", f"/clusters/{largest}?lang=th"),
        ("members_by_position", f"/clusters/{largest}/members/upstream?lang=th"),
        ("request_board", "/requests/?lang=th"),
        ("firm_page", f"/firms/{ids['firm']}?lang=th"),
        ("request_page", f"/requests/{ids['request']}?lang=th"),
        ("public_results_2566", "/results?year=2566&lang=th"),
        ("directory_page1_member", "/directory/?lang=th"),
        ("filter_cluster_position_member", f"/directory/?cluster={largest}&position=upstream&lang=th"),
        ("request_board_member", "/requests/?lang=th"),
        ("firm_page_member", f"/firms/{ids['firm']}?lang=th"),
    ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(app_spec: str, port: int, env: dict, log_path: Path) -> subprocess.Popen:
    """The portal with the production settings (gunicorn.conf.py); the floor with the same worker settings
    but none of the portal's hooks (they load the portal)."""
    if app_spec == "wsgi:app":
        settings = ["-c", str(ROOT / "gunicorn.conf.py")]
    else:  # its own file: without -c, gunicorn would read ./gunicorn.conf.py and its hooks
        conf = log_path.with_suffix(".conf.py")
        conf.write_text(f"bind = {env['GUNICORN_BIND']!r}\nworkers = {int(env['WEB_CONCURRENCY'])}\n"
                        "worker_class = 'sync'\nkeepalive = 2\npreload_app = True\n")
        settings = ["-c", str(conf)]
    log = log_path.open("w")
    process = subprocess.Popen(  # nosec B603  # our own gunicorn, fixed arguments
        [GUNICORN, *settings, app_spec], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn {app_spec} stopped: see {log_path}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit(f"gunicorn {app_spec} did not listen on {port}: see {log_path}")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def sign_in(base: str) -> str:
    """The member's Cookie header, got by signing in through the form (CSRF token included), reading the
    message that says so and one page more, as a browser's session is after its first page; wrk sends that cookie
    with every request (a cookie still holding the message would have every page show it again)."""
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    page = session.get(f"{base}/auth/login", timeout=30).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    data = {"email": MEMBER, "password": BENCH_PASSWORD, "csrf_token": token.group(1) if token else ""}
    session.post(f"{base}/auth/login", data=data, timeout=30, allow_redirects=False)
    session.get(f"{base}/privacy", timeout=30)  # as a browser would: the "signed in" message is shown once
    # and a first page past the account gates, which notes in the session that the privacy notice was accepted,
    # in Thai, which it remembers: wrk sends this cookie unchanged, and without these each request would look
    # the acceptance up, note the language and sign a new cookie, as only a session's first page does
    session.get(f"{base}/notifications/?lang=th", timeout=30)  # the language the pages measured ask for
    cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
    if "session=" not in cookie:
        raise SystemExit("the benchmark member could not sign in")
    return cookie


def settle(base: str) -> None:
    """Wait for the requests a load run left queued (slow pages leave seconds of them), so that they are
    not counted against the next page: one answer means the queue ahead of it has gone."""
    requests.get(f"{base}/healthz", timeout=300)


def run_wrk(url: str, headers: dict, seconds: int, connections: int) -> tuple[float, int]:
    """Requests per second, and the number of answers that were not 2xx/3xx."""
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s"]
    for key, value in headers.items():
        args += ["-H", f"{key}: {value}"]
    out = subprocess.run(args + [url], capture_output=True, text=True, check=True).stdout  # nosec B603 B607
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rate, int(bad.group(1)) if bad else 0


LOCUSTFILE = '''
import os
from locust import FastHttpUser, constant, task

class Page(FastHttpUser):
    wait_time = constant(0)

    @task
    def page(self):
        headers = dict(h.split(": ", 1) for h in os.environ.get("BENCH_HEADERS", "").split("\\n") if h)
        self.client.get(os.environ["BENCH_PATH"], headers=headers)
'''


def run_locust(url: str, headers: dict, seconds: int, connections: int) -> tuple[float, int]:
    base, _, path = url.partition("//")[2].partition("/")
    with tempfile.TemporaryDirectory() as tmp:
        locustfile = Path(tmp) / "locustfile.py"
        locustfile.write_text(LOCUSTFILE)
        env = {**os.environ, "BENCH_PATH": "/" + path,
               "BENCH_HEADERS": "\n".join(f"{k}: {v}" for k, v in headers.items())}
        subprocess.run([LOCUST, "-f", str(locustfile), "--headless", "-u", str(connections),  # nosec B603
                        "-r", str(connections), "-t", f"{seconds}s", "--host", f"http://{base}",
                        "--csv", f"{tmp}/out", "--only-summary"], env=env, capture_output=True, check=False)
        with open(f"{tmp}/out_stats.csv") as f:
            total = next(row for row in csv.DictReader(f) if row["Name"] == "Aggregated")
    return float(total["Requests/s"]), int(total["Failure Count"])


def measure_backend(backend: str, args) -> None:
    url = existing_database(backend)
    app = make_app(url)
    try:
        with app.app_context():
            largest = db.session.scalar(db.select(Cluster.slug).order_by(Cluster.id))
            ensure_member()
            accept_notice([MEMBER])
            ids = sample_ids()
            db.engine.dispose()
    except Exception as exc:  # no database yet: say how to build it
        print(f"# {backend} skipped: no benchmark database ({type(exc).__name__}); run `make bench` first",
              flush=True)
        return
    if largest is None:
        print(f"# {backend} skipped: the benchmark database is empty; run `make bench` first", flush=True)
        return
    out = OUT / backend
    shutil.rmtree(out, ignore_errors=True)
    (out / "floor").mkdir(parents=True)
    port, floor_port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    common = {**os.environ, "WEB_CONCURRENCY": str(args.workers), "GUNICORN_MAX_REQUESTS": "0"}
    portal_env = {**common, "SECRET_KEY": "bench-http-only",  # nosec B105  # a throw-away server
                  "DATABASE_URL": url, "PORTAL_BASE_URL": base,
                  "GUNICORN_BIND": f"127.0.0.1:{port}", "SESSION_COOKIE_SECURE": "false",
                  "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
                  "RATELIMIT_KEY_PREFIX": f"bench-http-{port}"}
    portal_env.pop("PORTAL_CONFIG", None)  # production configuration
    floor_env = {**common, "GUNICORN_BIND": f"127.0.0.1:{floor_port}", "BENCH_FLOOR_DIR": str(out / "floor"),
                 "RATELIMIT_PER_PROCESS_OK": "true"}
    portal = start_gunicorn("wsgi:app", port, portal_env, out / "gunicorn.log")
    floor = None
    try:
        cookie = sign_in(base)
        wanted = args.only.split(",")
        cases = [case for case in cases_for(largest, ids) if any(part in case[0] for part in wanted)]
        for name, path in cases:
            headers = {"Cookie": cookie, "User-Agent": USER_AGENT} if name.endswith("_member") else {}
            answer = requests.get(base + path, headers=headers, timeout=60)
            if answer.status_code != 200:
                raise SystemExit(f"{path} answered {answer.status_code}: nothing to measure")
            (out / "floor" / f"{name}.html").write_bytes(answer.content)
        floor = start_gunicorn("bench.floor:app", floor_port, floor_env, out / "floor.log")
        tool = run_wrk if shutil.which("wrk") and args.tool != "locust" else run_locust
        print(f"# {backend}: gunicorn {args.workers} sync workers, {tool.__name__[4:]} -c{args.connections} "
              f"{args.seconds}s a page", flush=True)
        print("page req/s floor_req/s ratio", flush=True)
        for name, path in cases:
            headers = {"Cookie": cookie, "User-Agent": USER_AGENT} if name.endswith("_member") else {}
            tool(base + path, headers, 1, args.connections)  # warm both workers
            settle(base)
            rate, bad = tool(base + path, headers, args.seconds, args.connections)
            settle(base)
            floor_rate, _ = tool(f"http://127.0.0.1:{floor_port}{path}", {"X-Bench-Case": name},
                                 args.seconds, args.connections)
            warning = f" ({bad} answers not 2xx/3xx)" if bad else ""
            ratio = f"{rate / floor_rate:.3f}" if floor_rate else "-"
            print(f"{name} {rate:.0f} {floor_rate:.0f} {ratio}{warning}", flush=True)
    finally:
        stop(portal)
        if floor is not None:
            stop(floor)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--seconds", type=int, default=5, help="load per page, on the portal and on the floor")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--tool", choices=["wrk", "locust"], default="wrk", help="locust is used if wrk is missing")
    parser.add_argument("--only", default="",
                        help="only the pages whose name contains this text (or one of these, comma-separated)")
    args = parser.parse_args()
    for backend in ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]:
        measure_backend(backend, args)


if __name__ == "__main__":
    main()
