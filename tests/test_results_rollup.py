"""The kept counts behind the dashboard stay equal to counting the memberships afresh: after random
sequences of membership changes through the services, after `flask results rebuild`, and after the
migration that creates them on a database with members already."""
import csv
import io
import random
import threading
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session, selectinload
from stdnum.th import moa

from portal.admin import dashboard, rollup
from portal.admin.models import ResultCount, ResultFirmKey, ResultMemberSpan, ResultPairKey
from portal.auth.models import Role
from portal.clusters.models import Cluster, Membership, MembershipPosition, MembershipStatus, Position
from portal.collab.models import Aim, Outcome, OutcomeKind
from portal.exceptions import RuleViolation
from portal.extensions import db
from portal.firms import services as firm_services
from portal.firms.models import Firm, Province
from portal.memberships import csv_io
from portal.memberships import services as membership_services
from portal.scorecard import queries as scorecard_queries
from portal.thai import fiscal_year
from tests import factories
from tests.conftest import PG_URL
from tests.test_migrations import empty_app  # noqa: F401  (fixture: an app on an empty database)

S = MembershipStatus
KEPT = (ResultFirmKey.__table__, ResultPairKey.__table__, ResultMemberSpan.__table__)  # rebuild() leaves them as kept
SLUGS = ["betta", "cosplay", "agritech"]


def member_at_end(status, approved_in, ended_at, year) -> bool:
    """The definition: a membership approved in `year` or before, not ended (left, removed) by its end."""
    if approved_in is None or approved_in > year:
        return False
    if status is S.APPROVED:
        return True
    return status in (S.LEFT, S.REMOVED) and ended_at is not None and fiscal_year(ended_at) > year


def counted_afresh(cluster_ids, year) -> dict:
    """The definition, counted from the memberships without the kept changes: firms with a membership
    approved in `year` or before and not ended (left, removed) by the end of `year`, each firm once."""
    scope = [Membership.cluster_id.in_(cluster_ids)] if cluster_ids is not None else []
    rows = db.session.execute(
        select(Membership.firm_id, Membership.status, Membership.fiscal_year, Membership.ended_at,
               MembershipPosition.position, Firm.province_id)
        .join(Firm, Firm.id == Membership.firm_id)
        .outerjoin(MembershipPosition, MembershipPosition.membership_id == Membership.id).where(*scope)).all()

    def firms_at_end(y):
        return {firm for firm, status, approved_in, ended_at, *_ in rows if member_at_end(status, approved_in,
                                                                                         ended_at, y)}

    at_end = [row for row in rows if member_at_end(row[1], row[2], row[3], year)]
    position, province = {}, {}
    for firm, *_, code, province_id in at_end:
        if code is not None:
            position.setdefault(Position(code).value, set()).add(firm)
        province.setdefault(str(province_id), set()).add(firm)
    first = min((row[2] for row in rows if row[2] is not None), default=year)
    by_year = {y: len(firms_at_end(y)) for y in range(first, year + 1)}
    now, before = firms_at_end(year), firms_at_end(year - 1)
    return {
        "member": {"": len(now)} if now else {},
        "position": {code: len(firms) for code, firms in position.items()},
        "province": {code: len(firms) for code, firms in province.items()},
        "year": {y: n for y, n in by_year.items() if n} | {year: len(now)},
        "joined": len(now - before),
        "left": len(before - now),
    }


def assert_counts_match(cluster_ids_list, years=range(2560, 2576)):
    """Several clusters: counted on the spot (until kept), then from their union, kept from the first call
    on by the commits after it."""
    db.session.expire_all()
    for cluster_ids in [None, *([c] for c in cluster_ids_list), cluster_ids_list[:2], cluster_ids_list]:
        for kept in [False, True] if cluster_ids is not None and len(cluster_ids) > 1 else [False]:
            if kept and rollup.union_scope(db.session, cluster_ids) is None:
                rollup.keep_union(db.session, cluster_ids)
            for year in years:
                afresh = counted_afresh(cluster_ids, year)
                assert dashboard.member_counts(cluster_ids, year) == afresh, (cluster_ids, year, kept)
                if cluster_ids is None or len(cluster_ids) == 1:  # the cluster page's figure
                    assert dashboard.member_total(cluster_ids and cluster_ids[0], year) == \
                        afresh["member"].get("", 0), (cluster_ids, year)


def pairs_afresh(cluster_ids, year) -> dict[int, int]:
    """The definition of a cluster's partner pairs at the end of `year`, counted from the memberships and
    outcomes without the kept changes: distinct pairs of firms, both members at the end of `year`, that
    reported a partnership with each other (either firm naming the other) in `year` or before."""
    rows = db.session.execute(select(Membership.firm_id, Membership.cluster_id, Membership.status,
                                     Membership.fiscal_year, Membership.ended_at)).all()
    members = {cluster_id: set() for cluster_id in cluster_ids}
    for firm_id, cluster_id, status, approved_in, ended_at in rows:
        if member_at_end(status, approved_in, ended_at, year):
            members[cluster_id].add(firm_id)
    pairs = {frozenset((a, b)) for a, b, reported_in in db.session.execute(
        select(Outcome.firm_id, Outcome.partner_firm_id, Outcome.fiscal_year))
        if a != b and reported_in is not None and reported_in <= year}
    return {cluster_id: sum(1 for pair in pairs if pair <= firms) for cluster_id, firms in members.items()}


def assert_pairs_match(cluster_ids, years=range(2560, 2576)) -> int:
    """The kept pairs of each cluster equal the definition's at each year's end; returns how many pairs
    were counted in all (so that a test can tell it compared more than zeros)."""
    db.session.expire_all()
    counted = 0
    for year in years:
        kept = {cluster_id: int(n) for _what, cluster_id, n, *_ in
                db.session.execute(scorecard_queries._pairs_by_cluster(year, cluster_ids))}
        assert {c: kept.get(c, 0) for c in cluster_ids} == pairs_afresh(cluster_ids, year), year
        counted += sum(kept.values())
    return counted


def members_afresh(cluster_ids, year) -> dict[int, dict[int, set]]:
    """The definition of each cluster's members at the end of `year`, with their positions then, from the
    memberships without the kept spans: {cluster id: {firm id: positions of its memberships that count}}."""
    rows = db.session.execute(
        select(Membership.firm_id, Membership.cluster_id, Membership.status, Membership.fiscal_year,
               Membership.ended_at, MembershipPosition.position)
        .outerjoin(MembershipPosition, MembershipPosition.membership_id == Membership.id)).all()
    members = {cluster_id: {} for cluster_id in cluster_ids}
    for firm_id, cluster_id, status, approved_in, ended_at, position in rows:
        if member_at_end(status, approved_in, ended_at, year):
            held = members[cluster_id].setdefault(firm_id, set())
            if position is not None:
                held.add(Position(position))
    return members


def assert_spans_match(cluster_ids, years=range(2560, 2576)) -> int:
    """The kept membership spans give each cluster's members and their positions at each year's end as
    the definition does (the network map's and the scorecard's reads of them); returns how many members
    were compared in all."""
    from portal.scorecard import network

    db.session.expire_all()
    compared = 0
    for year in years:
        expected = members_afresh(cluster_ids, year)
        kept = {cluster_id: {firm_id: {p for n, p in enumerate(Position) if bits & (1 << n)} for firm_id, bits
                             in db.session.execute(network._members_with_positions(cluster_id, year))}
                for cluster_id in cluster_ids}
        assert kept == expected, year
        assert set(db.session.execute(scorecard_queries.members_at_year_end(year, cluster_ids)).all()) == {
            (firm_id, cluster_id) for cluster_id, firms in expected.items() for firm_id in firms}, year
        compared += sum(len(firms) for firms in kept.values())
    return compared


def registration_number(n: int) -> str:
    stem = f"0105{n:08d}"
    return stem + moa.calc_check_digit(stem)


class Programme:
    """Three clusters, eight firms with owners, staff; a clock the services read, moved by the test."""

    def __init__(self, rng, monkeypatch):
        self.rng = rng
        self.clusters = [factories.cluster(slug) for slug in SLUGS]
        self.cluster_ids = [c.id for c in self.clusters]
        self.provinces = list(db.session.scalars(select(Province.id).order_by(Province.id).limit(6)))
        self.staff = factories.user(role=Role.STAFF)
        self.owners, self.firms = {}, []
        for n in range(8):
            firm = factories.firm(registration_number=registration_number(n), province_id=rng.choice(self.provinces))
            owner = factories.user()
            factories.team_member(firm, owner)
            self.owners[firm.id] = owner
            self.firms.append(firm.id)
        self.next_number = 100
        self.now = datetime(2019, 6, 1, tzinfo=timezone.utc)
        monkeypatch.setattr(membership_services, "utcnow", lambda: self.now)
        db.session.commit()

    def positions(self):
        return self.rng.sample(list(Position), self.rng.choice([1, 1, 2, 3]))

    def memberships(self, *statuses):
        return list(db.session.scalars(select(Membership).where(Membership.status.in_(statuses))
                                       .options(selectinload(Membership.positions)).order_by(Membership.id)))

    def commits(self, steps: int):
        """Take `steps` random steps, committing each; yields the name of each step committed (a step the
        services refuse, e.g. asking to join a cluster the firm is already in, writes nothing)."""
        for _ in range(steps):
            try:
                name = self.step()
            except RuleViolation:
                db.session.rollback()
                continue
            db.session.commit()
            yield name

    def step(self):
        """One change chosen at random among those possible now; returns its name."""
        self.now += timedelta(days=self.rng.randrange(0, 200))
        pending, approved = self.memberships(S.PENDING), self.memberships(S.APPROVED)
        choices = ["request", "province", "import"]
        choices += ["approve", "approve", "decline", "cancel"] if pending else []
        choices += ["leave", "remove", "positions"] if approved else []
        name = self.rng.choice(choices)
        rng, staff = self.rng, db.session.get(type(self.staff), self.staff.id)
        if name == "request":
            firm = db.session.get(Firm, rng.choice(self.firms))
            membership_services.request_membership(self.owners[firm.id], firm, rng.choice(self.clusters),
                                                   self.positions(), None, None)
        elif name == "approve":
            membership_services.approve(staff, rng.choice(pending))
        elif name == "decline":
            membership_services.decline(staff, rng.choice(pending), "ยังไม่ครบ")
        elif name == "cancel":
            membership = rng.choice(pending)
            membership_services.cancel_request(self.owners[membership.firm_id], membership)
        elif name == "leave":
            membership = rng.choice(approved)
            membership_services.leave(self.owners[membership.firm_id], membership)
        elif name == "remove":
            membership_services.remove(staff, rng.choice(approved), "ไม่ได้ร่วมกิจกรรม")
        elif name == "positions":
            membership_services.set_positions(staff, rng.choice(approved + pending), self.positions())
        elif name == "province":
            self.move_province(db.session.get(Firm, rng.choice(self.firms)))
        else:
            self.import_members(staff, rng.choice(self.clusters))
        return name

    def move_province(self, firm):
        data = {key: getattr(firm, key) for key in firm_services.PROFILE_FIELDS}
        data["province_id"] = self.rng.choice([p for p in self.provinces if p != firm.province_id])
        firm_services.update_firm(self.owners[firm.id], firm, data, public_listing=firm.has_public_consent)

    def import_members(self, staff, cluster):
        """A member list with some known firms (join, approve, new positions) and one new firm."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["registration_number", "name_th", "province", "positions"])
        for firm in db.session.scalars(select(Firm).where(Firm.id.in_(self.rng.sample(self.firms, 3)))):
            writer.writerow([firm.registration_number, "", "", ",".join(p.value for p in self.positions())])
        self.next_number += 1
        code = db.session.get(Province, self.rng.choice(self.provinces)).code
        writer.writerow([registration_number(self.next_number), f"กิจการนำเข้า {self.next_number}", code,
                         self.positions()[0].value])
        plan = csv_io.plan_import(out.getvalue().encode(), cluster)
        assert not plan.errors, plan.errors
        membership_services.apply_import(staff, cluster, plan)
        self.firms.append(db.session.scalar(select(Firm.id).where(
            Firm.registration_number == registration_number(self.next_number))))
        owner = factories.user()
        factories.team_member(db.session.get(Firm, self.firms[-1]), owner)
        self.owners[self.firms[-1]] = owner


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_kept_counts_equal_a_fresh_count_after_random_changes(app, monkeypatch, seed):
    with app.test_request_context("/"):
        programme = Programme(random.Random(seed), monkeypatch)
        done, compared = set(), 0
        for name in programme.commits(45):
            done.add(name)
            assert_counts_match(programme.cluster_ids)
            assert_pairs_match(programme.cluster_ids)
            compared += assert_spans_match(programme.cluster_ids)
        assert compared > 0 and {"approve", "leave", "remove", "positions", "province", "import"} <= done
        before = [set(db.session.execute(select(table)).all()) for table in KEPT]
        rollup.rebuild(db.session)
        db.session.commit()
        assert [set(db.session.execute(select(table)).all()) for table in KEPT] == before
        assert_counts_match(programme.cluster_ids)
        assert_pairs_match(programme.cluster_ids)
        assert_spans_match(programme.cluster_ids)


class Partnerships(Programme):
    """The same programme, its firms joining and leaving often and reporting partnerships with each other:
    steps that change a cluster's partner pairs (the scorecard's collaboration density)."""

    def step(self):
        self.now += timedelta(days=self.rng.randrange(0, 200))
        rng, staff = self.rng, db.session.get(type(self.staff), self.staff.id)
        approved = self.memberships(S.APPROVED)
        outcomes = list(db.session.scalars(select(Outcome).order_by(Outcome.id)))
        choices = ["join", "join", "outcome", "outcome"] + (["leave", "remove"] if approved else [])
        choices += ["outcome moved", "outcome gone"] if outcomes else []
        name = rng.choice(choices)
        if name == "join":
            firm, cluster = db.session.get(Firm, rng.choice(self.firms)), rng.choice(self.clusters)
            membership = membership_services.request_membership(self.owners[firm.id], firm, cluster, self.positions(),
                                                                None, None)
            membership_services.approve(staff, membership)
        elif name == "leave":
            membership = rng.choice(approved)
            membership_services.leave(self.owners[membership.firm_id], membership)
        elif name == "remove":
            membership_services.remove(staff, rng.choice(approved), "ไม่ได้ร่วมกิจกรรม")
        elif name == "outcome":  # reported this year or, answering a follow-up about an earlier one, before
            firm_id, partner_id = rng.sample(self.firms, 2)
            db.session.add(Outcome(firm_id=firm_id, partner_firm_id=partner_id, aim=Aim.MARKET,
                                   kind=OutcomeKind.NEW_SALES, value_baht=Decimal(1000),
                                   fiscal_year=fiscal_year(self.now) - rng.choice([0, 0, 1, 3])))
        elif name == "outcome moved":  # corrected: another partner, and the other firm reporting it
            outcome = rng.choice(outcomes)
            outcome.partner_firm_id = rng.choice([f for f in self.firms if f != outcome.firm_id])
            outcome.firm_id, outcome.partner_firm_id = outcome.partner_firm_id, outcome.firm_id
        else:
            db.session.delete(rng.choice(outcomes))
        return name


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kept_partner_pairs_equal_a_fresh_count_after_random_changes(app, monkeypatch, seed):
    """Each cluster's partner pairs at each year's end, kept as changes per pair (ResultPairKey), equal
    counting them afresh after each commit, and after a rebuild."""
    with app.test_request_context("/"):
        programme = Partnerships(random.Random(seed), monkeypatch)
        programme.firms = programme.firms[:5]  # five firms in three clusters: pairs form and part often
        done, counted = set(), 0
        for name in programme.commits(60):
            done.add(name)
            counted += assert_pairs_match(programme.cluster_ids)
            assert_spans_match(programme.cluster_ids)
        assert counted > 0 and {"join", "leave", "remove", "outcome", "outcome moved", "outcome gone"} <= done
        before = [set(db.session.execute(select(table)).all()) for table in KEPT]
        rollup.rebuild(db.session)
        db.session.commit()
        assert [set(db.session.execute(select(table)).all()) for table in KEPT] == before
        assert_pairs_match(programme.cluster_ids)


def test_history_and_direct_edits_count_like_the_services(app):
    """Members are counted at the end of each fiscal year: a firm in two clusters counts once in the
    programme, a membership that ended counts up to the year before it ended; edits made without the
    services (factories, a moved fiscal year, positions replaced, a membership deleted) are counted as well."""
    with app.app_context():
        betta, cosplay = factories.cluster("betta"), factories.cluster("cosplay")
        firm = factories.firm(province_code="73")
        first = factories.membership(firm, betta, Position.UPSTREAM)
        first.fiscal_year = 2563
        second = factories.membership(firm, cosplay, Position.MIDSTREAM, Position.UPSTREAM)
        second.fiscal_year = 2564
        db.session.commit()
        programme = dashboard.member_counts(None, 2564)
        assert programme["year"] == {2563: 1, 2564: 1}
        assert programme["member"] == {"": 1}
        assert programme["position"] == {"upstream": 1, "midstream": 1}
        assert (programme["joined"], programme["left"]) == (0, 0)  # already a member through Betta
        assert dashboard.member_counts(None, 2562)["member"] == {}
        first.status = S.LEFT
        first.ended_at = datetime(2021, 3, 1, tzinfo=timezone.utc)  # fiscal year 2564
        second = db.session.scalar(select(Membership).where(Membership.id == second.id)
                                   .options(selectinload(Membership.positions)))
        second.positions = [MembershipPosition(position=Position.DOWNSTREAM)]
        db.session.commit()
        assert dashboard.member_counts(None, 2564)["position"] == {"downstream": 1}
        assert dashboard.member_counts(None, 2563)["position"] == {"upstream": 1}
        assert dashboard.member_counts([betta.id], 2564) == {"year": {2563: 1, 2564: 0}, "member": {},
                                                             "position": {}, "province": {}, "joined": 0, "left": 1}
        assert dashboard.member_counts([betta.id], 2563)["member"] == {"": 1}
        firm.province = factories.province("50")  # through the relationship: province_id is set at flush
        db.session.commit()
        assert dashboard.member_counts([cosplay.id], 2570)["province"] == {str(firm.province_id): 1}
        assert_counts_match([betta.id, cosplay.id])
        db.session.delete(second)
        db.session.commit()
        assert dashboard.member_counts(None, 2564)["member"] == {}
        assert dashboard.member_counts(None, 2563)["member"] == {"": 1}
        assert_counts_match([betta.id, cosplay.id])


def test_rebuild_command_repairs_the_counts(app):
    with app.app_context():
        betta = factories.cluster("betta").id
        for _ in range(3):
            factories.membership(factories.firm(), db.session.get(Cluster, betta)).fiscal_year = 2566
        db.session.commit()
        db.session.execute(ResultCount.__table__.delete())  # as after a bulk load that bypassed the ORM
        db.session.commit()
        assert dashboard.member_counts(None, 2566)["member"] == {}
    result = app.test_cli_runner().invoke(args=["results", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "3 member firms" in result.output
    with app.app_context():
        assert dashboard.member_counts(None, 2566)["member"] == {"": 3}
        assert_counts_match([betta])


def test_a_coordinator_of_two_clusters_sees_shared_members_once(app):
    with app.app_context():
        betta, cosplay = factories.cluster("betta"), factories.cluster("cosplay")
        cluster_ids = sorted([betta.id, cosplay.id])
        shared, only_betta = factories.firm(), factories.firm()
        for membership in (factories.membership(shared, betta), factories.membership(shared, cosplay),
                           factories.membership(only_betta, betta)):
            membership.fiscal_year = 2566
        coordinator = factories.user(email="both@example.com", locale="en")
        factories.term(coordinator, betta)
        factories.term(coordinator, cosplay)
        db.session.commit()
    with app.test_request_context("/"):
        figures = dashboard.figures(2566, cluster_ids)
        assert (figures.members, figures.members_joined) == (2, 2)
        assert figures.by_year == [(2566, 2)] and figures.by_position == [(Position.UPSTREAM, 2)]


def test_migration_counts_the_members_already_there(empty_app):  # noqa: F811
    from flask_migrate import upgrade
    from sqlalchemy import column as sa_column
    from sqlalchemy import table as sa_table

    with empty_app.app_context():
        upgrade(revision="dce6dad4feb9")  # the schema before the counts were kept
        from portal.seed.reference import load_clusters, load_provinces

        load_provinces()
        load_clusters()
        clusters = [factories.cluster(slug).id for slug in SLUGS]
        # Core, with the columns firms had then (the model has more since).
        old_firms = sa_table("firms", sa_column("id"), sa_column("name_th"), sa_column("legal_form"),
                             sa_column("province_id"), sa_column("size"), sa_column("search_text"),
                             sa_column("created_at"), sa_column("updated_at"))
        firms = []
        for n, code in enumerate(("10", "73", "73", "50")):
            db.session.execute(old_firms.insert().values(
                id=n + 1, name_th=f"กิจการ {n}", legal_form="individual", province_id=factories.province(code).id,
                size="micro", search_text=f"กิจการ {n}  ", created_at=datetime(2023, 1, 1, tzinfo=timezone.utc),
                updated_at=datetime(2023, 1, 1, tzinfo=timezone.utc)))
            firms.append(n + 1)
        rng = random.Random(7)
        rows, positions = [], []
        for n, (firm_id, cluster_id) in enumerate([(f, c) for f in firms for c in clusters if rng.random() < 0.7]):
            status = rng.choice([S.APPROVED, S.APPROVED, S.PENDING, S.LEFT])
            rows.append({"id": n + 1, "firm_id": firm_id, "cluster_id": cluster_id, "status": status.value,
                         "fiscal_year": None if status is S.PENDING else rng.choice([2565, 2566]),
                         "created_at": datetime(2023, 1, 1, tzinfo=timezone.utc),
                         "updated_at": datetime(2023, 1, 1, tzinfo=timezone.utc)})
            positions += [{"membership_id": n + 1, "position": p.value} for p in rng.sample(list(Position), 2)]
        db.session.execute(insert(Membership.__table__), rows)  # Core: the ORM would try to keep counts
        db.session.execute(insert(MembershipPosition.__table__), positions)
        db.session.commit()
        upgrade()
        assert dashboard.member_counts(None, 2566)["member"]
        assert_counts_match(clusters)


def test_migration_keeps_the_partner_pairs_already_there(empty_app, monkeypatch):  # noqa: F811
    """The migration that adds result_pair_keys fills it from the kept membership keys and the outcomes
    as the rollup keeps it: pairs kept by the app, dropped with a downgrade, are the same after upgrade."""
    from flask_migrate import downgrade, upgrade

    from portal.seed.reference import load_clusters, load_provinces

    with empty_app.test_request_context("/"):
        upgrade()
        load_provinces()
        load_clusters()
        programme = Partnerships(random.Random(1), monkeypatch)
        programme.firms = programme.firms[:5]
        list(programme.commits(60))  # take every step
        kept = set(db.session.execute(select(ResultPairKey.__table__)).all())
        assert kept
        db.session.remove()
        downgrade(revision="a3f7d1c9e2b8")
        upgrade()
        assert set(db.session.execute(select(ResultPairKey.__table__)).all()) == kept
        assert_pairs_match(programme.cluster_ids)


def test_migration_keeps_the_membership_spans_already_there(empty_app, monkeypatch):  # noqa: F811
    """The migration that adds result_member_spans fills it from the kept keys as the rollup keeps it:
    spans kept by the app through joins, leaving, removals and position changes, dropped with a downgrade,
    are the same after upgrade."""
    from flask_migrate import downgrade, upgrade

    from portal.seed.reference import load_clusters, load_provinces

    with empty_app.test_request_context("/"):
        upgrade()
        load_provinces()
        load_clusters()
        programme = Programme(random.Random(2), monkeypatch)
        done = set(programme.commits(45))
        kept = set(db.session.execute(select(ResultMemberSpan.__table__)).all())
        assert {"leave", "remove", "positions"} <= done
        assert any(ended is not None for *_, ended, _positions in kept)  # spans that ended, too
        db.session.remove()
        downgrade(revision="c8e1f4a2d6b9")
        upgrade()
        assert set(db.session.execute(select(ResultMemberSpan.__table__)).all()) == kept
        assert_spans_match(programme.cluster_ids)


def commit_while_the_other_waits(app, first, second, change) -> list:
    """`first` has refreshed its noted firms (what committing does first) and holds their locks; `change`
    (a function of `second`) then runs and commits in another thread, until it waits for a lock; `first`
    commits, and the other finishes. Returns the other thread's errors (none, when all went well)."""
    errors = []

    def other():
        try:
            with app.app_context():
                change(second)
                second.commit()
        except Exception as exc:  # reported to the caller, in the test's thread
            errors.append(exc)

    waiting = threading.Thread(target=other)
    waiting.start()
    while waiting.is_alive() and not db.session.scalar(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'")):
        db.session.rollback()
        waiting.join(0.01)
    first.commit()
    waiting.join()
    first.close()
    second.close()
    return errors


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL only: SQLite has one writer at a time")
def test_two_transactions_ending_one_firms_memberships_at_once(app):
    """Each ends one of the firm's two memberships without seeing the other's change: the one that commits
    second waits for the first (the firm row is locked while its figures are recomputed, just before the
    commit), then recounts with the first's change in view, so neither undoes the other."""
    with app.app_context():
        betta, cosplay = factories.cluster("betta"), factories.cluster("cosplay")
        firm = factories.firm()
        ids = [factories.membership(firm, cluster).id for cluster in (betta, cosplay)]
        cluster_ids = [betta.id, cosplay.id]
        db.session.commit()
        # Sessions of the application's sessionmaker: the counts are kept in those (rollup.init_app).
        first, second = db.session.session_factory(), db.session.session_factory()
        first.get(Membership, ids[0]).status = S.LEFT
        rollup._refresh_noted_firms(first)  # what committing does first: it now holds the firm's lock

        def end_the_other(session):
            session.get(Membership, ids[1]).status = S.REMOVED

        assert commit_while_the_other_waits(app, first, second, end_the_other) == []
        assert dashboard.member_counts(None, 2570)["member"] == {}
        assert_counts_match(cluster_ids)


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL only: SQLite has one writer at a time")
def test_a_partnership_reported_while_its_partner_leaves_keeps_its_pair(app):
    """A and B, members of one cluster for three years, report a partnership of two years ago, while B
    leaves the cluster in another transaction that had read B's partnerships before the first committed:
    that one waits for B's lock, reads the partnerships again, and keeps the pair for the past years."""
    from portal.db import utcnow

    with app.app_context():
        betta = factories.cluster("betta")
        this_year = fiscal_year(utcnow())
        a, b = factories.firm(), factories.firm()
        ids = []
        for firm in (a, b):
            membership = factories.membership(firm, betta)
            membership.fiscal_year = this_year - 3
            ids.append(membership.id)
        db.session.commit()
        first, second = db.session.session_factory(), db.session.session_factory()
        first.add(Outcome(firm_id=a.id, partner_firm_id=b.id, aim=Aim.MARKET, kind=OutcomeKind.NEW_SALES,
                          value_baht=Decimal(1000), fiscal_year=this_year - 2))
        rollup._refresh_noted_firms(first)  # what committing does first: it now holds A's and B's locks

        def leave(session):
            membership = session.get(Membership, ids[1])
            membership.status, membership.ended_at = S.LEFT, utcnow()

        assert commit_while_the_other_waits(app, first, second, leave) == []
        assert_pairs_match([betta.id], years=range(this_year - 4, this_year + 2))
        pairs = {year: pairs_afresh([betta.id], year)[betta.id] for year in range(this_year - 3, this_year + 1)}
        assert pairs == {this_year - 3: 0, this_year - 2: 1, this_year - 1: 1, this_year: 0}


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL only: SQLite takes no row locks")
def test_a_membership_decided_locks_its_firm_once_and_reads_its_meetings_once(app):
    """Approving a membership moves its firm's spans: refresh() locks the firm FOR UPDATE, and the firm's activity
    and links, refreshed after, each locked it again FOR NO KEY UPDATE, which the first lock already holds to the
    commit; its meeting requests were read one side at a time. Four statements of an approval's forty: now the firm
    is locked once and its meeting requests read in one statement, and the figures are as counted afresh."""
    from sqlalchemy import event

    from portal.db import utcnow

    with app.app_context():
        betta = factories.cluster("betta")
        firm = factories.firm()
        membership_id = factories.membership(firm, betta, status=S.PENDING).id
        db.session.commit()
        ran = []
        listener = lambda conn, cursor, statement, *args: ran.append(" ".join(statement.split()))  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            membership = db.session.get(Membership, membership_id)
            membership.status, membership.decided_at = S.APPROVED, utcnow()
            membership.fiscal_year = fiscal_year(membership.decided_at)
            db.session.commit()
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        firm_locks = [statement.rsplit(" FOR ", 1)[1] for statement in ran
                      if statement.startswith("SELECT firms.id FROM firms") and " FOR " in statement]
        assert firm_locks == ["UPDATE"]
        assert len([statement for statement in ran if statement.startswith("SELECT meeting_requests.id FROM")]) == 1
        assert_counts_match([betta.id])


def test_counts_are_refreshed_once_per_transaction_in_the_apps_sessions_only(app, monkeypatch):
    """An import of many rows flushes often; the firms it touched are recounted once, when it commits.
    A session that is not the application's (another tool in the same process) is left alone."""
    calls = []
    real_refresh = rollup.refresh
    monkeypatch.setattr(rollup, "refresh", lambda session, ids: (calls.append(set(ids)), real_refresh(session, ids))[1])
    with app.app_context():
        betta = factories.cluster("betta")
        firms = [factories.firm() for _ in range(5)]
        db.session.commit()
        calls.clear()
        for firm in firms:
            factories.membership(firm, betta).fiscal_year = 2569
            db.session.flush()
            db.session.flush()
        db.session.commit()
        assert calls == [{firm.id for firm in firms}]
        assert dashboard.member_counts([betta.id], 2569)["member"] == {"": 5}
        calls.clear()
        other = Session(db.engine)
        other.get(Membership, db.session.scalar(select(Membership.id).limit(1))).status = S.LEFT
        other.commit()
        other.close()
        assert calls == []
