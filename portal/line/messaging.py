"""LINE messages: written to the outbox in the caller's transaction (channel "line"), delivered by the
outbox's workers through the Messaging API (portal/line/client.py), with the outbox's retries.

- Who can be reached: a user who linked LINE (a LineAccount) and follows the Official Account (is_friend),
  and only when the Messaging API is configured (access token and channel secret).
- The monthly quota (LINE_MONTHLY_MESSAGE_QUOTA): messages sent this Bangkok month are counted from the
  outbox; past the quota a message is not pushed but goes by e-mail instead (its kind's fallback, once),
  and the LINE row is cancelled saying so (staff see it on /admin/outbox).
- Webhook events from LINE (follow / unfollow) say whether a user can be reached.
"""
import base64
import hashlib
import hmac
import logging
import uuid
from datetime import datetime, timezone

from flask import current_app
from sqlalchemy import func, select

from portal.db import utcnow
from portal.extensions import db
from portal.line import client
from portal.line.messages import LINE_KINDS, build
from portal.line.models import LineAccount
from portal.outbox.models import OutboxMessage, OutboxStatus
from portal.outbox.services import register_channel
from portal.thai import to_bangkok

log = logging.getLogger(__name__)
S = OutboxStatus

is_configured = client.is_configured


def reachable(user_ids) -> dict[int, str]:
    """{user id: LINE user id} of those users LINE can push to now (empty when LINE is not configured)."""
    ids = [i for i in user_ids if i is not None]
    if not ids or not is_configured():
        return {}
    rows = db.session.execute(select(LineAccount.user_id, LineAccount.line_user_id)
                              .where(LineAccount.user_id.in_(ids), LineAccount.is_friend.is_(True))).all()
    return dict(rows)


def add_friend_url() -> str | None:
    """LINE's link that opens the Official Account's add-friend screen, if the account id is configured."""
    account_id = (current_app.config.get("LINE_OFFICIAL_ACCOUNT_ID") or "").strip()
    return f"https://line.me/R/ti/p/{account_id}" if account_id else None


# --- writing, in the caller's transaction ---------------------------------------------------------

def enqueue_line(kind: str, line_user_id: str, locale: str, user_id: int | None = None, **context) -> OutboxMessage:
    """Write one LINE message to the outbox. Flush-only: it goes when the caller's transaction commits.
    Its message_id is the X-Line-Retry-Key of every try (a UUID, as LINE requires)."""
    if kind not in LINE_KINDS:
        raise ValueError(f"no LINE renderer for kind {kind}")
    row = OutboxMessage(channel="line", kind=kind, recipient=line_user_id, locale=locale, user_id=user_id,
                        context=context, message_id=str(uuid.uuid4()), status=S.PENDING, attempts=0,
                        next_attempt_at=utcnow())
    db.session.add(row)
    db.session.flush()
    db.session.info["outbox_written"] = True
    return row


# --- the quota ------------------------------------------------------------------------------------

def month_start(now=None) -> datetime:
    """The first moment of the current month in Bangkok, in UTC (LINE counts messages by calendar month)."""
    local = to_bangkok(now or utcnow()).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return local.astimezone(timezone.utc)


def sent_this_month(now=None) -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.channel == "line", OutboxMessage.status == S.SENT,
        OutboxMessage.sent_at >= month_start(now))) or 0


def quota() -> dict:
    """For the staff page: messages sent this month, the quota, and whether it is used up."""
    limit = current_app.config["LINE_MONTHLY_MESSAGE_QUOTA"]
    sent = sent_this_month()
    return {"configured": is_configured(), "sent": sent, "quota": limit, "reached": sent >= limit}


# --- delivering, in a worker (the outbox calls this for channel "line") ---------------------------

def deliver(row: OutboxMessage) -> OutboxStatus:
    """Push one LINE message the worker holds: SENT, or CANCELLED (row.last_error says why, and the
    e-mail fallback was queued where there is one).

    :raises portal.line.client.LineError: LINE refused it, or could not be reached."""
    kind = LINE_KINDS[row.kind]
    account = db.session.scalar(select(LineAccount).where(LineAccount.line_user_id == row.recipient))
    if not is_configured():
        return _instead(row, kind, "LINE messaging is not configured any more")
    if account is None or not account.is_friend:
        return _instead(row, kind, "the recipient cannot be reached on LINE any more (unlinked or not a friend)")
    limit = current_app.config["LINE_MONTHLY_MESSAGE_QUOTA"]
    if sent_this_month() >= limit:
        return _instead(row, kind, f"the monthly LINE quota ({limit}) is used up")
    text = kind.render(row.context or {}, row.locale)
    if text is None:
        row.last_error = "nothing to send any more"
        return S.CANCELLED
    row.subject = text.text[:500]
    try:
        client.push(row.recipient, build(text, row.locale), row.message_id)
    except client.LineError as exc:
        if exc.unreachable:
            account.is_friend, account.friend_changed_at = False, utcnow()
            log.warning("LINE says user %s cannot be reached (%s): marked as not a friend", row.user_id, exc.reason)
        raise
    log.info("LINE message %s (%s) pushed to user %s", row.id, row.kind, row.user_id)
    return S.SENT


def _instead(row, kind, why: str) -> OutboxStatus:
    sent_by_email = bool(kind.fallback and kind.fallback(row))
    row.last_error = why + ("; sent by e-mail instead" if sent_by_email else "")
    log.warning("LINE message %s to user %s not pushed: %s", row.id, row.user_id, row.last_error)
    return S.CANCELLED


register_channel("line", deliver)


# --- the webhook -------------------------------------------------------------------------------------

def signature_ok(body: bytes, signature: str | None) -> bool:
    """X-Line-Signature is the base64 HMAC-SHA256 of the raw body with the channel secret."""
    secret = current_app.config.get("LINE_MESSAGING_CHANNEL_SECRET") or ""
    if not secret or not signature:
        return False
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
    return hmac.compare_digest(expected, signature.strip().encode("ascii", "replace"))


def handle_events(events: list) -> int:
    """Follow and unfollow events set whether LINE can reach the user; other events and unknown LINE users
    are ignored. An event older than the last change recorded is ignored (LINE may redeliver late).
    Flush-only. Returns how many accounts changed."""
    changed = 0
    for event in events:
        if not isinstance(event, dict) or event.get("type") not in ("follow", "unfollow"):
            continue
        source = event.get("source")
        user_id = source.get("userId") if isinstance(source, dict) else None
        if not isinstance(user_id, str) or not user_id:
            continue
        account = db.session.scalar(select(LineAccount).where(LineAccount.line_user_id == user_id[:64]))
        if account is None:
            continue
        moment = _moment(event.get("timestamp"))
        if account.friend_changed_at is not None and moment < account.friend_changed_at:
            continue
        account.is_friend = event["type"] == "follow"
        account.friend_changed_at = moment
        changed += 1
        log.info("LINE %s: user %s %s the Official Account", event["type"], account.user_id,
                 "follows" if account.is_friend else "no longer follows")
    db.session.flush()
    return changed


def _moment(timestamp) -> datetime:
    """The event's time (LINE: milliseconds since the epoch), or now if missing or absurd."""
    now = utcnow()
    if isinstance(timestamp, int) and not isinstance(timestamp, bool):
        try:
            moment = datetime.fromtimestamp(timestamp / 1000, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            return now
        if abs((moment - now).total_seconds()) < 7 * 24 * 3600:
            return moment
    return now
