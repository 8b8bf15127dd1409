"""Who may do what. Every rule is written here once, and asked by views, templates and services.

Each rule takes the user (possibly anonymous) and the object, and returns a bool.
"""
from flask import abort
from flask_login import current_user

from portal.extensions import db, login_manager

__all__ = [
    "can_create_firm",
    "can_edit_firm",
    "can_manage_firm_team",
    "can_view_firm",
    "can_view_firm_contacts",
]


def _active(user) -> bool:
    return user is not None and user.is_authenticated and not user.is_suspended


def firm_role(user, firm):
    """The user's FirmRole in the firm, or None."""
    from portal.firms.models import FirmMember

    if not _active(user) or firm.id is None:
        return None
    member = db.session.get(FirmMember, (firm.id, user.id))
    return member.role if member else None


def can_create_firm(user) -> bool:
    """Any signed-in user with a confirmed e-mail address may create a firm (and becomes its owner)."""
    return _active(user) and user.is_confirmed


def can_edit_firm(user, firm) -> bool:
    """The firm's owner and editors edit its profile, even while it is hidden (to fix it)."""
    return _active(user) and firm_role(user, firm) is not None


def can_manage_firm_team(user, firm) -> bool:
    """Only the owner invites and removes editors."""
    from portal.firms.models import FirmRole

    return _active(user) and firm_role(user, firm) is FirmRole.OWNER


def can_view_firm(user, firm) -> bool:
    """Hidden firms: their own team and OSMEP staff only. Without consent to a public listing (PDPA):
    signed-in users only. Otherwise anyone."""
    if firm.is_hidden:
        return _active(user) and (user.is_staff or firm_role(user, firm) is not None)
    if not firm.has_public_consent:
        return _active(user)
    return True


def can_view_firm_contacts(user, firm) -> bool:
    """Phone, e-mail and LINE are never shown to anonymous visitors; signed-in users who may see the
    firm see them."""
    return _active(user) and can_view_firm(user, firm)


def require(allowed: bool) -> None:
    """Stop the request unless allowed: anonymous users go to sign-in, signed-in users get 403."""
    if allowed:
        return
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    abort(403)
