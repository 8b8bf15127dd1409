"""The home page and site-wide odds and ends (favicon)."""
from flask import Blueprint, current_app, jsonify, render_template, send_from_directory

from portal.clusters import queries as cluster_queries
from portal.db import utcnow

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    from portal.thai import fiscal_year

    year = fiscal_year(utcnow())
    figures = programme_figures(year)
    return render_template(
        "main/index.html",
        totals=cluster_queries.programme_totals(),
        clusters=cluster_queries.list_with_counts(),
        today=utcnow(),
        f=figures,
        year=year,
    )


@bp.get("/results")
def results():
    """The programme's results for everyone: totals by fiscal year, no firm-level data."""
    from portal import reference
    from portal.listing import fiscal_year_arg
    from portal.scorecard import queries as scorecard
    from portal.thai import fiscal_year

    year = fiscal_year_arg()
    figures = programme_figures(year)
    meetings = reference.cached(f"programme-meetings:{year}", lambda: scorecard.programme_meetings(year))
    return render_template("main/results.html", f=figures, year=year, current_year=fiscal_year(utcnow()),
                           years=range(fiscal_year(utcnow()), 2559, -1),
                           funnel=scorecard.programme_funnel(year, figures, meetings),
                           eccp=scorecard.ECCP_AGREEMENT_RATE)


def programme_figures(year: int):
    """The programme's totals of a year for the public pages (home, /results), counted at most once per
    COUNTS_CACHE_SECONDS in a process: both pages show the very same figures (staff's dashboard counts
    afresh). /results counted its requests and meetings on every visit (about 40 ms on PostgreSQL)."""
    from portal import reference
    from portal.admin import dashboard

    return reference.cached(f"programme-value:{year}", lambda: dashboard.figures(year, None, breakdowns=False))


@bp.get("/favicon.ico")
def favicon():
    return send_from_directory(current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon")


@bp.get("/healthz")
def health():
    """For the load balancer and monitoring: 200 when the database answers, 503 when it does not.
    "migrations" says whether the schema is at the code's revision (after a deploy, run `flask db upgrade`)."""
    from portal.web import database_ok

    ok, revision = database_ok()
    body = {"status": "ok" if ok else "unavailable", "database": "ok" if ok else "unavailable"}
    if ok:
        body["migrations"] = "current" if revision in _migration_heads() else "pending"
    warnings = []
    body["rate_limits"] = _rate_limit_storage()
    if body["rate_limits"] != "shared" and current_app.config.get("DEPLOYMENT") == "production":
        warnings.append("Rate limits are counted per process: with several workers each counts alone. "
                        "Set REDIS_URL.")
    if ok and body["migrations"] == "current":
        body["outbox"] = _outbox_health()
        if body["outbox"].get("workers") == "stalled":
            warnings.append("No worker has taken a due message for several minutes: is `flask jobs worker` running?")
    if warnings:
        body["warnings"] = warnings
    response = jsonify(body)
    response.status_code = 200 if ok else 503
    response.cache_control.no_store = True
    return response


def _outbox_health() -> dict:
    """Queue depth (tasks waiting in the job queue, and messages waiting in the outbox), the age of the
    oldest waiting message, and whether workers keep up."""
    from sqlalchemy.exc import SQLAlchemyError

    from portal.jobs.queue import queue_depth
    from portal.outbox.services import health as outbox_health

    try:
        body = outbox_health()
    except SQLAlchemyError:
        current_app.logger.exception("health check: outbox unavailable")
        return {"status": "unavailable"}
    finally:
        from portal.extensions import db

        db.session.rollback()
    body["queue"] = queue_depth()
    return body


def _rate_limit_storage() -> str:
    """"shared" when the limits are counted in Redis (or another shared store) and it answers;
    "per-process" when counted in each worker's memory, by configuration or because Redis is down."""
    from portal.extensions import limiter

    if current_app.config.get("RATELIMIT_STORAGE_URI", "memory://").startswith("memory://"):
        return "per-process"
    if getattr(limiter, "_storage_dead", False):
        # Redis failed under this process and Flask-Limiter counts in its memory until its next check of the
        # storage (a backoff of 1, 2, 4 … 32 s, one check per limited request at most): report what it does.
        return "per-process"
    try:
        return "shared" if limiter.storage.check() else "per-process"
    except Exception:  # noqa: BLE001  (a health check reports, it never fails)
        return "per-process"


def _migration_heads() -> set[str]:
    heads = current_app.extensions.get("portal_migration_heads")
    if heads is None:
        from alembic.script import ScriptDirectory

        directory = current_app.extensions["migrate"].directory
        heads = set(ScriptDirectory(directory).get_heads())
        current_app.extensions["portal_migration_heads"] = heads
    return heads
