"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py wsgi:app`.

Every value can be overridden from the environment (names below) or the command line. See README,
"Production".
"""
import multiprocessing
import os

# Listen on loopback behind the reverse proxy (nginx terminates TLS and serves /static/).
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers: on 2 cores, 2-4 did best on database pages; each worker has its own DB connection pool.
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count(), 8)))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))  # a request running longer is killed and logged
graceful_timeout = 30
keepalive = 2
# Recycle workers now and then, with jitter so they do not all restart at once.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
# Trust X-Forwarded-* only from the proxy; the app applies ProxyFix with TRUSTED_PROXIES hops.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# The app writes one JSON access line per request (with its request id) to stderr; gunicorn logs its own
# events (start, worker restarts, timeouts) to stderr too.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Load the app before forking: a configuration error (no SECRET_KEY) stops the master at once.
preload_app = True
proc_name = "cluster-portal"


def on_starting(server):
    """Refuse to start several workers that would each count sign-in attempts in their own memory: with 4
    workers and no Redis, 39 of 45 sign-ins passed a 10-a-minute limit. Set REDIS_URL (or
    RATELIMIT_STORAGE_URI), run one worker, or say RATELIMIT_PER_PROCESS_OK=true for a throw-away server."""
    from config import Config

    per_process = Config.RATELIMIT_STORAGE_URI.startswith("memory://")
    allowed = os.environ.get("RATELIMIT_PER_PROCESS_OK", "").lower() in ("1", "true", "yes")
    if server.cfg.workers > 1 and per_process and not allowed:
        raise RuntimeError(
            f"{server.cfg.workers} workers but no shared rate-limit storage: each worker would count sign-in "
            "attempts alone. Set REDIS_URL (or RATELIMIT_STORAGE_URI) or WEB_CONCURRENCY=1.")
    _empty_metrics_dir()


def _empty_metrics_dir():
    """Prometheus multiprocess mode keeps each process's values in PROMETHEUS_MULTIPROC_DIR; files left by an
    earlier run would be added to this one's, so the folder is emptied at start (only its *.db files)."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        os.makedirs(folder, exist_ok=True)
        for name in os.listdir(folder):
            if name.endswith(".db"):
                os.remove(os.path.join(folder, name))


def post_fork(server, worker):
    """A worker must not reuse database connections opened in the master before the fork."""
    from portal.extensions import db
    from wsgi import app

    with app.app_context():
        db.engine.dispose(close=False)


def child_exit(server, worker):
    """Prometheus multiprocess mode (PROMETHEUS_MULTIPROC_DIR set): a worker that exits leaves its files; mark
    it dead so its live gauges stop counting (its counters and histograms still add to the totals)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
