"""What happens at and after a matching day's meetings: marking them held or no-show, each side's rating,
and the reminders the day before. Like portal/events/services.py: rules first, flush only, audit, notify in
each recipient's language through the outbox; the caller commits.
"""
import logging
from datetime import timedelta

from flask import url_for
from sqlalchemy import select

from portal import audit
from portal.db import utcnow
from portal.events.models import (
    Event,
    EventSession,
    EventStatus,
    Meeting,
    MeetingState,
    Registration,
    RegistrationStatus,
)
from portal.exceptions import PermissionDenied, RuleViolation
from portal.extensions import db
from portal.firms.queries import team_members
from portal.i18n import lazy_gettext as _l
from portal.notifications.services import bilingual, notify, register_kind
from portal.permissions import can_mark_meeting, can_rate_meeting, meeting_side
from portal.thai import bangkok_today

log = logging.getLogger(__name__)
MARKS = {"held": MeetingState.HELD, "no_show": MeetingState.NO_SHOW}


def mark_meeting(actor, meeting: Meeting, state: MeetingState) -> Meeting:
    """Either firm's team or an organiser records that a meeting took place, or that the other side did
    not come."""
    if state not in MARKS.values():
        raise RuleViolation(_l("A meeting is marked held or no-show."))
    if not can_mark_meeting(actor, meeting):
        raise PermissionDenied()
    meeting.state, meeting.marked_at, meeting.marked_by_id = state, utcnow(), actor.id
    db.session.flush()
    audit.record(actor, f"meeting.{state.value}", meeting, event_id=meeting.event_id)
    log.info("meeting %s marked %s by %s", meeting.id, state.value, actor.id)
    return meeting


def rate_meeting(actor, meeting: Meeting, rating: int, continues: bool) -> Meeting:
    """A firm's team rates a held meeting for its side, once: 1 to 5, and whether it wants to go on."""
    if not can_rate_meeting(actor, meeting):
        raise PermissionDenied()
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise RuleViolation(_l("Choose a rating from 1 to 5."), "rating")
    side = meeting_side(actor, meeting)
    setattr(meeting, f"{side}_rating", rating)
    setattr(meeting, f"{side}_continues", bool(continues))
    db.session.flush()
    audit.record(actor, "meeting.rated", meeting, side=side, rating=rating, continues=bool(continues))
    log.info("meeting %s rated %s by %s (%s)", meeting.id, rating, actor.id, side)
    return meeting


def send_reminders(today=None) -> int:
    """The day before a firm's matching day, its team is reminded with a link to its agenda, once per
    registration (reminded_at), whatever the number of session days or runs."""
    tomorrow = (today or bangkok_today()) + timedelta(days=1)
    event_ids = select(EventSession.event_id).where(EventSession.day == tomorrow)
    registrations = db.session.scalars(
        select(Registration).join(Event, Registration.event_id == Event.id)
        .where(Registration.event_id.in_(event_ids), Registration.status == RegistrationStatus.APPROVED,
               Registration.reminded_at.is_(None),
               Event.status.in_((EventStatus.OPEN, EventStatus.PUBLISHED)))
        .order_by(Registration.id)).unique().all()
    now = utcnow()
    for registration in registrations:
        registration.reminded_at = now
        notify(team_members(registration.firm_id), "events.agenda_reminder", registration,
               event=bilingual(registration.event, "title"), firm=bilingual(registration.firm),
               event_id=registration.event_id, firm_id=registration.firm_id)
    db.session.flush()
    if registrations:
        audit.record(None, "events.reminded", None, registrations=len(registrations))
    return len(registrations)


def _agenda_link(n):
    return url_for("events.agenda_page", event_id=n.params.get("event_id"), firm_id=n.params.get("firm_id"))


register_kind("events.agenda_reminder", _l("Tomorrow: “%(event)s”. The agenda of %(firm)s is ready."), _agenda_link)
