"""The job queue: Huey (huey.readthedocs.io), on Redis in production (several worker processes on several
machines share it) and on a SQLite file for development, so `make run` needs no Redis.

The storage comes from HUEY_URL: `redis://…` or `sqlite:///path/to/huey.db`. Tests run tasks at once in
the calling thread (JOBS_IMMEDIATE, see tasks.nudge), except the worker tests, which start real workers.
"""
import logging
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app, has_app_context
from huey import Huey
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage

log = logging.getLogger(__name__)

# Built without storage of its own until configure() gives it one: importing touches no file or network.
huey = Huey("cluster-portal", utc=True, results=False, storage_class=MemoryStorage)
_app = None


def configure(app) -> None:
    """Point the queue at the app's storage; remember the app, for tasks run in worker threads. An app with
    JOBS_IMMEDIATE (tests) runs its tasks where they are called and leaves the queue alone."""
    global _app
    if app.config.get("JOBS_IMMEDIATE"):
        return
    _app = app
    huey.name = app.config.get("HUEY_NAME", "cluster-portal")
    url = app.config["HUEY_URL"]
    parts = urlsplit(url)
    if parts.scheme in ("redis", "rediss", "unix"):
        storage = RedisStorage(huey.name, url=url)
    elif parts.scheme == "sqlite":
        path = Path(url[len("sqlite:///"):] if url.startswith("sqlite:///") else parts.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        storage = SqliteStorage(huey.name, filename=str(path))
    else:
        raise RuntimeError(f"HUEY_URL must be redis://… or sqlite:///…, not {url!r}")
    huey.storage = storage


@contextmanager
def app_context():
    """The app for a task: the caller's (immediate mode, CLI) or the one the worker configured."""
    if has_app_context():
        with current_app.app_context():
            yield
        return
    if _app is None:
        raise RuntimeError("the job queue has no app: call portal.jobs.queue.configure(app) first")
    with _app.app_context():
        yield


def queue_depth() -> int | None:
    """Tasks waiting in the queue (None if the storage does not answer, or with no queue: JOBS_IMMEDIATE)."""
    if current_app.config.get("JOBS_IMMEDIATE"):
        return None
    try:
        return huey.pending_count()
    except Exception:  # noqa: BLE001  (a health check reports, it never fails)
        log.warning("job queue storage does not answer", exc_info=True)
        return None
