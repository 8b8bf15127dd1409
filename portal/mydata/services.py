"""Download my data (an export built by a worker) and delete my account (a request with a grace period).

Services flush and raise; the view (or the job) commits. The erasure itself is in erasure.py.
"""
import logging
from datetime import timedelta

from flask import current_app, url_for
from sqlalchemy import select

from portal import audit
from portal.auth import passwords
from portal.auth.models import User
from portal.db import utcnow
from portal.exceptions import PermissionDenied, RuleViolation
from portal.extensions import db
from portal.firms.models import Firm, FirmMember, FirmRole
from portal.i18n import lazy_gettext as _l
from portal.links import absolute_url
from portal.mydata import export
from portal.mydata.models import DataExport, ExportStatus
from portal.notifications.services import notify, register_kind
from portal.outbox.services import Email, enqueue_email, register_email
from portal.permissions import can_request_export

log = logging.getLogger(__name__)


# --- download my data ------------------------------------------------------------------------------

def pending_export(user) -> DataExport | None:
    return db.session.scalar(select(DataExport).where(DataExport.user_id == user.id,
                                                      DataExport.status == ExportStatus.PENDING))


def exports_of(user) -> list[DataExport]:
    return list(db.session.scalars(select(DataExport).where(DataExport.user_id == user.id)
                                   .order_by(DataExport.id.desc()).limit(5)))


def request_export(user) -> DataExport:
    """Ask for a ZIP of one's data; a worker builds it after the commit. One pending at a time.

    :raises RuleViolation: one is being prepared already."""
    if not can_request_export(user):
        raise PermissionDenied()
    if pending_export(user) is not None:
        raise RuleViolation(_l("Your data is already being prepared. We will tell you when it is ready."))
    row = DataExport(user_id=user.id, status=ExportStatus.PENDING, requested_at=utcnow())
    db.session.add(row)
    db.session.flush()
    audit.record(user, "mydata.export_requested", user, export_id=row.id)
    log.info("data export %s requested by user %s", row.id, user.id)
    return row


def build_export(export_id: int) -> bool:
    """The worker's part: write the ZIP, then tell the user (notification, and e-mail with the link).
    Returns False when there is nothing (any more) to build."""
    row = db.session.get(DataExport, export_id)
    if row is None or row.status is not ExportStatus.PENDING:
        return False
    user = db.session.get(User, row.user_id)
    if user is None or user.is_erased:
        db.session.delete(row)
        return False
    row.file_name = export.write(user)
    row.status = ExportStatus.READY
    row.ready_at = utcnow()
    row.expires_at = row.ready_at + timedelta(days=current_app.config["EXPORT_LINK_DAYS"])
    db.session.flush()
    days = current_app.config["EXPORT_LINK_DAYS"]
    notification = notify([user], "mydata.export_ready", row, days=days)[0]
    if notification.emailed_at is None:  # not sent as the notification's own e-mail: the link still goes by mail
        enqueue_email("mydata.export_ready", user.email, user.locale or current_app.config["BABEL_DEFAULT_LOCALE"],
                      user_id=user.id, export=row.id)
        notification.emailed_at = utcnow()
    log.info("data export %s ready for user %s", row.id, user.id)
    return True


def fail_export(export_id: int, error: str) -> None:
    row = db.session.get(DataExport, export_id)
    if row is not None and row.status is ExportStatus.PENDING:
        row.status = ExportStatus.FAILED
        row.error = error[:500]


def waiting_exports() -> list[int]:
    return list(db.session.scalars(select(DataExport.id).where(DataExport.status == ExportStatus.PENDING)))


def remove_expired_exports(now=None) -> int:
    """ZIPs past their EXPORT_LINK_DAYS are deleted; the row stays, marked expired, for the user's page."""
    now = now or utcnow()
    rows = db.session.scalars(select(DataExport).where(DataExport.status == ExportStatus.READY,
                                                       DataExport.expires_at <= now)).all()
    for row in rows:
        export.remove(row.file_name)
        row.status, row.file_name = ExportStatus.REMOVED, None
    return len(rows)


def _export_link(n):
    return url_for("mydata.download", export_id=n.target_id)


def _export_email(context, locale):
    row = db.session.get(DataExport, context.get("export"))
    if row is None or row.status is not ExportStatus.READY:
        return None
    user = db.session.get(User, row.user_id)
    return Email(_l("Your data from the Cluster Portal is ready"), "mydata_export", {
        "user": user, "link": absolute_url("mydata.download", export_id=row.id, lang=locale),
        "days": current_app.config["EXPORT_LINK_DAYS"]})


register_kind("mydata.export_ready", _l("Your data is ready to download for %(days)s days."), _export_link)
register_email("mydata.export_ready", _export_email)


# --- delete my account -----------------------------------------------------------------------------

def owned_firms(user) -> list[tuple[Firm, list[tuple[FirmMember, User]]]]:
    """The firms the user owns, each with its other team members and their accounts (who could take it
    over). Firms already closed (hidden) are left out: nothing to hand over."""
    firms = db.session.scalars(select(Firm).join(FirmMember, FirmMember.firm_id == Firm.id)
                               .where(FirmMember.user_id == user.id, FirmMember.role == FirmRole.OWNER,
                                      Firm.hidden_at.is_(None)).order_by(Firm.id)).all()
    result = []
    for firm in firms:
        others = db.session.execute(select(FirmMember, User).join(User, User.id == FirmMember.user_id)
                                    .where(FirmMember.firm_id == firm.id, FirmMember.user_id != user.id,
                                           User.erased_at.is_(None)).order_by(User.id)).all()
        result.append((firm, [tuple(row) for row in others]))
    return result


def _own(user, firm) -> FirmMember:
    member = db.session.get(FirmMember, (firm.id, user.id))
    if member is None or member.role is not FirmRole.OWNER:
        raise PermissionDenied()
    return member


def hand_over_firm(user, firm: Firm, new_owner_id: int) -> None:
    """The owner makes an editor of the firm its owner, and stays an editor. :raises RuleViolation:"""
    mine = _own(user, firm)
    member = db.session.get(FirmMember, (firm.id, new_owner_id)) if new_owner_id != user.id else None
    if member is None:
        raise RuleViolation(_l("Choose a member of the firm's team."))
    member.role, mine.role = FirmRole.OWNER, FirmRole.EDITOR
    db.session.flush()
    audit.record(user, "firm.owner_handed_over", firm, new_owner_id=new_owner_id)


def close_firm(user, firm: Firm) -> None:
    """The owner closes the firm: its listing is hidden from everyone (as a moderator's hide does), its
    requests and partners' records stay. Nothing of other people is deleted."""
    _own(user, firm)
    if firm.hidden_at is not None:  # closed or hidden already: a moderator's reason stays as it is
        return
    firm.hidden_at = utcnow()
    firm.hidden_by_id = user.id
    firm.hidden_reason = "closed by its owner"
    db.session.flush()
    audit.record(user, "firm.closed", firm)


def check_password_or_email(user, answer: str) -> bool:
    """The confirmation: the password, or for an account without one (LINE only) its e-mail address."""
    answer = answer or ""
    if user.has_password:
        return passwords.check_password(user.password_hash, answer)
    return answer.strip().lower() == user.email


def request_deletion(user, answer: str) -> None:
    """Ask for the account to be erased after ACCOUNT_ERASURE_GRACE_DAYS; every session ends at once.

    :raises RuleViolation: a wrong confirmation, or a firm still owned."""
    if user.is_deletion_pending or user.is_erased:
        raise RuleViolation(_l("Your account is already due for deletion."))
    if owned_firms(user):
        raise RuleViolation(_l("First hand each firm you own to another member of its team, or close it."))
    if not check_password_or_email(user, answer):
        raise RuleViolation(_l("That is not your password.") if user.has_password
                            else _l("That is not your e-mail address."))
    now = utcnow()
    user.deletion_requested_at = now
    user.deletion_due_at = now + timedelta(days=current_app.config["ACCOUNT_ERASURE_GRACE_DAYS"])
    from portal.devices import services as devices

    devices.end_all(user, devices.DELETION)  # every device signed out at once (and every older cookie)
    audit.record(user, "user.deletion_requested", user, due=user.deletion_due_at.isoformat())
    log.info("user %s asked for deletion, due %s", user.id, user.deletion_due_at)


def cancel_deletion(user) -> None:
    if not user.is_deletion_pending:
        raise RuleViolation(_l("Your account is not due for deletion."))
    user.deletion_requested_at = user.deletion_due_at = None
    audit.record(user, "user.deletion_cancelled", user)
    log.info("user %s cancelled their deletion", user.id)
