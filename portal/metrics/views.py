"""GET /metrics in Prometheus text format, only from METRICS_ALLOWED_IPS or with `Authorization: Bearer
<METRICS_TOKEN>`; anyone else gets the ordinary 404 page, as if there were nothing here."""
import os
import time

from flask import Blueprint, Response, abort, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import func, select

from portal.db import utcnow
from portal.extensions import db
from portal.permissions import can_read_metrics

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def scrape():
    config = current_app.config
    if not can_read_metrics(request.remote_addr, request.headers.get("Authorization"),
                            config.get("METRICS_ALLOWED_IPS"), config.get("METRICS_TOKEN")):
        abort(404)  # as if there were nothing here
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    scraped = CollectorRegistry()
    scraped.register(OutboxCollector())
    response = Response(body + generate_latest(scraped), mimetype=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response


class OutboxCollector:
    """Queue depth and the age of the oldest waiting message by channel, read at scrape time with one
    grouped query (the outbox's due index covers the status filter)."""

    def collect(self):
        from portal.outbox.models import OutboxMessage, OutboxStatus

        started = time.perf_counter()
        rows = db.session.execute(
            select(OutboxMessage.channel, func.count(), func.min(OutboxMessage.created_at))
            .where(OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]))
            .group_by(OutboxMessage.channel)).all()
        now = utcnow()
        depth = GaugeMetricFamily("portal_outbox_queue_depth", "Outbox messages waiting or being sent, by channel",
                                  labels=["channel"])
        age = GaugeMetricFamily("portal_outbox_oldest_pending_age_seconds",
                                "Age of the oldest waiting outbox message, by channel", labels=["channel"])
        for channel in sorted({"email", *(row[0] for row in rows)}):
            count, oldest = next(((row[1], row[2]) for row in rows if row[0] == channel), (0, None))
            depth.add_metric([channel], count)
            age.add_metric([channel], max((now - oldest).total_seconds(), 0) if oldest else 0)
        yield depth
        yield age
        yield GaugeMetricFamily("portal_metrics_scrape_query_seconds", "Time the scrape spent in the database",
                                value=time.perf_counter() - started)
