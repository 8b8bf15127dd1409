"""Reports and moderation: dismiss, hide (with a reason the owner sees), restore, review, verify,
suspend and reinstate. Nothing is deleted; every action is audited and the owner is told."""
from flask import url_for
from flask_babel import force_locale
from sqlalchemy import select, update

from portal import audit
from portal.auth.models import Role, User
from portal.collab.models import CollabRequest, Response
from portal.db import utcnow
from portal.devices import services as devices
from portal.exceptions import PermissionDenied, RuleViolation
from portal.extensions import db
from portal.firms.models import Firm, FirmMember, FirmRole
from portal.firms.queries import team_members
from portal.i18n import lazy_gettext as _l
from portal.moderation.models import Report, ReportReason, ReportStatus
from portal.moderation.queries import TARGETS
from portal.notifications.services import notify, register_kind
from portal.permissions import (
    can_moderate_target,
    can_report_target,
    can_request_review,
    can_restore_target,
    can_set_staff,
    can_suspend_user,
    can_verify_firm,
)


def load_target(target_type: str, target_id: int):
    model = TARGETS.get(target_type)
    return db.session.get(model, target_id) if model else None


def firm_behind(target_type: str, obj) -> int:
    return obj.id if target_type == "firm" else obj.firm_id


def report(actor: User, target_type: str, obj, reason: ReportReason, text: str | None) -> Report:
    if not can_report_target(actor, target_type, obj):
        raise PermissionDenied()
    if reason is ReportReason.OTHER and not (text or "").strip():
        raise RuleViolation(_l("Please say what is wrong."))
    existing = db.session.scalar(select(Report).where(
        Report.reporter_id == actor.id, Report.target_type == target_type, Report.target_id == obj.id,
        Report.status == ReportStatus.OPEN))
    if existing is not None:
        return existing  # reported already; not counted twice
    entry = Report(reporter_id=actor.id, target_type=target_type, target_id=obj.id,
                   firm_id=firm_behind(target_type, obj), reason=reason, text=(text or "").strip() or None)
    db.session.add(entry)
    db.session.flush()
    audit.record(actor, "report.filed", entry, target_ref=f"{target_type}:{obj.id}", reason=reason.value)
    return entry


def _close_reports(actor, target_type, obj, status):
    db.session.execute(update(Report).where(
        Report.target_type == target_type, Report.target_id == obj.id, Report.status == ReportStatus.OPEN,
    ).values(status=status, handled_by_id=actor.id, handled_at=utcnow()))


def _guard(actor, target_type, obj):
    if not can_moderate_target(actor, target_type, obj):
        raise PermissionDenied()


def dismiss(actor: User, target_type: str, obj, reason: str | None = None) -> None:
    _guard(actor, target_type, obj)
    _close_reports(actor, target_type, obj, ReportStatus.DISMISSED)
    audit.record(actor, "moderation.dismissed", obj, reason=reason, target_kind=target_type)


def hide(actor: User, target_type: str, obj, reason: str) -> None:
    """Hide from public view with a reason the owner sees; open reports count as acted on."""
    _guard(actor, target_type, obj)
    if not (reason or "").strip():
        raise RuleViolation(_l("Give the reason the owner will see."))
    obj.hidden_at, obj.hidden_by_id, obj.hidden_reason = utcnow(), actor.id, reason.strip()
    obj.review_requested_at = None
    _close_reports(actor, target_type, obj, ReportStatus.ACTIONED)
    audit.record(actor, "moderation.hidden", obj, reason=reason.strip(), target_kind=target_type)
    notify(team_members(firm_behind(target_type, obj)), "moderation.hidden", obj, reason=reason.strip(),
           listing=_listing(target_type, obj), **_link_params(target_type, obj))


def restore(actor: User, target_type: str, obj, reason: str | None = None) -> None:
    """Show a hidden listing again (can_restore_target: what staff hid, only staff restore)."""
    _guard(actor, target_type, obj)
    if obj.hidden_at is None:
        raise RuleViolation(_l("This is not hidden."))
    if not can_restore_target(actor, target_type, obj):
        raise PermissionDenied()
    obj.hidden_at = obj.hidden_by_id = obj.review_requested_at = None
    obj.hidden_reason = None
    if target_type == "firm":
        obj.hidden_for_suspension_of = None
    audit.record(actor, "moderation.restored", obj, reason=reason, target_kind=target_type)
    notify(team_members(firm_behind(target_type, obj)), "moderation.restored", obj, listing=_listing(target_type, obj),
           **_link_params(target_type, obj))


def request_review(actor: User, target_type: str, obj, text: str | None) -> None:
    """The owner asks staff to look again at a hidden listing."""
    if not can_request_review(actor, firm_behind(target_type, obj)):
        raise PermissionDenied()
    if obj.hidden_at is None:
        raise RuleViolation(_l("This is not hidden."))
    obj.review_requested_at = utcnow()
    audit.record(actor, "moderation.review_requested", obj, reason=(text or "").strip() or None,
                 target_kind=target_type)
    staff = list(db.session.scalars(select(User).where(User.is_staff,
                                                       User.suspended_at.is_(None))))
    notify(staff, "moderation.review_requested", obj, **_link_params(target_type, obj))


def verify(actor: User, firm: Firm) -> None:
    if not can_verify_firm(actor, firm):
        raise PermissionDenied()
    firm.verified_at, firm.verified_by_id = utcnow(), actor.id
    audit.record(actor, "firm.verified", firm, registration_number=firm.registration_number)


def unverify(actor: User, firm: Firm, reason: str | None = None) -> None:
    if not can_verify_firm(actor, firm):
        raise PermissionDenied()
    firm.verified_at = firm.verified_by_id = None
    audit.record(actor, "firm.verification_removed", firm, reason=reason)


def suspend(actor: User, user: User, reason: str) -> None:
    """Suspend an account: it cannot sign in, its sessions end, and the firms it owns leave public view."""
    if not can_suspend_user(actor, user):
        raise PermissionDenied()
    if not (reason or "").strip():
        raise RuleViolation(_l("Give a reason."))
    user.suspended_at = utcnow()
    devices.end_all(user, devices.SUSPENDED)
    owned = db.session.scalars(select(Firm).join(FirmMember).where(
        FirmMember.user_id == user.id, FirmMember.role == FirmRole.OWNER, Firm.hidden_at.is_(None)))
    for firm in owned:
        firm.hidden_at, firm.hidden_by_id, firm.hidden_for_suspension_of = utcnow(), actor.id, user.id
        firm.hidden_reason = reason.strip()
    audit.record(actor, "user.suspended", user, reason=reason.strip())


def reinstate(actor: User, user: User, reason: str | None = None) -> None:
    if not can_suspend_user(actor, user):
        raise PermissionDenied()
    user.suspended_at = None
    for firm in db.session.scalars(select(Firm).where(Firm.hidden_for_suspension_of == user.id)):
        firm.hidden_at = firm.hidden_by_id = firm.hidden_reason = firm.hidden_for_suspension_of = None
    audit.record(actor, "user.reinstated", user, reason=reason)


def set_staff(actor: User, user: User, staff: bool) -> None:
    """Administrators appoint or remove OSMEP staff."""
    if not can_set_staff(actor, user):
        raise PermissionDenied()
    user.role = Role.STAFF if staff else Role.MEMBER
    audit.record(actor, "user.staff_granted" if staff else "user.staff_revoked", user)


_LISTINGS = {
    "firm": _l("your firm “%(name)s”"),
    "request": _l("your request “%(name)s”"),
    "response": _l("your response to “%(name)s”"),
    "message": _l("a message in your conversation about “%(name)s”"),
}


def _listing(target_type, obj) -> dict:
    """What was hidden or shown again, named for the owner in both languages (notification params): the
    firm's name, or the title of the request (of the thread, for a response or a message)."""
    if target_type == "firm":
        named, attribute = obj, "name"
    else:
        response = db.session.get(Response, obj.response_id) if target_type == "message" else obj
        named = obj if target_type == "request" else db.session.get(CollabRequest, response.request_id)
        attribute = "title"
    names = {"th": getattr(named, f"{attribute}_th") or "", "en": getattr(named, f"{attribute}_en") or ""}
    phrases = {}
    for locale, other in (("th", "en"), ("en", "th")):
        with force_locale(locale):
            phrases[locale] = str(_LISTINGS[target_type]) % {"name": names[locale] or names[other]}
    return phrases


def _link_params(target_type, obj) -> dict:
    return {"target_type": target_type, "target_id": obj.id,
            "response_id": obj.id if target_type == "response" else getattr(obj, "response_id", None)}


def owner_link(n) -> str:
    kind, target = n.params.get("target_type"), n.params.get("target_id")
    if kind == "firm":
        return url_for("firms.detail", firm_id=target)
    if kind == "request":
        return url_for("collab.detail", request_id=target)
    if kind in ("response", "message"):
        return url_for("collab.thread", response_id=n.params.get("response_id"))
    return url_for("firms.mine")


_SOME_LISTING = {"listing": _l("one of your listings")}  # notifications recorded before listings were named
register_kind("moderation.hidden", _l("OSMEP staff hid %(listing)s: %(reason)s"), owner_link, _SOME_LISTING)
register_kind("moderation.restored", _l("OSMEP staff showed %(listing)s again."), owner_link, _SOME_LISTING)
register_kind("moderation.review_requested", _l("A firm asks for a review of a hidden listing."),
              lambda n: url_for("moderation.target", target_type=n.params.get("target_type"),
                                target_id=n.params.get("target_id")))
