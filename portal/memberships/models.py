"""A coordinator's member import, applied by a worker: the request that confirms it only records it."""
import enum
from datetime import datetime
from functools import cached_property

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import UTCDateTime, enum_column, utcnow
from portal.extensions import db
from portal.i18n import lazy_gettext as _l


class ImportStatus(enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @cached_property
    def label(self):
        return {ImportStatus.QUEUED: _l("Waiting for a worker"), ImportStatus.RUNNING: _l("Importing"),
                ImportStatus.DONE: _l("Done"), ImportStatus.FAILED: _l("Nothing was imported")}[self]


class MemberImport(db.Model):
    __tablename__ = "member_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id"), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    locale: Mapped[str] = mapped_column(String(5))
    token: Mapped[str] = mapped_column(String(32))  # the previewed file (CSV or .xlsx), UPLOAD_DIR/imports/<token>.csv
    changes: Mapped[int] = mapped_column(Integer, default=0)  # as previewed
    status: Mapped[ImportStatus] = mapped_column(enum_column(ImportStatus), default=ImportStatus.QUEUED)
    summary: Mapped[dict | None] = mapped_column(JSON)  # counts by kind of change, once done
    error: Mapped[str | None] = mapped_column(Text)  # in the coordinator's language, if nothing was imported
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
