"""The organiser's schedule pages, on the events blueprint: make the schedule (a worker does it), see it by
slot and table with what was left out and why, move and pin meetings, publish, print the table plan."""
from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from portal.db import unit_of_work
from portal.events import queries, scheduling
from portal.events.forms import MoveMeetingForm
from portal.events.models import EventStatus
from portal.events.views import bp
from portal.exceptions import RuleViolation
from portal.forms import ConfirmForm, place_error
from portal.i18n import format_be_date
from portal.i18n import gettext as _
from portal.jobs import tasks
from portal.permissions import can_schedule_event, require


def slot_label(slot) -> str:
    """The slot's Bangkok day (Buddhist Era year in Thai) and times."""
    return _("%(day)s, %(start)s–%(end)s", day=format_be_date(slot.starts_at),
             start=slot.local_start.strftime("%H:%M"), end=slot.local_end.strftime("%H:%M"))


def _schedulable(event_id):
    event = queries.get_or_404(event_id)
    require(can_schedule_event(current_user, event))
    return event


def _plan(event):
    """Placed meetings by slot, then table: [(slot, [(table, meeting or None)])], and those left out."""
    placed, left_out = {}, []
    for meeting in scheduling.meetings(event):
        if meeting.slot_id is None:
            left_out.append(meeting)
        else:
            placed[(meeting.slot_id, meeting.table_id)] = meeting
    rows = [(slot, [(table, placed.get((slot.id, table.id))) for table in event.tables]) for slot in event.slots]
    return rows, left_out


@bp.get("/<int:event_id>/schedule")
@login_required
def schedule(event_id):
    """Where the latest run stands, and the schedule as it is now."""
    event = _schedulable(event_id)
    rows, left_out = _plan(event)
    return render_template("events/schedule.html", event=event, run=scheduling.latest_run(event), rows=rows,
                           left_out=left_out, form=ConfirmForm(), slot_label=slot_label,
                           any_placed=any(m for _slot, tables in rows for _table, m in tables),
                           reasons=scheduling.UNSCHEDULED_LABELS, errors=scheduling.ERROR_LABELS,
                           published=event.status is EventStatus.PUBLISHED)


@bp.post("/<int:event_id>/schedule/make")
@login_required
def make_schedule(event_id):
    event = _schedulable(event_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        with unit_of_work():
            job = scheduling.request_run(current_user, event)
    except RuleViolation as exc:
        flash(str(exc), "warning")
    else:
        tasks.start_schedule_run(job.id)  # after the commit, so the worker finds the row
        flash(_("The schedule is being made. This page shows when it is done."), "success")
    return redirect(url_for("events.schedule", event_id=event.id))


@bp.post("/<int:event_id>/schedule/publish")
@login_required
def publish_schedule(event_id):
    event = _schedulable(event_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        with unit_of_work():
            scheduling.publish(current_user, event)
    except RuleViolation as exc:
        flash(str(exc), "warning")
    else:
        flash(_("The schedule is published. Every registered firm is told."), "success")
    return redirect(url_for("events.schedule", event_id=event.id))


@bp.route("/<int:event_id>/schedule/meetings/<int:meeting_id>/move", methods=["GET", "POST"])
@login_required
def move_meeting(event_id, meeting_id):
    """Put a meeting in a slot at a table; it is pinned there. A clash is refused and nothing changes."""
    event = _schedulable(event_id)
    meeting = scheduling.meeting_or_404(event, meeting_id)
    form = MoveMeetingForm(obj=meeting)
    form.slot_id.choices = [SelectChoice(slot.id, slot_label(slot)) for slot in event.slots]
    form.table_id.choices = [SelectChoice(table.id, table.name) for table in event.tables]
    if form.validate_on_submit():
        try:
            with unit_of_work():
                scheduling.move_meeting(current_user, meeting, form.slot_id.data, form.table_id.data)
        except RuleViolation as exc:
            place_error(form, exc, default="slot_id")
        else:
            flash(_("The meeting is moved and pinned there."), "success")
            return redirect(url_for("events.schedule", event_id=event.id))
    return render_template("events/move.html", event=event, meeting=meeting, form=form)


@bp.post("/<int:event_id>/schedule/meetings/<int:meeting_id>/<any(pin, unpin):action>")
@login_required
def pin_meeting(event_id, meeting_id, action):
    event = _schedulable(event_id)
    meeting = scheduling.meeting_or_404(event, meeting_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        with unit_of_work():
            scheduling.set_pinned(current_user, meeting, action == "pin")
    except RuleViolation as exc:
        flash(str(exc), "warning")
    else:
        flash(_("The meeting is pinned: it keeps its slot and table.") if action == "pin" else
              _("The meeting is unpinned: the next schedule may move it."), "success")
    return redirect(url_for("events.schedule", event_id=event.id))


@bp.get("/<int:event_id>/schedule/tables")
@login_required
def table_plan(event_id):
    """For printing: each slot, each table's two firms."""
    event = _schedulable(event_id)
    rows, _left_out = _plan(event)
    return render_template("events/table_plan.html", event=event, rows=rows, slot_label=slot_label)
