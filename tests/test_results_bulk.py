"""One transaction that changes the memberships of many firms at once (a coordinator's import, ending
many memberships) keeps the counts equal to counting afresh, on SQLite and on PostgreSQL. PostgreSQL
turns a row-wise IN list into a chain of ORs nested one per key, and gave up ("stack depth limit
exceeded") at about 12,800 keys to delete."""
from datetime import datetime, timezone

from sqlalchemy import event, insert, select
from sqlalchemy.orm import selectinload

from portal.admin import rollup
from portal.admin.models import ResultCount, ResultFirmKey
from portal.clusters.models import Membership, MembershipPosition, MembershipStatus, Position
from portal.extensions import db
from portal.firms.models import Firm, FirmSize, LegalForm
from tests import factories
from tests.test_results_rollup import assert_counts_match

S = MembershipStatus
FIRMS = 1500
BETTA_YEAR, COSPLAY_YEAR = 2566, 2567
IN_BETTA_YEAR = datetime(2023, 3, 1, tzinfo=timezone.utc)  # fiscal year 2566
LATER = datetime(2025, 3, 1, tzinfo=timezone.utc)  # fiscal year 2568


def _load_members(betta_id, cosplay_id, province_ids) -> None:
    """FIRMS firms, each approved in Betta (2566) and Cosplay (2567) at two positions; Core inserts, then
    rebuild(), as after a bulk load (the ORM would refresh them one flush at a time)."""
    now = datetime(2023, 1, 1, tzinfo=timezone.utc)
    db.session.execute(insert(Firm.__table__), [
        dict(name_th=f"กิจการจำนวนมาก {n}", legal_form=LegalForm.INDIVIDUAL, size=FirmSize.MICRO,
             province_id=province_ids[n % len(province_ids)], created_at=now, updated_at=now)
        for n in range(FIRMS)])
    firm_ids = db.session.scalars(select(Firm.id).where(Firm.name_th.like("กิจการจำนวนมาก %"))
                                  .order_by(Firm.id)).all()
    db.session.execute(insert(Membership.__table__), [
        dict(firm_id=firm_id, cluster_id=cluster_id, status=S.APPROVED, fiscal_year=year, decided_at=now,
             created_at=now, updated_at=now)
        for firm_id in firm_ids for cluster_id, year in ((betta_id, BETTA_YEAR), (cosplay_id, COSPLAY_YEAR))])
    db.session.execute(insert(MembershipPosition.__table__), [
        dict(membership_id=membership_id, position=position)
        for membership_id in db.session.scalars(select(Membership.id).where(Membership.firm_id.in_(
            select(Firm.id).where(Firm.name_th.like("กิจการจำนวนมาก %")))))
        for position in (Position.UPSTREAM, Position.MIDSTREAM)])
    rollup.rebuild(db.session)


def _kept() -> tuple[set, dict]:
    keys = set(db.session.execute(select(ResultFirmKey.__table__)).all())
    counts = {(scope, dimension, bucket): firms for scope, dimension, bucket, firms
              in db.session.execute(select(ResultCount.__table__)) if firms}
    return keys, counts


def test_one_transaction_changing_many_firms_keeps_the_counts(app):
    """Every firm's memberships change in one transaction: a Betta membership ended in the year it began
    (its keys go), moved to another year or given other positions, a Cosplay membership removed later, a
    firm moved to another province. The kept keys and counts are then those a rebuild finds, and no
    statement grows with the number of firms."""
    with app.app_context():
        betta, cosplay = factories.cluster("betta").id, factories.cluster("cosplay").id
        provinces = [factories.province(code).id for code in ("10", "50", "73")]
        _load_members(betta, cosplay, provinces)
        rollup.keep_union(db.session, [betta, cosplay])
        db.session.commit()
        longest = []

        def note_length(conn, cursor, statement, parameters, context, executemany):
            longest.append(len(statement))

        memberships = db.session.scalars(
            select(Membership).join(Firm).where(Firm.name_th.like("กิจการจำนวนมาก %"))
            .options(selectinload(Membership.positions)).order_by(Membership.firm_id, Membership.cluster_id)).all()
        for n, membership in enumerate(memberships):
            if membership.cluster_id == betta:
                if n % 3 == 0:  # ended the year it began: it never counted at a year end
                    membership.status, membership.ended_at = S.LEFT, IN_BETTA_YEAR
                elif n % 3 == 1:
                    membership.fiscal_year = BETTA_YEAR - 1
                else:
                    membership.positions = [MembershipPosition(position=Position.DOWNSTREAM)]
            elif n % 4 == 1:
                membership.status, membership.ended_at = S.REMOVED, LATER
        for n, firm in enumerate(db.session.scalars(select(Firm).where(Firm.name_th.like("กิจการจำนวนมาก %"))
                                                    .order_by(Firm.id))):
            if n % 5 == 0:
                firm.province_id = provinces[(n + 1) % len(provinces)]
        db.session.flush()
        event.listen(db.engine, "before_cursor_execute", note_length)
        try:
            db.session.commit()  # the refresh of all FIRMS firms runs here
        finally:
            event.remove(db.engine, "before_cursor_execute", note_length)
        kept = _kept()
        assert len(kept[0]) > 10 * FIRMS
        rollup.rebuild(db.session)
        db.session.commit()
        assert _kept() == kept
        assert_counts_match([betta, cosplay], years=range(2564, 2570))
        assert max(longest) < 4000, max(longest)
