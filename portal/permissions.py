"""Who may do what. Every rule is written here once, and asked by views, templates and services.

Each rule takes the user (possibly anonymous) and the object, and returns a bool.
"""
from flask import abort, g, has_app_context
from flask_login import current_user

from portal.extensions import db, login_manager
from portal.thai import bangkok_today

__all__ = [
    "can_create_firm",
    "can_edit_firm",
    "can_manage_firm_team",
    "can_view_firm",
    "can_view_firm_contacts",
    "can_request_membership",
    "can_withdraw_membership",
    "can_manage_cluster",
    "can_decide_membership",
    "can_appoint_coordinators",
    "is_coordinator",
]


def _active(user) -> bool:
    return user is not None and user.is_authenticated and not user.is_suspended


def firm_role(user, firm):
    """The user's FirmRole in the firm, or None."""
    return _firm_role(user, firm.id)


def _firm_role(user, firm_id):
    from portal.firms.models import FirmMember

    if not _active(user) or firm_id is None:
        return None
    member = db.session.get(FirmMember, (firm_id, user.id))
    return member.role if member else None


def is_coordinator(user, cluster, day=None) -> bool:
    """The user holds a coordinator term for the cluster that covers `day` (today in Bangkok)."""
    from portal.clusters.models import CoordinatorTerm

    if not _active(user):
        return False
    day = day or bangkok_today()
    key = ("coordinator", user.id, cluster.id, day)
    cache = g.setdefault("_permission_cache", {}) if has_app_context() else {}
    if key not in cache:
        cache[key] = db.session.scalar(
            db.select(CoordinatorTerm.id).where(
                CoordinatorTerm.user_id == user.id,
                CoordinatorTerm.cluster_id == cluster.id,
                CoordinatorTerm.starts_on <= day,
                CoordinatorTerm.ends_on >= day,
            ).limit(1)
        ) is not None
    return cache[key]


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


def can_request_membership(user, firm) -> bool:
    """A firm's owner, with a confirmed address, asks for the firm to join clusters."""
    from portal.firms.models import FirmRole

    return _active(user) and user.is_confirmed and firm_role(user, firm) is FirmRole.OWNER


def can_withdraw_membership(user, membership) -> bool:
    """The firm's owner cancels its pending request or leaves the cluster."""
    from portal.firms.models import FirmRole

    return _active(user) and _firm_role(user, membership.firm_id) is FirmRole.OWNER


def can_manage_cluster(user, cluster) -> bool:
    """Coordinators manage their own clusters during their term; OSMEP staff manage every cluster."""
    return _active(user) and (user.is_staff or is_coordinator(user, cluster))


def can_decide_membership(user, membership) -> bool:
    """Whoever manages the membership's cluster approves, declines, removes, edits positions and notes."""
    from portal.clusters.models import Cluster

    cluster = db.session.get(Cluster, membership.cluster_id)
    return can_manage_cluster(user, cluster)


def can_appoint_coordinators(user) -> bool:
    """OSMEP staff appoint coordinators and end their terms."""
    return _active(user) and user.is_staff


def require(allowed: bool) -> None:
    """Stop the request unless allowed: anonymous users go to sign-in, signed-in users get 403."""
    if allowed:
        return
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    abort(403)
