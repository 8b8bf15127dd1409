"""The meeting figures read from kept counts (portal.admin.rollup.refresh_meetings), the programme's and each
cluster's, stay equal to counting the meetings afresh by the scorecard's definitions: after random changes
to meetings (requested, marked held or no-show, continued, deleted), to slot times and matching days (across
a fiscal year's end), to the two firms' outcomes (reported, moved, backdated, deleted) and to their
memberships (approved, left, removed, moved to another year or cluster); after `flask results rebuild`; and
after the migrations that create them on a database with meetings already."""
import random
import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.admin import rollup
from portal.admin.models import MEETING_DIMENSIONS, ResultCount, ResultMeetingKey
from portal.clusters.models import Cluster, Membership, MembershipStatus
from portal.collab.models import Aim, Outcome, OutcomeKind
from portal.events.models import Event, Meeting, MeetingRequest, MeetingState, Registration, Slot
from portal.extensions import db
from portal.scorecard import queries
from portal.thai import fiscal_year
from tests import scorecard_world
from tests.conftest import PG_URL
from tests.test_migrations import empty_app  # noqa: F401  (fixture: an app on an empty database)
from tests.test_results_rollup import commit_while_the_other_waits

YEARS = range(2555, 2576)
CLUSTERS = ("betta", "cosplay", "agritech")


def counted_afresh(year) -> tuple:
    """(requested, held, no-show, continued, agreed) of the year's matching days, counted from the meetings."""
    rows = queries.meeting_rows(year).subquery()
    return tuple(int(n) for n in db.session.execute(
        select(func.count(), *(func.coalesce(func.sum(rows.c[name]), 0)
                               for name in ("held", "no_show", "continued", "agreed")))).one())


def members_at_year_end(year) -> dict[int, set[int]]:
    """{firm id: the clusters it is a member of at the end of `year`}, read off the memberships themselves
    (not the rollup's spans): approved in `year` or before, and not ended (left, removed) by its end; an
    ended membership whose end was not recorded counts in no year's end."""
    members = {}
    for firm_id, cluster_id, status, approved, ended_at in db.session.execute(
            select(Membership.firm_id, Membership.cluster_id, Membership.status, Membership.fiscal_year,
                   Membership.ended_at)):
        if approved is None or approved > year:
            continue
        if status is MembershipStatus.APPROVED or (
                status in (MembershipStatus.LEFT, MembershipStatus.REMOVED) and ended_at is not None
                and fiscal_year(ended_at) > year):
            members.setdefault(firm_id, set()).add(cluster_id)
    return members


def clusters_counted_afresh(year) -> dict[int, tuple]:
    """{cluster id: (requested, held, no-show, continued, agreed)}: each meeting of the year's matching days
    once for every cluster one of its two firms is a member of at the end of the year."""
    members = members_at_year_end(year)
    rows = queries.meeting_rows(year).subquery()
    found = {}
    for a, b, *flags in db.session.execute(select(rows.c.a, rows.c.b, *(rows.c[name] for name in
                                                                        ("held", "no_show", "continued", "agreed")))):
        for cluster_id in members.get(a, set()) | members.get(b, set()):
            totals = found.setdefault(cluster_id, [0] * 5)
            for n, value in enumerate((1, *flags)):
                totals[n] += int(value)
    return {cluster_id: tuple(totals) for cluster_id, totals in found.items()}


def assert_meetings_match():
    """In every year a matching day is in, or the kept counts have a figure for (others count nothing)."""
    years = {fiscal_year(day) for day in db.session.scalars(select(Event.starts_on)
                                                            .where(Event.starts_on.is_not(None)))}
    years |= {int(b) for b in db.session.scalars(select(ResultCount.bucket).where(
        ResultCount.dimension.in_(MEETING_DIMENSIONS), ResultCount.firms != 0))}
    for year in sorted(years | {min(years, default=2564) - 1}):
        assert queries.programme_meetings(year) == counted_afresh(year), year
        assert queries.kept_meetings(year) == clusters_counted_afresh(year), year


def kept_rows(table=ResultMeetingKey.__table__, dimensions=MEETING_DIMENSIONS):
    """(the kept keys of `table`, {(scope, dimension, bucket): count} of the counts of `dimensions`)."""
    keys = set(db.session.execute(select(table)).all())
    counts = {(s, d, b): n for s, d, b, n in db.session.execute(
        select(ResultCount.scope, ResultCount.dimension, ResultCount.bucket, ResultCount.firms)
        .where(ResultCount.dimension.in_(dimensions))) if n}
    return keys, counts


CURRENT = (MembershipStatus.PENDING, MembershipStatus.APPROVED, MembershipStatus.INVITED)  # uq_memberships_current


def free(firm_id, cluster_id, but=None) -> bool:
    """The firm holds no current membership of the cluster (one at most: uq_memberships_current), but `but`."""
    return db.session.scalar(select(Membership.id).where(
        Membership.firm_id == firm_id, Membership.cluster_id == cluster_id, Membership.id != (but or 0),
        Membership.status.in_(CURRENT))) is None


MEMBERSHIP_CHANGES = ("join", "leave", "member year", "member moves")


def change_membership(rng, name, firms) -> str:
    """One of MEMBERSHIP_CHANGES to the memberships of `firms` in CLUSTERS, through the ORM, as services and
    staff's edits make them; "nothing" when the change drawn cannot be made."""
    memberships = list(db.session.scalars(select(Membership).order_by(Membership.id)))
    cluster_ids = list(db.session.scalars(select(Cluster.id).where(Cluster.slug.in_(CLUSTERS)).order_by(Cluster.id)))
    if name == "join":  # a firm approved in a cluster, in some year
        firm_id, cluster_id = rng.choice(firms), rng.choice(cluster_ids)
        if not free(firm_id, cluster_id):
            return "nothing"
        db.session.add(Membership(firm_id=firm_id, cluster_id=cluster_id, status=MembershipStatus.APPROVED,
                                  fiscal_year=rng.choice([2563, 2564, 2565])))
    elif name == "leave" and memberships:  # left or removed, in some year (or with no end recorded)
        membership = rng.choice(memberships)
        membership.status = rng.choice([MembershipStatus.LEFT, MembershipStatus.REMOVED])
        membership.ended_at = rng.choice([None, datetime(2021, 3, 1, tzinfo=timezone.utc),
                                          datetime(2021, 11, 1, tzinfo=timezone.utc)])
    elif name == "member year" and memberships:  # the year of approval corrected
        rng.choice(memberships).fiscal_year = rng.choice([2563, 2564, 2565, 2566])
    elif name == "member moves" and memberships:  # a membership put right: another firm or cluster
        membership = rng.choice(memberships)
        firm_id, cluster_id = membership.firm_id, membership.cluster_id
        places = [(other, cluster_id) for other in firms if other != firm_id]
        places += [(firm_id, other) for other in cluster_ids if other != cluster_id]
        if membership.status in CURRENT:  # one current membership per firm and cluster
            places = [place for place in places if free(*place, membership.id)]
        if not places:
            return "nothing"
        membership.firm_id, membership.cluster_id = rng.choice(places)
    else:
        return "nothing"
    return name


def step(rng, firms) -> str:
    """One change at random, through the ORM, as services and staff's edits make them."""
    meetings = list(db.session.scalars(select(Meeting).order_by(Meeting.id)))
    requests = list(db.session.scalars(select(MeetingRequest).order_by(MeetingRequest.id)))
    outcomes = list(db.session.scalars(select(Outcome).order_by(Outcome.id)))
    name = rng.choice(["mark", "mark", "continue", "slot", "day", "outcome", "outcome", "backdate", "unschedule",
                       "meet", "outcome gone", "ask", *MEMBERSHIP_CHANGES])
    if name == "mark" and meetings:
        rng.choice(meetings).state = rng.choice(list(MeetingState))
    elif name == "continue" and meetings:
        meeting = rng.choice(meetings)
        meeting.sender_continues, meeting.receiver_continues = rng.choice([None, True, False]), rng.choice([None, True])
    elif name == "slot":  # a slot moved by hours, days or months
        slot = rng.choice(list(db.session.scalars(select(Slot).order_by(Slot.id))))
        slot.starts_at += timedelta(hours=rng.choice([-900, -30, -2, 2, 30, 900]))
    elif name == "day":  # a matching day moved, perhaps into another fiscal year
        event = rng.choice(list(db.session.scalars(select(Event).order_by(Event.id))))
        event.starts_on += timedelta(days=rng.choice([-400, -3, 1, 3, 200]))
    elif name == "outcome":  # reported by either firm of some meeting, before or after it
        request = rng.choice(requests)
        firm, partner = rng.sample([request.from_firm_id, request.to_firm_id], 2)
        db.session.add(Outcome(firm_id=firm, partner_firm_id=partner, aim=Aim.MARKET, kind=OutcomeKind.NEW_SALES,
                               value_baht=Decimal(5000), fiscal_year=rng.choice([2564, 2565]),
                               created_at=datetime(2021, rng.choice([6, 9, 10, 12]), 1, tzinfo=timezone.utc)))
    elif name == "backdate" and outcomes:  # the time of an outcome corrected, or its partner
        outcome = rng.choice(outcomes)
        if rng.random() < 0.5:
            outcome.created_at -= timedelta(days=rng.choice([1, 90, 400]))
        else:
            outcome.partner_firm_id = rng.choice([f for f in firms if f != outcome.firm_id])
    elif name == "unschedule" and meetings:
        db.session.delete(rng.choice(meetings))
    elif name == "meet":  # a request without a meeting gets one, in some slot of its day
        waiting = [r for r in requests if db.session.scalar(select(Meeting.id).where(Meeting.request_id == r.id))
                   is None]
        if not waiting:
            return "nothing"
        request = rng.choice(waiting)
        slot = rng.choice(list(db.session.scalars(select(Slot).where(Slot.event_id == request.event_id))))
        db.session.add(Meeting(event_id=request.event_id, request_id=request.id, slot_id=slot.id,
                               state=rng.choice(list(MeetingState)), sender_continues=rng.choice([None, True])))
    elif name == "outcome gone" and outcomes:
        db.session.delete(rng.choice(outcomes))
    elif name == "ask":  # a new meeting request between two firms registered for a matching day
        event = rng.choice(list(db.session.scalars(select(Event).order_by(Event.id))))
        registrations = list(db.session.scalars(select(Registration).where(Registration.event_id == event.id)
                                                .order_by(Registration.id)))
        sender, receiver = rng.sample(registrations, 2)
        db.session.add(MeetingRequest(event_id=event.id, from_registration_id=sender.id,
                                      to_registration_id=receiver.id, reason="พบกัน"))
    elif name in MEMBERSHIP_CHANGES:
        return change_membership(rng, name, firms)
    else:
        return "nothing"
    return name


def random_changes(seed: int, step, check, kept, steps: int = 120):
    """On the hand-built world: `steps` changes made at random (step(rng, firms) names each), each committed
    and followed by check(). Then `flask results rebuild` must leave the kept rows (kept(): (keys, counts))
    as they were. Returns (the world, the changes made, {(scope, dimension)} of every count kept meanwhile)."""
    world = scorecard_world.build()
    firms = list(world["firms"].values())
    check()
    rng, done, seen = random.Random(seed), set(), set()
    for _ in range(steps):
        done.add(step(rng, firms))
        db.session.commit()
        check()
        seen |= {(scope, dimension) for scope, dimension, _year in kept()[1]}  # just checked
    before = kept()
    rollup.rebuild(db.session)
    db.session.commit()
    assert kept() == before
    return world, done, seen


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kept_meeting_counts_equal_a_fresh_count_after_random_changes(app, seed):
    with app.test_request_context("/"):
        world, done, seen = random_changes(seed, step, assert_meetings_match, kept_rows)
    assert {"mark", "continue", "slot", "day", "outcome", "backdate", "unschedule", "meet", "ask", "join",
            "leave", "member year", "member moves"} <= done
    # every figure was counted at some point, not only zeros, for the programme and for clusters
    assert {dimension for scope, dimension in seen if scope == 0} == set(MEETING_DIMENSIONS)
    assert {dimension for scope, dimension in seen if scope > 0} == set(MEETING_DIMENSIONS)
    assert {scope for scope, _dimension in seen} >= {0, world["betta"], world["cosplay"]}


def test_the_figures_of_the_hand_built_world(app):
    """The known figures (tests/scorecard_world.py) from the kept counts: ev1 in 2564 has four requests,
    two held, one no-show, one continued, one agreement; ev2 in 2565 one, held and continued."""
    with app.test_request_context("/"):
        scorecard_world.build()
        assert queries.programme_meetings(2564) == (4, 2, 1, 1, 1)
        assert queries.programme_meetings(2565) == (1, 1, 0, 1, 0)
        assert queries.programme_meetings(2563) == (0, 0, 0, 0, 0)


def test_on_postgresql_the_rebuild_reads_no_list_once_per_row(app):
    """`flask results rebuild` on PostgreSQL, with work_mem as small as a large database makes it (at 1,000,000
    firms the 600,000 meeting requests' firms do not fit in the default 4 MB): no statement it runs tests its rows
    one by one against a whole list, read again for each row when it does not fit in memory (a SubPlan hashed or
    materialised; a SubPlan that looks up the row's own values in an index is a join). The spans of the firms
    with meeting requests were read with `firm_id IN (senders) OR firm_id IN (receivers)`, which PostgreSQL
    cannot join: at 1,000,000 firms the rebuild had spent 12 minutes in that one statement when it was stopped."""
    from sqlalchemy import event, text

    with app.test_request_context("/"):
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL's plans")
        scorecard_world.build()
        db.session.commit()
        statements = []

        def seen(_conn, _cursor, statement, parameters, _context, _executemany):
            if statement.lstrip().upper().startswith("SELECT") and not isinstance(parameters, list):
                statements.append((statement, parameters))

        connection = db.session.connection()
        event.listen(connection, "before_cursor_execute", seen)
        try:
            rollup.rebuild(db.session)
        finally:
            event.remove(connection, "before_cursor_execute", seen)
        db.session.execute(text("SET LOCAL work_mem = '64kB'"))
        plans = {statement: "\n".join(row[0] for row in connection.exec_driver_sql("EXPLAIN " + statement, parameters))
                 for statement, parameters in statements}
        db.session.rollback()
    assert any("result_member_spans" in statement and "meeting_requests" in statement for statement in plans)
    # A SubPlan that looks rows up by the outer row's values (an index condition) is a join; one that holds a
    # whole list, hashed or materialised, is not.
    assert not [plan for plan in plans.values() if re.search(r"hashed SubPlan|SubPlan \d+\n\s*->  Materialize", plan)]


def migrated_world() -> dict:
    """On an empty database (in its app context): migrated to the head, the reference data loaded, the
    hand-built world built; returns the world's ids."""
    from flask_migrate import upgrade

    from portal.seed.reference import load_clusters, load_provinces

    upgrade()
    load_provinces()
    load_clusters()
    return scorecard_world.build()


def test_migration_counts_the_meetings_already_there(empty_app):  # noqa: F811
    from flask_migrate import downgrade, upgrade

    with empty_app.app_context():
        world = migrated_world()
        expected = {year: (queries.programme_meetings(year), queries.kept_meetings(year)) for year in YEARS}
        assert expected[2564] == ((4, 2, 1, 1, 1), {world["betta"]: (4, 2, 1, 1, 1),
                                                     world["cosplay"]: (3, 1, 1, 1, 1)})
        for before in ("f1a9c3e7d5b4", "e7c3a9d5b2f1"):  # before each cluster's were kept; before any were
            db.session.remove()  # its reads would hold result_counts against the index dropped (PostgreSQL)
            downgrade(revision=before)
            db.session.remove()
            upgrade()
            assert {year: (queries.programme_meetings(year), queries.kept_meetings(year)) for year in YEARS} \
                == expected, before


def _ask_for_a_meeting(session, firms, sender, receiver):
    """A new meeting request from `sender` to `receiver` (names of the hand-built world) on its 30 September
    matching day, in `session`."""
    event_id = session.scalar(select(Event.id).where(Event.starts_on == date(2021, 9, 30)))
    registration = {firm_id: registration_id for registration_id, firm_id in session.execute(
        select(Registration.id, Registration.firm_id).where(Registration.event_id == event_id))}
    session.add(MeetingRequest(event_id=event_id, from_registration_id=registration[firms[sender]],
                               to_registration_id=registration[firms[receiver]], reason="พบกัน"))


def _leave_cosplay(session, firms):
    """A leaves cosplay in March 2021: not a member at the end of 2564 any more."""
    membership = session.scalar(select(Membership).join(Cluster).where(
        Membership.firm_id == firms["A"], Cluster.slug == "cosplay"))
    membership.status, membership.ended_at = MembershipStatus.LEFT, datetime(2021, 3, 1, tzinfo=timezone.utc)


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL only: SQLite has one writer at a time")
@pytest.mark.parametrize("first_commits", ["the membership change", "the meeting request"])
def test_a_meeting_requested_while_its_firm_leaves_a_cluster(app, first_commits):
    """A asks B for a meeting while, in another transaction, A leaves cosplay. Whichever reaches its commit
    first, the other waits for it (the meeting's firms are locked FOR KEY SHARE, a firm being refreshed FOR
    UPDATE) and then counts with its change in view: the new meeting is not counted for cosplay in 2564."""
    with app.app_context():
        firms = scorecard_world.build()["firms"]
        first, second = db.session.session_factory(), db.session.session_factory()
        changes = [lambda session: _leave_cosplay(session, firms),
                   lambda session: _ask_for_a_meeting(session, firms, "A", "B")]
        if first_commits == "the meeting request":
            changes.reverse()
        changes[0](first)
        rollup._refresh_noted_firms(first)  # what committing does first: it now holds its locks
        assert commit_while_the_other_waits(app, first, second, changes[1]) == []
        assert_meetings_match()
        cosplay = db.session.scalar(select(Cluster.id).where(Cluster.slug == "cosplay"))
        assert queries.kept_meetings(2564)[cosplay] == (1, 0, 0, 0, 0)  # D→A only: D is a member
