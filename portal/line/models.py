"""A portal account's link to a LINE user: made by LINE Login (its ID token's `sub`, the LINE user id, which
the Messaging API also uses for the same provider), and whether LINE can reach that user with messages (they
added the portal's Official Account as a friend: follow / unfollow webhook events)."""
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import TimestampMixin, UTCDateTime
from portal.extensions import db


class LineAccount(TimestampMixin, db.Model):
    __tablename__ = "line_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    line_user_id: Mapped[str] = mapped_column(String(64), unique=True)  # LINE's "U" + 32 hex characters
    display_name: Mapped[str | None] = mapped_column(String(200))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # LINE can push messages to this user: they follow the Official Account (set by the webhook).
    is_friend: Mapped[bool] = mapped_column(Boolean, default=False, server_default=db.false())
    friend_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped["User"] = relationship(lazy="raise_on_sql")  # noqa: F821
