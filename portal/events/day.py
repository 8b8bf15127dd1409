"""The matching day itself, on the events blueprint: a firm's agenda (page, .ics, PDF) with its check-in QR
code, the organisers' check-in (scanned link or typed code), marking meetings held or no-show, and each
side's rating after a held meeting. Services: portal/events/checkin.py and portal/events/meetings.py."""
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from portal.db import unit_of_work
from portal.events import agenda, checkin, meetings, queries
from portal.events.day_forms import CheckinCodeForm, RatingForm
from portal.events.models import Meeting, Registration
from portal.events.views import bp, viewable_event
from portal.exceptions import RuleViolation
from portal.extensions import db
from portal.forms import ConfirmForm, place_error
from portal.i18n import current_locale, format_be_date, format_be_datetime
from portal.i18n import gettext as _
from portal.permissions import (
    can_check_in,
    can_mark_meeting,
    can_rate_meeting,
    can_view_agenda,
    meeting_side,
    require,
)


def _registration(event_id, firm_id) -> Registration:
    """The firm's registration for the event, if the viewer may see its agenda (else 404 or 403)."""
    event = viewable_event(event_id)
    registration = db.session.scalar(select(Registration).where(Registration.event_id == event.id,
                                                                Registration.firm_id == firm_id))
    if registration is None:
        abort(404)
    require(can_view_agenda(current_user, registration))
    return registration


def _time(item) -> str:
    return _("%(day)s, %(start)s–%(end)s", day=format_be_date(item.slot.starts_at, "EEE d MMM yyyy"),
             start=item.slot.local_start.strftime("%H:%M"), end=item.slot.local_end.strftime("%H:%M"))


def _context(registration) -> dict:
    url = agenda.checkin_url(registration)
    return {"event": registration.event, "registration": registration, "items": agenda.items(registration),
            "qr": agenda.qr_svg(url),
            "checkin_url": url, "code": checkin.display_code(registration.checkin_code), "when": _time}


@bp.get("/<int:event_id>/agenda/<int:firm_id>")
@login_required
def agenda_page(event_id, firm_id):
    registration = _registration(event_id, firm_id)
    return render_template("events/agenda.html", **_context(registration))


@bp.get("/<int:event_id>/agenda/<int:firm_id>/agenda.ics")
@login_required
def agenda_ics(event_id, firm_id):
    """The agenda for a calendar app, in the reader's language."""
    registration = _registration(event_id, firm_id)

    def summary(item):
        return _("Meeting with %(firm)s", firm=item.other.firm.name)

    def description(item):
        return _("Table %(table)s. Reason: %(reason)s", table=item.table_name or "-", reason=item.reason)

    data = agenda.ics_bytes(registration, agenda.items(registration), summary, description)
    return Response(data, mimetype="text/calendar",
                    headers={"Content-Disposition": f"attachment; filename=agenda-{event_id}-{firm_id}.ics"})


@bp.get("/<int:event_id>/agenda/<int:firm_id>/agenda.pdf")
@login_required
def agenda_pdf(event_id, firm_id):
    """The printable agenda in the reader's language, with the check-in QR code."""
    registration = _registration(event_id, firm_id)
    data = agenda.pdf_bytes(locale=current_locale(), printed=format_be_datetime(agenda.generated_at()),
                            **_context(registration))
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f"inline; filename=agenda-{event_id}-{firm_id}.pdf"})


@bp.route("/checkin/<token>", methods=["GET", "POST"])
@login_required
def checkin_page(token):
    """What the QR code opens on an organiser's phone: the firm, and a button to confirm its arrival."""
    registration = checkin.by_token(token)
    if registration is None or not registration.is_approved:
        abort(404)
    event = registration.event
    require(can_check_in(current_user, event))
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            with unit_of_work():
                checkin.check_in(current_user, registration)
        except RuleViolation as exc:
            flash(str(exc), "warning")
        else:
            flash(_("%(firm)s has checked in.", firm=registration.firm.name), "success")
        return redirect(url_for("events.checkin_desk", event_id=event.id))
    return render_template("events/checkin.html", event=event, registration=registration, form=form,
                           code=checkin.display_code(registration.checkin_code))


@bp.route("/<int:event_id>/checkin", methods=["GET", "POST"])
@login_required
def checkin_desk(event_id):
    """The organisers' desk: type a firm's short code, then confirm on the firm's check-in page."""
    event = queries.get_or_404(event_id)
    require(can_check_in(current_user, event))
    form = CheckinCodeForm()
    if form.validate_on_submit():
        try:
            registration = checkin.by_code(event, form.code.data)
        except RuleViolation as exc:
            place_error(form, exc, default="code")
        else:
            return redirect(url_for("events.checkin_page", token=registration.checkin_token))
    arrived = [r for r in queries.registrations(event) if r.checked_in_at is not None]
    return render_template("events/checkin_desk.html", event=event, form=form, arrived=arrived)


def _meeting(event_id, meeting_id) -> Meeting:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or meeting.event_id != event_id:
        abort(404)
    return meeting


def _back(meeting):
    """The agenda the viewer came from: their firm's side, or the sender's for organisers."""
    side = meeting_side(current_user, meeting) or "sender"
    firm_id = getattr(meeting.request, side).firm_id
    return url_for("events.agenda_page", event_id=meeting.event_id, firm_id=firm_id)


@bp.route("/<int:event_id>/meetings/<int:meeting_id>/<any(held, no_show):mark>", methods=["GET", "POST"])
@login_required
def mark_meeting(event_id, meeting_id, mark):
    """Mark a meeting held or no-show: GET asks, POST does."""
    meeting = _meeting(event_id, meeting_id)
    require(can_mark_meeting(current_user, meeting))
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            with unit_of_work():
                meetings.mark_meeting(current_user, meeting, meetings.MARKS[mark])
        except RuleViolation as exc:
            flash(str(exc), "warning")
        else:
            flash(_("The meeting is marked held.") if mark == "held" else _("The meeting is marked no-show."),
                  "success")
        return redirect(_back(meeting))
    return render_template("events/mark_meeting.html", meeting=meeting, mark=mark, form=form, back=_back(meeting),
                           when=_time(agenda.AgendaItem(meeting, "sender", meeting.request.receiver)))


@bp.route("/<int:event_id>/meetings/<int:meeting_id>/rate", methods=["GET", "POST"])
@login_required
def rate_meeting(event_id, meeting_id):
    """One question and a yes/no after a held meeting, for the viewer's side."""
    meeting = _meeting(event_id, meeting_id)
    require(can_rate_meeting(current_user, meeting))
    side = meeting_side(current_user, meeting)
    other = meeting.request.receiver if side == "sender" else meeting.request.sender
    form = RatingForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                meetings.rate_meeting(current_user, meeting, int(form.rating.data), form.continues.data == "yes")
        except RuleViolation as exc:
            place_error(form, exc, default="rating")
        else:
            flash(_("Thank you. Your answer is saved."), "success")
            return redirect(_back(meeting))
    return render_template("events/rate_meeting.html", meeting=meeting, other=other, form=form, back=_back(meeting))
