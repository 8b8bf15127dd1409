"""Follow and alerts (issue 22): following firms and clusters through their pages, the worker's fan-out to
followers, saved searches on the directory and the board and their alerts, the following page, and the
alert e-mail's one-click stop link (no sign-in)."""
import re
from datetime import timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
from sqlalchemy import func, select

from portal.auth.models import User
from portal.clusters.models import Cluster, Membership, Position
from portal.collab import services as collab
from portal.collab.models import CollabRequest, Kind
from portal.db import utcnow
from portal.extensions import db
from portal.firms.models import Firm
from portal.following import alerts, fanout
from portal.following import services as following
from portal.following.models import FanOut, FanOutStatus, Follow, Frequency, SavedSearch, SearchList
from portal.jobs import periodic, tasks
from portal.notifications.models import Notification
from portal.thai import bangkok_today
from tests import factories
from tests.helpers import body, email_of, signed_in


@pytest.fixture
def no_lag(monkeypatch):
    """Alerts look at rows older than alerts.LAG (so that none committed late is missed); tests run at once."""
    monkeypatch.setattr(alerts, "LAG", timedelta(0))


def _set(who, **values):
    user = db.session.scalar(select(User).where(User.email == email_of(who)))
    for key, value in values.items():
        setattr(user, key, value)
    db.session.commit()
    return user


def _post_request(app, cast, title="หาฟาร์มปลากัดส่งออก", who="owner", firm="A"):
    poster = signed_in(app, cast.email(who))
    created = poster.post("/requests/new", data={
        "firm_id": cast.firms[firm], "cluster_id": cast.clusters["betta"], "kind": "seeking_supplier",
        "position_sought": "upstream", "title_th": title, "province_id": 0,
        "expires_on": (bangkok_today() + timedelta(days=30)).isoformat()})
    assert created.status_code == 302, body(created)[-1500:]
    return int(created.location.rsplit("/", 1)[1])


def _notifications(app, who, kind=None):
    with app.app_context():
        query = select(Notification).join(User, User.id == Notification.user_id).where(User.email == email_of(who))
        if kind:
            query = query.where(Notification.kind == kind)
        return db.session.scalars(query.order_by(Notification.id)).all()


def _follows(app, who):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Follow).join(User, User.id == Follow.user_id)
                                 .where(User.email == email_of(who)))


# --- following, through the pages ------------------------------------------------------------------

def test_a_follower_of_a_firm_hears_of_its_new_request_in_their_language_and_can_stop(app, cast, mailbox, th):
    with app.app_context():
        _set("stranger", locale="en")
    stranger = signed_in(app, cast.email("stranger"))
    page = body(stranger.get(f"/firms/{cast.firms['A']}"))
    assert f'action="/following/firms/{cast.firms["A"]}"' in page
    assert stranger.post(f"/following/firms/{cast.firms['A']}").status_code == 302
    assert stranger.post(f"/following/firms/{cast.firms['A']}").status_code == 302  # twice: still one follow
    assert _follows(app, "stranger") == 1
    assert "Stop following" in body(stranger.get(f"/firms/{cast.firms['A']}"))
    # owner_c (Thai) follows the Betta cluster: a Betta request reaches both, each in their language.
    assert signed_in(app, cast.email("owner_c")).post("/following/clusters/betta").status_code == 302

    request_id = _post_request(app, cast)

    [told] = _notifications(app, "stranger", "follow.request")
    assert told.params["request_id"] == request_id
    english = mailbox.last_to(email_of("stranger"))
    assert "Firm A posted a new request" in english["Subject"]
    assert "Firm A posted a new request: “หาฟาร์มปลากัดส่งออก”." in mailbox.body(english)
    unsubscribe = english["List-Unsubscribe"]
    assert re.fullmatch(r"<https?://[^>]+/following/stop/[^>]+>", unsubscribe)
    assert english["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    thai = mailbox.last_to(email_of("owner_c"))
    assert th("%(firm)s posted a new request: “%(request)s”.", firm="กิจการ A",
              request="หาฟาร์มปลากัดส่งออก") in mailbox.body(thai)
    # Nobody on the firm's own team is told by following (editor, owner).
    assert _notifications(app, "editor", "follow.request") == []

    # Stop following from the following page; the next request tells nobody who stopped.
    with app.app_context():
        follow_id = db.session.scalar(select(Follow.id).join(User).where(User.email == email_of("stranger")))
    listing = body(stranger.get("/following/"))
    assert "Firm A" in listing and f"/following/{follow_id}/stop" in listing
    assert stranger.post(f"/following/{follow_id}/stop").location == "/following/"
    _post_request(app, cast, title="หาผู้ส่งออกรายที่สอง")
    assert len(_notifications(app, "stranger", "follow.request")) == 1
    assert len(_notifications(app, "owner_c", "follow.request")) == 2


def test_each_viewer_sees_their_own_follow_on_a_firms_and_a_clusters_page(app, cast):
    """The firm and cluster pages read the viewer's follow in the statement that reads the page, built once for
    visitors and once for the signed in (its follower a parameter): whoever asks first, each viewer in turn sees
    their own follow's stop button, the others a follow button, and a visitor neither."""
    stranger, owner_c = signed_in(app, cast.email("stranger")), signed_in(app, cast.email("owner_c"))
    assert stranger.post(f"/following/firms/{cast.firms['A']}").status_code == 302
    assert stranger.post("/following/clusters/betta").status_code == 302
    with app.app_context():
        follows = dict(db.session.execute(
            select(func.coalesce(Follow.firm_id, -1), Follow.id).join(User, User.id == Follow.user_id)
            .where(User.email == email_of("stranger"))).all())
    firm_follow, cluster_follow = follows[cast.firms["A"]], follows[-1]
    visitor = app.test_client()
    for page, follow_id in ((f"/firms/{cast.firms['A']}", firm_follow), ("/clusters/betta", cluster_follow)):
        for client, role in ((owner_c, "other"), (stranger, "follower"), (visitor, "visitor"), (owner_c, "other"),
                             (stranger, "follower")):
            text = body(client.get(page))
            stop = f'action="/following/{follow_id}/stop"' in text
            follow = 'action="/following/' in text and not stop
            assert (stop, follow) == {"follower": (True, False), "other": (False, True),
                                      "visitor": (False, False)}[role], (page, role)


@pytest.mark.parametrize(("who", "firm", "status"), [
    ("anonymous", "A", 302),  # to the sign-in page
    ("stranger", "H", 404),  # hidden by OSMEP staff: as if absent
    ("owner", "A", 403),  # one's own firm: refused (its team hears of it anyway)
    ("owner_of_two", "B2", 403),  # the other firm of the same owner: own too
    ("suspended", "C", 302),  # a suspended user is not signed in at all
    ("unconfirmed", "A", 403),
    ("owner_of_two", "A", 302),  # someone else's firm: followed
])
def test_who_may_follow_a_firm_through_its_page(app, cast, who, firm, status):
    client = app.test_client() if who in ("anonymous", "suspended") else signed_in(app, cast.email(who))
    response = client.post(f"/following/firms/{cast.firms[firm]}")
    assert response.status_code == status
    if status == 302 and who not in ("anonymous", "suspended"):
        assert _follows(app, who) == 1
    else:
        assert _follows(app, who) == 0
    if who == "anonymous":
        assert response.location.startswith("/auth/login")


def test_following_is_refused_without_a_csrf_token(app, cast, monkeypatch):
    client = signed_in(app, cast.email("stranger"))
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert client.post("/following/clusters/betta").status_code == 400
    assert _follows(app, "stranger") == 0


def test_the_request_only_records_one_announcement_and_the_job_tells_followers_in_batches(app, cast, monkeypatch):
    monkeypatch.setitem(app.config, "FANOUT_BATCH", 2)
    with app.app_context():
        betta = db.session.get(Cluster, cast.clusters["betta"])
        owner = db.session.get(User, cast.users["owner"])
        firm = db.session.get(Firm, cast.firms["A"])
        fans = [factories.user(email=f"fan{n}@example.com") for n in range(5)]
        for fan in fans:
            following.follow_cluster(fan, betta)
        db.session.commit()
        posted = collab.post_request(owner, firm, {"cluster_id": betta.id, "kind": Kind.SEEKING_SUPPLIER,
                                                   "title_th": "หาปลากัด"})
        # Inside the request: one announcement, and not one follower told yet.
        assert db.session.scalar(select(func.count()).select_from(FanOut)) == 1
        assert db.session.scalar(select(func.count()).select_from(Notification)
                                 .where(Notification.kind == "follow.request")) == 0
        db.session.commit()
        tasks.nudge_if_committed()  # what every request does after its commit: starts the one job
        job = db.session.scalar(select(FanOut))
        assert (job.status, job.notified) == (FanOutStatus.DONE, 5)
        assert db.session.scalar(select(func.count()).select_from(Notification)
                                 .where(Notification.kind == "follow.request")) == 5
        assert fanout.run(job.id) == 0  # done: a second run (a late nudge, the sweep) tells nobody again
        assert posted.id == job.target_id


def test_hidden_content_never_notifies(app, cast):
    with app.app_context():
        stranger = db.session.get(User, cast.users["stranger"])
        following.follow_firm(stranger, db.session.get(Firm, cast.firms["A"]))
        db.session.commit()
        posted = collab.post_request(db.session.get(User, cast.users["owner"]), db.session.get(Firm, cast.firms["A"]),
                                     {"cluster_id": cast.clusters["betta"], "kind": Kind.SEEKING_SUPPLIER,
                                      "title_th": "ของปลอม"})
        posted.hidden_at, posted.hidden_by_id = utcnow(), cast.users["staff"]  # moderators hid it before the job
        db.session.commit()
        tasks.nudge_if_committed()
        assert db.session.scalar(select(FanOut.status)) is FanOutStatus.DONE
        assert db.session.scalar(select(func.count()).select_from(Notification)
                                 .where(Notification.kind == "follow.request")) == 0


def test_cluster_followers_hear_of_new_members_and_of_matching_days(app, cast):
    from tests.events_helpers import make_event, register

    with app.app_context():
        stranger = db.session.get(User, cast.users["stranger"])
        following.follow_cluster(stranger, db.session.get(Cluster, cast.clusters["betta"]))
        db.session.commit()
        pending = db.session.scalar(select(Membership).where(Membership.firm_id == cast.firms["N"]))
    coordinator = signed_in(app, cast.email("coordinator"))
    approved = coordinator.post(f"/clusters/betta/manage/{pending.id}/approve")
    assert approved.status_code == 302, body(approved)[-800:]
    [joined] = _notifications(app, "stranger", "follow.member")
    assert joined.params["firm_id"] == cast.firms["N"]
    with app.app_context():
        matching_day = make_event(db.session.get(User, cast.users["staff"]), [cast.clusters["betta"]])
        db.session.commit()
        tasks.nudge_if_committed()
    assert len(_notifications(app, "stranger", "follow.event")) == 1
    # A followed firm's registration for the matching day (approved at once here) tells the firm's followers.
    with app.app_context():
        following.follow_firm(db.session.get(User, cast.users["owner_c"]), db.session.get(Firm, cast.firms["A"]))
        db.session.commit()
        register(db.session.get(User, cast.users["owner"]), db.session.merge(matching_day),
                 db.session.get(Firm, cast.firms["A"]))
        db.session.commit()
        tasks.nudge_if_committed()
    [registered] = _notifications(app, "owner_c", "follow.registered")
    assert registered.params["firm_id"] == cast.firms["A"]
    assert _notifications(app, "stranger", "follow.registered") == []  # follows the cluster, not the firm


# --- saved searches ----------------------------------------------------------------------------------

def _save(client, search_list, query, name="ปลากัดภาคกลาง", frequency="immediate"):
    form = client.get(f"/following/searches/new?search_list={search_list}&{query}")
    assert form.status_code == 200
    hidden = re.search(r'name="query" type="hidden" value="([^"]*)"', body(form))
    return client.post("/following/searches/new", data={
        "search_list": search_list, "query": (hidden.group(1) if hidden else query).replace("&amp;", "&"),
        "name": name, "frequency": frequency})


def _new_betta_firm(name, cluster="betta"):
    firm = factories.firm(name_th=name, name_en=name)
    factories.membership(firm, factories.cluster(cluster), Position.UPSTREAM)
    return firm


def test_a_saved_directory_search_alerts_on_a_new_matching_firm_only(app, cast, mailbox, no_lag):
    stranger = signed_in(app, cast.email("stranger"))
    assert 'href="/following/searches/new?search_list=directory&amp;cluster=betta"' in body(
        stranger.get("/directory/?cluster=betta&page=2&lang=th"))
    saved = _save(stranger, "directory", "cluster=betta&page=3&junk=1&sort=name")
    assert saved.location == "/following/"
    with app.app_context():
        search = db.session.scalar(select(SavedSearch))
        assert (search.list, search.query) == (SearchList.DIRECTORY, "cluster=betta&sort=name")  # normalised
        _new_betta_firm("ฟาร์มใหม่ไม่ตรง", cluster="cosplay")  # does not match
        db.session.commit()
        assert alerts.run(Frequency.IMMEDIATE, now=utcnow()) == (1, 0)
        _new_betta_firm("ฟาร์มใหม่ตรง")
        hidden = _new_betta_firm("ฟาร์มซ่อน")
        hidden.hidden_at = utcnow()  # hidden firms never count
        db.session.commit()
        assert alerts.run(Frequency.IMMEDIATE, now=utcnow()) == (1, 1)
        [told] = db.session.scalars(select(Notification).where(Notification.kind == "search.matches")).all()
        assert told.params["num"] == 1
        assert alerts.run(Frequency.IMMEDIATE, now=utcnow()) == (1, 0)  # told once per new firm
    mail = mailbox.last_to(email_of("stranger"))
    assert "ปลากัดภาคกลาง" in mail["Subject"]
    assert "/directory/?cluster=betta&sort=name" in mailbox.body(mail)
    assert "/following/stop/" in mail["List-Unsubscribe"]


def test_a_saved_board_search_alerts_on_new_requests_and_daily_ones_wait_for_the_daily_job(app, cast, no_lag):
    stranger = signed_in(app, cast.email("stranger"))
    assert _save(stranger, "board", "kind=seeking_supplier&cluster=betta", name="at once").status_code == 302
    assert _save(stranger, "board", "kind=seeking_supplier", name="daily", frequency="daily").status_code == 302
    _post_request(app, cast)
    with app.app_context():
        now = utcnow()
        assert periodic.run_immediate_alerts(now) == "1 saved searches checked, 1 alerts"
        assert periodic.run_immediate_alerts(now) is None  # the same five minutes: run once only
        names = [n.params["name"] for n in db.session.scalars(select(Notification)
                                                               .where(Notification.kind == "search.matches"))]
        assert names == ["at once"]
        assert alerts.run(Frequency.DAILY, now=now) == (1, 1)
        names = [n.params["name"] for n in db.session.scalars(select(Notification)
                                                               .where(Notification.kind == "search.matches"))]
        assert sorted(names) == ["at once", "daily"]


@pytest.mark.parametrize("query", ["cluster=atlantis", "size=gigantic", "sort=oldest", "verified=maybe"])
def test_a_search_with_a_value_the_page_does_not_know_is_not_saved(app, cast, th, query):
    client = signed_in(app, cast.email("stranger"))  # reads Thai
    page = body(client.get(f"/following/searches/new?search_list=directory&{query}"))
    assert 'name="name"' not in page  # no form to save it
    refused = client.post("/following/searches/new", data={"search_list": "directory", "query": query,
                                                          "name": "x", "frequency": "daily"})
    assert refused.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SavedSearch)) == 0
    if query.startswith("cluster"):
        assert th("There is no such cluster; showing every cluster.") in body(refused)
    elif query.startswith("size"):
        assert th("There is no such firm size; showing every size.") in body(refused)
    else:
        assert th("This search has a filter value the page does not know; nothing was saved.") in body(refused)


def test_saved_searches_are_limited_per_user(app, cast, monkeypatch, th):
    monkeypatch.setitem(app.config, "SAVED_SEARCH_LIMIT", 2)
    client = signed_in(app, cast.email("stranger"))
    assert _save(client, "directory", "cluster=betta").status_code == 302
    assert _save(client, "board", "").status_code == 302
    refused = _save(client, "directory", "cluster=cosplay")
    assert refused.status_code == 200
    assert th("You can keep at most %(limit)s saved searches. Delete one before saving another.",
              limit=2) in body(refused)
    with app.app_context():
        search_id = db.session.scalar(select(SavedSearch.id).order_by(SavedSearch.id))
    assert client.post(f"/following/searches/{search_id}/delete").location == "/following/"
    assert _save(client, "directory", "cluster=cosplay").status_code == 302
    # Someone else's saved search cannot be deleted.
    assert signed_in(app, cast.email("owner")).post(f"/following/searches/{search_id + 1}/delete").status_code == 403


# --- the e-mail's stop link ---------------------------------------------------------------------------

def test_the_stop_link_works_without_signing_in_once_and_a_tampered_one_changes_nothing(app, cast, mailbox, th):
    stranger = signed_in(app, cast.email("stranger"))
    stranger.post(f"/following/firms/{cast.firms['A']}")
    stranger.post("/following/clusters/cosplay")
    _post_request(app, cast)
    link = urlsplit(mailbox.last_to(email_of("stranger"))["List-Unsubscribe"].strip("<>")).path
    assert link in mailbox.body(mailbox.last_to(email_of("stranger")))
    visitor = app.test_client()
    tampered = link[:-3] + ("aaa" if not link.endswith("aaa") else "bbb")
    refused = visitor.post(tampered, data={"List-Unsubscribe": "One-Click"})
    assert refused.status_code == 400
    assert th("This link is not valid or has expired, so nothing was changed. Stop the alert from the "
              "“Following” page of your account instead.") in body(refused)
    assert visitor.get(tampered).status_code == 400
    assert _follows(app, "stranger") == 2
    assert visitor.get(link).status_code == 200  # a GET (a mail scanner opening it) stops nothing
    assert _follows(app, "stranger") == 2
    done = visitor.post(link, data={"List-Unsubscribe": "One-Click"})  # RFC 8058 one-click, no CSRF token
    assert done.status_code == 200 and done.headers["Cache-Control"] == "no-store"
    assert th("Done: you will get no more alerts of this kind.") in body(done)
    assert _follows(app, "stranger") == 1  # the firm's follow; the cluster's stays
    again = visitor.post(link)
    assert th("These alerts were stopped already. Nothing was changed.") in body(again)
    assert _follows(app, "stranger") == 1


def test_an_expired_stop_link_changes_nothing(app, cast, monkeypatch):
    with app.app_context():
        stranger = db.session.get(User, cast.users["stranger"])
        search = following.save_search(stranger, SearchList.BOARD, {}, "ทั้งหมด", Frequency.DAILY)
        db.session.commit()
        token = following.stop_token(search)
    monkeypatch.setitem(app.config, "ALERT_STOP_LINK_DAYS", -1)
    assert app.test_client().post(f"/following/stop/{token}").status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SavedSearch)) == 1


def test_the_following_page_needs_sign_in_and_lists_only_ones_own(app, cast):
    assert app.test_client().get("/following/").location.startswith("/auth/login")
    owner = signed_in(app, cast.email("owner"))
    owner.post("/following/clusters/cosplay")
    assert "Cosplay" in body(owner.get("/following/?lang=en")) or "cosplay" in body(owner.get("/following/"))
    page = body(signed_in(app, cast.email("stranger")).get("/following/"))
    assert "/stop\"" not in page
    with app.app_context():
        follow_id = db.session.scalar(select(Follow.id))
    assert signed_in(app, cast.email("stranger")).post(f"/following/{follow_id}/stop").status_code == 403
    assert _follows(app, "owner") == 1


def test_a_suspended_follower_is_not_told(app, cast):
    with app.app_context():
        stranger = db.session.get(User, cast.users["stranger"])
        following.follow_firm(stranger, db.session.get(Firm, cast.firms["A"]))
        db.session.commit()
        _set("stranger", suspended_at=utcnow())
    _post_request(app, cast)
    assert _notifications(app, "stranger") == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CollabRequest)) == 1
        assert db.session.scalar(select(FanOut.status)) is FanOutStatus.DONE


@pytest.mark.parametrize("query", ["", "cluster=betta", "cluster=cosplay", "kind=seeking_supplier", "kind=trade_fair",
                                   "position=upstream", "position=downstream", "province=10", "province=50",
                                   "cluster=betta&kind=seeking_supplier&position=upstream", "q=ปลากัด"])
def test_might_match_never_rules_out_a_request_the_board_would_count(app, cast, query):
    """might_match is a necessary condition of the board's criteria: a request it rules out is never one the
    count would find (the screen only saves queries)."""
    from flask_babel import force_locale
    from werkzeug.datastructures import MultiDict

    from portal.collab import queries as board_queries
    from portal.collab.views import board_filters

    start = utcnow() - timedelta(seconds=1)
    with app.test_request_context("/"), force_locale("en"):
        owner = db.session.get(User, cast.users["owner"])
        for kind, position, province in ((Kind.SEEKING_SUPPLIER, Position.UPSTREAM, None),
                                         (Kind.TRADE_FAIR, Position.DOWNSTREAM, 1)):
            collab.post_request(owner, db.session.get(Firm, cast.firms["A"]), {
                "cluster_id": cast.clusters["betta"], "kind": kind, "position_sought": position,
                "province_id": province, "title_th": "ปลากัดส่งออก"})
        db.session.commit()
        filters = board_filters(MultiDict(parse_qsl(query)))
        for row in board_queries.new_rows(start, utcnow()):
            if board_queries.count_new(filters, owner, [row.id]):
                assert board_queries.might_match(filters, row), (query, row)


def test_two_alert_runs_at_once_count_a_window_once(app, cast, no_lag):
    """Two runs that read the same searches (a second scheduler, a run still going when the next starts):
    the first to move a search's last check takes it; the other finds it taken and tells nobody."""
    from portal.following.alerts import _take

    with app.app_context():
        stranger = db.session.get(User, cast.users["stranger"])
        following.save_search(stranger, SearchList.DIRECTORY, {}, "ทั้งหมด", Frequency.IMMEDIATE)
        db.session.commit()
        rows = db.session.execute(select(SavedSearch, User).join(User, User.id == SavedSearch.user_id)).all()
        until = utcnow()
        first = _take(rows, until)
        second = _take(rows, until + timedelta(minutes=5))  # read before the first moved it
        assert (len(first), second) == (1, set())


def test_the_daily_digest_carries_each_alerts_stop_link(app, cast, mailbox, th):
    from portal.auth.models import EmailSetting
    from portal.notifications.services import send_digests

    with app.app_context():
        _set("stranger", email_setting=EmailSetting.DAILY)
    signed_in(app, cast.email("stranger")).post("/following/clusters/betta")
    _post_request(app, cast)
    assert mailbox.messages == [] or all(m["To"] != email_of("stranger") for m in mailbox.messages)
    with app.app_context():
        assert send_digests() == (1, 1)
        db.session.commit()
        tasks.nudge_if_committed()
    digest = mailbox.last_to(email_of("stranger"))
    assert f"{th('Stop these alerts:')} http" in mailbox.body(digest)
    assert "/following/stop/" in mailbox.body(digest)
