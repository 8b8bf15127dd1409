"""The request owns the transaction (issue #16): services flush and raise; `portal.db.unit_of_work` commits
what they did together or rolls all of it back, and a conflict's message is read after that rollback."""
import pytest
from flask import current_app
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import selectinload

from portal.audit import AuditEntry
from portal.auth.models import Role
from portal.clusters.models import Membership, MembershipStatus, Position
from portal.db import Conflict, unit_of_work
from portal.exceptions import PermissionDenied, RuleViolation
from portal.extensions import db
from portal.firms.models import Firm, FirmSize, LegalForm
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


# --- how a request's transaction ends (portal.db.end_read_only_request) ----------------------------------

def _firm_count(app, name):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Firm).where(Firm.name_th == name))


def _request(app, work, fails=False):
    """What a request does between its first statement and its end: `work` runs in a request context whose
    teardown is the real one (the transaction's end, then the session's close)."""
    context = app.test_request_context("/")
    context.push()
    try:
        work()
    finally:
        context.pop(RuntimeError("the view failed") if fails else None)


@pytest.mark.parametrize(("name", "fails"), [("เขียนแล้วไม่ยืนยัน", False), ("เขียนแล้วล้มเหลว", True)])
def test_a_request_that_wrote_without_committing_leaves_nothing(app, name, fails):
    """A view that flushed a row and never committed (it refused, or failed) keeps nothing of it, on either
    database: only a transaction that wrote nothing is committed at the end."""
    def write():
        db.session.add(Firm(name_th=name, legal_form=LegalForm.INDIVIDUAL, size=FirmSize.MICRO,
                            province=factories.province("10")))
        db.session.flush()
        db.session.scalar(select(Firm.id).limit(1))  # a read after the write: still a writing transaction

    _request(app, write, fails)
    assert _firm_count(app, name) == 0


def test_a_request_that_deleted_inside_a_with_statement_keeps_the_row(app):
    """A WITH counts as a read only when no writing word is in it: a DELETE inside one is rolled back. (Only on
    PostgreSQL: SQLite's driver begins a transaction only before a statement that starts with a writing word,
    so it commits a WITH ... DELETE by itself. The portal runs none; its two CTEs read.)"""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite's driver commits a WITH ... DELETE as it runs")
        factories.firm(name_th="ลบในคำสั่ง WITH")
        db.session.commit()
    statement = text("WITH target AS (SELECT id FROM firms WHERE name_th = :name) "
                     "DELETE FROM firms WHERE id IN (SELECT id FROM target)")
    left = []

    def delete():
        db.session.execute(statement, {"name": "ลบในคำสั่ง WITH"})
        left.append(db.session.scalar(select(func.count()).select_from(Firm).where(Firm.name_th == "ลบในคำสั่ง WITH")))

    _request(app, delete)
    assert left == [0] and _firm_count(app, "ลบในคำสั่ง WITH") == 1


def test_a_request_that_only_read_ends_clean_and_the_next_sees_new_rows(app):
    with app.app_context():
        firm = factories.firm(name_th="อ่านอย่างเดียว")
        db.session.commit()
        firm_id = firm.id
    seen = []
    _request(app, lambda: seen.append(db.session.get(Firm, firm_id).name_th))
    with app.app_context():
        db.session.get(Firm, firm_id).name_th = "เปลี่ยนชื่อแล้ว"
        db.session.commit()
    _request(app, lambda: seen.append(db.session.get(Firm, firm_id).name_th))
    assert seen == ["อ่านอย่างเดียว", "เปลี่ยนชื่อแล้ว"]


def test_on_postgresql_statements_read_on_every_request_are_prepared_once(app):
    """psycopg forgets what it prepared at every ROLLBACK; requests that only read end with COMMIT, so a
    statement read on each request is prepared after a few (psycopg's prepare_threshold) and only bound after."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("prepared statements are PostgreSQL's")
        firm_id = factories.firm(name_th="เตรียมไว้").id
        db.session.commit()
        db.session.close()
        db.engine.dispose()  # one connection from here on, as a sync worker has: earlier tests left several
    for _ in range(8):
        _request(app, lambda: db.session.scalar(select(Firm.name_th).where(Firm.id == firm_id)))
    prepared = []
    _request(app, lambda: prepared.extend(db.session.scalars(text("SELECT statement FROM pg_prepared_statements"))))
    assert any("firms.name_th" in statement and "firms.id = $1" in statement for statement in prepared), prepared
