"""The request owns the transaction (issue #16): services flush and raise; `portal.db.unit_of_work` commits
what they did together or rolls all of it back, and a conflict's message is read after that rollback."""
import pytest
from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from portal.audit import AuditEntry
from portal.auth.models import Role
from portal.clusters.models import Membership, MembershipStatus, Position
from portal.db import Conflict, unit_of_work
from portal.exceptions import PermissionDenied, RuleViolation
from portal.extensions import db
from portal.memberships import services
from tests import factories


@pytest.fixture
def member(ctx):
    staff = factories.user(role=Role.STAFF)
    membership = factories.membership(factories.firm(), factories.cluster("betta"), Position.UPSTREAM)
    db.session.commit()
    return staff, membership.id


def _someone_else_changes(membership_id):
    """Another transaction's write, as the database sees it: the row's version moves on under the session."""
    db.session.execute(update(Membership).where(Membership.id == membership_id)
                       .values(version_id=Membership.version_id + 1, status=MembershipStatus.REMOVED)
                       .execution_options(synchronize_session=False))


def _load(membership_id):
    return db.session.scalar(select(Membership).where(Membership.id == membership_id)
                             .options(selectinload(Membership.positions)).execution_options(populate_existing=True))


def _stored(membership_id):
    db.session.expire_all()
    membership = _load(membership_id)
    return sorted(p.position.value for p in membership.positions), membership.coordinator_notes


def test_a_conflict_in_the_second_service_leaves_nothing_of_the_first(member):
    """set_positions then set_notes in one request: the notes conflict, so the positions saved a moment
    before are not kept either, and no audit entry says they were."""
    staff, membership_id = member
    membership = _load(membership_id)
    with pytest.raises(Conflict) as refused, unit_of_work():
        services.set_positions(staff, membership, ["midstream"])
        _someone_else_changes(membership_id)
        services.set_notes(staff, membership, "โทรคุยแล้ว")
    assert _stored(membership_id) == (['upstream'], None)
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.target_type == "memberships")) is None
    with current_app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert "at the same moment" in str(refused.value)  # read now, after the rollback


def test_a_service_that_refuses_does_not_roll_back_by_itself(member):
    """The rollback is the unit of work's: a service's conflict leaves the session for its owner to settle
    (it cannot be used again until rolled back), rather than quietly undoing the caller's earlier work."""
    staff, membership_id = member
    membership = _load(membership_id)
    services.set_positions(staff, membership, ["midstream"])
    _someone_else_changes(membership_id)
    with pytest.raises(Conflict):
        services.set_notes(staff, membership, "โทรคุยแล้ว")
    assert not db.session.is_active  # still the failed transaction: nobody rolled it back behind our back
    db.session.rollback()
    assert _stored(membership_id) == (['upstream'], None)


def test_the_unit_of_work_commits_what_succeeds(member):
    staff, membership_id = member
    with unit_of_work():
        membership = _load(membership_id)
        services.set_positions(staff, membership, ["midstream"])
        services.set_notes(staff, membership, "โทรคุยแล้ว")
    assert _stored(membership_id) == (["midstream"], "โทรคุยแล้ว")


@pytest.mark.parametrize("refusal", [RuleViolation("no"), PermissionDenied()], ids=["rule", "permission"])
def test_any_refusal_rolls_back_the_whole_unit(member, refusal):
    staff, membership_id = member
    with pytest.raises(type(refusal)), unit_of_work():
        services.set_positions(staff, _load(membership_id), ["downstream"])
        raise refusal
    assert _stored(membership_id) == (['upstream'], None)
