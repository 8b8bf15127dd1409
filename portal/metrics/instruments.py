"""The metric objects and the hooks that feed them.

Under gunicorn set PROMETHEUS_MULTIPROC_DIR (an empty folder, before the app is imported): each process
then writes its values to files there and a scrape sums them (prometheus-client's multiprocess mode;
gunicorn.conf.py marks dead workers). Without it the values live in the one process's memory.

Labels stay few and bounded: the Flask endpoint name (never the raw path), the method, the status class.
"""
import time

from flask import g, has_request_context, request
from prometheus_client import Counter, Histogram
from sqlalchemy import event
from sqlalchemy.engine import Engine

SCRAPE_ENDPOINT = "metrics.scrape"

REQUESTS = Counter("portal_http_requests", "HTTP requests answered, by Flask endpoint, method and status class",
                   ["endpoint", "method", "status"])
LATENCY = Histogram("portal_http_request_duration_seconds", "Time to answer a request, by Flask endpoint",
                    ["endpoint"], buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
QUERIES = Histogram("portal_db_queries_per_request", "SQL statements run while answering one request",
                    ["endpoint"], buckets=(0, 1, 2, 5, 10, 20, 50, 100, 200))
DELIVERY_FAILURES = Counter("portal_outbox_delivery_failures",
                            "Outbox deliveries that failed: retry (tried again later) or failed (given up)",
                            ["channel", "outcome"])
KEPT_PAGES = Counter("portal_kept_pages", "Pages portal/pagecache.py may keep, by outcome: served kept, or "
                     "rendered (then kept when the answer allows)", ["outcome"])
SIGN_INS = Counter("portal_sign_ins", "Password sign-ins: succeeded, failed or throttled", ["outcome"])

SIGN_IN_EVENTS = {"sign_in.succeeded": "succeeded", "sign_in.failed": "failed", "sign_in.throttled": "throttled"}


def init_app(app) -> None:
    # First of the before-request hooks: a gate that answers early (language, second factor) is timed too.
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_observe)


def _start():
    g.metrics_started = time.perf_counter()
    g.metrics_queries = 0


def _observe(response):
    endpoint = request.endpoint or "none"  # "none": no route matched (a 404 or 405 before any view)
    started = g.get("metrics_started")
    if endpoint != SCRAPE_ENDPOINT and started is not None:
        REQUESTS.labels(endpoint, request.method, f"{response.status_code // 100}xx").inc()
        LATENCY.labels(endpoint).observe(time.perf_counter() - started)
        QUERIES.labels(endpoint).observe(g.get("metrics_queries", 0))
    return response


@event.listens_for(Engine, "before_cursor_execute")
def _count_query(conn, cursor, statement, parameters, context, executemany):
    if has_request_context() and "metrics_queries" in g:
        g.metrics_queries += 1


def count_security_event(name: str) -> None:
    outcome = SIGN_IN_EVENTS.get(name)
    if outcome:
        SIGN_INS.labels(outcome).inc()


def count_delivery_failure(channel: str, given_up: bool) -> None:
    DELIVERY_FAILURES.labels(channel or "email", "failed" if given_up else "retry").inc()
