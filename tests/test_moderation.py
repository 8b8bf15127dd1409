"""Moderation and trust: permissions as a truth table, a sweep of every staff/coordinator/admin URL,
reports, hide/restore with review, verification, suspension, the audit log."""
import csv
import io
import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from werkzeug.routing import AnyConverter

from portal.audit import AuditEntry
from portal.auth.models import Role, User
from portal.clusters.models import CoordinatorTerm, Membership
from portal.collab import services as collab
from portal.collab.models import CollabRequest, Outcome, OutcomeKind
from portal.extensions import db
from portal.firms.models import Firm
from portal.moderation.models import Report, ReportStatus
from portal.permissions import (
    can_manage_staff,
    can_moderate_firm,
    can_report,
    can_request_review,
    can_suspend_users,
    can_view_audit_log,
    can_view_moderation,
)
from portal.thai import to_bangkok
from tests import factories
from tests.helpers import body, signed_in

# This file's names for the cast (tests/helpers.py).
PEOPLE = {"member": "owner_of_two", "owner": "owner", "coordinator": "coordinator",
          "other_coordinator": "other_coordinator", "ended_coordinator": "ended_coordinator", "staff": "staff",
          "admin": "admin"}


@pytest.fixture
def world(app, cast):
    """On the cast: firm A (the owner's) posts a request in Betta, firm B (the member's) responds, and the
    two report a partnership. Ids by name."""
    with app.app_context():
        owner, member = db.session.get(User, cast.users["owner"]), db.session.get(User, cast.users["owner_of_two"])
        firm, responder = db.session.get(Firm, cast.firms["A"]), db.session.get(Firm, cast.firms["B"])
        request = collab.post_request(owner, firm, {"cluster_id": cast.clusters["betta"], "kind": collab.Kind.KNOWLEDGE,
                                                    "title_th": "ขายคอร์สรวยเร็ว คลิกเลย"})
        response = collab.respond(member, request, responder, "สนใจครับ")
        outcome = Outcome.of_request(request, partner_firm_id=responder.id, value_baht=Decimal(1000),
                          kind=OutcomeKind.NEW_SALES, fiscal_year=2569)
        db.session.add(outcome)
        db.session.commit()
        ids = {name: cast.users[who] for name, who in PEOPLE.items()}
        ids.update(firm=firm.id, request=request.id, response=response.id, betta=cast.clusters["betta"],
                   outcome=outcome.id)
        return ids


# --- truth table ----------------------------------------------------------------------------------

WHO = ["anonymous", "owner_of_two", "owner", "coordinator", "other_coordinator", "ended_coordinator", "staff",
       "admin"]
EXPECTED = {  # on firm A of the cast (tests/helpers.py): a Betta member, owned by `owner`
    #                     report moderate queue review suspend audit staff_admin
    "anonymous":         (0,     0,       0,    0,     0,      0,    0),
    "owner_of_two":      (1,     0,       0,    0,     0,      0,    0),
    "owner":             (1,     0,       0,    1,     0,      0,    0),
    "coordinator":       (1,     1,       1,    0,     0,      0,    0),
    "other_coordinator": (1,     0,       1,    0,     0,      0,    0),
    "ended_coordinator": (1,     0,       0,    0,     0,      0,    0),
    "staff":             (1,     1,       1,    0,     1,      1,    0),
    "admin":             (1,     1,       1,    0,     1,      1,    1),
}


def test_moderation_truth_table(roles):
    users, firm = roles.users, roles.firms["A"].id
    actual = {who: tuple(int(bool(rule)) for rule in (
        can_report(users[who]), can_moderate_firm(users[who], firm), can_view_moderation(users[who]),
        can_request_review(users[who], firm), can_suspend_users(users[who]),
        can_view_audit_log(users[who]), can_manage_staff(users[who]),
    )) for who in WHO}
    assert actual == EXPECTED


# --- route sweep ----------------------------------------------------------------------------------

PRIVILEGED = ("moderation.", "admin.", "coordination.", "results.", "outbox.", "glossary.", "scorecard.",
              "service_tokens.")
MEMBER_FACING = {"moderation.report", "moderation.review"}  # any signed-in user / the owner


def _sample_values(app, rule, world):
    with app.app_context():
        membership = db.session.scalar(select(Membership.id).where(Membership.cluster_id == world["betta"]))
        term = db.session.scalar(select(CoordinatorTerm.id).where(CoordinatorTerm.cluster_id == world["betta"]))
    known = {"slug": "betta", "target_id": world["request"], "membership_id": membership, "term_id": term,
             "user_id": world["member"], "token": "0" * 32, "name": "requests", "outcome_id": world["outcome"],
             "import_id": 1, "message_id": 1, "entry_id": 1, "token_id": 1}  # refused before they are looked up
    values = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, AnyConverter):
            values[name] = "request" if name == "target_type" else re.findall(r"[a-z]+", converter.regex)[0]
        else:
            values[name] = known[name]
    return values


def privileged_rules(app):
    return [rule for rule in app.url_map.iter_rules()
            if rule.endpoint.startswith(PRIVILEGED) and rule.endpoint not in MEMBER_FACING]


def test_route_sweep_covers_the_privileged_blueprints(app):
    endpoints = {rule.endpoint for rule in privileged_rules(app)}
    assert {"moderation.queue", "moderation.target", "moderation.user", "admin.audit_log", "admin.audit_csv",
            "admin.staff", "coordination.queue", "coordination.coordinators"} <= endpoints
    assert len(endpoints) >= 15


def test_every_privileged_endpoint_refuses_anonymous_and_plain_members(app, world):
    member = signed_in(app, "owner_of_two@example.com")
    anonymous = app.test_client()
    checked = 0
    for rule in privileged_rules(app):
        with app.test_request_context():
            from flask import url_for

            url = url_for(rule.endpoint, **_sample_values(app, rule, world))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = anonymous.open(url, method=method)
            assert response.status_code == 302 and "/auth/login" in response.location, (method, url)
            assert member.open(url, method=method).status_code == 403, (method, url)
            checked += 1
    assert checked >= 20


# --- flows ----------------------------------------------------------------------------------------

def test_report_hide_review_restore(app, world, mailbox):
    member, staff = signed_in(app, "owner_of_two@example.com"), signed_in(app, "staff@example.com")
    owner, coordinator = signed_in(app, "owner@example.com"), signed_in(app, "coordinator@example.com")
    url = f"/moderation/report/request/{world['request']}"
    assert member.post(url, data={"reason": "other", "text": ""}).status_code == 200  # "other" needs words
    assert member.post(url, data={"reason": "spam"}).status_code == 302
    member.post(url, data={"reason": "spam"})  # not counted twice
    assert f"/moderation/request/{world['request']}" in body(staff.get("/moderation/"))
    assert f"/moderation/request/{world['request']}" in body(coordinator.get("/moderation/"))
    assert f"/moderation/request/{world['request']}" not in body(signed_in(app, "other_coordinator@example.com")
                                                                 .get("/moderation/"))
    target = f"/moderation/request/{world['request']}"
    refused = staff.post(f"{target}?lang=en", data={"action": "hide", "reason": ""})
    assert refused.status_code == 200 and "Give the reason the owner will see." in body(refused)
    with app.app_context():
        assert db.session.get(CollabRequest, world["request"]).hidden_at is None
    staff.post(target, data={"action": "hide", "reason": "โฆษณาไม่เกี่ยวกับคลัสเตอร์"})
    with app.app_context():
        hidden = db.session.get(CollabRequest, world["request"])
        assert hidden is not None and hidden.hidden_at is not None  # hidden, never deleted
        assert db.session.scalar(select(func.count()).select_from(Report)
                                 .where(Report.status == ReportStatus.ACTIONED)) == 1
    assert app.test_client().get(f"/requests/{world['request']}").status_code == 404
    assert member.get(f"/requests/{world['request']}").status_code == 404
    assert "ขายคอร์สรวยเร็ว" not in body(app.test_client().get("/requests/?status=all"))
    page = body(owner.get(f"/requests/{world['request']}?lang=th"))
    assert "โฆษณาไม่เกี่ยวกับคลัสเตอร์" in page and f"/moderation/review/request/{world['request']}" in page
    assert "โฆษณาไม่เกี่ยวกับคลัสเตอร์" in mailbox.body(mailbox.last_to("owner@example.com"))
    assert member.post(f"/moderation/review/request/{world['request']}").status_code == 403
    owner.post(f"/moderation/review/request/{world['request']}", data={"text": "แก้ไขข้อความแล้ว"})
    assert f"/moderation/request/{world['request']}" in body(staff.get("/moderation/"))  # review asked
    staff.post(target, data={"action": "restore", "reason": "แก้ไขแล้ว"})
    assert app.test_client().get(f"/requests/{world['request']}").status_code == 200
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.startswith("moderation."))
                                     .order_by(AuditEntry.id)).all()
        assert actions == ["moderation.hidden", "moderation.review_requested", "moderation.restored"]


def test_dismiss_leaves_the_listing_alone(app, world):
    member, staff = signed_in(app, "owner_of_two@example.com"), signed_in(app, "staff@example.com")
    member.post(f"/moderation/report/firm/{world['firm']}", data={"reason": "fake_firm"})
    staff.post(f"/moderation/firm/{world['firm']}", data={"action": "dismiss"})
    with app.app_context():
        assert db.session.scalar(select(Report.status)) is ReportStatus.DISMISSED
        assert db.session.get(Firm, world["firm"]).hidden_at is None


def test_hidden_messages_show_a_placeholder(app, world):
    staff = signed_in(app, "staff@example.com")
    with app.app_context():
        from portal.collab.models import Message

        message_id = db.session.scalar(select(Message.id))
    staff.post(f"/moderation/message/{message_id}", data={"action": "hide", "reason": "ไม่สุภาพ"})
    owner = signed_in(app, "owner@example.com")
    page = body(owner.get(f"/requests/responses/{world['response']}?lang=en"))
    assert "สนใจครับ" not in page and "This message was hidden by OSMEP staff." in page


def test_coordinators_verify_their_members(app, world):
    coordinator = signed_in(app, "coordinator@example.com")
    assert coordinator.post(f"/moderation/firm/{world['firm']}", data={"action": "verify"}).status_code == 302
    with app.app_context():
        firm = db.session.get(Firm, world["firm"])
        assert firm.verified_at is not None and firm.verified_by_id == world["coordinator"]
    assert "ยืนยันแล้ว" in body(app.test_client().get(f"/firms/{world['firm']}?lang=th"))
    other = signed_in(app, "other_coordinator@example.com")
    assert other.post(f"/moderation/firm/{world['firm']}", data={"action": "unverify"}).status_code == 403


def test_suspension_takes_listings_out_of_view_and_is_reversible(app, world):
    staff = signed_in(app, "staff@example.com")
    owner = signed_in(app, "owner@example.com")
    staff.post(f"/moderation/users/{world['owner']}", data={"action": "suspend", "reason": "บัญชีปลอม"})
    assert owner.get("/auth/account").status_code == 302  # signed out everywhere
    assert factories.sign_in(app.test_client(), "owner@example.com").status_code == 200  # cannot sign in
    assert app.test_client().get(f"/firms/{world['firm']}").status_code == 404
    assert app.test_client().get(f"/requests/{world['request']}").status_code == 404
    staff.post(f"/moderation/users/{world['owner']}", data={"action": "reinstate"})
    assert app.test_client().get(f"/firms/{world['firm']}").status_code == 200
    assert factories.sign_in(app.test_client(), "owner@example.com").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Firm).where(Firm.id == world["firm"])) == 1


def test_audit_log_filters_and_exports(app, world):
    staff = signed_in(app, "staff@example.com")
    staff.post(f"/moderation/firm/{world['firm']}", data={"action": "verify"})
    page = body(staff.get("/admin/audit?action=firm.verified"))
    assert "firm.verified" in page and "request.posted" not in page
    assert "staff@example.com" in body(staff.get("/admin/audit?actor=staff@example.com"))
    csv = staff.get("/admin/audit.csv?action=firm.")
    assert csv.status_code == 200 and csv.data.startswith(b"\xef\xbb\xbf")
    assert b"firm.verified" in csv.data and b"request.posted" not in csv.data
    assert staff.get("/admin/audit?from=not-a-date&page=1").status_code == 200


def test_thai_staff_read_labels_not_codes_in_queue_histories_and_audit_log(app, world, th):
    """#17.9: no "firm #201", `moderation.hidden`, `request.closed: not_fulfilled`, `collab_requests #25` or
    `wrong_information` on Thai pages; the CSV speaks the page's language, in Bangkok time, details as text."""
    from portal.collab.models import CloseReason
    from portal.moderation import services as moderation
    from portal.moderation.models import ReportReason

    with app.app_context():
        member = db.session.get(User, world["member"])
        firm, request = db.session.get(Firm, world["firm"]), db.session.get(CollabRequest, world["request"])
        moderation.report(member, "firm", firm, ReportReason.WRONG_INFORMATION, None)
        collab.close(db.session.get(User, world["owner"]), request, CloseReason.NOT_FULFILLED)
        db.session.commit()
    staff = signed_in(app, "staff@example.com")
    queue = body(staff.get("/moderation/?lang=th"))
    with app.app_context():
        firm_name = db.session.get(Firm, world["firm"]).name_th
    assert f"{th('Firm')}: {firm_name}" in queue and f"firm #{world['firm']}" not in queue  # named, not numbered
    staff.post(f"/moderation/firm/{world['firm']}", data={"action": "verify"})
    staff.post(f"/moderation/firm/{world['firm']}", data={"action": "hide", "reason": "ชื่อกิจการปลอม"})
    history = body(staff.get(f"/moderation/firm/{world['firm']}?lang=th"))
    assert th("Hidden by a moderator") in history and "moderation.hidden" not in history
    assert th("Firm verified") in history and "firm.verified" not in history
    request_history = body(staff.get(f"/moderation/request/{world['request']}?lang=th"))
    assert f"{th('Request closed')}: {th('Not fulfilled')}" in request_history
    assert "request.closed" not in request_history and "not_fulfilled" not in request_history

    log = body(staff.get("/admin/audit?lang=th"))
    visible = re.sub(r'(title|value)="[^"]*"', "", log)  # codes stay in tooltips and filter values
    for code in ("firm.verified", "moderation.hidden", "report.filed", "request.closed", "collab_requests",
                 "wrong_information", "not_fulfilled", "target_ref"):
        assert code not in visible, code
    assert f"{th('Request')} #{world['request']}" in log and th("Problem reported") in log
    assert f"<td>{th('Wrong information')}</td>" in log and f"{th('Listing')}: {th('Firm')} #{world['firm']}" in log
    # The target filter offers labels too, not table names to type.
    assert f'<option value="collab_requests">{th("Request")}</option>' in log
    requests_only = body(staff.get("/admin/audit?lang=th&target=collab_requests"))
    assert '<option value="collab_requests" selected>' in requests_only
    assert th("Request closed") in requests_only and th("Hidden by a moderator") not in requests_only

    exported = staff.get("/admin/audit.csv?lang=th&action=report.").get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(exported)))
    assert rows[0][:6] == [th("When"), th("Who"), th("What"), th("Target"), th("Reason"), th("Details")]
    report_row = rows[1]
    assert report_row[1] == "owner_of_two@example.com" and report_row[2] == th("Problem reported")
    assert report_row[4] == th("Wrong information")
    assert report_row[5] == f"{th('Listing')}: {th('Firm')} #{world['firm']}"  # not {'target_ref': 'firm:1'}
    with app.app_context():
        created = db.session.scalar(select(AuditEntry.created_at).where(AuditEntry.action == "report.filed"))
        bangkok = to_bangkok(created)
    assert bangkok.strftime("%H:%M") in report_row[0] and str(bangkok.year + 543) in report_row[0]
    english = list(csv.reader(io.StringIO(
        staff.get("/admin/audit.csv?lang=en&action=report.").get_data(as_text=True).lstrip("\ufeff"))))
    assert english[0][:3] == ["When", "Who", "What"] and english[1][2] == "Problem reported"
    assert english[1][4] == "Wrong information" and english[1][5] == f"Listing: Firm #{world['firm']}"


def test_unknown_audit_codes_read_as_words():
    from portal.audit_labels import action_label, details_text, target_label

    assert action_label("outbox.purged_old_rows") == "Outbox · purged old rows"
    assert target_label("parcel_lockers", 3) == "Parcel lockers #3"
    assert target_label("system") == "System"
    assert details_text({"dry_run": True, "ids": [1, 2], "note": None}) == "Dry run: Yes; Ids: 1, 2; Note: –"


def test_every_audit_action_the_code_writes_has_a_label():
    """A new audit action without a label would show as words, but not in Thai: keep the registry whole."""
    from pathlib import Path

    from portal.audit_labels import ACTIONS

    root = Path(__file__).resolve().parent.parent / "portal"
    written = set()
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        written |= set(re.findall(r'audit\.record\([^,]+,\s*"([a-z_]+\.[a-z_]+)"', text))
        written |= set(re.findall(r'action="([a-z_]+\.[a-z_]+)"', text))
    assert len(written) > 40
    assert written - set(ACTIONS) == set()


def test_admins_appoint_staff(app, world):
    admin, staff = signed_in(app, "admin@example.com"), signed_in(app, "staff@example.com")
    assert staff.get("/admin/staff").status_code == 403
    admin.post("/admin/staff", data={"email": "owner_of_two@example.com", "action": "grant"})
    with app.app_context():
        assert db.session.get(User, world["member"]).role is Role.STAFF
    admin.post("/admin/staff", data={"email": "owner_of_two@example.com", "action": "revoke"})
    with app.app_context():
        assert db.session.get(User, world["member"]).role is Role.MEMBER
        actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.target_id == world["member"],
                                                                     AuditEntry.action.startswith("user.staff"))
                                     .order_by(AuditEntry.id)).all()
        assert actions == ["user.staff_granted", "user.staff_revoked"]
