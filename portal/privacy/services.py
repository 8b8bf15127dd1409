"""Recording consent. Services flush; the request (or the job) commits."""
from sqlalchemy import func, select

from portal import audit, reference
from portal.db import utcnow
from portal.exceptions import PermissionDenied
from portal.extensions import db
from portal.permissions import can_edit_firm
from portal.privacy.models import ConsentKind, ConsentMethod, ConsentRecord
from portal.privacy.notice import current_version


def accepted_version(user) -> int | None:
    """The newest notice version this user accepted, or None."""
    return db.session.scalar(select(func.max(ConsentRecord.version))
                             .where(ConsentRecord.user_id == user.id, ConsentRecord.kind == ConsentKind.NOTICE,
                                    ConsentRecord.granted.is_(True)))


def needs_consent(user) -> bool:
    """Whether this signed-in user has not yet accepted the current notice."""
    accepted = accepted_version(user)
    return accepted is None or accepted < current_version()


def accept_notice(user, method: ConsentMethod, locale: str | None) -> ConsentRecord:
    """Record that `user` accepted the current notice, shown in `locale`."""
    version = current_version()
    record = ConsentRecord(kind=ConsentKind.NOTICE, user_id=user.id, version=version, granted=True,
                           method=method, locale=locale, created_at=utcnow())
    db.session.add(record)
    db.session.flush()
    audit.record(user, "privacy.notice_accepted", user, version=version, method=method.value)
    return record


def record_listing(actor, firm, granted: bool, method: ConsentMethod) -> ConsentRecord:
    """Add a grant or withdrawal of the firm's listing consent to its history (the firm's own timestamp is
    set by its caller)."""
    record = ConsentRecord(kind=ConsentKind.LISTING, user_id=getattr(actor, "id", None), firm_id=firm.id,
                           granted=granted, method=method, created_at=utcnow())
    db.session.add(record)
    db.session.flush()
    reference.forget("public-listings:")
    reference.forget("chain-full:")  # the clusters' position counts known over the cap
    return record


def withdraw_listing(actor, firm) -> bool:
    """The owner's explicit withdrawal: the firm leaves the public directory at once. Returns whether
    anything changed. :raises PermissionDenied:"""
    if not can_edit_firm(actor, firm):
        raise PermissionDenied()
    if firm.public_listing_consent_at is None:
        return False
    firm.public_listing_consent_at = None
    record_listing(actor, firm, False, ConsentMethod.WITHDRAW_BUTTON)
    audit.record(actor, "firm.consent_withdrawn", firm)
    return True
