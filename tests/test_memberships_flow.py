"""Membership through the pages: ask, decide, notifications in-app and by e-mail, coordinators."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.auth.models import EmailSetting, Role, User
from portal.clusters.models import CoordinatorTerm, Membership, MembershipStatus
from portal.db import utcnow
from portal.extensions import db
from portal.notifications.models import Notification
from portal.thai import bangkok_today
from tests import factories
from tests.helpers import body, signed_in


@pytest.fixture
def setup(app):
    """A firm owned by a Thai owner; the Betta cluster coordinated by an English-speaking coordinator."""
    with app.app_context():
        owner = factories.user(email="owner@example.com", name="สมชาย", locale="th")
        coordinator = factories.user(email="coord@example.com", name="Anna", locale="en")
        factories.user(email="staff@example.com", role=Role.STAFF, locale="en")
        firm = factories.firm(name_th="ฟาร์มปลากัดบางกอก", name_en="Bangkok Betta Farm")
        factories.team_member(firm, owner, "owner")
        factories.term(coordinator, factories.cluster("betta"))
        db.session.commit()
        return {"firm": firm.id}


def membership_of(app, firm_id):
    with app.app_context():
        membership = db.session.scalar(select(Membership).where(Membership.firm_id == firm_id)
                                       .options(selectinload(Membership.positions))
                                       .order_by(Membership.id.desc()))
        db.session.expunge(membership)
        return membership


def ask(client, app, firm_id, cluster="betta", positions=("upstream", "downstream")):
    with app.app_context():
        cluster_id = factories.cluster(cluster).id
    return client.post(f"/firms/{firm_id}/memberships", data={
        "cluster_id": cluster_id, "positions": list(positions), "offers": "ปลากัดเกรดส่งออก",
        "seeks": "ผู้ส่งออกไปเยอรมนี"})


def test_request_notifies_coordinators_who_approve_and_the_firm_is_told(app, setup, mailbox, th):
    owner = signed_in(app, "owner@example.com")
    assert ask(owner, app, setup["firm"]).status_code == 302
    assert membership_of(app, setup["firm"]).status is MembershipStatus.PENDING

    # The coordinator gets an e-mail in English and an in-app notification.
    mail = mailbox.last_to("coord@example.com")
    assert "Bangkok Betta Farm asks to join the Betta fish cluster." in mailbox.body(mail)
    coordinator = signed_in(app, "coord@example.com")
    page = body(coordinator.get("/clusters/betta/manage"))
    assert "Bangkok Betta Farm" in page and "ผู้ส่งออกไปเยอรมนี" in page
    assert re.search(r'class="count-badge">1<', page)

    membership = membership_of(app, setup["firm"])
    assert coordinator.post(f"/clusters/betta/manage/{membership.id}/approve").status_code == 302
    approved = membership_of(app, setup["firm"])
    assert approved.status is MembershipStatus.APPROVED and approved.fiscal_year >= 2569

    # The owner is told in Thai, by e-mail and in the portal.
    thai_mail = mailbox.body(mailbox.last_to("owner@example.com"))
    assert "ฟาร์มปลากัดบางกอก" in thai_mail and th("Hello %(name)s,", name="สมชาย") in thai_mail
    listing = body(owner.get("/notifications/"))
    assert "ฟาร์มปลากัดบางกอก" in listing and "ปลากัด" in listing
    link = re.search(r'action="(/notifications/\d+)"', listing).group(1)
    followed = owner.get(link)  # a GET (any site can make the browser send one) only leads there
    assert followed.status_code == 303 and followed.location == f"/firms/{setup['firm']}/memberships"
    assert 'class="count-badge"' in body(owner.get("/"))  # still unread
    opened = owner.post(link)  # the list's button
    assert opened.status_code == 303 and opened.location == f"/firms/{setup['firm']}/memberships"
    assert 'class="count-badge"' not in body(owner.get("/"))  # read now
    firm_page = body(owner.get(f"/firms/{setup['firm']}/memberships"))
    assert th("Member") in firm_page and f"{approved.fiscal_year}" in firm_page
    # The cluster's public page lists the firm under both positions.
    cluster_page = body(app.test_client().get("/clusters/betta?lang=th"))
    assert cluster_page.count("ฟาร์มปลากัดบางกอก") == 2


def test_the_queue_and_the_cluster_page_give_one_member_figure(app, setup):
    """A coordinator's queue says how many member firms the cluster has: the cluster page's figure (the results'
    member firms now), before and after an approval, and after a firm leaves. It counted every approved membership on
    its own, a second count of the same thing that grew with the cluster."""
    with app.app_context():
        betta = factories.cluster("betta")
        for n in range(2):
            factories.membership(factories.firm(name_th=f"ฟาร์มสมาชิก {n}"), betta)
        factories.membership(factories.firm(name_th="ร้านคอสเพลย์"), factories.cluster("cosplay"))  # not Betta's
        db.session.commit()
    coordinator = signed_in(app, "coord@example.com")
    owner = signed_in(app, "owner@example.com")

    def figures():
        queue = re.search(r"(\d+) member firms?", body(coordinator.get("/clusters/betta/manage"))).group(1)
        page = re.search(r"<strong[^>]*>(\d+)</strong>\s*member firms? now", body(app.test_client().get(
            "/clusters/betta?lang=en"))).group(1)
        return int(queue), int(page)

    assert figures() == (2, 2)
    assert ask(owner, app, setup["firm"]).status_code == 302
    membership = membership_of(app, setup["firm"])
    assert coordinator.post(f"/clusters/betta/manage/{membership.id}/approve").status_code == 302
    assert figures() == (3, 3)
    with app.app_context():
        left = db.session.get(Membership, membership.id)
        left.status, left.ended_at = MembershipStatus.LEFT, utcnow()
        db.session.commit()
    assert figures() == (2, 2)


def test_decline_with_a_reason_the_firm_sees_then_ask_again(app, setup, mailbox, th):
    owner = signed_in(app, "owner@example.com")
    ask(owner, app, setup["firm"])
    coordinator = signed_in(app, "coord@example.com")
    membership = membership_of(app, setup["firm"])
    no_reason = coordinator.post(f"/clusters/betta/manage/{membership.id}/decline", data={"reason": ""})
    assert no_reason.status_code == 302 and membership_of(app, setup["firm"]).status is MembershipStatus.PENDING
    coordinator.post(f"/clusters/betta/manage/{membership.id}/decline", data={"reason": "กรุณาเพิ่มรูปสินค้า"})
    assert membership_of(app, setup["firm"]).status is MembershipStatus.DECLINED
    assert "กรุณาเพิ่มรูปสินค้า" in mailbox.body(mailbox.last_to("owner@example.com"))
    assert "กรุณาเพิ่มรูปสินค้า" in body(owner.get(f"/firms/{setup['firm']}/memberships"))
    assert ask(owner, app, setup["firm"]).status_code == 302  # may ask again
    assert membership_of(app, setup["firm"]).status is MembershipStatus.PENDING


def test_cancel_leave_and_removal(app, setup, mailbox):
    owner = signed_in(app, "owner@example.com")
    ask(owner, app, setup["firm"])
    membership = membership_of(app, setup["firm"])
    owner.post(f"/firms/{setup['firm']}/memberships/{membership.id}/cancel")
    assert membership_of(app, setup["firm"]).status is MembershipStatus.CANCELLED
    ask(owner, app, setup["firm"])
    coordinator = signed_in(app, "coord@example.com")
    membership = membership_of(app, setup["firm"])
    coordinator.post(f"/clusters/betta/manage/{membership.id}/approve")
    coordinator.post(f"/clusters/betta/manage/members/{membership.id}", data={
        "p-positions": ["midstream"], "n-notes": "โทรยืนยันแล้ว"})
    after = membership_of(app, setup["firm"])
    assert [p.position.value for p in after.positions] == ["midstream"] and after.coordinator_notes == "โทรยืนยันแล้ว"
    assert "โทรยืนยันแล้ว" not in body(owner.get(f"/firms/{setup['firm']}/memberships"))  # private notes
    coordinator.post(f"/clusters/betta/manage/members/{membership.id}/remove", data={"r-reason": "ปิดกิจการแล้ว"})
    assert membership_of(app, setup["firm"]).status is MembershipStatus.REMOVED
    assert "ปิดกิจการแล้ว" in mailbox.body(mailbox.last_to("owner@example.com"))


def test_strangers_and_former_coordinators_cannot_manage(app, setup):
    with app.app_context():
        factories.user(email="stranger@example.com")
        term = db.session.scalar(select(CoordinatorTerm))
        term.starts_on, term.ends_on = bangkok_today() - timedelta(days=90), bangkok_today() - timedelta(days=1)
        db.session.commit()
    for email in ("stranger@example.com", "coord@example.com"):
        client = signed_in(app, email)
        assert client.get("/clusters/betta/manage").status_code == 403
        assert client.get("/clusters/betta/manage/members.csv").status_code == 403
    assert app.test_client().get("/clusters/betta/manage").location.startswith("/auth/login")
    owner = signed_in(app, "owner@example.com")
    assert owner.get("/clusters/betta/coordinators").status_code == 403


def test_staff_appoint_coordinators_with_overlapping_terms_and_end_them(app, setup):
    staff = signed_in(app, "staff@example.com")
    with app.app_context():
        association = factories.cluster("betta").association_id
        factories.user(email="assoc@example.com")
        db.session.commit()
    today = bangkok_today()
    bad = staff.post("/clusters/betta/coordinators", data={
        "email": "assoc@example.com", "organisation_id": association,
        "starts_on": today.isoformat(), "ends_on": (today - timedelta(days=1)).isoformat()})
    assert bad.status_code == 200 and "cannot end before it starts" in body(bad)
    unknown = staff.post("/clusters/betta/coordinators", data={
        "email": "nobody@example.com", "organisation_id": association,
        "starts_on": today.isoformat(), "ends_on": today.isoformat()})
    assert "No account has this e-mail address" in body(unknown)
    ok = staff.post("/clusters/betta/coordinators", data={
        "email": "assoc@example.com", "organisation_id": association,
        "starts_on": today.isoformat(), "ends_on": (today + timedelta(days=365)).isoformat()})
    assert ok.status_code == 302
    assoc = signed_in(app, "assoc@example.com")
    assert assoc.get("/clusters/betta/manage").status_code == 200
    assert signed_in(app, "coord@example.com").get("/clusters/betta/manage").status_code == 200  # both, overlapping
    with app.app_context():
        term_id = db.session.scalar(select(CoordinatorTerm.id).join(User, User.id == CoordinatorTerm.user_id)
                                    .where(User.email == "assoc@example.com"))
    staff.post(f"/clusters/betta/coordinators/{term_id}/end")
    assert assoc.get("/clusters/betta/manage").status_code == 403


def test_email_settings_off_and_daily_digest(app, setup, mailbox):
    with app.app_context():
        coordinator = db.session.scalar(select(User).where(User.email == "coord@example.com"))
        coordinator.email_setting = EmailSetting.DAILY
        db.session.commit()
    owner = signed_in(app, "owner@example.com")
    ask(owner, app, setup["firm"])
    ask(owner, app, setup["firm"], cluster="betta")  # refused: already waiting, no second notification
    assert not [m for m in mailbox.messages if m["To"] == "coord@example.com"]
    result = app.test_cli_runner().invoke(args=["notifications", "digest"])
    assert result.exit_code == 0 and "Digest sent to 1 users (1 notifications)" in result.output
    digest = mailbox.body(mailbox.last_to("coord@example.com"))
    assert "Bangkok Betta Farm asks to join" in digest and "/clusters/betta/manage" in digest
    again = app.test_cli_runner().invoke(args=["notifications", "digest"])
    assert "Digest sent to 0 users" in again.output  # nothing new, and at most one a day

    with app.app_context():
        owner_user = db.session.scalar(select(User).where(User.email == "owner@example.com"))
        owner_user.email_setting = EmailSetting.OFF
        db.session.commit()
    mailbox.clear()
    coordinator_client = signed_in(app, "coord@example.com")
    coordinator_client.post(f"/clusters/betta/manage/{membership_of(app, setup['firm']).id}/approve")
    assert not [m for m in mailbox.messages if m["To"] == "owner@example.com"]
    with app.app_context():
        assert db.session.scalar(select(Notification).where(Notification.kind == "membership.approved"))


def test_mark_all_notifications_read(app, setup):
    owner = signed_in(app, "owner@example.com")
    ask(owner, app, setup["firm"])
    coordinator = signed_in(app, "coord@example.com")
    assert 'class="count-badge">1<' in body(coordinator.get("/"))
    coordinator.post("/notifications/read")
    assert 'class="count-badge"' not in body(coordinator.get("/"))
    assert coordinator.get("/notifications/999999").status_code == 404


def test_staff_cli(app):
    with app.app_context():
        factories.user(email="new.staff@example.com")
        db.session.commit()
    runner = app.test_cli_runner()
    assert "is now OSMEP staff" in runner.invoke(args=["staff", "grant", "new.staff@example.com"]).output
    assert "is staff; nothing changed" in runner.invoke(args=["staff", "grant", "new.staff@example.com"]).output
    assert runner.invoke(args=["staff", "grant", "ghost@example.com"]).exit_code != 0
    assert "no longer staff" in runner.invoke(args=["staff", "revoke", "new.staff@example.com"]).output
    assert "is now an administrator" in runner.invoke(args=["staff", "admin", "new.staff@example.com"]).output
    assert "is admin; nothing changed" in runner.invoke(args=["staff", "admin", "new.staff@example.com"]).output
    with app.app_context():
        from portal.auth.models import Role
        from portal.auth.services import get_by_email

        assert get_by_email("new.staff@example.com").role is Role.ADMIN


def test_a_long_queue_is_paginated_oldest_first(app, setup):
    """The queue's statements are built once and kept (its cluster, page and size are parameters): each cluster's
    queue counts and lists its own requests, on every page."""
    with app.app_context():
        betta = factories.cluster("betta")
        for n in range(app.config["PAGE_SIZE"] + 3):
            factories.membership(factories.firm(name_th=f"ร้านรอคิว{n:02d}", name_en=f"Queued shop {n:02d}"), betta,
                                 status=MembershipStatus.PENDING)
        cosplay = factories.cluster("cosplay")
        factories.term(db.session.scalar(select(User).where(User.email == "coord@example.com")), cosplay)
        factories.membership(factories.firm(name_th="ร้านคอสเพลย์", name_en="Cosplay shop"), cosplay,
                             status=MembershipStatus.PENDING)
        db.session.commit()
    coordinator = signed_in(app, "coord@example.com")
    other = body(coordinator.get("/clusters/cosplay/manage"))
    assert "1 request waiting" in other and "Cosplay shop" in other and "Queued shop" not in other
    first = body(coordinator.get("/clusters/betta/manage"))
    assert "27 requests waiting" in first  # the count is the whole queue, not the page
    assert "Queued shop 00" in first and "Queued shop 23" in first and "Queued shop 24" not in first
    assert 'href="/clusters/betta/manage?page=2"' in first
    second = body(coordinator.get("/clusters/betta/manage?page=2"))
    assert "Queued shop 24" in second and "Queued shop 26" in second and "Queued shop 00" not in second
    past_the_end = body(coordinator.get("/clusters/betta/manage?page=3"))
    assert "Queued shop 00" in past_the_end and "Queued shop 24" not in past_the_end  # page 1 instead
    other = body(coordinator.get("/clusters/cosplay/manage?page=2"))  # past its end: its page 1
    assert "1 request waiting" in other and "Cosplay shop" in other and "Queued shop" not in other
