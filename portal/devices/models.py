"""One row per sign-in (a browser on a device), from sign-in until it is ended or expires."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import UTCDateTime, utcnow
from portal.extensions import db


class DeviceSession(db.Model):
    __tablename__ = "device_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the cookie's token
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    user_agent: Mapped[str] = mapped_column(String(80), default="")  # "Firefox · Android", not the raw header
    client_address: Mapped[str | None] = mapped_column(String(45))
    remember: Mapped[bool] = mapped_column(default=False)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_reason: Mapped[str | None] = mapped_column(String(20))

    __table_args__ = (
        Index("ix_device_sessions_user_id", "user_id", "ended_at"),
        Index("ix_device_sessions_ended_at", "ended_at"),
    )

    @property
    def is_active(self) -> bool:
        return self.ended_at is None

    def __repr__(self):
        return f"<DeviceSession {self.id} user {self.user_id}>"
