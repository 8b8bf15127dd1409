"""Access tokens for the JSON API: personal ones (a person's, acting as them) and service ones (made by
administrators for an OSMEP system; no owner). Only a sha256 of a token is kept; the token is shown once."""
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import UTCDateTime, utcnow
from portal.extensions import db

PREFIX = "cpt_"  # "cluster portal token": recognisable in logs and by secret scanners


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))  # None: a service token
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex of the whole token
    hint: Mapped[str] = mapped_column(String(12))  # the token's first characters, to tell tokens apart
    can_write: Mapped[bool] = mapped_column(Boolean, default=False)  # scope: read, or read and write
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A service token's: whom to tell about the system using it, and the administrator who made it.
    contact_email: Mapped[str | None] = mapped_column(String(254))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user = relationship("User", lazy="joined", foreign_keys=[user_id])
    created_by = relationship("User", foreign_keys=[created_by_id])

    __table_args__ = (Index("ix_api_tokens_user_id", "user_id", "created_at"),)

    @property
    def is_service(self) -> bool:
        """A service token: no owner (made by an administrator for an OSMEP system)."""
        return self.user_id is None and self.user is None

    @property
    def scopes(self) -> list[str]:
        return ["read", "write"] if self.can_write else ["read"]

    def is_usable(self, now: datetime) -> bool:
        """Not revoked and not expired (its owner's state is permissions.can_use_api_token's)."""
        return self.revoked_at is None and self.expires_at > now


class ServiceActor:
    """Who a request signed with a service token acts as: an OSMEP system, not a person. It is signed in
    (the rules see an active caller) but holds no firm role, coordinator term or staff role and is not a
    confirmed person; permissions.is_service_actor names it, for the rules that let it do more."""

    is_authenticated = True
    is_active = True
    is_anonymous = False
    is_suspended = False
    is_erased = False
    is_confirmed = False
    is_staff = False
    is_service = True
    id = None
    locale = None
    role = None

    def __init__(self, token: ApiToken):
        self.token = token
        self.name = token.name
        self.email = token.contact_email

    def get_id(self):
        return None
