"""Instructions a page, counted by valgrind's callgrind: `make bench-instructions` (python -m bench.instructions).

On a shared or throttled machine the CPU time of the same page swings by a third between runs, more than most
changes to one page move it. callgrind counts the instructions the Python process runs instead: the same figure
for the same code, data and pages, whatever else the machine is doing (the Python process only: PostgreSQL's
own work is not in it). For each page (or set of pages) and each code tree given (`--tree`, default this one):
1. starts the app of that tree in process under callgrind with instrumentation off (start-up runs at about a
   quarter of its speed, not a fiftieth), signs in as the page's viewer and opens each page three times (the
   templates, the statements' compiled forms, the kept expressions of a warm worker);
2. switches the instrumentation on (callgrind_control), opens the pages `--pages` times in turn, and prints
   `case tree M_instructions_a_page`.
It reads `make load`'s database (PostgreSQL `portal_load`, or `instance/load/load.db` with --backend sqlite) and
that run's accounts (instance/load/<backend>-w4/accounts.json): run `make load` first. Kept pages are off
(PAGE_CACHE_SECONDS=0): every page is rendered. Needs valgrind (Debian's `valgrind`); about a minute a case and
tree. Comparing trees: `git worktree add /tmp/before <commit>` (and copy translations/th/LC_MESSAGES/messages.mo
into it), then `--tree /tmp/before --tree .`: each tree runs with its own code against the same database.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load_data import database_url  # noqa: E402  (make load's database, whose accounts the pages sign in with)

# case: (viewer, pages). The viewer is visitor, member or coordinator (the first of make load's accounts).
CASES = {
    "home": ("visitor", ["/?lang=th"]),
    "cluster_page": ("visitor", ["/clusters/{cluster}?lang=th"]),
    "directory_filters": ("visitor", ["/directory/?cluster={cluster}&lang=th",
                                      "/directory/?province={province}&lang=th",
                                      "/directory/?cluster={cluster}&position=upstream&lang=th"]),
    "directory_search": ("visitor", ["/directory/?q=%E0%B8%9B%E0%B8%A5%E0%B8%B2%E0%B8%81%E0%B8%B1%E0%B8%94&lang=th",
                                     "/directory/?q=organic&lang=en"]),
    "board": ("visitor", ["/requests/?lang=th", "/requests/?cluster={cluster}&lang=th"]),
    "firm_page": ("visitor", ["/firms/{firm}?lang=th"]),
    "member_board": ("member", ["/requests/?cluster={cluster}&lang=th"]),
    "new_request_form": ("member", ["/requests/new?lang=th"]),
    "member_request_page": ("member", ["/requests/{request}?lang=th"]),
    "coordinator_queue": ("coordinator", ["/clusters/{managed}/manage?lang=th"]),
    # a coordinator's approval, as make load makes one: the queue, then the first request's approve form posted. Each
    # run approves 3 + --pages requests of the coordinator's cluster (make load leaves 20-45 in each), and a queue of
    # fewer than a page (20) renders fewer rows: compare trees with --pages 8 right after make load, in both orders.
    "approval": ("coordinator", ["approve:/clusters/{managed}/manage?lang=th"]),
}

# Run inside the app's tree, under callgrind: warm up, tell the driver, wait for its word, then the counted pages.
CHILD = r'''
import json, logging, os, re, sys, time
tree, viewer, ready, go, rounds = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
pages = sys.argv[6:]
sys.path.insert(0, tree)
os.chdir(tree)
from wsgi import app
logging.disable(logging.CRITICAL)
client = app.test_client()
if viewer != "visitor":
    accounts = json.loads(os.environ["BENCH_ACCOUNTS"])
    email = accounts["members"][0]["email"] if viewer == "member" else accounts["coordinators"][0]["email"]
    form = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', form).group(1)
    answer = client.post("/auth/login", data={"email": email, "password": accounts["password"], "csrf_token": token})
    if answer.status_code != 302:
        sys.exit(f"could not sign in as {email}: {answer.status_code}")
    client.get("/")  # the sign-in's message
def open_page(page):
    """GET the page; "approve:<queue>": GET the queue and post its first approve form, as a coordinator does."""
    if not page.startswith("approve:"):
        return client.get(page).status_code
    queue = client.get(page[len("approve:"):]).get_data(as_text=True)
    form = re.search(r'action="(/clusters/[^"]+/manage/\d+/approve)"', queue)
    if form is None:
        sys.exit("no request left to approve: run make load again")
    token = re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', queue).group(1)
    answer = client.post(form.group(1), data={"csrf_token": token})
    return 200 if answer.status_code == 302 else answer.status_code


for _ in range(3):
    for page in pages:
        status = open_page(page)
        if status != 200:
            sys.exit(f"{page}: {status}")
open(ready, "w").write(str(os.getpid()))
while not os.path.exists(go):
    time.sleep(0.05)
for n in range(rounds * len(pages)):
    open_page(pages[n % len(pages)])
'''


def fill(pages: list[str], accounts: dict, managed: str, firm: int, request: int) -> list[str]:
    values = {"cluster": accounts["clusters"][0], "province": accounts["provinces"][0], "managed": managed,
              "firm": firm, "request": request}
    return [page.format(**values) for page in pages]


def count(tree: Path, viewer: str, pages: list[str], rounds: int, env: dict) -> float:
    """Instructions a page of `pages` opened `rounds` times each in the app of `tree`, in millions."""
    with tempfile.TemporaryDirectory() as work:
        ready, go, out = Path(work) / "ready", Path(work) / "go", Path(work) / "callgrind.out"
        child = subprocess.Popen(
            ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
             sys.executable, "-c", CHILD, str(tree), viewer, str(ready), str(go), str(rounds), *pages],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        while not ready.exists():
            if child.poll() is not None:
                raise SystemExit(f"the app of {tree} stopped before the count:\n{child.stderr.read()[-2000:]}")
            time.sleep(0.2)
        subprocess.run(["callgrind_control", "--instr=on", str(child.pid)], check=True, capture_output=True)
        go.touch()
        _stdout, stderr = child.communicate()
        if child.returncode != 0:
            raise SystemExit(f"the app of {tree} failed:\n{stderr[-2000:]}")
        found = re.search(r"Collected : (\d+)", stderr)
        if not found:
            raise SystemExit(f"callgrind printed no count:\n{stderr[-2000:]}")
        return int(found.group(1)) / (rounds * len(pages)) / 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--tree", action="append", type=Path,
                        help="a code tree to count (repeatable; default: this one)")
    parser.add_argument("--only", help="the cases whose name contains this text")
    parser.add_argument("--pages", type=int, default=20, help="times each page is counted (default 20)")
    args = parser.parse_args()
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        raise SystemExit("valgrind is needed: apt-get install valgrind")
    accounts_file = ROOT / "instance" / "load" / f"{args.backend}-w4" / "accounts.json"
    if not accounts_file.exists():
        raise SystemExit(f"{accounts_file} is missing: run `make load LOAD_ARGS=\"--backend {args.backend}\"` first")
    accounts = json.loads(accounts_file.read_text(encoding="utf-8"))
    url = database_url(args.backend)
    env = {key: value for key, value in os.environ.items() if key not in ("PORTAL_CONFIG", "FLASK_DEBUG")}
    env.update({"DATABASE_URL": url, "SECRET_KEY": "instructions-" + "x" * 40, "SESSION_COOKIE_SECURE": "false",
                "RATELIMIT_STORAGE_URI": "memory://", "RATELIMIT_PER_PROCESS_OK": "true",
                "PORTAL_BASE_URL": "http://127.0.0.1:5000", "TRUSTED_HOSTS": "localhost", "PAGE_CACHE_SECONDS": "0",
                "TWO_FACTOR_REQUIRED_ROLES": "staff,admin", "PYTHONHASHSEED": "0",
                "BENCH_ACCOUNTS": json.dumps({"password": accounts["password"], "members": accounts["members"][:1],
                                              "coordinators": accounts["coordinators"][:1]})})
    from sqlalchemy import create_engine, text

    # a cluster a coordinator manages, a firm anyone sees, an open request of another firm in the member's cluster
    with create_engine(url).connect() as connection:
        email = accounts["coordinators"][0]["email"]
        managed = email.split(".", 1)[1].split("@", 1)[0]
        firm = connection.execute(text("SELECT min(id) FROM firms WHERE public_listing_consent_at IS NOT NULL "
                                       "AND hidden_at IS NULL")).scalar()
        member = accounts["members"][0]
        request = connection.execute(text(
            "SELECT min(id) FROM collab_requests WHERE cluster_id = :cluster AND firm_id <> :firm "
            "AND status = 'open' AND hidden_at IS NULL"), {"cluster": member["cluster_id"], "firm": member["firm_id"]}
        ).scalar()
    trees = [tree.resolve() for tree in (args.tree or [ROOT])]
    for name, (viewer, pages) in CASES.items():
        if args.only and args.only not in name:
            continue
        for tree in trees:
            millions = count(tree, viewer, fill(pages, accounts, managed, firm, request), args.pages, env)
            print(f"{name} {tree} M_instructions_a_page={millions:.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
