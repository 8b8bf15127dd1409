"""Clusters (คลัสเตอร์), the organisations that run them, and firms' memberships at value-chain positions."""
import enum
from datetime import date, datetime
from functools import cached_property

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import TimestampMixin, UTCDateTime, enum_column
from portal.extensions import db
from portal.i18n import Bilingual
from portal.i18n import lazy_gettext as _l


class OrganisationKind(enum.Enum):
    AGENCY = "agency"  # หน่วยงานร่วมดำเนินการ
    ASSOCIATION = "association"  # สมาคม

    @cached_property
    def label(self):
        return {
            OrganisationKind.AGENCY: _l("Implementing agency"),
            OrganisationKind.ASSOCIATION: _l("Association"),
        }[self]


class Organisation(TimestampMixin, db.Model):
    """An implementing agency (a university, an institute) or a trade association."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[OrganisationKind] = mapped_column(enum_column(OrganisationKind))
    name_th: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    website: Mapped[str | None] = mapped_column(String(300))

    name = Bilingual("name")


class Cluster(TimestampMixin, db.Model):
    __tablename__ = "clusters"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name_th: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    description_th: Mapped[str | None] = mapped_column(Text)
    description_en: Mapped[str | None] = mapped_column(Text)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    association_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)

    agency: Mapped[Organisation | None] = relationship(foreign_keys=[agency_id], lazy="raise_on_sql")
    association: Mapped[Organisation | None] = relationship(
        foreign_keys=[association_id], lazy="raise_on_sql"
    )

    name = Bilingual("name")
    description = Bilingual("description")

    def __repr__(self):
        return f"<Cluster {self.slug}>"


class Position(enum.Enum):
    """A place in the cluster's value chain (ห่วงโซ่คุณค่า)."""

    UPSTREAM = "upstream"  # ต้นน้ำ
    MIDSTREAM = "midstream"  # กลางน้ำ
    DOWNSTREAM = "downstream"  # ปลายน้ำ

    @cached_property
    def label(self):
        return {
            Position.UPSTREAM: _l("Upstream"),
            Position.MIDSTREAM: _l("Midstream"),
            Position.DOWNSTREAM: _l("Downstream"),
        }[self]

    @cached_property
    def hint(self):
        return {
            Position.UPSTREAM: _l("Raw materials, breeding, inputs and equipment"),
            Position.MIDSTREAM: _l("Processing, making, grading and logistics"),
            Position.DOWNSTREAM: _l("Selling, export, retail and events"),
        }[self]


class MembershipStatus(enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    LEFT = "left"
    REMOVED = "removed"
    # A coordinator's import invited a firm that has an owner: it joins only if the owner accepts.
    INVITED = "invited"

    @cached_property
    def label(self):
        return {
            MembershipStatus.INVITED: _l("Invited"),
            MembershipStatus.PENDING: _l("Pending"),
            MembershipStatus.APPROVED: _l("Member"),
            MembershipStatus.DECLINED: _l("Declined"),
            MembershipStatus.CANCELLED: _l("Cancelled"),
            MembershipStatus.LEFT: _l("Left"),
            MembershipStatus.REMOVED: _l("Removed"),
        }[self]


# A firm has at most one *current* membership per cluster; ended ones are kept as history. An open
# invitation is not a membership (nothing counts it, it grants nothing), but it holds the same place:
# the firm cannot also ask to join, nor be invited twice (see uq_memberships_current).
CURRENT_STATUSES = (MembershipStatus.PENDING.value, MembershipStatus.APPROVED.value)


class Membership(TimestampMixin, db.Model):
    """A firm's membership of one cluster: its status, positions, and the decision taken on it."""

    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"))
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id"))
    status: Mapped[MembershipStatus] = mapped_column(enum_column(MembershipStatus))
    offers: Mapped[str | None] = mapped_column(Text)
    seeks: Mapped[str | None] = mapped_column(Text)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # left, removed or cancelled
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    end_reason: Mapped[str | None] = mapped_column(Text)
    fiscal_year: Mapped[int | None] = mapped_column(Integer)  # ปีงบประมาณ (B.E.) of approval
    coordinator_notes: Mapped[str | None] = mapped_column(Text)
    # Set when the row began as a coordinator's invitation (status invited), kept after the owner's answer.
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Optimistic lock: every UPDATE says "WHERE version_id = <what I read>", so of two coordinators
    # deciding at once, the second matches no row (StaleDataError) instead of overwriting the first.
    version_id: Mapped[int] = mapped_column(Integer, server_default="1")

    firm: Mapped["Firm"] = relationship(back_populates="memberships", lazy="raise_on_sql")  # noqa: F821
    cluster: Mapped[Cluster] = relationship(lazy="raise_on_sql")
    positions: Mapped[list["MembershipPosition"]] = relationship(
        back_populates="membership", cascade="all, delete-orphan", lazy="raise_on_sql"
    )

    __table_args__ = (
        Index(
            "uq_memberships_current",
            "firm_id",
            "cluster_id",
            unique=True,
            sqlite_where=db.text("status IN ('pending', 'approved', 'invited')"),
            postgresql_where=db.text("status IN ('pending', 'approved', 'invited')"),
        ),
        # A cluster's approved members in firm order, with the membership's id for its positions, from the index
        # alone (the directory filtered by cluster and position; migration b4c6d8e0f2a3)
        Index("ix_memberships_cluster_status", "cluster_id", "status", "firm_id", "id"),
        Index("ix_memberships_firm_id", "firm_id"),
        # Programme figures count distinct firms by year and by status without reading the rows.
        Index("ix_memberships_fiscal_year_firm", "fiscal_year", "firm_id"),
        Index("ix_memberships_status_firm", "status", "firm_id", "cluster_id"),
    )
    __mapper_args__ = {"version_id_col": version_id}

    @property
    def is_current(self) -> bool:
        return self.status.value in CURRENT_STATUSES

    @property
    def is_invitation(self) -> bool:
        """The row began as a coordinator's invitation (whatever its owner answered)."""
        return self.invited_at is not None

    @property
    def status_label(self):
        """The status as the firm and coordinators read it: a declined invitation is the owner's answer."""
        if self.is_invitation and self.status is MembershipStatus.DECLINED:
            return _l("Invitation declined")
        return self.status.label


class MembershipPosition(db.Model):
    """A position a firm holds within one membership; a firm may hold several (breeder and exporter)."""

    __tablename__ = "membership_positions"

    membership_id: Mapped[int] = mapped_column(
        ForeignKey("memberships.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[Position] = mapped_column(enum_column(Position), primary_key=True)

    membership: Mapped[Membership] = relationship(back_populates="positions", lazy="raise_on_sql")

    __table_args__ = (Index("ix_membership_positions_position", "position", "membership_id"),)


class CoordinatorTerm(TimestampMixin, db.Model):
    """A user coordinates a cluster on behalf of an organisation, from starts_on to ends_on inclusive
    (Bangkok dates). Terms may overlap for a handover; outside its dates a term grants nothing."""

    __tablename__ = "coordinator_terms"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    appointed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    user: Mapped["User"] = relationship(foreign_keys=[user_id], lazy="raise_on_sql")  # noqa: F821
    cluster: Mapped[Cluster] = relationship(lazy="raise_on_sql")
    organisation: Mapped[Organisation] = relationship(lazy="raise_on_sql")

    __table_args__ = (
        Index("ix_coordinator_terms_user_cluster", "user_id", "cluster_id"),
        Index("ix_coordinator_terms_cluster_id", "cluster_id"),
    )

    @hybrid_method
    def covers(self, day: date):
        """The term grants its rights on `day` (a Bangkok date), first and last day included. One
        expression for Python and for SQL: `CoordinatorTerm.covers(day)` in a WHERE clause."""
        return (self.starts_on <= day) & (self.ends_on >= day)
