"""What the periodic jobs have done, so that each runs at most once per period."""
from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import UTCDateTime, utcnow
from portal.extensions import db


class JobRun(db.Model):
    """One periodic job's run for one period (a day, an hour): the unique key makes it happen at most once
    however many schedulers run on however many machines."""

    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(60))
    period: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (db.UniqueConstraint("job", "period", name="uq_job_runs_job_period"),)
