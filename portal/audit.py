"""The audit trail: who did what to which record, when and why. Written by services, never edited."""
import logging
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import UTCDateTime, utcnow
from portal.extensions import db

log = logging.getLogger("portal.audit")


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(60))
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        Index("ix_audit_entries_target", "target_type", "target_id"),
        Index("ix_audit_entries_actor_id", "actor_id"),
        Index("ix_audit_entries_created_at", "created_at"),
    )


def record(actor, action: str, target, reason: str | None = None, **details) -> AuditEntry:
    """Add an audit row for `action` by `actor` (a User or None for the system) on `target`."""
    # current_user is a proxy; record the real objects
    actor = actor._get_current_object() if hasattr(actor, "_get_current_object") else actor
    target = target._get_current_object() if hasattr(target, "_get_current_object") else target
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        action=action,
        # A system-wide action (a periodic job's recount, a retention run) has no single target.
        target_type=type(target).__tablename__ if target is not None else "system",
        target_id=getattr(target, "id", None),
        reason=reason,
        details=details or None,
    )
    db.session.add(entry)
    log.info("%s %s %s by user %s", action, entry.target_type, entry.target_id, entry.actor_id)
    return entry
