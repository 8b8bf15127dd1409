"""The retention schedule, written once as data: the periodic jobs carry it out and /privacy shows it, so
the notice and the jobs never disagree. Each period is a configuration key (config.py, README)."""
import logging
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, delete, exists, or_

from portal.db import utcnow
from portal.extensions import db
from portal.i18n import lazy_gettext as _l

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rule:
    key: str
    what: object  # lazy string: the kind of record
    when: object  # lazy string: what is removed, and when, with {n} for the period
    setting: str  # the configuration key holding the period
    unit: str  # "days" or "hours"
    job: str  # the periodic job that carries it out (portal/jobs/periodic.py)

    @property
    def period(self) -> int:
        return int(current_app.config[self.setting])

    def describe(self) -> str:
        return str(self.when).format(n=self.period)


SCHEDULE = [
    Rule("unconfirmed_accounts", _l("Accounts whose e-mail address was never confirmed"),
         _l("Removed {n} days after registration, with their notifications and queued mail, unless other "
            "records depend on them."),
         "UNCONFIRMED_RETENTION_DAYS", "days", "accounts.retention"),
    Rule("import_previews", _l("Member import previews (uploaded files)"),
         _l("Removed {n} hours after upload if the coordinator did not confirm the import."),
         "IMPORT_PREVIEW_HOURS", "hours", "imports.cleanup"),
    Rule("notifications", _l("Notifications"),
         _l("Removed {n} days after they were read."),
         "NOTIFICATION_RETENTION_DAYS", "days", "privacy.retention"),
    Rule("outbox", _l("Outgoing e-mail, LINE messages and webhook deliveries"),
         _l("Removed {n} days after they were sent, given up or cancelled; never while still being tried."),
         "OUTBOX_RETENTION_DAYS", "days", "privacy.retention"),
    Rule("data_exports", _l("Copies of your data (Download my data)"),
         _l("The file is deleted {n} days after it was made, when its link stops working."),
         "EXPORT_LINK_DAYS", "days", "exports.cleanup"),
    Rule("deleted_accounts", _l("Accounts whose owner asked for deletion"),
         _l("Erased {n} days after the request, unless cancelled before: personal details removed everywhere, "
            "what the account wrote kept under a pseudonym."),
         "ACCOUNT_ERASURE_GRACE_DAYS", "days", "accounts.erasure"),
    Rule("device_sessions", _l("Devices signed in (browser, address, last seen)"),
         _l("Removed {n} days after the session ended."),
         "DEVICE_SESSION_RETENTION_DAYS", "days", "sessions.expire"),
    Rule("audit", _l("Audit trail entries"),
         _l("Removed {n} days (about five years) after they were written. They are OSMEP evidence of who "
            "did what, consent included, and must outlast any complaint or audit of the programme."),
         "AUDIT_RETENTION_DAYS", "days", "privacy.retention"),
]
BY_KEY = {rule.key: rule for rule in SCHEDULE}


def _cutoff(key: str, now=None):
    return (now or utcnow()) - timedelta(days=BY_KEY[key].period)


def remove_read_notifications(now=None) -> int:
    from portal.notifications.models import Notification

    result = db.session.execute(delete(Notification).where(Notification.read_at < _cutoff("notifications", now)))
    return result.rowcount or 0


def remove_old_outbox(now=None) -> int:
    """Sent messages by their sending time; failed and cancelled ones by their creation. Pending and sending
    ones are still being tried and stay, however old."""
    from portal.outbox.models import OutboxMessage, OutboxStatus

    cutoff = _cutoff("outbox", now)
    done = or_(and_(OutboxMessage.status == OutboxStatus.SENT, OutboxMessage.sent_at < cutoff),
               and_(OutboxMessage.status.in_([OutboxStatus.FAILED, OutboxStatus.CANCELLED]),
                    OutboxMessage.created_at < cutoff))
    removed = db.session.execute(delete(OutboxMessage).where(done)).rowcount or 0
    return removed + remove_old_webhook_deliveries(cutoff)


def remove_old_webhook_deliveries(cutoff) -> int:
    """Webhook deliveries sent or failed before `cutoff` (queued ones stay), then the events no delivery
    needs any more (their bodies hold firm data)."""
    from portal.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEvent

    removed = db.session.execute(delete(WebhookDelivery).where(
        WebhookDelivery.status.in_([DeliveryStatus.SENT, DeliveryStatus.FAILED]),
        WebhookDelivery.created_at < cutoff)).rowcount or 0
    db.session.execute(delete(WebhookEvent).where(
        WebhookEvent.occurred_at < cutoff,
        ~exists().where(WebhookDelivery.event_id == WebhookEvent.id)))
    return removed


def remove_old_audit_entries(now=None) -> int:
    from portal.audit import AuditEntry

    cutoff = _cutoff("audit", now)
    return db.session.execute(delete(AuditEntry).where(AuditEntry.created_at < cutoff)).rowcount or 0


def run(now=None) -> str:
    """The privacy.retention job: notifications, outbox rows, audit entries past their period. Flushes only;
    the job's run_once commits. Leaves one audit entry saying how many went (when any did)."""
    from portal import audit

    removed = {"notifications": remove_read_notifications(now), "outbox": remove_old_outbox(now),
               "audit": remove_old_audit_entries(now)}
    if any(removed.values()):
        audit.record(None, "privacy.retention_run", None, **removed)
    outcome = ", ".join(f"{count} {key}" for key, count in removed.items()) + " removed"
    log.info("retention: %s", outcome)
    return outcome
