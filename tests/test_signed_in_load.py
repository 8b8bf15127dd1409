"""The query that loads the signed-in user also brings the unread badge's number and the permission rules'
facts about the user (portal.auth.services.load_user): the same answers as asking separately, kept fresh
when the request itself changes them, and no signed-in list page over five queries."""
from datetime import timedelta

import pytest
from flask_login import current_user
from sqlalchemy import event, select

from portal.auth.services import load_user
from portal.clusters.models import Cluster, MembershipStatus, Position
from portal.collab.models import CollabRequest, Kind
from portal.devices import services as devices
from portal.extensions import db
from portal.firms.models import FirmRole
from portal.following.models import Follow
from portal.notifications.models import Notification
from portal.notifications.services import mark_read, unread_count
from portal.permissions import active_cluster_ids, viewer_facts
from portal.thai import bangkok_today
from tests import factories
from tests.helpers import signed_in


def _now() -> int:
    from portal.auth.services import now_seconds

    return now_seconds()


@pytest.fixture
def person(app):
    """An owner of one firm, editor of another, coordinator of betta today (cosplay's term has ended), with
    two unread notifications and one read."""
    with app.app_context():
        betta, cosplay = factories.cluster("betta"), factories.cluster("cosplay")
        user = factories.user(email="load@example.com")
        one, two = factories.firm(name_th="หนึ่ง"), factories.firm(name_th="สอง")
        factories.team_member(one, user, "owner")
        factories.team_member(two, user, "editor")
        factories.term(user, betta)
        factories.term(user, cosplay, starts_on=bangkok_today() - timedelta(days=60),
                       ends_on=bangkok_today() - timedelta(days=1))
        for read_at in (None, None, factories.CONSENTED):
            db.session.add(Notification(user_id=user.id, kind="memberships.approved", target_type="firm",
                                        params={}, read_at=read_at))
        db.session.commit()
        return {"id": user.id, "firms": {one.id: FirmRole.OWNER, two.id: FirmRole.EDITOR}, "betta": betta.id}


def test_the_user_comes_with_its_facts_and_badge_as_asked_separately(app, person):
    with app.test_request_context("/"):
        from portal.auth.models import User

        user = db.session.get(User, person["id"])
        token = devices.open_session(user)  # this device's session (issue 24), read in the same query
        loaded = load_user(f"{user.id}:{user.session_version}:{_now()}:{token}")
        assert loaded is user
        facts = loaded._viewer_facts
        assert facts.roles == person["firms"] and facts.coordinating == frozenset({person["betta"]})
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert viewer_facts(loaded) is facts and active_cluster_ids(loaded) == {person["betta"]}
            assert unread_count(loaded) == 2
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert statements == []  # read with the user: nothing asked again
        # a flush that changes the user's teams or notifications makes them be read again
        factories.team_member(factories.firm(name_th="สาม"), loaded, "editor")
        assert len(viewer_facts(loaded).roles) == 3
        db.session.add(Notification(user_id=loaded.id, kind="memberships.approved", target_type="firm", params={}))
        db.session.flush()
        assert unread_count(loaded) == 3
        mark_read(loaded)
        assert unread_count(loaded) == 0
        db.session.rollback()


def test_a_stale_cookie_is_still_refused(app, person):
    with app.test_request_context("/"):
        from portal.auth.models import User

        user = db.session.get(User, person["id"])
        token = devices.open_session(user)
        assert load_user(f"{user.id}:{user.session_version + 1}:{_now()}:{token}") is None
        assert load_user(f"999999:0:{_now()}:{token}") is None
        assert load_user(f"{user.id}:{user.session_version}:{_now()}:not-a-token") is None
        assert load_user("garbage") is None
        assert not current_user.is_authenticated


def statements_of(client, url) -> list[str]:
    with client.application.app_context():
        engine = db.engine
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return statements


def count_queries(client, url) -> int:
    return len(statements_of(client, url))


@pytest.mark.parametrize("url", ["/directory/", "/directory/?q=ปลากัด", "/directory/?q=ปลากัด+ผม",
                                 "/directory/?q=ปลากัด&sort=name", "/requests/?q=ปลากัด&sort=newest",
                                 "/directory/?cluster=betta&position=upstream", "/requests/", "/firms/mine"])
def test_signed_in_list_pages_stay_within_five_queries(app, person, url):
    with app.app_context():
        betta = db.session.get(Cluster, person["betta"])
        for i in range(12):
            firm = factories.firm(name_th=f"ฟาร์มปลากัด ผมดี {i}")
            factories.membership(firm, betta, list(Position)[i % 3])
            db.session.add(CollabRequest(firm_id=firm.id, kind=Kind.SEEKING_BUYERS, title_th=f"หาผู้ซื้อปลากัด {i}",
                                         expires_on=bangkok_today() + timedelta(days=30)))
        db.session.commit()
    client = signed_in(app, "load@example.com")
    count_queries(client, url)  # the first request fills the in-memory province and cluster lists
    assert count_queries(client, url) <= 5


def test_a_firm_page_signed_in_shows_each_cluster_once_with_its_positions_in_two_queries(app):
    """A member who follows a firm of two clusters (and has asked to join a third): its approved memberships come
    with their clusters and positions and the follow button's id in the firm's own statement. The user, the firm
    with the rest. Another member sees the button to follow, a visitor none; a firm in no cluster has no list."""
    with app.app_context():
        betta, cosplay, agritech = (factories.cluster(slug) for slug in ("betta", "cosplay", "agritech"))
        firm = factories.firm(name_th="ฟาร์มสองคลัสเตอร์")
        factories.membership(firm, betta, Position.UPSTREAM, Position.DOWNSTREAM)
        factories.membership(firm, cosplay, Position.UPSTREAM, Position.MIDSTREAM, Position.DOWNSTREAM)
        factories.membership(firm, agritech, Position.MIDSTREAM, status=MembershipStatus.PENDING)
        alone = factories.firm(name_th="ฟาร์มเดี่ยว")
        follower = factories.user(email="follower@example.com")
        factories.user(email="other@example.com")
        db.session.add(Follow(user_id=follower.id, firm_id=firm.id))
        db.session.commit()
        names = [betta.name_en, cosplay.name_en]
        url, alone_url, follow_id = f"/firms/{firm.id}?lang=en", f"/firms/{alone.id}?lang=en", \
            db.session.scalar(select(Follow.id).where(Follow.user_id == follower.id))
        pending_name = agritech.name_en
    client = signed_in(app, "follower@example.com")
    count_queries(client, url)  # the first request fills the in-memory province and cluster lists
    assert count_queries(client, url) <= 2
    page = client.get(url).get_data(as_text=True)
    assert [page.count(name) for name in names] == [1, 1] and pending_name not in page
    assert "Upstream, Downstream" in page and "Upstream, Midstream, Downstream" in page
    assert page.count("Upstream") == 2 and "Stop following" in page
    assert f"/following/{follow_id}/stop" in page  # the stop-following form acts on this follow
    other = signed_in(app, "other@example.com").get(url).get_data(as_text=True)
    assert "Stop following" not in other and f"/following/firms/{firm.id}" in other
    visitor = app.test_client().get(url).get_data(as_text=True)
    assert "Stop following" not in visitor and f"/following/firms/{firm.id}" not in visitor
    single = client.get(alone_url).get_data(as_text=True)
    assert "ฟาร์มเดี่ยว" in single and 'id="clusters-heading"' not in single and "Stop following" not in single


def test_a_request_page_for_a_member_on_no_team_is_two_queries_and_an_owner_still_may_respond(app):
    """Whether the viewer has a firm that may respond comes from the facts read with the user: someone on no
    firm's team (a foreign buyer) is not asked for their firms. An owner of a member firm is, and gets the form;
    the owner of the request's own firm does not."""
    with app.app_context():
        betta = factories.cluster("betta")
        poster, answerer = factories.firm(name_th="ผู้โพสต์"), factories.firm(name_th="ผู้ตอบ")
        for firm in (poster, answerer):
            factories.membership(firm, betta)
        factories.team_member(poster, factories.user(email="poster@example.com"), "owner")
        factories.team_member(answerer, factories.user(email="answerer@example.com"), "owner")
        factories.user(email="buyer@example.com")
        request = CollabRequest(firm_id=poster.id, kind=Kind.SEEKING_BUYERS, title_th="หาผู้ซื้อปลากัด",
                                expires_on=bangkok_today() + timedelta(days=30))
        db.session.add(request)
        db.session.commit()
        url = f"/requests/{request.id}?lang=en"
    buyer = signed_in(app, "buyer@example.com")
    count_queries(buyer, url)
    assert count_queries(buyer, url) <= 2
    assert "Interested? Respond" not in buyer.get(url).get_data(as_text=True)
    assert "Interested? Respond" in signed_in(app, "answerer@example.com").get(url).get_data(as_text=True)
    assert "Interested? Respond" not in signed_in(app, "poster@example.com").get(url).get_data(as_text=True)


def test_a_cluster_page_signed_in_reads_the_follow_with_the_cluster(app):
    """Its follower sees the button that stops their own follow, another member the one that follows: the follow
    comes with the cluster, not in a statement of its own."""
    with app.app_context():
        betta = factories.cluster("betta")
        factories.membership(factories.firm(name_th="ฟาร์มปลากัดหนึ่ง"), betta)
        follower = factories.user(email="follower@example.com")
        factories.user(email="other@example.com")
        db.session.add(Follow(user_id=follower.id, cluster_id=betta.id))
        db.session.commit()
        follow_id = db.session.scalar(select(Follow.id).where(Follow.user_id == follower.id))
    url = "/clusters/betta?lang=en"
    client = signed_in(app, "follower@example.com")
    count_queries(client, url)
    read = statements_of(client, url)
    assert not [s for s in read if s.startswith("SELECT follows")]  # no statement of its own for the follow
    page = client.get(url).get_data(as_text=True)
    assert "Stop following" in page and f"/following/{follow_id}/stop" in page
    other = signed_in(app, "other@example.com").get(url).get_data(as_text=True)
    assert "Stop following" not in other and "/following/clusters/betta" in other
