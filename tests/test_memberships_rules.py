"""The membership state machine and the membership permissions, as tables."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy.orm import selectinload

from portal.auth.models import Role
from portal.clusters.models import Membership, MembershipStatus, Organisation, Position
from portal.db import unit_of_work
from portal.exceptions import PermissionDenied, RuleViolation
from portal.extensions import db
from portal.memberships import invitations, services
from portal.permissions import (
    can_answer_membership_invitation,
    can_appoint_coordinators,
    can_decide_membership,
    can_manage_cluster,
    can_request_membership,
    can_withdraw_membership,
)
from portal.thai import bangkok_today
from tests import factories

S = MembershipStatus
ACTIONS = {  # target status: how to get there, and who may do it
    S.APPROVED: (lambda actor, m: services.approve(actor, m), "staff"),
    S.DECLINED: (lambda actor, m: services.decline(actor, m, "ไม่ตรงกับคลัสเตอร์"), "staff"),
    S.CANCELLED: (lambda actor, m: services.cancel_request(actor, m), "owner"),
    S.LEFT: (lambda actor, m: services.leave(actor, m), "owner"),
    S.REMOVED: (lambda actor, m: services.remove(actor, m, "ผิดเงื่อนไข"), "staff"),
}
ALLOWED = {(S.PENDING, S.APPROVED), (S.PENDING, S.DECLINED), (S.PENDING, S.CANCELLED),
           (S.APPROVED, S.LEFT), (S.APPROVED, S.REMOVED)}


@pytest.fixture
def people(ctx):
    owner = factories.user()
    staff = factories.user(role=Role.STAFF)
    firm = factories.firm()
    factories.team_member(firm, owner, "owner")
    db.session.commit()
    return {"owner": owner, "staff": staff, "firm": firm, "cluster": factories.cluster("betta")}


@pytest.mark.parametrize("start", list(S), ids=lambda s: s.value)
@pytest.mark.parametrize("target", list(ACTIONS), ids=lambda s: s.value)
def test_every_transition_is_allowed_or_refused(people, start, target):
    membership = factories.membership(people["firm"], people["cluster"], Position.UPSTREAM, status=start)
    action, who = ACTIONS[target]
    if (start, target) in ALLOWED:
        action(people[who], membership)
        assert membership.status is target
    else:
        with pytest.raises(RuleViolation):
            action(people[who], membership)
        assert membership.status is start


@pytest.mark.parametrize("previous", [S.DECLINED, S.CANCELLED, S.LEFT, S.REMOVED])
def test_a_firm_may_ask_again_after_an_ended_membership_and_history_is_kept(people, previous):
    old = factories.membership(people["firm"], people["cluster"], status=previous)
    new = services.request_membership(people["owner"], people["firm"], people["cluster"], ["midstream"], "", "")
    assert new.id != old.id and new.status is S.PENDING and old.status is previous


@pytest.mark.parametrize("current", [S.PENDING, S.APPROVED])
def test_a_firm_cannot_ask_twice(people, current):
    factories.membership(people["firm"], people["cluster"], status=current)
    with pytest.raises(RuleViolation):
        services.request_membership(people["owner"], people["firm"], people["cluster"], ["upstream"], "", "")


def test_a_request_needs_a_position_and_a_decline_a_reason(people):
    with pytest.raises(RuleViolation):
        services.request_membership(people["owner"], people["firm"], people["cluster"], [], "", "")
    membership = services.request_membership(people["owner"], people["firm"], people["cluster"],
                                             ["upstream", "downstream", "upstream"], "", "")
    assert [p.position for p in membership.positions] == [Position.UPSTREAM, Position.DOWNSTREAM]
    with pytest.raises(RuleViolation):
        services.decline(people["staff"], membership, "   ")
    assert membership.status is S.PENDING


@pytest.mark.parametrize("moment, expected", [
    (datetime(2020, 9, 30, 16, 59, tzinfo=timezone.utc), 2563),
    (datetime(2020, 9, 30, 17, 0, tzinfo=timezone.utc), 2564),  # 1 October in Bangkok
])
def test_approval_records_the_thai_fiscal_year(people, monkeypatch, moment, expected):
    monkeypatch.setattr(services, "utcnow", lambda: moment)
    membership = factories.membership(people["firm"], people["cluster"], status=S.PENDING)
    services.approve(people["staff"], membership)
    assert membership.fiscal_year == expected and membership.decided_by_id == people["staff"].id


def test_every_change_is_audited(people):
    from portal.audit import AuditEntry

    membership = services.request_membership(people["owner"], people["firm"], people["cluster"], ["upstream"],
                                             "ปลาเกรดส่งออก", "ผู้ส่งออก")
    services.approve(people["staff"], membership)
    services.set_positions(people["staff"], membership, ["upstream", "downstream"])
    services.set_notes(people["staff"], membership, "โทรคุยแล้ว")
    services.remove(people["staff"], membership, "ปิดกิจการ")
    actions = db.session.scalars(db.select(AuditEntry.action).where(AuditEntry.target_type == "memberships")
                                 .order_by(AuditEntry.id)).all()
    assert actions == ["membership.requested", "membership.approved", "membership.positions_changed",
                       "membership.notes_changed", "membership.removed"]
    reason = db.session.scalar(db.select(AuditEntry.reason).where(AuditEntry.action == "membership.removed"))
    assert reason == "ปิดกิจการ"


# --- permissions ---------------------------------------------------------------------------------

WHO = ["anonymous", "owner_c", "owner", "editor", "coordinator", "other_coordinator", "ended_coordinator",
       "future_term", "staff", "suspended_coordinator"]


@pytest.fixture
def world(roles):
    """The cast (tests/helpers.py) with firm A's Betta membership pending; the Betta coordinator holds a
    second, overlapping term (a handover); two more Betta coordinators: one from tomorrow, one suspended."""
    users, firm, betta = dict(roles.users), roles.firms["A"], roles.clusters["betta"]
    today = bangkok_today()
    users["future_term"], users["suspended_coordinator"] = factories.user(), factories.user(suspended=True)
    factories.term(users["coordinator"], betta, organisation_id=betta.association_id)  # overlapping handover
    factories.term(users["future_term"], betta, today + timedelta(days=1), today + timedelta(days=300))
    factories.term(users["suspended_coordinator"], betta)
    membership = db.session.scalar(db.select(Membership).where(Membership.firm_id == firm.id))
    membership.status = S.PENDING
    db.session.commit()
    return users, firm, betta, membership


EXPECTED = {
    #                        request withdraw manage decide appoint answer-invitation
    "anonymous":             (0,      0,       0,     0,     0,      0),
    "owner_c":               (0,      0,       0,     0,     0,      0),
    "owner":                 (1,      1,       0,     0,     0,      1),
    "editor":                (0,      0,       0,     0,     0,      0),
    "coordinator":           (0,      0,       1,     1,     0,      0),
    "other_coordinator":     (0,      0,       0,     0,     0,      0),
    "ended_coordinator":     (0,      0,       0,     0,     0,      0),
    "future_term":           (0,      0,       0,     0,     0,      0),
    "staff":                 (0,      0,       1,     1,     1,      0),
    "suspended_coordinator": (0,      0,       0,     0,     0,      0),
}


def test_membership_permission_truth_table(world):
    users, firm, betta, membership = world
    actual = {
        who: tuple(int(bool(v)) for v in (
            can_request_membership(users[who], firm),
            can_withdraw_membership(users[who], membership),
            can_manage_cluster(users[who], betta),
            can_decide_membership(users[who], membership),
            can_appoint_coordinators(users[who]),
            can_answer_membership_invitation(users[who], membership),
        ))
        for who in WHO
    }
    assert actual == EXPECTED


def test_services_refuse_those_the_table_refuses(world):
    users, firm, betta, membership = world
    for who in ("owner", "other_coordinator", "ended_coordinator", "editor"):
        with pytest.raises(PermissionDenied):
            services.approve(users[who], membership)
    with pytest.raises(PermissionDenied):
        services.cancel_request(users["coordinator"], membership)
    with pytest.raises(PermissionDenied):
        services.appoint_coordinator(users["coordinator"], users["editor"], betta,
                                     db.session.get(Organisation, betta.agency_id), bangkok_today(), bangkok_today())
    assert membership.status is S.PENDING


def test_ending_a_term_takes_the_rights_away_today(world):
    users, firm, betta, membership = world
    from portal.clusters.models import CoordinatorTerm

    terms = db.session.scalars(db.select(CoordinatorTerm).where(CoordinatorTerm.user_id == users["coordinator"].id))
    for term in terms:
        services.end_term(users["staff"], term)
    db.session.commit()
    assert not can_manage_cluster(users["coordinator"], betta)


# --- invitations (a coordinator's import of a firm that has an owner) ------------------------------

ANSWERS = {
    S.APPROVED: lambda actor, m: invitations.accept(actor, m, ["midstream"]),
    S.DECLINED: lambda actor, m: invitations.decline(actor, m),
}


@pytest.mark.parametrize("start", list(S), ids=lambda s: s.value)
@pytest.mark.parametrize("target", list(ANSWERS), ids=lambda s: s.value)
def test_only_an_open_invitation_can_be_answered(people, start, target):
    membership = factories.membership(people["firm"], people["cluster"], Position.UPSTREAM, status=start)
    if start is S.INVITED:
        ANSWERS[target](people["owner"], membership)
        assert membership.status is target and membership.decided_by_id == people["owner"].id
    else:
        with pytest.raises(RuleViolation):
            ANSWERS[target](people["owner"], membership)
        assert membership.status is start


def test_invitations_are_answered_by_the_owner_alone_and_audited(people):
    from portal.audit import AuditEntry

    invited = invitations.invite(people["staff"], people["firm"], people["cluster"], ["upstream"])
    db.session.commit()
    for target in ANSWERS:
        with pytest.raises(PermissionDenied):
            ANSWERS[target](people["staff"], invited)
    with pytest.raises(RuleViolation), unit_of_work():  # one open invitation per firm and cluster
        invitations.invite(people["staff"], people["firm"], people["cluster"], ["upstream"])
    invited = db.session.scalar(db.select(Membership).where(Membership.id == invited.id)
                                .options(selectinload(Membership.positions))
                                .execution_options(populate_existing=True))
    invitations.accept(people["owner"], invited, ["midstream", "upstream"])
    assert invited.fiscal_year is not None and [p.position for p in invited.positions] == [Position.UPSTREAM,
                                                                                            Position.MIDSTREAM]
    actions = db.session.scalars(db.select(AuditEntry.action).where(AuditEntry.target_type == "memberships")
                                 .order_by(AuditEntry.id)).all()
    assert actions == ["membership.invited", "membership.invitation_accepted"]
