"""The schedule as organisers run it: a run (the worker's job) writes meetings and the reasons for those left
out, keeps pins when run again; a move that clashes is refused with nothing changed; publishing and later
changes notify the firms' teams in their language; the pages refuse non-organisers and speak Thai."""
import pytest
from sqlalchemy import func, select

from portal.audit import AuditEntry
from portal.events import scheduling, services
from portal.events.models import Event, EventStatus, Meeting, ScheduleRun, ScheduleRunStatus
from portal.exceptions import PermissionDenied, RuleViolation
from portal.extensions import db
from portal.notifications.models import Notification
from portal.outbox.models import OutboxMessage
from tests.events_helpers import make_event, register
from tests.helpers import body, load_cast, signed_in


def _day(roles):
    """A 4-slot, 3-table event: A, B meet any time, C only in the last slot, B2 only in the first. Accepted:
    A-B, A-C and B2-C (B2 and C have no slot in common)."""
    users, firms = roles.users, roles.firms
    event = make_event(users["staff"])
    slots = event.slots
    regs = {"A": register(users["owner"], event, firms["A"]), "B": register(users["owner_of_two"], event, firms["B"]),
            "C": register(users["owner_c"], event, firms["C"], slots=[slots[3]]),
            "B2": register(users["owner_of_two"], event, firms["B2"], slots=[slots[0]])}
    requests = {}
    for sender, receiver, who, answerer in (("A", "B", "owner", "owner_of_two"), ("A", "C", "owner", "owner_c"),
                                            ("B2", "C", "owner_of_two", "owner_c")):
        sent = services.request_meeting(users[who], regs[sender], regs[receiver], "พบกัน")
        services.answer_request(users[answerer], sent, accept=True)
        requests[sender + receiver] = sent.id
    db.session.commit()
    return event, regs, requests


def _run(actor, event):
    job = scheduling.request_run(actor, event)
    db.session.commit()
    return scheduling.run(job.id)


def _meeting(request_id):
    return db.session.scalar(select(Meeting).where(Meeting.request_id == request_id))


def test_a_run_writes_meetings_and_why_the_others_are_left_out(roles):
    event, _regs, requests = _day(roles)
    job = _run(roles.users["staff"], event)
    assert job.status is ScheduleRunStatus.DONE and job.meetings == 2 and job.bound == 2 and job.unscheduled == 1
    ab, ac, b2c = (_meeting(requests[k]) for k in ("AB", "AC", "B2C"))
    assert ac.slot_id == event.slots[3].id and ab.slot_id is not None and ab.slot_id != ac.slot_id
    assert ab.table_id in {t.id for t in event.tables} and ab.unscheduled_reason is None
    assert b2c.slot_id is None and b2c.unscheduled_reason == "no_common_slot"
    actions = set(db.session.scalars(select(AuditEntry.action).where(AuditEntry.target_type == "events")))
    assert {"schedule.requested", "schedule.made"} <= actions
    with pytest.raises(PermissionDenied):
        scheduling.request_run(roles.users["owner"], event)


def test_one_run_at_a_time(roles, th):
    event, _regs, _requests = _day(roles)
    scheduling.request_run(roles.users["staff"], event)
    with pytest.raises(RuleViolation, match=th("The schedule is being made already. Please wait until it is done.")):
        scheduling.request_run(roles.users["staff"], event)


def test_a_clashing_move_is_refused_and_nothing_changes_and_pins_survive_a_new_run(roles, th):
    event, _regs, requests = _day(roles)
    staff = roles.users["staff"]
    _run(staff, event)
    ab, ac = _meeting(requests["AB"]), _meeting(requests["AC"])
    before = (ab.slot_id, ab.table_id, ab.pinned)
    last, t3 = event.slots[3], event.tables[2]
    with pytest.raises(RuleViolation, match=th("%(firm)s has another meeting in that slot.", firm="กิจการ A")):
        scheduling.move_meeting(staff, ab, last.id, t3.id)  # A meets C in the last slot
    db.session.rollback()
    ab = _meeting(requests["AB"])
    assert (ab.slot_id, ab.table_id, ab.pinned) == before
    with pytest.raises(RuleViolation, match=th("That table is taken in that slot by another meeting.")):
        scheduling.move_meeting(staff, _meeting(requests["B2C"]), ac.slot_id, ac.table_id)
    db.session.rollback()
    with pytest.raises(RuleViolation, match=th("%(firm)s is not available in that slot.", firm="กิจการ B2")):
        scheduling.move_meeting(staff, _meeting(requests["B2C"]), event.slots[3].id, t3.id)
    db.session.rollback()
    target = event.slots[1]
    scheduling.move_meeting(staff, _meeting(requests["AB"]), target.id, t3.id)
    db.session.commit()
    _run(staff, event)
    ab = _meeting(requests["AB"])
    assert (ab.slot_id, ab.table_id, ab.pinned) == (target.id, t3.id, True)
    scheduling.set_pinned(staff, ab, False)
    assert not ab.pinned
    with pytest.raises(RuleViolation):
        scheduling.set_pinned(staff, _meeting(requests["B2C"]), True)  # not placed
    actions = set(db.session.scalars(select(AuditEntry.action).where(AuditEntry.target_type == "meetings")))
    assert actions == {"meeting.moved", "meeting.unpinned"}


def test_publishing_notifies_every_firm_team_in_its_language_and_moves_notify_the_two_firms(roles):
    event, _regs, requests = _day(roles)
    staff, users = roles.users["staff"], roles.users
    users["editor"].locale = "en"
    with pytest.raises(RuleViolation):
        scheduling.publish(staff, event)  # nothing made yet
    _run(staff, event)
    scheduling.publish(staff, event)
    db.session.commit()
    assert event.status is EventStatus.PUBLISHED
    told = set(db.session.scalars(select(Notification.user_id).where(
        Notification.kind == "events.schedule_published")))
    assert {users[w].id for w in ("owner", "editor", "owner_of_two", "owner_c")} <= told
    assert users["staff"].id not in told
    # The mails of this notification only: the cast's earlier mails (registrations, sent before the editor
    # chose English) are in the outbox too, and in no particular order on PostgreSQL.
    published = set(db.session.scalars(select(Notification.id).where(
        Notification.kind == "events.schedule_published")))
    mails = {m.recipient: m.locale for m in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
             if (m.context or {}).get("notification") in published}
    assert mails.get("editor@example.com") == "en" and mails.get("owner_c@example.com") == "th"
    with pytest.raises(RuleViolation):
        scheduling.publish(staff, event)
    ab = _meeting(requests["AB"])
    free = next(s for s in event.slots[:3] if s.id != ab.slot_id)
    scheduling.move_meeting(staff, ab, free.id, event.tables[0].id)
    changed = set(db.session.scalars(select(Notification.user_id).where(
        Notification.kind == "events.schedule_changed")))
    assert users["owner"].id in changed and users["owner_of_two"].id in changed
    assert users["owner_c"].id not in changed


# --- pages ------------------------------------------------------------------------------------------

def _page_day(app, cast):
    with app.test_request_context("/"):
        event, _regs, requests = _day(load_cast(cast))
        return event.id, requests


ROUTES = ("/events/{e}/schedule", "/events/{e}/schedule/tables", "/events/{e}/schedule/meetings/{m}/move")
POSTS = ("/events/{e}/schedule/make", "/events/{e}/schedule/publish", "/events/{e}/schedule/meetings/{m}/pin",
         "/events/{e}/schedule/meetings/{m}/move")


def test_non_organisers_get_403_and_change_nothing(app, cast):
    event_id, _requests = _page_day(app, cast)
    with app.app_context():
        meeting = Meeting(event_id=event_id, request_id=_requests["AB"])
        db.session.add(meeting)
        db.session.commit()
        meeting_id = meeting.id
    for who in ("owner", "other_coordinator", "owner_c"):
        client = signed_in(app, cast.email(who))
        for url in ROUTES:
            assert client.get(url.format(e=event_id, m=meeting_id)).status_code == 403, (who, url)
        for url in POSTS:
            assert client.post(url.format(e=event_id, m=meeting_id)).status_code == 403, (who, url)
    assert app.test_client().get(f"/events/{event_id}/schedule").status_code == 302  # to sign in
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ScheduleRun)) == 0


def test_the_organiser_makes_moves_and_publishes_in_thai(app, cast, th):
    event_id, requests = _page_day(app, cast)
    staff = signed_in(app, cast.email("staff"))
    page = body(staff.get(f"/events/{event_id}/schedule?lang=th"))
    assert th("Make the schedule") in page and th("No schedule yet") in page
    assert staff.post(f"/events/{event_id}/schedule/make").status_code == 302  # run at once in tests
    page = body(staff.get(f"/events/{event_id}/schedule?lang=th"))
    assert th("Meetings scheduled") in page and "กิจการ A" in page
    assert th("The two firms have no available slot in common.") in page
    with app.app_context():
        ab, ac = _meeting(requests["AB"]), _meeting(requests["AC"])
        ab_id, before, busy_slot = ab.id, (ab.slot_id, ab.table_id), ac.slot_id
        table_id = next(t.id for t in db.session.get(Event, event_id).tables if t.id != ac.table_id)
    move = f"/events/{event_id}/schedule/meetings/{ab_id}/move?lang=th"
    refused = staff.post(move, data={"slot_id": busy_slot, "table_id": table_id})
    assert th("%(firm)s has another meeting in that slot.", firm="กิจการ A") in body(refused)
    assert staff.post(move, data={"slot_id": "x", "table_id": ""}).status_code == 200
    with app.app_context():
        assert (_meeting(requests["AB"]).slot_id, _meeting(requests["AB"]).table_id) == before
    plan = body(staff.get(f"/events/{event_id}/schedule/tables?lang=th"))
    assert "กิจการ A" in plan and "กิจการ C" in plan and th("Table plan") in plan
    with app.app_context():
        day = db.session.get(Event, event_id).starts_on
    assert str(day.year + 543) in plan  # the Buddhist Era year in Thai
    assert staff.post(f"/events/{event_id}/schedule/publish").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Notification).where(
            Notification.kind == "events.schedule_published")) >= 4
    assert th("Schedule published") in body(staff.get(f"/events/{event_id}/schedule?lang=th"))


def test_a_pin_that_no_longer_fits_fails_the_run_and_changes_nothing(roles, th):
    event, regs, requests = _day(roles)
    staff = roles.users["staff"]
    _run(staff, event)
    ab = _meeting(requests["AB"])
    scheduling.move_meeting(staff, ab, event.slots[0].id, event.tables[0].id)
    regs["A"].slots = event.slots[1:]  # A can no longer meet in the first slot, where A-B is pinned
    db.session.commit()
    ac_before = (_meeting(requests["AC"]).slot_id, _meeting(requests["AC"]).table_id)
    job = _run(staff, event)
    assert job.status is ScheduleRunStatus.FAILED and job.error == "pin_conflict"
    assert th("A pinned meeting no longer fits (a firm's availability or the event changed). Move or unpin it, "
              "then make the schedule again.")  # what the page shows, in Thai
    assert (_meeting(requests["AC"]).slot_id, _meeting(requests["AC"]).table_id) == ac_before
    assert _meeting(requests["AB"]).slot_id == event.slots[0].id


def test_runs_whose_nudge_was_lost_are_taken_up_by_the_sweep(roles):
    from datetime import timedelta

    from portal.db import utcnow

    event, _regs, _requests = _day(roles)
    job = scheduling.request_run(roles.users["staff"], event)
    db.session.commit()
    assert scheduling.waiting() == []  # just asked for: its own nudge will come
    assert scheduling.waiting(utcnow() + timedelta(minutes=2)) == [job.id]
    assert scheduling.run(job.id).status is ScheduleRunStatus.DONE
    assert scheduling.run(job.id) is None  # done once only


def test_tables_no_longer_change_once_meetings_are_placed(roles, th):
    from tests.events_helpers import event_data, sessions

    event, _regs, _requests = _day(roles)
    staff = roles.users["staff"]
    _run(staff, event)
    names = [t.name for t in event.tables]
    with pytest.raises(RuleViolation, match=th("Meetings are placed at these tables already: the tables can no "
                                               "longer change.")) as refused:
        services.update_event(staff, event, event_data(), [], sessions(), ["A", "B"])
    assert refused.value.field == "table_names"
    db.session.rollback()
    assert [t.name for t in event.tables] == names
    services.update_event(staff, event, event_data(title_en="Renamed"), [], sessions(), names)  # the rest still can
