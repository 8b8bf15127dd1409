"""Collaboration requests ("requests" in URLs and pages): board, post, respond, threads, close."""
from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from portal import reference
from portal.auth.decorators import confirmed_required
from portal.clusters.models import Position
from portal.collab import queries, services, suggestions
from portal.collab.forms import CloseForm, MessageForm, RequestForm, RespondForm
from portal.collab.models import CloseReason, Kind, OutcomeKind, RequestStatus, ResponseStatus
from portal.db import row_id, unit_of_work
from portal.exceptions import PermissionDenied, RuleViolation
from portal.firms import queries as firm_queries
from portal.forms import ConfirmForm, place_error
from portal.i18n import current_locale, format_be_date
from portal.i18n import gettext as _
from portal.listing import cluster_arg, enum_arg, one_of, page_arg, page_url, province_arg, words_arg, words_url
from portal.permissions import (
    can_decide_response,
    can_edit_firm,
    can_edit_request,
    can_manage_request,
    can_moderate_target,
    can_post_request,
    can_respond,
    can_see_counterpart_contacts,
    can_view_request,
    can_view_response,
    is_out_of_view,
    require,
    response_decisions,
)
from portal.thai import bangkok_today

bp = Blueprint("collab", __name__)


def board_filters(args) -> queries.BoardFilters:
    problems = []
    unknown = _("An unknown filter value was ignored.")
    return queries.BoardFilters(
        q=words_arg(args),
        cluster_id=cluster_arg(args, problems),
        province_id=province_arg(args, problems),
        kind=enum_arg(args, "kind", Kind, problems, unknown),
        position=enum_arg(args, "position", Position, problems, unknown),
        status=one_of(args, "status", queries.STATUSES, "open"),
        sort=one_of(args, "sort", queries.SORTS, ""),
        page=page_arg(args),
        problems=problems,
    )


@bp.get("/")
def board():
    filters = board_filters(request.args)
    found = queries.board(filters, current_user)
    locale = current_locale()
    did_you_mean, other_language = filters.no_dead_end(found.total, lambda f: queries.board(f, current_user))
    return render_template("collab/board.html", rows=found.rows, total=found.shown_total, capped=found.capped,
                           inside_words=found.inside_words,
                           filters=filters, page=found.page, pages=found.pages, page_url=page_url("collab.board"),
                           did_you_mean=did_you_mean, other_language=other_language,
                           search_url=words_url("collab.board"),
                           cluster_options=reference.option_tags("clusters", locale, filters.cluster_id),
                           province_options=reference.option_tags("provinces", locale, filters.province_id),
                           kinds=list(Kind), positions=list(Position), today=bangkok_today())


def _fill_request_choices(form: RequestForm, firms) -> None:
    locale = current_locale()
    form.firm_id.choices = [SelectChoice(f.id, f.name) for f in firms]
    member_of = queries.clusters_of_firms([f.id for f in firms])
    form.cluster_id.choices = [SelectChoice(0, _("Every cluster (open to all)"))] + [
        SelectChoice(ref_id, name) for _key, ref_id, name in reference.options("clusters", locale)
        if ref_id in member_of]
    form.province_id.choices = [SelectChoice(0, _("Anywhere"))] + [
        SelectChoice(ref_id, name) for _key, ref_id, name in reference.options("provinces", locale)]


@bp.route("/new", methods=["GET", "POST"])
@login_required
@confirmed_required
def create():
    firms = queries.my_firms(current_user)
    if not firms:
        flash(_("Only firms that are members of a cluster can post requests. Ask to join a cluster first."),
              "warning")
        return redirect(url_for("firms.mine"))
    form = RequestForm()
    _fill_request_choices(form, firms)
    if request.method == "GET":
        form.expires_on.data = bangkok_today() + timedelta(days=current_app.config["REQUEST_DEFAULT_DAYS"])
    if form.validate_on_submit():
        firm = next((f for f in firms if f.id == form.firm_id.data), None)
        data = form.data_for_service()
        if firm is None or not can_post_request(current_user, firm, data["cluster_id"]):
            form.cluster_id.errors.append(_("Your firm is not a member of this cluster."))
        else:
            try:
                with unit_of_work():
                    posted = services.post_request(current_user, firm, data, form.expires_on.data)
            except RuleViolation as exc:
                place_error(form, exc)
            else:
                flash(_("Your request is posted."), "success")
                return redirect(url_for("collab.detail", request_id=row_id(posted)))
    return render_template("collab/form.html", form=form, collab_request=None)


def _viewable_request(request_id):
    """The request, if the user may see it: hidden ones (or a hidden firm's) answer 404 as if absent, a
    members-only firm's ask anonymous visitors to sign in. Every route on one request loads it so."""
    collab_request = queries.request_or_404(request_id)
    if is_out_of_view(current_user, collab_request):
        abort(404)  # as the firm's own page: out of public view
    require(can_view_request(current_user, collab_request))
    return collab_request


@bp.get("/<int:request_id>")
def detail(request_id):
    collab_request = _viewable_request(request_id)
    manager = can_manage_request(current_user, collab_request)
    moderator = can_moderate_target(current_user, "request", collab_request)
    mine = queries.my_firms(current_user)
    answerable = [f for f in mine if can_respond(current_user, collab_request, f)]
    my_response = queries.response_of(collab_request, [f.id for f in mine])
    form = None
    if answerable and my_response is None:  # forms only where shown: a CSRF token is one visitor's
        form = RespondForm()
        form.firm_id.choices = [SelectChoice(f.id, f.name) for f in answerable]
    return render_template(
        "collab/detail.html", collab_request=collab_request, manager=manager, form=form,
        answerable=form is not None, my_response=my_response,
        responses=queries.responses_to(collab_request) if manager else [],
        partners=suggestions.partners_for(collab_request) if manager and collab_request.is_open_on(bangkok_today())
        else [],
        today=bangkok_today(), confirm_form=ConfirmForm() if manager else None, moderator=moderator)


@bp.post("/<int:request_id>/respond")
@login_required
def respond(request_id):
    collab_request = _viewable_request(request_id)
    mine = queries.my_firms(current_user)
    form = RespondForm()
    form.firm_id.choices = [SelectChoice(f.id, f.name) for f in mine]
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "warning")
        return redirect(url_for("collab.detail", request_id=request_id))
    firm = next((f for f in mine if f.id == form.firm_id.data), None)
    if firm is None:
        raise PermissionDenied()
    try:
        with unit_of_work():
            response = services.respond(current_user, collab_request, firm, form.message.data)
    except RuleViolation as exc:
        flash(str(exc), "warning")
        return redirect(url_for("collab.detail", request_id=request_id))
    flash(_("Your response has been sent. You can talk with the firm here."), "success")
    return redirect(url_for("collab.thread", response_id=row_id(response)))


@bp.route("/responses/<int:response_id>", methods=["GET", "POST"])
@login_required
def thread(response_id):
    response = queries.response_or_404(response_id)
    if response.is_hidden and not can_view_response(current_user, response):
        abort(404)  # hidden from the posting firm: as if absent
    require(can_view_response(current_user, response))
    collab_request = response.request
    poster = firm_queries.get_or_404(collab_request.firm_id)
    moderator = can_moderate_target(current_user, "response", response)
    form = MessageForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.send_message(current_user, response, form.body.data)
        except RuleViolation as exc:
            form.body.errors.append(str(exc))
        else:
            return redirect(url_for("collab.thread", response_id=response.id) + "#latest")
    on_poster_side = can_manage_request(current_user, collab_request)
    counterpart = response.firm if on_poster_side else poster
    return render_template(
        "collab/thread.html", response=response, collab_request=collab_request, poster=poster, form=form,
        messages=queries.messages_of(response), counterpart=counterpart, on_poster_side=on_poster_side,
        show_contacts=can_see_counterpart_contacts(current_user, response, counterpart),
        decisions=response_decisions(current_user, response), confirm_form=ConfirmForm(), moderator=moderator,
        accepted_elsewhere=on_poster_side and queries.accepted_elsewhere(response))


@bp.get("/responses/<int:response_id>/<any(accepted, declined):decision>")
@login_required
def confirm_decision(response_id, decision):
    """Accepting or declining cannot be undone: the posting firm is asked once more, on a page of its own."""
    response = queries.response_or_404(response_id)
    require(can_decide_response(current_user, response, ResponseStatus(decision)))
    firm = response.firm.name
    if decision == "accepted":
        question = _("Accept the response of %(firm)s?", firm=firm)
        consequence = _("Both firms will see each other's contact details. This cannot be undone.")
        button = _("Yes, accept")
    else:
        question = _("Decline the response of %(firm)s?", firm=firm)
        consequence = _("%(firm)s will be told, and the conversation ends. This cannot be undone.", firm=firm)
        button = _("Yes, decline")
    return render_template("collab/confirm_decision.html", response=response, collab_request=response.request,
                           decision=decision, question=question, consequence=consequence, button=button,
                           confirm_form=ConfirmForm())


@bp.post("/responses/<int:response_id>/<any(shortlisted, accepted, declined, withdrawn):decision>")
@login_required
def decide(response_id, decision):
    response = queries.response_or_404(response_id)
    require(can_view_response(current_user, response))
    if ConfirmForm().validate_on_submit():
        try:
            with unit_of_work():
                if decision == "withdrawn":
                    services.withdraw_response(current_user, response)
                else:
                    services.decide(current_user, response, ResponseStatus(decision))
        except RuleViolation as exc:
            flash(str(exc), "warning")
        else:
            flash(_("Saved."), "success")
    return redirect(url_for("collab.thread", response_id=row_id(response)))


@bp.route("/<int:request_id>/edit", methods=["GET", "POST"])
@login_required
def edit(request_id):
    collab_request = queries.request_or_404(request_id)
    require(can_manage_request(current_user, collab_request))
    if not can_edit_request(current_user, collab_request):
        flash(_("This request is closed: it can no longer be edited."), "warning")
        return redirect(url_for("collab.detail", request_id=collab_request.id))
    firms = [collab_request.firm]
    form = RequestForm(obj=collab_request) if request.method == "GET" else RequestForm()
    _fill_request_choices(form, firms)
    if request.method == "GET":
        form.firm_id.data = collab_request.firm_id
        form.cluster_id.data = collab_request.cluster_id or 0
        form.province_id.data = collab_request.province_id or 0
        form.kind.data = collab_request.kind.value
        form.position_sought.data = collab_request.position_sought.value if collab_request.position_sought else ""
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.update_request(current_user, collab_request, form.data_for_service(), form.expires_on.data)
        except PermissionDenied:
            form.cluster_id.errors.append(_("Your firm is not a member of this cluster."))
        except RuleViolation as exc:
            place_error(form, exc)
        else:
            flash(_("Your changes have been saved."), "success")
            return redirect(url_for("collab.detail", request_id=collab_request.id))
    return render_template("collab/form.html", form=form, collab_request=collab_request)


@bp.post("/<int:request_id>/renew")
@login_required
def renew(request_id):
    collab_request = queries.request_or_404(request_id)
    require(can_manage_request(current_user, collab_request))
    if ConfirmForm().validate_on_submit():
        try:
            with unit_of_work():
                services.renew(current_user, collab_request)
        except RuleViolation as exc:
            flash(str(exc), "warning")
        else:
            flash(_("The request is open until %(date)s.", date=format_be_date(collab_request.expires_on)), "success")
    return redirect(url_for("collab.detail", request_id=request_id))


@bp.route("/<int:request_id>/close", methods=["GET", "POST"])
@login_required
def close(request_id):
    collab_request = queries.request_or_404(request_id)
    require(can_manage_request(current_user, collab_request))
    if collab_request.status is not RequestStatus.OPEN:
        flash(_("This request is already closed."), "info")
        return redirect(url_for("collab.detail", request_id=request_id))
    candidates = queries.partner_candidates(collab_request)
    form = CloseForm()
    form.partner_firm_id.choices = [SelectChoice("", _("Choose the partner"))] + [
        SelectChoice(r.firm.id, r.firm.name) for r in candidates]
    if not form.is_submitted() and [r.status for r in candidates] == [ResponseStatus.ACCEPTED]:
        form.partner_firm_id.data = candidates[0].firm_id  # the response already accepted is the partner
    if form.validate_on_submit():
        reason = CloseReason(form.reason.data)
        try:
            with unit_of_work():
                services.close(current_user, collab_request, reason, partner_firm_id=form.partner_firm_id.data or None,
                               value=form.value.data,
                               outcome_kind=OutcomeKind(form.outcome_kind.data) if form.outcome_kind.data else None)
        except RuleViolation as exc:
            place_error(form, exc)
        else:
            flash(_("The request is closed. Thank you for telling us how it went."), "success")
            return redirect(url_for("collab.detail", request_id=request_id))
    return render_template("collab/close.html", collab_request=collab_request, form=form)


@bp.get("/for/<int:firm_id>")
@login_required
def for_firm(firm_id):
    """The firm's dashboard: its own requests, and open requests that fit it."""
    firm = firm_queries.get_or_404(firm_id)
    require(can_edit_firm(current_user, firm))
    return render_template("collab/for_firm.html", firm=firm, own=queries.requests_of(firm),
                           fitting=suggestions.requests_for(firm), today=bangkok_today())
