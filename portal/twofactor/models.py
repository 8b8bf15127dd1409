"""Second factors: a TOTP authenticator app, one-time recovery codes, passkeys (WebAuthn), and the browsers a
user asked us to remember for 30 days.

Nothing here is readable once written: the TOTP secret is encrypted with a key derived from SECRET_KEY (it
must be read back to check codes), recovery codes and device tokens are stored as SHA-256 hashes only.
"""
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import UTCDateTime, utcnow
from portal.extensions import db


class TotpCredential(db.Model):
    """One authenticator app per user. Unconfirmed (confirmed_at NULL) while the user is scanning the code."""

    __tablename__ = "totp_credentials"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    secret_encrypted: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The time step (30 s) of the last code accepted: a code, once used, is not accepted again.
    last_step: Mapped[int | None] = mapped_column(Integer)


class RecoveryCode(db.Model):
    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Passkey(db.Model):
    """A WebAuthn credential: its id (base64url), public key (COSE) and signature counter."""

    __tablename__ = "passkeys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    credential_id: Mapped[str] = mapped_column(String(1400), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    sign_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    name: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RememberedDevice(db.Model):
    """A browser that skips the second step until expires_at; its cookie holds the token, we its hash."""

    __tablename__ = "remembered_devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
