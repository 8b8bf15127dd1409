"""The firms' side of a matching day, on the events blueprint: register a firm, browse the attendees, ask
for meetings, and answer the requests received."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from portal import reference
from portal.clusters.models import Position
from portal.collab.models import CollabRequest, RequestStatus
from portal.db import unit_of_work
from portal.events import queries, services, suggestions, withdrawal
from portal.events.forms import MeetingRequestForm, RegistrationForm
from portal.events.models import MeetingRequestStatus
from portal.events.views import bp, viewable_event
from portal.exceptions import RuleViolation
from portal.extensions import db
from portal.forms import ConfirmForm, place_error
from portal.i18n import current_locale, format_be_datetime
from portal.i18n import gettext as _
from portal.listing import args_without_page, cluster_arg, enum_arg, paginate, words_arg
from portal.permissions import (
    can_answer_meeting_request,
    can_cancel_meeting_request,
    can_register_for_event,
    can_request_meeting,
    can_view_attendees,
    can_withdraw_registration,
    request_side,
    require,
)

SUGGESTED_FOR = 2  # an owner of several registered firms sees suggestions for the first two


def _slot_label(slot) -> str:
    return _("%(day)s, %(start)s–%(end)s", day=format_be_datetime(slot.starts_at, "EEE d MMM"),
             start=slot.local_start.strftime("%H:%M"), end=slot.local_end.strftime("%H:%M"))


@bp.route("/<int:event_id>/register", methods=["GET", "POST"])
@login_required
def register(event_id):
    event = viewable_event(event_id)
    firms = [f for f in queries.team_firms(current_user) if can_register_for_event(current_user, event, f)
             and queries.may_register_again(event, f.id)]
    require(bool(firms))
    form = RegistrationForm()
    form.firm_id.choices = [SelectChoice(f.id, f.name) for f in firms]
    form.slot_ids.choices = [SelectChoice(s.id, _slot_label(s)) for s in event.slots]
    firm_ids = [f.id for f in firms]
    open_requests = db.session.scalars(db.select(CollabRequest).where(
        CollabRequest.firm_id.in_(firm_ids), CollabRequest.status == RequestStatus.OPEN,
        CollabRequest.hidden_at.is_(None)).order_by(CollabRequest.id)).all()
    form.request_ids.choices = [SelectChoice(r.id, r.title) for r in open_requests]
    if form.validate_on_submit():
        firm = next(f for f in firms if f.id == form.firm_id.data)
        try:
            with unit_of_work():
                registration = services.register(current_user, event, firm, form.attendees.data,
                                                 form.offers.data or None, form.seeks.data or None,
                                                 form.slot_ids.data, form.request_ids.data)
        except RuleViolation as exc:
            place_error(form, exc, default="firm_id")
        else:
            flash(_("%(firm)s is registered.", firm=firm.name) if registration.is_approved else
                  _("%(firm)s is registered and waits for the organisers' approval.", firm=firm.name), "success")
            return redirect(url_for("events.detail", event_id=event.id))
    return render_template("events/register.html", event=event, form=form)


@bp.get("/<int:event_id>/attendees")
@login_required
def attendees(event_id):
    event = viewable_event(event_id)
    require(can_view_attendees(current_user, event))
    problems = []
    words = words_arg(request.args).strip()
    cluster_id = cluster_arg(request.args, problems)
    position = enum_arg(request.args, "position", Position, problems,
                        _("There is no such position; showing every position."))
    pagination = paginate(queries.attendees(event, words, cluster_id, position))
    senders = queries.my_registrations(current_user, event, approved_only=True)
    suggested = []
    if pagination.page == 1 and not (words or cluster_id or position):
        own = [f.id for f in queries.team_firms(current_user)]
        suggested = [(sender, suggestions.attendees_for(sender, own)) for sender in senders[:SUGGESTED_FOR]]
    return render_template("events/attendees.html", event=event, pagination=pagination, words=words,
                           suggested=[(sender, found) for sender, found in suggested if found],
                           cluster=request.args.get("cluster", "") if cluster_id else "",
                           position=position.value if position else "", problems=problems, senders=senders,
                           clusters=reference.options("clusters", current_locale()), positions=list(Position),
                           args=args_without_page())


@bp.route("/<int:event_id>/attendees/<int:registration_id>/request", methods=["GET", "POST"])
@login_required
def request_meeting(event_id, registration_id):
    event = viewable_event(event_id)
    receiver = queries.registration_or_404(event, registration_id)
    if not receiver.is_approved or receiver.firm.is_hidden:
        abort(404)
    senders = [r for r in queries.my_registrations(current_user, event, approved_only=True)
               if can_request_meeting(current_user, r, receiver)]
    require(bool(senders))
    form = MeetingRequestForm()
    form.firm_id.choices = [SelectChoice(r.id, r.firm.name) for r in senders]
    if form.validate_on_submit():
        sender = next(r for r in senders if r.id == form.firm_id.data)
        try:
            with unit_of_work():
                services.request_meeting(current_user, sender, receiver, form.reason.data)
        except RuleViolation as exc:
            place_error(form, exc, default="reason")
        else:
            flash(_("Your request was sent to %(firm)s.", firm=receiver.firm.name), "success")
            return redirect(url_for("events.my_requests", event_id=event.id))
    return render_template("events/request.html", event=event, receiver=receiver, form=form)


@bp.get("/<int:event_id>/requests/mine")
@login_required
def my_requests(event_id):
    event = viewable_event(event_id)
    mine = queries.my_registrations(current_user, event)
    require(bool(mine))
    ids = [r.id for r in mine]
    return render_template("events/my_requests.html", event=event, mine=mine,
                           incoming=queries.requests_of(ids, incoming=True),
                           outgoing=queries.requests_of(ids, incoming=False))


@bp.route("/<int:event_id>/requests/<int:meeting_request_id>/<any(accept, decline):action>", methods=["GET", "POST"])
@login_required
def answer(event_id, meeting_request_id, action):
    """Accept or decline a request received: GET asks, POST does."""
    event = viewable_event(event_id)
    meeting_request = queries.request_or_404(event, meeting_request_id)
    require(can_answer_meeting_request(current_user, meeting_request))
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            with unit_of_work():
                services.answer_request(current_user, meeting_request, action == "accept")
        except RuleViolation as exc:
            flash(str(exc), "warning")
        else:
            firm = meeting_request.sender.firm.name
            flash(_("You accepted the meeting with %(firm)s.", firm=firm) if action == "accept" else
                  _("You declined the meeting with %(firm)s.", firm=firm), "success")
        return redirect(url_for("events.my_requests", event_id=event.id))
    return render_template("events/answer.html", event=event, meeting_request=meeting_request, action=action,
                           form=form)


@bp.route("/<int:event_id>/requests/<int:meeting_request_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel_request(event_id, meeting_request_id):
    """Take back a request sent, or cancel an accepted meeting: GET asks, POST does."""
    event = viewable_event(event_id)
    meeting_request = queries.request_or_404(event, meeting_request_id)
    require(can_cancel_meeting_request(current_user, meeting_request))
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        accepted = meeting_request.status is MeetingRequestStatus.ACCEPTED
        try:
            with unit_of_work():
                withdrawal.cancel_request(current_user, meeting_request)
        except RuleViolation as exc:
            flash(str(exc), "warning")
        else:
            other = (meeting_request.receiver if request_side(current_user, meeting_request) == "sender"
                     else meeting_request.sender).firm.name
            flash(_("Your meeting with %(firm)s is cancelled; they have been told.", firm=other) if accepted else
                  _("Your request to %(firm)s is taken back; they have been told.", firm=other), "success")
        return redirect(url_for("events.my_requests", event_id=event.id))
    return render_template("events/cancel_request.html", event=event, meeting_request=meeting_request, form=form)


@bp.route("/<int:event_id>/registrations/<int:registration_id>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw(event_id, registration_id):
    """A firm's team withdraws its registration: GET says what will happen, POST does it."""
    event = viewable_event(event_id)
    registration = queries.registration_or_404(event, registration_id)
    require(can_withdraw_registration(current_user, registration))
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            with unit_of_work():
                withdrawal.withdraw_registration(current_user, registration)
        except RuleViolation as exc:
            flash(str(exc), "warning")
        else:
            flash(_("%(firm)s is withdrawn from the event.", firm=registration.firm.name), "success")
        return redirect(url_for("events.detail", event_id=event.id))
    live = queries.live_requests_of(registration)
    return render_template("events/withdraw.html", event=event, registration=registration, live=live, form=form)
