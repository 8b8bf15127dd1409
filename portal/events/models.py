"""Business matching days (งานจับคู่ธุรกิจ): an event's sessions and slots, its tables, the firms registered
for it, the meeting requests between them and the meetings the scheduler places.

Times. A session is a Bangkok date and a Bangkok start time; its slots are rows (`event_slots`) with a
stable id, the session they belong to, their order in the event (`position`, 0-based, by start) and their
start as an aware UTC instant (`starts_at`; `local_start` gives Bangkok time). A slot lasts the event's
`meeting_minutes`. The windows (registration, booking) are Bangkok dates, both ends included.

Availability is one row per (registration, slot) in `registration_slots`: the slots the firm can meet in.
"""
import enum
from datetime import date, datetime, time, timedelta
from functools import cached_property

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
    event,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import TimestampMixin, UTCDateTime, enum_column, utcnow
from portal.extensions import db
from portal.i18n import Bilingual
from portal.i18n import lazy_gettext as _l
from portal.i18n import lazy_pgettext as _lp
from portal.thai import BANGKOK, to_bangkok

MEETING_LENGTHS = (15, 20, 30)
MAX_SLOTS_PER_SESSION = 40
MAX_SESSIONS = 5
MAX_TABLES = 200
MAX_MEETINGS_PER_FIRM = 30


class EventStatus(enum.Enum):
    DRAFT = "draft"  # only its organisers see it
    OPEN = "open"  # firms see it; they register and book within the windows
    PUBLISHED = "published"  # the schedule is out (set by the scheduling step)
    CANCELLED = "cancelled"

    @cached_property
    def label(self):
        return {EventStatus.DRAFT: _l("Draft"), EventStatus.OPEN: _l("Open"),
                EventStatus.PUBLISHED: _l("Schedule published"), EventStatus.CANCELLED: _l("Cancelled")}[self]


class RegistrationStatus(enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"

    @cached_property
    def label(self):
        return {RegistrationStatus.PENDING: _l("Waiting for approval"), RegistrationStatus.APPROVED: _l("Approved"),
                RegistrationStatus.DECLINED: _l("Declined"), RegistrationStatus.WITHDRAWN: _l("Withdrawn")}[self]


class MeetingRequestStatus(enum.Enum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # not answered before booking closed

    @cached_property
    def label(self):
        return {MeetingRequestStatus.PENDING: _l("Waiting for an answer"),
                MeetingRequestStatus.ACCEPTED: _l("Accepted"),
                MeetingRequestStatus.DECLINED: _lp("meeting", "Declined"),
                MeetingRequestStatus.CANCELLED: _l("Cancelled"), MeetingRequestStatus.EXPIRED: _l("Expired")}[self]


# Requests that count towards a firm's limit and block a second request between the same two firms.
LIVE_REQUESTS = (MeetingRequestStatus.PENDING, MeetingRequestStatus.ACCEPTED)


class MeetingState(enum.Enum):
    SCHEDULED = "scheduled"
    HELD = "held"
    NO_SHOW = "no_show"

    @cached_property
    def label(self):
        return {MeetingState.SCHEDULED: _l("Scheduled"), MeetingState.HELD: _l("Held"),
                MeetingState.NO_SHOW: _l("No-show")}[self]


# None linked: open to every cluster's firms.
event_clusters = Table(
    "event_clusters", db.metadata,
    Column("event_id", ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    Column("cluster_id", ForeignKey("clusters.id"), primary_key=True),
)

registration_slots = Table(
    "registration_slots", db.metadata,
    Column("registration_id", ForeignKey("event_registrations.id", ondelete="CASCADE"), primary_key=True),
    Column("slot_id", ForeignKey("event_slots.id", ondelete="CASCADE"), primary_key=True),
)

# Open collaboration requests a firm brings to the event, for others to see beside its registration.
registration_requests = Table(
    "registration_requests", db.metadata,
    Column("registration_id", ForeignKey("event_registrations.id", ondelete="CASCADE"), primary_key=True),
    Column("request_id", ForeignKey("collab_requests.id", ondelete="CASCADE"), primary_key=True),
)


class Event(TimestampMixin, db.Model):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    title_th: Mapped[str | None] = mapped_column(String(200))
    title_en: Mapped[str | None] = mapped_column(String(200))
    description_th: Mapped[str | None] = mapped_column(Text)
    description_en: Mapped[str | None] = mapped_column(Text)
    venue: Mapped[str | None] = mapped_column(String(300))
    online_url: Mapped[str | None] = mapped_column(String(300))
    registration_opens_on: Mapped[date] = mapped_column(Date)
    registration_closes_on: Mapped[date] = mapped_column(Date)
    booking_opens_on: Mapped[date] = mapped_column(Date)
    booking_closes_on: Mapped[date] = mapped_column(Date, index=True)
    meeting_minutes: Mapped[int] = mapped_column(Integer)
    max_meetings_per_firm: Mapped[int] = mapped_column(Integer)
    needs_approval: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[EventStatus] = mapped_column(enum_column(EventStatus), default=EventStatus.DRAFT)
    organiser_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    starts_on: Mapped[date | None] = mapped_column(Date, index=True)  # its first session's day, for lists

    clusters: Mapped[list["Cluster"]] = relationship(secondary=event_clusters, lazy="selectin",  # noqa: F821
                                                     order_by="Cluster.id")
    sessions: Mapped[list["EventSession"]] = relationship(
        back_populates="event", cascade="all, delete-orphan", lazy="selectin",
        order_by="(EventSession.day, EventSession.start_time)")
    tables: Mapped[list["EventTable"]] = relationship(back_populates="event", cascade="all, delete-orphan",
                                                      lazy="selectin", order_by="EventTable.position")

    title = Bilingual("title")
    description = Bilingual("description")

    @property
    def cluster_ids(self) -> set[int]:
        return {c.id for c in self.clusters}

    @property
    def is_open_to_all(self) -> bool:
        return not self.clusters

    @property
    def slots(self) -> list["Slot"]:
        return sorted((slot for s in self.sessions for slot in s.slots), key=lambda slot: slot.position)

    def registration_open_on(self, day: date) -> bool:
        return self.status is EventStatus.OPEN and self.registration_opens_on <= day <= self.registration_closes_on

    def booking_open_on(self, day: date) -> bool:
        return self.status is EventStatus.OPEN and self.booking_opens_on <= day <= self.booking_closes_on

    def __repr__(self):
        return f"<Event {self.id} {self.title_en or self.title_th}>"


class EventSession(db.Model):
    """A block of back-to-back meeting slots on one day, from a Bangkok start time."""

    __tablename__ = "event_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    start_time: Mapped[time] = mapped_column(Time)  # Bangkok wall-clock time
    slot_count: Mapped[int] = mapped_column(Integer)

    event: Mapped[Event] = relationship(back_populates="sessions")
    slots: Mapped[list["Slot"]] = relationship(back_populates="session", cascade="all, delete-orphan",
                                               lazy="selectin", order_by="Slot.position")

    def slot_starts(self, minutes: int) -> list[datetime]:
        """The aware Bangkok start of each slot."""
        first = datetime.combine(self.day, self.start_time, tzinfo=BANGKOK)
        return [first + timedelta(minutes=minutes * k) for k in range(self.slot_count)]


class Slot(db.Model):
    """One meeting slot: what the scheduler assigns and firms mark as available."""

    __tablename__ = "event_slots"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    session_id: Mapped[int] = mapped_column(ForeignKey("event_sessions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # order in the event, 0-based, by start
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())

    session: Mapped[EventSession] = relationship(back_populates="slots")

    __table_args__ = (UniqueConstraint("event_id", "position"),)

    @property
    def day(self) -> date:
        """The Bangkok date: the key of a firm's day (idle gaps are counted within one day)."""
        return to_bangkok(self.starts_at).date()

    @property
    def local_start(self) -> datetime:
        return to_bangkok(self.starts_at)

    @property
    def local_end(self) -> datetime:
        return to_bangkok(self.ends_at)


class EventTable(db.Model):
    __tablename__ = "event_tables"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(60))

    event: Mapped[Event] = relationship(back_populates="tables")

    __table_args__ = (UniqueConstraint("event_id", "position"),)


class Registration(TimestampMixin, db.Model):
    """A firm's registration for an event: who attends, when it can meet, what it offers and seeks."""

    __tablename__ = "event_registrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"), index=True)
    attendees: Mapped[str] = mapped_column(String(300))  # names, as typed
    offers: Mapped[str | None] = mapped_column(Text)
    seeks: Mapped[str | None] = mapped_column(Text)
    status: Mapped[RegistrationStatus] = mapped_column(enum_column(RegistrationStatus))
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decline_reason: Mapped[str | None] = mapped_column(Text)
    # The day itself (portal/events/checkin.py): issued on approval; the token goes in the QR code's URL, the
    # short code is for typing at the desk when a phone cannot scan.
    checkin_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    checkin_code: Mapped[str | None] = mapped_column(String(12), unique=True)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    checked_in_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the day-before reminder went out

    event: Mapped[Event] = relationship(lazy="joined")
    firm: Mapped["Firm"] = relationship(lazy="joined")  # noqa: F821
    slots: Mapped[list[Slot]] = relationship(secondary=registration_slots, lazy="selectin",
                                             order_by="Slot.position")
    requests: Mapped[list["CollabRequest"]] = relationship(secondary=registration_requests,  # noqa: F821
                                                           lazy="selectin")

    __table_args__ = (UniqueConstraint("event_id", "firm_id"),)

    @property
    def is_approved(self) -> bool:
        return self.status is RegistrationStatus.APPROVED

    @property
    def slot_ids(self) -> set[int]:
        return {slot.id for slot in self.slots}


class MeetingRequest(TimestampMixin, db.Model):
    """One firm asks another, both registered for the event, for a meeting there."""

    __tablename__ = "meeting_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    from_registration_id: Mapped[int] = mapped_column(ForeignKey("event_registrations.id", ondelete="CASCADE"),
                                                      index=True)
    to_registration_id: Mapped[int] = mapped_column(ForeignKey("event_registrations.id", ondelete="CASCADE"),
                                                    index=True)
    # The two registrations' firms, written with the request (_fill_firms) and never changed, as a
    # registration's firm is not: the results (scorecard, network map) read every meeting's two firms,
    # which through the registrations took two more joins (held meetings: 60–100 ms against 13–18 on
    # PostgreSQL at 49,000 meetings). Copies: no foreign key of their own (the registrations' hold), and
    # nullable in the schema only, so that the migration adds them with a plain ALTER TABLE and fills them.
    from_firm_id: Mapped[int | None] = mapped_column(Integer)
    to_firm_id: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[MeetingRequestStatus] = mapped_column(enum_column(MeetingRequestStatus),
                                                         default=MeetingRequestStatus.PENDING)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    responded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    event: Mapped[Event] = relationship(lazy="joined")
    sender: Mapped[Registration] = relationship(foreign_keys=[from_registration_id], lazy="joined")
    receiver: Mapped[Registration] = relationship(foreign_keys=[to_registration_id], lazy="joined")

    # By firms: an outcome between two firms finds their meetings (the kept "agreed" figure), and a firm whose
    # memberships changed finds its meetings as either side (each cluster's kept figures, portal.admin.rollup).
    __table_args__ = (Index("ix_meeting_requests_event_status", "event_id", "status"),
                      Index("ix_meeting_requests_firms", "from_firm_id", "to_firm_id"),
                      Index("ix_meeting_requests_to_firm", "to_firm_id"))

    @property
    def is_pending(self) -> bool:
        return self.status is MeetingRequestStatus.PENDING


@event.listens_for(MeetingRequest, "before_insert")
def _fill_firms(mapper, connection, request: MeetingRequest) -> None:
    """A new request carries its registrations' firms, however it was made (services, the demo, tests)."""
    if request.from_firm_id is None or request.to_firm_id is None:
        firms = dict(connection.execute(select(Registration.id, Registration.firm_id).where(
            Registration.id.in_([request.from_registration_id, request.to_registration_id]))).all())
        request.from_firm_id = firms.get(request.from_registration_id)
        request.to_firm_id = firms.get(request.to_registration_id)


class Meeting(TimestampMixin, db.Model):
    """An accepted request placed in a slot at a table (by the scheduler, or pinned by an organiser)."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("meeting_requests.id", ondelete="CASCADE"), unique=True)
    slot_id: Mapped[int | None] = mapped_column(ForeignKey("event_slots.id"))
    table_id: Mapped[int | None] = mapped_column(ForeignKey("event_tables.id"))
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[MeetingState] = mapped_column(enum_column(MeetingState), default=MeetingState.SCHEDULED)
    marked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # a slotless meeting's time
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # After a held meeting each side answers once: a rating (1-5) and whether it wants to go on with the other.
    sender_rating: Mapped[int | None] = mapped_column(Integer)
    sender_continues: Mapped[bool | None] = mapped_column(Boolean)
    receiver_rating: Mapped[int | None] = mapped_column(Integer)
    receiver_continues: Mapped[bool | None] = mapped_column(Boolean)

    # Why the scheduler left it unplaced (a code of schedule.UNSCHEDULED_REASONS); None while placed.
    unscheduled_reason: Mapped[str | None] = mapped_column(String(20))

    request: Mapped[MeetingRequest] = relationship(lazy="joined")
    slot: Mapped[Slot | None] = relationship(lazy="joined")
    table: Mapped[EventTable | None] = relationship(lazy="joined")

    # One meeting per table per slot (unplaced meetings, with NULLs, do not collide).
    __table_args__ = (UniqueConstraint("slot_id", "table_id"),)


class ScheduleRunStatus(enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @cached_property
    def label(self):
        return {ScheduleRunStatus.QUEUED: _l("Waiting for a worker"),
                ScheduleRunStatus.RUNNING: _l("Making the schedule"), ScheduleRunStatus.DONE: _l("Schedule made"),
                ScheduleRunStatus.FAILED: _l("The schedule could not be made")}[self]


class ScheduleRun(db.Model):
    """One run of the scheduler for an event, asked for by an organiser and done by a worker; the latest
    one is what the schedule page shows (its state, then its figures)."""

    __tablename__ = "schedule_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[ScheduleRunStatus] = mapped_column(enum_column(ScheduleRunStatus),
                                                      default=ScheduleRunStatus.QUEUED)
    error: Mapped[str | None] = mapped_column(String(20))  # a code the page translates, if it failed
    solver_status: Mapped[str | None] = mapped_column(String(20))  # optimal, feasible, greedy
    meetings: Mapped[int | None] = mapped_column(Integer)
    bound: Mapped[int | None] = mapped_column(Integer)  # proven most meetings possible
    gaps: Mapped[int | None] = mapped_column(Integer)
    unscheduled: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def is_active(self) -> bool:
        return self.status in (ScheduleRunStatus.QUEUED, ScheduleRunStatus.RUNNING)
