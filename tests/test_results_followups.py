"""Each cluster's follow-up figures read from kept counts (portal.admin.rollup.refresh_followups) stay equal to
counting the questions afresh by the scorecard's definition (sent in the fiscal year, Bangkok dates, to a firm
that is the cluster's member at the end of that year; answered whenever): after random changes to questions
(made, sent, answered, moved across a year's end, given to another firm, deleted) and to memberships
(approved, left, removed, moved to another year or cluster); after `flask results rebuild`; after the
migration that creates them on a database with questions already; and when a question is sent while its firm
leaves a cluster in another transaction (PostgreSQL)."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from portal.admin import rollup
from portal.admin.models import FOLLOWUP_DIMENSIONS, ResultFollowUpKey
from portal.clusters.models import Cluster
from portal.extensions import db
from portal.followup import services as followups
from portal.followup.models import FollowUp, Source
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

# Moments around the ends of fiscal years 2564 and 2565 (Bangkok), and inside them
MOMENTS = [datetime(2020, 9, 30, 23, 59, tzinfo=BANGKOK), datetime(2020, 10, 1, 0, 0, tzinfo=BANGKOK),
           datetime(2021, 6, 1, 12, 0, tzinfo=BANGKOK), datetime(2021, 9, 30, 23, 59, tzinfo=BANGKOK),
           datetime(2021, 10, 1, 0, 0, tzinfo=BANGKOK), datetime(2022, 3, 1, 9, 0, tzinfo=BANGKOK)]


def counted_afresh(year) -> dict[int, tuple[int, int]]:
    """{cluster id: (answered, sent)} of the questions sent in `year` to its members at the year's end, counted
    from the questions and the memberships themselves."""
    members = members_at_year_end(year)
    found = {}
    for firm_id, sent_at, answered_at in db.session.execute(
            select(FollowUp.firm_id, FollowUp.sent_at, FollowUp.answered_at).where(FollowUp.sent_at.is_not(None))):
        if fiscal_year(sent_at) != year:
            continue
        for cluster_id in members.get(firm_id, ()):
            answered, sent = found.get(cluster_id, (0, 0))
            found[cluster_id] = (answered + (answered_at is not None), sent + 1)
    return found


def kept(year) -> dict[int, tuple[int, int]]:
    return {cluster_id: (card.followups_answered, card.followups_sent)
            for cluster_id, card in queries.scorecards(year).items() if card.followups_sent}


def assert_followups_match():
    for year in range(2563, 2568):
        assert kept(year) == counted_afresh(year), year


def kept_followup_rows():
    return kept_rows(ResultFollowUpKey.__table__, FOLLOWUP_DIMENSIONS)


def step(rng, firms) -> str:
    """One change at random, through the ORM, as the follow-up services, the sending job and staff's edits
    make them."""
    questions = list(db.session.scalars(select(FollowUp).order_by(FollowUp.id)))
    sent = [q for q in questions if q.sent_at is not None]
    name = rng.choice(["ask", "ask", "send", "answer", "answer", "move", "other firm", "gone",
                       *MEMBERSHIP_CHANGES])
    if name == "ask":  # a question made, sent at once or left due
        when = rng.choice(MOMENTS)
        db.session.add(followups._new(source=Source.MEETING, firm_id=rng.choice(firms), due_at=when,
                                      sent_at=rng.choice([when, None])))
    elif name == "send" and (due := [q for q in questions if q.sent_at is None]):
        question = rng.choice(due)
        question.sent_at = question.due_at
    elif name == "answer" and sent:
        question = rng.choice(sent)
        question.answered_at = None if question.answered_at else question.sent_at + timedelta(days=20)
    elif name == "move" and sent:  # the time it was sent corrected, perhaps across a year's end
        rng.choice(sent).sent_at = rng.choice(MOMENTS)
    elif name == "other firm" and questions:
        rng.choice(questions).firm_id = rng.choice(firms)
    elif name == "gone" and questions:
        db.session.delete(rng.choice(questions))
    elif name in MEMBERSHIP_CHANGES:
        return change_membership(rng, name, firms)
    else:
        return "nothing"
    return name


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kept_followup_counts_equal_a_fresh_count_after_random_changes(app, seed):
    with app.test_request_context("/"):
        world, done, seen = random_changes(seed, step, assert_followups_match, kept_followup_rows)
    assert {"ask", "send", "answer", "move", "other firm", "gone", *MEMBERSHIP_CHANGES} <= done
    assert {dimension for _scope, dimension in seen} == set(FOLLOWUP_DIMENSIONS)
    assert {scope for scope, _dimension in seen} >= {world["betta"], world["cosplay"]}


def _ask(firms, name, when, answered=False):
    db.session.add(followups._new(source=Source.MEETING, firm_id=firms[name], due_at=when, sent_at=when,
                                  answered_at=when + timedelta(days=3) if answered else None))


def test_migration_counts_the_questions_already_there(empty_app):  # noqa: F811
    from flask_migrate import downgrade, upgrade

    with empty_app.app_context():
        world = migrated_world()
        firms = world["firms"]
        _ask(firms, "A", MOMENTS[3], answered=True)  # betta and cosplay, the last minute of 2564
        _ask(firms, "B", MOMENTS[1])  # betta, the first minute of 2564
        _ask(firms, "E", MOMENTS[2], answered=True)  # E joined betta in 2565: nowhere in 2564
        _ask(firms, "C", MOMENTS[4], answered=True)  # betta, 2565
        db.session.commit()
        expected = {year: kept(year) for year in range(2563, 2567)}
        assert expected[2564] == {world["betta"]: (1, 2), world["cosplay"]: (1, 1)}
        assert expected[2565] == {world["betta"]: (1, 1)}
        db.session.remove()  # its reads would hold result_counts against the index dropped (PostgreSQL)
        downgrade(revision="c4e6a8b2d0f3")  # the schema before the follow-up figures were kept
        db.session.remove()
        upgrade()
        assert {year: kept(year) for year in range(2563, 2567)} == expected


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL only: SQLite has one writer at a time")
@pytest.mark.parametrize("first_commits", ["the membership change", "the question sent"])
def test_a_question_sent_while_its_firm_leaves_a_cluster(app, first_commits):
    """A question to A, due on 1 June 2021, is sent while, in another transaction, A leaves cosplay in March
    2021. Whichever reaches its commit first, the other waits for it (both lock the question: the sending
    to recount it, the membership change to recount the questions of a firm whose spans changed) and counts
    with its change in view: the question counts for betta in 2564, not for cosplay."""
    from portal.clusters.models import Membership, MembershipStatus

    with app.app_context():
        world = scorecard_world.build()
        firms = world["firms"]
        db.session.add(followups._new(source=Source.MEETING, firm_id=firms["A"], due_at=MOMENTS[2]))
        db.session.commit()

        def leave(session):
            membership = session.scalar(select(Membership).join(Cluster).where(
                Membership.firm_id == firms["A"], Cluster.slug == "cosplay"))
            membership.status = MembershipStatus.LEFT
            membership.ended_at = datetime(2021, 3, 1, tzinfo=timezone.utc)

        def send(session):
            question = session.scalar(select(FollowUp).where(FollowUp.firm_id == firms["A"]))
            question.sent_at = question.due_at

        first, second = db.session.session_factory(), db.session.session_factory()
        changes = [leave, send] if first_commits == "the membership change" else [send, leave]
        changes[0](first)
        rollup._refresh_noted_firms(first)  # what committing does first: it now holds its locks
        assert commit_while_the_other_waits(app, first, second, changes[1]) == []
        assert_followups_match()
        assert kept(2564) == {world["betta"]: (0, 1)}
