"""Webhooks: admins manage endpoints; services emit events in their own transaction (flush only).

emit() writes one event and one delivery row per active endpoint subscribed to its type, in the caller's
transaction: a rolled-back change sends nothing, a committed one is delivered by a worker (delivery.py).
"""
import hashlib
import hmac
import json
import logging
import secrets
import uuid
from functools import cache

from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import audit
from portal.db import utcnow
from portal.exceptions import PermissionDenied, RuleViolation
from portal.extensions import db
from portal.i18n import lazy_gettext as _l
from portal.permissions import can_manage_webhooks
from portal.webhooks import addresses
from portal.webhooks.models import EVENT_TYPES, DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent
from portal.webhooks.payloads import BUILDERS

log = logging.getLogger(__name__)
WRITTEN, COMMITTED = "webhooks_written", "webhooks_committed"


# --- signing -------------------------------------------------------------------------------------

def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Portal-Signature value: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed by the secret>."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str, body: bytes, now: int, tolerance: int = 300) -> bool:
    """What a receiver does (README, "Webhooks"): parse t and v1, refuse a t further than `tolerance`
    seconds from now (a replayed old request), compare the HMAC in constant time."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


# --- emitting, in the caller's transaction ---------------------------------------------------------

@cache
def _active_endpoints():
    """emit's statement, built once: every approval, request and response asks it."""
    return select(WebhookEndpoint).where(WebhookEndpoint.is_active).order_by(WebhookEndpoint.id)


def emit(event_type: str, obj) -> WebhookEvent | None:
    """Record that `event_type` happened to `obj`, for every active endpoint subscribed to it. Flush-only.
    Nothing is written when no endpoint wants it."""
    object_type, build = BUILDERS[event_type]
    endpoints = [e for e in db.session.scalars(_active_endpoints()) if e.wants(event_type)]
    if not endpoints:
        return None
    db.session.flush()  # the object's state as the change left it
    now = utcnow()
    public_id = "evt_" + uuid.uuid4().hex
    body = {"id": public_id, "type": event_type, "occurred_at": now.isoformat().replace("+00:00", "Z"),
            "object": build(obj)}
    row = WebhookEvent(public_id=public_id, type=event_type, object_key=f"{object_type}:{obj.id}", occurred_at=now,
                       body=json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=True))
    db.session.add(row)
    db.session.flush()
    for endpoint in endpoints:
        db.session.add(WebhookDelivery(endpoint_id=endpoint.id, event_id=row.id, object_key=row.object_key,
                                       status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now,
                                       created_at=now))
    db.session.flush()
    db.session.info[WRITTEN] = True
    return row


@sa_event.listens_for(Session, "after_commit")
def _note_commit(session):
    if session.info.pop(WRITTEN, False):
        session.info[COMMITTED] = True


@sa_event.listens_for(Session, "after_rollback")
def _forget_rollback(session):
    session.info.pop(WRITTEN, None)


def committed_since_last_call() -> bool:
    """Whether this session committed deliveries since the last call (then a worker is nudged)."""
    return bool(db.session.info.pop(COMMITTED, False))


# --- endpoints, by admins ------------------------------------------------------------------------

NO_EVENTS = _l("Choose at least one event.")


def _guard(actor):
    if not can_manage_webhooks(actor):
        raise PermissionDenied()


def _events(events) -> list[str]:
    chosen = [code for code in EVENT_TYPES if code in set(events or ())]
    if not chosen:
        raise RuleViolation(NO_EVENTS, field="events")
    return chosen


def create_endpoint(actor, url: str, events, description: str | None = None,
                    is_active: bool = True) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it and its secret (shown once). :raises RuleViolation: a bad or
    private address, no events."""
    _guard(actor)
    url, chosen = (url or "").strip(), _events(events)
    addresses.check_url(url)
    endpoint = WebhookEndpoint(url=url, description=(description or "").strip() or None, secret=new_secret(),
                               events=chosen, is_active=is_active, created_by_id=actor.id)
    db.session.add(endpoint)
    db.session.flush()
    audit.record(actor, "webhook.created", endpoint, url=url, events=endpoint.events)
    log.info("webhook endpoint %s created by %s", endpoint.id, actor.id)
    return endpoint, endpoint.secret


def update_endpoint(actor, endpoint: WebhookEndpoint, url: str, events, description: str | None,
                    is_active: bool) -> None:
    """Change the address (checked again), the events, the description, paused or active."""
    _guard(actor)
    url = (url or "").strip()
    if url != endpoint.url:
        addresses.check_url(url)
    before = {"url": endpoint.url, "events": endpoint.events, "is_active": endpoint.is_active}
    endpoint.url, endpoint.events = url, _events(events)
    endpoint.description, endpoint.is_active = (description or "").strip() or None, bool(is_active)
    db.session.flush()
    after = {"url": endpoint.url, "events": endpoint.events, "is_active": endpoint.is_active}
    if before != after:
        audit.record(actor, "webhook.updated", endpoint, before=before, after=after)


def rotate_secret(actor, endpoint: WebhookEndpoint) -> str:
    """A new secret from now on (every try after this is signed with it); returns it, to be shown once."""
    _guard(actor)
    endpoint.secret, endpoint.secret_rotated_at = new_secret(), utcnow()
    db.session.flush()
    audit.record(actor, "webhook.secret_rotated", endpoint)
    return endpoint.secret


def delete_endpoint(actor, endpoint: WebhookEndpoint) -> None:
    """Remove an endpoint with its delivery log; nothing more goes to it."""
    _guard(actor)
    audit.record(actor, "webhook.deleted", endpoint, url=endpoint.url)
    db.session.delete(endpoint)
    db.session.flush()


FINISHED = (DeliveryStatus.SENT, DeliveryStatus.FAILED)


def replay(actor, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a finished delivery's event to its endpoint again, as a new delivery (same event id, so a
    receiver that keeps event ids recognises it). :raises RuleViolation: still queued or sending."""
    _guard(actor)
    if delivery.status not in FINISHED:
        raise RuleViolation(_l("This delivery has not finished yet: it is still queued or being sent."))
    now = utcnow()
    again = WebhookDelivery(endpoint_id=delivery.endpoint_id, event_id=delivery.event_id,
                            object_key=delivery.object_key, replay_of_id=delivery.id, status=DeliveryStatus.PENDING,
                            attempts=0, next_attempt_at=now, created_at=now)
    db.session.add(again)
    db.session.flush()
    db.session.info[WRITTEN] = True
    audit.record(actor, "webhook.replayed", db.session.get(WebhookEndpoint, delivery.endpoint_id),
                 delivery_id=delivery.id, replay_id=again.id)
    return again
