"""Personal access tokens for the JSON API: only a sha256 of the token is kept; the token itself is shown once."""
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import UTCDateTime, utcnow
from portal.extensions import db

PREFIX = "cpt_"  # "cluster portal token": recognisable in logs and by secret scanners


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex of the whole token
    hint: Mapped[str] = mapped_column(String(12))  # the token's first characters, to tell tokens apart
    can_write: Mapped[bool] = mapped_column(Boolean, default=False)  # scope: read, or read and write
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user = relationship("User", lazy="joined")

    __table_args__ = (Index("ix_api_tokens_user_id", "user_id", "created_at"),)

    @property
    def scopes(self) -> list[str]:
        return ["read", "write"] if self.can_write else ["read"]

    def is_usable(self, now: datetime) -> bool:
        """Not revoked and not expired (its owner's state is permissions.can_use_api_token's)."""
        return self.revoked_at is None and self.expires_at > now
