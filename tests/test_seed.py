"""Reference and demo data: complete, realistic, deterministic, and loaded only once."""
import csv
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import func, select
from stdnum.th import moa

from portal.clusters.models import Cluster, Membership, MembershipPosition, MembershipStatus, Organisation
from portal.extensions import db
from portal.firms.models import Firm, Province
from portal.seed import demo
from portal.thai import fiscal_year

ROOT = Path(__file__).resolve().parent.parent


def test_provinces_file_has_the_77_provinces():
    with (ROOT / "portal" / "data" / "provinces.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 77
    for column in ("code", "name_th", "name_en"):
        assert len({r[column] for r in rows}) == 77, column
    assert {"code": "10", "name_th": "กรุงเทพมหานคร", "name_en": "Bangkok", "region": "central"} in rows
    assert {r["region"] for r in rows} == {"central", "east", "northeast", "north", "west", "south"}


def test_reference_data_has_the_eight_clusters_of_2563_with_their_organisations(ctx):
    assert db.session.scalar(select(func.count()).select_from(Province)) == 77
    clusters = {c.slug: c for c in db.session.scalars(select(Cluster))}
    assert len(clusters) == 8
    orgs = {o.id: o for o in db.session.scalars(select(Organisation))}
    assert orgs[clusters["betta"].agency_id].name_en == "King Mongkut's University of Technology North Bangkok"
    assert orgs[clusters["betta"].association_id].name_th == "สมาคมปลากัดแห่งประเทศไทย"
    assert orgs[clusters["cosplay"].association_id].name_th == "สมาคมอุตสาหกรรมคอสเพลย์ไทย"
    assert clusters["cosplay"].agency_id is None  # the source names no agency for Cosplay
    assert orgs[clusters["coconut-pineapple-garlic"].agency_id].name_th == "สถาบันอาหาร"
    for cluster in clusters.values():
        assert cluster.name_th and cluster.name_en and cluster.description_th and cluster.description_en


def _snapshot():
    firms = db.session.execute(
        select(Firm.name_th, Firm.name_en, Firm.registration_number, Firm.province_id, Firm.size).order_by(Firm.id)
    ).all()
    positions = db.session.execute(
        select(Membership.cluster_id, Membership.status, MembershipPosition.position)
        .join(MembershipPosition).order_by(Membership.id, MembershipPosition.position)
    ).all()
    return firms, positions


TODAY = datetime(2027, 3, 15, 5, 0, tzinfo=timezone.utc)  # a fixed "now": fiscal year 2570 under way


def test_demo_data_is_deterministic(ctx):
    demo.generate(seed=7, firms=60, now=TODAY)
    first = _snapshot(), db.session.execute(select(Firm.created_at, Firm.verified_at).order_by(Firm.id)).all()
    for table in reversed(db.metadata.sorted_tables):
        if table.name not in {"provinces", "organisations", "clusters"}:
            db.session.execute(table.delete())
    db.session.expunge_all()
    demo.generate(seed=7, firms=60, now=TODAY)
    assert (_snapshot(), db.session.execute(select(Firm.created_at, Firm.verified_at).order_by(Firm.id)).all()) == first
    db.session.rollback()


def test_demo_data_is_realistic(ctx):
    counts = demo.generate()
    db.session.commit()
    assert counts["firms"] == 200
    firms = db.session.scalars(select(Firm)).all()
    names = [f.name_th for f in firms]
    assert len(set(names)) > 150  # varied names
    assert all(any("\u0e00" <= ch <= "\u0e7f" for ch in name) for name in names)  # Thai names
    with_english = sum(1 for f in firms if f.name_en)
    assert 40 < with_english < 160  # English for some
    numbers = [f.registration_number for f in firms if f.registration_number]
    assert numbers and all(moa.is_valid(n) for n in numbers) and len(set(numbers)) == len(numbers)
    assert len({f.province_id for f in firms}) > 30
    assert len({f.size for f in firms}) == 3

    approved = db.session.scalars(select(Membership).where(Membership.status == MembershipStatus.APPROVED)).all()
    per_cluster = Counter(m.cluster_id for m in approved)
    assert len(per_cluster) == 8 and min(per_cluster.values()) >= 10
    assert all(m.fiscal_year == fiscal_year(m.decided_at) for m in approved)
    # Some firms are in several clusters, and some hold several positions in one cluster.
    assert max(Counter(m.firm_id for m in approved).values()) >= 2
    position_counts = Counter(
        db.session.scalars(select(MembershipPosition.membership_id)).all()
    )
    assert max(position_counts.values()) >= 2
    # Every cluster has firms at each of the three positions.
    covered = db.session.execute(
        select(Membership.cluster_id, MembershipPosition.position).join(MembershipPosition)
        .where(Membership.status == MembershipStatus.APPROVED).distinct()
    ).all()
    assert len(covered) == 8 * 3


def test_seed_command_loads_once_and_then_changes_nothing(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed", "demo", "--firms", "40"])
    assert first.exit_code == 0, first.output
    assert "Demo data loaded: 40 firms" in first.output
    assert "owner@demo.example" in first.output
    with app.app_context():
        before = _snapshot()
    second = runner.invoke(args=["seed", "demo"])
    assert second.exit_code == 0, second.output
    assert "already loaded; nothing changed" in second.output
    with app.app_context():
        assert _snapshot() == before
    client = app.test_client()
    signed_in = client.post("/auth/login", data={"email": "owner@demo.example", "password": "clusterportal"})
    assert signed_in.status_code == 302
    assert client.get("/firms/mine").get_data(as_text=True).count('class="firm-card"') == 3


def test_seed_rejects_a_bad_firm_count(app):
    result = app.test_cli_runner().invoke(args=["seed", "demo", "--firms", "0"])
    assert result.exit_code != 0 and "Invalid value" in result.output


def test_demo_data_is_alive_today_and_keeps_the_rules(ctx):
    """Issue 17.6: members join and requests are posted in the fiscal year under way; requests are open,
    for at most REQUEST_MAX_DAYS from posting; requests to join still waiting are recent; nothing is dated
    after today."""
    from portal.admin import dashboard
    from portal.collab.models import CollabRequest
    from portal.thai import to_bangkok

    demo.generate(now=TODAY)
    db.session.commit()
    year, today = fiscal_year(TODAY), to_bangkok(TODAY).date()
    figures = dashboard.figures(year, None)
    assert figures.members_joined >= 5 and figures.requests_posted >= 10
    assert figures.members == dashboard.figures(year - 1, None).members + figures.members_joined
    requests = db.session.scalars(select(CollabRequest)).all()
    assert requests and all(r.created_at <= TODAY and r.fiscal_year == fiscal_year(r.created_at) for r in requests)
    longest = timedelta(days=ctx.config["REQUEST_MAX_DAYS"])
    assert all(today < r.expires_on <= to_bangkok(r.created_at).date() + longest for r in requests)
    memberships = db.session.scalars(select(Membership)).all()
    assert all(m.created_at <= TODAY and (m.decided_at is None or m.decided_at <= TODAY) for m in memberships)
    waiting = [m for m in memberships if m.status is MembershipStatus.PENDING]
    assert waiting and all(TODAY - m.created_at <= timedelta(days=demo.PENDING_WITHIN_DAYS) for m in waiting)
    assert db.session.scalar(select(func.max(Firm.created_at))) <= TODAY


def test_public_results_open_on_a_year_with_activity(app):
    """Generated today, the demo's /results (which opens on the fiscal year under way) is not empty."""
    import re

    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    page = app.test_client().get("/results?lang=en").get_data(as_text=True)
    joined = re.search(r"<strong>(\d+)</strong>\s*firms? became members? in fiscal year", page)
    posted = re.search(r"<strong>(\d+)</strong>\s*collaboration requests posted", page)
    assert int(joined.group(1)) > 0 and int(posted.group(1)) > 0


def test_demo_words_are_data_files_in_the_shape_the_generator_reads():
    from portal.seed import vocabulary
    from portal.seed.reference import CLUSTERS

    files = sorted(p.name for p in (ROOT / "portal" / "data" / "demo").glob("*.csv"))
    assert files == ["brands.csv", "offers.csv", "seeks.csv", "trades.csv"]
    positions = {"upstream", "midstream", "downstream"}
    assert set(vocabulary.CLUSTER_TRADES) == {c[0] for c in CLUSTERS}
    for by_position in vocabulary.CLUSTER_TRADES.values():
        assert set(by_position) == positions
        for trade_th, trade_en, blurb_th, blurb_en in (t for ts in by_position.values() for t in ts):
            assert trade_th and trade_en and blurb_th and blurb_en.endswith(".")
            assert not blurb_th.endswith((".", " "))  # the generator appends the province and founding year
    assert len(vocabulary.BRANDS) == 84 and all(th and en for th, en in vocabulary.BRANDS)
    assert set(vocabulary.OFFERS) == set(vocabulary.SEEKS) == positions
    assert vocabulary.BRANDS[0] == ("บางกอก", "Bangkok")
    assert vocabulary.OFFERS["upstream"][0] == ("วัตถุดิบคุณภาพสม่ำเสมอ", "Raw materials of consistent quality")


def test_the_demo_results_read_the_same_request_and_meeting_figures_as_a_fresh_count(ctx):
    """The demo is made through the ORM, so its kept request and meeting figures are counted as it is made:
    every year's figures, programme-wide and per cluster, equal counting the requests and meetings afresh."""
    from portal.admin import dashboard
    from portal.collab.models import CollabRequest
    from portal.scorecard import queries
    from tests.test_results_meetings import clusters_counted_afresh
    from tests.test_results_meetings import counted_afresh as meetings_afresh
    from tests.test_results_requests import counted_afresh as requests_afresh

    demo.generate()
    db.session.commit()
    years = sorted(y for y in db.session.scalars(select(CollabRequest.fiscal_year).distinct()) if y is not None)
    clusters = list(db.session.scalars(select(Cluster.id)))
    assert years and clusters
    for year in range(years[0] - 1, years[-1] + 2):
        assert dashboard.request_counts(None, year) == requests_afresh(None, year)
        for cluster_id in clusters:
            assert dashboard.request_counts([cluster_id], year) == requests_afresh([cluster_id], year)
        assert queries.programme_meetings(year) == meetings_afresh(year)
        assert queries.kept_meetings(year) == clusters_counted_afresh(year)
    # the demo posts requests and asks for meetings (no responses or meetings yet): those are counted
    assert sum(dashboard.request_counts(None, year)[0] for year in years) > 0
    assert sum(queries.programme_meetings(year)[0] for year in range(years[0] - 1, years[-1] + 2)) > 0
    assert any(queries.kept_meetings(year) for year in range(years[0] - 1, years[-1] + 2))
