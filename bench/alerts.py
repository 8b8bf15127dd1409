"""Saved-search alerts benchmark: `make bench-alerts` (python -m bench.alerts --help).

10,000 users each keep a saved search ("at once"), on the request board (70 %) or the directory (30 %), with
one to three filters drawn at random (cluster, kind of request, province, value-chain position, size, a
search word). During one day 1,000 requests are posted by 100 member firms (through the service, as the
request page posts them) and 50 firms join. Then the alert run that checks every saved search is timed,
with the number of SQL statements it sent, on SQLite or PostgreSQL; then a run with nothing new, and a
five-minute run after 4 more requests (1,000 a day is 3 to 4 per five minutes). Not part of the test suite.
"""
import argparse
import random
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.directory import BenchConfig  # noqa: E402
from portal import create_app  # noqa: E402

WORDS = ["ปลากัด", "betta", "คอสเพลย์", "ส่งออก", "packaging", "โลจิสติกส์", "ผ้าไหม", "organic"]


def database(backend: str) -> str:
    from bench.directory import prepare_database

    return prepare_database(backend, "alerts")


def random_query(rng, search_list, clusters, provinces) -> str:
    from portal.clusters.models import Position
    from portal.collab.models import Kind
    from portal.firms.models import FirmSize

    choices = {"cluster": lambda: rng.choice(clusters), "province": lambda: rng.choice(provinces),
               "position": lambda: rng.choice(list(Position)).value, "q": lambda: rng.choice(WORDS)}
    if search_list == "board":
        choices["kind"] = lambda: rng.choice(list(Kind)).value
    else:
        choices["size"] = lambda: rng.choice(list(FirmSize)).value
    keys = rng.sample(sorted(choices), rng.randint(1, 3))
    return urlencode(sorted((key, choices[key]()) for key in keys))


def build(app, searches: int, requests: int, seed: int):
    from sqlalchemy import insert, select, update

    from portal.auth.models import EmailSetting, Role, User
    from portal.clusters.models import Cluster, Position
    from portal.collab import services as collab
    from portal.collab.models import CollabRequest, Kind
    from portal.db import utcnow
    from portal.extensions import db
    from portal.following.models import Frequency, SavedSearch, SearchList
    from portal.reference import provinces as province_refs
    from portal.seed.reference import load_clusters, load_provinces
    from tests import factories

    rng = random.Random(seed)  # nosec B311  # synthetic searches, reproducible from the seed
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        load_provinces()
        load_clusters()
        db.session.commit()
        clusters = list(db.session.scalars(select(Cluster)))
        provinces = [ref.key for ref in province_refs().values()]
        day_start = utcnow() - timedelta(days=1)
        poster = factories.user(email="poster@bench.example")
        firms = []
        for n in range(100):
            firm = factories.firm(name_th=f"ฟาร์มผู้ประกาศ {n}", name_en=f"Poster farm {n}")
            factories.team_member(firm, poster, "owner")
            cluster = clusters[n % len(clusters)]
            factories.membership(firm, cluster, rng.choice(list(Position)))
            firms.append((firm, cluster))
        db.session.commit()
        now = utcnow()
        password = factories._hash(factories.PASSWORD)
        db.session.execute(insert(User), [{
            "email": f"alert{n}@bench.example", "password_hash": password, "name": f"ผู้ติดตาม {n}",
            "locale": "th" if n % 3 else "en", "role": Role.MEMBER, "confirmed_at": now,
            "email_setting": EmailSetting.IMMEDIATE if n % 2 else EmailSetting.DAILY,
            "created_at": now, "updated_at": now} for n in range(searches)])
        user_ids = list(db.session.scalars(select(User.id).where(User.email.like("alert%@bench.example"))
                                           .order_by(User.id)))
        slugs = [c.slug for c in clusters]
        rows = []
        for n, user_id in enumerate(user_ids):
            search_list = "board" if n % 10 < 7 else "directory"
            rows.append({"user_id": user_id, "list": SearchList(search_list), "name": f"การค้นหา {n}",
                         "query": random_query(rng, search_list, slugs, provinces),
                         "frequency": Frequency.IMMEDIATE, "created_at": day_start, "checked_at": day_start})
        db.session.execute(insert(SavedSearch), rows)
        db.session.commit()
        started = time.perf_counter()
        for n in range(requests):
            firm, cluster = firms[n % len(firms)]
            collab.post_request(poster, firm, {
                "cluster_id": cluster.id, "kind": rng.choice(list(Kind)), "position_sought": rng.choice(list(Position)),
                "title_th": f"{rng.choice(WORDS)} คำขอที่ {n}", "province_id": None})
        for n in range(50):
            firm = factories.firm(name_th=f"{rng.choice(WORDS)} กิจการใหม่ {n}")
            factories.membership(firm, rng.choice(clusters), rng.choice(list(Position)))
        db.session.commit()
        posted = time.perf_counter() - started
        # Spread over the day, as a day's posts would be.
        ids = list(db.session.scalars(select(CollabRequest.id).order_by(CollabRequest.id)))
        for n, request_id in enumerate(ids):
            db.session.execute(update(CollabRequest).where(CollabRequest.id == request_id)
                               .values(created_at=day_start + timedelta(seconds=60 + n * 80)))
        db.session.commit()
        distinct = len({(r["list"], r["query"]) for r in rows})
    return posted, distinct


def measure(app, extra: int):
    """The day's run, a run with nothing new, then a five-minute run after `extra` more requests."""
    from sqlalchemy import event, func, select

    from portal.auth.models import User
    from portal.collab import services as collab
    from portal.collab.models import Kind
    from portal.collab.queries import clusters_of_firms
    from portal.extensions import db
    from portal.firms.models import Firm
    from portal.following import alerts
    from portal.following.models import Frequency
    from portal.notifications.models import Notification
    from portal.outbox.models import OutboxMessage

    alerts.LAG = timedelta(0)  # the bench's rows are all committed before it runs
    statements = 0

    def count(*_args):
        nonlocal statements
        statements += 1

    def timed():
        nonlocal statements
        statements = 0
        event.listen(db.engine, "before_cursor_execute", count)
        started = time.perf_counter()
        checked, alerted = alerts.run(Frequency.IMMEDIATE)
        elapsed = time.perf_counter() - started
        event.remove(db.engine, "before_cursor_execute", count)
        return checked, alerted, elapsed, statements

    results = {}
    with app.app_context():
        results["day"] = timed()
        results["notifications"] = db.session.scalar(select(func.count()).select_from(Notification)
                                                     .where(Notification.kind == "search.matches"))
        results["mails"] = db.session.scalar(select(func.count()).select_from(OutboxMessage))
        results["quiet"] = timed()
        poster = db.session.scalar(select(User).where(User.email == "poster@bench.example"))
        firms = list(db.session.scalars(select(Firm).where(Firm.name_en.like("Poster farm %")).order_by(Firm.id)))
        for n in range(extra):
            firm = firms[n * 7 % len(firms)]
            collab.post_request(poster, firm, {"cluster_id": min(clusters_of_firms([firm.id])),
                                               "kind": list(Kind)[n % len(Kind)], "title_th": f"คำขอล่าสุด {n}"})
        db.session.commit()
        results["five_minutes"] = timed()
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--searches", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=22)
    parser.add_argument("--extra", type=int, default=4, help="requests posted before the five-minute run")
    args = parser.parse_args()

    url = database(args.backend)
    settings = {"SQLALCHEMY_DATABASE_URI": url, "LIMIT_REQUESTS_PER_DAY": 10**6, "JOBS_IMMEDIATE": False,
                "HUEY_URL": f"sqlite:///{ROOT / 'instance' / 'bench' / 'alerts-huey.db'}"}
    app = create_app(type("AlertsBench", (BenchConfig,), settings))
    posted, distinct = build(app, args.searches, args.requests, args.seed)
    results = measure(app, args.extra)
    print(f"backend: {args.backend}")
    print(f"{args.searches:,} saved searches ({distinct:,} distinct filters), {args.requests:,} requests and 50 "
          f"firms in the day (posted in {posted:.1f} s)")
    for name, label in (("day", "the day's run"), ("quiet", "next run, nothing new"),
                        ("five_minutes", f"a five-minute run after {args.extra} new requests")):
        checked, alerted, elapsed, statements = results[name]
        print(f"{label}: {checked:,} searches checked, {alerted:,} alerted in {elapsed:.2f} s, "
              f"{statements:,} SQL statements")
    print(f"({results['notifications']:,} notifications and {results['mails']:,} e-mails queued by the day's run)")

if __name__ == "__main__":
    main()
