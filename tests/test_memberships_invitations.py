"""Pentest #14, finding 2: a coordinator's import may not enrol a firm that has an owner. It invites it;
the owner accepts (the firm becomes a member) or declines (recorded, nothing else changes)."""
import csv
import io
import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.audit import AuditEntry
from portal.auth.models import Role, User
from portal.clusters.models import Membership, MembershipStatus
from portal.extensions import db
from portal.notifications.models import Notification
from tests import factories
from tests.helpers import body, signed_in

S = MembershipStatus
NUMBER = "0105536001239"
FILE = f"registration_number,positions\n{NUMBER},upstream; downstream\n".encode()


@pytest.fixture
def world(app):
    """A Thai coordinator of Cosplay; a members-only firm owned by an English-speaking owner, with an editor."""
    with app.app_context():
        coordinator = factories.user(email="coord@example.com", locale="th")
        factories.term(coordinator, factories.cluster("cosplay"))
        owner = factories.user(email="owner@example.com", name="Malee", locale="en")
        editor = factories.user(email="editor@example.com")
        factories.user(email="staff@example.com", role=Role.STAFF)
        firm = factories.firm(name_th="ร้านวิกผมสยาม", name_en="Siam Wigs", registration_number=NUMBER,
                              phone="+66812345678", email="wigs@example.com", public_listing_consent_at=None)
        factories.team_member(firm, owner, "owner")
        factories.team_member(firm, editor, "editor")
        db.session.commit()
        return {"firm": firm.id, "cluster": factories.cluster("cosplay").id}


def import_file(client, content=FILE):
    preview = client.post("/clusters/cosplay/manage/import", data={"file": (io.BytesIO(content), "list.csv")},
                          content_type="multipart/form-data", follow_redirects=True)
    action = re.search(r'action="(/clusters/cosplay/manage/import/[0-9a-f]+)"', body(preview))
    return preview, (client.post(action.group(1)) if action else None)


def memberships(app, firm_id):
    with app.app_context():
        rows = db.session.scalars(select(Membership).where(Membership.firm_id == firm_id)
                                  .options(selectinload(Membership.positions)).order_by(Membership.id)).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def positions(membership):
    return sorted(p.position.value for p in membership.positions)


def members_counted(app, cluster_id):
    with app.app_context():
        from portal.admin.dashboard import member_counts
        from portal.db import utcnow
        from portal.thai import fiscal_year

        return member_counts([cluster_id], fiscal_year(utcnow()))["member"].get("", 0)


def exported_numbers(client):
    rows = list(csv.reader(io.StringIO(client.get("/clusters/cosplay/manage/members.csv").data.decode("utf-8-sig"))))
    return [row[0] for row in rows[1:]]


def answer(client, world, membership_id, what, **data):
    return client.post(f"/firms/{world['firm']}/memberships/{membership_id}/invitation/{what}", data=data)


def test_import_invites_a_claimed_firm_instead_of_enrolling_it(app, world, mailbox, th):
    coordinator = signed_in(app, "coord@example.com")
    preview, done = import_file(coordinator)
    assert th("Invited: joins if its owner accepts") in body(preview)
    assert th("%(num)s firm invited to join (its owner decides)",
              plural="%(num)s firms invited to join (their owners decide)", num=1) in body(preview)
    assert done.status_code == 302 and "/clusters/cosplay/manage/imports/" in done.headers["Location"]
    result = body(coordinator.get(done.headers["Location"]))  # applied by the job (at once in tests)
    assert th("%(num)s firm invited to join (its owner decides)",
              plural="%(num)s firms invited to join (their owners decide)", num=1) in result
    assert "/clusters/cosplay/manage/invitations" in result

    [invitation] = memberships(app, world["firm"])
    assert invitation.status is S.INVITED and invitation.invited_at is not None
    assert positions(invitation) == ["downstream", "upstream"]
    # Not a member anywhere: not exported, not counted, no moderation right over it.
    assert exported_numbers(coordinator) == []
    assert members_counted(app, world["cluster"]) == 0
    from portal.permissions import can_moderate_firm

    with app.test_request_context():
        user = db.session.scalar(select(User).where(User.email == "coord@example.com"))
        assert not can_moderate_firm(user, world["firm"])
    # The coordinator sees the invitation waiting.
    page = body(coordinator.get("/clusters/cosplay/manage/invitations"))
    assert "ร้านวิกผมสยาม" in page and th("Waiting for the owner") in page

    # The owner is told in English, and the notification leads to the firm's clusters page.
    mail = mailbox.body(mailbox.last_to("owner@example.com"))
    assert "The Cosplay cluster invites Siam Wigs to join as a member." in mail
    owner = signed_in(app, "owner@example.com")
    with app.app_context():
        notification = db.session.scalar(select(Notification).join(User, User.id == Notification.user_id)
                                         .where(User.email == "owner@example.com"))
    link = owner.get(f"/notifications/{notification.id}")
    assert link.headers["Location"] == f"/firms/{world['firm']}/memberships#invitations"
    page = body(owner.get(f"/firms/{world['firm']}/memberships"))
    assert "Accept and join Cosplay" in page and "Decline the invitation" in page
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert "membership.invited" in actions and "membership.imported" not in actions


def test_the_owner_accepts_with_the_positions_they_choose(app, world, mailbox):
    import_file(signed_in(app, "coord@example.com"))
    [invitation] = memberships(app, world["firm"])
    owner = signed_in(app, "owner@example.com")
    prefix = f"m{invitation.id}-"
    response = answer(owner, world, invitation.id, "accept", **{prefix + "positions": ["midstream", "downstream"]})
    assert response.status_code == 302

    [member] = memberships(app, world["firm"])
    assert member.id == invitation.id and member.status is S.APPROVED and member.fiscal_year >= 2569
    assert positions(member) == ["downstream", "midstream"]
    assert members_counted(app, world["cluster"]) == 1
    assert exported_numbers(signed_in(app, "coord@example.com")) == [NUMBER]
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "membership.invitation_accepted"))
        assert entry.target_id == member.id and entry.details["proposed"] == ["upstream", "downstream"]
        assert entry.details["positions"] == ["midstream", "downstream"]
    # The (Thai) coordinator is told, in Thai, and sees the answer on the invitations page.
    assert "ร้านวิกผมสยาม" in mailbox.body(mailbox.last_to("coord@example.com"))
    with app.app_context():
        kinds = db.session.scalars(select(Notification.kind).join(User, User.id == Notification.user_id)
                                   .where(User.email == "coord@example.com").order_by(Notification.id)).all()
    assert kinds == ["import.done", "membership.invitation_accepted"]  # first the import's result
    page = body(signed_in(app, "coord@example.com").get("/clusters/cosplay/manage/invitations"))
    assert "ร้านวิกผมสยาม" in page and "status-approved" in page


def test_the_owner_declines_and_nothing_else_changes(app, world, th):
    coordinator = signed_in(app, "coord@example.com")
    import_file(coordinator)
    [invitation] = memberships(app, world["firm"])
    owner = signed_in(app, "owner@example.com")
    assert answer(owner, world, invitation.id, "decline").status_code == 302

    [declined] = memberships(app, world["firm"])
    assert declined.status is S.DECLINED and declined.fiscal_year is None
    assert positions(declined) == ["downstream", "upstream"]
    assert members_counted(app, world["cluster"]) == 0 and exported_numbers(coordinator) == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.action == "membership.invitation_declined")) == 1
    assert "status-declined" in body(coordinator.get("/clusters/cosplay/manage/invitations"))
    # The same file again does not invite the firm again; the firm may still ask to join itself.
    preview, done = import_file(coordinator)
    assert th("Declined an invitation before: not invited again") in body(preview) and done is None
    assert len(memberships(app, world["firm"])) == 1
    page = body(owner.get(f"/firms/{world['firm']}/memberships"))
    assert "Invitation declined" in page and 'name="cluster_id"' in page


def test_only_the_owner_answers_and_a_coordinator_cannot_approve_an_invitation(app, world, th):
    coordinator = signed_in(app, "coord@example.com")
    import_file(coordinator)
    [invitation] = memberships(app, world["firm"])
    data = {f"m{invitation.id}-positions": ["upstream"]}
    for email in ("editor@example.com", "coord@example.com", "staff@example.com"):
        assert answer(signed_in(app, email), world, invitation.id, "accept", **data).status_code == 403
        assert answer(signed_in(app, email), world, invitation.id, "decline").status_code == 403
    # The coordinators' approve button works on requests only.
    coordinator.post(f"/clusters/cosplay/manage/{invitation.id}/approve")
    staff = signed_in(app, "staff@example.com")
    staff.post(f"/clusters/cosplay/manage/{invitation.id}/approve")
    assert [m.status for m in memberships(app, world["firm"])] == [S.INVITED]
    # The editor sees the invitation but is told only the owner can answer it.
    page = body(signed_in(app, "editor@example.com").get(f"/firms/{world['firm']}/memberships"))
    assert th("Only the owner of the firm can accept or decline this invitation.") in page
    assert f"/memberships/{invitation.id}/invitation/" not in page  # no accept or decline buttons


def test_an_open_invitation_holds_the_firms_place_in_the_cluster(app, world, th):
    coordinator = signed_in(app, "coord@example.com")
    import_file(coordinator)
    # Importing again: the firm is already invited, nothing to change.
    preview, done = import_file(coordinator)
    assert th("Already invited: waiting for its owner") in body(preview) and done is None
    # The owner cannot also ask to join while invited (the cluster is not offered; a forged post is refused).
    owner = signed_in(app, "owner@example.com")
    response = owner.post(f"/firms/{world['firm']}/memberships", data={
        "cluster_id": world["cluster"], "positions": ["upstream"]})
    assert response.status_code == 200
    assert [m.status for m in memberships(app, world["firm"])] == [S.INVITED]


def test_unclaimed_profiles_still_join_at_once(app, world):
    """A profile nobody owns (made by an earlier import) has no one to ask: the import adds it."""
    with app.app_context():
        factories.firm(name_th="ฟาร์มไม่มีเจ้าของ", registration_number="0105567000129")
        db.session.commit()
    _preview, done = import_file(signed_in(app, "coord@example.com"),
                                 b"registration_number,positions\n0105567000129,midstream\n")
    assert done.status_code == 302
    with app.app_context():
        status = db.session.scalar(select(Membership.status).join(Membership.firm)
                                   .where(Membership.cluster_id == world["cluster"]))
    assert status is S.APPROVED
