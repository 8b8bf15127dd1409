"""Matching days: the list and an event's page; organisers create, edit and open events and decide on
registrations (portal/events/booking.py has the firms' side: registering, attendees, meeting requests)."""
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from portal import reference
from portal.db import unit_of_work
from portal.events import queries, services
from portal.events.forms import DeclineForm, EventForm
from portal.events.models import RegistrationStatus
from portal.exceptions import RuleViolation
from portal.exports import XLSX_MIMETYPE, workbook_bytes
from portal.forms import ConfirmForm, place_error
from portal.i18n import current_locale, format_be_datetime
from portal.i18n import gettext as _
from portal.listing import paginate
from portal.permissions import (
    can_create_event,
    can_decide_registration,
    can_manage_event,
    can_register_for_event,
    can_view_event,
    managed_cluster_ids,
    require,
)

bp = Blueprint("events", __name__)


def viewable_event(event_id):
    """The event, if the viewer may see it; a draft is a 404 for everyone else (as if it did not exist)."""
    event = queries.get_or_404(event_id)
    if not can_view_event(current_user, event):
        abort(404)
    return event


@bp.get("/")
def index():
    pagination = paginate(queries.listing(current_user))
    return render_template("events/index.html", pagination=pagination)


def _fill_clusters(form: EventForm, event=None) -> None:
    managed = managed_cluster_ids(current_user)
    keep = event.cluster_ids if event else set()
    form.cluster_ids.choices = [SelectChoice(cluster_id, name) for _key, cluster_id, name
                                in reference.options("clusters", current_locale())
                                if managed is None or cluster_id in managed or cluster_id in keep]


def _sessions(form: EventForm) -> list[services.SessionData]:
    return [services.SessionData(row.day.data, row.start_time.data, row.slot_count.data) for row in form.session_rows()]


def _save(form: EventForm, event=None):
    """Create or update from the form; the event, or None with the rule's message placed on the form."""
    try:
        with unit_of_work():
            args = (form.data_for_service(), form.cluster_ids.data or [], _sessions(form), form.names())
            if event is None:
                return services.create_event(current_user, *args)
            return services.update_event(current_user, event, *args)
    except RuleViolation as exc:
        place_error(form, exc, default="title_th")
        return None


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    require(can_create_event(current_user))
    form = EventForm()
    _fill_clusters(form)
    if form.validate_on_submit():
        event = _save(form)
        if event is not None:
            flash(_("The event is saved as a draft. Open it when it is ready for firms."), "success")
            return redirect(url_for("events.detail", event_id=event.id))
    return render_template("events/form.html", form=form, event=None)


@bp.route("/<int:event_id>/edit", methods=["GET", "POST"])
@login_required
def edit(event_id):
    event = queries.get_or_404(event_id)
    require(can_manage_event(current_user, event))
    form = EventForm(obj=event)
    _fill_clusters(form, event)
    if request.method == "GET":
        form.cluster_ids.data = sorted(event.cluster_ids)
        for entry, session in zip(form.sessions, event.sessions, strict=False):
            entry.form.day.data, entry.form.start_time.data = session.day, session.start_time
            entry.form.slot_count.data = session.slot_count
        form.table_count.data = len(event.tables)
        form.table_names.data = "\n".join(t.name for t in event.tables)
    if form.validate_on_submit() and _save(form, event) is not None:
        flash(_("Changes saved."), "success")
        return redirect(url_for("events.detail", event_id=event.id))
    return render_template("events/form.html", form=form, event=event)


@bp.get("/<int:event_id>")
def detail(event_id):
    event = viewable_event(event_id)
    mine = queries.my_registrations(current_user, event)
    registered = {r.firm_id for r in mine if r.status is not RegistrationStatus.WITHDRAWN}
    may_register = any(can_register_for_event(current_user, event, firm) for firm in queries.team_firms(current_user)
                       if firm.id not in registered)
    return render_template("events/detail.html", event=event, mine=mine, form=ConfirmForm(),
                           may_register=may_register)


@bp.post("/<int:event_id>/open")
@login_required
def open_event(event_id):
    event = queries.get_or_404(event_id)
    require(can_manage_event(current_user, event))
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        with unit_of_work():
            services.open_event(current_user, event)
    except RuleViolation as exc:
        flash(str(exc), "warning")
    else:
        flash(_("The event is open: firms can see it and register."), "success")
    return redirect(url_for("events.detail", event_id=event.id))


@bp.get("/<int:event_id>/registrations")
@login_required
def registrations(event_id):
    event = queries.get_or_404(event_id)
    require(can_manage_event(current_user, event))
    return render_template("events/registrations.html", event=event, registrations=queries.registrations(event),
                           form=ConfirmForm(), S=RegistrationStatus)


@bp.route("/<int:event_id>/registrations/<int:registration_id>/<any(approve, decline):action>",
          methods=["GET", "POST"])
@login_required
def decide(event_id, registration_id, action):
    """Approve or decline a registration: GET asks, POST does."""
    event = queries.get_or_404(event_id)
    registration = queries.registration_or_404(event, registration_id)
    require(can_decide_registration(current_user, registration))
    form = DeclineForm() if action == "decline" else ConfirmForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("events/decide.html", event=event, registration=registration, action=action,
                                   form=form)
        try:
            with unit_of_work():
                services.decide_registration(current_user, registration, action == "approve",
                                             getattr(form, "reason", None) and form.reason.data)
        except RuleViolation as exc:
            flash(str(exc), "warning")
        else:
            flash(_("%(firm)s is registered.", firm=registration.firm.name) if action == "approve" else
                  _("The registration of %(firm)s is declined.", firm=registration.firm.name), "success")
        return redirect(url_for("events.registrations", event_id=event.id))
    return render_template("events/decide.html", event=event, registration=registration, action=action, form=form)


@bp.get("/<int:event_id>/requests")
@login_required
def requests(event_id):
    event = queries.get_or_404(event_id)
    require(can_manage_event(current_user, event))
    return render_template("events/requests.html", event=event, pagination=paginate(queries.all_requests(event)))


@bp.get("/<int:event_id>/export.xlsx")
@login_required
def export(event_id):
    """Every registration and every meeting request of the event, one row each, for the organisers."""
    event = queries.get_or_404(event_id)
    require(can_manage_event(current_user, event))
    header = [_("Kind"), _("Firm"), _("Other firm"), _("Status"), _("Attendees"), _("Offers"), _("Seeks"),
              _("Reason"), _("Date")]
    rows = [[_("Registration"), r.firm.name, "", str(r.status.label), r.attendees, r.offers or "", r.seeks or "",
             r.decline_reason or "", format_be_datetime(r.created_at)] for r in queries.registrations(event)]
    for m in queries.db.session.scalars(queries.all_requests(event)):
        rows.append([_("Meeting request"), m.sender.firm.name, m.receiver.firm.name, str(m.status.label), "", "", "",
                     m.reason, format_be_datetime(m.created_at)])
    data = workbook_bytes(_("Matching day"), header, rows)
    return Response(data, mimetype=XLSX_MIMETYPE,
                    headers={"Content-Disposition": f"attachment; filename=event-{event.id}.xlsx"})
