"""Check-in at the matching day: every approved registration holds an unguessable token (in the URL its QR code
encodes) and a short code to type at the desk; organisers confirm the firm's arrival.

Like portal/events/services.py: rules checked first, flush only, audit and log; the caller commits.
"""
import logging
import secrets

from sqlalchemy import select

from portal import audit
from portal.db import utcnow
from portal.events.models import Registration
from portal.exceptions import PermissionDenied, RuleViolation
from portal.extensions import db
from portal.i18n import lazy_gettext as _l
from portal.permissions import can_check_in

log = logging.getLogger(__name__)
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to mistype
CODE_LENGTH = 8
UNKNOWN_CODE = _l("No registration has this check-in code. Check the code and try again.")


def issue_code(registration: Registration) -> None:
    """Give an approved registration its check-in token and short code, once (they never change)."""
    if registration.checkin_token is None:
        registration.checkin_token = secrets.token_urlsafe(24)
        registration.checkin_code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(typed: str | None) -> str:
    """What a person typed, as stored: capitals, without spaces and dashes (codes are shown as ABCD-EFGH)."""
    return "".join(ch for ch in (typed or "").upper() if ch.isalnum())


def display_code(code: str | None) -> str:
    return f"{code[:4]}-{code[4:]}" if code else ""


def by_token(token: str) -> Registration | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(select(Registration).where(Registration.checkin_token == token))


def by_code(event, typed: str) -> Registration:
    """The event's registration with this short code.

    :raises RuleViolation: no registration of this event has it.
    """
    code = normalise_code(typed)
    registration = db.session.scalar(select(Registration).where(
        Registration.checkin_code == code, Registration.event_id == event.id)) if code else None
    if registration is None or not registration.is_approved:
        raise RuleViolation(UNKNOWN_CODE, "code")
    return registration


def check_in(actor, registration: Registration) -> Registration:
    """An organiser records that the firm has arrived; a second check-in changes nothing and says so."""
    if not can_check_in(actor, registration.event):
        raise PermissionDenied()
    if not registration.is_approved or registration.checkin_token is None:
        raise RuleViolation(UNKNOWN_CODE)
    if registration.checked_in_at is not None:
        raise RuleViolation(_l("This firm has checked in already."))
    registration.checked_in_at, registration.checked_in_by_id = utcnow(), actor.id
    db.session.flush()
    audit.record(actor, "registration.checked_in", registration, event_id=registration.event_id,
                 firm_id=registration.firm_id)
    log.info("registration %s checked in by %s", registration.id, actor.id)
    return registration
