"""Who may do what. Every rule is written here once, and asked by views, templates and services.

Each rule takes the user (possibly anonymous) and the object, and returns a bool. What a rule needs to know
about its viewer (their role in each firm, the clusters they coordinate today) is read once per session
transaction by `viewer_facts` and kept on the user object; any flush that changes a team or a coordinator
term, and any rollback, makes the session read it again, so a rule never answers from a stale copy.
Where a list needs a rule in SQL, its twin says so in its docstring and a test checks that the two agree.
"""
import hmac
import ipaddress
from dataclasses import dataclass
from datetime import date
from functools import cache

from flask import abort
from flask_login import current_user
from sqlalchemy import Integer, String, bindparam, cast, event, func, null, select, union_all

from portal.admin.models import staff_confirmation_threshold
from portal.auth.models import Role, User
from portal.clusters.models import CoordinatorTerm, Membership, MembershipStatus
from portal.collab.models import DECISIONS, CollabRequest, RequestStatus, Response, ResponseStatus
from portal.collab.queries import accepted_elsewhere
from portal.db import utcnow
from portal.events.models import (
    LIVE_REQUESTS,
    EventStatus,
    MeetingRequest,
    MeetingRequestStatus,
    MeetingState,
    Registration,
    RegistrationStatus,
)
from portal.extensions import db, login_manager
from portal.firms.models import Firm, FirmMember, FirmRole
from portal.moderation.models import Report
from portal.thai import bangkok_today

__all__ = [
    "can_manage_api_tokens",
    "can_revoke_api_token",
    "can_manage_service_tokens",
    "is_service_actor",
    "can_view_consents",
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
    "must_use_two_factor",
    "is_coordinator",
    "managed_cluster_ids",
    "can_post_request",
    "can_view_request",
    "is_out_of_view",
    "can_manage_request",
    "can_edit_request",
    "can_close_request",
    "can_renew_request",
    "can_respond",
    "can_view_response",
    "can_decide_response",
    "response_decisions",
    "can_withdraw_response",
    "can_write_in_thread",
    "writing_side",
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
    "can_suspend_user",
    "can_view_audit_log",
    "can_sign_in_with_line",
    "can_link_line",
    "can_unlink_line",
    "can_manage_outbox",
    "can_manage_staff",
    "can_manage_webhooks",
    "can_set_staff",
    "can_view_dashboard",
    "can_view_scorecard",
    "can_follow_firm",
    "can_follow_cluster",
    "can_save_search",
    "can_stop_alert",
    "can_end_device_session",
    "can_view_followups",
    "can_view_all_scorecards",
    "can_confirm_outcome",
    "can_set_confirmation_threshold",
    "can_edit_glossary",
    "can_request_export",
    "can_download_export",
    "can_delete_account",
    "can_create_event",
    "can_manage_event",
    "can_schedule_event",
    "can_view_event",
    "can_register_for_event",
    "can_decide_registration",
    "can_view_attendees",
    "can_request_meeting",
    "can_answer_meeting_request",
    "can_withdraw_registration",
    "can_cancel_meeting_request",
    "request_side",
    "can_view_agenda",
    "can_check_in",
    "can_mark_meeting",
    "meeting_side",
    "can_rate_meeting",
]


# --- what the rules know about their viewer ---------------------------------------------------------

@dataclass(frozen=True)
class ViewerFacts:
    roles: dict  # firm id -> FirmRole
    coordinating: frozenset  # ids of the clusters with a coordinator term covering `day`
    day: date
    generation: object  # the session's facts generation they were read in


_GENERATION = "permission_facts_generation"


def _generation(session) -> object:
    return session.info.setdefault(_GENERATION, object())


def _forget_facts(session, *_args) -> None:
    session.info[_GENERATION] = object()


def _after_flush(session, _flush_context) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(obj, FirmMember | CoordinatorTerm) for obj in changed):
        _forget_facts(session)


def init_app(app) -> None:
    """Keep viewer facts fresh: a flush touching teams or coordinator terms, or a rollback, forgets them."""
    for name, listener in (("after_flush", _after_flush), ("after_soft_rollback", _forget_facts)):
        if not event.contains(db.session, name, listener):
            event.listen(db.session, name, listener)


def viewer_facts(user) -> ViewerFacts:
    """The user's firm roles and today's coordinated clusters, read once and reused until a change."""
    generation, today = _generation(db.session()), bangkok_today()
    facts = getattr(user, "_viewer_facts", None)
    if facts is None or facts.generation is not generation or facts.day != today:
        # One query for both (every signed-in page counts against its five): a team row carries its role,
        # a coordinator term none.
        rows = db.session.execute(union_all(
            select(FirmMember.firm_id, cast(FirmMember.role, String)).where(FirmMember.user_id == user.id),
            select(CoordinatorTerm.cluster_id, null()).where(CoordinatorTerm.user_id == user.id,
                                                            CoordinatorTerm.covers(today)))).all()
        roles = {firm_id: FirmRole(role) for firm_id, role in rows if role is not None}
        coordinating = frozenset(cluster_id for cluster_id, role in rows if role is None)
        facts = ViewerFacts(roles, coordinating, today, generation)
        user._viewer_facts = facts
    return facts


def facts_columns(today) -> tuple:
    """The viewer's facts as two columns of the query that loads the signed-in user
    (portal.auth.services.load_user), so that no signed-in page spends a query of its own on them: the team
    rows as "firm_id:role" and the clusters coordinated on `today` (a date, or a bound parameter for one), each
    joined by commas (NULL for none)."""
    teams = (select(func.aggregate_strings(cast(FirmMember.firm_id, String) + ":" + cast(FirmMember.role, String),
                                           ","))
             .where(FirmMember.user_id == User.id).correlate(User).scalar_subquery())
    terms = (select(func.aggregate_strings(cast(CoordinatorTerm.cluster_id, String), ","))
             .where(CoordinatorTerm.user_id == User.id, CoordinatorTerm.covers(today)).correlate(User)
             .scalar_subquery())
    return teams, terms


def remember_facts(user, teams: str | None, terms: str | None, today: date) -> None:
    """Keep the facts read by facts_columns() as the user's, as viewer_facts() would have read them."""
    roles = {int(firm_id): FirmRole(role) for firm_id, role in (row.split(":", 1) for row in teams.split(","))} \
        if teams else {}
    coordinating = frozenset(int(cluster_id) for cluster_id in terms.split(",")) if terms else frozenset()
    user._viewer_facts = ViewerFacts(roles, coordinating, today, _generation(db.session()))


def _active(user) -> bool:
    return user is not None and user.is_authenticated and not user.is_suspended


def firm_role(user, firm):
    """The user's FirmRole in the firm, or None."""
    return _firm_role(user, firm.id)


def _firm_role(user, firm_id):
    if not _active(user) or firm_id is None:
        return None
    return viewer_facts(user).roles.get(firm_id)


def _on_team(user, firm_id) -> bool:
    """The user is the owner or an editor of the firm."""
    return _firm_role(user, firm_id) is not None


def active_cluster_ids(user) -> frozenset[int]:
    """The clusters the user coordinates today."""
    return viewer_facts(user).coordinating if _active(user) else frozenset()


def is_coordinator(user, cluster, day=None) -> bool:
    """The user holds a coordinator term for the cluster that covers `day` (today in Bangkok)."""
    if not _active(user):
        return False
    if day is None or day == bangkok_today():
        return cluster.id in active_cluster_ids(user)
    return db.session.scalar(select(CoordinatorTerm.id).where(
        CoordinatorTerm.user_id == user.id, CoordinatorTerm.cluster_id == cluster.id,
        CoordinatorTerm.covers(day)).limit(1)) is not None


def managed_cluster_ids(user) -> frozenset[int] | None:
    """The clusters whose figures, members and reports the user may see as a manager: None for OSMEP staff
    (every cluster), the clusters they coordinate today for a coordinator, none for anyone else."""
    if not _active(user):
        return frozenset()
    return None if user.is_staff else active_cluster_ids(user)


def must_use_two_factor(user) -> bool:
    """Accounts that may not be used without a second factor: those whose kind is listed in the setting
    TWO_FACTOR_REQUIRED_ROLES ("staff", "admin", "coordinator": a coordinator term covering today).
    Everyone else may still choose one. A suspended or anonymous user is never asked (cannot sign in)."""
    if not _active(user):
        return False
    from flask import current_app

    required = set(current_app.config.get("TWO_FACTOR_REQUIRED_ROLES") or ())
    if user.role.value in required:
        return True
    return "coordinator" in required and bool(active_cluster_ids(user))


def can_manage_api_tokens(user) -> bool:
    """Any active, confirmed account may make personal access tokens for the JSON API (portal/api/): a
    token sees and does only what its owner may, so it adds no rights."""
    return _active(user) and not user.is_erased and user.is_confirmed


def can_revoke_api_token(user, token) -> bool:
    """A token's owner revokes it (even a suspended owner's tokens stop working by themselves)."""
    return _active(user) and token.user_id == user.id


def can_use_api_token(token, now, write: bool = False) -> bool:
    """A request signed with a token acts as its owner while the token is neither revoked nor expired and
    the owner is neither suspended nor erased; writing needs the write scope. A service token has no owner
    (it acts as its OSMEP system, portal.api.models.ServiceActor): revoked or expired is all that stops it."""
    if token is None or not token.is_usable(now):
        return False
    if not token.is_service and not token.user.is_active:
        return False
    return token.can_write or not write


def can_manage_service_tokens(user) -> bool:
    """Administrators make, list and revoke service tokens for OSMEP's systems. A service token reads every
    visible firm's contacts, as staff do, so giving one is the administrators' call, as appointing staff is."""
    return _active(user) and user.role is Role.ADMIN


def is_service_actor(user) -> bool:
    """The request acts for an OSMEP system through a service token, not for a person. Such an actor holds
    no firm role, no coordinator term and no staff role, and is not a confirmed person: every write rule
    below refuses it, because none names it (no write is open to service tokens yet). What it reads:
    whatever a signed-in account reads, plus the contacts of every firm it may see (can_view_firm_contacts)."""
    return bool(getattr(user, "is_service", False))


def can_create_firm(user) -> bool:
    """Any signed-in user with a confirmed e-mail address may create a firm (and becomes its owner)."""
    return _active(user) and user.is_confirmed


def can_edit_firm(user, firm) -> bool:
    """The firm's owner and editors edit its profile, even while it is hidden (to fix it)."""
    return _active(user) and firm_role(user, firm) is not None


def can_manage_firm_team(user, firm) -> bool:
    """Only the owner invites and removes editors."""
    return _active(user) and firm_role(user, firm) is FirmRole.OWNER


def can_view_firm(user, firm) -> bool:
    """Hidden firms: their own team and OSMEP staff only. Without consent to a public listing (PDPA):
    signed-in users only. Otherwise anyone. SQL twin: portal.firms.queries.visible_firm_filter (lists
    never show hidden firms, not even to their team)."""
    if firm.is_hidden:
        return _active(user) and (user.is_staff or firm_role(user, firm) is not None)
    if not firm.has_public_consent:
        return _active(user)
    return True


def can_view_firm_contacts(user, firm) -> bool:
    """Phone, e-mail and LINE are never shown to anonymous visitors. Signed-in users see them on firms
    with a public listing; a members-only firm's contacts are for its team, OSMEP staff, and firms it
    has accepted a collaboration with (see can_see_counterpart_contacts); OSMEP's systems, through a
    service token, as staff do."""
    if not (_active(user) and can_view_firm(user, firm)):
        return False
    return (firm.has_public_consent or user.is_staff or is_service_actor(user)
            or firm_role(user, firm) is not None)


def can_request_membership(user, firm) -> bool:
    """A firm's owner, with a confirmed address, asks for the firm to join clusters."""
    return _active(user) and user.is_confirmed and firm_role(user, firm) is FirmRole.OWNER


def can_withdraw_membership(user, membership) -> bool:
    """The firm's owner cancels its pending request or leaves the cluster."""
    return _active(user) and _firm_role(user, membership.firm_id) is FirmRole.OWNER


def can_answer_membership_invitation(user, membership) -> bool:
    """The firm's owner, with a confirmed address, accepts or declines a coordinator's invitation for the
    firm to join a cluster: no one else can make a firm a member without its owner's word."""
    return _active(user) and user.is_confirmed and _firm_role(user, membership.firm_id) is FirmRole.OWNER


def can_manage_cluster(user, cluster) -> bool:
    """Coordinators manage their own clusters during their term; OSMEP staff manage every cluster."""
    return _active(user) and (user.is_staff or is_coordinator(user, cluster))


def can_decide_membership(user, membership) -> bool:
    """Whoever manages the membership's cluster approves, declines, removes, edits positions and notes;
    but a coordinator never decides on a firm whose team includes them: OSMEP staff do."""
    if not _active(user):
        return False
    if user.is_staff:
        return True
    return membership.cluster_id in active_cluster_ids(user) and not _on_team(user, membership.firm_id)


def can_appoint_coordinators(user) -> bool:
    """OSMEP staff appoint coordinators and end their terms."""
    return _active(user) and user.is_staff


# --- collaboration requests ----------------------------------------------------------------------

def _is_member_firm(firm_id: int, cluster_id: int | None) -> bool:
    """The firm is an approved member of the cluster (or, with no cluster, of any cluster)."""
    return db.session.scalar(_member_firm_statement(cluster_id is not None),
                             {"firm_id": firm_id, "cluster_id": cluster_id}) is not None


@cache
def _member_firm_statement(in_cluster: bool):
    """_is_member_firm's statement, built once with and once without a cluster (the values are parameters)."""
    query = select(Membership.id).where(Membership.firm_id == bindparam("firm_id", type_=Integer),
                                        Membership.status == MembershipStatus.APPROVED)
    if in_cluster:
        query = query.where(Membership.cluster_id == bindparam("cluster_id", type_=Integer))
    return query.limit(1)


def can_post_request(user, firm, cluster_id: int | None = None) -> bool:
    """A confirmed member of the firm's team posts for it: in a cluster the firm is a member of, or
    open to all clusters if it is a member of any. Hidden firms cannot post."""
    return (_active(user) and user.is_confirmed and not firm.is_hidden
            and firm_role(user, firm) is not None and _is_member_firm(firm.id, cluster_id))


def can_view_request(user, request) -> bool:
    """A request is seen by whoever may see the firm that posted it. Once moderators hide it, only the
    posting firm's team and those who moderate it (can_moderate_target) still see it."""
    if not can_view_firm(user, db.session.get(Firm, request.firm_id)):
        return False
    return (not request.is_hidden or _on_team(user, request.firm_id)
            or can_moderate_target(user, "request", request))


def is_out_of_view(user, request) -> bool:
    """A request hidden by moderators (or posted by a hidden firm) that the user may not see: its pages
    answer as if it did not exist (404), as the firm's own page does, rather than asking to sign in."""
    hidden = request.is_hidden or db.session.get(Firm, request.firm_id).is_hidden
    return hidden and not can_view_request(user, request)


def can_manage_request(user, request) -> bool:
    """The posting firm's team looks after the request: sees its responses, edits, renews and closes it
    (each while its state allows, below) and decides on responses."""
    return _active(user) and _firm_role(user, request.firm_id) is not None


def can_edit_request(user, request) -> bool:
    """The posting firm's team edits a request while it is open."""
    return can_manage_request(user, request) and request.status is RequestStatus.OPEN


def can_close_request(user, request) -> bool:
    """The posting firm's team closes an open request (partnered, not fulfilled, withdrawn)."""
    return can_manage_request(user, request) and request.status is RequestStatus.OPEN


def can_renew_request(user, request) -> bool:
    """The posting firm's team extends an open request or reopens one that expired, never one it closed."""
    return can_manage_request(user, request) and request.is_renewable


def can_respond(user, request, firm) -> bool:
    """Another member firm (of the request's cluster, if it has one) answers an open request it can see,
    through a confirmed member of its team. Nobody on the posting firm's team responds, from whichever of
    their firms (that would be a deal with oneself). One response per firm."""
    return (_active(user) and user.is_confirmed and firm.id != request.firm_id and not firm.is_hidden
            and firm_role(user, firm) is not None and not _on_team(user, request.firm_id)
            and request.is_open_on(bangkok_today())
            and can_view_request(user, request) and _is_member_firm(firm.id, request.cluster_id))


def can_view_response(user, response) -> bool:
    """A response and its thread (every message in it) are private to the two firms' teams and OSMEP
    staff. Once moderators hide the response, the posting firm's team no longer sees it; the responding
    firm's team still does, to ask for a review."""
    if not _active(user):
        return False
    if user.is_staff or _on_team(user, response.firm_id):
        return True
    request = db.session.get(CollabRequest, response.request_id)
    return not response.is_hidden and _on_team(user, request.firm_id)


def can_decide_response(user, response, to: ResponseStatus | None = None) -> bool:
    """The posting firm shortlists, accepts or declines responses it can see (not one moderators hid) while
    its request is open. With `to`: that decision, now, along the response's transitions
    (portal.collab.models.RESPONSE_TRANSITIONS)."""
    request = db.session.get(CollabRequest, response.request_id)
    if not (can_manage_request(user, request) and request.status is RequestStatus.OPEN
            and can_view_response(user, response)):
        return False
    if to is None:
        return True
    return (to in DECISIONS and response.can_move_to(to)
            and not (to is ResponseStatus.ACCEPTED and accepted_elsewhere(response)))  # one partner per request


def response_decisions(user, response) -> list[ResponseStatus]:
    """The decisions the user may take on the response now, in the order they are offered."""
    return [d for d in DECISIONS if can_decide_response(user, response, d)]


def can_withdraw_response(user, response, now: bool = True) -> bool:
    """The responding firm's team withdraws its response while it waits or is shortlisted (`now` False:
    whatever its state, for a service that explains why not)."""
    return (_active(user) and _on_team(user, response.firm_id)
            and (not now or response.can_move_to(ResponseStatus.WITHDRAWN)))


def can_write_in_thread(user, response) -> bool:
    """Only the two firms' teams write in a response's thread (OSMEP staff read it), while the response is
    neither declined nor withdrawn, and while they may see it."""
    if not (can_view_response(user, response) and not response.is_closed):
        return False
    request = db.session.get(CollabRequest, response.request_id)
    return _on_team(user, response.firm_id) or _on_team(user, request.firm_id)


def writing_side(user, response) -> int | None:
    """The firm the user writes for in the thread: the responding firm if they are on its team, else the
    posting firm; None if they may not write (can_write_in_thread)."""
    if not can_write_in_thread(user, response):
        return None
    if _on_team(user, response.firm_id):
        return response.firm_id
    return db.session.get(CollabRequest, response.request_id).firm_id


def can_see_counterpart_contacts(user, response, counterpart) -> bool:
    """In a thread, each side sees the other's contacts once the response is accepted, or if the other
    firm's profile is public anyway."""
    return can_view_response(user, response) and (
        response.status is ResponseStatus.ACCEPTED or can_view_firm_contacts(user, counterpart))


# --- moderation -----------------------------------------------------------------------------------

def can_report(user) -> bool:
    """Any signed-in user reports a listing (what they can see: can_report_target)."""
    return _active(user)


def _thread_of(target_type: str, obj):
    """The response whose private thread a response or message belongs to."""
    return obj if target_type == "response" else db.session.get(Response, obj.response_id)


def can_report_target(user, target_type: str, obj) -> bool:
    """A signed-in user reports only what they may see, by the rules of its page: a firm (can_view_firm),
    a request (can_view_request), a response (can_view_response); a message iff its thread is visible.
    Nobody reports what their own firm wrote (its profile, request, response or message): they edit it."""
    if not can_report(user) or target_type not in ("firm", "request", "response", "message"):
        return False
    if _on_team(user, obj.id if target_type == "firm" else obj.firm_id):
        return False
    if target_type == "firm":
        return can_view_firm(user, obj)
    if target_type == "request":
        return can_view_request(user, obj)
    return can_view_response(user, _thread_of(target_type, obj))


def can_moderate_firm(user, firm_id: int) -> bool:
    """OSMEP staff moderate everything; coordinators the listings of firms that are members of their
    clusters, but never a firm whose team includes them (OSMEP staff decide those)."""
    if not _active(user):
        return False
    if user.is_staff:
        return True
    clusters = active_cluster_ids(user)
    return bool(clusters) and not _on_team(user, firm_id) and db.session.scalar(select(Membership.id).where(
        Membership.firm_id == firm_id, Membership.cluster_id.in_(clusters),
        Membership.status == MembershipStatus.APPROVED).limit(1)) is not None


def firms_concerned(target_type: str, obj) -> set[int]:
    """The firms a moderation decision concerns: the target's own firm and, for thread content, both sides."""
    if target_type == "firm":
        return {obj.id}
    if target_type == "request":
        return {obj.firm_id}
    response = _thread_of(target_type, obj)
    return {obj.firm_id, response.firm_id, db.session.get(CollabRequest, response.request_id).firm_id}


def _is_reported(target_type: str, target_id: int) -> bool:
    return db.session.scalar(select(Report.id).where(
        Report.target_type == target_type, Report.target_id == target_id).limit(1)) is not None


def can_moderate_target(user, target_type: str, obj) -> bool:
    """Who opens a listing's moderation page, dismisses its reports and hides it. OSMEP staff: everything.
    A coordinator: firms and requests of their clusters' member firms (can_moderate_firm); a response or a
    message, private to the two firms, only once someone has reported that very one, and never anything
    concerning a firm whose team includes them (for thread content: either side).
    SQL twin: portal.moderation.queries.moderatable (the moderation queue)."""
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
    return not any(_on_team(user, firm_id) for firm_id in firms_concerned(target_type, obj))


def can_restore_target(user, target_type: str, obj) -> bool:
    """A hidden listing is restored by whoever moderates it (can_moderate_target), except that what OSMEP
    staff hid (by hand, or by suspending its owner) only staff restore."""
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
    """Staff suspend and reinstate accounts (which ones: can_suspend_user)."""
    return _active(user) and user.is_staff


def can_suspend_user(user, target) -> bool:
    """Staff suspend or reinstate another account; never their own, and only an administrator suspends an
    administrator."""
    return (can_suspend_users(user) and target.id != user.id
            and (target.role is not Role.ADMIN or user.role is Role.ADMIN))


def can_sign_in_with_line(user) -> bool:
    """The account linked to a LINE user may sign in with LINE unless it is suspended (as with a password)."""
    return _active(user)


def can_link_line(user, own_link, taken=None) -> bool:
    """A signed-in, active user without a LINE link may link one LINE account (own_link: their link, if any),
    never a LINE account already linked to another portal account (taken: that LINE user's link, if known)."""
    return _active(user) and own_link is None and taken is None


def can_unlink_line(user, own_link) -> bool:
    """A signed-in, active user may unlink their own LINE account if they have a password to sign in with
    afterwards (an account made through LINE sets one first)."""
    return (_active(user) and own_link is not None and own_link.user_id == user.id
            and user.has_password)


def can_view_audit_log(user) -> bool:
    return _active(user) and user.is_staff


def can_request_export(user) -> bool:
    """Any signed-in account that is not suspended may ask for a copy of its own data, even while it
    waits for deletion (PDPA: a copy before one goes)."""
    return bool(user.is_authenticated) and not user.is_suspended and not user.is_erased


def can_download_export(user, data_export) -> bool:
    """A data export is downloaded by the user it belongs to and nobody else, OSMEP staff included."""
    return can_request_export(user) and data_export.user_id == user.id


def can_delete_account(user) -> bool:
    """Signed-in users may ask for their own account to be deleted (and nobody else's)."""
    return bool(user.is_authenticated) and not user.is_erased


def can_view_consents(user) -> bool:
    """OSMEP staff (the data controller's people) see anyone's consent history (PDPA: OSMEP must be able to
    show what each person consented to, and when)."""
    return _active(user) and user.is_staff


def can_manage_outbox(user) -> bool:
    """OSMEP staff see the outgoing messages (queued, sent, failed and why) and retry or cancel them."""
    return _active(user) and user.is_staff


def can_manage_webhooks(user) -> bool:
    """Administrators register webhook endpoints, see their delivery logs and replay deliveries: each endpoint
    receives programme data outside the portal, so OSMEP staff alone may not add one."""
    return _active(user) and user.role is Role.ADMIN


def can_manage_staff(user) -> bool:
    """Administrators appoint and remove OSMEP staff in the portal (and anyone with the CLI)."""
    return _active(user) and user.role is Role.ADMIN


def can_set_staff(user, target) -> bool:
    """An administrator makes another account OSMEP staff or a member again; administrators stay as they are."""
    return can_manage_staff(user) and target.role is not Role.ADMIN


def can_view_dashboard(user) -> bool:
    """Programme figures: staff see every cluster, coordinators their own (managed_cluster_ids; the public
    a summary)."""
    return _active(user) and (user.is_staff or bool(active_cluster_ids(user)))


def can_view_scorecard(user, cluster) -> bool:
    """A cluster's scorecard and funnels: its coordinators during a term, and OSMEP staff (every cluster).
    Being a member, or owning a firm in the cluster, is not enough: the figures compare members."""
    return _active(user) and (user.is_staff or cluster.id in active_cluster_ids(user))


def can_view_followups(user, cluster) -> bool:
    """Who has (not) answered the follow-up questions of a cluster's member firms, and one more reminder:
    its coordinators during a term, and OSMEP staff. Owning a member firm is not enough."""
    return _active(user) and (user.is_staff or cluster.id in active_cluster_ids(user))


def can_view_all_scorecards(user) -> bool:
    """All clusters side by side (with the programme median, and its CSV / Excel) is for OSMEP staff."""
    return _active(user) and user.is_staff


def can_confirm_outcome(user, outcome) -> bool:
    """OSMEP staff confirm or query any reported value (a partnership, or an agreement answered to a
    follow-up). A coordinator of the outcome's cluster (the request's) confirms or queries one, unless their
    team includes the reporting or the partner firm, or the value is above the threshold OSMEP staff set
    (portal.admin.models.staff_confirmation_threshold): staff decide those."""
    if not _active(user):
        return False
    if user.is_staff:
        return True
    if outcome.cluster_id is None or outcome.cluster_id not in active_cluster_ids(user):
        return False
    if _on_team(user, outcome.firm_id) or _on_team(user, outcome.partner_firm_id):
        return False
    return outcome.value_baht <= staff_confirmation_threshold()


def can_set_confirmation_threshold(user) -> bool:
    """OSMEP staff set the value above which only staff confirm a reported partnership."""
    return _active(user) and user.is_staff


def can_edit_glossary(user) -> bool:
    """OSMEP staff (and administrators) keep the search glossary; coordinators and firm owners do not."""
    return _active(user) and user.is_staff


# --- business matching days -----------------------------------------------------------------------

def can_create_event(user, cluster_ids=None) -> bool:
    """OSMEP staff organise matching days for any clusters or open to all; a coordinator, during a term,
    for clusters they coordinate, every one of them (never open to all). Without `cluster_ids`: whether the
    user may organise any event at all (to offer the link)."""
    if not _active(user):
        return False
    if user.is_staff:
        return True
    coordinating = active_cluster_ids(user)
    if cluster_ids is None:
        return bool(coordinating)
    return bool(cluster_ids) and set(cluster_ids) <= coordinating


def can_manage_event(user, event) -> bool:
    """Who organises an event (edits it, opens it, decides on registrations, sees every request and
    exports them): OSMEP staff, and the coordinators of one of its clusters during their term."""
    if not _active(user):
        return False
    return user.is_staff or bool(event.cluster_ids & active_cluster_ids(user))


def can_schedule_event(user, event) -> bool:
    """The event's organisers make, change and publish its schedule, once it is open (a draft has no
    requests yet; a cancelled event has no day)."""
    return event.status in (EventStatus.OPEN, EventStatus.PUBLISHED) and can_manage_event(user, event)


def can_view_event(user, event) -> bool:
    """A draft event is seen by its organisers only; once open, by everyone."""
    return event.status is not EventStatus.DRAFT or can_manage_event(user, event)


def _eligible_firm(firm, event) -> bool:
    """A visible firm, an approved member of one of the event's clusters (of any cluster, if the event is
    open to all)."""
    if firm.is_hidden:
        return False
    if event.is_open_to_all:
        return _is_member_firm(firm.id, None)
    return db.session.scalar(select(Membership.id).where(
        Membership.firm_id == firm.id, Membership.cluster_id.in_(event.cluster_ids),
        Membership.status == MembershipStatus.APPROVED).limit(1)) is not None


def can_register_for_event(user, event, firm) -> bool:
    """A confirmed member of the firm's team registers it while the event's registration window is open
    (Bangkok dates), if the firm is eligible (_eligible_firm). One registration per firm: the service says
    so if there is one already."""
    return (_active(user) and user.is_confirmed and firm_role(user, firm) is not None
            and event.registration_open_on(bangkok_today()) and _eligible_firm(firm, event))


def can_decide_registration(user, registration) -> bool:
    """The event's organisers approve or decline a registration, never one of a firm whose team includes
    them (another organiser or OSMEP staff decide those)."""
    return (can_manage_event(user, registration.event) and not _on_team(user, registration.firm_id)
            and registration.event.status is not EventStatus.CANCELLED)


def _on_an_approved_team(user, event) -> bool:
    return any(_on_team(user, firm_id) for firm_id in db.session.scalars(select(Registration.firm_id).where(
        Registration.event_id == event.id, Registration.status == RegistrationStatus.APPROVED)))


def can_view_attendees(user, event) -> bool:
    """The attendee list (who comes, what they offer and seek) is for the organisers and the teams of
    firms approved for the event."""
    if not _active(user) or event.status is EventStatus.DRAFT:
        return can_manage_event(user, event)
    return can_manage_event(user, event) or _on_an_approved_team(user, event)


def live_request_count(registration) -> int:
    """Pending and accepted requests the registration's firm sent or received at its event."""
    return db.session.scalar(select(db.func.count(MeetingRequest.id)).where(
        MeetingRequest.status.in_(LIVE_REQUESTS),
        (MeetingRequest.from_registration_id == registration.id)
        | (MeetingRequest.to_registration_id == registration.id)))


def _live_between(one, other) -> bool:
    pair = {one.id, other.id}
    return db.session.scalar(select(MeetingRequest.id).where(
        MeetingRequest.status.in_(LIVE_REQUESTS), MeetingRequest.from_registration_id.in_(pair),
        MeetingRequest.to_registration_id.in_(pair)).limit(1)) is not None


def can_request_meeting(user, sender, receiver) -> bool:
    """A confirmed member of the sending firm's team asks another firm for a meeting: both registrations
    approved for the same event, booking open (Bangkok dates), neither firm hidden. Never to a firm whose
    team includes the user (their own firm, or a second firm they own: a meeting with oneself), never a
    second live (pending or accepted) request between the same two firms, and only while the sender has
    fewer live requests, sent or received, than the event's maximum of meetings per firm."""
    if not (_active(user) and user.is_confirmed and _on_team(user, sender.firm_id)):
        return False
    if sender.event_id != receiver.event_id or sender.firm_id == receiver.firm_id:
        return False
    if _on_team(user, receiver.firm_id) or not (sender.is_approved and receiver.is_approved):
        return False
    if sender.firm.is_hidden or receiver.firm.is_hidden or not sender.event.booking_open_on(bangkok_today()):
        return False
    return not _live_between(sender, receiver) and \
        live_request_count(sender) < sender.event.max_meetings_per_firm


def can_answer_meeting_request(user, meeting_request) -> bool:
    """Only the receiving firm's team accepts or declines a request, while it waits and booking is open,
    and never a request sent by a firm whose team includes them too."""
    receiver, sender = meeting_request.receiver, meeting_request.sender
    return (_active(user) and _on_team(user, receiver.firm_id) and not _on_team(user, sender.firm_id)
            and meeting_request.status is MeetingRequestStatus.PENDING
            and meeting_request.event.booking_open_on(bangkok_today()))


def _before_the_day(event) -> bool:
    """The event is open or published and its first slot has not begun."""
    if event.status not in (EventStatus.OPEN, EventStatus.PUBLISHED):
        return False
    slots = event.slots
    return not slots or utcnow() < slots[0].starts_at


def can_withdraw_registration(user, registration) -> bool:
    """A member of the firm's team withdraws its registration (waiting or approved) until the event's first
    slot begins; the organisers cannot withdraw a firm for it, and a declined or withdrawn registration stays
    as it is."""
    return (_active(user) and _on_team(user, registration.firm_id)
            and registration.status in (RegistrationStatus.PENDING, RegistrationStatus.APPROVED)
            and _before_the_day(registration.event))


def can_cancel_meeting_request(user, meeting_request) -> bool:
    """The sending firm's team takes back a request that waits; once accepted, either firm's team may cancel
    the meeting; both until the event's first slot begins (after that a meeting is marked held or no-show,
    not cancelled)."""
    if not _active(user) or not _before_the_day(meeting_request.event):
        return False
    side = request_side(user, meeting_request)
    if meeting_request.status is MeetingRequestStatus.PENDING:
        return side == "sender"
    return meeting_request.status is MeetingRequestStatus.ACCEPTED and side is not None


# --- the day itself (portal/events/day.py) -------------------------------------------------------------

def can_view_agenda(user, registration) -> bool:
    """A firm's agenda (its meetings, its check-in code) is for that firm's team and the event's organisers
    (OSMEP staff included); never for another firm's team, even one registered for the same event. Only an
    approved registration has an agenda."""
    if not _active(user) or not registration.is_approved:
        return False
    return _on_team(user, registration.firm_id) or can_manage_event(user, registration.event)


def can_check_in(user, event) -> bool:
    """The event's organisers (OSMEP staff included) check firms in at the desk, once it is open; firms never
    check themselves in."""
    return can_manage_event(user, event) and event.status in (EventStatus.OPEN, EventStatus.PUBLISHED)


def request_side(user, meeting_request) -> str | None:
    """"sender" or "receiver": the side of the request whose team includes the user (the sender's, if the
    user is on both teams), or None."""
    if _on_team(user, meeting_request.sender.firm_id):
        return "sender"
    if _on_team(user, meeting_request.receiver.firm_id):
        return "receiver"
    return None


def meeting_side(user, meeting) -> str | None:
    """"sender" or "receiver": the side of the meeting whose team includes the user, or None."""
    return request_side(user, meeting.request)


def can_mark_meeting(user, meeting) -> bool:
    """Either firm's team or the event's organisers mark a placed meeting held or no-show, once its slot has
    begun, and only while it is still just scheduled (a mark is not taken back here)."""
    if not _active(user) or meeting.slot is None or meeting.state is not MeetingState.SCHEDULED:
        return False
    if meeting.slot.starts_at > utcnow():
        return False
    return meeting_side(user, meeting) is not None or can_manage_event(user, meeting.request.event)


def can_rate_meeting(user, meeting) -> bool:
    """After a held meeting each firm's team rates it for their side (once); organisers do not rate."""
    if not (_active(user) and meeting.state is MeetingState.HELD):
        return False
    side = meeting_side(user, meeting)
    return side is not None and getattr(meeting, f"{side}_rating") is None


def can_follow_firm(user, firm) -> bool:
    """A confirmed, active user follows a firm they may see that is not hidden, and not one of their own
    firms (its team is told of what happens to it already; an owner of two firms follows neither)."""
    return (_active(user) and user.is_confirmed and not firm.is_hidden and can_view_firm(user, firm)
            and firm_role(user, firm) is None)


def can_follow_cluster(user, cluster) -> bool:
    """Any confirmed, active user follows any cluster (cluster pages are public)."""
    return _active(user) and user.is_confirmed


def can_save_search(user) -> bool:
    """Confirmed, active users save directory and board searches to be alerted of new matches."""
    return _active(user) and user.is_confirmed


def can_stop_alert(user, row) -> bool:
    """A follow or a saved search is stopped in the portal by its own user only (staff do not manage other
    people's alerts). Anyone holding an alert e-mail's signed link stops that one alert without signing in,
    a suspended user too (portal/following/services.stop_by_token)."""
    return _active(user) and row.user_id == user.id


def can_end_device_session(user, row) -> bool:
    """A signed-in user ends their own device sessions that are still going; nobody ends another user's
    (staff end them all by suspending the account)."""
    return _active(user) and row.user_id == user.id and row.ended_at is None


def can_read_metrics(address: str | None, authorization: str | None, allowed_ips, token: str | None) -> bool:
    """/metrics (Prometheus) is for the monitoring, not for people: a client address inside one of
    METRICS_ALLOWED_IPS (addresses or networks, as seen after ProxyFix), or `Authorization: Bearer <token>`
    matching a configured METRICS_TOKEN (compared in constant time). No session, no role, no staff."""
    scheme, _, presented = (authorization or "").partition(" ")
    if token and scheme.lower() == "bearer" and presented.strip():
        if hmac.compare_digest(presented.strip().encode(), token.encode()):
            return True
    try:
        client = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    for entry in allowed_ips or ():
        try:
            if client in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue  # a mistyped entry allows nothing (Config.check() refuses it at start)
    return False


def require(allowed: bool) -> None:
    """Stop the request unless allowed: anonymous users go to sign-in, signed-in users get 403."""
    if allowed:
        return
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    abort(403)
