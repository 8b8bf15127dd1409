"""Pentest findings of issue #14 through the pages: what a coordinator, a member or a stranger sees and
can change. World: tests/moderation_world.py. Each test asserts the HTTP answer, what the page shows, and
that the database is unchanged when the answer is no."""
import pytest
from sqlalchemy import func, select

from portal.clusters.models import Membership, MembershipStatus
from portal.collab.models import CollabRequest, Message, Response
from portal.extensions import db
from portal.firms.models import Firm
from portal.moderation.models import Report, ReportStatus
from tests import moderation_world
from tests.helpers import body, signed_in
from tests.moderation_world import BODY_M1, BODY_M2, TITLE_HIDDEN


@pytest.fixture
def world(app):
    with app.app_context():
        return moderation_world.build()


def get(app, model, key):
    with app.app_context():
        return db.session.get(model, key)


# --- finding 3: coordinators read private thread content only once it is reported ----------------

def test_coordinator_sees_an_unreported_private_message_no_more(app, world):
    coordinator = signed_in(app, "coordinator@example.com")
    unreported = coordinator.get(f"/moderation/message/{world['m1']}?lang=en")
    assert unreported.status_code == 403 and BODY_M1 not in body(unreported)
    assert coordinator.get(f"/moderation/response/{world['resp1']}").status_code == 403
    assert coordinator.post(f"/moderation/message/{world['m1']}",
                            data={"action": "hide", "reason": "x"}).status_code == 403
    assert get(app, Message, world["m1"]).hidden_at is None
    assert coordinator.get(f"/requests/responses/{world['resp1']}").status_code == 403  # as before


def test_coordinator_sees_the_reported_message_only(app, world):
    coordinator = signed_in(app, "coordinator@example.com")
    page = coordinator.get(f"/moderation/message/{world['m2']}?lang=en")
    assert page.status_code == 200 and BODY_M2 in body(page) and BODY_M1 not in body(page)
    assert coordinator.get(f"/moderation/response/{world['resp2']}").status_code == 200
    queue = body(coordinator.get("/moderation/?lang=en"))
    assert f"/moderation/message/{world['m2']}" in queue and f"/moderation/message/{world['m1']}" not in queue


def test_staff_read_every_message_as_before(app, world):
    staff = signed_in(app, "staff@example.com")
    assert BODY_M1 in body(staff.get(f"/moderation/message/{world['m1']}"))
    assert staff.get(f"/moderation/response/{world['resp1']}").status_code == 200


# --- finding 4: no coordinator decision concerns their own firm -----------------------------------

def test_coordinator_cannot_approve_their_own_firms_membership(app, world):
    own = signed_in(app, "coordinator_own@example.com")
    page = body(own.get("/clusters/betta/manage?lang=en"))
    assert f"/manage/{world['own_pending']}/approve" not in page  # no button for their own firm
    assert f"/manage/{world['other_pending']}/approve" in page  # but for the others
    assert "OSMEP staff decide on its request" in page
    assert own.post(f"/clusters/betta/manage/{world['own_pending']}/approve").status_code == 403
    assert own.post(f"/clusters/betta/manage/{world['own_pending']}/decline",
                    data={"reason": "ไม่ผ่าน"}).status_code == 403
    assert get(app, Membership, world["own_pending"]).status is MembershipStatus.PENDING
    member_page = own.get(f"/clusters/betta/manage/members/{world['own_membership']}?lang=en")
    assert member_page.status_code == 200 and "/remove" not in body(member_page)
    assert own.post(f"/clusters/betta/manage/members/{world['own_membership']}/remove",
                    data={"r-reason": "ออก"}).status_code == 403
    assert get(app, Membership, world["own_membership"]).status is MembershipStatus.APPROVED
    staff = signed_in(app, "staff@example.com")
    assert staff.post(f"/clusters/betta/manage/{world['own_pending']}/approve").status_code == 302
    assert get(app, Membership, world["own_pending"]).status is MembershipStatus.APPROVED


def test_coordinator_cannot_verify_or_dismiss_for_their_own_firm(app, world):
    own = signed_in(app, "coordinator_own@example.com")
    firm_c = world["firm_C"]
    assert "/moderation/firm/" not in body(own.get(f"/firms/{firm_c}"))  # no "Moderate" link
    assert own.get(f"/moderation/firm/{firm_c}").status_code == 403
    assert own.post(f"/moderation/firm/{firm_c}", data={"action": "verify"}).status_code == 403
    assert own.post(f"/moderation/firm/{firm_c}", data={"action": "dismiss"}).status_code == 403
    assert get(app, Firm, firm_c).verified_at is None
    with app.app_context():
        assert db.session.scalar(select(Report.status).where(Report.target_type == "firm")) is ReportStatus.OPEN
    assert f"/moderation/firm/{firm_c}" not in body(own.get("/moderation/"))  # not in their queue either
    coordinator = signed_in(app, "coordinator@example.com")  # another coordinator of the cluster may
    assert coordinator.post(f"/moderation/firm/{firm_c}", data={"action": "verify"}).status_code == 302
    assert get(app, Firm, firm_c).verified_at is not None


def test_what_staff_hid_only_staff_restore(app, world):
    staff, coordinator = signed_in(app, "staff@example.com"), signed_in(app, "coordinator@example.com")
    own = signed_in(app, "coordinator_own@example.com")
    firm_c = world["firm_C"]
    assert staff.post(f"/moderation/firm/{firm_c}", data={"action": "hide", "reason": "ข้อมูลปลอม"}).status_code == 302
    assert own.post(f"/moderation/firm/{firm_c}", data={"action": "restore"}).status_code == 403  # their own firm
    page = coordinator.get(f"/moderation/firm/{firm_c}?lang=en")
    assert page.status_code == 200 and 'value="restore"' not in body(page)
    assert "only staff restore it" in body(page)
    assert coordinator.post(f"/moderation/firm/{firm_c}", data={"action": "restore"}).status_code == 403
    assert get(app, Firm, firm_c).hidden_at is not None
    # what a coordinator hid, a coordinator may restore
    firm_m = world["firm_M"]
    assert coordinator.post(f"/moderation/firm/{firm_m}", data={"action": "hide", "reason": "สแปม"}).status_code == 302
    assert 'value="restore"' in body(coordinator.get(f"/moderation/firm/{firm_m}"))
    assert coordinator.post(f"/moderation/firm/{firm_m}", data={"action": "restore"}).status_code == 302
    assert get(app, Firm, firm_m).hidden_at is None
    assert staff.post(f"/moderation/firm/{firm_c}", data={"action": "restore"}).status_code == 302
    assert get(app, Firm, firm_c).hidden_at is None


# --- finding 8: report pages follow the targets' view rules ---------------------------------------

def test_report_pages_of_hidden_things_answer_404(app, world):
    stranger = signed_in(app, "stranger@example.com")
    hidden_firm = stranger.get(f"/moderation/report/firm/{world['firm_H']}?lang=en")
    assert hidden_firm.status_code == 404 and "Farm H" not in body(hidden_firm)
    hidden_request = stranger.get(f"/moderation/report/request/{world['request_hidden']}")
    assert hidden_request.status_code == 404 and TITLE_HIDDEN not in body(hidden_request)
    assert stranger.get(f"/requests/{world['request_hidden']}").status_code == 404  # as its page does
    assert stranger.get(f"/moderation/report/firm/{world['firm_P']}").status_code == 200  # visible: reportable


def test_members_cannot_report_messages_they_cannot_see(app, world):
    member = signed_in(app, "member@example.com")  # answered the request too, but resp1 is another firm's thread
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Report))
    assert member.get(f"/moderation/report/message/{world['m1']}").status_code == 404
    assert member.post(f"/moderation/report/message/{world['m1']}", data={"reason": "spam"}).status_code == 404
    assert member.post(f"/moderation/report/response/{world['resp1']}", data={"reason": "spam"}).status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Report)) == before
    poster = signed_in(app, "poster@example.com")  # one side of the thread may report it
    assert poster.post(f"/moderation/report/message/{world['m1']}", data={"reason": "spam"}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Report)) == before + 1


# --- finding 9: a hidden request takes no response ------------------------------------------------

def test_response_to_a_hidden_request_answers_404_like_its_page(app, world):
    responder = signed_in(app, "responder@example.com")
    url = f"/requests/{world['request_hidden']}"
    assert responder.get(url).status_code == 404
    sent = responder.post(f"{url}/respond", data={"firm_id": world["firm_R"], "message": "สนใจครับ"})
    assert sent.status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)
                                 .where(Response.request_id == world["request_hidden"])) == 0
        assert db.session.get(CollabRequest, world["request_hidden"]).hidden_at is not None


# --- finding 5: self-dealing ----------------------------------------------------------------------

def test_owner_of_both_firms_cannot_respond_to_their_own_request(app, world):
    poster = signed_in(app, "poster@example.com")  # owns P, which posted the request, and X
    page = body(poster.get(f"/requests/{world['request']}?lang=en"))
    assert f'value="{world["firm_X"]}"' not in page  # X is not offered as "Responding as"
    sent = poster.post(f"/requests/{world['request']}/respond", data={"firm_id": world["firm_X"], "message": "ตกลง"})
    assert sent.status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)
                                 .where(Response.firm_id == world["firm_X"])) == 0


@pytest.mark.parametrize(("lang", "message"), [
    ("en", "A partnership is worth at most 10,000 million baht here."),
    ("th", "มูลค่าความร่วมมือหนึ่งรายการต้องไม่เกิน 10,000 ล้านบาท"),
])
def test_a_reported_value_has_a_sane_upper_bound(app, world, lang, message):
    from portal.collab.models import Outcome, RequestStatus

    poster = signed_in(app, "poster@example.com")
    close = f"/requests/{world['request']}/close?lang={lang}"
    data = {"reason": "partnered", "partner_firm_id": world["firm_R"], "outcome_kind": "new_sales"}
    refused = poster.post(close, data={**data, "value": "999999999999"})
    assert refused.status_code == 200 and message in body(refused)
    with app.app_context():
        assert db.session.get(CollabRequest, world["request"]).status is RequestStatus.OPEN
        assert db.session.scalar(select(func.count()).select_from(Outcome)) == 0
    assert poster.post(close, data={**data, "value": "10000000000"}).status_code == 302  # the bound itself is fine
