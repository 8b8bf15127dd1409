"""Public cluster pages: the list, one page per cluster with its value chain, and members by position."""
from flask import Blueprint, abort, current_app, render_template
from flask_login import current_user

from portal.clusters import queries
from portal.clusters.models import Position
from portal.db import utcnow
from portal.listing import page_arg, page_url
from portal.thai import fiscal_year

bp = Blueprint("clusters", __name__)
GAP_THRESHOLD = 3  # fewer members than this at a position is shown as a gap in the value chain


@bp.get("/")
def index():
    return render_template("clusters/index.html", clusters=queries.list_with_counts())


@bp.get("/<slug>")
def detail(slug):
    cluster, follow_id = queries.page_of(slug, current_user)
    columns = queries.value_chain(cluster)
    return render_template("clusters/detail.html", cluster=cluster, columns=columns, follow_id=follow_id,
                           members=queries.member_firms(cluster.id), public=queries.public_listings(cluster.id),
                           year=fiscal_year(utcnow()), gap_threshold=GAP_THRESHOLD)


@bp.get("/<slug>/members/<position>")
def members(slug, position):
    """All member firms at one position, paginated."""
    cluster = queries.get_by_slug_or_404(slug)
    try:
        position = Position(position)
    except ValueError:
        abort(404)
    pagination = queries.members_page(cluster, position, page_arg(), current_app.config["PAGE_SIZE"])
    return render_template(
        "clusters/members.html", cluster=cluster, position=position, pagination=pagination,
        page_url=page_url("clusters.members", slug=cluster.slug, position=position.value)
    )
