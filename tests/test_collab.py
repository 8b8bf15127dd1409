"""Collaboration requests: state machines, permissions, contact reveal, expiry, suggestions, notifications."""
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import func, select

from portal.auth.models import User
from portal.clusters.models import Cluster, Position
from portal.collab import services, suggestions
from portal.collab.models import (
    RESPONSE_TRANSITIONS,
    CloseReason,
    CollabRequest,
    Kind,
    Outcome,
    OutcomeKind,
    RequestStatus,
)
from portal.collab.models import ResponseStatus as R
from portal.db import utcnow
from portal.exceptions import PermissionDenied, RuleViolation
from portal.extensions import db
from portal.notifications import services as notifications
from portal.notifications.models import Notification
from portal.permissions import can_post_request, can_respond, can_view_request, can_view_response
from portal.thai import bangkok_today
from tests import factories
from tests.helpers import body, signed_in


def data(**values):
    return {"cluster_id": None, "kind": Kind.SEEKING_SUPPLIER, "position_sought": Position.UPSTREAM,
            "title_th": "หาฟาร์มปลากัดเกรดส่งออก", "title_en": None, "details_th": "ต้องการปลากัดฮาล์ฟมูน 500 ตัวต่อเดือน",
            "details_en": None, "quantity": "500 ตัว/เดือน", "budget_min": Decimal("10000"),
            "budget_max": Decimal("50000"), "province_id": None, **values}


# This file's names for the cast (tests/helpers.py): person → (cast member, their firm).
CAST = {"poster": ("owner", "A"), "poster_editor": ("editor", "A"), "responder": ("owner_of_two", "B"),
        "cosplayer": ("owner_c", "C"), "outsider": ("applicant", "N"), "stranger": ("stranger", None),
        "staff": ("staff", None)}


@pytest.fixture
def world(roles):
    """Two Betta member firms (poster and responder, both members-only here), a Cosplay-only firm, a firm
    whose request to join Betta is pending, a user with no firm, staff."""
    users = {name: roles.users[who] for name, (who, _firm) in CAST.items()}
    firms = {name: roles.firms[firm] for name, (_who, firm) in CAST.items() if firm and name != "poster_editor"}
    firms["poster"].public_listing_consent_at = firms["responder"].public_listing_consent_at = None
    db.session.commit()
    return users, firms, roles.clusters["betta"]


def post(world, **values):
    users, firms, betta = world
    values.setdefault("cluster_id", betta.id)
    expires_on = values.pop("expires_on", None)
    return services.post_request(users["poster"], firms["poster"], data(**values), expires_on)


# --- request state machine ------------------------------------------------------------------------

def test_close_as_partnered_needs_a_responder_and_a_value(world):
    users, firms, _ = world
    request = post(world)
    with pytest.raises(RuleViolation):  # not a responder
        services.close(users["poster"], request, CloseReason.PARTNERED, firms["cosplayer"].id, Decimal(1000),
                       OutcomeKind.NEW_SALES)
    services.respond(users["responder"], request, firms["responder"], "We breed halfmoon bettas")
    with pytest.raises(RuleViolation):  # no value
        services.close(users["poster"], request, CloseReason.PARTNERED, firms["responder"].id, None, None)
    with pytest.raises(RuleViolation):  # above OUTCOME_VALUE_MAX (10,000 million baht): not an SME partnership
        services.close(users["poster"], request, CloseReason.PARTNERED, firms["responder"].id,
                       Decimal("10000000000.01"), OutcomeKind.NEW_SALES)
    assert request.status is RequestStatus.OPEN
    services.close(users["poster"], request, CloseReason.PARTNERED, firms["responder"].id, Decimal("250000.50"),
                   OutcomeKind.NEW_SALES)
    assert request.status is RequestStatus.CLOSED and request.close_reason is CloseReason.PARTNERED
    outcome = db.session.scalar(select(Outcome))
    assert outcome.value_baht == Decimal("250000.50") and outcome.partner_firm_id == firms["responder"].id
    with pytest.raises(RuleViolation):
        services.close(users["poster"], request, CloseReason.WITHDRAWN)


def _second_responder(world):
    users, firms, betta = world
    user = factories.user(email="second@example.com")
    firm = factories.firm(name_th="ฟาร์มผู้ตอบรายที่สอง")
    factories.team_member(firm, user, "owner")
    factories.membership(firm, betta, Position.UPSTREAM)
    db.session.commit()
    return user, firm


@pytest.mark.parametrize("first, second, may_name_first, may_name_second", [
    (None, None, True, True),                    # both waiting: either
    (R.SHORTLISTED, None, True, True),
    (R.ACCEPTED, None, True, False),             # one accepted: it is the partner
    (None, R.ACCEPTED, False, True),
    (R.DECLINED, None, False, True),             # declined by the poster: not a partner
    (R.WITHDRAWN, R.SHORTLISTED, False, True),   # withdrawn by its firm: not a partner
    (R.DECLINED, R.DECLINED, False, False),
])
def test_the_partner_named_on_closing_is_a_responder_still_in_play(world, first, second, may_name_first,
                                                                   may_name_second):
    users, firms, _ = world
    second_user, second_firm = _second_responder(world)
    request = post(world)
    responses = [services.respond(users["responder"], request, firms["responder"], "เราเพาะปลากัดฮาล์ฟมูน"),
                 services.respond(second_user, request, second_firm, "เรามีปลากัดเกรดส่งออก")]
    for response, to, actor in zip(responses, (first, second), (users["responder"], second_user), strict=True):
        if to is R.WITHDRAWN:
            services.withdraw_response(actor, response)
        elif to is R.ACCEPTED:
            services.decide(users["poster"], response, R.SHORTLISTED)
            services.decide(users["poster"], response, R.ACCEPTED)
        elif to is not None:
            services.decide(users["poster"], response, to)
    db.session.commit()
    for firm, allowed in ((firms["responder"], may_name_first), (second_firm, may_name_second)):
        if allowed:
            with db.session.begin_nested() as attempt:
                services.close(users["poster"], request, CloseReason.PARTNERED, firm.id, Decimal(5000),
                               OutcomeKind.COST_SAVED)
                assert request.status is RequestStatus.CLOSED
                attempt.rollback()
            db.session.refresh(request)
        else:
            with pytest.raises(RuleViolation):
                services.close(users["poster"], request, CloseReason.PARTNERED, firm.id, Decimal(5000),
                               OutcomeKind.COST_SAVED)
        assert db.session.scalar(select(func.count()).select_from(Outcome)) == 0


def test_close_page_offers_only_the_accepted_responder_and_chooses_it(app, world):
    users, firms, _ = world
    second_user, second_firm = _second_responder(world)
    request = post(world)
    accepted = services.respond(second_user, request, second_firm, "เรามีปลากัดเกรดส่งออก")
    services.respond(users["responder"], request, firms["responder"], "เราเพาะปลากัดฮาล์ฟมูน")
    services.decide(users["poster"], accepted, R.ACCEPTED)
    db.session.commit()
    page = body(signed_in(app, users["poster"]).get(f"/requests/{request.id}/close?lang=th"))
    assert f'<option selected value="{second_firm.id}">' in page or \
        f'<option value="{second_firm.id}" selected>' in page
    assert f'value="{firms["responder"].id}"' not in page


@pytest.mark.parametrize("reason", [CloseReason.NOT_FULFILLED, CloseReason.WITHDRAWN])
def test_close_without_partner(world, reason):
    request = post(world)
    services.close(world[0]["poster"], request, reason)
    assert request.close_reason is reason and db.session.scalar(select(func.count()).select_from(Outcome)) == 0
    with pytest.raises(RuleViolation):  # closed on purpose: cannot be renewed
        services.renew(world[0]["poster"], request)


def test_expiry_closes_warns_and_renewal_reopens(world):
    users = world[0]
    today = bangkok_today()
    old = post(world, title_th="คำขอเก่า")
    old.expires_on = today - timedelta(days=1)
    soon = post(world, title_th="ใกล้ปิด")
    soon.expires_on = today + timedelta(days=3)
    assert not old.is_open_on(today)  # never shows as open after its date, even before the command
    assert services.expire_requests(today) == (1, 1, 0)
    assert old.status is RequestStatus.CLOSED and old.close_reason is CloseReason.EXPIRED
    assert services.expire_requests(today) == (0, 0, 0)  # warned once
    services.renew(users["poster"], old)
    assert old.status is RequestStatus.OPEN and old.expires_on == today + timedelta(days=60)


@pytest.mark.parametrize("days, ok", [(0, True), (366, True), (367, False), (-1, False)])
def test_expiry_date_limits(world, days, ok):
    users, firms, betta = world
    when = bangkok_today() + timedelta(days=days)
    if ok:
        assert services.post_request(users["poster"], firms["poster"], data(cluster_id=betta.id), when)
    else:
        with pytest.raises(RuleViolation):
            services.post_request(users["poster"], firms["poster"], data(cluster_id=betta.id), when)


def test_request_needs_a_title_and_a_sane_budget(world):
    with pytest.raises(RuleViolation):
        post(world, title_th=None, title_en=None)
    with pytest.raises(RuleViolation):
        post(world, budget_min=Decimal(10), budget_max=Decimal(5))


# --- response state machine -----------------------------------------------------------------------

ALLOWED = RESPONSE_TRANSITIONS


# (this response, another response to the same request); two accepted ones cannot exist
STARTS = [(start, other) for other in (R.OPEN, R.ACCEPTED) for start in R
          if not (start is R.ACCEPTED and other is R.ACCEPTED)]


@pytest.mark.parametrize(("start", "other"), STARTS, ids=lambda s: s.value)
@pytest.mark.parametrize("target", [R.SHORTLISTED, R.ACCEPTED, R.DECLINED, R.WITHDRAWN], ids=lambda s: s.value)
def test_every_response_transition(world, start, target, other):
    """The table, with another response to the same request waiting or accepted: a request has one
    accepted response (its partner), so while another is accepted, no response can be accepted."""
    users, firms, _ = world
    request = post(world, cluster_id=None)  # open to all, so the Cosplay firm may respond too
    response = services.respond(users["responder"], request, firms["responder"], "สนใจครับ")
    services.respond(users["cosplayer"], request, firms["cosplayer"], "สนใจค่ะ").status = other
    response.status = start
    act = (lambda: services.withdraw_response(users["responder"], response)) if target is R.WITHDRAWN else \
        (lambda: services.decide(users["poster"], response, target))
    if (start, target) in ALLOWED and not (target is R.ACCEPTED and other is R.ACCEPTED):
        act()
        assert response.status is target
    else:
        with pytest.raises(RuleViolation) as refused:
            act()
        assert response.status is start
        if other is R.ACCEPTED and target is R.ACCEPTED:
            assert refused.value.message is services.ANOTHER_ACCEPTED


def test_one_response_per_firm_and_none_to_oneself(world):
    users, firms, _ = world
    request = post(world)
    services.respond(users["responder"], request, firms["responder"], "สนใจ")
    with pytest.raises(RuleViolation):
        services.respond(users["responder"], request, firms["responder"], "อีกครั้ง")
    with pytest.raises(PermissionDenied):
        services.respond(users["poster"], request, firms["poster"], "ตอบตัวเอง")


# --- permissions ----------------------------------------------------------------------------------

def test_who_may_post_and_respond(world):
    users, firms, betta = world
    request = post(world)
    assert can_post_request(users["poster"], firms["poster"], betta.id)
    assert can_post_request(users["poster_editor"], firms["poster"], None)
    assert not can_post_request(users["outsider"], firms["outsider"], betta.id)  # pending is not a member
    assert not can_post_request(users["cosplayer"], firms["cosplayer"], betta.id)  # another cluster
    assert not can_post_request(users["stranger"], firms["poster"], betta.id)  # not the firm's team
    assert can_respond(users["responder"], request, firms["responder"])
    assert not can_respond(users["cosplayer"], request, firms["cosplayer"])  # other cluster
    assert not can_respond(users["outsider"], request, firms["outsider"])  # non-member
    assert not can_respond(AnonymousUserMixin(), request, firms["responder"])
    open_to_all = post(world, cluster_id=None)
    assert can_respond(users["cosplayer"], open_to_all, firms["cosplayer"])


def test_unconfirmed_users_cannot_post(world):
    users, firms, betta = world
    users["poster"].confirmed_at = None
    with pytest.raises(PermissionDenied):
        services.post_request(users["poster"], firms["poster"], data(cluster_id=betta.id))


def test_hidden_firms_neither_post_nor_show(world):
    users, firms, betta = world
    request = post(world)
    firms["poster"].hidden_at = utcnow()
    assert not can_post_request(users["poster"], firms["poster"], betta.id)
    assert not can_view_request(users["stranger"], request)
    assert can_view_request(users["staff"], request)
    firms["responder"].hidden_at = utcnow()
    assert not can_respond(users["responder"], request, firms["responder"])


def test_threads_are_private(world):
    users, firms, _ = world
    request = post(world)
    response = services.respond(users["responder"], request, firms["responder"], "สนใจ")
    assert can_view_response(users["poster"], response) and can_view_response(users["poster_editor"], response)
    assert can_view_response(users["responder"], response) and can_view_response(users["staff"], response)
    assert not can_view_response(users["stranger"], response)
    assert not can_view_response(users["cosplayer"], response)
    with pytest.raises(PermissionDenied):
        services.send_message(users["stranger"], response, "แอบอ่าน")
    with pytest.raises(PermissionDenied):
        services.send_message(users["staff"], response, "staff only read")


def test_limits_per_firm(world, app):
    users, firms, betta = world
    app.config["LIMIT_REQUESTS_PER_DAY"] = 2
    try:
        post(world)
        post(world)
        with pytest.raises(RuleViolation):
            post(world)
    finally:
        app.config["LIMIT_REQUESTS_PER_DAY"] = 10


# --- notifications --------------------------------------------------------------------------------

def kinds_for(user):
    return sorted(db.session.scalars(select(Notification.kind).where(Notification.user_id == user.id)))


def test_notification_fan_out(world):
    users, firms, _ = world
    request = post(world)
    response = services.respond(users["responder"], request, firms["responder"], "สนใจ")
    assert kinds_for(users["poster"]) == kinds_for(users["poster_editor"]) == ["response.new"]
    services.send_message(users["poster_editor"], response, "ส่งตัวอย่างได้ไหม")
    assert kinds_for(users["responder"]) == ["message.new"]
    services.send_message(users["responder"], response, "Yes, next week")
    assert kinds_for(users["poster"]) == ["message.new", "response.new"]
    services.decide(users["poster"], response, R.ACCEPTED)
    assert kinds_for(users["responder"]) == ["message.new", "response.accepted"]
    assert kinds_for(users["stranger"]) == []


def test_shortlist_partnership_and_value_to_confirm_are_notified(world, roles, app):
    users, firms, betta = world
    coordinator = roles.users["coordinator"]  # of Betta
    request = post(world)
    response = services.respond(users["responder"], request, firms["responder"], "สนใจ")
    services.decide(users["poster"], response, R.SHORTLISTED)
    assert kinds_for(users["responder"]) == ["response.shortlisted"]
    services.close(users["poster"], request, CloseReason.PARTNERED, firms["responder"].id, Decimal(180_000),
                   OutcomeKind.NEW_SALES)
    assert kinds_for(users["responder"]) == ["request.partnered", "response.shortlisted"]
    assert kinds_for(coordinator) == ["outcome.to_confirm"]
    assert kinds_for(users["staff"]) == []  # within what a coordinator confirms
    to_confirm = db.session.scalar(select(Notification).where(Notification.user_id == coordinator.id))
    assert "180,000.00" in notifications.message(to_confirm, "th") and "รอให้คุณยืนยัน" in \
        notifications.message(to_confirm, "th")
    with app.test_request_context("/"):
        assert notifications.link(to_confirm).startswith("/admin/results/outcomes")

    big = post(world, title_th="หาผู้ส่งออกรายใหญ่")
    services.respond(users["responder"], big, firms["responder"], "สนใจ")
    above = app.config["STAFF_CONFIRMATION_ABOVE_DEFAULT"] + 1
    services.close(users["poster"], big, CloseReason.PARTNERED, firms["responder"].id, above, OutcomeKind.NEW_SALES)
    assert kinds_for(users["staff"]) == ["outcome.to_confirm"]  # above the threshold: staff confirm it
    assert kinds_for(coordinator) == ["outcome.to_confirm"]  # not told of one they may not confirm
    assert kinds_for(users["stranger"]) == []


def test_opt_in_digest_of_fitting_requests(world, app):
    users, firms, _ = world
    post(world)
    with app.test_request_context("/"):  # as `flask requests digest` runs it
        assert services.request_digests() == 0  # nobody opted in
        users["responder"].wants_request_digest = True
        assert services.request_digests() == 2  # one per firm: the responder owns B and B2
        assert kinds_for(users["responder"]) == ["request.digest", "request.digest"]
        assert services.request_digests() == 0  # nothing new since


# --- suggestions ----------------------------------------------------------------------------------

def test_suggested_partners_say_why(ctx):
    betta, cosplay = factories.cluster("betta"), factories.cluster("cosplay")
    poster = factories.firm(name_th="ผู้ส่งออกปลากัด", province_code="73")
    near = factories.firm(name_th="ฟาร์มปลากัดนครปฐม", description_th="ปลากัดเกรดส่งออก", province_code="73")
    region = factories.firm(name_th="ฟาร์มราชบุรี", province_code="70")  # same region (west/central)
    far = factories.firm(name_th="ฟาร์มเชียงใหม่", province_code="50")
    wrong_position = factories.firm(name_th="ร้านขายปลา", province_code="73")
    other_cluster = factories.firm(name_th="ฟาร์มปลากัดคอสเพลย์", province_code="73")
    hidden = factories.firm(name_th="ฟาร์มปลากัดซ่อน", hidden_at=utcnow())
    factories.membership(poster, betta, Position.DOWNSTREAM)
    for firm in (near, region, far, hidden):
        factories.membership(firm, betta, Position.UPSTREAM)
    factories.membership(wrong_position, betta, Position.DOWNSTREAM)
    factories.membership(other_cluster, cosplay, Position.UPSTREAM)
    request = CollabRequest(firm_id=poster.id, cluster_id=betta.id, kind=Kind.SEEKING_SUPPLIER,
                            position_sought=Position.UPSTREAM, title_th="หาฟาร์ม ปลากัด", expires_on=bangkok_today())
    db.session.add(request)
    db.session.flush()
    with ctx.test_request_context("/?lang=en"):
        found = suggestions.partners_for(request)
    names = [firm.name_th for firm, _reasons in found]
    assert names[0] == "ฟาร์มปลากัดนครปฐม" and set(names) == {"ฟาร์มปลากัดนครปฐม", "ฟาร์มราชบุรี", "ฟาร์มเชียงใหม่"}
    reasons = dict((firm.name_th, " | ".join(why)) for firm, why in found)
    assert "Betta fish" in reasons["ฟาร์มปลากัดนครปฐม"] and "Upstream" in reasons["ฟาร์มปลากัดนครปฐม"]
    assert "ปลากัด" in reasons["ฟาร์มปลากัดนครปฐม"] and "Nakhon Pathom" in reasons["ฟาร์มปลากัดนครปฐม"]
    assert "same province" not in reasons["ฟาร์มเชียงใหม่"]
    with ctx.test_request_context("/?lang=en"):
        fitting = suggestions.requests_for(near)
        assert [r.id for r, _why in fitting] == [request.id]
        assert suggestions.requests_for(wrong_position) == []  # does not hold the position sought
        assert suggestions.requests_for(other_cluster) == []  # not in the cluster


def test_requests_that_fit_a_firm_come_by_how_many_reasons_apply_among_the_newest(ctx, monkeypatch):
    """A firm's dashboard: of the newest CANDIDATES open requests that fit it, those with more reasons first (the
    position sought is one it holds, the same province or region), the newest first among equals; each says why.
    The database ranks them, and only the ones shown are read whole and given their reasons."""
    betta = factories.cluster("betta")
    me = factories.firm(name_th="ฟาร์มนครปฐม", province_code="73")
    poster = factories.firm(name_th="ผู้ซื้อเชียงใหม่", province_code="50")
    factories.membership(me, betta, Position.UPSTREAM)
    factories.membership(poster, betta, Position.DOWNSTREAM)

    def post(title, position=None, province=None):
        request = CollabRequest(firm_id=poster.id, cluster_id=betta.id, kind=Kind.SEEKING_SUPPLIER, title_th=title,
                                position_sought=position, province_id=province and factories.province(province).id,
                                expires_on=bangkok_today())
        db.session.add(request)
        db.session.flush()

    post("เก่า")  # only the cluster: 1 reason
    post("ตำแหน่งและจังหวัด", Position.UPSTREAM, "73")  # 3
    post("ภาคเดียวกัน", province="12")  # Nonthaburi, the same (central) region: 2
    post("ตำแหน่ง", Position.UPSTREAM)  # 2
    post("ไกล", province="50")  # 1
    with ctx.test_request_context("/?lang=en"):
        found = suggestions.requests_for(me)
        assert [r.title_th for r, _why in found] == ["ตำแหน่งและจังหวัด", "ตำแหน่ง", "ภาคเดียวกัน", "ไกล", "เก่า"]
        why = {r.title_th: " | ".join(reasons) for r, reasons in found}
        assert why["ตำแหน่งและจังหวัด"].count(" | ") == 2 and "Upstream" in why["ตำแหน่งและจังหวัด"]
        assert "same province" in why["ตำแหน่งและจังหวัด"] and "same region" in why["ภาคเดียวกัน"]
        assert why["ไกล"].count(" | ") == 0 and why["เก่า"] == why["ไกล"]
        assert [r.title_th for r, _why in suggestions.requests_for(me, limit=2)] == ["ตำแหน่งและจังหวัด", "ตำแหน่ง"]
        monkeypatch.setattr(suggestions, "CANDIDATES", 2)  # the two newest only, ranked
        assert [r.title_th for r, _why in suggestions.requests_for(me)] == ["ตำแหน่ง", "ไกล"]


# --- through the pages ----------------------------------------------------------------------------

@pytest.fixture
def http_world(app):
    with app.app_context():
        world_data = {}
        betta = factories.cluster("betta")
        for name, locale in (("poster", "th"), ("responder", "en")):
            user = factories.user(email=f"{name}@example.com", locale=locale)
            firm = factories.firm(name_th=f"ฟาร์ม{name}", name_en=f"{name.title()} Farm",
                                  phone="+6681234567" + ("1" if name == "poster" else "2"),
                                  public_listing_consent_at=None)
            factories.team_member(firm, user, "owner")
            factories.membership(firm, betta, Position.UPSTREAM if name == "responder" else Position.DOWNSTREAM)
            world_data[name] = firm.id
        factories.user(email="stranger@example.com")
        db.session.commit()
        world_data["betta"] = betta.id
        return world_data


def test_each_member_sees_their_own_firms_answer_on_a_request_page(app, http_world):
    """A request page reads the viewer's firms and their firm's response with statements built once (the viewer and
    the firms are parameters): taking turns, the member whose firm responded sees the way to their conversation,
    another member the form to respond, and the poster neither (the poster's list of responses links it too)."""
    with app.app_context():
        third = factories.user(email="third@example.com")
        firm = factories.firm(name_th="ฟาร์มที่สาม", public_listing_consent_at=None)
        factories.team_member(firm, third, "owner")
        factories.membership(firm, db.session.get(Cluster, http_world["betta"]), Position.UPSTREAM)
        db.session.commit()
    poster, responder = signed_in(app, "poster@example.com"), signed_in(app, "responder@example.com")
    other = signed_in(app, "third@example.com")
    created = poster.post("/requests/new", data={
        "firm_id": http_world["poster"], "cluster_id": http_world["betta"], "kind": "seeking_supplier",
        "position_sought": "upstream", "title_th": "หาฟาร์มปลากัด", "province_id": 0,
        "expires_on": (bangkok_today() + timedelta(days=30)).isoformat()})
    request_id = int(created.location.rsplit("/", 1)[1])
    sent = responder.post(f"/requests/{request_id}/respond",
                          data={"firm_id": http_world["responder"], "message": "We have halfmoon stock"})
    thread_url = sent.location
    for client, role in ((other, "may respond"), (responder, "responded"), (poster, "poster"),
                         (other, "may respond"), (responder, "responded")):
        page = body(client.get(f"/requests/{request_id}"))
        answered = re.search(rf'<p class="notice">[^<]*<a href="{thread_url}">', page) is not None  # "Your firm has…"
        shown = (answered, f'action="/requests/{request_id}/respond"' in page)
        assert shown == {"responded": (True, False), "may respond": (False, True), "poster": (False, False)}[role], role


def test_contacts_are_revealed_on_acceptance(app, http_world, mailbox):
    poster, responder = signed_in(app, "poster@example.com"), signed_in(app, "responder@example.com")
    created = poster.post("/requests/new", data={
        "firm_id": http_world["poster"], "cluster_id": http_world["betta"], "kind": "seeking_supplier",
        "position_sought": "upstream", "title_th": "หาฟาร์มปลากัด", "province_id": 0,
        "expires_on": (bangkok_today() + timedelta(days=30)).isoformat()})
    assert created.status_code == 302, body(created)[-1500:]
    request_id = int(created.location.rsplit("/", 1)[1])
    sent = responder.post(f"/requests/{request_id}/respond",
                          data={"firm_id": http_world["responder"], "message": "We have halfmoon stock"})
    assert sent.status_code == 302
    thread_url = sent.location
    before = body(poster.get(thread_url))
    assert "We have halfmoon stock" in before and "081 234 5672" not in before
    assert "081 234 5671" not in body(responder.get(thread_url))
    assert signed_in(app, "stranger@example.com").get(thread_url).status_code == 403
    assert app.test_client().get(thread_url).location.startswith("/auth/login")
    # Members-only firms: their profile does not show contacts to strangers either.
    assert "081 234 5671" not in body(signed_in(app, "stranger@example.com").get(f"/firms/{http_world['poster']}"))
    response_id = int(thread_url.rsplit("/", 1)[1])
    assert poster.post(f"/requests/responses/{response_id}/accepted").status_code == 302
    assert "081 234 5672" in body(poster.get(thread_url))
    assert "081 234 5671" in body(responder.get(thread_url))
    assert "accepted your response" in mailbox.body(mailbox.last_to("responder@example.com"))


def test_board_filters_search_and_hides_past_dates(app, http_world):
    with app.app_context():
        poster = db.session.scalar(select(User).where(User.email == "poster@example.com"))
        firm = db.session.get(factories.Firm, http_world["poster"])
        firm.public_listing_consent_at = utcnow()
        services.post_request(poster, firm, data(cluster_id=http_world["betta"], title_th="หาฟาร์มปลากัดส่งออก"))
        old = services.post_request(poster, firm, data(cluster_id=None, title_th="รถขนส่งปลา",
                                                       kind=Kind.SHARED_LOGISTICS))
        old.expires_on = bangkok_today() - timedelta(days=1)
        db.session.commit()
    client = app.test_client()
    page = body(client.get("/requests/?lang=th"))
    assert "หาฟาร์มปลากัดส่งออก" in page and "รถขนส่งปลา" not in page  # past its date
    closed = body(client.get("/requests/?status=closed&lang=th"))
    assert "รถขนส่งปลา" in closed and "หาฟาร์มปลากัดส่งออก" not in closed
    assert "หาฟาร์มปลากัดส่งออก" in body(client.get("/requests/?q=ปลากัด"))
    assert "รถขนส่งปลา" in body(client.get("/requests/?q=รถ&status=all"))  # two-letter Thai word
    assert "หาฟาร์มปลากัดส่งออก" not in body(client.get("/requests/?kind=shared_logistics&status=all"))
    assert client.get("/requests/?kind=nonsense&page=abc").status_code == 200


def test_on_postgresql_the_board_is_planned_for_today_and_open_requests(app, http_world):
    """psycopg prepares a statement run five times on a connection, and PostgreSQL may then plan it once for any
    values: guessing from "status = $1 AND expires_on >= $2", that plan read the whole requests table on every page
    of the board (28 ms against 12 at 200,000 requests). Today and the status are written into the board's
    statements, so even a plan made once is made for them; the board still lists what it did."""
    from sqlalchemy import text

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("prepared statements are PostgreSQL's")
        poster = db.session.scalar(select(User).where(User.email == "poster@example.com"))
        firm = db.session.get(factories.Firm, http_world["poster"])
        firm.public_listing_consent_at = utcnow()
        services.post_request(poster, firm, data(cluster_id=http_world["betta"], title_th="หาฟาร์มปลากัดส่งออก"))
        old = services.post_request(poster, firm, data(cluster_id=None, title_th="รถขนส่งปลา"))
        old.expires_on = bangkok_today() - timedelta(days=1)
        db.session.commit()
        db.session.close()
        db.engine.dispose()  # one connection from here on, as a sync worker has
    client = app.test_client()
    for _ in range(8):
        page, closed = body(client.get("/requests/?lang=th")), body(client.get("/requests/?status=closed&lang=th"))
        assert "หาฟาร์มปลากัดส่งออก" in page and "รถขนส่งปลา" not in page
        assert "รถขนส่งปลา" in closed and "หาฟาร์มปลากัดส่งออก" not in closed
    with app.app_context():
        prepared = list(db.session.scalars(text(
            "SELECT statement FROM pg_prepared_statements WHERE statement LIKE '%collab_requests.status =%'")))
    today = bangkok_today().isoformat()
    assert prepared  # the board's statements were prepared
    assert all(f"collab_requests.expires_on >= '{today}'" in statement or
               f"collab_requests.expires_on < '{today}'" in statement for statement in prepared), prepared
    assert all("collab_requests.status = 'open'" in statement or "collab_requests.status = 'closed'" in statement
               for statement in prepared), prepared


def test_a_clusters_board_newest_first_pages_its_open_requests_from_its_own_index(app, http_world):
    """The board of one cluster, newest first: its open, unexpired, unhidden requests, page by page, not the
    expired, the hidden, the closed or another cluster's newer ones. On PostgreSQL the page's ids come from
    ix_collab_requests_cluster_newest, read in posting order and stopped at the page, so that the page costs the
    same however many open requests the cluster has (not all of them read and sorted)."""
    from sqlalchemy import event, text

    now = utcnow()
    with app.app_context():
        firm = db.session.get(factories.Firm, http_world["poster"])
        firm.public_listing_consent_at = now
        cosplay = factories.cluster("cosplay")
        shown = []
        for n in range(32):
            posted = CollabRequest(firm_id=firm.id, cluster_id=http_world["betta"], kind=Kind.SEEKING_BUYERS,
                                   title_th=f"คำขอปลากัด {n:02d}", expires_on=bangkok_today() + timedelta(days=30),
                                   created_at=now - timedelta(hours=n + 1))
            db.session.add(posted)
            if n % 7 == 3:
                posted.expires_on = bangkok_today() - timedelta(days=1)
            elif n % 7 == 5:
                posted.hidden_at = now
            elif n == 8:
                posted.status = RequestStatus.CLOSED
            else:
                shown.append(posted.title_th)
        for n in range(300):  # newer, in another cluster: all requests' index, newest first, reads these first
            db.session.add(CollabRequest(firm_id=firm.id, cluster_id=cosplay.id, kind=Kind.SEEKING_BUYERS,
                                         title_th=f"คำขอชุดแต่งกาย {n}", expires_on=bangkok_today() + timedelta(days=30)))
        db.session.commit()
        engine = db.engine
    client = app.test_client()
    seen = []
    for page in (1, 2):
        listed = body(client.get(f"/requests/?cluster=betta&page={page}&lang=th"))
        seen += [title for title in sorted(shown, key=listed.find) if title in listed]
        assert "คำขอชุดแต่งกาย" not in listed
    assert seen == shown  # newest first, across both pages, none missing and none more
    if engine.dialect.name != "postgresql":
        return
    statements = []
    listener = lambda conn, cursor, statement, params, context, many: statements.append((statement, params))  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        client.get("/requests/?cluster=betta&lang=th")
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    statement, params = next((s, p) for s, p in statements if "ORDER BY collab_requests.created_at DESC" in s)
    with app.app_context():
        db.session.execute(text("ANALYZE collab_requests"))
        # A few dozen rows: the table itself would be read. Without reading it, or sorting, a page in posting order
        # comes from an index in that order: this one (the cluster's open requests), or all requests' (every one).
        for setting in ("enable_seqscan", "enable_sort", "enable_bitmapscan"):
            db.session.execute(text(f"SET LOCAL {setting} = off"))
        plan = "\n".join(row[0] for row in db.session.connection().exec_driver_sql("EXPLAIN " + statement, params))
        db.session.rollback()
    assert "ix_collab_requests_cluster_newest" in plan, plan


def test_a_budget_is_shown_once_in_whole_baht(app, http_world):
    """#17.12: "50,000–200,000 บาท", not "50,000.00 บาท – 200,000.00 บาท"."""
    poster = signed_in(app, "poster@example.com")
    created = poster.post("/requests/new", data={
        "firm_id": http_world["poster"], "cluster_id": http_world["betta"], "kind": "seeking_supplier",
        "position_sought": "upstream", "title_th": "หาฟาร์มปลากัด", "province_id": 0,
        "budget_min": "50000", "budget_max": "200000.00",
        "expires_on": (bangkok_today() + timedelta(days=30)).isoformat()})
    assert created.status_code == 302, body(created)[-1500:]
    page = body(poster.get(created.location + "?lang=th"))
    assert "50,000–200,000 บาท" in page and ".00" not in page


def test_a_closed_request_offers_no_partners_and_no_close_form(app, http_world):
    with app.app_context():
        poster = db.session.scalar(select(User).where(User.email == "poster@example.com"))
        request = services.post_request(poster, db.session.get(factories.Firm, http_world["poster"]),
                                        data(cluster_id=http_world["betta"]))
        db.session.commit()
        request_id = request.id
    client = signed_in(app, "poster@example.com")
    assert "Firms that may fit" in body(client.get(f"/requests/{request_id}?lang=en"))
    assert client.post(f"/requests/{request_id}/close", data={"reason": "withdrawn"}).status_code == 302
    assert "Firms that may fit" not in body(client.get(f"/requests/{request_id}?lang=en"))
    page = client.get(f"/requests/{request_id}/close?lang=th", follow_redirects=True)
    assert page.request.path == f"/requests/{request_id}" and "คำขอนี้ปิดไปแล้ว" in body(page)
    again = client.post(f"/requests/{request_id}/close", data={"reason": "not_fulfilled"})
    assert again.location == f"/requests/{request_id}"
    with app.app_context():
        assert db.session.get(CollabRequest, request_id).close_reason is CloseReason.WITHDRAWN
