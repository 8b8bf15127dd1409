"""Outgoing messages (e-mail and LINE messages; webhooks later), one row each.

A row is written in the same database transaction as the change that causes it, so a rolled-back change
sends nothing and a committed one is never lost. Workers render and deliver it later (services.py).
"""
import enum
from datetime import datetime
from functools import cached_property

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import UTCDateTime, enum_column, utcnow
from portal.extensions import db
from portal.i18n import lazy_gettext as _l


class OutboxStatus(enum.Enum):
    PENDING = "pending"  # waiting for its first try, or for the next one after a failure
    SENDING = "sending"  # a worker holds it until claimed_until
    SENT = "sent"  # the mail server accepted it
    FAILED = "failed"  # given up: permanent refusal, or too many tries; staff may retry it
    CANCELLED = "cancelled"  # staff decided it should not go

    @cached_property
    def label(self):
        return {
            OutboxStatus.PENDING: _l("Queued"),
            OutboxStatus.SENDING: _l("Sending"),
            OutboxStatus.SENT: _l("Sent"),
            OutboxStatus.FAILED: _l("Failed"),
            OutboxStatus.CANCELLED: _l("Cancelled"),
        }[self]


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20), default="email")
    # What it is, and the renderer that builds it at delivery (portal/outbox/renderers.py).
    kind: Mapped[str] = mapped_column(String(60))
    recipient: Mapped[str] = mapped_column(String(320))
    locale: Mapped[str] = mapped_column(String(5))
    # Ids and values the renderer needs; never a whole object.
    context: Mapped[dict] = mapped_column(JSON, default=dict)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Chosen when the row is written and sent with every try: a copy that arrives twice is recognisable.
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    subject: Mapped[str | None] = mapped_column(Text)  # known once rendered
    status: Mapped[OutboxStatus] = mapped_column(enum_column(OutboxStatus), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Who holds the lease: a worker sends only what it still holds (another may have taken over a lease
    # that ran out).
    claim_token: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_outbox_messages_due", "status", "next_attempt_at"),
        Index("ix_outbox_messages_kind_status", "kind", "status"),
        Index("ix_outbox_messages_user_id", "user_id"),
        # LINE's monthly quota counts the LINE messages sent since the month began (portal/line/messaging.py)
        Index("ix_outbox_messages_channel_sent", "channel", "status", "sent_at"),
    )

