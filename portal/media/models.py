"""One stored file under a random name that is also its address: a firm's re-encoded WebP logo, a member
import's uploaded file between its preview and its run, a "Download my data" ZIP. Kept in the database so that
every app node and worker sees the same files, whatever its own instance folder holds."""
from datetime import datetime

from sqlalchemy import Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import UTCDateTime, utcnow
from portal.extensions import db

LOGO, IMPORT, EXPORT = "logo", "import", "export"  # what a file is for: each kind has its own clean-up


class MediaFile(db.Model):
    __tablename__ = "media_files"
    __table_args__ = (Index("ix_media_files_purpose_created", "purpose", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)  # generated (32 hex digits + extension)
    purpose: Mapped[str] = mapped_column(String(16), default=LOGO, server_default=LOGO)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))  # hex digest: the strong ETag
    # Loaded only when served: listing or deleting rows never reads the bytes.
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
