"""Follow and stop following firms and clusters, save searches, list them all, and the e-mail's stop link."""
from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from portal.clusters import queries as cluster_queries
from portal.db import unit_of_work
from portal.errors import render_error
from portal.exceptions import RuleViolation
from portal.extensions import csrf, db
from portal.firms import queries as firm_queries
from portal.following import queries, services
from portal.following.forms import SaveSearchForm
from portal.following.models import Frequency, SearchList
from portal.forms import ConfirmForm, place_error
from portal.i18n import gettext as _
from portal.listing import paginate
from portal.permissions import (
    can_follow_cluster,
    can_follow_firm,
    can_save_search,
    can_stop_alert,
    can_view_firm,
    require,
)

bp = Blueprint("following", __name__)


@bp.get("/")
@login_required
def index():
    """Everything the user follows (paginated) and their saved searches, each with a stop button."""
    pagination = paginate(queries.follows_of(current_user))
    return render_template("following/index.html", pagination=pagination, searches=queries.searches_of(current_user),
                           form=ConfirmForm(), limit=current_app.config["SAVED_SEARCH_LIMIT"])


def _back(default: str) -> str:
    """Where a button came from (a relative path of ours only), else `default`."""
    target = request.form.get("next") or ""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else default


@bp.post("/firms/<int:firm_id>")
@login_required
def follow_firm(firm_id):
    firm = firm_queries.get_or_404(firm_id)
    if firm.is_hidden and not can_view_firm(current_user, firm):
        abort(404)
    require(can_follow_firm(current_user, firm))
    if ConfirmForm().validate_on_submit():
        try:
            with unit_of_work():
                services.follow_firm(current_user, firm)
        except RuleViolation as exc:  # the same click twice at the same moment: one follow stands
            flash(str(exc), "info")
        else:
            flash(_("You follow %(firm)s. You will be told of its new requests and matching days.",
                    firm=firm.name), "success")
    return redirect(url_for("firms.detail", firm_id=firm.id))


@bp.post("/clusters/<slug>")
@login_required
def follow_cluster(slug):
    cluster = cluster_queries.get_by_slug_or_404(slug)
    require(can_follow_cluster(current_user, cluster))
    if ConfirmForm().validate_on_submit():
        try:
            with unit_of_work():
                services.follow_cluster(current_user, cluster)
        except RuleViolation as exc:
            flash(str(exc), "info")
        else:
            flash(_("You follow the %(cluster)s cluster. You will be told of its new members, requests and "
                    "matching days.", cluster=cluster.name), "success")
    return redirect(url_for("clusters.detail", slug=cluster.slug))


@bp.post("/<int:follow_id>/stop")
@login_required
def unfollow(follow_id):
    follow = queries.follow_or_404(follow_id)
    require(can_stop_alert(current_user, follow))
    if ConfirmForm().validate_on_submit():
        with unit_of_work():
            services.unfollow(current_user, follow)
        flash(_("You no longer follow it."), "success")
    return redirect(_back(url_for("following.index")))


def _list_arg() -> SearchList:
    try:
        return SearchList(request.values.get("search_list", SearchList.DIRECTORY.value))
    except ValueError:
        abort(404)


@bp.route("/searches/new", methods=["GET", "POST"])
@login_required
def save_search():
    """"Save this search" from the directory or the board: the page's filters come in the URL (GET), and
    go back hidden in the form; they are checked as the page checks them before anything is saved."""
    require(can_save_search(current_user))
    search_list = _list_arg()
    form = SaveSearchForm()
    problem = None
    if request.method == "GET":
        args = MultiDict([(k, v) for k, v in request.args.items(multi=True) if k != "search_list"])
        try:
            form.query.data = services.normalise(search_list, args)
        except RuleViolation as exc:
            problem = str(exc)
        form.search_list.data = search_list.value
    elif form.validate_on_submit():
        try:
            with unit_of_work():
                services.save_search(current_user, search_list, MultiDict(parse_qsl(form.query.data or "")),
                                     form.name.data, Frequency(form.frequency.data))
        except RuleViolation as exc:
            place_error(form, exc)
        else:
            flash(_("Your search is saved. We will tell you when something new matches it."), "success")
            return redirect(url_for("following.index"))
    link = url_for(search_list.endpoint) + (f"?{form.query.data}" if form.query.data else "")
    return render_template("following/save.html", form=form, search_list=search_list, problem=problem, link=link)


@bp.post("/searches/<int:search_id>/delete")
@login_required
def delete_search(search_id):
    search = queries.search_or_404(search_id)
    require(can_stop_alert(current_user, search))
    if ConfirmForm().validate_on_submit():
        with unit_of_work():
            services.delete_search(current_user, search)
        flash(_("The saved search “%(name)s” is deleted; no more alerts for it.", name=search.name), "success")
    return redirect(url_for("following.index"))


@bp.route("/stop/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed token is the authority; mail providers' one-click POST (RFC 8058) has no CSRF token
def stop(token):
    """The alert e-mail's link: a GET shows a button (mail scanners open links), a POST stops the alert.
    No sign-in needed."""
    invalid = _("This link is not valid or has expired, so nothing was changed. Stop the alert from the "
                "“Following” page of your account instead.")
    if len(token) > 500:
        return _private(render_error(400, invalid))
    if request.method == "GET":
        try:
            services.read_stop_token(token)
        except services.LinkInvalid:
            return _private(render_error(400, invalid))
        return _private(render_template("following/stop.html", token=token, stopped=None))
    try:
        stopped = services.stop_by_token(token)
    except services.LinkInvalid:
        return _private(render_error(400, invalid))
    db.session.commit()
    return _private(render_template("following/stop.html", token=token, stopped=stopped is not None, done=True))


def _private(response):
    """The link is a secret: the page is never stored."""
    response = make_response(response)
    response.headers["Cache-Control"] = "no-store"
    return response


def save_search_url(search_list: str) -> str:
    """The "Save this search" link of a list page: to the save form, with the page's own filters (known keys
    only; the form checks their values)."""
    chosen = SearchList(search_list)
    args = [(key, value) for key, value in request.args.items(multi=True) if key in services.KEYS[chosen] and value]
    return url_for("following.save_search", search_list=chosen.value) + "".join(
        f"&{urlencode({key: value})}" for key, value in args)
