"""Each cluster's active members read from kept counts (portal.admin.rollup.refresh_activity) stay equal to
counting them afresh by the scorecard's definition (a member at the end of the year that posted a request,
sent a response or had a meeting held, at its slot's start or else when marked, on one of the 90 Bangkok dates
up to the year's last day, or up to today in the year under way): after random changes to requests (posted,
backdated, given to another firm, deleted), responses, meetings (marked, moved, unslotted, unscheduled) and
memberships (approved, left, removed, moved to another year or cluster); after `flask results rebuild`; after
the migration that creates them on a database with activity already; and when a firm responds while it leaves
a cluster in another transaction (PostgreSQL)."""
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from portal.admin import rollup
from portal.admin.models import ACTIVE_DIMENSIONS, ResultActivityKey
from portal.clusters.models import Cluster, Membership, MembershipStatus
from portal.collab.models import CollabRequest, Outcome
from portal.collab.models import Response as CollabResponse
from portal.events.models import Meeting, MeetingRequest, MeetingState, Slot
from portal.extensions import db
from portal.firms.models import Firm
from portal.scorecard import queries
from portal.thai import BANGKOK, fiscal_year
from tests import scorecard_world
from tests.conftest import PG_URL
from tests.test_migrations import empty_app  # noqa: F401  (fixture: an app on an empty database)
from tests.test_results_meetings import (
    MEMBERSHIP_CHANGES,
    change_membership,
    kept_rows,
    members_at_year_end,
    migrated_world,
    random_changes,
)
from tests.test_results_rollup import commit_while_the_other_waits

# Moments around the edges of 2564's last 90 days (3 Jul – 30 Sep 2021, Bangkok), the ends of 2563 and 2564, and
# inside the years
MOMENTS = [datetime(2020, 7, 2, 23, 59, tzinfo=BANGKOK), datetime(2020, 9, 30, 23, 59, tzinfo=BANGKOK),
           datetime(2020, 10, 1, 0, 0, tzinfo=BANGKOK), datetime(2021, 4, 5, 9, 0, tzinfo=BANGKOK),
           datetime(2021, 7, 2, 23, 59, tzinfo=BANGKOK), datetime(2021, 7, 3, 0, 0, tzinfo=BANGKOK),
           datetime(2021, 9, 30, 23, 59, tzinfo=BANGKOK), datetime(2021, 10, 1, 0, 0, tzinfo=BANGKOK),
           datetime(2021, 12, 20, 14, 0, tzinfo=BANGKOK)]
LATER = datetime(2026, 11, 30, tzinfo=timezone.utc)
# (year, now): years that have ended, and years under way on days inside them
CHECKS = [*((year, LATER) for year in range(2563, 2567)),
          (2564, datetime(2020, 10, 5, 12, 0, tzinfo=BANGKOK)), (2564, datetime(2021, 8, 1, 12, 0, tzinfo=BANGKOK)),
          (2564, datetime(2021, 9, 30, 23, 0, tzinfo=BANGKOK)), (2565, datetime(2021, 10, 1, 0, 30, tzinfo=BANGKOK)),
          (2565, datetime(2021, 12, 31, 12, 0, tzinfo=BANGKOK))]


def _day(moment) -> date:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(BANGKOK).date()


def counted_afresh(year, now) -> dict[int, int]:
    """{cluster id: its members at the end of `year` active on queries.active_days(year, now)}, counted from the
    requests, responses, meetings and memberships themselves."""
    first, last = queries.active_days(year, now)
    days = {}
    for firm_id, at in [*db.session.execute(select(CollabRequest.firm_id, CollabRequest.created_at)),
                        *db.session.execute(select(CollabResponse.firm_id, CollabResponse.created_at))]:
        days.setdefault(firm_id, set()).add(_day(at))
    for a, b, at in db.session.execute(
            select(MeetingRequest.from_firm_id, MeetingRequest.to_firm_id,
                   func.coalesce(Slot.starts_at, Meeting.marked_at))
            .join(Meeting, Meeting.request_id == MeetingRequest.id).outerjoin(Slot, Slot.id == Meeting.slot_id)
            .where(Meeting.state == MeetingState.HELD)):
        if at is not None:
            for firm_id in (a, b):
                days.setdefault(firm_id, set()).add(_day(at))
    found = {}
    for firm_id, clusters in members_at_year_end(year).items():
        if any(first <= day <= last for day in days.get(firm_id, ())):
            for cluster_id in clusters:
                found[cluster_id] = found.get(cluster_id, 0) + 1
    return found


def kept(year, now) -> dict[int, int]:
    return {cluster_id: card.active for cluster_id, card in queries.scorecards(year, now=now).items() if card.active}


def assert_activity_match():
    for year, now in CHECKS:
        assert kept(year, now) == counted_afresh(year, now), (year, now)


def kept_activity_rows():
    return kept_rows(ResultActivityKey.__table__, ACTIVE_DIMENSIONS)


def step(rng, firms) -> str:
    """One change at random, through the ORM, as services, the matching day and staff's edits make them."""
    requests = list(db.session.scalars(select(CollabRequest).order_by(CollabRequest.id)))
    responses = list(db.session.scalars(select(CollabResponse).order_by(CollabResponse.id)))
    meetings = list(db.session.scalars(select(Meeting).order_by(Meeting.id)))
    name = rng.choice(["post", "post", "respond", "respond", "backdate", "other firm", "request gone",
                       "response gone", "mark", "mark", "slot", "unslot", "unschedule", *MEMBERSHIP_CHANGES])
    if name == "post":
        scorecard_world._request(db.session.get(Firm, rng.choice(firms)), None, 2564, created_at=rng.choice(MOMENTS))
    elif name == "respond" and requests:
        request, firm_id = rng.choice(requests), rng.choice(firms)
        if db.session.scalar(select(CollabResponse.id).where(CollabResponse.request_id == request.id,
                                                             CollabResponse.firm_id == firm_id)):
            return "nothing"
        response = CollabResponse(request_id=request.id, firm_id=firm_id)
        response.created_at = rng.choice(MOMENTS)
        db.session.add(response)
    elif name == "backdate" and (requests or responses):  # the time of a request or response corrected
        rng.choice(requests + responses).created_at = rng.choice(MOMENTS)
    elif name == "other firm" and responses:
        response = rng.choice(responses)
        firm_id = rng.choice(firms)
        if db.session.scalar(select(CollabResponse.id).where(CollabResponse.request_id == response.request_id,
                                                             CollabResponse.firm_id == firm_id)):
            return "nothing"
        response.firm_id = firm_id
    elif name == "request gone":  # one nobody answered and no outcome names
        bare = [r for r in requests if not db.session.scalar(select(CollabResponse.id).where(
            CollabResponse.request_id == r.id)) and not db.session.scalar(select(Outcome.id).where(
                Outcome.request_id == r.id))]
        if not bare:
            return "nothing"
        db.session.delete(rng.choice(bare))
    elif name == "response gone" and responses:
        db.session.delete(rng.choice(responses))
    elif name == "mark" and meetings:
        meeting = rng.choice(meetings)
        meeting.state, meeting.marked_at = rng.choice(list(MeetingState)), rng.choice([None, *MOMENTS])
    elif name == "slot":  # a slot moved by hours, days or months
        slot = rng.choice(list(db.session.scalars(select(Slot).order_by(Slot.id))))
        slot.starts_at += timedelta(hours=rng.choice([-900, -30, -2, 2, 30, 900]))
    elif name == "unslot" and meetings:  # a meeting held outside the slots: its time is its marking
        meeting = rng.choice(meetings)
        meeting.slot_id, meeting.marked_at = None, rng.choice(MOMENTS)
    elif name == "unschedule" and len(meetings) > 2:  # some are kept for the other changes
        db.session.delete(rng.choice(meetings))
    elif name in MEMBERSHIP_CHANGES:
        return change_membership(rng, name, firms)
    else:
        return "nothing"
    return name


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kept_active_members_equal_a_fresh_count_after_random_changes(app, seed):
    with app.test_request_context("/"):
        world, done, seen = random_changes(seed, step, assert_activity_match, kept_activity_rows)
    assert {"post", "respond", "backdate", "other firm", "request gone", "response gone", "mark", "slot", "unslot",
            "unschedule", *MEMBERSHIP_CHANGES} <= done
    assert {dimension for _scope, dimension in seen} == set(ACTIVE_DIMENSIONS)
    assert {scope for scope, _dimension in seen} >= {world["betta"], world["cosplay"]}


def test_a_day_makes_a_member_active_on_it_and_the_89_days_after(app):
    """The hand-built world (tests/scorecard_world.py): C posted at 23:59 on 30 Sep 2021, A and B met on 1 Oct
    2021 (ev2), D responded at 00:00 on 1 Oct 2021. In 2565, while it was under way, C counted for betta up to
    28 December 2021 (30 Sep + 89 days), A and B for betta and A and D for cosplay up to 29 December. In 2564,
    which has ended, D (cosplay) counts for a request posted at 00:00 on 3 July 2021, the first of the year's
    last 90 days, not for one a minute before."""
    def on(day):
        return kept(2565, datetime.combine(day, datetime.min.time(), BANGKOK) + timedelta(hours=12))

    with app.test_request_context("/"):
        world = scorecard_world.build()
        betta, cosplay, d = world["betta"], world["cosplay"], db.session.get(Firm, world["firms"]["D"])
        assert on(date(2021, 10, 1)) == {betta: 3, cosplay: 2}  # A, B, C; A, D
        assert on(date(2021, 12, 28)) == {betta: 3, cosplay: 2}
        assert on(date(2021, 12, 29)) == {betta: 2, cosplay: 2}
        assert on(date(2021, 12, 30)) == {}
        assert kept(2564, LATER) == {betta: 3, cosplay: 1}
        scorecard_world._request(d, None, 2564, created_at=datetime(2021, 7, 2, 23, 59, tzinfo=BANGKOK))
        db.session.commit()
        assert kept(2564, LATER) == {betta: 3, cosplay: 1}
        scorecard_world._request(d, None, 2564, created_at=datetime(2021, 7, 3, 0, 0, tzinfo=BANGKOK))
        db.session.commit()
        assert kept(2564, LATER) == {betta: 3, cosplay: 2}
        assert_activity_match()


def test_migration_counts_the_activity_already_there(empty_app):  # noqa: F811
    from flask_migrate import downgrade, upgrade

    with empty_app.app_context():
        world = migrated_world()
        firms = world["firms"]
        scorecard_world._request(db.session.get(Firm, firms["D"]), None, 2564, created_at=MOMENTS[5])
        scorecard_world._request(db.session.get(Firm, firms["E"]), None, 2565, created_at=MOMENTS[8])
        meeting = db.session.scalars(select(Meeting).order_by(Meeting.id)).first()  # A met B on 30 Sep 2021 ...
        meeting.slot_id, meeting.marked_at = None, MOMENTS[3]  # ... no: without a slot, marked held in April
        db.session.commit()
        expected = {(year, now): kept(year, now) for year, now in CHECKS}
        # betta: B (met C on 30 Sep), C (posted on 30 Sep), not A; cosplay: D (posted on 3 July), not A
        assert expected[2564, LATER] == {world["betta"]: 2, world["cosplay"]: 1}
        assert expected == {(year, now): counted_afresh(year, now) for year, now in CHECKS}
        db.session.remove()
        downgrade(revision="a2c4e6f8b0d1")  # the schema before the active members were kept
        db.session.remove()
        upgrade()
        assert {(year, now): kept(year, now) for year, now in CHECKS} == expected


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL only: SQLite has one writer at a time")
@pytest.mark.parametrize("first_commits", ["the membership change", "the response"])
def test_a_firm_responds_while_it_leaves_a_cluster(app, first_commits):
    """D responds on 1 August 2021 while, in another transaction, D leaves cosplay in March 2021. Whichever
    reaches its commit first, the other waits for it (the response's firm check waits for the refresh's lock,
    the refresh for the activity's) and counts with its change in view: D is active for nobody in 2564."""
    with app.app_context():
        world = scorecard_world.build()
        firms = world["firms"]
        request_id = db.session.scalar(select(CollabRequest.id).where(CollabRequest.firm_id == firms["C"]))

        def leave(session):
            membership = session.scalar(select(Membership).join(Cluster).where(
                Membership.firm_id == firms["D"], Cluster.slug == "cosplay"))
            membership.status = MembershipStatus.LEFT
            membership.ended_at = datetime(2021, 3, 1, tzinfo=timezone.utc)

        def respond(session):
            response = CollabResponse(request_id=request_id, firm_id=firms["D"])
            response.created_at = datetime(2021, 8, 1, 12, 0, tzinfo=BANGKOK)
            session.add(response)

        first, second = db.session.session_factory(), db.session.session_factory()
        changes = [leave, respond] if first_commits == "the membership change" else [respond, leave]
        changes[0](first)
        rollup._refresh_noted_firms(first)  # what committing does first: it now holds its locks
        assert commit_while_the_other_waits(app, first, second, changes[1]) == []
        assert_activity_match()
        assert kept(2564, LATER) == {world["betta"]: 3, world["cosplay"]: 1}
        assert fiscal_year(datetime(2021, 8, 1, tzinfo=BANGKOK)) == 2564
