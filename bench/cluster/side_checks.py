"""Checks of `make cluster-test` that need the nodes addressed one by one (not through the balancer):
sessions and remember-me work on both nodes, rate limits count across both (Redis), a change made on one
node is seen on the other at once, and two schedulers racing run each periodic job once."""
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import date, timedelta
from http.cookiejar import CookieJar

from sqlalchemy import create_engine, text

from bench.cluster.topology import ROOT

CSRF = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')


class Browser:
    """A cookie jar that can talk to any node."""

    def __init__(self):
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, url: str) -> tuple[int, str, str]:
        try:
            with self.opener.open(url, timeout=30) as answer:
                return answer.status, answer.geturl(), answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, url, ""

    def post(self, form_url: str, action_url: str, fields: dict) -> tuple[int, str, str]:
        _status, _url, page = self.get(form_url)
        token = CSRF.search(page)
        data = urllib.parse.urlencode({**fields, "csrf_token": token.group(1) if token else ""}).encode()
        try:
            with self.opener.open(action_url, data=data, timeout=30) as answer:
                return answer.status, answer.geturl(), answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, (error.headers or {}).get("Location", action_url), ""

    def forget(self, name: str) -> None:
        for cookie in list(self.jar):
            if cookie.name == name:
                self.jar.clear(cookie.domain, cookie.path, cookie.name)


def sessions_and_consistency(a: str, b: str, member: dict, password: str) -> list[str]:
    """Sign in with remember-me on node A; the account page answers on node B, also with the session cookie
    gone (remember-me). A request posted on node A is on node B at once (the stated bound is 0 s): on its own
    page, and on the board's search for it, which a visitor had on node B just before, so that node B kept
    it (portal/pagecache.py) without the request."""
    errors, browser = [], Browser()
    status, _url, _page = browser.post(f"{a}/auth/login", f"{a}/auth/login",
                                       {"email": member["email"], "password": password, "remember": "y"})
    status, url, _page = browser.get(f"{b}/auth/account")
    if status != 200 or "/auth/login" in url:
        errors.append(f"signed in on node A, node B answered {status} at {url}")
    browser.forget("session")
    status, url, _page = browser.get(f"{b}/auth/account")
    if status != 200 or "/auth/login" in url:
        errors.append(f"remember-me: without the session cookie node B answered {status} at {url}")
    mark = "CT-" + uuid.uuid4().hex[:12]  # not LT-: the load's write check counts only the load's writes
    fields = {"firm_id": member["firm_id"], "cluster_id": member["cluster_id"], "kind": "knowledge",
              "position_sought": "", "title_th": f"ทดสอบสองโหนด [{mark}]", "title_en": "", "details_th": "ทดสอบ",
              "details_en": "", "quantity": "", "budget_min": "", "budget_max": "", "province_id": 0,
              "expires_on": (date.today() + timedelta(days=30)).isoformat()}
    browser.post(f"{b}/privacy/accept", f"{b}/privacy/accept", {"accept": "y"})  # the load accounts never did
    search = f"{b}/requests/?q={mark}"
    for _ in range(2):  # rendered, then kept: the page without the request
        Browser().get(search)
    browser.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(browser.jar), _NoRedirect())
    status, location, _page = browser.post(f"{a}/requests/new", f"{a}/requests/new", fields)
    found = re.search(r"/requests/(\d+)$", location or "")
    if status != 302 or not found:
        errors.append(f"posting a request on node A answered {status} {location}")
        return errors
    posted = time.monotonic()
    status, _url, page = Browser().get(f"{b}/requests/{found.group(1)}")  # a visitor on node B
    if status != 200 or mark not in page:
        errors.append(f"request #{found.group(1)} posted on node A: node B answered {status} "
                      f"{time.monotonic() - posted:.2f} s later without it")
    status, _url, page = Browser().get(search)  # the board's search, kept on node B before the post
    if status != 200 or f"/requests/{found.group(1)}" not in page:
        errors.append(f"request #{found.group(1)} posted on node A: node B's board search answered {status} "
                      f"{time.monotonic() - posted:.2f} s later without it")
    return errors


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise urllib.error.HTTPError(newurl, code, msg, headers, fp)


def rate_limit_across_nodes(a: str, b: str, limit: int) -> list[str]:
    """RATELIMIT_REGISTER is `limit` per minute: 2 x limit registrations, alternating nodes, half refused."""
    codes = []
    for n in range(2 * limit):
        node = (a, b)[n % 2]
        browser = Browser()
        email = f"rate-{uuid.uuid4().hex[:8]}@cluster.example"
        status, _url, _page = browser.post(f"{node}/auth/register", f"{node}/auth/register",
                                           {"name": "ทดสอบ", "email": email, "password": "long enough 123",
                                            "password2": "long enough 123", "accept_privacy": "y"})
        codes.append(status)
    refused = codes.count(429)
    if refused != limit:
        return [f"{2 * limit} registrations over both nodes with a limit of {limit}: {refused} refused ({codes})"]
    return []


def periodic_once(env: dict, url: str) -> list[str]:
    """Two `flask jobs run` at once (two schedulers on two machines): no job runs twice in a period."""
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "run"]
    runs = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            for _ in range(2)]
    outputs = [process.communicate(timeout=120)[0] for process in runs]
    ran = {}
    for output in outputs:
        for line in output.splitlines():
            job, _sep, outcome = line.partition(": ")
            if outcome and outcome != "ran already in this period":
                ran[job] = ran.get(job, 0) + 1
    errors = [f"periodic job {job} ran {times} times in one period" for job, times in ran.items() if times > 1]
    engine = create_engine(url)
    with engine.connect() as conn:
        twice = conn.execute(text("SELECT job, period, COUNT(*) FROM job_runs GROUP BY job, period "
                                  "HAVING COUNT(*) > 1")).all()
    engine.dispose()
    errors += [f"job_runs holds {job} {period} {count} times" for job, period, count in twice]
    if not any(outputs):
        errors.append("neither `flask jobs run` printed anything")
    return errors
