"""The outbox: write a message in the caller's transaction; workers render and deliver it.

Guarantee. A message whose row was committed is delivered at least once, or ends "failed" with the
mail server's reason for staff to see, retry or cancel; a rolled-back change leaves no row and sends
nothing. Each message has one Message-ID, chosen when the row is written and sent with every try. A
worker claims a row for a lease (status "sending", claimed_until) before talking to the server and
marks it "sent" right after the server accepts it. If the worker dies in between, the lease runs out
and another worker sends it again with the same Message-ID: the recipient may then hold two copies of
one message, recognisable as such (mail programs show or merge them as one), and the log says so. No
message is sent twice for any other reason.
"""
import logging
import math
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import and_, event, func, insert, or_, select, update
from sqlalchemy.orm import Session

from portal import audit
from portal.db import utcnow
from portal.exceptions import PermissionDenied, RuleViolation
from portal.extensions import db
from portal.i18n import lazy_gettext as _l
from portal.mail import DeliveryError, build_message, transmit
from portal.metrics.instruments import count_delivery_failure
from portal.outbox.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)
S = OutboxStatus


@dataclass
class Email:
    """What a renderer returns: the subject (may be lazy), the template under templates/email/ and its values."""

    subject: object
    template: str
    values: dict = field(default_factory=dict)
    headers: dict = field(default_factory=dict)  # extra headers, e.g. List-Unsubscribe for alerts


# kind -> renderer(context, locale) -> Email, or None when there is nothing to send any more
RENDERERS: dict[str, Callable[[dict, str], Email | None]] = {}


def register_email(kind: str, renderer: Callable[[dict, str], Email | None]) -> None:
    RENDERERS[kind] = renderer


# channel other than e-mail -> its deliverer(row): returns the row's new status (SENT, or CANCELLED with
# row.last_error saying why) or raises DeliveryError; portal/line/delivery.py registers "line".
DELIVERERS: dict[str, Callable[[OutboxMessage], OutboxStatus]] = {}


def register_channel(channel: str, deliverer: Callable[[OutboxMessage], OutboxStatus]) -> None:
    DELIVERERS[channel] = deliverer


# --- writing, in the caller's transaction ---------------------------------------------------------

def new_message_id() -> str:
    host = urlsplit(current_app.config.get("PORTAL_BASE_URL") or "").hostname or "cluster-portal"
    return f"<{uuid.uuid4().hex}@{host}>"


def enqueue_email(kind: str, recipient: str, locale: str, user_id: int | None = None, **context) -> OutboxMessage:
    """Write one e-mail to the outbox. Flush-only: it goes when the caller's transaction commits."""
    if kind not in RENDERERS:
        raise ValueError(f"no renderer for e-mail kind {kind}")
    row = OutboxMessage(channel="email", kind=kind, recipient=recipient, locale=locale, user_id=user_id,
                        context=context, message_id=new_message_id(), status=S.PENDING, attempts=0,
                        next_attempt_at=utcnow())
    db.session.add(row)
    db.session.flush()
    db.session.info["outbox_written"] = True
    return row


def enqueue_emails(kind: str, messages: list[dict]) -> int:
    """Many e-mails of one kind in one INSERT (an import's invitations): each dict has recipient, locale,
    context and optionally user_id."""
    if kind not in RENDERERS:
        raise ValueError(f"no renderer for e-mail kind {kind}")
    if not messages:
        return 0
    now = utcnow()
    db.session.execute(insert(OutboxMessage), [{
        "channel": "email", "kind": kind, "recipient": m["recipient"], "locale": m["locale"],
        "user_id": m.get("user_id"), "context": m.get("context") or {}, "message_id": new_message_id(),
        "status": S.PENDING, "attempts": 0, "next_attempt_at": now, "created_at": now,
    } for m in messages])
    db.session.info["outbox_written"] = True
    return len(messages)


@event.listens_for(Session, "after_commit")
def _note_commit(session):
    if session.info.pop("outbox_written", False):
        session.info["outbox_committed"] = True


@event.listens_for(Session, "after_rollback")
def _forget_rollback(session):
    session.info.pop("outbox_written", None)


def committed_since_last_call() -> bool:
    """Whether this session committed outbox rows since the last call (the request then nudges a worker)."""
    return bool(db.session.info.pop("outbox_committed", False))


# --- delivering, in a worker ---------------------------------------------------------------------

def _due(now):
    return or_(and_(OutboxMessage.status == S.PENDING, OutboxMessage.next_attempt_at <= now),
               and_(OutboxMessage.status == S.SENDING, OutboxMessage.claimed_until < now))


def claim_one(now=None) -> tuple[int, str] | None:
    """Take the next due message for this worker: it is marked "sending" with a lease long enough for one
    delivery and a token of this claim. One message at a time, so a worker never holds more than it is
    sending. A conditional UPDATE, so two workers never take the same row. Commits."""
    now = now or utcnow()
    lease = timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"])
    candidates = db.session.execute(select(OutboxMessage.id, OutboxMessage.status).where(_due(now))
                                    .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(10)).all()
    for message_id, status in candidates:
        token = uuid.uuid4().hex
        result = db.session.execute(
            update(OutboxMessage).where(OutboxMessage.id == message_id, _due(now))
            .values(status=S.SENDING, claimed_until=now + lease, claim_token=token,
                    attempts=OutboxMessage.attempts + 1)
            .execution_options(synchronize_session=False))
        if result.rowcount == 1:
            db.session.commit()
            if status is S.SENDING:
                log.warning("outbox message %s: the worker sending it stopped before recording the result; "
                            "sending again with the same Message-ID (the recipient may get it twice)", message_id)
            return message_id, token
    db.session.commit()
    return None


def deliver(message_id: int, token: str, now=None) -> OutboxStatus | None:
    """Render and transmit one message this worker holds; record the outcome. Commits."""
    row = db.session.get(OutboxMessage, message_id, populate_existing=True)
    if row is None or row.status is not S.SENDING or row.claim_token != token:
        return None  # no longer ours: staff cancelled it, or our lease ran out and another worker took it
    if row.channel != "email":
        return _deliver_other(row, now)
    try:
        message = render(row)
    except Exception as exc:  # noqa: BLE001  (a message that cannot be built is failed, never retried blindly)
        log.exception("outbox message %s could not be built", message_id)
        count_delivery_failure(row.channel, given_up=True)
        _finish(row, S.FAILED, error=f"could not build the message: {type(exc).__name__}: {exc}")
        db.session.commit()
        return row.status
    if message is None:
        _finish(row, S.CANCELLED, error="nothing to send any more")
        db.session.commit()
        return row.status
    try:
        transmit(message)
    except DeliveryError as exc:
        _failed_try(row, exc, now or utcnow())
    else:
        row.sent_at = utcnow()
        _finish(row, S.SENT)
    db.session.commit()
    return row.status


def _deliver_other(row: OutboxMessage, now=None) -> OutboxStatus:
    """A message on another channel (LINE): its deliverer builds and sends it; the outcome is recorded here
    as for e-mail (retries with backoff, failed for good, sent). Commits."""
    deliverer = DELIVERERS.get(row.channel)
    try:
        if deliverer is None:
            raise LookupError(f"no deliverer for channel {row.channel}")
        outcome = deliverer(row)
    except DeliveryError as exc:
        _failed_try(row, exc, now or utcnow())
    except Exception as exc:  # noqa: BLE001  (a message that cannot be built is failed, never retried blindly)
        log.exception("outbox message %s could not be built", row.id)
        count_delivery_failure(row.channel, given_up=True)
        _finish(row, S.FAILED, error=f"could not build the message: {type(exc).__name__}: {exc}")
    else:
        if outcome is S.SENT:
            row.sent_at = utcnow()
            _finish(row, S.SENT)
        else:
            _finish(row, outcome, error=row.last_error)
    db.session.commit()
    return row.status


def render(row: OutboxMessage):
    renderer = RENDERERS[row.kind]
    email = renderer(row.context or {}, row.locale)
    if email is None:
        return None
    message = build_message(row.recipient, email.subject, email.template, row.locale, row.message_id,
                            headers=email.headers, **email.values)
    row.subject = message["Subject"]
    return message


def _finish(row, status, error=None):
    row.status, row.claimed_until, row.claim_token = status, None, None
    row.last_error = error


def backoff(attempts: int) -> int:
    """Seconds before the next try after `attempts` failed ones: doubling from OUTBOX_RETRY_BASE."""
    config = current_app.config
    return min(config["OUTBOX_RETRY_BASE"] * 2 ** max(attempts - 1, 0), config["OUTBOX_RETRY_MAX"])


def _failed_try(row, exc: DeliveryError, now) -> None:
    given_up = exc.permanent or row.attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]
    count_delivery_failure(row.channel, given_up)
    if given_up:
        _finish(row, S.FAILED, error=exc.reason)
        log.error("outbox message %s to %s failed for good after %s tries: %s", row.id, row.recipient,
                  row.attempts, exc.reason)
        return
    delay = backoff(row.attempts)
    if getattr(exc, "retry_after", None):
        delay = exc.retry_after  # the other side said when (LINE's Retry-After on a 429)
    _finish(row, S.PENDING, error=exc.reason)
    row.next_attempt_at = now + timedelta(seconds=delay)
    log.warning("outbox message %s to %s: try %s failed (%s); next in %s s", row.id, row.recipient,
                row.attempts, exc.reason, delay)


def deliver_due(limit: int = 50) -> dict:
    """Deliver up to `limit` due messages, one claim at a time. Returns counts by outcome."""
    counts: dict[str, int] = {}
    for _ in range(limit):
        claimed = claim_one()
        if claimed is None:
            break
        status = deliver(*claimed)
        if status is not None:
            counts[status.value] = counts.get(status.value, 0) + 1
    return counts


def next_due_in(now=None) -> int | None:
    """Seconds until a message is next due (0 if one is due now): the earliest retry of a pending one, or
    the end of a lease held by a worker that may have died. None if nothing waits."""
    now = now or utcnow()
    retry = db.session.scalar(select(func.min(OutboxMessage.next_attempt_at))
                              .where(OutboxMessage.status == S.PENDING))
    lease = db.session.scalar(select(func.min(OutboxMessage.claimed_until))
                              .where(OutboxMessage.status == S.SENDING))
    moments = [m for m in (retry, lease) if m is not None]
    if not moments:
        return None
    return max(0, math.ceil((min(moments) - now).total_seconds()))


# --- staff ---------------------------------------------------------------------------------------

def retry(actor, row: OutboxMessage) -> None:
    """Staff send a failed or cancelled message again, from a fresh count of tries."""
    from portal.permissions import can_manage_outbox

    if not can_manage_outbox(actor):
        raise PermissionDenied()
    if row.status not in (S.FAILED, S.CANCELLED):
        raise RuleViolation(_l("Only a failed or cancelled message can be sent again."))
    row.status, row.attempts, row.next_attempt_at, row.claimed_until, row.claim_token = \
        S.PENDING, 0, utcnow(), None, None
    db.session.info["outbox_written"] = True
    audit.record(actor, "outbox.retried", row, kind=row.kind, last_error=row.last_error)


def cancel(actor, row: OutboxMessage, reason: str | None = None) -> None:
    """Staff stop a queued or failed message; it stays listed as cancelled."""
    from portal.permissions import can_manage_outbox

    if not can_manage_outbox(actor):
        raise PermissionDenied()
    if row.status not in (S.PENDING, S.FAILED):
        raise RuleViolation(_l("Only a queued or failed message can be cancelled."))
    row.status, row.claimed_until, row.claim_token = S.CANCELLED, None, None
    audit.record(actor, "outbox.cancelled", row, reason=(reason or "").strip() or None, kind=row.kind)


def counts_by_kind() -> dict[str, dict[str, int]]:
    rows = db.session.execute(select(OutboxMessage.kind, OutboxMessage.status, func.count())
                              .group_by(OutboxMessage.kind, OutboxMessage.status)).all()
    table: dict[str, dict[str, int]] = {}
    for kind, status, count in rows:
        table.setdefault(kind, {})[status.value] = count
    return table


def health(now=None) -> dict:
    """Queue depth, the age of the oldest waiting message, and whether workers keep up: "stalled" when
    a message has been due for longer than WORKER_STALL_SECONDS without any worker taking it."""
    now = now or utcnow()
    pending = db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                .where(OutboxMessage.status.in_([S.PENDING, S.SENDING]))) or 0
    oldest = db.session.scalar(select(func.min(OutboxMessage.created_at))
                               .where(OutboxMessage.status.in_([S.PENDING, S.SENDING])))
    overdue = db.session.scalar(select(func.min(OutboxMessage.next_attempt_at))
                                .where(OutboxMessage.status == S.PENDING))
    stall = current_app.config["WORKER_STALL_SECONDS"]
    stalled = overdue is not None and (now - overdue).total_seconds() > stall
    return {
        "pending": pending,
        "oldest_pending_seconds": round((now - oldest).total_seconds()) if oldest else 0,
        "failed": db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                    .where(OutboxMessage.status == S.FAILED)) or 0,
        "workers": "stalled" if stalled else "ok",
    }
