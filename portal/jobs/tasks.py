"""The tasks workers run: delivering the outbox, and the periodic jobs (portal/jobs/periodic.py).

Periodic tasks are enqueued by the scheduler of every consumer started with them (see README,
"Production"); each job still runs at most once per period, because run_once claims the period in the
database first.
"""
import logging
import time

from flask import current_app
from huey import crontab

from portal.jobs.queue import app_context, huey

log = logging.getLogger(__name__)


@huey.task()
def deliver_outbox():
    """Deliver what is due, in batches, for at most OUTBOX_BATCH_SECONDS; come back when the next
    message is due."""
    from portal.outbox import services

    with app_context():
        budget = current_app.config["OUTBOX_BATCH_SECONDS"]
        started = time.monotonic()
        while time.monotonic() - started < budget:
            if not services.deliver_due():
                break
        wait = services.next_due_in()
        immediate = current_app.config.get("JOBS_IMMEDIATE")
    if wait is not None and not immediate:
        wake_up_at(time.time() + max(wait, 1))


WAKE_UP_KEY = "outbox-wake-up"


def wake_up_at(moment: float, key: str = WAKE_UP_KEY, task=None) -> None:
    """Schedule one delivery run at `moment`, unless one is scheduled already at or before it. Without this,
    every nudge during a mail outage would add a run that schedules the next (287 runs instead of 56 in
    45 s of load with the server down). `key` and `task`: the webhooks' run has its own."""
    planned = huey.get(key, peek=True)
    if planned is not None and time.time() < planned <= moment:
        return
    huey.put(key, moment)
    (task or deliver_outbox).schedule(delay=max(moment - time.time(), 1))


@huey.task()
def deliver_webhooks():
    """Post the webhook deliveries that are due (portal/webhooks/delivery.py), in batches, for at most
    OUTBOX_BATCH_SECONDS; come back when the next retry is due."""
    from portal.webhooks import delivery

    with app_context():
        budget = current_app.config["OUTBOX_BATCH_SECONDS"]
        started = time.monotonic()
        while time.monotonic() - started < budget:
            if not delivery.deliver_due():
                break
        wait = delivery.next_due_in()
        immediate = current_app.config.get("JOBS_IMMEDIATE")
    if wait is not None and not immediate:
        wake_up_at(time.time() + max(wait, 1), WEBHOOKS_WAKE_UP_KEY, deliver_webhooks)


WEBHOOKS_WAKE_UP_KEY = "webhooks-wake-up"


def _enqueue(task, *args) -> None:
    """Run `task` on a worker; with JOBS_IMMEDIATE (tests) here and now, by the same code. If the queue
    cannot be reached, nothing is lost: what the task would do is recorded in the database, and the
    sweep every minute does it."""
    try:
        if current_app.config.get("JOBS_IMMEDIATE"):
            task.call_local(*args)
        else:
            task(*args)
    except Exception:  # noqa: BLE001  (the rows are committed; only the nudge is lost)
        log.warning("could not reach the job queue for %s%s; the sweep will do it", task.name, args, exc_info=True)


def nudge() -> None:
    """Ask a worker to deliver now."""
    _enqueue(deliver_outbox)


def nudge_if_committed() -> None:
    """After a commit (a request's, a job's, a command's): nudge a worker if it wrote outbox rows, and
    start one job for each announcement to followers it recorded (portal/following/fanout.py)."""
    from portal.following import fanout
    from portal.outbox.services import committed_since_last_call
    from portal.webhooks import services as webhooks

    if committed_since_last_call():
        nudge()
    if webhooks.committed_since_last_call():
        _enqueue(deliver_webhooks)
    for fanout_id in fanout.committed_since_last_call():
        _enqueue(run_fanout, fanout_id)


@huey.on_startup()
def catch_up():
    """A worker that starts (after a deploy, a crash, a kill) delivers what is due at once, without
    waiting for the next minute's sweep."""
    try:
        deliver_outbox()
        deliver_webhooks()
    except Exception:  # noqa: BLE001  (the sweep will do it)
        log.warning("could not enqueue the catch-up delivery", exc_info=True)


@huey.task()
def run_member_import(import_id: int):
    """Apply a coordinator's confirmed import, then send what it queued."""
    from portal.memberships import imports

    with app_context():
        imports.run(import_id)
        nudge_if_committed()


def start_member_import(import_id: int) -> None:
    """After the commit that recorded the import."""
    _enqueue(run_member_import, import_id)


@huey.task()
def run_schedule(run_id: int):
    """Make a matching day's schedule an organiser asked for, then send what it queued."""
    from portal.events import scheduling

    with app_context():
        scheduling.run(run_id)
        nudge_if_committed()


def start_schedule_run(run_id: int) -> None:
    """After the commit that recorded the run."""
    _enqueue(run_schedule, run_id)


@huey.task()
def run_fanout(fanout_id: int):
    """Tell the followers of one announcement (a request posted, a member approved …), in batches."""
    from portal.following import fanout

    with app_context():
        fanout.run(fanout_id)
        nudge_if_committed()


@huey.task()
def run_data_export(export_id: int):
    """Build a user's "Download my data" ZIP, then send the notification and e-mail it queued. A failure is
    recorded on the export (the user sees it and may ask again)."""
    from portal.extensions import db
    from portal.mydata import services

    with app_context():
        try:
            services.build_export(export_id)
            db.session.commit()
        except Exception as exc:
            db.session.rollback()
            log.exception("data export %s failed", export_id)
            services.fail_export(export_id, str(exc))
            db.session.commit()
        nudge_if_committed()


def start_data_export(export_id: int) -> None:
    """After the commit that recorded the request."""
    _enqueue(run_data_export, export_id)


@huey.periodic_task(crontab(minute="*/5"))
def saved_search_alerts():
    """Every five minutes: the "at once" saved searches (once per five-minute period, however many
    schedulers run; a run still going when the next starts does not count a window twice: alerts._take)."""
    from portal.jobs import periodic

    with app_context():
        periodic.run_immediate_alerts()


@huey.periodic_task(crontab(minute="*"))
def sweep_outbox():
    """Every minute: whatever is due and was not nudged (a lost nudge, a retry after backoff; e-mail, LINE and
    webhooks), and imports, schedule runs and fan-outs to followers whose start was lost or whose worker died."""
    from portal.events import scheduling
    from portal.memberships import imports

    deliver_outbox.call_local()
    deliver_webhooks.call_local()
    with app_context():
        waiting = imports.waiting()
    for import_id in waiting:
        run_member_import.call_local(import_id)
    with app_context():
        runs = scheduling.waiting()
    for run_id in runs:
        run_schedule.call_local(run_id)
    from portal.following import fanout

    with app_context():
        fanouts = fanout.waiting()
    for fanout_id in fanouts:
        run_fanout.call_local(fanout_id)
    from portal.mydata import services as mydata

    with app_context():
        exports = mydata.waiting_exports()
    for export_id in exports:
        run_data_export.call_local(export_id)


@huey.periodic_task(crontab(minute="*/10"))
def periodic_jobs():
    """Every ten minutes: the jobs whose time has come and that have not run in their period."""
    from portal.jobs import periodic

    with app_context():
        periodic.run_due()
