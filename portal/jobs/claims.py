"""Rows that stand for work a worker does (a member import, a schedule run): claimed by one worker at a time.

Such a model has `id`, `status` (an enum with QUEUED and RUNNING), `created_at` and `started_at`. A row is
claimable while queued, or while running for longer than `stale_after` (its worker died). The claim is one
conditional UPDATE, committed before the work starts, so two workers nudged for the same row cannot both
take it; the periodic sweep re-nudges rows whose nudge was lost.
"""
from datetime import timedelta

from sqlalchemy import or_, select, update

from portal.db import utcnow
from portal.extensions import db


def claimable(model, stale_after: timedelta, now):
    statuses = model.status.type.enum_class
    return or_(model.status == statuses.QUEUED,
               (model.status == statuses.RUNNING) & (model.started_at < now - stale_after))


def claim(model, row_id: int, stale_after: timedelta):
    """The row, marked running and committed, or None if another worker has it (or it is done)."""
    now = utcnow()
    running = model.status.type.enum_class.RUNNING
    taken = db.session.execute(update(model).where(model.id == row_id, claimable(model, stale_after, now))
                               .values(status=running, started_at=now)
                               .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return db.session.get(model, row_id, populate_existing=True) if taken == 1 else None


def waiting(model, stale_after: timedelta, now=None) -> list[int]:
    """Rows whose nudge was lost (queued for a minute) or whose worker died (running too long)."""
    now = now or utcnow()
    return list(db.session.scalars(select(model.id).where(
        claimable(model, stale_after, now), model.created_at < now - timedelta(minutes=1))))
