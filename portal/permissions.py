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
    "can_answer_membership_invitation",
    "can_manage_cluster",
    "can_decide_membership",
    "can_appoint_coordinators",
    "is_coordinator",
    "can_post_request",
    "can_view_request",
    "can_manage_request",
    "can_respond",
    "can_view_response",
    "can_decide_response",
    "can_see_counterpart_contacts",
    "can_report",
    "can_report_target",
    "can_moderate_firm",
    "can_moderate_target",
    "can_restore_target",
    "can_verify_firm",
    "can_view_moderation",
    "can_request_review",
    "can_suspend_users",
    "can_view_audit_log",
    "can_manage_outbox",
    "can_manage_staff",
    "can_view_dashboard",
    "can_confirm_outcome",
    "can_set_confirmation_threshold",
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


def _on_team(user, firm_id) -> bool:
    """The user is the owner or an editor of the firm."""
    return _firm_role(user, firm_id) is not None


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
                CoordinatorTerm.covers(day),
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
    """Phone, e-mail and LINE are never shown to anonymous visitors. Signed-in users see them on firms
    with a public listing; a members-only firm's contacts are for its team, OSMEP staff, and firms it
    has accepted a collaboration with (see can_see_counterpart_contacts)."""
    if not (_active(user) and can_view_firm(user, firm)):
        return False
    return firm.has_public_consent or user.is_staff or firm_role(user, firm) is not None


def can_request_membership(user, firm) -> bool:
    """A firm's owner, with a confirmed address, asks for the firm to join clusters."""
    from portal.firms.models import FirmRole

    return _active(user) and user.is_confirmed and firm_role(user, firm) is FirmRole.OWNER


def can_withdraw_membership(user, membership) -> bool:
    """The firm's owner cancels its pending request or leaves the cluster."""
    from portal.firms.models import FirmRole

    return _active(user) and _firm_role(user, membership.firm_id) is FirmRole.OWNER


def can_answer_membership_invitation(user, membership) -> bool:
    """The firm's owner, with a confirmed address, accepts or declines a coordinator's invitation for the
    firm to join a cluster: no one else can make a firm a member without its owner's word."""
    from portal.firms.models import FirmRole

    return _active(user) and user.is_confirmed and _firm_role(user, membership.firm_id) is FirmRole.OWNER


def can_manage_cluster(user, cluster) -> bool:
    """Coordinators manage their own clusters during their term; OSMEP staff manage every cluster."""
    return _active(user) and (user.is_staff or is_coordinator(user, cluster))


def can_decide_membership(user, membership) -> bool:
    """Whoever manages the membership's cluster approves, declines, removes, edits positions and notes;
    but a coordinator never decides on a firm whose team includes them: OSMEP staff do."""
    from portal.clusters.models import Cluster

    cluster = db.session.get(Cluster, membership.cluster_id)
    if not can_manage_cluster(user, cluster):
        return False
    return user.is_staff or not _on_team(user, membership.firm_id)


def can_appoint_coordinators(user) -> bool:
    """OSMEP staff appoint coordinators and end their terms."""
    return _active(user) and user.is_staff


# --- collaboration requests ----------------------------------------------------------------------

def _is_member_firm(firm_id: int, cluster_id: int | None) -> bool:
    """The firm is an approved member of the cluster (or, with no cluster, of any cluster)."""
    from portal.clusters.models import Membership, MembershipStatus

    query = db.select(Membership.id).where(Membership.firm_id == firm_id,
                                           Membership.status == MembershipStatus.APPROVED)
    if cluster_id is not None:
        query = query.where(Membership.cluster_id == cluster_id)
    return db.session.scalar(query.limit(1)) is not None


def can_post_request(user, firm, cluster_id: int | None = None) -> bool:
    """A confirmed member of the firm's team posts for it: in a cluster the firm is a member of, or
    open to all clusters if it is a member of any. Hidden firms cannot post."""
    return (_active(user) and user.is_confirmed and not firm.is_hidden
            and firm_role(user, firm) is not None and _is_member_firm(firm.id, cluster_id))


def can_view_request(user, request) -> bool:
    """A request is seen by whoever may see the firm that posted it. Once moderators hide it, only the
    posting firm's team and those who moderate it (can_moderate_target) still see it."""
    from portal.firms.models import Firm

    if not can_view_firm(user, db.session.get(Firm, request.firm_id)):
        return False
    return (not request.is_hidden or _on_team(user, request.firm_id)
            or can_moderate_target(user, "request", request))


def can_manage_request(user, request) -> bool:
    """The posting firm's team edits, renews, closes the request and decides on responses."""
    return _active(user) and _firm_role(user, request.firm_id) is not None


def can_respond(user, request, firm) -> bool:
    """Another member firm (of the request's cluster, if it has one) answers an open request it can see,
    through a confirmed member of its team. Nobody on the posting firm's team responds, from whichever of
    their firms (that would be a deal with oneself). One response per firm."""
    from portal.collab.models import RequestStatus

    return (_active(user) and user.is_confirmed and firm.id != request.firm_id and not firm.is_hidden
            and firm_role(user, firm) is not None and not _on_team(user, request.firm_id)
            and request.status is RequestStatus.OPEN and request.expires_on >= bangkok_today()
            and can_view_request(user, request) and _is_member_firm(firm.id, request.cluster_id))


def can_view_response(user, response) -> bool:
    """A response and its thread (every message in it) are private to the two firms' teams and OSMEP
    staff. Once moderators hide the response, the posting firm's team no longer sees it; the responding
    firm's team still does, to ask for a review."""
    from portal.collab.models import CollabRequest

    if not _active(user):
        return False
    if user.is_staff or _on_team(user, response.firm_id):
        return True
    request = db.session.get(CollabRequest, response.request_id)
    return not response.is_hidden and _on_team(user, request.firm_id)


def can_decide_response(user, response) -> bool:
    """The posting firm shortlists, accepts or declines a response while its request is open."""
    from portal.collab.models import CollabRequest, RequestStatus

    request = db.session.get(CollabRequest, response.request_id)
    return can_manage_request(user, request) and request.status is RequestStatus.OPEN


def can_see_counterpart_contacts(user, response, counterpart) -> bool:
    """In a thread, each side sees the other's contacts once the response is accepted, or if the other
    firm's profile is public anyway."""
    from portal.collab.models import ResponseStatus

    return can_view_response(user, response) and (
        response.status is ResponseStatus.ACCEPTED or can_view_firm_contacts(user, counterpart))


# --- moderation -----------------------------------------------------------------------------------

def active_cluster_ids(user) -> set[int]:
    from portal.clusters.models import CoordinatorTerm

    if not _active(user):
        return set()
    key = ("clusters", user.id)
    cache = g.setdefault("_permission_cache", {}) if has_app_context() else {}
    if key not in cache:
        today = bangkok_today()
        cache[key] = set(db.session.scalars(db.select(CoordinatorTerm.cluster_id).where(
            CoordinatorTerm.user_id == user.id, CoordinatorTerm.covers(today))))
    return cache[key]


def can_report(user) -> bool:
    """Any signed-in user reports a listing (what they can see: can_report_target)."""
    return _active(user)


def _thread_of(target_type: str, obj):
    """The response whose private thread a response or message belongs to."""
    from portal.collab.models import Response

    return obj if target_type == "response" else db.session.get(Response, obj.response_id)


def can_report_target(user, target_type: str, obj) -> bool:
    """A signed-in user reports only what they may see, by the rules of its page: a firm (can_view_firm),
    a request (can_view_request), a response (can_view_response); a message iff its thread is visible.
    Nobody reports what their own firm wrote (its profile, request, response or message): they edit it."""
    if not can_report(user):
        return False
    if target_type in ("firm", "request", "response", "message") \
            and _on_team(user, obj.id if target_type == "firm" else obj.firm_id):
        return False
    if target_type == "firm":
        return can_view_firm(user, obj)
    if target_type == "request":
        return can_view_request(user, obj)
    if target_type in ("response", "message"):
        return can_view_response(user, _thread_of(target_type, obj))
    return False


def can_moderate_firm(user, firm_id: int) -> bool:
    """OSMEP staff moderate everything; coordinators the listings of firms that are members of their
    clusters, but never a firm whose team includes them (OSMEP staff decide those)."""
    from portal.clusters.models import Membership, MembershipStatus

    if not _active(user):
        return False
    if user.is_staff:
        return True
    clusters = active_cluster_ids(user)
    return bool(clusters) and db.session.scalar(db.select(Membership.id).where(
        Membership.firm_id == firm_id, Membership.cluster_id.in_(clusters),
        Membership.status == MembershipStatus.APPROVED).limit(1)) is not None and not _on_team(user, firm_id)


def _firms_concerned(target_type: str, obj) -> set[int]:
    """The firms a moderation decision concerns: the target's own firm and, for thread content, both sides."""
    from portal.collab.models import CollabRequest

    if target_type == "firm":
        return {obj.id}
    if target_type == "request":
        return {obj.firm_id}
    response = _thread_of(target_type, obj)
    return {obj.firm_id, response.firm_id, db.session.get(CollabRequest, response.request_id).firm_id}


def _is_reported(target_type: str, target_id: int) -> bool:
    from portal.moderation.models import Report

    return db.session.scalar(db.select(Report.id).where(
        Report.target_type == target_type, Report.target_id == target_id).limit(1)) is not None


def can_moderate_target(user, target_type: str, obj) -> bool:
    """Who opens a listing's moderation page, dismisses its reports and hides it. OSMEP staff: everything.
    A coordinator: firms and requests of their clusters' member firms (can_moderate_firm); a response or a
    message, private to the two firms, only once someone has reported that very one, and never anything
    concerning a firm whose team includes them (for thread content: either side)."""
    if not _active(user):
        return False
    if user.is_staff:
        return True
    if target_type not in ("firm", "request", "response", "message"):
        return False
    if not can_moderate_firm(user, obj.id if target_type == "firm" else obj.firm_id):
        return False
    if target_type in ("response", "message") and not _is_reported(target_type, obj.id):
        return False
    return not any(_on_team(user, firm_id) for firm_id in _firms_concerned(target_type, obj))


def can_restore_target(user, target_type: str, obj) -> bool:
    """A hidden listing is restored by whoever moderates it (can_moderate_target), except that what OSMEP
    staff hid (by hand, or by suspending its owner) only staff restore."""
    from portal.auth.models import User

    if not (obj.is_hidden and can_moderate_target(user, target_type, obj)):
        return False
    if user.is_staff:
        return True
    if getattr(obj, "hidden_for_suspension_of", None) is not None or obj.hidden_by_id is None:
        return False
    hider = db.session.get(User, obj.hidden_by_id)
    return hider is not None and not hider.is_staff


def can_verify_firm(user, firm) -> bool:
    """Staff, and coordinators for their own clusters' members, verify a firm's registration; never a
    coordinator for a firm whose team includes them."""
    return can_moderate_firm(user, firm.id)


def can_view_moderation(user) -> bool:
    """The moderation queue is for staff and for coordinators during a term."""
    return _active(user) and (user.is_staff or bool(active_cluster_ids(user)))


def can_request_review(user, firm_id: int) -> bool:
    """The team of the firm behind a hidden listing may ask for a review."""
    return _active(user) and _firm_role(user, firm_id) is not None


def can_suspend_users(user) -> bool:
    """Staff suspend and reinstate accounts."""
    return _active(user) and user.is_staff


def can_view_audit_log(user) -> bool:
    return _active(user) and user.is_staff


def can_manage_outbox(user) -> bool:
    """OSMEP staff see the outgoing messages (queued, sent, failed and why) and retry or cancel them."""
    return _active(user) and user.is_staff


def can_manage_staff(user) -> bool:
    """Administrators appoint and remove OSMEP staff in the portal (and anyone with the CLI)."""
    from portal.auth.models import Role

    return _active(user) and user.role is Role.ADMIN


def can_view_dashboard(user) -> bool:
    """Programme figures: staff see every cluster, coordinators their own (the public a summary)."""
    return _active(user) and (user.is_staff or bool(active_cluster_ids(user)))


def can_confirm_outcome(user, outcome) -> bool:
    """OSMEP staff confirm or query any reported partnership value. A coordinator of the request's cluster
    confirms or queries one, unless their team includes the posting or the partner firm, or the value is
    above the threshold OSMEP staff set (portal.admin.services.staff_confirmation_threshold): staff decide
    those."""
    from portal.admin.services import staff_confirmation_threshold
    from portal.collab.models import CollabRequest

    if not _active(user):
        return False
    if user.is_staff:
        return True
    request = db.session.get(CollabRequest, outcome.request_id)
    if request.cluster_id is None or request.cluster_id not in active_cluster_ids(user):
        return False
    if _on_team(user, request.firm_id) or _on_team(user, outcome.partner_firm_id):
        return False
    return outcome.value_baht <= staff_confirmation_threshold()


def can_set_confirmation_threshold(user) -> bool:
    """OSMEP staff set the value above which only staff confirm a reported partnership."""
    return _active(user) and user.is_staff


def require(allowed: bool) -> None:
    """Stop the request unless allowed: anonymous users go to sign-in, signed-in users get 403."""
    if allowed:
        return
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    abort(403)
