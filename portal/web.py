"""How the portal behaves as a web service: reverse proxy, security headers, static caching, request ids
and structured logs. Everything is driven by configuration (config.py), so tests run the same code.
"""
import hashlib
import logging
import re
import sys
import time
import uuid
from pathlib import Path

from flask import current_app, g, has_request_context, request
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from portal.db import row_id

REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
access_log = logging.getLogger("portal.access")

# Python's cyclic garbage collector, as a worker runs it (settle_collector). Python walks every long-lived object
# (a full collection) once the objects promoted to the oldest generation since the last one reach a quarter of
# them, and it counts an object promoted when it survives two young collections, even if reference counting frees
# it a moment later. A search page makes 50,000-100,000 objects, and those alive while it is built outlived several
# of the default 700-allocation young collections: a full collection of a worker's 230,000 unfrozen objects came
# every few hundred pages, 30-180 ms in one visitor's page. With young collections every 10,000 allocations most of
# a page's objects are freed by their reference counts before a collection sees them. Measured in process on the
# 100,000-firm bench, twelve listing and search pages in turn, 360 pages: the collector's time 0.46-0.52 -> 0.04-0.05
# ms a page on SQLite (0.33 -> 0.13 on PostgreSQL), the longest pause 75-94 -> 3-5 ms, the slowest page 97-120 ->
# 59-60 ms; memory the same (617 -> 618 MB). 50,000 did as well on average, with pauses up to 14 ms.
GC_THRESHOLDS = (10_000, 10, 10)


def settle_collector() -> None:
    """After start-up, before gunicorn forks the workers (wsgi.py; the benchmarks' app does the same): the objects
    made while starting (modules, the app, its templates: some 250,000) are moved out of the collector's sight,
    and the collector gets GC_THRESHOLDS. A full collection walked every start-up object, 25 to 100 ms of a page
    that makes tens of thousands of objects (the network map, a scorecard); the workers inherit the frozen set, and
    its memory pages stay shared with them (Python's documentation of gc.freeze recommends it before forking). A
    few frozen cycles are never collected. The job workers and the scheduler (`flask --app wsgi jobs …`) import
    wsgi.py too and do the same: harmless there, and their tasks build the same kinds of pages and mail."""
    import gc

    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


# glibc's malloc, as a worker runs it (keep_hash_memory). A password hash (every sign-in, registration, password
# change and the dummy check of an unknown address) needs one large block: 19 MiB for Argon2id (portal.auth.passwords),
# 32 MiB for a hash still made the old way (werkzeug's scrypt, N=2**15, r=8) until its account signs in again. glibc
# serves a block over its mmap threshold (at most 32 MiB, however it adapts) with a fresh mmap and unmaps it when
# freed: each scrypt hash faulted in 8,193 new pages (97-104 ms of CPU a hash, 76-82 ms with these limits), and the
# first Argon2id check of a process 4,850 (35 ms, then 22-23). With these limits the block stays in the heap and is
# reused, for either kind. The cost: a worker that has checked a password keeps the block, as its peak memory
# already counted it.
MALLOC_MMAP_THRESHOLD = 48 << 20  # glibc's M_MMAP_THRESHOLD: blocks up to this come from the heap
MALLOC_TRIM_THRESHOLD = 96 << 20  # glibc's M_TRIM_THRESHOLD: free memory at the heap's top kept up to this
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt's parameter numbers (malloc.h)


def keep_hash_memory() -> bool:
    """Before gunicorn forks the workers (wsgi.py), as settle_collector: tell glibc's malloc to keep a password
    hash's memory for the next hash (MALLOC_MMAP_THRESHOLD above). The workers inherit the setting. False where
    the C library has no mallopt (not glibc) or refuses: then nothing changes."""
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (AttributeError, OSError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MALLOC_MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, MALLOC_TRIM_THRESHOLD))


def prepare_workers(app) -> None:
    """What every worker would otherwise do on its first requests, done once in gunicorn's master before it
    forks them (preload_app; wsgi.py): the workers share the result, and nobody's page waits for it after a
    deploy or when a worker is replaced (every GUNICORN_MAX_REQUESTS requests). Measured on the 100,000-firm
    bench (SQLite): a new worker's first Thai search took 0.57-0.67 s, 0.10-0.19 s with this; four workers'
    memory 674 -> 350-460 MB (PSS) once each has searched.
    - Thai word segmentation's dictionary (portal.search.text.load_dictionary: 0.6 s, 75 MB);
    - every template compiled in each language (0.7 s a language for the 137; each page's first render compiled its
      own and its parts');
    - SQLAlchemy's mappers configured (0.06-0.12 s at the first query).
    Nothing here opens a connection: a connection made before the fork would be shared by every worker."""
    from flask_babel import force_locale
    from sqlalchemy.orm import configure_mappers

    from portal.search.text import load_dictionary

    load_dictionary()
    with app.app_context():  # each template in each language (portal.i18n.TranslatedTemplates)
        for lang in app.config["LANGUAGES"]:
            with force_locale(lang):
                for name in app.jinja_env.list_templates():
                    app.jinja_env.get_template(name)
    configure_mappers()


class _FormAction:
    """CSP form-action, per response: the portal itself, and LINE's authorization origin while LINE Login is
    configured. The "Sign in with LINE" and "Link LINE" buttons are forms the portal answers with a redirect to
    LINE, and browsers hold that redirect to form-action too ('self' alone stops the sign-in in Chromium)."""

    def __iter__(self):
        from urllib.parse import urlsplit

        from flask import current_app

        yield "'self'"
        config = current_app.config
        if config.get("LINE_LOGIN_CHANNEL_ID") and config.get("LINE_LOGIN_CHANNEL_SECRET"):
            parts = urlsplit(config.get("LINE_AUTH_BASE_URL") or "")
            if parts.scheme in ("http", "https") and parts.netloc and not any(c in parts.netloc for c in " ;,'"):
                yield f"{parts.scheme}://{parts.netloc}"


# No inline script or style anywhere: the pages use none, and the policy keeps it that way.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": _FormAction(),
    "frame-ancestors": "'none'",
}
PERMISSIONS_POLICY = {"camera": "()", "microphone": "()", "geolocation": "()"}


def init_app(app):
    _proxy_fix(app)
    _security_headers(app)
    _static_caching(app)
    _private_pages_not_stored(app)
    _request_ids(app)
    configure_logging(app)


def _proxy_fix(app):
    """Behind nginx (or any reverse proxy) trust exactly TRUSTED_PROXIES hops of X-Forwarded-*: the client
    address (rate limits, logs), the scheme (secure cookies, HSTS, external URLs) and the host."""
    hops = app.config.get("TRUSTED_PROXIES", 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops)


def _security_headers(app):
    from flask_talisman import Talisman

    Talisman(
        app,
        force_https=app.config.get("FORCE_HTTPS", False),
        strict_transport_security=app.config.get("HSTS_ENABLED", False),  # sent only on HTTPS requests
        strict_transport_security_max_age=app.config.get("HSTS_SECONDS", 31536000),
        strict_transport_security_include_subdomains=False,
        content_security_policy=CONTENT_SECURITY_POLICY,
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
        permissions_policy=PERMISSIONS_POLICY,
        x_content_type_options=True,
        # The cookie settings are config.py's; Talisman would otherwise overwrite them.
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_http_only=app.config["SESSION_COOKIE_HTTPONLY"],
        session_cookie_samesite=app.config["SESSION_COOKIE_SAMESITE"],
    )


def _static_caching(app):
    """Static URLs carry ?v=<content hash>: such a URL never changes content, so browsers and proxies may
    keep it a year; an unversioned URL (a font named in the CSS) is kept a day."""
    versions: dict[str, str] = {}

    def version(filename: str) -> str | None:
        if filename not in versions or app.debug:
            path = Path(app.static_folder) / filename
            try:
                versions[filename] = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
            except OSError:
                return None
        return versions[filename]

    @app.url_defaults
    def _static_version(endpoint, values):
        if endpoint == "static" and "v" not in values and "filename" in values:
            digest = version(values["filename"])
            if digest:
                values["v"] = digest

    @app.after_request
    def _static_cache_headers(response):
        if request.endpoint == "static" and response.status_code == 200:
            response.cache_control.public = True
            if request.args.get("v"):
                response.cache_control.max_age = 365 * 24 * 3600
                response.cache_control.immutable = True
            else:
                response.cache_control.max_age = app.config.get("STATIC_MAX_AGE", 86400)
            response.cache_control.no_cache = None
        return response


def _private_pages_not_stored(app):
    """What a signed-in user sees (account pages, threads, dashboards), the account pages themselves
    (tokens in reset and confirmation links) and every download are never kept by a browser or a proxy:
    `Cache-Control: no-store`, so the back button on a shared computer shows nothing after sign-out."""

    @app.after_request
    def _no_store(response):
        if request.endpoint == "static":
            return response
        download = "attachment" in response.headers.get("Content-Disposition", "")
        if download or request.blueprint == "auth" or _signed_in():
            response.cache_control.no_store = True
            response.cache_control.public = False
            response.cache_control.max_age = None
            response.cache_control.private = True
        return response


def _signed_in() -> bool:
    return _user_id() is not None


def _request_ids(app):
    """Each request gets an id: the proxy's X-Request-ID when it sends a sane one, else a new one. It is
    returned in the response, added to every log line and written to the access log with the timing: the time
    it took and the CPU its thread used meanwhile (the database's work is not in it, its wait for it is).
    Put before the app's other before_request hooks (but the page keeper's, which only forgets the last request's
    notes and puts itself first later), so that a request answered by a hook (a NUL refused, a gate's redirect, the
    rate limit) is logged too, and the timing holds the hooks' own work: loading the
    signed-in account (one statement, about 2 ms of CPU a signed-in request) was outside it, where `make load`
    found a fifth of the app's CPU that the access log did not show."""

    def _start():
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.request_started = time.perf_counter()
        g.request_cpu_started = time.thread_time()

    app.before_request_funcs.setdefault(None, []).insert(0, _start)

    @app.after_request
    def _finish(response):
        request_id = g.get("request_id")
        if request_id:
            response.headers[REQUEST_ID_HEADER] = request_id
        if request.endpoint != "static" and "request_started" in g:
            fields = {"method": request.method, "path": request.path, "status": response.status_code,
                      "duration_ms": round((time.perf_counter() - g.request_started) * 1000, 1),
                      "cpu_ms": round((time.thread_time() - g.request_cpu_started) * 1000, 1),
                      "remote_addr": request.remote_addr, "user_id": _user_id(), "endpoint": request.endpoint}
            if "pagecache_outcome" in g:  # a page portal/pagecache.py may keep: "served" kept or "rendered"
                fields["kept"] = g.pagecache_outcome
            access_log.info("%s %s %s", request.method, request.path, response.status_code, extra=fields)
        return response


def _user_id():
    """The signed-in account's id (not get_id(): it holds the token), or None, for the access log and the
    no-store header: from the identity of the row the request loaded. After a commit that row is expired, and
    reading a column (is_authenticated reads the suspension) loaded it again: a statement after every write a
    signed-in user made, for each of the two. Never raises: an error page must still get its headers and its
    log line."""
    try:
        user = g.get("_login_user")
        if user is None:  # the request never asked who is signed in: ask now
            user = current_user._get_current_object()
        return row_id(user)
    except Exception:  # noqa: BLE001  (logging must never break a response)
        return None


class RequestContextFilter(logging.Filter):
    """Adds the request id (or "-" outside a request) to every record."""

    def filter(self, record):
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


def configure_logging(app):
    """LOG_FORMAT=json (production default): one JSON object a line on stderr, for journald or a log
    shipper; text for development. The debug server and the tests keep Flask's own logging."""
    if app.debug or app.testing:
        return
    root = logging.getLogger()
    root.handlers[:] = [log_handler(app.config.get("LOG_FORMAT", "json"))]
    # Any case, as gunicorn.conf.py takes it: LOG_LEVEL=warning sets both.
    root.setLevel(str(app.config.get("LOG_LEVEL") or "INFO").upper())


def log_handler(fmt: str, stream=None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RequestContextFilter())
    if fmt == "json":
        from pythonjsonlogger.json import JsonFormatter

        handler.setFormatter(JsonFormatter("%(levelname)s %(name)s %(message)s %(request_id)s",
                                           rename_fields={"levelname": "level", "name": "logger"},
                                           timestamp="time", json_ensure_ascii=False))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))
    return handler


def database_ok() -> tuple[bool, str | None]:
    """SELECT 1 on the configured database; then the current migration revision (None before any)."""
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    from portal.extensions import db

    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        current_app.logger.exception("health check: database unavailable")
        db.session.rollback()
        return False, None
    try:
        revision = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:  # never migrated
        revision = None
    db.session.rollback()
    return True, revision
