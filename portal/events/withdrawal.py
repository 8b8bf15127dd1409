"""Changing one's mind before a matching day: a firm withdraws its registration, or takes back a meeting
request (a waiting one, by its sender; an accepted one, by either side). Nothing is deleted but a cancelled
meeting's place in the schedule: the registration and the requests keep their rows with the new status, the
audit log keeps who did it and where the meeting had been placed, and the other firm is told in its
members' languages. Like portal/events/services.py: rules first, flush only, the caller commits.
"""
import logging

from flask import url_for
from sqlalchemy import select

from portal import audit
from portal.db import utcnow
from portal.events import queries
from portal.events.models import (
    LIVE_REQUESTS,
    Meeting,
    MeetingRequest,
    MeetingRequestStatus,
    Registration,
    RegistrationStatus,
)
from portal.exceptions import PermissionDenied, RuleViolation
from portal.extensions import db
from portal.firms.queries import team_members
from portal.i18n import lazy_gettext as _l
from portal.notifications.services import bilingual, notify, register_kind
from portal.permissions import can_cancel_meeting_request, can_withdraw_registration, request_side

log = logging.getLogger(__name__)


def _cancel(actor, meeting_request: MeetingRequest, by: Registration) -> None:
    """Cancel one live request on behalf of the registration `by` (one of its two sides): its meeting loses
    its place, and the other side hears of it."""
    was_accepted = meeting_request.status is MeetingRequestStatus.ACCEPTED
    meeting = db.session.scalar(select(Meeting).where(Meeting.request_id == meeting_request.id))
    placed = None
    if meeting is not None:
        placed = {"slot_id": meeting.slot_id, "table_id": meeting.table_id, "pinned": meeting.pinned}
        db.session.delete(meeting)
    meeting_request.status = MeetingRequestStatus.CANCELLED
    meeting_request.responded_at, meeting_request.responded_by_id = utcnow(), actor.id
    db.session.flush()
    audit.record(actor, "meeting_request.cancelled", meeting_request, event_id=meeting_request.event_id,
                 firm_id=by.firm_id, was=("accepted" if was_accepted else "pending"), placed=placed)
    other = meeting_request.receiver if by.id == meeting_request.from_registration_id else meeting_request.sender
    kind = "events.meeting_cancelled" if was_accepted else "events.request_cancelled"
    notify(team_members(other.firm_id), kind, meeting_request, event=bilingual(meeting_request.event, "title"),
           firm=bilingual(by.firm), event_id=meeting_request.event_id)


def cancel_request(actor, meeting_request: MeetingRequest) -> MeetingRequest:
    """The sender takes back a waiting request, or either side cancels an accepted meeting."""
    if meeting_request.status not in LIVE_REQUESTS:
        raise RuleViolation(_l("This request is no longer waiting or accepted; there is nothing to cancel."))
    if not can_cancel_meeting_request(actor, meeting_request):
        raise PermissionDenied()
    by = getattr(meeting_request, request_side(actor, meeting_request))
    _cancel(actor, meeting_request, by)
    log.info("meeting request %s cancelled by %s", meeting_request.id, actor.id)
    return meeting_request


def withdraw_registration(actor, registration: Registration) -> Registration:
    """The firm's team withdraws it from the event: its waiting and accepted requests, sent or received, are
    cancelled (each other firm is told) and its meetings leave the schedule. It may register again while
    registration is open."""
    if registration.status not in (RegistrationStatus.PENDING, RegistrationStatus.APPROVED):
        raise RuleViolation(_l("This registration is no longer active; there is nothing to withdraw."))
    if not can_withdraw_registration(actor, registration):
        raise PermissionDenied()
    live = queries.live_requests_of(registration)
    for meeting_request in live:
        _cancel(actor, meeting_request, registration)
    registration.status = RegistrationStatus.WITHDRAWN
    db.session.flush()
    audit.record(actor, "registration.withdrawn", registration, event_id=registration.event_id,
                 firm_id=registration.firm_id, cancelled=len(live))
    log.info("registration %s withdrawn by %s (%s requests cancelled)", registration.id, actor.id, len(live))
    return registration


def _requests_link(n):
    return url_for("events.my_requests", event_id=n.params.get("event_id"))


register_kind("events.request_cancelled", _l("%(firm)s took back its meeting request for “%(event)s”."),
              _requests_link)
register_kind("events.meeting_cancelled", _l("%(firm)s cancelled its meeting with your firm at “%(event)s”."),
              _requests_link)
