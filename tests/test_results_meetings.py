"""The programme's meeting figures read from kept counts (portal.admin.rollup.refresh_meetings) stay equal to
counting the meetings afresh by the scorecard's definitions: after random changes to meetings (marked held or
no-show, continued, deleted), to slot times and matching days (across a fiscal year's end), and to the two
firms' outcomes (reported, moved, backdated, deleted); after `flask results rebuild`; and after the migration
that creates them on a database with meetings already."""
import random
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.admin import rollup
from portal.admin.models import MEETING_DIMENSIONS, ResultCount, ResultMeetingKey
from portal.collab.models import Aim, Outcome, OutcomeKind
from portal.events.models import Event, Meeting, MeetingRequest, MeetingState, Slot
from portal.extensions import db
from portal.scorecard import queries
from tests import scorecard_world
from tests.test_migrations import empty_app  # noqa: F401  (fixture: an app on an empty database)

YEARS = range(2555, 2576)


def counted_afresh(year) -> tuple:
    """(requested, held, no-show, continued, agreed) of the year's matching days, counted from the meetings."""
    rows = queries.meeting_rows(year).subquery()
    return tuple(int(n) for n in db.session.execute(
        select(func.count(), *(func.coalesce(func.sum(rows.c[name]), 0)
                               for name in ("held", "no_show", "continued", "agreed")))).one())


def assert_meetings_match():
    for year in YEARS:
        assert queries.programme_meetings(year) == counted_afresh(year), year


def kept_rows():
    keys = set(db.session.execute(select(ResultMeetingKey.__table__)).all())
    counts = {(d, b): n for d, b, n in db.session.execute(
        select(ResultCount.dimension, ResultCount.bucket, ResultCount.firms)
        .where(ResultCount.dimension.in_(MEETING_DIMENSIONS))) if n}
    return keys, counts


def step(rng, firms) -> str:
    """One change at random, through the ORM, as services and staff's edits make them."""
    meetings = list(db.session.scalars(select(Meeting).order_by(Meeting.id)))
    requests = list(db.session.scalars(select(MeetingRequest).order_by(MeetingRequest.id)))
    outcomes = list(db.session.scalars(select(Outcome).order_by(Outcome.id)))
    name = rng.choice(["mark", "mark", "continue", "slot", "day", "outcome", "outcome", "backdate", "unschedule",
                       "meet", "outcome gone"])
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
    else:
        return "nothing"
    return name


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kept_meeting_counts_equal_a_fresh_count_after_random_changes(app, seed):
    with app.test_request_context("/"):
        world = scorecard_world.build()
        firms = list(world["firms"].values())
        assert_meetings_match()
        rng, done, seen = random.Random(seed), set(), set()
        for _ in range(90):
            done.add(step(rng, firms))
            db.session.commit()
            assert_meetings_match()
            seen |= {n for year in YEARS for n, count in enumerate(queries.programme_meetings(year)) if count}
        assert {"mark", "continue", "slot", "day", "outcome", "backdate", "unschedule", "meet"} <= done
        assert seen == {0, 1, 2, 3, 4}  # every figure was counted at some point, not only zeros
        before = kept_rows()
        rollup.rebuild(db.session)
        db.session.commit()
        assert kept_rows() == before


def test_the_figures_of_the_hand_built_world(app):
    """The known figures (tests/scorecard_world.py) from the kept counts: ev1 in 2564 has four requests,
    two held, one no-show, one continued, one agreement; ev2 in 2565 one, held and continued."""
    with app.test_request_context("/"):
        scorecard_world.build()
        assert queries.programme_meetings(2564) == (4, 2, 1, 1, 1)
        assert queries.programme_meetings(2565) == (1, 1, 0, 1, 0)
        assert queries.programme_meetings(2563) == (0, 0, 0, 0, 0)


def test_migration_counts_the_meetings_already_there(empty_app):  # noqa: F811
    from flask_migrate import downgrade, upgrade

    with empty_app.app_context():
        upgrade()
        from portal.seed.reference import load_clusters, load_provinces

        load_provinces()
        load_clusters()
        scorecard_world.build()
        expected = {year: queries.programme_meetings(year) for year in YEARS}
        assert expected[2564] == (4, 2, 1, 1, 1)
        downgrade(revision="e7c3a9d5b2f1")  # the schema before the meeting figures were kept
        db.session.remove()
        upgrade()
        assert {year: queries.programme_meetings(year) for year in YEARS} == expected
