"""The matching day's schedule, as organisers run it: ask for a run (a worker solves, never the request),
move and pin meetings, publish. The solver itself is portal/events/schedule.py; this module turns an
event's rows into its `Problem` and the `Result` back into Meeting rows.

Every accepted request between two approved firms has one Meeting row once a run is done: placed (a slot
and a table) or not, with the solver's reason code. Pinned meetings stay where the organiser put them.
Services flush and never commit, except `run`, which is the worker's whole transaction.
"""
import logging
from datetime import timedelta

from flask import abort, current_app, url_for
from sqlalchemy import select

from portal import audit
from portal.db import flush_or_refuse, utcnow
from portal.events import schedule
from portal.events.models import (
    Event,
    EventStatus,
    Meeting,
    MeetingRequest,
    MeetingRequestStatus,
    Registration,
    RegistrationStatus,
    ScheduleRun,
    ScheduleRunStatus,
)
from portal.exceptions import PermissionDenied, RuleViolation
from portal.extensions import db
from portal.firms.queries import team_members
from portal.i18n import lazy_gettext as _l
from portal.jobs import claims
from portal.notifications.services import bilingual, notify, register_kind
from portal.permissions import can_schedule_event
from portal.webhooks import services as webhooks

log = logging.getLogger(__name__)
S = ScheduleRunStatus

# Why the scheduler left an accepted request out (schedule.UNSCHEDULED_REASONS), for organisers.
UNSCHEDULED_LABELS = {
    "no_common_slot": _l("The two firms have no available slot in common."),
    "firm_limit": _l("One of the two firms already has its maximum number of meetings."),
    "firms_busy": _l("In every slot both firms are available, one of them already has another meeting."),
    "no_table": _l("In the slots where both firms are free, every table is taken."),
}
# Why a run failed.
ERROR_LABELS = {
    "pin_conflict": _l("A pinned meeting no longer fits (a firm's availability or the event changed). "
                       "Move or unpin it, then make the schedule again."),
    "error": _l("The schedule could not be made. Please try again; if it fails again, tell the portal's team."),
}
ALREADY_RUNNING = _l("The schedule is being made already. Please wait until it is done.")
MOVE_CLASH = _l("Another meeting took that table in that slot just now. Choose another.")


def _actor_id(actor):
    return getattr(actor, "id", None)


# --- reading ----------------------------------------------------------------------------------------

def latest_run(event: Event) -> ScheduleRun | None:
    return db.session.scalar(select(ScheduleRun).where(ScheduleRun.event_id == event.id)
                             .order_by(ScheduleRun.id.desc()).limit(1))


def meetings(event: Event) -> list[Meeting]:
    return list(db.session.scalars(select(Meeting).where(Meeting.event_id == event.id).order_by(Meeting.id)))


def meeting_or_404(event: Event, meeting_id: int) -> Meeting:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or meeting.event_id != event.id:
        abort(404)
    return meeting


def _accepted(event: Event) -> list[MeetingRequest]:
    """Accepted requests between two firms whose registrations are approved: what the scheduler places."""
    approved = select(Registration.id).where(Registration.event_id == event.id,
                                             Registration.status == RegistrationStatus.APPROVED)
    return list(db.session.scalars(select(MeetingRequest).where(
        MeetingRequest.event_id == event.id, MeetingRequest.status == MeetingRequestStatus.ACCEPTED,
        MeetingRequest.from_registration_id.in_(approved), MeetingRequest.to_registration_id.in_(approved))
        .order_by(MeetingRequest.id)))


def build_problem(event: Event, pins: dict | None = None) -> schedule.Problem:
    """The event as the solver sees it: firms are registration ids, with their available slots and the
    event's maximum; requests are meeting request ids; pins are the pinned, placed meetings (by default)."""
    registrations = db.session.scalars(select(Registration).where(
        Registration.event_id == event.id, Registration.status == RegistrationStatus.APPROVED)).all()
    requests = [schedule.Req(r.id, r.from_registration_id, r.to_registration_id) for r in _accepted(event)]
    if pins is None:
        wanted = {r.id for r in requests}
        pins = {m.request_id: (m.slot_id, m.table_id) for m in meetings(event)
                if m.pinned and m.slot_id is not None and m.request_id in wanted}
    return schedule.Problem(
        slots=[schedule.Slot(slot.id, slot.session_id) for slot in event.slots],
        tables=[table.id for table in event.tables],
        firms={r.id: schedule.FirmAvail(frozenset(r.slot_ids), event.max_meetings_per_firm) for r in registrations},
        requests=requests, pins=pins, time_limit_s=current_app.config["SCHEDULE_TIME_LIMIT_SECONDS"])


# --- running ----------------------------------------------------------------------------------------

def _stale_after() -> timedelta:
    return timedelta(minutes=current_app.config["SCHEDULE_STALE_MINUTES"])


def _running(event: Event) -> bool:
    return db.session.scalar(select(ScheduleRun.id).where(ScheduleRun.event_id == event.id, ScheduleRun.status.in_(
        (S.QUEUED, S.RUNNING))).limit(1)) is not None


def request_run(actor, event: Event) -> ScheduleRun:
    """An organiser asks for a schedule; a worker makes it (`run`). One run at a time per event."""
    if not can_schedule_event(actor, event):
        raise PermissionDenied()
    if _running(event):
        raise RuleViolation(ALREADY_RUNNING)
    if not _accepted(event):
        raise RuleViolation(_l("There are no accepted meeting requests to schedule yet."))
    job = ScheduleRun(event_id=event.id, actor_id=_actor_id(actor), status=S.QUEUED, created_at=utcnow())
    db.session.add(job)
    db.session.flush()
    audit.record(actor, "schedule.requested", event, run_id=job.id)
    log.info("schedule run %s for event %s asked for by %s", job.id, event.id, _actor_id(actor))
    return job


def _apply(event: Event, problem: schedule.Problem, result: schedule.Result) -> set[int]:
    """Write the result as Meeting rows (pinned ones stay); the registration ids whose meetings changed."""
    wanted = {r.id: r for r in problem.requests}
    rows = {m.request_id: m for m in meetings(event)}
    before = {rid: (m.slot_id, m.table_id) for rid, m in rows.items()}
    for rid, meeting in rows.items():
        if rid not in wanted:
            db.session.delete(meeting)  # its request was withdrawn, or a firm's registration no longer stands
        elif not meeting.pinned:
            meeting.slot_id = meeting.table_id = None  # first clear, so swaps never meet the unique key
    db.session.flush()
    for rid in wanted:
        meeting = rows.get(rid)
        if meeting is None:
            meeting = rows[rid] = Meeting(event_id=event.id, request_id=rid, pinned=False)
            db.session.add(meeting)
        if not meeting.pinned:
            meeting.slot_id, meeting.table_id = result.assignments.get(rid, (None, None))
        meeting.unscheduled_reason = None if meeting.slot_id is not None else result.unscheduled.get(rid)
    db.session.flush()
    changed = set()
    for rid in set(wanted) | set(before):
        after = (rows[rid].slot_id, rows[rid].table_id) if rid in wanted else (None, None)
        if before.get(rid, (None, None)) != after:
            req = wanted.get(rid) or db.session.get(MeetingRequest, rid)
            changed |= {req.firm_a, req.firm_b} if rid in wanted else {req.from_registration_id,
                                                                        req.to_registration_id}
    return changed


def _notify_changed(event: Event, registration_ids: set[int]) -> None:
    """Once published, the firms whose meetings moved hear of it, each member in their language."""
    if event.status is not EventStatus.PUBLISHED or not registration_ids:
        return
    firm_ids = db.session.scalars(select(Registration.firm_id).where(Registration.id.in_(registration_ids))).all()
    users = [user for firm_id in sorted(set(firm_ids)) for user in team_members(firm_id)]
    notify(users, "events.schedule_changed", event, event=bilingual(event, "title"), event_id=event.id)


def run(run_id: int) -> ScheduleRun | None:
    """Make one asked-for schedule (a worker's task). Commits. None if another worker has it."""
    from portal.auth.models import User

    job = claims.claim(ScheduleRun, run_id, _stale_after())
    if job is None:
        return None
    event = db.session.get(Event, job.event_id)
    actor = db.session.get(User, job.actor_id) if job.actor_id else None
    try:
        problem = build_problem(event)
        result = schedule.solve(problem)
        changed = _apply(event, problem, result)
    except schedule.PinConflict:
        return _failed(run_id, "pin_conflict")
    except Exception:  # noqa: BLE001  (recorded as failed for the organiser; the traceback goes to the log)
        log.exception("schedule run %s for event %s failed", run_id, job.event_id)
        return _failed(run_id, "error")
    job.status, job.finished_at, job.solver_status = S.DONE, utcnow(), result.status
    job.meetings, job.bound, job.gaps, job.unscheduled = (result.meetings, result.bound, result.gaps,
                                                          len(result.unscheduled))
    audit.record(actor, "schedule.made", event, run_id=job.id, meetings=result.meetings,
                 unscheduled=len(result.unscheduled), status=result.status)
    _notify_changed(event, changed)
    db.session.commit()
    log.info("schedule run %s for event %s: %s meetings, %s left out, %s gaps (%s, %.1f s)", job.id, event.id,
             result.meetings, len(result.unscheduled), result.gaps, result.status, result.seconds)
    return job


def _failed(run_id: int, code: str) -> ScheduleRun:
    db.session.rollback()
    job = db.session.get(ScheduleRun, run_id, populate_existing=True)
    job.status, job.finished_at, job.error = S.FAILED, utcnow(), code
    db.session.commit()
    log.warning("schedule run %s failed: %s", run_id, code)
    return job


def waiting(now=None) -> list[int]:
    """Runs whose nudge was lost (queued for a minute) or whose worker died (running too long)."""
    return claims.waiting(ScheduleRun, _stale_after(), now)


# --- moving, pinning, publishing --------------------------------------------------------------------

def _firm_name(registration_id) -> str:
    registration = db.session.get(Registration, registration_id) if registration_id is not None else None
    return registration.firm.name if registration else ""


def pin_message(conflict: schedule.PinConflict, event: Event):
    """The organiser's sentence for a refused pin or move, naming the firm concerned."""
    firm = _firm_name(conflict.firm)
    return {
        "unknown_request": _l("This meeting's request no longer stands between two approved firms."),
        "unknown_slot": _l("Choose one of this event's slots."),
        "unknown_table": _l("Choose one of this event's tables."),
        "firm_unavailable": _l("%(firm)s is not available in that slot.", firm=firm),
        "firm_busy": _l("%(firm)s has another meeting in that slot.", firm=firm),
        "table_taken": _l("That table is taken in that slot by another meeting."),
        "firm_limit": _l("%(firm)s would have more than %(num)s meetings, the event's maximum.", firm=firm,
                         num=event.max_meetings_per_firm),
    }[conflict.reason]


def move_meeting(actor, meeting: Meeting, slot_id: int, table_id: int) -> Meeting:
    """An organiser puts a meeting in a slot at a table, and it stays pinned there. Refused, with nothing
    changed, when it breaks a rule against the meetings already placed."""
    event = db.session.get(Event, meeting.event_id)
    if not can_schedule_event(actor, event):
        raise PermissionDenied()
    if _running(event):
        raise RuleViolation(ALREADY_RUNNING)
    problem = build_problem(event, pins={})
    others = {m.request_id: (m.slot_id, m.table_id) for m in meetings(event)
              if m.slot_id is not None and m.id != meeting.id}
    # The moved meeting goes last, so a clash is reported on it, naming what it clashes with.
    problem.requests.sort(key=lambda r: r.id == meeting.request_id)
    wanted = {r.id for r in problem.requests}
    problem.pins = {**{rid: spot for rid, spot in others.items() if rid in wanted},
                    meeting.request_id: (slot_id, table_id)}
    try:
        schedule.check_pins(problem)
    except schedule.PinConflict as conflict:
        raise RuleViolation(pin_message(conflict, event), "slot_id") from None
    before = (meeting.slot_id, meeting.table_id)
    meeting.slot_id, meeting.table_id, meeting.pinned, meeting.unscheduled_reason = slot_id, table_id, True, None
    flush_or_refuse(MOVE_CLASH)
    audit.record(actor, "meeting.moved", meeting, event_id=event.id, request_id=meeting.request_id,
                 slot_id=slot_id, table_id=table_id, from_slot_id=before[0], from_table_id=before[1])
    if before != (slot_id, table_id):
        request = db.session.get(MeetingRequest, meeting.request_id)
        _notify_changed(event, {request.from_registration_id, request.to_registration_id})
    log.info("meeting %s moved to slot %s table %s by %s", meeting.id, slot_id, table_id, _actor_id(actor))
    return meeting


def set_pinned(actor, meeting: Meeting, pinned: bool) -> Meeting:
    """A pinned meeting keeps its slot and table when the schedule is made again; only a placed one pins."""
    event = db.session.get(Event, meeting.event_id)
    if not can_schedule_event(actor, event):
        raise PermissionDenied()
    if pinned and meeting.slot_id is None:
        raise RuleViolation(_l("Only a meeting with a slot and a table can be pinned. Move it first."))
    meeting.pinned = pinned
    db.session.flush()
    audit.record(actor, "meeting.pinned" if pinned else "meeting.unpinned", meeting, event_id=event.id,
                 request_id=meeting.request_id)
    return meeting


def publish(actor, event: Event) -> Event:
    """An organiser publishes the schedule: every approved firm's team hears of it, in their language.
    Later moves and runs notify the firms whose meetings change."""
    if not can_schedule_event(actor, event):
        raise PermissionDenied()
    if event.status is EventStatus.PUBLISHED:
        raise RuleViolation(_l("The schedule is published already."))
    if _running(event):
        raise RuleViolation(ALREADY_RUNNING)
    last = latest_run(event)
    if last is None or last.status is not S.DONE:
        raise RuleViolation(_l("Make the schedule before you publish it."))
    event.status = EventStatus.PUBLISHED
    db.session.flush()
    firm_ids = db.session.scalars(select(Registration.firm_id).where(
        Registration.event_id == event.id, Registration.status == RegistrationStatus.APPROVED)).all()
    users = [user for firm_id in sorted(set(firm_ids)) for user in team_members(firm_id)]
    notify(users, "events.schedule_published", event, event=bilingual(event, "title"), event_id=event.id)
    audit.record(actor, "schedule.published", event, firms=len(set(firm_ids)))
    webhooks.emit("schedule.published", event)
    log.info("schedule of event %s published by %s", event.id, _actor_id(actor))
    return event


def _event_link(n):
    return url_for("events.detail", event_id=n.params.get("event_id"))


register_kind("events.schedule_published", _l("The meeting schedule of “%(event)s” is published."), _event_link)
register_kind("events.schedule_changed", _l("Your firm's meetings at “%(event)s” have changed."), _event_link)
