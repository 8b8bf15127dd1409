"""Reading matching days: the list, one event's registrations, attendees and requests, and its export rows."""
from flask import abort
from sqlalchemy import case, func, or_, select

from portal.clusters.models import Membership, MembershipPosition, MembershipStatus
from portal.events.models import (
    LIVE_REQUESTS,
    Event,
    EventStatus,
    MeetingRequest,
    Registration,
    RegistrationStatus,
)
from portal.extensions import db
from portal.firms.models import Firm, FirmMember
from portal.permissions import managed_cluster_ids
from portal.search import normalise
from portal.thai import bangkok_today


def get_or_404(event_id: int) -> Event:
    return db.session.get(Event, event_id) or abort(404)


def registration_or_404(event: Event, registration_id: int) -> Registration:
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.event_id != event.id:
        abort(404)
    return registration


def request_or_404(event: Event, request_id: int) -> MeetingRequest:
    meeting_request = db.session.get(MeetingRequest, request_id)
    if meeting_request is None or meeting_request.event_id != event.id:
        abort(404)
    return meeting_request


def listing(user):
    """Events the user may see (can_view_event's SQL twin): every event but drafts, and the drafts of the
    events they organise. Upcoming first (soonest first), then past ones (latest first)."""
    from portal.events.models import event_clusters

    today = bangkok_today()
    visible = Event.status != EventStatus.DRAFT
    managed = managed_cluster_ids(user)
    if managed is None:
        visible = None
    elif managed:
        visible = or_(visible, Event.id.in_(select(event_clusters.c.event_id)
                                           .where(event_clusters.c.cluster_id.in_(managed))))
    query = select(Event)
    if visible is not None:
        query = query.where(visible)
    upcoming = case((Event.starts_on >= today, 0), else_=1)
    soonest = case((Event.starts_on >= today, Event.starts_on), else_=None)
    return query.order_by(upcoming, soonest, Event.starts_on.desc(), Event.id.desc())


def registrations(event: Event, status: RegistrationStatus | None = None) -> list[Registration]:
    query = select(Registration).where(Registration.event_id == event.id)
    if status is not None:
        query = query.where(Registration.status == status)
    return list(db.session.scalars(query.order_by(Registration.created_at, Registration.id)))


def registration_of(event: Event, firm_id: int) -> Registration | None:
    return db.session.scalar(select(Registration).where(Registration.event_id == event.id,
                                                        Registration.firm_id == firm_id))


def may_register_again(event: Event, firm_id: int) -> bool:
    """The firm has no registration for the event, or withdrew the one it had."""
    registration = registration_of(event, firm_id)
    return registration is None or registration.status is RegistrationStatus.WITHDRAWN


def team_firms(user) -> list[Firm]:
    """The firms whose team the user is on, by name."""
    if not user.is_authenticated:
        return []
    return list(db.session.scalars(select(Firm).join(FirmMember, FirmMember.firm_id == Firm.id)
                                   .where(FirmMember.user_id == user.id).order_by(Firm.name_th, Firm.id)))


def my_registrations(user, event: Event, approved_only: bool = False) -> list[Registration]:
    """The registrations of the user's firms for the event."""
    if not user.is_authenticated:
        return []
    query = (select(Registration).join(FirmMember, FirmMember.firm_id == Registration.firm_id)
             .where(Registration.event_id == event.id, FirmMember.user_id == user.id))
    if approved_only:
        query = query.where(Registration.status == RegistrationStatus.APPROVED)
    return list(db.session.scalars(query.order_by(Registration.id)))


def attendees(event: Event, words: str = "", cluster_id: int | None = None, position=None):
    """Approved registrations of visible firms, found by the words of the firm's name, products and profile
    (the directory's normalised search text) or of what it offers and seeks here; and by the cluster and the
    value-chain position the firm holds as an approved member."""
    query = (select(Registration).join(Firm, Firm.id == Registration.firm_id)
             .where(Registration.event_id == event.id, Registration.status == RegistrationStatus.APPROVED,
                    Firm.hidden_at.is_(None)))
    key = normalise(words)
    if key:
        query = query.where(or_(Firm.search_text.contains(key, autoescape=True),
                                func.lower(func.coalesce(Registration.offers, "")).contains(key, autoescape=True),
                                func.lower(func.coalesce(Registration.seeks, "")).contains(key, autoescape=True)))
    if cluster_id is not None or position is not None:
        member = select(Membership.firm_id).where(Membership.status == MembershipStatus.APPROVED)
        if cluster_id is not None:
            member = member.where(Membership.cluster_id == cluster_id)
        if position is not None:
            member = member.join(MembershipPosition, MembershipPosition.membership_id == Membership.id) \
                .where(MembershipPosition.position == position)
        query = query.where(Registration.firm_id.in_(member))
    return query.order_by(Firm.sort_th, Firm.id)


def requests_of(registration_ids, incoming: bool) -> list[MeetingRequest]:
    if not registration_ids:
        return []
    column = MeetingRequest.to_registration_id if incoming else MeetingRequest.from_registration_id
    return list(db.session.scalars(select(MeetingRequest).where(column.in_(registration_ids))
                                   .order_by(MeetingRequest.created_at.desc(), MeetingRequest.id.desc())))


def live_requests_of(registration: Registration) -> list[MeetingRequest]:
    """The registration's waiting and accepted requests, sent or received."""
    return list(db.session.scalars(select(MeetingRequest).where(
        MeetingRequest.status.in_(LIVE_REQUESTS),
        or_(MeetingRequest.from_registration_id == registration.id,
            MeetingRequest.to_registration_id == registration.id)).order_by(MeetingRequest.id)))


def all_requests(event: Event):
    return select(MeetingRequest).where(MeetingRequest.event_id == event.id) \
        .order_by(MeetingRequest.created_at.desc(), MeetingRequest.id.desc())
