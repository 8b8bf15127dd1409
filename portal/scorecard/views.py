"""Cluster scorecards and funnels by fiscal year: coordinators their own clusters, OSMEP staff all clusters
side by side (sortable, with the programme median, as CSV and Excel)."""

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal import reference
from portal.clusters import queries as cluster_queries
from portal.clusters.models import Cluster, Position
from portal.db import utcnow
from portal.exports import table_download
from portal.i18n import current_locale
from portal.i18n import gettext as _
from portal.listing import fiscal_year_arg
from portal.permissions import can_view_all_scorecards, can_view_scorecard, managed_cluster_ids, require
from portal.scorecard import network as networks
from portal.scorecard import queries, table
from portal.thai import fiscal_year

bp = Blueprint("scorecard", __name__)


def _years():
    return range(fiscal_year(utcnow()), 2559, -1)


def _names(locale: str) -> dict[int, str]:
    return {ref.id: ref.name_in(locale) for ref in reference.clusters().values()}


@bp.get("/")
@login_required
def index():
    """Staff: every cluster side by side. A coordinator: their first cluster's scorecard (it links the
    others)."""
    if not can_view_all_scorecards(current_user):
        managed = sorted(managed_cluster_ids(current_user) or ())
        slugs = [ref.key for ref in reference.clusters().values() if ref.id in managed]
        if not slugs:
            abort(403)
        return redirect(url_for("scorecard.cluster", slug=sorted(slugs)[0], year=request.args.get("year", type=int)))
    year = fiscal_year_arg()
    sort, refused = table.sort_key_or_default(request.args.get("sort"))
    locale = current_locale()
    names = _names(locale)
    by_cluster, funnel = queries.scorecard_table(year)
    cards = list(by_cluster.values())
    return render_template("scorecard/index.html", year=year, years=_years(), sort=sort, refused=refused,
                           rows=table.sorted_rows(cards, names, sort), median=table.medians(cards),
                           columns=table.COLUMNS, names=names, funnel=funnel,
                           slugs={ref.id: ref.key for ref in reference.clusters().values()},
                           current_year=fiscal_year(utcnow()), eccp=queries.ECCP_AGREEMENT_RATE)


@bp.get("/table.<any(csv, xlsx):fmt>")
@login_required
def export(fmt):
    require(can_view_all_scorecards(current_user))
    year = fiscal_year_arg()
    sort, _refused = table.sort_key_or_default(request.args.get("sort"))
    names = _names(current_locale())
    cards = list(queries.scorecards(year).values())
    header, rows = table.export_rows(table.sorted_rows(cards, names, sort), names, table.medians(cards),
                                     _("Programme median"))
    return table_download("scorecards", header, rows, fmt, f"scorecards-{year}.{fmt}")


def _cluster_or_404(slug: str) -> Cluster:
    """The cluster of the URL, once the current user may see its scorecard.

    :raises NotFound: no such cluster. :raises Forbidden: not one of its coordinators, nor OSMEP staff.
    """
    found = cluster_queries.get_by_slug_or_404(slug)
    require(can_view_scorecard(current_user, found))
    return found


@bp.get("/<slug>")
@login_required
def cluster(slug):
    found = _cluster_or_404(slug)
    year = fiscal_year_arg()
    card = queries.scorecards(year, [found.id])[found.id]
    managed = managed_cluster_ids(current_user)
    others = [(key, name) for key, cluster_id, name in reference.options("clusters", current_locale())
              if cluster_id != found.id and managed is not None and cluster_id in managed]
    return render_template("scorecard/cluster.html", cluster=found, card=card, year=year, years=_years(),
                           positions=list(Position), others=others, current_year=fiscal_year(utcnow()),
                           eccp=queries.ECCP_AGREEMENT_RATE)


@bp.get("/<slug>/network")
@login_required
def network(slug):
    """The cluster's network map at the end of a fiscal year, with a table of the same content."""
    found = _cluster_or_404(slug)
    year = fiscal_year_arg()
    return render_template("scorecard/network.html", cluster=found, year=year, years=_years(),
                           net=networks.network(found.id, year, current_locale()), positions=list(Position),
                           geometry=networks, current_year=fiscal_year(utcnow()))
