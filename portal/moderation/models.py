"""Reports of listings that break the rules."""
import enum
from datetime import datetime
from functools import cached_property

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import UTCDateTime, enum_column, utcnow
from portal.extensions import db
from portal.i18n import lazy_gettext as _l


class ReportReason(enum.Enum):
    SPAM = "spam"
    FAKE_FIRM = "fake_firm"
    WRONG_INFORMATION = "wrong_information"
    OFFENSIVE = "offensive"
    OTHER = "other"

    @cached_property
    def label(self):
        return {
            ReportReason.SPAM: _l("Spam or advertising"),
            ReportReason.FAKE_FIRM: _l("Fake firm"),
            ReportReason.WRONG_INFORMATION: _l("Wrong information"),
            ReportReason.OFFENSIVE: _l("Offensive"),
            ReportReason.OTHER: _l("Something else"),
        }[self]


class ReportStatus(enum.Enum):
    OPEN = "open"
    DISMISSED = "dismissed"
    ACTIONED = "actioned"

    @cached_property
    def label(self):
        return {ReportStatus.OPEN: _l("Open"), ReportStatus.DISMISSED: _l("Dismissed"),
                ReportStatus.ACTIONED: _l("Acted on")}[self]


class Report(db.Model):
    """A signed-in user's report about a firm, request, response or message."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    target_type: Mapped[str] = mapped_column(String(20))  # firm | request | response | message
    target_id: Mapped[int] = mapped_column(Integer)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"))  # the firm behind the target (for scoping)
    reason: Mapped[ReportReason] = mapped_column(enum_column(ReportReason))
    text: Mapped[str | None] = mapped_column(Text)
    status: Mapped[ReportStatus] = mapped_column(enum_column(ReportStatus), default=ReportStatus.OPEN)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (Index("ix_reports_target", "target_type", "target_id"),
                      Index("ix_reports_status", "status", "created_at"))
