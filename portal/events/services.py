"""What organisers and firms do with a matching day, up to accepted meeting requests: create and edit an event
(its sessions, slots and tables), open it, register firms, decide on registrations, request meetings and
answer them; and expire the requests nobody answered before booking closed.

Each function checks its input and its rule before it changes anything (a RuleViolation or PermissionDenied
leaves the session as it was), flushes, audits and notifies; the caller commits.
"""
import itertools
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from flask import url_for
from sqlalchemy import select, update

from portal import audit
from portal.collab.models import CollabRequest, RequestStatus
from portal.db import flush_or_refuse, utcnow
from portal.events.checkin import issue_code
from portal.events.models import (
    MAX_MEETINGS_PER_FIRM,
    MAX_SESSIONS,
    MAX_SLOTS_PER_SESSION,
    MAX_TABLES,
    MEETING_LENGTHS,
    Event,
    EventSession,
    EventStatus,
    EventTable,
    Meeting,
    MeetingRequest,
    MeetingRequestStatus,
    Registration,
    RegistrationStatus,
    Slot,
)
from portal.exceptions import PermissionDenied, RuleViolation
from portal.extensions import db
from portal.firms.queries import team_members
from portal.following.services import announce
from portal.i18n import lazy_gettext as _l
from portal.notifications.services import bilingual, notify, register_kind
from portal.permissions import (
    can_answer_meeting_request,
    can_create_event,
    can_decide_registration,
    can_manage_event,
    can_register_for_event,
    can_request_meeting,
    live_request_count,
)
from portal.thai import bangkok_today

log = logging.getLogger(__name__)
REASON_MAX = 1000
ALREADY_REGISTERED = _l("This firm is registered for the event already.")


@dataclass(frozen=True)
class SessionData:
    day: date
    start_time: time
    slot_count: int


EVENT_FIELDS = ("title_th", "title_en", "description_th", "description_en", "venue", "online_url",
                "registration_opens_on", "registration_closes_on", "booking_opens_on", "booking_closes_on",
                "meeting_minutes", "max_meetings_per_firm", "needs_approval")


def _actor_id(actor):
    return getattr(actor, "id", None)


# --- events ---------------------------------------------------------------------------------------

def _check_sessions(sessions: list[SessionData], minutes: int) -> None:
    if not sessions:
        raise RuleViolation(_l("Give at least one session: its date, start time and number of slots."), "sessions")
    if len(sessions) > MAX_SESSIONS:
        raise RuleViolation(_l("An event can have at most %(num)s sessions.", num=MAX_SESSIONS), "sessions")
    spans = []
    for session in sessions:
        if not 1 <= session.slot_count <= MAX_SLOTS_PER_SESSION:
            raise RuleViolation(_l("A session has from 1 to %(num)s slots.", num=MAX_SLOTS_PER_SESSION), "sessions")
        start = datetime.combine(session.day, session.start_time)
        end = start + timedelta(minutes=minutes * session.slot_count)
        if end.date() != session.day:
            raise RuleViolation(_l("A session must end on the day it starts."), "sessions")
        spans.append((start, end))
    spans.sort()
    if any(later[0] < earlier[1] for earlier, later in itertools.pairwise(spans)):
        raise RuleViolation(_l("Two sessions overlap. Change a start time or the number of slots."), "sessions")


def check_event(data: dict, sessions: list[SessionData], table_names: list[str]) -> None:
    """Every rule about an event's own values; RuleViolation naming the field at the first one broken."""
    if not (data.get("title_th") or data.get("title_en")):
        raise RuleViolation(_l("Give the event a title in Thai or English."), "title_th")
    if not (data.get("venue") or data.get("online_url")):
        raise RuleViolation(_l("Give a venue or an online link."), "venue")
    if data.get("online_url") and not data["online_url"].lower().startswith(("https://", "http://")):
        raise RuleViolation(_l("Enter a web address starting with https://."), "online_url")  # never javascript:
    if data.get("meeting_minutes") not in MEETING_LENGTHS:
        raise RuleViolation(_l("Meetings last 15, 20 or 30 minutes."), "meeting_minutes")
    if not 1 <= (data.get("max_meetings_per_firm") or 0) <= MAX_MEETINGS_PER_FIRM:
        raise RuleViolation(_l("A firm can have from 1 to %(num)s meetings.", num=MAX_MEETINGS_PER_FIRM),
                            "max_meetings_per_firm")
    if data["registration_closes_on"] < data["registration_opens_on"]:
        raise RuleViolation(_l("Registration cannot close before it opens."), "registration_closes_on")
    if data["booking_closes_on"] < data["booking_opens_on"]:
        raise RuleViolation(_l("Booking cannot close before it opens."), "booking_closes_on")
    if data["booking_opens_on"] < data["registration_opens_on"]:
        raise RuleViolation(_l("Booking cannot open before registration does."), "booking_opens_on")
    _check_sessions(sessions, data["meeting_minutes"])
    first_day = min(s.day for s in sessions)
    if data["registration_closes_on"] >= first_day or data["booking_closes_on"] >= first_day:
        raise RuleViolation(_l("Registration and booking must close before the first session's day."),
                            "booking_closes_on")
    if not 1 <= len(table_names) <= MAX_TABLES:
        raise RuleViolation(_l("An event has from 1 to %(num)s tables.", num=MAX_TABLES), "table_count")


def _check_clusters(actor, event: Event | None, cluster_ids: set[int]) -> None:
    """Staff choose any clusters or none (open to all); a coordinator keeps at least one cluster, and adds
    only clusters they coordinate."""
    if getattr(actor, "is_staff", False):
        return
    added = cluster_ids - (event.cluster_ids if event else set())
    if not cluster_ids or (added and not can_create_event(actor, added)):
        raise RuleViolation(_l("Choose only clusters you coordinate; only OSMEP staff open an event to all "
                               "clusters."), "cluster_ids")


def _build_sessions(event: Event, sessions: list[SessionData]) -> None:
    event.sessions = [EventSession(day=s.day, start_time=s.start_time, slot_count=s.slot_count)
                      for s in sorted(sessions, key=lambda s: (s.day, s.start_time))]
    db.session.flush()
    position = 0
    for session in event.sessions:
        for local_start in session.slot_starts(event.meeting_minutes):
            start = local_start.astimezone(timezone.utc)  # as the database hands it back
            session.slots.append(Slot(event_id=event.id, position=position, starts_at=start,
                                      ends_at=start + timedelta(minutes=event.meeting_minutes)))
            position += 1
    event.starts_on = min(s.day for s in sessions)


def _same_sessions(event: Event, sessions: list[SessionData], minutes: int) -> bool:
    now = sorted((s.day, s.start_time, s.slot_count) for s in event.sessions)
    return minutes == event.meeting_minutes and now == sorted((s.day, s.start_time, s.slot_count) for s in sessions)


def _clusters(ids: set[int]):
    from portal.clusters.models import Cluster

    return list(db.session.scalars(select(Cluster).where(Cluster.id.in_(ids)).order_by(Cluster.id))) if ids else []


def create_event(actor, data: dict, cluster_ids, sessions: list[SessionData], table_names: list[str]) -> Event:
    """An organiser drafts a matching day; it stays a draft (seen by organisers only) until opened."""
    cluster_ids = set(cluster_ids or ())
    if not can_create_event(actor):
        raise PermissionDenied()
    check_event(data, sessions, table_names)
    _check_clusters(actor, None, cluster_ids)
    event = Event(**{k: data.get(k) for k in EVENT_FIELDS}, status=EventStatus.DRAFT, created_by_id=_actor_id(actor),
                  clusters=_clusters(cluster_ids))
    event.tables = [EventTable(position=i, name=name) for i, name in enumerate(table_names)]
    db.session.add(event)
    _build_sessions(event, sessions)
    db.session.flush()
    audit.record(actor, "event.created", event, clusters=sorted(cluster_ids))
    log.info("event %s created by %s", event.id, _actor_id(actor))
    return event


def update_event(actor, event: Event, data: dict, cluster_ids, sessions: list[SessionData],
                 table_names: list[str]) -> Event:
    """Organisers edit an event. Its sessions (and so its slots) change only until a firm registers, since
    registrations name slots; its tables only until a meeting is placed."""
    cluster_ids = set(cluster_ids or ())
    if not can_manage_event(actor, event):
        raise PermissionDenied()
    check_event(data, sessions, table_names)
    _check_clusters(actor, event, cluster_ids)
    sessions_change = not _same_sessions(event, sessions, data["meeting_minutes"])
    if sessions_change and db.session.scalar(select(Registration.id).where(Registration.event_id == event.id)
                                             .limit(1)) is not None:
        raise RuleViolation(_l("Firms have registered for these slots already: the sessions and the meeting "
                               "length can no longer change."), "sessions")
    tables_change = [t.name for t in event.tables] != table_names
    placed = select(Meeting.id).where(Meeting.event_id == event.id, Meeting.table_id.is_not(None)).limit(1)
    if tables_change and db.session.scalar(placed) is not None:
        raise RuleViolation(_l("Meetings are placed at these tables already: the tables can no longer change."),
                            "table_names")
    changed = [k for k in EVENT_FIELDS if getattr(event, k) != data.get(k)]
    for key in EVENT_FIELDS:
        setattr(event, key, data.get(key))
    if cluster_ids != event.cluster_ids:
        event.clusters = _clusters(cluster_ids)
        changed.append("clusters")
    if tables_change:
        event.tables = []
        db.session.flush()  # the old rows go before the new ones take their positions
        event.tables = [EventTable(position=i, name=name) for i, name in enumerate(table_names)]
        changed.append("tables")
    if sessions_change:
        event.sessions = []
        db.session.flush()
        _build_sessions(event, sessions)
        changed.append("sessions")
    db.session.flush()
    if changed:
        audit.record(actor, "event.updated", event, fields=changed)
        log.info("event %s edited by %s: %s", event.id, _actor_id(actor), changed)
    return event


def open_event(actor, event: Event) -> Event:
    """Organisers open a draft: firms see it, and register and book within its windows."""
    if not can_manage_event(actor, event):
        raise PermissionDenied()
    if event.status is not EventStatus.DRAFT:
        raise RuleViolation(_l("This event is open already."))
    event.status = EventStatus.OPEN
    db.session.flush()
    audit.record(actor, "event.opened", event)
    announce("event.opened", event, actor)  # the clusters' followers hear of it from a worker
    log.info("event %s opened by %s", event.id, _actor_id(actor))
    return event


# --- registrations ----------------------------------------------------------------------------------

def _chosen_slots(event: Event, slot_ids) -> list[Slot]:
    wanted = {int(i) for i in slot_ids or ()}
    slots = [slot for slot in event.slots if slot.id in wanted]
    if not slots or len(slots) != len(wanted):
        raise RuleViolation(_l("Tick at least one slot in which your firm can meet."), "slot_ids")
    return slots


def _open_requests(firm, request_ids) -> list[CollabRequest]:
    wanted = {int(i) for i in request_ids or ()}
    if not wanted:
        return []
    found = list(db.session.scalars(select(CollabRequest).where(
        CollabRequest.id.in_(wanted), CollabRequest.firm_id == firm.id, CollabRequest.status == RequestStatus.OPEN,
        CollabRequest.hidden_at.is_(None))))
    if len(found) != len(wanted):
        raise RuleViolation(_l("Choose only your firm's open requests."), "request_ids")
    return found


def register(actor, event: Event, firm, attendees: str, offers: str | None, seeks: str | None, slot_ids,
             request_ids=()) -> Registration:
    """A firm's team registers it: attendees, the slots it can meet in, what it offers and seeks, and any of
    its open requests. Approved at once unless the event needs approval."""
    if not can_register_for_event(actor, event, firm):
        raise PermissionDenied()
    if not (attendees or "").strip():
        raise RuleViolation(_l("Give the names of the people who will attend."), "attendees")
    earlier = db.session.scalar(select(Registration).where(Registration.event_id == event.id,
                                                           Registration.firm_id == firm.id))
    if earlier is not None and earlier.status is not RegistrationStatus.WITHDRAWN:
        raise RuleViolation(ALREADY_REGISTERED)
    slots = _chosen_slots(event, slot_ids)
    requests = _open_requests(firm, request_ids)
    status = RegistrationStatus.PENDING if event.needs_approval else RegistrationStatus.APPROVED
    # A firm that withdrew registers again on its old row (one per firm and event): its earlier requests
    # stay cancelled, its check-in code stays the same.
    registration = earlier or Registration(event_id=event.id, firm_id=firm.id)
    registration.attendees, registration.offers, registration.seeks = attendees.strip(), offers, seeks
    registration.status, registration.registered_by_id = status, _actor_id(actor)
    registration.slots, registration.requests = slots, requests
    registration.decided_at = registration.decided_by_id = registration.decline_reason = None
    if registration.is_approved:
        issue_code(registration)
    db.session.add(registration)
    flush_or_refuse(ALREADY_REGISTERED)  # the same firm registered at the same moment by a teammate
    audit.record(actor, "event.registered", registration, event_id=event.id, firm_id=firm.id, status=status.value,
                 again=earlier is not None)
    log.info("firm %s registered for event %s by %s (%s)", firm.id, event.id, _actor_id(actor), status.value)
    if registration.is_approved:
        announce("registration.approved", registration, actor)  # the firm's followers, from a worker
    return registration


def decide_registration(actor, registration: Registration, approve: bool, reason: str | None = None) -> Registration:
    """Organisers approve or decline a registration that waits; the firm's team is told, in their language."""
    if not can_decide_registration(actor, registration):
        raise PermissionDenied()
    if registration.status is not RegistrationStatus.PENDING:
        raise RuleViolation(_l("This registration has been decided already."))
    registration.status = RegistrationStatus.APPROVED if approve else RegistrationStatus.DECLINED
    registration.decided_at, registration.decided_by_id = utcnow(), _actor_id(actor)
    registration.decline_reason = None if approve else (reason or None)
    if approve:
        issue_code(registration)
    db.session.flush()
    action = "approved" if approve else "declined"
    audit.record(actor, f"registration.{action}", registration, reason=registration.decline_reason,
                 event_id=registration.event_id, firm_id=registration.firm_id)
    notify(team_members(registration.firm_id), f"events.registration_{action}", registration,
           event=bilingual(registration.event, "title"), firm=bilingual(registration.firm),
           event_id=registration.event_id)
    log.info("registration %s %s by %s", registration.id, action, _actor_id(actor))
    if approve:
        announce("registration.approved", registration, actor)
    return registration


# --- meeting requests -------------------------------------------------------------------------------

def _live_between(sender: Registration, receiver: Registration) -> bool:
    pair = {sender.id, receiver.id}
    return db.session.scalar(select(MeetingRequest.id).where(
        MeetingRequest.status.in_((MeetingRequestStatus.PENDING, MeetingRequestStatus.ACCEPTED)),
        MeetingRequest.from_registration_id.in_(pair), MeetingRequest.to_registration_id.in_(pair)).limit(1)) \
        is not None


def request_meeting(actor, sender: Registration, receiver: Registration, reason: str) -> MeetingRequest:
    """A firm asks another registered firm for a meeting, saying why (can_request_meeting has the rule;
    the cases a firm can meet in the normal course get their own message first)."""
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation(_l("Say why you would like to meet."), "reason")
    if len(reason) > REASON_MAX:
        raise RuleViolation(_l("The reason can be at most %(num)s characters long.", num=REASON_MAX), "reason")
    event = sender.event
    if not event.booking_open_on(bangkok_today()):
        raise RuleViolation(_l("Booking is not open for this event."))
    if sender.firm_id != receiver.firm_id and _live_between(sender, receiver):
        raise RuleViolation(_l("There is a request between these two firms already."))
    if live_request_count(sender) >= event.max_meetings_per_firm:
        raise RuleViolation(_l("Your firm has reached this event's limit of %(num)s meetings.",
                               num=event.max_meetings_per_firm))
    if not can_request_meeting(actor, sender, receiver):
        raise PermissionDenied()
    meeting_request = MeetingRequest(event_id=event.id, from_registration_id=sender.id,
                                     to_registration_id=receiver.id, reason=reason, requested_by_id=_actor_id(actor),
                                     status=MeetingRequestStatus.PENDING)
    db.session.add(meeting_request)
    db.session.flush()
    audit.record(actor, "meeting_request.sent", meeting_request, event_id=event.id, firm_id=sender.firm_id)
    notify(team_members(receiver.firm_id), "events.request_received", meeting_request, event=bilingual(event, "title"),
           firm=bilingual(sender.firm), event_id=event.id)
    log.info("meeting request %s from registration %s to %s by %s", meeting_request.id, sender.id, receiver.id,
             _actor_id(actor))
    return meeting_request


def answer_request(actor, meeting_request: MeetingRequest, accept: bool) -> MeetingRequest:
    """The receiving firm accepts or declines; it accepts only while it is under the event's limit."""
    if not can_answer_meeting_request(actor, meeting_request):
        raise PermissionDenied()
    receiver, event = meeting_request.receiver, meeting_request.event
    if accept:
        accepted = db.session.scalar(select(db.func.count(MeetingRequest.id)).where(
            MeetingRequest.status == MeetingRequestStatus.ACCEPTED,
            (MeetingRequest.from_registration_id == receiver.id) | (MeetingRequest.to_registration_id == receiver.id)))
        if accepted >= event.max_meetings_per_firm:
            raise RuleViolation(_l("Your firm has reached this event's limit of %(num)s meetings.",
                                   num=event.max_meetings_per_firm))
    meeting_request.status = MeetingRequestStatus.ACCEPTED if accept else MeetingRequestStatus.DECLINED
    meeting_request.responded_at, meeting_request.responded_by_id = utcnow(), _actor_id(actor)
    db.session.flush()
    action = "accepted" if accept else "declined"
    audit.record(actor, f"meeting_request.{action}", meeting_request, event_id=event.id, firm_id=receiver.firm_id)
    notify(team_members(meeting_request.sender.firm_id), f"events.request_{action}", meeting_request,
           event=bilingual(event, "title"), firm=bilingual(receiver.firm), event_id=event.id)
    log.info("meeting request %s %s by %s", meeting_request.id, action, _actor_id(actor))
    return meeting_request


def expire_requests(today: date | None = None) -> int:
    """Requests still waiting when their event's booking has closed (the day after booking_closes_on, in
    Bangkok) expire. Flush-only; returns how many."""
    today = today or bangkok_today()
    closed = select(Event.id).where(Event.booking_closes_on < today).scalar_subquery()
    result = db.session.execute(
        update(MeetingRequest).where(MeetingRequest.status == MeetingRequestStatus.PENDING,
                                     MeetingRequest.event_id.in_(closed))
        .values(status=MeetingRequestStatus.EXPIRED, updated_at=utcnow())
        .execution_options(synchronize_session=False))
    expired = result.rowcount or 0
    if expired:
        audit.record(None, "meeting_request.expired", None, expired=expired)
        log.info("%s meeting requests expired", expired)
    return expired


def _event_link(n):
    return url_for("events.detail", event_id=n.params.get("event_id"))


def _requests_link(n):
    return url_for("events.my_requests", event_id=n.params.get("event_id"))


register_kind("events.registration_approved", _l("%(firm)s is registered for “%(event)s”."), _event_link)
register_kind("events.registration_declined", _l("The registration of %(firm)s for “%(event)s” was declined."),
              _event_link)
register_kind("events.request_received", _l("%(firm)s would like to meet your firm at “%(event)s”."),
              _requests_link)
register_kind("events.request_accepted", _l("%(firm)s accepted your meeting request for “%(event)s”."),
              _requests_link)
register_kind("events.request_declined", _l("%(firm)s declined your meeting request for “%(event)s”."),
              _requests_link)
