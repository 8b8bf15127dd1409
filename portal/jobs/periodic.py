"""The periodic jobs, each at most once per period across every machine.

A job runs when its hour (Bangkok time) has come and no run of its period (the Bangkok date, or the
hour) is recorded in job_runs. The run is claimed by inserting that row first, in its own committed
transaction: a second scheduler, here or on another machine, hits the unique key and skips. A job that
fails gives its claim back, so the next tick tries again. Links in the messages come from
PORTAL_BASE_URL (portal/links.py), never from a request.
"""
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable

from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from portal import audit
from portal.db import utcnow
from portal.extensions import db
from portal.jobs.models import JobRun
from portal.thai import to_bangkok

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[], str]
    hour: int | None = None  # daily, from this Bangkok hour on; None: hourly


def run_once(job: str, period: str, work: Callable[[], str]) -> str | None:
    """Run `work` unless this period's run is claimed already; returns its outcome, or None if skipped."""
    from portal.jobs.tasks import nudge_if_committed

    db.session.rollback()
    db.session.add(JobRun(job=job, period=period, started_at=utcnow()))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return None
    try:
        outcome = work()
        db.session.commit()
    except Exception:
        db.session.rollback()
        db.session.execute(delete(JobRun).where(JobRun.job == job, JobRun.period == period))
        db.session.commit()
        log.exception("periodic job %s (%s) failed; it will be tried again", job, period)
        raise
    db.session.execute(update(JobRun).where(JobRun.job == job, JobRun.period == period)
                       .values(finished_at=utcnow(), outcome=str(outcome)[:500]))
    db.session.commit()
    nudge_if_committed()
    log.info("periodic job %s (%s): %s", job, period, outcome)
    return outcome



# --- the jobs --------------------------------------------------------------------------------------

def expire_requests() -> str:
    from portal.collab.services import expire_requests as expire

    run = expire()
    return f"{run.expired} expired, {run.warned} warned, {run.skipped} skipped"


def expire_meeting_requests() -> str:
    """Meeting requests nobody answered before their event's booking closed (at Bangkok midnight) expire."""
    from portal.events.services import expire_requests as expire

    return f"{expire()} meeting requests expired"


def event_reminders() -> str:
    """The day before a matching day, each approved firm's team gets its agenda link (once per registration)."""
    from portal.events.meetings import send_reminders

    return f"{send_reminders()} matching-day reminders"


def followups() -> str:
    """Six months after a held meeting marked "continue" or a partnership, each firm is asked what came of
    it; reminders after 7 and 21 days unanswered, then no more (portal/followup/services.py)."""
    from portal.followup.services import send_due

    run = send_due()
    return f"{run.created} follow-ups created, {run.sent} sent, {run.reminded} reminded"


def notification_digests() -> str:
    from portal.notifications.services import send_digests

    users, items = send_digests()
    return f"{users} users, {items} notifications"


def request_digests() -> str:
    from portal.collab.services import request_digests as digests

    return f"{digests()} request digests"


def daily_search_alerts() -> str:
    """Saved searches checked once a day, before the 07:00 digest (portal/following/alerts.py)."""
    from portal.following.alerts import run
    from portal.following.models import Frequency

    checked, alerted = run(Frequency.DAILY)
    return f"{checked} daily saved searches checked, {alerted} alerts"


def run_immediate_alerts(now=None) -> str | None:
    """The "at once" saved searches, once per five-minute period (tasks.saved_search_alerts calls it)."""
    from portal.following.alerts import run
    from portal.following.models import Frequency

    local = to_bangkok(now or utcnow())
    period = local.strftime("%Y-%m-%dT%H:") + f"{local.minute - local.minute % 5:02d}"

    def work():
        checked, alerted = run(Frequency.IMMEDIATE, now)
        return f"{checked} saved searches checked, {alerted} alerts"

    return run_once("searches.immediate", period, work)


def check_results() -> str:
    """Recount the dashboard's kept figures and membership spans from the memberships, the scorecard's kept
    partner pairs from the memberships and outcomes, and the kept request, meeting, follow-up, active-member and
    network figures (with each firm's links, which the network map ranks members by); if they had drifted, the
    recount stands and the difference is logged and audited."""
    from portal.admin.models import ResultCount, ResultLinkKey, ResultMemberSpan, ResultPairKey
    from portal.admin.rollup import rebuild

    def snapshot():
        rows = db.session.execute(select(ResultCount.scope, ResultCount.dimension, ResultCount.bucket,
                                         ResultCount.firms)).all()
        counts = {(scope, dimension, bucket): firms for scope, dimension, bucket, firms in rows}
        pairs = db.session.execute(select(ResultPairKey.cluster_id, ResultPairKey.low_firm_id,
                                          ResultPairKey.high_firm_id, ResultPairKey.year, ResultPairKey.change))
        spans = db.session.execute(select(ResultMemberSpan.cluster_id, ResultMemberSpan.firm_id,
                                          ResultMemberSpan.first_year, ResultMemberSpan.ended_year,
                                          ResultMemberSpan.positions))
        links = db.session.execute(select(ResultLinkKey.firm_id, ResultLinkKey.degree, ResultLinkKey.degrees))
        return (counts | {("pair", *key): change for *key, change in pairs} | {("span", *span): 1 for span in spans}
                | {("links", *link): 1 for link in links})

    before = snapshot()
    rebuild(db.session)
    db.session.flush()
    after = snapshot()
    drifted = sorted((key for key in before.keys() | after.keys() if before.get(key, 0) != after.get(key, 0)),
                     key=str)
    if drifted:
        log.warning("results figures had drifted in %s places; recounted", len(drifted))
        audit.record(None, "results.recounted", None, drifted=len(drifted),
                     examples=[list(k) for k in drifted[:10]])
    return f"{len(drifted)} figures corrected"


def remove_abandoned_imports() -> str:
    """Import files nobody confirmed, or whose run never finished, go after IMPORT_PREVIEW_HOURS (portal/media,
    purpose "import"; a finished or failed run removes its own): they hold firms' contacts and would otherwise
    stay in the database and in every backup."""
    from portal.media import services as media
    from portal.media.models import IMPORT

    removed = media.remove_older(IMPORT, utcnow() - timedelta(hours=current_app.config["IMPORT_PREVIEW_HOURS"]))
    return f"{removed} abandoned import previews removed"


def forget_old_sign_in_failures() -> str:
    from portal.auth.models import LoginThrottle
    from portal.auth.throttle import FORGET_AFTER

    result = db.session.execute(delete(LoginThrottle).where(LoginThrottle.last_failure_at < utcnow() - FORGET_AFTER))
    return f"{result.rowcount or 0} old sign-in failure counts removed"


def expire_device_sessions() -> str:
    """Sessions past their lifetime end (the loader refuses them already; this keeps the sessions page
    true), and sessions ended DEVICE_SESSION_RETENTION_DAYS ago are deleted."""
    from portal.devices import services as devices

    ended, removed = devices.expire_and_forget()
    return f"{ended} expired sessions ended, {removed} old ended sessions removed"


def remove_unconfirmed_accounts() -> str:
    """Retention: an account whose address was never confirmed is removed UNCONFIRMED_RETENTION_DAYS after
    registration (its notifications and queued mail with it). One that others' records point to (a report
    it filed) or that is on a firm's team is kept. The audit trail keeps that the account existed, not who it was."""
    from portal.audit import AuditEntry
    from portal.auth.models import User
    from portal.firms.models import FirmMember

    cutoff = utcnow() - timedelta(days=current_app.config["UNCONFIRMED_RETENTION_DAYS"])
    candidates = db.session.scalars(select(User).where(User.confirmed_at.is_(None), User.created_at < cutoff)).all()
    removed = kept = 0
    on_a_team = set(db.session.scalars(select(FirmMember.user_id).where(
        FirmMember.user_id.in_([user.id for user in candidates]))))
    for user in candidates:
        if user.id in on_a_team:  # owns or edits a firm: removing the account would take the firm's team with it
            kept += 1
            continue
        try:
            with db.session.begin_nested():
                db.session.execute(update(AuditEntry).where(AuditEntry.actor_id == user.id).values(actor_id=None))
                db.session.delete(user)
                db.session.flush()
            removed += 1
        except IntegrityError:
            kept += 1
    if removed:
        audit.record(None, "accounts.unconfirmed_removed", None, removed=removed, kept=kept,
                     days=current_app.config["UNCONFIRMED_RETENTION_DAYS"])
    return f"{removed} never-confirmed accounts removed, {kept} kept (referenced)"


def erase_accounts() -> str:
    """Accounts whose deletion grace period (ACCOUNT_ERASURE_GRACE_DAYS) is over are erased
    (portal/mydata/erasure.py)."""
    from portal.mydata.erasure import erase_due

    return f"{erase_due()} accounts erased"


def remove_expired_exports() -> str:
    """"Download my data" files whose link has expired (EXPORT_LINK_DAYS) are deleted."""
    from portal.mydata.services import remove_expired_exports as remove

    return f"{remove()} expired data exports removed"


def privacy_retention() -> str:
    """The retention schedule's notifications, outbox rows and audit entries (portal/privacy/retention.py)."""
    from portal.privacy import retention

    return retention.run()


JOBS = [
    Job("requests.expire", expire_requests, hour=0),
    Job("events.expire_requests", expire_meeting_requests, hour=0),
    Job("results.check", check_results, hour=3),
    Job("accounts.retention", remove_unconfirmed_accounts, hour=3),
    Job("accounts.erasure", erase_accounts, hour=3),
    Job("sessions.expire", expire_device_sessions, hour=3),
    Job("privacy.retention", privacy_retention, hour=3),
    Job("events.reminders", event_reminders, hour=6),  # before the 07:00 digest, so digest readers get it too
    Job("searches.daily", daily_search_alerts, hour=6),  # before the 07:00 digest too
    Job("followup.send", followups, hour=9),  # office hours in Thailand, when the team reads its mail
    Job("notifications.digest", notification_digests, hour=7),
    Job("requests.digest", request_digests, hour=7),
    Job("imports.cleanup", remove_abandoned_imports),
    Job("sign_in.cleanup", forget_old_sign_in_failures),
    Job("exports.cleanup", remove_expired_exports),
]
BY_NAME = {job.name: job for job in JOBS}


def period_of(job: Job, now=None) -> str | None:
    """The period this job would run for now, or None if its hour has not come today."""
    local = to_bangkok(now or utcnow())
    if job.hour is None:
        return local.strftime("%Y-%m-%dT%H")
    if local.hour < job.hour:
        return None
    return local.date().isoformat()


def run_due(now=None) -> dict[str, str | None]:
    """Every job whose period has come and is not yet claimed; a failing job does not stop the others."""
    outcomes = {}
    for job in JOBS:
        period = period_of(job, now)
        if period is None:
            continue
        try:
            outcomes[job.name] = run_once(job.name, period, job.run)
        except Exception as exc:  # noqa: BLE001  (logged in run_once; the next tick retries)
            outcomes[job.name] = f"failed: {exc}"
    return outcomes
