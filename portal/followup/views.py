"""The answer page (a single-use link, no sign-in) and each cluster's list for its coordinators."""

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal.clusters import queries as cluster_queries
from portal.collab.models import Aim, OutcomeKind
from portal.db import unit_of_work
from portal.errors import render_error
from portal.exceptions import RuleViolation
from portal.extensions import db
from portal.followup import queries, services
from portal.followup.forms import AnswerForm
from portal.followup.models import FollowUp, Stage
from portal.forms import ConfirmForm, place_error
from portal.i18n import gettext as _
from portal.listing import one_of, page_arg, page_url
from portal.permissions import can_view_followups, require

bp = Blueprint("followup", __name__)


def _private(response):
    """The link is a secret: the page is never stored. (Other sites get the origin only as a Referer:
    the app-wide strict-origin-when-cross-origin policy, portal/web.py.)"""
    response = make_response(response)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/<token>", methods=["GET", "POST"])
def answer(token):
    """One question, answered once, by whoever holds the link (it went to the firm's team)."""
    try:
        followup = services.find_by_token(token)
    except services.LinkGone:
        return _private(render_error(410, _("This link has been used already or has expired. Thank you: "
                                            "if you still want to tell us something, write to your cluster's "
                                            "coordinator.")))
    if followup is None:
        return _private(render_error(404, _("This follow-up link is not valid. Please use the link from the "
                                            "e-mail exactly as it is.")))
    form = AnswerForm()
    if form.validate_on_submit():
        stage = Stage(form.stage.data)
        try:
            with unit_of_work():
                services.answer(followup, stage, value=form.value.data,
                                kind=OutcomeKind(form.kind.data) if form.kind.data else None,
                                aim=Aim(form.aim.data) if form.aim.data else None)
        except RuleViolation as exc:
            place_error(form, exc)
        else:
            return _private(render_template("followup/thanks.html", followup=followup))
    return _private(render_template("followup/answer.html", followup=followup, form=form,
                                    about=_about(followup)))


def _about(followup: FollowUp) -> str:
    """Which meeting or partnership the question is about, in the page's language."""
    other = followup.other_firm.name if followup.other_firm else "-"
    if followup.meeting_id:
        from portal.events.models import Event, Meeting

        meeting = db.session.get(Meeting, followup.meeting_id)
        event = db.session.get(Event, meeting.event_id)
        return _("Your meeting with %(firm)s at “%(event)s”.", firm=other, event=event.title)
    from portal.collab.models import CollabRequest

    collab_request = db.session.get(CollabRequest, followup.request_id)
    return _("Your partnership with %(firm)s on “%(request)s”.", firm=other, request=collab_request.title)


def _cluster(slug):
    cluster = cluster_queries.get_by_slug_or_404(slug)
    require(can_view_followups(current_user, cluster))
    return cluster


@bp.get("/clusters/<slug>/")
@login_required
def cluster_list(slug):
    """Who was asked, who answered (and how far it went), who has not."""
    cluster = _cluster(slug)
    state = one_of(request.args, "state", queries.STATES, "all")
    found = queries.of_cluster(cluster, state, page_arg(), current_app.config["PAGE_SIZE"])
    return render_template("followup/cluster.html", cluster=cluster, found=found, state=state,
                           page_url=page_url("followup.cluster_list", slug=cluster.slug),
                           can_remind_again=services.can_remind_again, confirm_form=ConfirmForm())


def _followup_of(cluster, followup_id) -> FollowUp:
    followup = db.session.get(FollowUp, followup_id)
    if followup is None or not queries.is_member(cluster, followup.firm_id):
        abort(404)
    return followup


@bp.get("/clusters/<slug>/<int:followup_id>/remind")
@login_required
def confirm_remind(slug, followup_id):
    """One more reminder is asked for on a page of its own: it can be sent once."""
    cluster = _cluster(slug)
    followup = _followup_of(cluster, followup_id)
    return render_template("followup/confirm_remind.html", cluster=cluster, followup=followup,
                           confirm_form=ConfirmForm())


@bp.post("/clusters/<slug>/<int:followup_id>/remind")
@login_required
def remind(slug, followup_id):
    cluster = _cluster(slug)
    followup = _followup_of(cluster, followup_id)
    if ConfirmForm().validate_on_submit():
        try:
            with unit_of_work():
                services.remind_again(current_user, cluster, followup)
        except RuleViolation as exc:
            flash(str(exc), "warning")
        else:
            flash(_("One more reminder is on its way to %(firm)s.", firm=followup.firm.name), "success")
    return redirect(url_for("followup.cluster_list", slug=slug))


