"""The member directory: find partners by cluster, position, province, size, verification, words."""
from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from portal import reference
from portal.clusters.models import Position
from portal.directory.queries import SORTS, Filters, search
from portal.firms.models import FirmSize
from portal.i18n import current_locale
from portal.listing import page_arg, page_url

bp = Blueprint("directory", __name__)


def _filters_from(args) -> Filters:
    """Read the shareable URL's filters; unknown values are dropped with a message, never an error page."""
    filters = Filters(q=args.get("q", "")[:300])
    clusters = {ref.key: ref.id for ref in reference.clusters().values()}
    provinces = {ref.key: ref.id for ref in reference.provinces().values()}
    if args.get("cluster"):
        filters.cluster_id = clusters.get(args["cluster"])
        if filters.cluster_id is None:
            filters.problems.append(_("There is no such cluster; showing every cluster."))
    if args.get("position"):
        try:
            filters.position = Position(args["position"])
        except ValueError:
            filters.problems.append(_("There is no such value-chain position; showing every position."))
    if args.get("province"):
        filters.province_id = provinces.get(args["province"])
        if filters.province_id is None:
            filters.problems.append(_("There is no such province; showing every province."))
    if args.get("size"):
        try:
            filters.size = FirmSize(args["size"])
        except ValueError:
            filters.problems.append(_("There is no such firm size; showing every size."))
    filters.verified = args.get("verified") in ("1", "on", "true", "y")
    filters.sort = args.get("sort") if args.get("sort") in SORTS else "name"
    filters.page = page_arg(args)
    return filters


@bp.get("/")
def index():
    filters = _filters_from(request.args)
    locale = current_locale()
    found = search(filters, current_user, locale)
    return render_template(
        "directory/index.html", firms=found.rows, total=found.shown_total, filters=filters, page=found.page,
        pages=found.pages, capped=found.capped, page_url=page_url("directory.index"),
        provinces=reference.options("provinces", locale), clusters=reference.options("clusters", locale),
        positions=list(Position), sizes=list(FirmSize),
    )
