"""The home page and site-wide odds and ends (favicon)."""
from flask import Blueprint, abort, current_app, render_template, request, send_from_directory

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


@bp.get("/results")
def results():
    """The programme's results for everyone: totals by fiscal year, no firm-level data."""
    from portal.admin import dashboard
    from portal.thai import fiscal_year

    year = request.args.get("year", type=int) or fiscal_year(utcnow())
    if not 2400 < year < 2700:
        abort(404)
    figures = dashboard.figures(year, None, breakdowns=False)
    return render_template("main/results.html", f=figures, year=year,
                           years=range(fiscal_year(utcnow()), 2559, -1))


@bp.get("/favicon.ico")
def favicon():
    return send_from_directory(current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon")
