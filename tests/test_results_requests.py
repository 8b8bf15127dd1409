"""The request figures the results read from kept counts (portal.admin.rollup.refresh_requests) stay equal
to counting the requests and their responses afresh: after random sequences of posts, responses, moves and
direct edits, after `flask results rebuild` (and the nightly check), after the migration that creates them
on a database with requests already, and when two firms answer one request at once (PostgreSQL)."""
import random
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import exists, func, insert, select, text

from portal.admin import dashboard, rollup
from portal.admin.models import ANSWERED, POSTED, ResultCount, ResultRequestKey
from portal.auth.models import Role
from portal.collab import services as collab_services
from portal.collab.models import CollabRequest, Kind, Response
from portal.exceptions import PermissionDenied, RuleViolation
from portal.extensions import db
from portal.firms.models import Firm
from portal.moderation import services as moderation
from portal.scorecard import queries as scorecard_queries
from tests import factories
from tests.conftest import PG_URL
from tests.test_migrations import empty_app  # noqa: F401  (fixture: an app on an empty database)
from tests.test_results_rollup import commit_while_the_other_waits

SLUGS = ["betta", "cosplay", "agritech"]
YEARS = range(2561, 2572)


def counted_afresh(cluster_ids, year) -> tuple[int, int]:
    """(posted, answered) by the definitions (dashboard.posted_in, answered), counted from the requests."""
    scope = [] if cluster_ids is None else [CollabRequest.cluster_id.in_(cluster_ids)]
    posted = [*dashboard.posted_in(year), *scope]
    return (db.session.scalar(select(func.count()).select_from(CollabRequest).where(*posted)),
            db.session.scalar(select(func.count()).select_from(CollabRequest).where(*posted, dashboard.answered())))


def assert_request_counts_match(cluster_ids):
    for year in YEARS:
        for scope in [None, *([c] for c in cluster_ids), cluster_ids[:2], cluster_ids]:
            assert dashboard.request_counts(scope, year) == counted_afresh(scope, year), (scope, year)
        by_cluster = dashboard.requests_by_cluster(year)
        expected = {c: counted_afresh([c], year) for c in cluster_ids}
        assert {c: by_cluster.get(c, (0, 0)) for c in cluster_ids} == expected
        assert by_cluster.get(0, (0, 0)) == counted_afresh(None, year)


def kept_rows():
    keys = set(db.session.execute(select(ResultRequestKey.request_id, ResultRequestKey.cluster_id,
                                         ResultRequestKey.year, ResultRequestKey.answered)).all())
    counts = {(s, d, b): n for s, d, b, n in db.session.execute(
        select(ResultCount.scope, ResultCount.dimension, ResultCount.bucket, ResultCount.firms)
        .where(ResultCount.dimension.in_([POSTED, ANSWERED]))) if n}
    return keys, counts


class Board:
    """Three clusters, six member firms with owners (each in one or two clusters), staff; a clock the
    services read (the fiscal year a request is posted in), moved by the test."""

    def __init__(self, rng, monkeypatch):
        self.rng = rng
        clusters = [factories.cluster(slug) for slug in SLUGS]
        self.cluster_ids = [c.id for c in clusters]
        self.staff = factories.user(role=Role.STAFF)
        self.owners, self.firms, self.clusters_of = {}, [], {}
        for _ in range(6):
            firm = factories.firm()
            owner = factories.user()
            factories.team_member(firm, owner)
            joined = rng.sample(clusters, rng.choice([1, 2]))
            for cluster in joined:
                factories.membership(firm, cluster)
            self.owners[firm.id], self.clusters_of[firm.id] = owner, [c.id for c in joined]
            self.firms.append(firm.id)
        self.now = datetime(2019, 6, 1, tzinfo=timezone.utc)
        monkeypatch.setattr(collab_services, "utcnow", lambda: self.now)
        db.session.commit()

    def commits(self, steps: int):
        """Take `steps` random steps, committing each; yields the name of each step committed (one the
        services refuse writes nothing)."""
        for _ in range(steps):
            try:
                name = self.step()
            except (RuleViolation, PermissionDenied):
                db.session.rollback()
                continue
            db.session.commit()
            yield name

    def step(self) -> str:
        rng = self.rng
        self.now += timedelta(days=rng.randrange(0, 120))
        requests = list(db.session.scalars(select(CollabRequest).order_by(CollabRequest.id)))
        responses = list(db.session.scalars(select(Response).order_by(Response.id)))
        choices = ["post", "post"] + (["respond", "respond", "move", "year"] if requests else [])
        choices += ["hide", "delete response"] if responses else []
        choices += ["delete request"] if any(not self.answered(r) for r in requests) else []
        name = rng.choice(choices)
        if name == "post":
            firm_id = rng.choice(self.firms)
            collab_services.post_request(self.owners[firm_id], db.session.get(Firm, firm_id), {
                "kind": rng.choice(list(Kind)), "title_th": f"หาพันธมิตร {rng.randrange(1000)}",
                "cluster_id": rng.choice([None, *self.clusters_of[firm_id]])})
        elif name == "respond":  # from a member firm of the request's cluster (any cluster when open to all)
            request = rng.choice(requests)
            firm_id = rng.choice([f for f in self.firms if f != request.firm_id
                                  and (request.cluster_id is None or request.cluster_id in self.clusters_of[f])]
                                 or self.firms)
            collab_services.respond(self.owners[firm_id], request, db.session.get(Firm, firm_id),
                                    "สนใจครับ")
        elif name == "move":  # the poster moves it to another of its clusters, or opens it to all
            request = rng.choice(requests)
            data = {key: getattr(request, key) for key in collab_services.REQUEST_FIELDS}
            data["cluster_id"] = rng.choice([None, *self.clusters_of[request.firm_id]])
            collab_services.update_request(self.owners[request.firm_id], request, data, request.expires_on)
        elif name == "year":  # a direct edit through the ORM: the year corrected, or cleared
            rng.choice(requests).fiscal_year = rng.choice([None, 2563, 2566, 2570])
        elif name == "hide":  # moderation hides; the request still counts as answered
            moderation.hide(db.session.get(type(self.staff), self.staff.id), "response", rng.choice(responses),
                            "สแปม")
        elif name == "delete response":  # a direct delete through the ORM (its messages first)
            from portal.collab.models import Message

            response = rng.choice(responses)
            for message in db.session.scalars(select(Message).where(Message.response_id == response.id)):
                db.session.delete(message)
            db.session.flush()
            db.session.delete(response)
        else:
            db.session.delete(rng.choice([r for r in requests if not self.answered(r)]))
        return name

    @staticmethod
    def answered(request) -> bool:
        return db.session.scalar(select(exists().where(Response.request_id == request.id)))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kept_request_counts_equal_a_fresh_count_after_random_changes(app, monkeypatch, seed):
    app.config["LIMIT_REQUESTS_PER_DAY"] = app.config["LIMIT_RESPONSES_PER_DAY"] = 1000
    with app.test_request_context("/"):
        board = Board(random.Random(seed), monkeypatch)
        done = set()
        for name in board.commits(80):
            done.add(name)
            assert_request_counts_match(board.cluster_ids)
        assert {"post", "respond", "move", "year", "hide", "delete response"} <= done
        counted = [dashboard.request_counts(None, year) for year in YEARS]
        assert sum(posted for posted, _ in counted) > 0 and sum(answered for _, answered in counted) > 0
        before = kept_rows()
        rollup.rebuild(db.session)
        db.session.commit()
        assert kept_rows() == before


def test_the_scorecard_and_the_dashboard_say_the_same_request_figures(app):
    """The scorecard table's clusters and its "open to all" rest add up to the dashboard's programme."""
    with app.test_request_context("/"):
        betta, cosplay = factories.cluster("betta"), factories.cluster("cosplay")
        poster, other = factories.firm(), factories.firm()
        for firm in (poster, other):
            factories.membership(firm, betta)
        rows = []
        for n, cluster_id in enumerate([betta.id, betta.id, cosplay.id, None, None]):
            request = CollabRequest(firm_id=poster.id, cluster_id=cluster_id, kind=Kind.JOINT_SELLING,
                                    title_th=f"คำขอ {n}", expires_on=date(2030, 1, 1), fiscal_year=2566)
            db.session.add(request)
            rows.append(request)
        db.session.flush()
        for request in (rows[0], rows[3]):
            db.session.add(Response(request_id=request.id, firm_id=other.id))
        db.session.commit()
        assert dashboard.request_counts(None, 2566) == (5, 2)
        assert dashboard.request_counts([betta.id], 2566) == (2, 1)
        assert dashboard.request_counts([betta.id, cosplay.id], 2566) == (3, 1)
        assert dashboard.request_counts(None, 2565) == (0, 0)
        cards, whole = scorecard_queries.scorecard_table(2566)
        assert (cards[betta.id].funnel.requests_posted, cards[betta.id].funnel.requests_answered) == (2, 1)
        assert (cards[cosplay.id].funnel.requests_posted, cards[cosplay.id].funnel.requests_answered) == (1, 0)
        assert (whole.requests_posted, whole.requests_answered) == (5, 2)
        figures = dashboard.figures(2566, None, breakdowns=False)
        assert (figures.requests_posted, figures.requests_answered) == (5, 2)


def test_rebuild_and_the_nightly_check_repair_drifted_request_counts(app):
    """Requests added behind the rollup's back (bulk SQL) are counted by the nightly check (which says how
    many figures it corrected) and by `flask results rebuild`."""
    from portal.jobs.periodic import check_results

    def insert_behind_the_rollup(firm_id, title):  # Core, bypassing the ORM: the kept counts do not see it
        at = datetime(2024, 1, 1, tzinfo=timezone.utc)
        db.session.execute(insert(CollabRequest.__table__).values(
            firm_id=firm_id, kind=Kind.TRADE_FAIR.value, title_th=title, expires_on=date(2030, 1, 1),
            fiscal_year=2567, status="open", search_text="", words_name="", words_products="", words_body="",
            created_at=at, updated_at=at))
        db.session.commit()

    with app.test_request_context("/"):
        firm = factories.firm()
        db.session.add(CollabRequest(firm_id=firm.id, kind=Kind.TRADE_FAIR, title_th="งานแสดงสินค้า",
                                     expires_on=date(2030, 1, 1), fiscal_year=2567))
        db.session.commit()
        assert dashboard.request_counts(None, 2567) == (1, 0)
        insert_behind_the_rollup(firm.id, "อีกงาน")
        assert dashboard.request_counts(None, 2567) == (1, 0)
        assert check_results() == "1 figures corrected"  # the programme's "posted" of 2567
        db.session.commit()
        assert dashboard.request_counts(None, 2567) == (2, 0) == counted_afresh(None, 2567)
        insert_behind_the_rollup(firm.id, "งานที่สาม")
        result = app.test_cli_runner().invoke(args=["results", "rebuild"])
        assert result.exit_code == 0, result.output
        db.session.expire_all()
        assert dashboard.request_counts(None, 2567) == (3, 0) == counted_afresh(None, 2567)


def test_migration_counts_the_requests_already_there(empty_app):  # noqa: F811
    from flask_migrate import upgrade

    with empty_app.app_context():
        upgrade(revision="d2a6f8c3b1e5")  # the schema before the request figures were kept
        from portal.seed.reference import load_clusters, load_provinces

        load_provinces()
        load_clusters()
        clusters = [factories.cluster(slug).id for slug in SLUGS]
        firms = [factories.firm().id for _ in range(3)]
        db.session.commit()
        rng = random.Random(11)
        at = datetime(2024, 1, 1, tzinfo=timezone.utc)
        requests, responses = [], []
        for n in range(40):
            requests.append(dict(id=n + 1, firm_id=rng.choice(firms), cluster_id=rng.choice([None, *clusters]),
                                 kind=Kind.JOINT_SELLING.value, title_th=f"คำขอ {n}", expires_on=date(2030, 1, 1),
                                 status="open", fiscal_year=rng.choice([None, 2565, 2566, 2567]), search_text="",
                                 words_name="", words_products="", words_body="", created_at=at, updated_at=at))
            for firm_id in firms:
                if rng.random() < 0.3:
                    responses.append(dict(request_id=n + 1, firm_id=firm_id, status="open", created_at=at,
                                          updated_at=at))
        # Core: the ORM would keep counts (and the tables did not exist yet).
        db.session.execute(insert(CollabRequest.__table__), requests)
        db.session.execute(insert(Response.__table__), responses)
        db.session.commit()
        upgrade()
        assert dashboard.request_counts(None, 2566)[0] > 0
        assert_request_counts_match(clusters)


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL only: SQLite has one writer at a time")
def test_two_firms_answering_one_request_at_once_count_it_answered_once(app):
    """Each responds without seeing the other's response: the one that commits second waits for the
    request's lock (taken while its figures are recomputed, just before the commit), then finds it
    already counted answered."""
    with app.app_context():
        poster, first_firm, second_firm = factories.firm(), factories.firm(), factories.firm()
        request = CollabRequest(firm_id=poster.id, kind=Kind.SHARED_LOGISTICS, title_th="รถขนส่งร่วม",
                                expires_on=date(2030, 1, 1), fiscal_year=2568)
        db.session.add(request)
        db.session.commit()
        request_id = request.id
        first, second = db.session.session_factory(), db.session.session_factory()
        first.add(Response(request_id=request_id, firm_id=first_firm.id))
        rollup._refresh_noted_firms(first)  # what committing does first: it now holds the request's lock

        def answer_too(session):
            session.add(Response(request_id=request_id, firm_id=second_firm.id))

        assert commit_while_the_other_waits(app, first, second, answer_too) == []
        assert dashboard.request_counts(None, 2568) == (1, 1) == counted_afresh(None, 2568)
        assert db.session.scalar(text("SELECT count(*) FROM collab_responses")) == 2
