"""Keep the programme's membership figures counted as memberships change (tables in admin/models.py).

Whenever a flush inserts, updates or deletes a membership, a membership position, or a firm's province,
the firms concerned are refreshed before the flush ends, in the same transaction: their figures are
recomputed from their memberships, compared with the stored ones, and the difference (+1/-1) is added
to the counts. This catches every path that goes through the ORM (services, imports, the demo seed,
tests). Bulk SQL that bypasses the ORM (bench/directory.py's raw inserts) must call rebuild() after.
"""
from collections import Counter

from sqlalchemy import String, cast, delete, event, func, insert, inspect, literal, select, text, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from portal.admin.models import MEMBER, POSITION, PROGRAMME, PROVINCE, YEAR, ResultCount, ResultFirmKey
from portal.clusters.models import Membership, MembershipPosition, MembershipStatus
from portal.firms.models import Firm

KEYS, COUNTS = ResultFirmKey.__table__, ResultCount.__table__
_FIRMS, _MEMBERSHIPS = "results_rollup_firms", "results_rollup_memberships"  # keys of session.info


def keys_of(rows) -> set[tuple[int, str, str]]:
    """(scope, dimension, bucket) a firm counts in, from (cluster id, status, fiscal year, position or
    None, province id) of its memberships, one row per position. The rule written once, in Python;
    rebuild() says the same in SQL, and the tests hold one to the other."""
    keys = set()
    for cluster_id, status, year, position, province_id in rows:
        for scope in (PROGRAMME, cluster_id):
            if year is not None:
                keys.add((scope, YEAR, str(year)))
            if MembershipStatus(status) is MembershipStatus.APPROVED:
                keys.add((scope, MEMBER, ""))
                keys.add((scope, PROVINCE, str(province_id)))
                if position is not None:
                    keys.add((scope, POSITION, getattr(position, "value", position)))
    return keys


def refresh(session: Session, firm_ids) -> None:
    """Bring the stored figures of these firms in line with their memberships (flush-time, no commit)."""
    ids = sorted({i for i in firm_ids if i is not None})
    if not ids:
        return
    # Lock the firms (PostgreSQL; SQLite has one writer anyway) so that two transactions changing one
    # firm's memberships compute its figures one after the other, each seeing the other's result.
    session.execute(select(Firm.id).where(Firm.id.in_(ids)).order_by(Firm.id).with_for_update())
    wanted = _wanted_keys(session, ids)
    stored = set(session.execute(select(KEYS.c.firm_id, KEYS.c.scope, KEYS.c.dimension, KEYS.c.bucket)
                                 .where(KEYS.c.firm_id.in_(ids))).all())
    added, removed = sorted(wanted - stored), sorted(stored - wanted)
    if removed:
        session.execute(delete(KEYS).where(
            tuple_(KEYS.c.firm_id, KEYS.c.scope, KEYS.c.dimension, KEYS.c.bucket).in_(removed)))
    if added:
        session.execute(insert(KEYS), [dict(firm_id=f, scope=s, dimension=d, bucket=b) for f, s, d, b in added])
    deltas = Counter()
    for _firm, *key in added:
        deltas[tuple(key)] += 1
    for _firm, *key in removed:
        deltas[tuple(key)] -= 1
    _add_to_counts(session, deltas)


def _wanted_keys(session: Session, firm_ids: list[int]) -> set[tuple[int, int, str, str]]:
    """(firm id, scope, dimension, bucket) the firms count in now, from their memberships."""
    by_firm = {firm_id: [] for firm_id in firm_ids}
    for firm_id, *row in session.execute(
        select(Membership.firm_id, Membership.cluster_id, Membership.status, Membership.fiscal_year,
               MembershipPosition.position, Firm.province_id)
        .join(Firm, Firm.id == Membership.firm_id)
        .outerjoin(MembershipPosition, MembershipPosition.membership_id == Membership.id)
        .where(Membership.firm_id.in_(firm_ids))
    ):
        by_firm[firm_id].append(row)
    return {(firm_id, *key) for firm_id, rows in by_firm.items() for key in keys_of(rows)}


def _add_to_counts(session: Session, deltas: Counter) -> None:
    rows = [dict(scope=s, dimension=d, bucket=b, firms=n) for (s, d, b), n in sorted(deltas.items()) if n]
    if not rows:
        return
    dialect = {"postgresql": postgresql, "sqlite": sqlite}[session.get_bind().dialect.name]
    upsert = dialect.insert(COUNTS)
    # Sorted, so that concurrent transactions lock the count rows in the same order (no deadlock).
    session.execute(upsert.on_conflict_do_update(
        index_elements=[COUNTS.c.scope, COUNTS.c.dimension, COUNTS.c.bucket],
        set_={"firms": COUNTS.c.firms + upsert.excluded.firms}), rows)


def rebuild(session: Session) -> int:
    """Recompute every stored figure from the memberships, in the caller's transaction; returns the
    number of firm figures. For after bulk loads that bypass the ORM, and to repair by hand."""
    if session.get_bind().dialect.name == "postgresql":
        # Flushes in other transactions wait for this one, and this one for theirs: no lost update.
        session.execute(text("LOCK TABLE result_firm_keys, result_counts IN ACCESS EXCLUSIVE MODE"))
    session.execute(delete(COUNTS))
    session.execute(delete(KEYS))
    approved = Membership.status == MembershipStatus.APPROVED
    for scope in (literal(PROGRAMME), Membership.cluster_id):
        for dimension, bucket, joins, where in (
            (YEAR, cast(Membership.fiscal_year, String), (), Membership.fiscal_year.is_not(None)),
            (MEMBER, literal(""), (), approved),
            (POSITION, cast(MembershipPosition.position, String),
             ((MembershipPosition, MembershipPosition.membership_id == Membership.id),), approved),
            (PROVINCE, cast(Firm.province_id, String), ((Firm, Firm.id == Membership.firm_id),), approved),
        ):
            query = select(scope, literal(dimension), bucket, Membership.firm_id).select_from(Membership)
            for target, on in joins:
                query = query.join(target, on)
            session.execute(insert(KEYS).from_select(
                ["scope", "dimension", "bucket", "firm_id"], query.where(where).distinct()))
    session.execute(insert(COUNTS).from_select(
        ["scope", "dimension", "bucket", "firms"],
        select(KEYS.c.scope, KEYS.c.dimension, KEYS.c.bucket, func.count())
        .group_by(KEYS.c.scope, KEYS.c.dimension, KEYS.c.bucket)))
    return session.scalar(select(func.count()).select_from(KEYS))


# --- which flushes concern the figures ----------------------------------------------------------

def _changed(target, *names) -> bool:
    state = inspect(target)
    return any(state.attrs[name].history.has_changes() for name in names)


def _note(target, key, *ids) -> None:
    session = inspect(target).session
    if session is not None:
        session.info.setdefault(key, set()).update(ids)


@event.listens_for(Membership, "after_insert")
@event.listens_for(Membership, "after_delete")
def _membership_written(mapper, connection, membership):
    _note(membership, _FIRMS, membership.firm_id)


@event.listens_for(Membership, "after_update")
def _membership_updated(mapper, connection, membership):
    if _changed(membership, "status", "fiscal_year", "cluster_id", "firm_id"):
        before = inspect(membership).attrs.firm_id.history.deleted or ()
        _note(membership, _FIRMS, membership.firm_id, *before)


@event.listens_for(MembershipPosition, "after_insert")
@event.listens_for(MembershipPosition, "after_update")
@event.listens_for(MembershipPosition, "after_delete")
def _position_written(mapper, connection, position):
    before = inspect(position).attrs.membership_id.history.deleted or ()
    _note(position, _MEMBERSHIPS, position.membership_id, *before)


@event.listens_for(Firm, "after_update")
def _firm_updated(mapper, connection, firm):
    if _changed(firm, "province_id"):
        _note(firm, _FIRMS, firm.id)


@event.listens_for(Firm, "after_delete")
def _firm_deleted(mapper, connection, firm):
    _note(firm, _FIRMS, firm.id)


@event.listens_for(Session, "after_flush")
def _refresh_noted_firms(session, flush_context):
    firm_ids, membership_ids = session.info.pop(_FIRMS, set()), session.info.pop(_MEMBERSHIPS, set())
    if membership_ids:
        firm_ids |= set(session.scalars(select(Membership.firm_id).where(Membership.id.in_(membership_ids))))
    refresh(session, firm_ids)


@event.listens_for(Session, "after_rollback")
def _forget_noted_firms(session):
    session.info.pop(_FIRMS, None)
    session.info.pop(_MEMBERSHIPS, None)
