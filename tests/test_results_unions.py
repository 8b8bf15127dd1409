"""Several clusters' figures kept counted together (a coordinator of several clusters): kept from a
coordinator's first look at their dashboard, equal to a fresh count as memberships change, a firm in
several of them once, recounted by `flask results rebuild`, never mixed into the per-cluster figures, and
not waited for while figures are being refreshed (PostgreSQL): counted on the spot meanwhile."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import delete, select

from portal.admin import dashboard, rollup
from portal.admin.models import ResultCount, ResultUnion
from portal.clusters.models import MembershipStatus, Position
from portal.extensions import db
from tests import factories
from tests.conftest import PG_URL
from tests.test_results_rollup import counted_afresh

S = MembershipStatus


def kept_unions() -> list[str]:
    return list(db.session.scalars(select(ResultUnion.cluster_ids).order_by(ResultUnion.id)))


def union_counts() -> set:
    return set(db.session.execute(select(ResultCount.__table__).where(ResultCount.scope < 0)).all())


@pytest.fixture
def two_clusters(app):
    """A firm in Betta (from 2564) and Cosplay (from 2565), upstream in one and midstream in the other; a
    firm in Cosplay only."""
    with app.app_context():
        betta, cosplay = factories.cluster("betta"), factories.cluster("cosplay")
        both, only = factories.firm(province_code="73"), factories.firm()
        first = factories.membership(both, betta, Position.UPSTREAM)
        second = factories.membership(both, cosplay, Position.MIDSTREAM)
        first.fiscal_year, second.fiscal_year = 2564, 2565
        factories.membership(only, cosplay).fiscal_year = 2565
        db.session.commit()
        return {"ids": [cosplay.id, betta.id], "first": first.id, "second": second.id}


def test_a_firm_in_both_clusters_counts_once_as_it_leaves_one_then_the_other(app, two_clusters):
    from portal.clusters.models import Membership

    ids = two_clusters["ids"]
    with app.app_context():
        counts = dashboard.member_counts(ids, 2565)  # on the spot: not kept yet
        assert counts == counted_afresh(ids, 2565)
        assert (counts["member"], counts["joined"], counts["position"]) == (
            {"": 2}, 1, {"upstream": 2, "midstream": 1})
        assert kept_unions() == []
        assert rollup.keep_union(db.session, ids)
        db.session.commit()
        assert kept_unions() == [",".join(str(i) for i in sorted(ids))]
        assert dashboard.member_counts(ids, 2565) == counts
        assert not rollup.keep_union(db.session, [*ids, ids[0]])  # any order, any repeats: the same union
        # It leaves Betta in 2565: still a member through Cosplay, counted once, nobody left.
        first = db.session.get(Membership, two_clusters["first"])
        first.status, first.ended_at = S.LEFT, datetime(2022, 3, 1, tzinfo=timezone.utc)  # fiscal year 2565
        db.session.commit()
        counts = dashboard.member_counts(ids, 2565)
        assert (counts["member"], counts["left"], counts["position"]) == ({"": 2}, 0, {"midstream": 1,
                                                                                        "upstream": 1})
        # Then Cosplay removes it in 2566: it stops being a member of the two that year, once.
        second = db.session.get(Membership, two_clusters["second"])
        second.status, second.ended_at = S.REMOVED, datetime(2023, 3, 1, tzinfo=timezone.utc)
        db.session.commit()
        counts = dashboard.member_counts(ids, 2566)
        assert (counts["member"], counts["joined"], counts["left"]) == ({"": 1}, 0, 1)
        for year in range(2563, 2569):
            assert dashboard.member_counts(ids, year) == counted_afresh(ids, year), year
        # The kept union is a scope of its own: the per-cluster figures never include it.
        assert dashboard.members_by_cluster(2565) == {ids[0]: 2}  # Cosplay; Betta has none left


def test_rebuild_recounts_the_kept_unions(app, two_clusters):
    ids = two_clusters["ids"]
    with app.app_context():
        rollup.keep_union(db.session, ids)
        db.session.commit()
        kept = union_counts()
        assert kept
        db.session.execute(delete(ResultCount).where(ResultCount.scope < 0))  # drifted, say
        db.session.commit()
        rollup.rebuild(db.session)
        db.session.commit()
        assert union_counts() == kept
        assert dashboard.member_counts(ids, 2565) == counted_afresh(ids, 2565)


def test_the_dashboard_of_a_coordinator_of_two_starts_keeping_their_union(app, two_clusters):
    with app.app_context():
        coordinator = factories.user(email="both@example.com", locale="en")
        for cluster_id in two_clusters["ids"]:
            factories.term(coordinator, db.session.get(type(factories.cluster()), cluster_id))
        db.session.commit()
    client = app.test_client()
    factories.sign_in(client, "both@example.com")
    assert client.get("/admin/results/dashboard?year=2565&lang=en").status_code == 200
    with app.app_context():
        assert kept_unions() == [",".join(str(i) for i in sorted(two_clusters["ids"]))]  # committed
    export = client.get("/admin/results/dashboard/members_by_year.csv?year=2565&lang=en")
    assert export.get_data(as_text=True).lstrip("\ufeff").splitlines()[1:] == ["2564,1", "2565,2"]


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL only: SQLite has one writer at a time")
def test_a_union_asked_for_while_figures_are_refreshed_is_counted_on_the_spot(app, two_clusters):
    ids = two_clusters["ids"]
    with app.app_context():
        refreshing = db.session.session_factory()
        rollup._kept_unions(refreshing)  # what a transaction refreshing figures holds until it commits
        assert not rollup.keep_union(db.session, ids)  # does not wait
        assert dashboard.member_counts(ids, 2565) == counted_afresh(ids, 2565)
        db.session.commit()
        assert kept_unions() == []
        refreshing.rollback()
        refreshing.close()
        assert rollup.keep_union(db.session, ids)
        db.session.commit()
        assert dashboard.member_counts(ids, 2565) == counted_afresh(ids, 2565)
        assert len(kept_unions()) == 1
