"""Webhook endpoints, the events the portal emits to them, and one delivery row per (event, endpoint).

An event and its deliveries are written in the same transaction as the change they announce (flush only),
so a rolled-back change sends nothing. Workers deliver them later (delivery.py), never a web request.
"""
import enum
from datetime import datetime
from functools import cached_property

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import UTCDateTime, enum_column, utcnow
from portal.extensions import db
from portal.i18n import lazy_gettext as _l

# The events an endpoint may subscribe to: stable codes (sent as X-Portal-Event) and their labels.
EVENT_TYPES = {
    "membership.approved": _l("Membership approved"),
    "membership.ended": _l("Membership ended"),
    "request.posted": _l("Request posted"),
    "request.closed": _l("Request closed"),
    "outcome.confirmed": _l("Partnership value confirmed"),
    "schedule.published": _l("Matching-day schedule published"),
}


class DeliveryStatus(enum.Enum):
    PENDING = "pending"  # waiting for its first try, for the next one after a failure, or for an earlier one
    SENDING = "sending"  # a worker holds it until claimed_until
    SENT = "sent"  # the endpoint answered 2xx
    FAILED = "failed"  # given up after WEBHOOK_MAX_ATTEMPTS tries, or refused (address not allowed)

    @cached_property
    def label(self):
        return {
            DeliveryStatus.PENDING: _l("Queued"),
            DeliveryStatus.SENDING: _l("Sending"),
            DeliveryStatus.SENT: _l("Sent"),
            DeliveryStatus.FAILED: _l("Failed"),
        }[self]


class WebhookEndpoint(db.Model):
    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(String(200))
    # The HMAC key of X-Portal-Signature. Kept as is (it must sign), shown to the admin once.
    secret: Mapped[str] = mapped_column(String(100))
    events: Mapped[list] = mapped_column(JSON, default=list)  # codes from EVENT_TYPES
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)  # paused: no new deliveries, queued ones wait
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    secret_rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def wants(self, event_type: str) -> bool:
        return self.is_active and event_type in (self.events or [])


class WebhookEvent(db.Model):
    """Something that happened, with the body every endpoint receives for it (built when it happened)."""

    __tablename__ = "webhook_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)  # "evt_…", the body's "id"
    type: Mapped[str] = mapped_column(String(40))
    # "request:12": deliveries of one object to one endpoint go out in order
    object_key: Mapped[str] = mapped_column(String(60))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    body: Mapped[str] = mapped_column(Text)  # the exact JSON signed and sent, the same on every try


class WebhookDelivery(db.Model):
    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(ForeignKey("webhook_events.id", ondelete="CASCADE"), index=True)
    object_key: Mapped[str] = mapped_column(String(60))  # the event's, here for the ordering check
    replay_of_id: Mapped[int | None] = mapped_column(ForeignKey("webhook_deliveries.id", ondelete="SET NULL"))
    status: Mapped[DeliveryStatus] = mapped_column(enum_column(DeliveryStatus), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claim_token: Mapped[str | None] = mapped_column(String(32))
    response_status: Mapped[int | None] = mapped_column(Integer)  # the last try's HTTP status, if it got one
    response_snippet: Mapped[str | None] = mapped_column(Text)  # the start of the last answer's body
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # sent, or failed for good

    endpoint: Mapped[WebhookEndpoint] = relationship(lazy="raise_on_sql")
    event: Mapped[WebhookEvent] = relationship(lazy="raise_on_sql")

    __table_args__ = (
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_order", "endpoint_id", "object_key", "status"),
        Index("ix_webhook_deliveries_log", "endpoint_id", "created_at"),
    )
