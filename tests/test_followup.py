"""Follow-up questions (issue 21): created when due, mailed to each firm's team in each member's language,
reminded after 7 and 21 days then left; answered once through a link that needs no sign-in."""
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.audit import AuditEntry
from portal.auth.models import User
from portal.collab.models import CloseReason, CollabRequest, Kind, Outcome, OutcomeKind, RequestStatus
from portal.db import utcnow
from portal.events.models import Meeting, MeetingState
from portal.extensions import db
from portal.followup import services
from portal.followup.models import FollowUp, Source, Stage
from portal.outbox.models import OutboxMessage
from portal.thai import bangkok_today
from tests.events_day_helpers import matching_day
from tests.helpers import body, load_cast, signed_in

DAY = timedelta(days=1)


def _held(meeting, days_ago, sender=None, receiver=None, now=None):
    meeting.state, meeting.marked_at = MeetingState.HELD, (now or utcnow()) - days_ago * DAY
    meeting.sender_continues, meeting.receiver_continues = sender, receiver


@pytest.fixture
def world(app, cast):
    """A→B held 182 days ago (only A wants to go on), K→A held 181 days ago (both want to), committed."""
    now = utcnow()
    with app.test_request_context("/"):
        roles = load_cast(cast)
        event, _regs, meetings = matching_day(roles, started=True)
        _held(meetings["ab"], 182, sender=True, receiver=False, now=now)
        _held(meetings["ka"], 181, sender=True, receiver=True, now=now)
        db.session.commit()
        return {"now": now, "ab": meetings["ab"].id, "ka": meetings["ka"].id, "event": event.id}


def _followups():
    query = select(FollowUp.meeting_id, FollowUp.request_id, FollowUp.firm_id).order_by(FollowUp.id)
    return db.session.execute(query).all()


def _mails():
    return db.session.execute(select(OutboxMessage.recipient, OutboxMessage.locale, OutboxMessage.context)
                              .where(OutboxMessage.kind == "followup.ask").order_by(OutboxMessage.id)).all()


def test_a_question_is_due_182_days_after_a_held_meeting_for_each_side_that_said_continue(app, cast, world):
    with app.test_request_context("/"):
        run = services.send_due(world["now"])
        db.session.commit()
        assert (run.created, run.sent) == (1, 1)
        assert _followups() == [(world["ab"], None, cast.firms["A"])]  # B said no; K→A is a day short
        run = services.send_due(world["now"] + DAY)
        db.session.commit()
        assert (run.created, run.sent) == (2, 2)
        assert sorted(f for m, _r, f in _followups() if m == world["ka"]) == sorted([cast.firms["K"], cast.firms["A"]])


def test_a_meeting_nobody_wants_to_continue_or_not_held_asks_nothing(app, cast, world):
    with app.test_request_context("/"):
        for meeting in db.session.scalars(select(Meeting)):
            meeting.sender_continues = meeting.receiver_continues = False
        db.session.commit()
        assert services.send_due(world["now"] + 400 * DAY).created == 0
        ka = db.session.get(Meeting, world["ka"])
        ka.state, ka.sender_continues = MeetingState.NO_SHOW, True
        db.session.commit()
        assert services.send_due(world["now"] + 400 * DAY).created == 0


def test_the_delay_is_a_setting(app, cast, world, monkeypatch):
    monkeypatch.setitem(app.config, "FOLLOWUP_DELAY_DAYS", 30)
    with app.test_request_context("/"):
        assert services.send_due(world["now"]).created == 3


def test_a_partnered_request_asks_both_the_poster_and_the_partner(app, cast):
    with app.test_request_context("/"):
        request = _partnered(cast, days_ago=182)
        db.session.commit()
        services.send_due()
        db.session.commit()
        assert sorted(f for _m, r, f in _followups() if r == request) == sorted([cast.firms["A"], cast.firms["B"]])
        assert all(s is Source.REQUEST for s in db.session.scalars(select(FollowUp.source)))


def _partnered(cast, days_ago, firm="A", partner="B"):
    request = CollabRequest(firm_id=cast.firms[firm], cluster_id=cast.clusters["betta"], kind=Kind.JOINT_SELLING,
                            title_th="ขายปลากัดร่วมกัน", title_en="Selling bettas together",
                            expires_on=bangkok_today(), fiscal_year=2569, status=RequestStatus.CLOSED,
                            close_reason=CloseReason.PARTNERED, closed_at=utcnow() - days_ago * DAY)
    db.session.add(request)
    db.session.flush()
    db.session.add(Outcome.of_request(request, partner_firm_id=cast.firms[partner], value_baht=Decimal(1000),
                           kind=OutcomeKind.NEW_SALES, fiscal_year=2569))
    db.session.flush()
    return request.id


def test_each_member_of_the_team_gets_it_in_their_language_then_two_reminders_then_none(app, cast, world, mailbox,
                                                                                        th):
    with app.test_request_context("/"):
        db.session.get(User, cast.users["editor"]).locale = "en"  # the cast reads Thai
        db.session.commit()
        now = world["now"]
        services.send_due(now)
        db.session.commit()
        sent = _mails()
        # A's team: owner (th) and editor (en); the suspended editor gets nothing
        assert sorted((r, loc) for r, loc, _c in sent) == [("editor@example.com", "en"), ("owner@example.com", "th")]
        assert services.send_due(now).sent == 0 and len(_mails()) == 2  # twice: nothing twice
        for days, reminders in ((6, 0), (7, 1), (8, 1), (20, 1), (21, 2), (22, 2), (59, 2)):
            services.send_due(now + days * DAY)
            db.session.commit()
            followup = db.session.scalar(select(FollowUp).where(FollowUp.meeting_id == world["ab"]))
            assert followup.reminders == reminders, days
        reminders = [c["reminder"] for _r, _l, c in _mails() if c["followup"] == followup.id]
        assert sorted(reminders) == [0, 0, 1, 1, 2, 2]
    from portal.outbox.services import deliver_due

    with app.app_context():
        deliver_due()
    about_b = [m for m in mailbox.messages if "/followup/" in mailbox.body(m)
               and ("Firm B" in m["Subject"] or "กิจการ B" in m["Subject"])]
    assert len(about_b) == 6  # A's two readers: the question and two reminders each
    assert [m["Subject"] for m in about_b if m["To"] == "editor@example.com"] == [
        "Cluster Portal: what came of your contact with Firm B?",
        *["Reminder: what came of your contact with Firm B?"] * 2]
    english = [m for m in about_b if m["To"] == "editor@example.com"][-1]
    text = mailbox.body(english)
    assert "What came of it?" in " ".join(text.split()) and english["Subject"].startswith("Reminder")
    thai = mailbox.body([m for m in about_b if m["To"] == "owner@example.com"][0])
    assert th("About six months ago %(firm)s met or partnered with %(other)s through the Cluster Portal. What came "
              "of it? One short question, no sign-in needed:", firm="กิจการ A", other="กิจการ B") in thai
    assert th("The link works once. Your answer helps OSMEP report what the clusters achieve.") in thai
    link = mailbox.link_in(english, "/followup/")  # built from PORTAL_BASE_URL, in the reader's language
    assert link.endswith("?lang=en")
    page = app.test_client().get(link)  # no sign-in
    assert page.status_code == 200 and "Firm B" in body(page)


def _sent_followup(app, world):
    """A's question for the A→B meeting, sent; its link's token."""
    with app.test_request_context("/"):
        services.send_due(world["now"])
        db.session.commit()
        followup = db.session.scalar(select(FollowUp).where(FollowUp.meeting_id == world["ab"]))
        return followup.id, services.token_of(followup)


def test_the_link_shows_the_question_without_signing_in_in_either_language(app, cast, world, client, th):
    _id, token = _sent_followup(app, world)
    page = client.get(f"/followup/{token}?lang=en")
    assert page.status_code == 200 and "no-store" in page.headers["Cache-Control"]
    text = body(page)
    assert "Firm A" in text and "Firm B" in text and "Agreement reached" in text
    thai = body(client.get(f"/followup/{token}?lang=th"))
    assert th("What came of it?") in thai and "กิจการ B" in thai and th("Agreement reached") in thai


def test_an_answer_is_recorded_once_and_audited(app, cast, world, client, th):
    followup_id, token = _sent_followup(app, world)
    answer = client.post(f"/followup/{token}?lang=en", data={"stage": "negotiation"})
    assert answer.status_code == 200 and "Negotiation started" in body(answer)
    with app.app_context():
        followup = db.session.get(FollowUp, followup_id)
        assert followup.stage is Stage.NEGOTIATION and followup.answered_at and followup.value_baht is None
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.action == "followup.answered")) == 1
    again = client.post(f"/followup/{token}?lang=th", data={"stage": "agreement", "value": "5000",
                                                             "kind": "new_sales", "aim": "market"})
    assert again.status_code == 410 and th("This link has been used already or has expired. Thank you: "
                                           "if you still want to tell us something, write to your cluster's "
                                           "coordinator.") in body(again)
    assert client.get(f"/followup/{token}").status_code == 410
    with app.app_context():
        assert db.session.get(FollowUp, followup_id).stage is Stage.NEGOTIATION


def test_an_agreement_carries_its_value_kind_and_aim(app, cast, world, client):
    followup_id, token = _sent_followup(app, world)
    client.post(f"/followup/{token}", data={"stage": "agreement", "value": "250000.50", "kind": "cost_saved",
                                            "aim": "cost"})
    with app.app_context():
        followup = db.session.get(FollowUp, followup_id)
        assert (followup.stage, followup.value_baht, followup.kind.value, followup.aim.value) == \
            (Stage.AGREEMENT, Decimal("250000.50"), "cost_saved", "cost")


@pytest.mark.parametrize(("data", "field", "message"), [
    ({}, "stage", "Choose how far it went."),
    ({"stage": "nonsense"}, "stage", "Not a valid choice."),
    ({"stage": "agreement", "value": "abc", "kind": "new_sales", "aim": "market"}, "value",
     "Not a valid decimal value."),
    ({"stage": "agreement", "value": "-5", "kind": "new_sales", "aim": "market"}, "value", None),
    ({"stage": "agreement", "value": "0", "kind": "new_sales", "aim": "market"}, "value",
     "The value must be more than zero baht."),
    ({"stage": "agreement", "value": "99999999999", "kind": "new_sales", "aim": "market"}, "value", None),
    ({"stage": "agreement", "kind": "new_sales", "aim": "market"}, "value",
     "For an agreement, give its value in baht, whether it saved cost or made sales, and its aim."),
    ({"stage": "agreement", "value": "5000", "aim": "market"}, "kind",
     "For an agreement, give its value in baht, whether it saved cost or made sales, and its aim."),
    ({"stage": "agreement", "value": "5000", "kind": "new_sales", "aim": "moon"}, "aim", "Not a valid choice."),
])
def test_bad_answers_come_back_with_translated_errors_and_change_nothing(app, cast, world, client, th, data, field,
                                                                        message):
    followup_id, token = _sent_followup(app, world)
    page = client.post(f"/followup/{token}?lang=th", data=data)
    assert page.status_code == 200
    text = body(page)
    assert 'aria-invalid="true"' in text or "field-invalid" in text
    if message:
        assert th(message) in text
    with app.app_context():
        followup = db.session.get(FollowUp, followup_id)
        assert followup.answered_at is None and followup.stage is None
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.action == "followup.answered")) == 0


def test_expired_tampered_unknown_and_unsent_links_change_nothing(app, cast, world, client, th):
    followup_id, token = _sent_followup(app, world)
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    for bad in (tampered, "x", "a" * 300):
        page = client.post(f"/followup/{bad}?lang=th", data={"stage": "knowledge"})
        assert page.status_code == 404
        assert th("This follow-up link is not valid. Please use the link from the e-mail exactly as it is.") \
            in body(page)
    with app.app_context():
        followup = db.session.get(FollowUp, followup_id)
        followup.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    expired = client.post(f"/followup/{token}?lang=th", data={"stage": "knowledge"})
    assert expired.status_code == 410
    with app.test_request_context("/"):
        followup = db.session.get(FollowUp, followup_id)
        assert followup.answered_at is None
        unsent = db.session.scalar(select(FollowUp).where(FollowUp.sent_at.is_(None)))
        assert unsent is None  # (only K→A would be unsent; it is not due yet)
        services.create_due(world["now"] + DAY)
        db.session.commit()
        unsent = db.session.scalar(select(FollowUp).where(FollowUp.sent_at.is_(None)))
        assert client.get(f"/followup/{services.token_of(unsent)}").status_code == 404


def test_the_token_is_not_stored(app, cast, world):
    followup_id, token = _sent_followup(app, world)
    with app.app_context():
        followup = db.session.get(FollowUp, followup_id)
        assert token not in (followup.token_hash, followup.token_salt)
        for (context,) in db.session.execute(select(OutboxMessage.context)):
            assert token not in str(context)


def test_the_answer_form_needs_its_csrf_token(app, cast, world, client, monkeypatch):
    followup_id, token = _sent_followup(app, world)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert client.post(f"/followup/{token}", data={"stage": "knowledge"}).status_code in (200, 400)
    with app.app_context():
        assert db.session.get(FollowUp, followup_id).answered_at is None


def test_values_beside_another_stage_are_ignored_even_nonsense(app, cast, world, client):
    followup_id, token = _sent_followup(app, world)
    page = client.post(f"/followup/{token}", data={"stage": "knowledge", "value": "abc", "kind": "x",
                                                   "aim": "<script>alert(1)</script>"})
    assert page.status_code == 200
    with app.app_context():
        followup = db.session.get(FollowUp, followup_id)
        assert (followup.stage, followup.value_baht, followup.kind, followup.aim) == (Stage.KNOWLEDGE, None, None, None)


def test_the_language_switch_works_on_the_answer_page(app, cast, world, client):
    _id, token = _sent_followup(app, world)
    thai = body(client.get(f"/followup/{token}?lang=th"))
    switch = re.search(r'<a href="([^"]+)" hreflang="en"', thai).group(1).replace("&amp;", "&")
    english = client.get(switch, follow_redirects=True)
    assert english.status_code == 200 and "What came of it?" in body(english) and "Firm B" in body(english)


def test_the_daily_job_runs_once_a_day(app, cast, world, monkeypatch):
    from portal.jobs import periodic

    job = periodic.BY_NAME["followup.send"]
    monkeypatch.setitem(app.config, "FOLLOWUP_DELAY_DAYS", 30)
    with app.test_request_context("/"):
        assert periodic.run_once(job.name, "2026-11-30", job.run) == "3 follow-ups created, 3 sent, 0 reminded"
        assert periodic.run_once(job.name, "2026-11-30", job.run) is None
        assert periodic.run_once(job.name, "2026-12-01", job.run) == "0 follow-ups created, 0 sent, 0 reminded"
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                 .where(OutboxMessage.kind == "followup.ask")) == 5  # A: 2 twice, K: 1


# --- answers become outcomes (the dashboard's, the scorecard's, the map's) -------------------------------

def _outcome_of(followup_id):
    return db.session.scalar(select(Outcome).where(Outcome.followup_id == followup_id))


def test_an_agreement_becomes_an_unconfirmed_outcome_that_the_coordinator_confirms_and_the_results_count(
        app, cast, world, client):
    from portal.admin import dashboard
    from portal.collab.models import Aim, Confirmation
    from portal.events.models import Event
    from portal.notifications.models import Notification
    from portal.scorecard import network, queries
    from portal.thai import fiscal_year

    followup_id, token = _sent_followup(app, world)
    year = fiscal_year(utcnow())
    betta = cast.clusters["betta"]
    with app.app_context():
        before = dashboard.figures(year, [betta])
    thanks = client.post(f"/followup/{token}?lang=en", data={"stage": "agreement", "value": "250000.50",
                                                             "kind": "cost_saved", "aim": "cost"})
    assert "counts in the programme's results once your cluster's coordinator" in body(thanks)
    with app.app_context():
        outcome = _outcome_of(followup_id)
        assert (outcome.request_id, outcome.firm_id, outcome.partner_firm_id, outcome.cluster_id) == \
            (None, cast.firms["A"], cast.firms["B"], betta)  # A and B are both in Betta, the event's cluster
        assert (outcome.value_baht, outcome.kind, outcome.aim, outcome.confirmation, outcome.fiscal_year) == \
            (Decimal("250000.50"), OutcomeKind.COST_SAVED, Aim.COST, Confirmation.UNCONFIRMED, year)
        told = db.session.scalars(select(Notification.user_id).where(
            Notification.kind == "outcome.followup_to_confirm", Notification.target_id == outcome.id)).all()
        assert told == [cast.users["coordinator"]]  # Betta's coordinator, on neither firm's team
        unconfirmed = dashboard.figures(year, [betta])
        assert unconfirmed.value_unconfirmed == before.value_unconfirmed + Decimal("250000.50")
        assert (unconfirmed.value_confirmed, unconfirmed.requests_partnered) == \
            (before.value_confirmed, before.requests_partnered)  # not a request's partnership; unconfirmed
        event_year = fiscal_year(db.session.get(Event, world["event"]).starts_on)
        assert queries.cluster_funnels(event_year, [betta])[betta].agreements == 1  # the A–B meeting led to it

    coordinator = signed_in(app, cast.email("coordinator"))
    page = body(coordinator.get(f"/admin/results/outcomes?year={year}&lang=en"))
    assert "Follow-up answer:" in page and "meeting at" in page and "250,000.50" in page
    assert coordinator.post(f"/admin/results/outcomes/{outcome.id}/confirmed").status_code == 302
    with app.app_context():
        after = dashboard.figures(year, [betta])
        assert after.value_confirmed == before.value_confirmed + Decimal("250000.50")
        assert after.value_by_aim[Aim.COST] == before.value_by_aim.get(Aim.COST, Decimal(0)) + Decimal("250000.50")
        assert queries.scorecards(year, [betta])[betta].funnel.value_confirmed >= Decimal("250000.50")
        found = network.network(betta, year, "en")
        pair = {cast.firms["A"], cast.firms["B"]}
        assert any({link.a, link.b} == pair and link.kind == network.PARTNERSHIP for link in found.links)


def test_an_answer_short_of_an_agreement_records_no_outcome(app, cast, world, client):
    followup_id, token = _sent_followup(app, world)
    client.post(f"/followup/{token}", data={"stage": "negotiation"})
    with app.app_context():
        assert db.session.get(FollowUp, followup_id).stage is Stage.NEGOTIATION
        assert _outcome_of(followup_id) is None


def test_a_partnerships_follow_up_agreement_counts_in_the_requests_cluster(app, cast, client):
    with app.test_request_context("/"):
        request_id = _partnered(cast, days_ago=182)
        services.send_due()
        db.session.commit()
        followup = db.session.scalar(select(FollowUp).where(FollowUp.request_id == request_id,
                                                            FollowUp.firm_id == cast.firms["B"]))
        followup_id, token = followup.id, services.token_of(followup)
    client.post(f"/followup/{token}", data={"stage": "agreement", "value": "5000", "kind": "new_sales",
                                            "aim": "market"})
    with app.app_context():
        outcome = _outcome_of(followup_id)
        assert (outcome.firm_id, outcome.partner_firm_id, outcome.cluster_id) == \
            (cast.firms["B"], cast.firms["A"], cast.clusters["betta"])
        # the request keeps its own outcome; the answer is a second record, not a change to the first
        assert db.session.scalar(select(func.count()).select_from(Outcome)) == 2
