"""People who sign in. A user may own or edit several firms (FirmMember)."""
import enum
import time
from datetime import datetime
from functools import cached_property

from flask_login import UserMixin
from sqlalchemy import Integer, String
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import TimestampMixin, UTCDateTime, enum_column
from portal.extensions import db
from portal.i18n import lazy_gettext as _l


class Role(enum.Enum):
    MEMBER = "member"
    STAFF = "staff"  # เจ้าหน้าที่ สสว.
    ADMIN = "admin"

    @cached_property
    def label(self):
        return {Role.MEMBER: _l("Member"), Role.STAFF: _l("OSMEP staff"), Role.ADMIN: _l("Administrator")}[self]


STAFF_ROLES = (Role.STAFF, Role.ADMIN)  # who counts as OSMEP staff (User.is_staff)
# A password hash that no password matches starts with this (no werkzeug hash method does).
UNUSABLE_PASSWORD_PREFIX = "!"  # nosec B105  # a marker that no password matches, not a password


class EmailSetting(enum.Enum):
    """How a user wants notifications by e-mail."""

    IMMEDIATE = "immediate"
    DAILY = "daily"
    OFF = "off"

    @cached_property
    def label(self):
        return {
            EmailSetting.IMMEDIATE: _l("At once, one e-mail per event"),
            EmailSetting.DAILY: _l("A daily digest"),
            EmailSetting.OFF: _l("No e-mail (I will look in the portal)"),
        }[self]


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-cased
    password_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(120))
    locale: Mapped[str | None] = mapped_column(String(5))
    role: Mapped[Role] = mapped_column(enum_column(Role), default=Role.MEMBER)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    email_setting: Mapped[EmailSetting] = mapped_column(
        enum_column(EmailSetting), default=EmailSetting.IMMEDIATE, server_default=EmailSetting.IMMEDIATE.value
    )
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    wants_request_digest: Mapped[bool] = mapped_column(default=False, server_default=db.false())  # opt-in
    last_request_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Part of the session cookie's user id: bumping it signs the user out everywhere.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    # "Delete my account" (portal/mydata/erasure.py): asked at, erased from (the grace period's end), erased at.
    deletion_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deletion_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # When this sign-in happened (seconds since the epoch): set at sign-in, read back from the cookie.
    signed_in_at = None  # not a column: int | None
    # This device's session token (portal/devices): set at sign-in, read back from the cookie.
    session_token = None  # not a column: str | None

    def get_id(self) -> str:
        """What the session and remember-me cookies carry: id, session version, sign-in time and this
        device's session token, so the server can end a session everywhere (version), enforce the
        remember-me lifetime (time) and end one device (token; its record may be ended)."""
        if self.signed_in_at is None:  # signed in just now (login_user without a stamp)
            self.signed_in_at = int(time.time())
        if self.session_token is None:  # login_user without start_session: a device session all the same
            from portal.devices import services as devices

            devices.open_session(self)
        return f"{self.id}:{self.session_version}:{self.signed_in_at}:{self.session_token}"

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    @property
    def has_password(self) -> bool:
        """False for an account made through LINE that never set a password (an unusable hash, "!…")."""
        return not (self.password_hash or "!").startswith(UNUSABLE_PASSWORD_PREFIX)

    @property
    def is_deletion_pending(self) -> bool:
        """Asked to be deleted and still within the grace period: may only sign in and cancel."""
        return self.deletion_due_at is not None and self.erased_at is None

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None

    @property
    def display_name(self) -> str:
        """The name others see: an erased account's pseudonym in the reader's language."""
        if self.erased_at is not None:
            from portal.i18n import gettext

            return gettext("Former member %(number)s", number=self.id)
        return self.name

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None

    @hybrid_property
    def is_staff(self) -> bool:
        """OSMEP staff: the staff role or an administrator. One definition, in Python and in SQL
        (`select(User).where(User.is_staff)`)."""
        return self.role in STAFF_ROLES

    @is_staff.inplace.expression
    @classmethod
    def _is_staff_expression(cls):
        return cls.role.in_(STAFF_ROLES)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses to sign in inactive users
        return not (self.is_suspended or self.is_erased)

    def __repr__(self):
        return f"<User {self.id}>"


class LoginThrottle(db.Model):
    """Failed sign-ins for one (client address, account) pair: after a few, each next try from that
    address for that account waits longer (see portal/auth/throttle.py). The key is a hash, so the table
    holds no address or e-mail in clear."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
