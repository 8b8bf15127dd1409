"""Following (a firm, a cluster), saved searches, and the fan-outs that tell followers of what happened.

A fan-out row is written in the same transaction as the change it announces (a request posted, a member
approved, a matching day opened, a registration approved): after the commit one job is enqueued for it, and
a worker notifies the followers in batches, never the web request. Its claim follows portal.jobs.claims.
"""
import enum
from datetime import datetime
from functools import cached_property

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import UTCDateTime, enum_column, utcnow
from portal.extensions import db
from portal.i18n import lazy_gettext as _l


class Follow(db.Model):
    """A user follows one firm or one cluster (exactly one of the two)."""

    __tablename__ = "follows"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    firm_id: Mapped[int | None] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"), index=True)
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("clusters.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    firm = relationship("Firm", lazy="joined")
    cluster = relationship("Cluster", lazy="joined")

    __table_args__ = (
        UniqueConstraint("user_id", "firm_id", name="uq_follows_user_firm"),
        UniqueConstraint("user_id", "cluster_id", name="uq_follows_user_cluster"),
        CheckConstraint("(firm_id IS NULL) <> (cluster_id IS NULL)", name="one_target"),
    )


class Frequency(enum.Enum):
    IMMEDIATE = "immediate"  # the alert job every few minutes
    DAILY = "daily"  # once a day, before the morning digest

    @cached_property
    def label(self):
        return {Frequency.IMMEDIATE: _l("At once"), Frequency.DAILY: _l("Once a day")}[self]


class SearchList(enum.Enum):
    DIRECTORY = "directory"
    BOARD = "board"

    @cached_property
    def label(self):
        return {SearchList.DIRECTORY: _l("Member directory"), SearchList.BOARD: _l("Request board")}[self]

    @property
    def endpoint(self) -> str:
        return {SearchList.DIRECTORY: "directory.index", SearchList.BOARD: "collab.board"}[self]


class SavedSearch(db.Model):
    """The filters of a directory or board URL, normalised (known keys only, sorted), with a name. Alerts
    count what was added since `checked_at`."""

    __tablename__ = "saved_searches"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    list: Mapped[SearchList] = mapped_column(enum_column(SearchList))
    query: Mapped[str] = mapped_column(String(1000), default="")
    name: Mapped[str] = mapped_column(String(100))
    frequency: Mapped[Frequency] = mapped_column(enum_column(Frequency))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)  # new matches: created after
    alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user = relationship("User")

    __table_args__ = (Index("ix_saved_searches_frequency_id", "frequency", "id"),)


class FanOutStatus(enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"


class FanOut(db.Model):
    """One announcement to the followers of a firm and/or cluster; `after_user_id` is the batch cursor (the
    followers are taken in user id order), so a worker that dies resumes where the last batch committed."""

    __tablename__ = "follow_fanouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[int] = mapped_column(Integer)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[FanOutStatus] = mapped_column(enum_column(FanOutStatus), default=FanOutStatus.QUEUED)
    after_user_id: Mapped[int] = mapped_column(Integer, default=0)
    notified: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_follow_fanouts_status", "status", "created_at"),)
