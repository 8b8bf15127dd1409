"""Delivering webhooks, in a worker (portal/jobs/tasks.deliver_webhooks), on the outbox's design: a worker
claims one delivery at a time with a lease and a claim token (a conditional UPDATE, so two workers never take
the same row), posts it, and records the outcome. Network errors, timeouts and non-2xx answers are tried
again with exponential backoff (WEBHOOK_RETRY_BASE doubling up to WEBHOOK_RETRY_MAX); after
WEBHOOK_MAX_ATTEMPTS tries the delivery is "failed". An address that resolves to a private network fails
it at once.

Order. Deliveries of one object (a request, a membership …) to one endpoint go out in the order they were
written: one waits while an earlier one for the same object and endpoint is queued, retrying or being sent.
A failed delivery no longer holds the next ones back.

Guarantee. At least once: a worker that dies after the endpoint accepted a delivery but before recording it
sends it again after its lease, with the same X-Portal-Delivery id and event id, so a receiver can drop the
copy.
"""
import logging
import math
import time
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from flask import current_app
from requests.adapters import HTTPAdapter
from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import aliased
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool

from portal.db import utcnow
from portal.extensions import db
from portal.metrics.instruments import count_delivery_failure
from portal.webhooks import addresses
from portal.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent
from portal.webhooks.services import signature

log = logging.getLogger(__name__)
S = DeliveryStatus
D = WebhookDelivery
SNIPPET = 500  # characters of the endpoint's answer kept for the log page
READ_AT_MOST = 4096  # bytes read from an answer


class TryFailed(Exception):
    def __init__(self, reason: str, permanent: bool = False):
        super().__init__(reason)
        self.reason, self.permanent = reason, permanent


def _due(now):
    return or_(and_(D.status == S.PENDING, D.next_attempt_at <= now),
               and_(D.status == S.SENDING, D.claimed_until < now))


def _earlier_waiting():
    """An earlier delivery of the same object to the same endpoint is still queued or being sent."""
    earlier = aliased(WebhookDelivery)
    return exists().where(earlier.endpoint_id == D.endpoint_id, earlier.object_key == D.object_key,
                          earlier.id < D.id, earlier.status.in_([S.PENDING, S.SENDING]))


def claim_one(now=None) -> tuple[int, str] | None:
    """Take the next due delivery whose endpoint is active and which no earlier one holds back. Commits."""
    now = now or utcnow()
    lease = timedelta(seconds=current_app.config["WEBHOOK_LEASE_SECONDS"])
    candidates = db.session.scalars(
        select(D.id).join(WebhookEndpoint, WebhookEndpoint.id == D.endpoint_id)
        .where(_due(now), WebhookEndpoint.is_active, ~_earlier_waiting())
        .order_by(D.next_attempt_at, D.id).limit(10)).all()
    for delivery_id in candidates:
        token = uuid.uuid4().hex
        result = db.session.execute(
            update(D).where(D.id == delivery_id, _due(now))
            .values(status=S.SENDING, claimed_until=now + lease, claim_token=token, attempts=D.attempts + 1)
            .execution_options(synchronize_session=False))
        if result.rowcount == 1:
            db.session.commit()
            return delivery_id, token
    db.session.commit()
    return None


class _Pinned:
    """A connection pool whose connections go to the address that was checked (`address`), not to whatever
    the name resolves to a moment later (DNS rebinding); TLS still sends and verifies the URL's host name."""

    address: str

    def _new_conn(self):
        conn = super()._new_conn()
        if hasattr(conn, "server_hostname") and conn.server_hostname is None:
            conn.server_hostname = conn.host  # SNI and the certificate check: the name, not the address
        conn._dns_host = self.address  # urllib3 connects to _dns_host
        return conn


def _pinned_adapter(address: str) -> HTTPAdapter:
    adapter = HTTPAdapter(max_retries=0)
    adapter.poolmanager.pool_classes_by_scheme = {
        "http": type("PinnedHTTPConnectionPool", (_Pinned, HTTPConnectionPool), {"address": address}),
        "https": type("PinnedHTTPSConnectionPool", (_Pinned, HTTPSConnectionPool), {"address": address})}
    return adapter


def post(url: str, body: bytes, headers: dict, address: str) -> tuple[int, str]:
    """One POST to `address` (checked already) for `url`: a short timeout, no redirects followed, no proxy
    from the environment. Returns the status and the start of the answer. :raises TryFailed: no answer
    (connection refused, timeout …)."""
    timeout = current_app.config["WEBHOOK_TIMEOUT_SECONDS"]
    headers = {**headers, "Host": urlsplit(url).netloc}
    with requests.Session() as session:
        session.trust_env = False  # an HTTP(S)_PROXY in the environment would bypass the address check
        session.verify = current_app.config.get("WEBHOOK_CA_BUNDLE") or True
        adapter = _pinned_adapter(address)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        try:
            response = session.post(url, data=body, headers=headers, timeout=timeout, allow_redirects=False,
                                    stream=True)
        except requests.RequestException as exc:
            raise TryFailed(f"{type(exc).__name__}: {exc}"[:1000]) from None
        try:
            raw = response.raw.read(READ_AT_MOST, decode_content=True) or b""
        except Exception:  # noqa: BLE001  (an answer we cannot read still has its status)
            raw = b""
        finally:
            response.close()
    return response.status_code, raw.decode("utf-8", "replace")[:SNIPPET]


def deliver(delivery_id: int, token: str, now=None) -> DeliveryStatus | None:
    """Post one delivery this worker holds and record the outcome. Commits."""
    row = db.session.get(D, delivery_id, populate_existing=True)
    if row is None or row.status is not S.SENDING or row.claim_token != token:
        return None  # no longer ours: the lease ran out and another worker took it
    endpoint = db.session.get(WebhookEndpoint, row.endpoint_id)
    event = db.session.get(WebhookEvent, row.event_id)
    body = event.body.encode()
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "ClusterPortal-Webhooks/1",
               "X-Portal-Event": event.type, "X-Portal-Delivery": str(row.id),
               "X-Portal-Signature": signature(endpoint.secret, int(time.time()), body)}
    try:
        checked = addresses.check_url(endpoint.url)  # again: DNS may point elsewhere since registration
        row.response_status, row.response_snippet = post(endpoint.url, body, headers, checked[0])
        if not 200 <= row.response_status < 300:
            raise TryFailed(f"HTTP {row.response_status}")
    except addresses.UnsafeAddress as exc:
        _failed_try(row, TryFailed(f"refused: {exc}", permanent=True), now or utcnow())
    except TryFailed as exc:
        _failed_try(row, exc, now or utcnow())
    else:
        _finish(row, S.SENT)
    db.session.commit()
    return row.status


def _finish(row, status, error=None):
    row.status, row.claimed_until, row.claim_token, row.last_error = status, None, None, error
    if status in (S.SENT, S.FAILED):
        row.finished_at = utcnow()


def backoff(attempts: int) -> int:
    """Seconds before the next try after `attempts` failed ones: doubling from WEBHOOK_RETRY_BASE."""
    config = current_app.config
    return min(config["WEBHOOK_RETRY_BASE"] * 2 ** max(attempts - 1, 0), config["WEBHOOK_RETRY_MAX"])


def _failed_try(row, exc: TryFailed, now) -> None:
    given_up = exc.permanent or row.attempts >= current_app.config["WEBHOOK_MAX_ATTEMPTS"]
    count_delivery_failure("webhook", given_up)  # portal_outbox_delivery_failures{channel="webhook"}
    if given_up:
        _finish(row, S.FAILED, error=exc.reason)
        log.error("webhook delivery %s to endpoint %s failed for good after %s tries: %s", row.id,
                  row.endpoint_id, row.attempts, exc.reason)
        return
    delay = backoff(row.attempts)
    _finish(row, S.PENDING, error=exc.reason)
    row.next_attempt_at = now + timedelta(seconds=delay)
    log.warning("webhook delivery %s to endpoint %s: try %s failed (%s); next in %s s", row.id, row.endpoint_id,
                row.attempts, exc.reason, delay)


def deliver_due(limit: int = 50, now=None) -> dict:
    """Deliver up to `limit` due deliveries, one claim at a time. Returns counts by outcome."""
    counts: dict[str, int] = {}
    for _ in range(limit):
        claimed = claim_one(now)
        if claimed is None:
            break
        status = deliver(*claimed, now=now)
        if status is not None:
            counts[status.value] = counts.get(status.value, 0) + 1
    return counts


def next_due_in(now=None) -> int | None:
    """Seconds until a delivery is next due (0: now), or None if nothing waits."""
    now = now or utcnow()
    # only what could be claimed: a paused endpoint's queue, or a delivery held back by an earlier one, would
    # otherwise look due at once and keep the worker waking up
    claimable = (select().select_from(D).join(WebhookEndpoint, WebhookEndpoint.id == D.endpoint_id)
                 .where(WebhookEndpoint.is_active, ~_earlier_waiting()))
    retry = db.session.scalar(claimable.add_columns(func.min(D.next_attempt_at)).where(D.status == S.PENDING))
    lease = db.session.scalar(claimable.add_columns(func.min(D.claimed_until)).where(D.status == S.SENDING))
    moments = [m for m in (retry, lease) if m is not None]
    if not moments:
        return None
    return max(0, math.ceil((min(moments) - now).total_seconds()))
