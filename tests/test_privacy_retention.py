"""The retention schedule: rows just inside each period stay, rows just outside go; the job runs once a day
and records what it removed; the schedule and the jobs are the same data."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.audit import AuditEntry
from portal.db import utcnow
from portal.extensions import db
from portal.jobs import periodic
from portal.jobs.models import JobRun
from portal.notifications.models import Notification
from portal.outbox.models import OutboxMessage, OutboxStatus
from portal.privacy import retention
from tests import factories

HOUR = timedelta(hours=1)


def days(key):
    return timedelta(days=retention.BY_KEY[key].period)


def notification(user, read_at, created_at=None):
    row = Notification(user_id=user.id, kind="test", target_type="system", target_id=None, params={},
                       created_at=created_at or (read_at or utcnow()) - HOUR, read_at=read_at)
    db.session.add(row)
    return row


_n = iter(range(10_000))


def outbox(status, created_at, sent_at=None):
    row = OutboxMessage(kind="test", recipient="someone@example.com", locale="th", context={},
                        message_id=f"<retention-{next(_n)}@test>", status=status, created_at=created_at,
                        next_attempt_at=created_at, sent_at=sent_at)
    db.session.add(row)
    return row


def ids(model):
    return set(db.session.scalars(select(model.id)))


def test_read_notifications_go_after_their_period_unread_ones_stay(ctx):
    user, now = factories.user(), utcnow()
    inside = notification(user, now - days("notifications") + HOUR)
    outside = notification(user, now - days("notifications") - HOUR)
    unread_old = notification(user, None, created_at=now - 3 * days("notifications"))
    db.session.flush()
    assert retention.remove_read_notifications(now) == 1
    assert ids(Notification) == {inside.id, unread_old.id}
    assert outside.id not in ids(Notification)


def test_outbox_rows_go_when_finished_never_while_being_tried(ctx):
    now, period = utcnow(), days("outbox")
    old = now - period - HOUR
    kept = {
        outbox(OutboxStatus.SENT, old, sent_at=now - period + HOUR),  # sent just inside
        outbox(OutboxStatus.PENDING, now - 10 * period),  # still being retried
        outbox(OutboxStatus.SENDING, now - 10 * period),
        outbox(OutboxStatus.FAILED, now - period + HOUR),
    }
    gone = {
        outbox(OutboxStatus.SENT, old, sent_at=old),
        outbox(OutboxStatus.FAILED, old),
        outbox(OutboxStatus.CANCELLED, old),
    }
    db.session.flush()
    assert retention.remove_old_outbox(now) == 3
    assert ids(OutboxMessage) == {row.id for row in kept}
    assert not ids(OutboxMessage) & {row.id for row in gone}


def test_audit_entries_go_after_about_five_years(ctx, app):
    assert 5 * 365 <= app.config["AUDIT_RETENTION_DAYS"] <= 5 * 366
    now = utcnow()
    inside = AuditEntry(action="x.inside", target_type="system", created_at=now - days("audit") + HOUR)
    outside = AuditEntry(action="x.outside", target_type="system", created_at=now - days("audit") - HOUR)
    db.session.add_all([inside, outside])
    db.session.flush()
    assert retention.remove_old_audit_entries(now) == 1
    assert inside.id in ids(AuditEntry) and outside.id not in ids(AuditEntry)


def test_periods_come_from_the_configuration(ctx, app, monkeypatch):
    monkeypatch.setitem(app.config, "NOTIFICATION_RETENTION_DAYS", 2)
    user, now = factories.user(), utcnow()
    notification(user, now - timedelta(days=3))
    keep = notification(user, now - timedelta(days=1))
    db.session.flush()
    assert retention.remove_read_notifications(now) == 1
    assert ids(Notification) == {keep.id}


def test_the_daily_job_removes_once_a_day_and_records_what_it_removed(ctx, caplog):
    user, now = factories.user(), utcnow()
    notification(user, now - days("notifications") - HOUR)
    outbox(OutboxStatus.SENT, now - 200 * HOUR - days("outbox"), sent_at=now - days("outbox") - HOUR)
    db.session.commit()
    job = periodic.BY_NAME["privacy.retention"]
    assert job.hour is not None  # daily
    with caplog.at_level("INFO", logger="portal.privacy.retention"):
        outcome = periodic.run_once(job.name, "2026-12-01", job.run)
    assert outcome == "1 notifications, 1 outbox, 0 audit removed"
    assert "1 notifications, 1 outbox" in caplog.text
    assert periodic.run_once(job.name, "2026-12-01", job.run) is None  # another machine: skipped
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "privacy.retention_run"))
    assert entry.details == {"notifications": 1, "outbox": 1, "audit": 0}
    assert db.session.scalar(select(func.count()).select_from(JobRun).where(JobRun.job == job.name)) == 1


def test_a_run_with_nothing_to_remove_leaves_no_audit_entry(ctx):
    assert retention.run() == "0 notifications, 0 outbox, 0 audit removed"
    db.session.flush()
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "privacy.retention_run")) is None


@pytest.mark.parametrize("rule", retention.SCHEDULE, ids=lambda rule: rule.key)
def test_every_rule_of_the_schedule_is_carried_out_by_a_daily_or_hourly_job(app, rule):
    assert rule.job in periodic.BY_NAME
    assert rule.setting in app.config and int(app.config[rule.setting]) > 0


def test_a_never_confirmed_account_on_a_firms_team_is_kept(ctx):
    from portal.auth.models import User

    now = utcnow()
    owner = factories.user(email="owner.unconfirmed@example.com", confirmed=False)
    alone = factories.user(email="alone.unconfirmed@example.com", confirmed=False)
    factories.team_member(factories.firm(), owner, "owner")
    owner.created_at = alone.created_at = now - days("unconfirmed_accounts") - HOUR
    db.session.commit()
    assert periodic.remove_unconfirmed_accounts() == "1 never-confirmed accounts removed, 1 kept (referenced)"
    left = set(db.session.scalars(select(User.email)))
    assert "owner.unconfirmed@example.com" in left and "alone.unconfirmed@example.com" not in left
