"""One follow-up question per (source, firm): a held meeting that firm wanted to continue, or a partnered
request (asked of the poster and of the partner)."""
import enum
from datetime import datetime
from decimal import Decimal
from functools import cached_property

from sqlalchemy import ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.collab.models import Aim, OutcomeKind
from portal.db import TimestampMixin, UTCDateTime, enum_column
from portal.extensions import db
from portal.i18n import lazy_gettext as _l


class Source(enum.Enum):
    MEETING = "meeting"
    REQUEST = "request"

    @cached_property
    def label(self):
        return {Source.MEETING: _l("Meeting"), Source.REQUEST: _l("Partnership")}[self]


class Stage(enum.Enum):
    """How far things went, in order; only an agreement carries a value."""

    NO_CONTACT = "no_contact"
    KNOWLEDGE = "knowledge"
    VALUABLE_CONTACT = "valuable_contact"
    NEGOTIATION = "negotiation"
    AGREEMENT = "agreement"

    @cached_property
    def label(self):
        return {
            Stage.NO_CONTACT: _l("No further contact"),
            Stage.KNOWLEDGE: _l("Knowledge gained"),
            Stage.VALUABLE_CONTACT: _l("A valuable contact"),
            Stage.NEGOTIATION: _l("Negotiation started"),
            Stage.AGREEMENT: _l("Agreement reached"),
        }[self]


class FollowUp(TimestampMixin, db.Model):
    __tablename__ = "followups"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[Source] = mapped_column(enum_column(Source))
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("collab_requests.id", ondelete="CASCADE"))
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    other_firm_id: Mapped[int | None] = mapped_column(ForeignKey("firms.id", ondelete="SET NULL"))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    reminders: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # automatic ones: 0, 1, 2
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    extra_reminder_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the coordinator's one more
    extra_reminder_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The link's secret is HMAC(SECRET_KEY, id and this random salt): the mail renderer can rebuild it, and
    # only its sha256 is kept, so neither a database copy nor the outbox holds a working link.
    token_salt: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    stage: Mapped[Stage | None] = mapped_column(enum_column(Stage))
    value_baht: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    kind: Mapped[OutcomeKind | None] = mapped_column(enum_column(OutcomeKind))
    aim: Mapped[Aim | None] = mapped_column(enum_column(Aim))

    firm: Mapped["Firm"] = relationship(foreign_keys=[firm_id], lazy="joined")  # noqa: F821
    other_firm: Mapped["Firm | None"] = relationship(foreign_keys=[other_firm_id], lazy="joined")  # noqa: F821

    # One question per firm per source (NULLs in the other column never collide).
    __table_args__ = (UniqueConstraint("meeting_id", "firm_id"), UniqueConstraint("request_id", "firm_id"))

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None


# The coordinator's list in its own order (unanswered first, the latest sent first: followup.queries
# .of_cluster), so that a long list's page is read off the index, stopping at the page, where sorting the
# largest cluster's 39,000 questions took 100 ms on PostgreSQL. The expression is the list's ORDER BY.
Index("ix_followups_list", FollowUp.answered_at.is_not(None), FollowUp.sent_at.desc(), FollowUp.id.desc(),
      postgresql_where=FollowUp.sent_at.is_not(None), sqlite_where=FollowUp.sent_at.is_not(None))
