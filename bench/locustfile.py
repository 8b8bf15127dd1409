"""The load scenario of `make load` (run by bench/load.py; see its docstring).

Three kinds of people, in a realistic proportion (weights 13 : 5 : 2):
- Visitor: home, clusters, the directory with filters and Thai/English searches (2-letter Thai words
  too), the request board, firm and request pages, the language switch. Anonymous.
- Member: signs in as a firm owner, reads the board of its cluster, answers other firms' requests,
  posts requests, looks at its own pages; every few actions signs out and another member signs in.
- Coordinator: signs in, opens the cluster's queue and approves pending requests to join, looks at
  the member list; coordinators take turns as members do.

Like a browser, each POST carries the CSRF token scraped from the page holding the form, and is sent
without following the redirect, which is then fetched (the flash is on that page). Every write carries
a unique token (in the title or the message; an approval is identified by membership and account) and
is written to LOAD_RECORDS (JSON lines): "attempt" before sending, then "ack" only when the app
confirmed it (the redirect it gives on success, and its success flash), "refused" when the app said no
(a rule, or another coordinator was faster), "failed" on an error or time-out.
"""
import itertools
import json
import os
import random
import re
import time
import uuid
from datetime import date, timedelta
from urllib.parse import urlencode, urlsplit

from locust import FastHttpUser, between, events, task

ACCOUNTS = json.loads(open(os.environ["LOAD_ACCOUNTS"], encoding="utf-8").read())
RECORDS = open(os.environ["LOAD_RECORDS"], "a", encoding="utf-8")
THINK = float(os.environ.get("LOAD_THINK", "0.5"))
TURNS = int(os.environ.get("LOAD_TURNS", "8"))  # actions before the next account signs in
_member_accounts = itertools.cycle(ACCOUNTS["members"])
_coordinator_accounts = itertools.cycle(ACCOUNTS["coordinators"])

CSRF = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')
FLASH = re.compile(r'<p class="flash flash-(\w+)">')
REQUEST_LINK = re.compile(r'href="/requests/(\d+)"')
FIRM_LINK = re.compile(r'href="/firms/(\d+)"')
THAI_WORDS = ["ปลากัด", "ผม", "รถ", "ฟาร์ม", "ทุเรียน", "ส่งออก", "ผ้า", "มะพร้าว", "กล้วยไม้", "ฮาลาล"]
ENGLISH_WORDS = ["betta", "export", "farm", "organic", "coconut", "cosplay", "orchid", "fashion"]
POSITIONS = ["upstream", "midstream", "downstream"]
SIZES = ["micro", "small", "medium"]
KINDS = ["seeking_supplier", "seeking_buyers", "joint_purchasing", "shared_logistics", "trade_fair", "knowledge"]


def record(**fields) -> None:
    RECORDS.write(json.dumps({"t": time.time(), **fields}, ensure_ascii=False) + "\n")
    RECORDS.flush()


@events.quitting.add_listener
def write_summary(environment, **_kwargs):
    """After the users have stopped (and finished their task): figures for bench/load.py, as JSON."""
    stats = environment.stats

    def figures(entry):
        return {"name": entry.name, "method": entry.method, "count": entry.num_requests,
                "failures": entry.num_failures, "rps": entry.total_rps,
                **{key: entry.get_response_time_percentile(q) if entry.num_requests else None
                   for key, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))},
                "max": entry.max_response_time}

    summary = {"total": figures(stats.total), "entries": [figures(e) for e in stats.entries.values()],
               "errors": [{"name": e.name, "method": e.method, "error": str(e.error), "occurrences": e.occurrences}
                          for e in stats.errors.values()]}
    with open(os.environ["LOAD_SUMMARY"], "w", encoding="utf-8") as handle:
        json.dump(summary, handle, ensure_ascii=False)


def token() -> str:
    return "LT-" + uuid.uuid4().hex[:12]


def flash_kinds(body: str | None) -> set[str]:
    """The categories of the flashed messages on a page: success, info, warning."""
    return set(FLASH.findall(body or ""))


class PortalUser(FastHttpUser):
    abstract = True
    wait_time = between(THINK / 5, THINK)
    network_timeout = 30.0
    connection_timeout = 10.0

    def page(self, url: str, name: str, params: dict | None = None) -> str | None:
        """GET a page as a browser would (following redirects); a non-200 answer fails the request."""
        full = url + ("?" + urlencode(params) if params else "")
        with self.client.get(full, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
                return None
            return response.text

    def post_form(self, url: str, data: dict, name: str):
        """POST a form without following the redirect; returns (status, location) or (None, error)."""
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        with self.client.post(url, data=urlencode(data), headers=headers, name=name, allow_redirects=False,
                              catch_response=True) as response:
            if response.status_code in (302, 303):
                target = urlsplit(response.headers.get("Location", ""))
                return 302, target.path + (f"?{target.query}" if target.query else "")
            if response.status_code == 200:
                return 200, response.text  # the form again, with its errors: checked by the caller
            response.failure(f"status {response.status_code}")
            return None, f"status {response.status_code}"

    def sign_in(self, email: str, landing_name: str) -> bool:
        body = self.page("/auth/login", "auth: sign-in form")
        csrf = CSRF.search(body or "")
        if not csrf:
            return False
        status, location = self.post_form("/auth/login", {"csrf_token": csrf.group(1), "email": email,
                                                          "password": ACCOUNTS["password"]}, "auth: sign in")
        if status != 302:
            self._fail("auth: sign in refused", f"{email}: {status}")
            return False
        return self.page(location, landing_name) is not None

    def sign_out(self) -> None:
        body = self.page("/", "auth: home before signing out")
        csrf = CSRF.search(body or "")
        if csrf:
            self.post_form("/auth/logout", {"csrf_token": csrf.group(1)}, "auth: sign out")
        self.client.cookiejar.clear()

    def _fail(self, name: str, message: str) -> None:
        """Report a failure that no HTTP status shows (the app answered, but not as it should)."""
        self.environment.events.request.fire(request_type="CHECK", name=name, response_time=0,
                                             response_length=0, exception=RuntimeError(message), context={})


class Visitor(PortalUser):
    weight = 13

    def on_start(self):
        self.firm_ids, self.request_ids = [], []

    @task(3)
    def home(self):
        self.page("/", "visitor: home")

    @task(1)
    def clusters(self):
        self.page("/clusters/", "visitor: cluster list")

    @task(3)
    def cluster(self):
        self.page(f"/clusters/{random.choice(ACCOUNTS['clusters'])}", "visitor: cluster page")

    @task(1)
    def cluster_position(self):
        slug = random.choice(ACCOUNTS["clusters"])
        self.page(f"/clusters/{slug}/members/{random.choice(POSITIONS)}", "visitor: cluster members by position")

    @task(3)
    def directory(self):
        body = self.page("/directory/", "directory: first page", {"page": random.choice([1, 1, 2, 3, 5])})
        self.firm_ids = FIRM_LINK.findall(body or "") or self.firm_ids

    @task(3)
    def directory_filtered(self):
        params = random.choice([
            {"cluster": random.choice(ACCOUNTS["clusters"])},
            {"cluster": random.choice(ACCOUNTS["clusters"]), "position": random.choice(POSITIONS)},
            {"province": random.choice(ACCOUNTS["provinces"])},
            {"size": random.choice(SIZES), "verified": "1"},
            {"sort": "newest"},
        ])
        body = self.page("/directory/", "directory: filters", params)
        self.firm_ids = FIRM_LINK.findall(body or "") or self.firm_ids

    @task(3)
    def search_thai(self):
        words = random.sample(THAI_WORDS, random.choice([1, 1, 2]))
        name = "directory: search Thai 2-letter" if any(len(w) == 2 for w in words) else "directory: search Thai"
        body = self.page("/directory/", name, {"q": " ".join(words), "lang": "th"})
        self.firm_ids = FIRM_LINK.findall(body or "") or self.firm_ids

    @task(2)
    def search_english(self):
        self.page("/directory/", "directory: search English", {"q": random.choice(ENGLISH_WORDS), "lang": "en"})

    @task(3)
    def firm(self):
        if self.firm_ids:
            self.page(f"/firms/{random.choice(self.firm_ids)}", "visitor: firm page")

    @task(2)
    def board(self):
        params = random.choice([{}, {"cluster": random.choice(ACCOUNTS["clusters"])}, {"kind": random.choice(KINDS)},
                                {"q": random.choice(["หา", "บรรจุภัณฑ์", "buyers"])}])
        body = self.page("/requests/", "board: list", params)
        self.request_ids = REQUEST_LINK.findall(body or "") or self.request_ids

    @task(2)
    def request_page(self):
        if self.request_ids:
            self.page(f"/requests/{random.choice(self.request_ids)}", "visitor: request page")

    @task(1)
    def switch_language(self):
        code = random.choice(["th", "en"])
        self.page(f"/auth/lang/{code}", "visitor: language switch (+redirect)", {"next": "/directory/"})


class SignedInUser(PortalUser):
    """Signs in with the next account of `accounts`, and hands over to the next one every TURNS actions."""
    abstract = True
    accounts = None  # an endless iterator of account dicts
    landing = ""  # the request name of the page after signing in

    def on_start(self):
        self.account, self.turns = None, 0
        self.next_account()

    def next_account(self):
        if self.account:
            self.sign_out()
        self.account, self.turns = next(self.accounts), 0
        if not self.sign_in(self.account["email"], self.landing):
            self.account = None

    def _turn(self) -> bool:
        self.turns += 1
        if self.account is None or self.turns > TURNS:
            self.next_account()
        return self.account is not None


class Member(SignedInUser):
    weight = 5
    accounts, landing = _member_accounts, "member: my firms"

    def on_start(self):
        self.request_ids = []
        super().on_start()

    @task(3)
    def read_board(self):
        if self._turn():
            body = self.page("/requests/", "member: board of my cluster", {"cluster": self.account["cluster"]})
            self.request_ids = REQUEST_LINK.findall(body or "") or self.request_ids

    @task(3)
    def respond(self):
        if not self._turn() or not self.request_ids:
            return
        request_id = random.choice(self.request_ids)
        body = self.page(f"/requests/{request_id}", "member: request page") or ""
        csrf = CSRF.search(body)
        if f'action="/requests/{request_id}/respond"' not in body or not csrf:
            return  # its own request, already answered, or not open to this firm
        mark = token()
        data = {"csrf_token": csrf.group(1), "firm_id": self.account["firm_id"],
                "message": f"สนใจร่วมงานครับ ส่งได้ทุกเดือน We can supply monthly. [{mark}]"}
        self.write("response", mark, f"/requests/{request_id}/respond", data, "member: respond",
                   success=re.compile(r"^/requests/responses/(\d+)$"))

    @task(2)
    def post_request(self):
        if not self._turn():
            return
        body = self.page("/requests/new", "member: new request form") or ""
        csrf = CSRF.search(body)
        if not csrf:
            return
        mark = token()
        kind = random.choice(KINDS)
        data = {"csrf_token": csrf.group(1), "firm_id": self.account["firm_id"],
                "cluster_id": self.account["cluster_id"] if random.random() < 0.8 else 0, "kind": kind,
                "position_sought": random.choice(["", *POSITIONS]), "title_th": f"หาพันธมิตรร่วมงาน [{mark}]",
                "title_en": f"Partners wanted [{mark}]" if random.random() < 0.5 else "",
                "details_th": "รายละเอียดเพิ่มเติม ติดต่อผ่านพอร์ทัล", "details_en": "", "quantity": "500 ชิ้นต่อเดือน",
                "budget_min": "10000", "budget_max": "50000", "province_id": 0,
                "expires_on": (date.today() + timedelta(days=60)).isoformat()}
        self.write("request", mark, "/requests/new", data, "member: post request",
                   success=re.compile(r"^/requests/(\d+)$"))

    @task(1)
    def own_pages(self):
        if self._turn():
            self.page(f"/requests/for/{self.account['firm_id']}", "member: firm dashboard")
            self.page("/notifications/", "member: notifications")

    def write(self, kind, mark, url, data, name, success):
        """Send one write; record whether the app acknowledged it."""
        record(kind=kind, token=mark, outcome="attempt", user=self.account["email"])
        status, location = self.post_form(url, data, name)
        match = success.match(location or "") if status == 302 else None
        if match:
            result = self.page(location, name + " (result page)")
            if "success" in flash_kinds(result):
                record(kind=kind, token=mark, outcome="ack", id=int(match.group(1)), user=self.account["email"])
                return
            outcome = "failed"  # redirected as on success, but the page that should say so did not
            if result is not None:
                self._fail(name + " not confirmed", mark)
        elif status is None:
            outcome = "failed"
        else:
            outcome = "refused"
            self._fail(name + " refused", f"{mark}: {status} {(location or '')[:80]}")
        record(kind=kind, token=mark, outcome=outcome, user=self.account["email"])


class Coordinator(SignedInUser):
    """Coordinators take turns too, so that the backlog of every cluster is worked; two of them may
    work the same cluster at once (the accounts come cluster by cluster)."""
    weight = 2
    accounts, landing = _coordinator_accounts, "coordinator: landing page"

    @task(4)
    def approve(self):
        if not self._turn():
            return
        slug = self.account["cluster"]
        body = self.page(f"/clusters/{slug}/manage", "coordinator: queue") or ""
        ids = re.findall(rf'action="/clusters/{re.escape(slug)}/manage/(\d+)/approve"', body)
        csrf = CSRF.search(body)
        if not ids or not csrf:
            return
        membership_id = int(random.choice(ids))
        mark = f"approve-{membership_id}-{self.account['email']}"
        record(kind="approval", token=mark, outcome="attempt", id=membership_id, user=self.account["email"])
        status, location = self.post_form(f"/clusters/{slug}/manage/{membership_id}/approve",
                                          {"csrf_token": csrf.group(1)}, "coordinator: approve")
        outcome = "failed"
        if status == 302:
            result = self.page(location, "coordinator: queue")
            kinds = flash_kinds(result)
            # "success": approved; "warning": someone else decided first (this approval was not written)
            outcome = "ack" if "success" in kinds else "refused" if "warning" in kinds else "failed"
        elif status == 200:
            self._fail("coordinator: approve refused", mark)
        record(kind="approval", token=mark, outcome=outcome, id=membership_id, user=self.account["email"])

    @task(1)
    def members(self):
        if self._turn():
            self.page(f"/clusters/{self.account['cluster']}/manage/members", "coordinator: member list")

    @task(1)
    def cluster(self):
        if self._turn():
            self.page(f"/clusters/{self.account['cluster']}", "coordinator: cluster page")
