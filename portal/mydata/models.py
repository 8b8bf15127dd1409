"""A user's "Download my data" request: built by a worker into a ZIP under EXPORT_DIR, downloadable by that
user alone until it expires (EXPORT_LINK_DAYS), then removed."""
import enum
from datetime import datetime
from functools import cached_property

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import UTCDateTime, enum_column, utcnow
from portal.extensions import db
from portal.i18n import lazy_gettext as _l


class ExportStatus(enum.Enum):
    PENDING = "pending"
    READY = "ready"
    FAILED = "failed"
    REMOVED = "removed"  # expired: the file is gone

    @cached_property
    def label(self):
        return {ExportStatus.PENDING: _l("Being prepared"), ExportStatus.READY: _l("Ready to download"),
                ExportStatus.FAILED: _l("Could not be prepared"), ExportStatus.REMOVED: _l("Expired")}[self]


class DataExport(db.Model):
    __tablename__ = "data_exports"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[ExportStatus] = mapped_column(enum_column(ExportStatus), default=ExportStatus.PENDING)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    file_name: Mapped[str | None] = mapped_column(String(64))  # generated, under EXPORT_DIR
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_data_exports_user_id", "user_id"), Index("ix_data_exports_status", "status"))

    def is_expired(self, now=None) -> bool:
        return self.expires_at is not None and (now or utcnow()) >= self.expires_at
