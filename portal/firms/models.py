"""Firms (กิจการ) and the provinces they are in."""
import enum
from datetime import datetime
from functools import cached_property

from sqlalchemy import ForeignKey, Index, Integer, String, Text, and_, event
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import TimestampMixin, UTCDateTime, enum_column
from portal.extensions import db
from portal.i18n import Bilingual
from portal.i18n import lazy_gettext as _l
from portal.search import record_fields
from portal.thai import thai_sort_key

# Sort keys are compared byte by byte ("C" collation on PostgreSQL, binary on SQLite), so both
# databases order names the same way, and an index can serve ORDER BY sort key, id.
SortKey = String(240).with_variant(String(240, collation="C"), "postgresql")
SORT_KEY_LENGTH = 240


class Province(db.Model):
    """One of Thailand's 77 provinces (จังหวัด); loaded from portal/data/provinces.csv."""

    __tablename__ = "provinces"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(2), unique=True)  # ISO 3166-2:TH number, e.g. "10" Bangkok
    name_th: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    region: Mapped[str] = mapped_column(String(20))

    name = Bilingual("name")

    def __repr__(self):
        return f"<Province {self.code} {self.name_en}>"


class LegalForm(enum.Enum):
    JURISTIC_PERSON = "juristic_person"
    COMMUNITY_ENTERPRISE = "community_enterprise"  # วิสาหกิจชุมชน
    INDIVIDUAL = "individual"  # บุคคลธรรมดา / กิจการในครัวเรือน

    @cached_property
    def label(self):
        return {
            LegalForm.JURISTIC_PERSON: _l("Juristic person"),
            LegalForm.COMMUNITY_ENTERPRISE: _l("Community enterprise"),
            LegalForm.INDIVIDUAL: _l("Individual or household business"),
        }[self]


class FirmSize(enum.Enum):
    MICRO = "micro"
    SMALL = "small"
    MEDIUM = "medium"

    @cached_property
    def label(self):
        return {
            FirmSize.MICRO: _l("Micro"),
            FirmSize.SMALL: _l("Small"),
            FirmSize.MEDIUM: _l("Medium"),
        }[self]


class Firm(TimestampMixin, db.Model):
    """An enterprise. Thai name required, English encouraged; contacts are never shown to anonymous visitors."""

    __tablename__ = "firms"

    id: Mapped[int] = mapped_column(primary_key=True)
    name_th: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    legal_form: Mapped[LegalForm] = mapped_column(enum_column(LegalForm))
    registration_number: Mapped[str | None] = mapped_column(String(13), unique=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("provinces.id"), index=True)
    size: Mapped[FirmSize] = mapped_column(enum_column(FirmSize))
    founded_year: Mapped[int | None] = mapped_column(Integer)
    description_th: Mapped[str | None] = mapped_column(Text)
    description_en: Mapped[str | None] = mapped_column(Text)
    products_th: Mapped[str | None] = mapped_column(Text)
    products_en: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164, e.g. +66812345678
    email: Mapped[str | None] = mapped_column(String(254))
    line_id: Mapped[str | None] = mapped_column(String(50))
    website: Mapped[str | None] = mapped_column(String(300))
    public_listing_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # PDPA consent
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hidden_reason: Mapped[str | None] = mapped_column(Text)
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    review_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when the firm left public view because its owner's account was suspended (undone on reinstatement).
    hidden_for_suspension_of: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    logo_filename: Mapped[str | None] = mapped_column(String(64))  # generated name, never the uploaded one
    # Kept up to date from the fields above on every insert and update (see _derive_search_fields).
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The words of the name, the products and the description, for ranking whole words first (search.rank).
    words_name: Mapped[str] = mapped_column(Text, default="", server_default="")
    words_products: Mapped[str] = mapped_column(Text, default="", server_default="")
    words_body: Mapped[str] = mapped_column(Text, default="", server_default="")
    sort_th: Mapped[str] = mapped_column(SortKey, default="", server_default="")
    sort_en: Mapped[str] = mapped_column(SortKey, default="", server_default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    province: Mapped[Province] = relationship(lazy="raise_on_sql")
    members: Mapped[list["FirmMember"]] = relationship(
        back_populates="firm", cascade="all, delete-orphan", lazy="raise_on_sql"
    )
    memberships: Mapped[list["Membership"]] = relationship(  # noqa: F821
        back_populates="firm", lazy="raise_on_sql"
    )

    name = Bilingual("name")
    description = Bilingual("description")
    products = Bilingual("products")

    @hybrid_property
    def is_public(self) -> bool:
        """Anonymous visitors see a firm only with its consent to a public listing and when not hidden."""
        return self.public_listing_consent_at is not None and self.hidden_at is None

    @is_public.inplace.expression
    @classmethod
    def _is_public_expression(cls):
        return and_(cls.public_listing_consent_at.is_not(None), cls.hidden_at.is_(None))

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    @property
    def has_public_consent(self) -> bool:
        return self.public_listing_consent_at is not None

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    __table_args__ = (
        Index("ix_firms_sort_th", "sort_th", "id"),
        Index("ix_firms_sort_en", "sort_en", "id"),
        Index("ix_firms_created_at", "created_at", "id"),
        # Covers the visibility check when counting members: no need to read the (wide) firm row.
        Index("ix_firms_listing", "id", "hidden_at", "public_listing_consent_at"),
        Index("ix_firms_province_sort_th", "province_id", "sort_th", "id"),
        Index("ix_firms_province_sort_en", "province_id", "sort_en", "id"),
    )

    def __repr__(self):
        return f"<Firm {self.id} {self.name_th}>"


def firm_search_fields(firm) -> dict:
    """The derived columns for a firm (or a dict of its values): search text, words and the two sort keys."""
    get = firm.get if isinstance(firm, dict) else lambda key: getattr(firm, key)
    return {
        **record_fields(name=(get("name_th"), get("name_en")), products=(get("products_th"), get("products_en")),
                        body=(get("description_th"), get("description_en"))),
        "sort_th": thai_sort_key(get("name_th"))[:SORT_KEY_LENGTH],
        "sort_en": thai_sort_key(get("name_en") or get("name_th"))[:SORT_KEY_LENGTH],
    }


@event.listens_for(Firm, "before_insert")
@event.listens_for(Firm, "before_update")
def _derive_search_fields(mapper, connection, firm):
    for key, value in firm_search_fields(firm).items():
        setattr(firm, key, value)


class FirmRole(enum.Enum):
    OWNER = "owner"
    EDITOR = "editor"

    @cached_property
    def label(self):
        return {FirmRole.OWNER: _l("Owner"), FirmRole.EDITOR: _l("Editor")}[self]


class FirmMember(TimestampMixin, db.Model):
    """A user's role in a firm: the owner manages the team, editors keep the profile up to date."""

    __tablename__ = "firm_members"

    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[FirmRole] = mapped_column(enum_column(FirmRole))

    firm: Mapped[Firm] = relationship(back_populates="members", lazy="raise_on_sql")
    user: Mapped["User"] = relationship(lazy="raise_on_sql")  # noqa: F821

    __table_args__ = (Index("ix_firm_members_user_id", "user_id"),)


class FirmInvitation(TimestampMixin, db.Model):
    """An invitation, sent by e-mail, to join a firm as an editor."""

    __tablename__ = "firm_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[FirmRole] = mapped_column(enum_column(FirmRole), default=FirmRole.EDITOR)
    invited_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    firm: Mapped[Firm] = relationship(lazy="raise_on_sql")

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None
