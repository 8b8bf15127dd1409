"""Follow-up questions seen by a cluster's coordinators: who has (not) answered, and one more reminder
(once per question, audited, through the outbox). Cast: tests/helpers.py (X = betta, Y = cosplay)."""
import pytest
from sqlalchemy import func, select

from portal.audit import AuditEntry
from portal.extensions import db
from portal.followup import services
from portal.followup.models import FollowUp, Stage
from portal.outbox.models import OutboxMessage
from portal.permissions import can_view_followups
from tests.helpers import WHO, body, signed_in
from tests.test_followup import world  # noqa: F401  (the fixture: A→B and K→A held and continued)
from tests.test_permissions import table

#                       betta cosplay
FOLLOWUPS = table("""
anonymous               0     0
unconfirmed             0     0
stranger                0     0
owner                   0     0
editor                  0     0
owner_of_two            0     0
owner_c                 0     0
coordinator             1     0
other_coordinator       0     1
ended_coordinator       0     0
suspended               0     0
staff                   1     1
admin                   1     1
owner_h                 0     0
applicant               0     0
""")


def test_who_sees_a_clusters_follow_ups(roles):
    """A cluster's coordinators during a term, and OSMEP staff; not another cluster's coordinator, not an
    ended term, not the owner of a member firm (owner, coordinator-as-owner of K counts as coordinator),
    not the suspended, not anonymous visitors."""
    assert set(FOLLOWUPS) == set(WHO)
    actual = {who: [can_view_followups(roles.users[who], roles.clusters[slug]) for slug in ("betta", "cosplay")]
              for who in WHO}
    assert actual == FOLLOWUPS


@pytest.fixture
def sent(app, cast, world):  # noqa: F811
    """Every question of the world sent (A about B; A and K about each other); A's about K answered."""
    with app.test_request_context("/"):
        from datetime import timedelta

        services.send_due(world["now"] + timedelta(days=1))
        rows = {(f.meeting_id, f.firm_id): f for f in db.session.scalars(select(FollowUp))}
        answered = rows[(world["ka"], cast.firms["A"])]
        services.answer(answered, Stage.KNOWLEDGE)
        db.session.commit()
        return {"a_about_b": rows[(world["ab"], cast.firms["A"])].id, "answered": answered.id,
                "k_about_a": rows[(world["ka"], cast.firms["K"])].id}


@pytest.mark.parametrize(("who", "status"), [("coordinator", 200), ("staff", 200), ("other_coordinator", 403),
                                             ("ended_coordinator", 403), ("owner", 403), ("owner_c", 403)])
def test_the_list_is_for_the_clusters_coordinators_and_staff(app, cast, sent, who, status):
    assert signed_in(app, cast.email(who)).get("/followup/clusters/betta/").status_code == status


def test_anonymous_visitors_go_to_sign_in(client, cast, sent):
    response = client.get("/followup/clusters/betta/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_the_list_shows_who_answered_how_far_and_who_did_not(app, cast, sent, th):
    coordinator = signed_in(app, cast.email("coordinator"))
    page = body(coordinator.get("/followup/clusters/betta/"))
    assert th("Knowledge gained") in page
    assert th("Not answered; automatic reminders sent: %(n)s", n=0) in page
    assert page.count(th("Send one more reminder")) == 2  # the two unanswered
    unanswered = body(coordinator.get("/followup/clusters/betta/?state=unanswered"))
    assert th("Knowledge gained") not in unanswered
    answered = body(coordinator.get("/followup/clusters/betta/?state=answered&lang=en"))
    assert "Knowledge gained" in answered and "Send one more reminder" not in answered


def _mails(followup_id):
    return db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.kind == "followup.ask", OutboxMessage.context["followup"].as_integer() == followup_id))


def test_one_more_reminder_once_through_the_outbox_and_audited(app, cast, sent, th):
    coordinator = signed_in(app, cast.email("coordinator"))
    url = f"/followup/clusters/betta/{sent['a_about_b']}/remind"
    assert th("Send one more reminder to %(firm)s?", firm="กิจการ A") in body(coordinator.get(url))
    with app.app_context():
        before = _mails(sent["a_about_b"])
    done = coordinator.post(url, follow_redirects=True)
    assert th("One more reminder is on its way to %(firm)s.", firm="กิจการ A") in body(done)
    with app.app_context():
        assert _mails(sent["a_about_b"]) == before + 2  # A's owner and editor (not the suspended editor)
        followup = db.session.get(FollowUp, sent["a_about_b"])
        assert followup.extra_reminder_at and followup.extra_reminder_by_id == cast.users["coordinator"]
        assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "followup.reminded", AuditEntry.target_id == followup.id)) == 1
    again = coordinator.post(url, follow_redirects=True)
    assert th("One more reminder can be sent once, and only while the question is unanswered.") in body(again)
    with app.app_context():
        assert _mails(sent["a_about_b"]) == before + 2


def test_no_reminder_for_an_answered_question_another_cluster_or_a_stranger(app, cast, sent, th):
    coordinator = signed_in(app, cast.email("coordinator"))
    answered = coordinator.post(f"/followup/clusters/betta/{sent['answered']}/remind", follow_redirects=True)
    assert th("One more reminder can be sent once, and only while the question is unanswered.") in body(answered)
    assert signed_in(app, cast.email("other_coordinator")).post(
        f"/followup/clusters/betta/{sent['k_about_a']}/remind").status_code == 403
    assert signed_in(app, cast.email("other_coordinator")).post(
        f"/followup/clusters/cosplay/{sent['k_about_a']}/remind").status_code == 404  # K is not in cosplay
    assert signed_in(app, cast.email("owner")).post(
        f"/followup/clusters/betta/{sent['k_about_a']}/remind").status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(FollowUp)
                                 .where(FollowUp.extra_reminder_at.is_not(None))) == 0


def test_the_reminder_post_needs_its_csrf_token(app, cast, sent, monkeypatch):
    coordinator = signed_in(app, cast.email("coordinator"))
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    response = coordinator.post(f"/followup/clusters/betta/{sent['a_about_b']}/remind")
    assert response.status_code in (400, 302)
    with app.app_context():
        assert db.session.get(FollowUp, sent["a_about_b"]).extra_reminder_at is None


def _listed(app, cluster_slug, state="all"):
    """The ids the list shows on its first page (24 a page), and the statements that read them."""
    from sqlalchemy import event

    from portal.clusters.models import Cluster
    from portal.followup import queries

    statements = []
    listen = lambda *args: statements.append(args[2])  # noqa: E731
    with app.test_request_context("/"):
        cluster = db.session.scalar(select(Cluster).where(Cluster.slug == cluster_slug))
        event.listen(db.engine, "before_cursor_execute", listen)
        try:
            found = queries.of_cluster(cluster, state, 1, 24)
        finally:
            event.remove(db.engine, "before_cursor_execute", listen)
        return [followup.id for followup in found.rows], found, statements


@pytest.mark.parametrize("state", ["all", "unanswered", "answered"])
def test_a_long_list_is_read_off_its_index_in_the_same_order_as_a_short_one(app, sent, monkeypatch, state):
    """Past the count's cap the list walks ix_followups_list (a correlated EXISTS) instead of gathering
    the members' questions and sorting them: the same questions in the same order either way."""
    from portal.followup import queries

    short, found, statements = _listed(app, "betta", state)
    assert not found.capped and not any("EXISTS" in statement for statement in statements)
    monkeypatch.setattr(queries, "COUNT_CAP", 0)
    long, found, statements = _listed(app, "betta", state)
    assert found.capped and any("EXISTS" in statement for statement in statements)
    assert long == short
    expected = {"all": [sent["a_about_b"], sent["answered"]], "unanswered": [sent["a_about_b"]],
                "answered": [sent["answered"]]}[state]
    assert [i for i in short if i in expected] == expected  # unanswered first
    assert (sent["answered"] in short) == (state != "unanswered")
    assert (sent["a_about_b"] in short) == (state != "answered")


def test_a_list_longer_than_the_cap_says_so_and_how_to_narrow_it(app, cast, sent, monkeypatch, th):
    from portal.followup import queries

    coordinator = signed_in(app, cast.email("coordinator"))
    page = body(coordinator.get("/followup/clusters/betta/"))
    assert th("More than %(num)s questions", num="1") not in page
    monkeypatch.setattr(queries, "COUNT_CAP", 1)
    page = body(coordinator.get("/followup/clusters/betta/"))
    assert th("More than %(num)s questions", num="1") in page
    assert th("Only the first %(num)s can be browsed page by page: choose “Not answered” or “Answered” to narrow "
              "the list.", num="1") in page
    english = body(coordinator.get("/followup/clusters/betta/?state=answered&lang=en"))
    assert "1 question" in english and "More than" not in english  # one answered: not over the cap of 1
