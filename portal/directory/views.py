"""The member directory: find partners by cluster, position, province, size, verification, words."""

from flask import Blueprint, render_template, request
from flask_login import current_user

from portal import reference
from portal.clusters.models import Position
from portal.directory.queries import SORTS, Filters, search
from portal.firms.models import FirmSize
from portal.i18n import current_locale
from portal.i18n import gettext as _
from portal.listing import cluster_arg, enum_arg, one_of, page_arg, page_url, province_arg, words_arg, words_url
from portal.search import rank

bp = Blueprint("directory", __name__)


def filters_from(args) -> Filters:
    """Read the shareable URL's filters; unknown values are dropped with a message, never an error page."""
    problems = []
    return Filters(
        q=words_arg(args),
        cluster_id=cluster_arg(args, problems),
        position=enum_arg(args, "position", Position, problems,
                          _("There is no such value-chain position; showing every position.")),
        province_id=province_arg(args, problems),
        size=enum_arg(args, "size", FirmSize, problems, _("There is no such firm size; showing every size.")),
        verified=args.get("verified") in ("1", "on", "true", "y"),
        sort=one_of(args, "sort", SORTS, ""),
        page=page_arg(args),
        problems=problems,
    )


@bp.get("/")
def index():
    filters = filters_from(request.args)
    locale = current_locale()
    found = search(filters, current_user, locale)
    did_you_mean, other_language = filters.no_dead_end(found.total, lambda f: search(f, current_user, locale))
    return render_template(
        "directory/index.html", firms=found.rows, total=found.shown_total, filters=filters, page=found.page,
        pages=found.pages, capped=found.capped, page_url=page_url("directory.index"),
        windowed=found.windowed, window=rank.RANK_WINDOW, inside_words=found.inside_words,
        did_you_mean=did_you_mean, other_language=other_language, search_url=words_url("directory.index"),
        province_options=reference.option_tags("provinces", locale, filters.province_id),
        cluster_options=reference.option_tags("clusters", locale, filters.cluster_id),
        positions=list(Position), sizes=list(FirmSize),
    )
