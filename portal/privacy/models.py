"""Consent history: one row per acceptance of a privacy notice version, and per grant or withdrawal of a
firm's consent to a public listing. Rows are only added, never changed: they are OSMEP's evidence."""
import enum
from datetime import datetime
from functools import cached_property

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import UTCDateTime, enum_column, utcnow
from portal.extensions import db
from portal.i18n import lazy_gettext as _l


class ConsentKind(enum.Enum):
    NOTICE = "notice"  # the privacy notice of `version`
    LISTING = "listing"  # the firm's public listing in the directory


class ConsentMethod(enum.Enum):
    REGISTRATION = "registration"  # the box on the registration form (password or LINE)
    REACCEPTANCE = "reacceptance"  # asked again after a new notice version
    FIRM_FORM = "firm_form"  # the public-listing box of the firm form
    WITHDRAW_BUTTON = "withdraw_button"  # the owner's "withdraw public listing consent" button

    @cached_property
    def label(self):
        return {
            ConsentMethod.REGISTRATION: _l("At registration"),
            ConsentMethod.REACCEPTANCE: _l("Asked again for a new version"),
            ConsentMethod.FIRM_FORM: _l("Firm profile form"),
            ConsentMethod.WITHDRAW_BUTTON: _l("Withdrawal button"),
        }[self]


class ConsentRecord(db.Model):
    __tablename__ = "consent_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ConsentKind] = mapped_column(enum_column(ConsentKind))
    # Who accepted (a notice) or who acted (a listing). An erased account leaves the firm's history standing.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    firm_id: Mapped[int | None] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"))
    version: Mapped[int | None] = mapped_column(Integer)  # the notice version (kind NOTICE)
    granted: Mapped[bool] = mapped_column(Boolean)  # False: withdrawn
    method: Mapped[ConsentMethod] = mapped_column(enum_column(ConsentMethod))
    locale: Mapped[str | None] = mapped_column(String(5))  # the language the person was shown
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user = relationship("User", lazy="joined")
    firm = relationship("Firm", lazy="joined")

    __table_args__ = (
        Index("ix_consent_records_user_id", "user_id", "created_at"),
        Index("ix_consent_records_firm_id", "firm_id", "created_at"),
    )
