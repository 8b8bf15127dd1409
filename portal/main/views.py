"""The home page and site-wide odds and ends (favicon)."""
from flask import Blueprint, current_app, render_template, send_from_directory

from portal.clusters import queries as cluster_queries
from portal.db import utcnow

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    return render_template(
        "main/index.html",
        totals=cluster_queries.programme_totals(),
        clusters=cluster_queries.list_with_counts(),
        today=utcnow(),
    )


@bp.get("/favicon.ico")
def favicon():
    return send_from_directory(current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon")
