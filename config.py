"""Configuration, read from the environment.

`Config` is production-shaped: it refuses to start without SECRET_KEY. `DevConfig` (used by `make run`)
and `TestConfig` (used by the test suite) supply safe local defaults.
"""
import ipaddress
import os
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def _env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    DEPLOYMENT = "production"  # what /healthz warns about: several processes, shared state needed
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'portal.db'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS = {}
    # A pooled connection is tested before use when it sat idle longer than this (portal.db.ping_when_idle);
    # 0 tests every one (SQLAlchemy's pool_pre_ping).
    DATABASE_PING_AFTER_IDLE_SECONDS = float(os.environ.get("DATABASE_PING_AFTER_IDLE_SECONDS", "1"))

    LANGUAGES = ["th", "en"]
    BABEL_DEFAULT_LOCALE = "th"
    BABEL_DEFAULT_TIMEZONE = "Asia/Bangkok"
    # Relative entries would resolve against portal/; the catalogues live at the repository root.
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")

    # Secure cookie defaults; production deployments run behind HTTPS.
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 24 * 14  # seconds: two weeks

    REMEMBER_COOKIE_DURATION = 60 * 60 * 24 * 30  # "remember me": 30 days, not Flask-Login's 365
    # Devices signed in (portal/devices): last seen is written at most this often (seconds) per session, and
    # an ended session is deleted this many days later.
    DEVICE_SEEN_INTERVAL = int(os.environ.get("DEVICE_SEEN_INTERVAL", "300"))
    DEVICE_SESSION_RETENTION_DAYS = int(os.environ.get("DEVICE_SESSION_RETENTION_DAYS", "90"))
    REMEMBER_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"

    # A whole request, well above what a phone sends (a photo of 2-8 MB and the form around it); nginx's
    # client_max_body_size must be at least this. One logo file may be at most LOGO_MAX_BYTES: a larger one
    # comes back as the form, with what was typed, and the limit named beside the file field.
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024
    LOGO_MAX_BYTES = 10 * 1024 * 1024
    COUNTS_CACHE_SECONDS = 60  # headline figures (home page, cluster list, /results) and cluster position counts
    # over the cap are recomputed at most this often, in each process
    # Public pages as visitors who are not signed in see them are kept rendered (portal/pagecache.py) until the
    # data changes, and at most this many seconds; 0 turns keeping off. Each process keeps up to ENTRIES pages.
    PAGE_CACHE_SECONDS = int(os.environ.get("PAGE_CACHE_SECONDS", "60"))
    PAGE_CACHE_ENTRIES = int(os.environ.get("PAGE_CACHE_ENTRIES", "500"))

    # Collaboration requests: expiry, and limits per firm against abuse.
    REQUEST_DEFAULT_DAYS = 60
    REQUEST_MAX_DAYS = 366
    REQUEST_EXPIRY_WARNING_DAYS = 7

    # Follow-up of held meetings marked "continue" and partnered requests (portal/followup): asked this many
    # days after the meeting or the partnership; the emailed link works this many days after each mail.
    FOLLOWUP_DELAY_DAYS = int(os.environ.get("FOLLOWUP_DELAY_DAYS", "182"))
    FOLLOWUP_LINK_DAYS = int(os.environ.get("FOLLOWUP_LINK_DAYS", "60"))
    SAVED_SEARCH_LIMIT = 20  # saved searches per user
    ALERT_STOP_LINK_DAYS = 90  # how long the "stop these alerts" link of an alert e-mail works
    FANOUT_BATCH = 500  # followers notified per committed batch
    ALERT_BATCH = 500  # saved searches read per committed batch
    LIMIT_REQUESTS_PER_DAY = int(os.environ.get("LIMIT_REQUESTS_PER_DAY", "10"))
    LIMIT_RESPONSES_PER_DAY = int(os.environ.get("LIMIT_RESPONSES_PER_DAY", "30"))
    LIMIT_MESSAGES_PER_HOUR = int(os.environ.get("LIMIT_MESSAGES_PER_HOUR", "60"))
    # Reported partnership values (baht). No single partnership between cluster SMEs comes near 10,000 million
    # baht: a medium enterprise has revenue under 500 million a year, and the whole programme reported 1,811
    # million over 2017-2020. Anything above is a typing error or an attempt to inflate the results: refused.
    OUTCOME_VALUE_MAX = Decimal(os.environ.get("OUTCOME_VALUE_MAX", "10000000000"))
    # Above this value only OSMEP staff confirm a reported partnership. Staff change it on a page (it is
    # then stored in the database); until then this default applies.
    STAFF_CONFIRMATION_ABOVE_DEFAULT = Decimal("10000000")
    PAGE_SIZE = 24
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))
    # `flask backup` writes here unless given --output; PG_BIN_DIR picks pg_dump/pg_restore (default: the PATH).
    BACKUP_DIR = os.environ.get("BACKUP_DIR", str(INSTANCE_DIR / "backups"))
    PG_BIN_DIR = os.environ.get("PG_BIN_DIR") or None

    # Mail: without MAIL_SERVER, messages are logged and written to OUTBOX_DIR (development).
    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "587"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", True)  # STARTTLS
    MAIL_USE_SSL = _env_bool("MAIL_USE_SSL", False)  # SMTPS, usually port 465
    MAIL_TIMEOUT = int(os.environ.get("MAIL_TIMEOUT", "10"))
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Cluster Portal <no-reply@localhost>")
    OUTBOX_DIR = os.environ.get("OUTBOX_DIR", str(INSTANCE_DIR / "outbox"))
    # Every absolute link (e-mail, and later LINE and webhooks) starts with this, never with the request's
    # Host header. Production refuses to start without it.
    PORTAL_BASE_URL = os.environ.get("PORTAL_BASE_URL")
    # Production answers only to these host names (comma-separated; a leading dot allows subdomains);
    # any other Host header gets 400. Default: the host of PORTAL_BASE_URL. Development and tests: any.
    TRUSTED_HOSTS = [h.strip() for h in os.environ.get("TRUSTED_HOSTS", "").split(",") if h.strip()] or None

    # LINE (portal/line/). LINE Login (OpenID Connect): without a channel id and secret no LINE button is
    # shown. The Messaging API of the portal's LINE Official Account: without its access token nothing is
    # pushed to LINE; its channel secret checks the webhook's signature. The base URLs are LINE's own; tests
    # point them at a fake LINE platform on loopback.
    LINE_LOGIN_CHANNEL_ID = os.environ.get("LINE_LOGIN_CHANNEL_ID")
    LINE_LOGIN_CHANNEL_SECRET = os.environ.get("LINE_LOGIN_CHANNEL_SECRET")
    LINE_MESSAGING_CHANNEL_SECRET = os.environ.get("LINE_MESSAGING_CHANNEL_SECRET")
    LINE_MESSAGING_ACCESS_TOKEN = os.environ.get("LINE_MESSAGING_ACCESS_TOKEN")
    LINE_OFFICIAL_ACCOUNT_ID = os.environ.get("LINE_OFFICIAL_ACCOUNT_ID")  # "@xxxx": the add-friend link
    LINE_MONTHLY_MESSAGE_QUOTA = int(os.environ.get("LINE_MONTHLY_MESSAGE_QUOTA", "5000"))  # then e-mail
    LINE_AUTH_BASE_URL = os.environ.get("LINE_AUTH_BASE_URL", "https://access.line.me")
    LINE_API_BASE_URL = os.environ.get("LINE_API_BASE_URL", "https://api.line.me")
    LINE_TIMEOUT_SECONDS = float(os.environ.get("LINE_TIMEOUT_SECONDS", "10"))

    # Background work (portal/jobs/, portal/outbox/). The queue lives in Redis when REDIS_URL is set (every
    # worker on every machine shares it), else in a SQLite file (development: `make run` needs no Redis).
    HUEY_URL = os.environ.get("HUEY_URL") or os.environ.get("REDIS_URL") or f"sqlite:///{INSTANCE_DIR / 'huey.db'}"
    HUEY_NAME = os.environ.get("HUEY_NAME", "cluster-portal")
    JOBS_IMMEDIATE = False  # tests only: run tasks where they are enqueued
    OUTBOX_LEASE_SECONDS = int(os.environ.get("OUTBOX_LEASE_SECONDS", "300"))  # a worker holds a message this long
    OUTBOX_RETRY_BASE = int(os.environ.get("OUTBOX_RETRY_BASE", "30"))  # seconds before the 2nd try, then doubling
    OUTBOX_RETRY_MAX = int(os.environ.get("OUTBOX_RETRY_MAX", "3600"))
    OUTBOX_MAX_ATTEMPTS = int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "10"))  # then "failed", for staff to see
    OUTBOX_BATCH_SECONDS = 50  # one delivery task runs at most this long, then hands over
    # Webhooks (portal/webhooks/): tries, backoff and lease as the outbox's; each POST gives up after the timeout.
    WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("WEBHOOK_MAX_ATTEMPTS", "8"))
    WEBHOOK_RETRY_BASE = int(os.environ.get("WEBHOOK_RETRY_BASE", "30"))
    WEBHOOK_RETRY_MAX = int(os.environ.get("WEBHOOK_RETRY_MAX", "3600"))
    WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "5"))
    WEBHOOK_LEASE_SECONDS = int(os.environ.get("WEBHOOK_LEASE_SECONDS", "60"))
    # Plain http:// endpoints (development, tests); production wants https.
    WEBHOOK_ALLOW_HTTP = _env_bool("WEBHOOK_ALLOW_HTTP", False)
    # Addresses or networks endpoints may resolve to even though they are private or loopback (comma-separated).
    WEBHOOK_ALLOWED_HOSTS = tuple(a.strip() for a in os.environ.get("WEBHOOK_ALLOWED_HOSTS", "").split(",")
                                  if a.strip())
    # A CA file to verify endpoints' certificates with, instead of certifi's public CAs (an agency's own CA).
    WEBHOOK_CA_BUNDLE = os.environ.get("WEBHOOK_CA_BUNDLE") or None
    WORKER_STALL_SECONDS = int(os.environ.get("WORKER_STALL_SECONDS", "300"))  # /healthz: due and not taken
    # "Download my data" ZIPs are kept in the database (portal/media); each link works EXPORT_LINK_DAYS, then
    # the ZIP goes. EXPORT_DIR (default UPLOAD_DIR/exports) is read only by the migration that moved the ZIPs
    # written there before (migrations/versions/20261201_f2b6d8a4c1e7_media_purpose.py).
    EXPORT_DIR = os.environ.get("EXPORT_DIR") or None
    EXPORT_LINK_DAYS = int(os.environ.get("EXPORT_LINK_DAYS", "7"))
    # "Delete my account": days to change one's mind before a worker erases the account.
    ACCOUNT_ERASURE_GRACE_DAYS = int(os.environ.get("ACCOUNT_ERASURE_GRACE_DAYS", "30"))
    IMPORT_PREVIEW_HOURS = 6  # an unconfirmed import preview file is removed after this
    IMPORT_STALE_MINUTES = 30  # an import "running" this long lost its worker: it is taken up again
    # The matching-day scheduler's time limit per run (CP-SAT, portal/events/schedule.py); a run "running"
    # for SCHEDULE_STALE_MINUTES lost its worker and is taken up again.
    SCHEDULE_TIME_LIMIT_SECONDS = float(os.environ.get("SCHEDULE_TIME_LIMIT_SECONDS", "30"))
    SCHEDULE_STALE_MINUTES = 10
    UNCONFIRMED_RETENTION_DAYS = int(os.environ.get("UNCONFIRMED_RETENTION_DAYS", "30"))
    # The retention schedule (portal/privacy/retention.py, shown on /privacy): read notifications, finished
    # outbox rows, audit entries (about five years: they are the evidence of who did what, consent included).
    NOTIFICATION_RETENTION_DAYS = int(os.environ.get("NOTIFICATION_RETENTION_DAYS", "180"))
    OUTBOX_RETENTION_DAYS = int(os.environ.get("OUTBOX_RETENTION_DAYS", "90"))
    AUDIT_RETENTION_DAYS = int(os.environ.get("AUDIT_RETENTION_DAYS", "1827"))
    # The privacy notice (templates/privacy/notice_v<N>.<lang>.html): its current version, and the data
    # controller's contact for PDPA requests. Raising the version asks everyone signed in to accept again.
    PRIVACY_NOTICE_VERSION = int(os.environ.get("PRIVACY_NOTICE_VERSION", "1"))
    PRIVACY_CONTACT_EMAIL = os.environ.get("PRIVACY_CONTACT_EMAIL", "privacy@portal.example.go.th")
    PRIVACY_CONTACT_ADDRESS_TH = os.environ.get(
        "PRIVACY_CONTACT_ADDRESS_TH",
        "สำนักงานส่งเสริมวิสาหกิจขนาดกลางและขนาดย่อม (สสว.) 21 อาคารทีเอสที ทาวเวอร์ ถนนวิภาวดีรังสิต "
        "แขวงจอมพล เขตจตุจักร กรุงเทพมหานคร 10900")
    PRIVACY_CONTACT_ADDRESS_EN = os.environ.get(
        "PRIVACY_CONTACT_ADDRESS_EN",
        "Office of Small and Medium Enterprises Promotion (OSMEP), 21 TST Tower, Vibhavadi-Rangsit Road, "
        "Chom Phon, Chatuchak, Bangkok 10900")

    # Links in e-mails expire: confirmation 2 days, password reset 1 hour, invitation 7 days.
    CONFIRM_MAX_AGE = 60 * 60 * 48
    RESET_MAX_AGE = 60 * 60
    INVITE_MAX_AGE = 60 * 60 * 24 * 7

    # Shared state for several gunicorn workers lives in Redis when REDIS_URL is set (rate-limit counters);
    # without it each worker counts alone, which is right for one process only.
    REDIS_URL = os.environ.get("REDIS_URL")
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or REDIS_URL or "memory://"
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "portal")
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 2}
    # If Redis goes away, keep limiting per worker instead of failing every limited request.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_LOGIN = os.environ.get("RATELIMIT_LOGIN", "10 per minute;50 per hour")
    RATELIMIT_REGISTER = os.environ.get("RATELIMIT_REGISTER", "5 per minute;20 per hour")
    RATELIMIT_RESET = os.environ.get("RATELIMIT_RESET", "5 per minute;20 per hour")
    # The JSON API (portal/api/): requests per personal access token (per address when signed out).
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "120 per minute;3000 per hour")
    # Origins allowed to call the API from a browser (comma-separated); none by default: no CORS headers.
    API_CORS_ORIGINS = tuple(o.strip() for o in os.environ.get("API_CORS_ORIGINS", "").split(",") if o.strip())
    API_TOKEN_MAX_DAYS = 365
    # Wrong passwords per (address, account): this many are free, then the wait doubles from the base
    # (seconds) up to the maximum. See portal/auth/throttle.py.
    # Two-factor sign-in (portal/twofactor/). Accounts of these kinds (comma-separated: staff, admin,
    # coordinator) cannot use the portal until they have a second factor; everyone may add one.
    TWO_FACTOR_REQUIRED_ROLES = tuple(r.strip() for r in os.environ.get(
        "TWO_FACTOR_REQUIRED_ROLES", "staff,admin,coordinator").split(",") if r.strip())
    TWO_FACTOR_REMEMBER_DAYS = int(os.environ.get("TWO_FACTOR_REMEMBER_DAYS", "30"))
    TWO_FACTOR_PENDING_SECONDS = 300  # time to finish the second step after the password
    # Changing the password or second factors needs a sign-in (or a re-entered password) this recent.
    REAUTH_MAX_AGE = int(os.environ.get("REAUTH_MAX_AGE", str(10 * 60)))  # seconds
    LOGIN_FREE_FAILURES = int(os.environ.get("LOGIN_FREE_FAILURES", "5"))
    LOGIN_DELAY_BASE = int(os.environ.get("LOGIN_DELAY_BASE", "15"))
    LOGIN_DELAY_MAX = int(os.environ.get("LOGIN_DELAY_MAX", "900"))

    # Behind a reverse proxy: how many proxies' X-Forwarded-For/-Proto/-Host to trust (nginx in front: 1).
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    FORCE_HTTPS = _env_bool("FORCE_HTTPS", False)  # redirect http to https here (usually the proxy does it)
    HSTS_ENABLED = _env_bool("HSTS_ENABLED", True)  # Strict-Transport-Security on HTTPS responses
    HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", str(365 * 24 * 3600)))
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")  # json (one object a line) or text
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    STATIC_MAX_AGE = 86400  # seconds, for static URLs without a content version
    # /metrics (Prometheus): answered to these addresses or networks (comma-separated, after ProxyFix), or to
    # anyone sending "Authorization: Bearer <METRICS_TOKEN>"; everyone else gets 404.
    METRICS_ALLOWED_IPS = tuple(a.strip() for a in os.environ.get("METRICS_ALLOWED_IPS", "127.0.0.1,::1").split(",")
                                if a.strip())
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN") or None
    # Optional error reporting (portal/error_reporting.py): unset = off, nothing is sent anywhere.
    SENTRY_DSN = os.environ.get("SENTRY_DSN") or None
    SENTRY_ENVIRONMENT = os.environ.get("SENTRY_ENVIRONMENT") or None  # default: DEPLOYMENT

    @classmethod
    def check(cls):
        """Production refuses to start without a secret key (signed cookies would be forgeable) and without
        the base URL of its links (they would otherwise point at a host nobody configured)."""
        if not cls.SECRET_KEY:
            raise RuntimeError(
                "SECRET_KEY is not set. Set it in the environment, e.g. "
                "SECRET_KEY=$(python -c 'import secrets; print(secrets.token_hex(32))')"
            )
        base = urlsplit(cls.PORTAL_BASE_URL or "")
        if base.scheme not in ("http", "https") or not base.hostname:
            raise RuntimeError(
                "PORTAL_BASE_URL is not set to an http(s) URL. Every link in e-mails starts with it, e.g. "
                "PORTAL_BASE_URL=https://portal.example.go.th"
            )
        for entry in cls.METRICS_ALLOWED_IPS:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise RuntimeError(f"METRICS_ALLOWED_IPS: {entry!r} is not an address or network") from None
        for entry in cls.WEBHOOK_ALLOWED_HOSTS:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise RuntimeError(f"WEBHOOK_ALLOWED_HOSTS: {entry!r} is not an address or network") from None


class DevConfig(Config):
    DEBUG = True
    DEPLOYMENT = "development"  # one web process (flask run) and one worker
    PORTAL_BASE_URL = os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:5000")
    SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-only-not-secret"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    HSTS_ENABLED = False
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
    WEBHOOK_ALLOW_HTTP = _env_bool("WEBHOOK_ALLOW_HTTP", True)


class TestConfig(Config):
    TESTING = True
    DEPLOYMENT = "test"
    SECRET_KEY = "test-only-not-secret"  # nosec B105  # signs test sessions only; never a deployment
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    SENTRY_DSN = None  # a developer's SENTRY_DSN must not receive the suite's deliberate errors
    WTF_CSRF_ENABLED = False
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    RATELIMIT_ENABLED = False  # one test turns it on; elsewhere 127.0.0.1 would hit the limits
    RATELIMIT_STORAGE_URI = "memory://"
    CHECK_KEPT_SEARCH_STATEMENTS = True  # each search's kept window statements checked against the page's own
    COUNTS_CACHE_SECONDS = 0
    PAGE_CACHE_SECONDS = 0  # tests change code between two requests for one page; tests/test_pagecache.py keeps
    MAIL_SERVER = None
    PORTAL_BASE_URL = "http://localhost"  # the test client's host
    JOBS_IMMEDIATE = True  # mail is delivered at the end of the request; tests/test_jobs.py runs real workers
    SCHEDULE_TIME_LIMIT_SECONDS = 1.0
    WEBHOOK_ALLOW_HTTP = True  # the tests' receivers listen on http://127.0.0.1 (allowed per test)
    WEBHOOK_ALLOWED_HOSTS = ()
    # The suite's staff and coordinators sign in with a password only; tests/test_twofactor*.py turn the
    # requirement on (production default: staff, admin, coordinator).
    TWO_FACTOR_REQUIRED_ROLES = ()
