"""Each cluster's network figures read from kept counts (portal.admin.rollup.refresh_links) give the same network
map as counting its links afresh: after random changes to meetings (marked, moved, unscheduled, asked for and
given a slot), matching days, outcomes (reported, backdated, given another partner, deleted) and memberships
(approved, left, removed, moved to another year or cluster), for every cluster and year, with room on the map
for one, two or all of its members; after `flask results rebuild`; and after the migration that creates them on
a database with links already; and when a meeting is marked held while one of its firms leaves the cluster
in another transaction (PostgreSQL)."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from portal.admin import rollup
from portal.admin.models import LINK_DIMENSIONS, ResultLinkKey
from portal.clusters.models import Cluster, Membership, MembershipStatus
from portal.events.models import Meeting, MeetingRequest, MeetingState
from portal.extensions import db
from portal.scorecard import network as networks
from tests import scorecard_world
from tests.conftest import PG_URL
from tests.test_migrations import empty_app  # noqa: F401  (fixture: an app on an empty database)
from tests.test_results_meetings import CLUSTERS, MEMBERSHIP_CHANGES, kept_rows, migrated_world, random_changes, step
from tests.test_results_rollup import commit_while_the_other_waits

YEARS = (2563, 2564, 2565, 2566)


def drawn(net) -> tuple:
    """Everything the map and its tables show."""
    return (net.members, net.links_total, net.outside_links_total, net.isolated_total, net.not_drawn,
            [(p.value, q.value) for p, q in net.missing_pairs],
            [(node.firm_id, node.name, node.links, [p.value for p in node.positions]) for node in net.drawn],
            [(link.a, link.b, link.kind, link.count, link.value, link.years, link.outside) for link in net.links],
            [(group.node.firm_id, group.names, group.partnerships, group.meetings, group.value, group.years)
             for group in net.outside])


def maps(monkeypatch, kept_from: int) -> dict:
    monkeypatch.setattr(networks, "KEPT_FROM", kept_from)
    clusters = db.session.scalars(select(Cluster.id).where(Cluster.slug.in_(CLUSTERS)).order_by(Cluster.id)).all()
    found = {}
    for room in (1, 2, 150):
        monkeypatch.setattr(networks, "MAX_NODES", room)
        for cluster_id in clusters:
            for year in YEARS:
                found[room, cluster_id, year] = drawn(networks.network(cluster_id, year, "en"))
    return found


def kept_link_rows():
    return kept_rows(ResultLinkKey.__table__, LINK_DIMENSIONS)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kept_network_figures_draw_the_map_counted_afresh_after_random_changes(app, monkeypatch, seed):
    def check():
        afresh = maps(monkeypatch, 10**9)
        if len(seen) % 2:  # every other state, the members with links read at once (each way: 36 maps a state)
            monkeypatch.setattr(networks, "READ_IN_ORDER", 0)
        assert maps(monkeypatch, 0) == afresh
        monkeypatch.undo()
        seen.append(afresh)

    seen = []
    with app.test_request_context("/"):
        world, done, counted = random_changes(seed, step, check, kept_link_rows, steps=60)
    assert {"mark", "day", "outcome", "backdate", "unschedule", "meet", "outcome gone", *MEMBERSHIP_CHANGES} <= done
    assert {dimension for _scope, dimension in counted} == set(LINK_DIMENSIONS)
    assert {scope for scope, _dimension in counted} >= {world["betta"], world["cosplay"]}
    # the maps were not all alike: links came and went, and the room on the map left members out
    assert len({repr(sorted(found.items())) for found in seen}) > 10
    assert any(net[4] for found in seen for net in found.values())


def test_migration_counts_the_links_already_there(empty_app, monkeypatch):  # noqa: F811
    from flask_migrate import downgrade, upgrade

    with empty_app.test_request_context("/"):
        migrated_world()
        expected, rows = maps(monkeypatch, 0), kept_link_rows()
        assert expected == maps(monkeypatch, 10**9)
        assert rows[1]  # the hand-built world has links
        db.session.remove()
        downgrade(revision="e5b7d9f1a3c6")  # the schema before the network figures were kept
        db.session.remove()
        upgrade()
        assert kept_link_rows() == rows
        assert maps(monkeypatch, 0) == expected


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL only: SQLite has one writer at a time")
@pytest.mark.parametrize("first_commits", ["the membership change", "the meeting"])
def test_a_meeting_is_marked_held_while_one_of_its_firms_leaves_the_cluster(app, monkeypatch, first_commits):
    """C's no-show meeting with A (30 Sep 2021) is marked held while, in another transaction, A leaves betta in
    March 2021. Whichever reaches its commit first, the other waits for it and counts with its change in view:
    at the end of 2564 the link C–A is one of C's links with a firm outside betta."""
    with app.test_request_context("/"):
        world = scorecard_world.build()
        firms = world["firms"]

        def leave(session):
            membership = session.scalar(select(Membership).join(Cluster).where(
                Membership.firm_id == firms["A"], Cluster.slug == "betta"))
            membership.status = MembershipStatus.LEFT
            membership.ended_at = datetime(2021, 3, 1, tzinfo=timezone.utc)

        def mark(session):
            meeting = session.scalar(select(Meeting).join(MeetingRequest).where(
                MeetingRequest.from_firm_id == firms["C"], MeetingRequest.to_firm_id == firms["A"]))
            meeting.state = MeetingState.HELD

        first, second = db.session.session_factory(), db.session.session_factory()
        changes = [leave, mark] if first_commits == "the membership change" else [mark, leave]
        changes[0](first)
        rollup._refresh_noted_firms(first)  # what committing does first: it now holds its locks
        assert commit_while_the_other_waits(app, first, second, changes[1]) == []
        assert maps(monkeypatch, 0) == maps(monkeypatch, 10**9)
        monkeypatch.setattr(networks, "MAX_NODES", 150)
        net = networks.network(world["betta"], 2564, "en")
        c_to_a = [link for link in net.links if {link.a, link.b} == {firms["A"], firms["C"]}]
        assert [(link.kind, link.outside) for link in c_to_a] == [(networks.MEETING, True)]
