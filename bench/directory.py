"""Directory, cluster pages and the results dashboard at scale: `make bench` (python -m bench.directory --help).

Builds a deterministic synthetic dataset in its own database (100,000 firms, 30 clusters, 300,000
memberships, 200,000 collaboration requests with responses and outcomes, 200 matching days with about
50,000 meetings and their follow-up questions, Thai and English text), then
measures pages through the app (Flask test client, in process) and prints one line per case:

    name p50_ms=… p95_ms=… queries=… floor_ratio=…

floor_ratio compares the page's p50 with the same response bytes served from memory by the same app.
The results pages are then measured again with the in-process counts cache off (lines `…_uncached`).
Targets on SQLite on a 2-core machine: p95 ≤ 15 ms for directory and cluster pages, ≤ 30 ms for
searches, at most 5 SQL queries per page; the dashboard and /results p95 ≤ 200 ms, cached or not,
on both databases. BENCH_PG_DB names the PostgreSQL database (default portal_bench); --reuse
measures the databases built last time (migrating them first if the schema has moved on).
"""
import argparse
import os
import random
import statistics
import subprocess  # nosec B404  # psql and createdb, for the benchmark's own database
import sys
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import Response  # noqa: E402
from sqlalchemy import event, func, insert, select, text  # noqa: E402

from config import Config  # noqa: E402
from portal import create_app  # noqa: E402
from portal.admin import rollup  # noqa: E402
from portal.clusters.models import Cluster, Membership, MembershipPosition, MembershipStatus, Position  # noqa: E402
from portal.directory.queries import MAX_PAGE  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.firms.models import Firm, FirmSize, LegalForm, Province, firm_search_fields  # noqa: E402
from portal.pagecache import MEMBER_PAGES  # noqa: E402
from portal.search import vocabulary as search_vocabulary  # noqa: E402
from portal.search.sql import SEARCH_GIN_INDEXES  # noqa: E402
from portal.seed.reference import load_clusters, load_provinces  # noqa: E402
from portal.seed.vocabulary import BRANDS, CLUSTER_TRADES  # noqa: E402
from portal.thai import bangkok_today, fiscal_year  # noqa: E402
from portal.web import prepare_workers, settle_collector  # noqa: E402

SEED = 2563
# The history (firms, memberships, requests, matching days) spans about nine and a half years and ends on the
# day the dataset is built, as a live portal's does: requests expire 60 days after they are posted, so the
# open board holds the last 60 days' requests. With a fixed start (1 October 2016) the history ended in
# April 2026, and from June 2026 every request had expired: the board's figures measured an empty board.
SPAN_SECONDS = 300_000_000
START = datetime.combine(bangkok_today(), datetime.min.time(), timezone.utc) - timedelta(seconds=SPAN_SECONDS)
BENCH_PASSWORD = "bench-password"  # nosec B105  # the benchmark's own staff account, in its own database
COORDINATOR = "bench.coordinator@example.com"
MEMBER = "bench.member@example.com"  # a signed-in member who owns no firm: the `…_member` cases
EXTRA_WORDS = ["ร้านตัดผม", "รถรับส่ง", "ส่งออก", "export", "organic", "handmade", "OTOP", "ฮาลาล", "premium"]


def log(message):
    print(message, file=sys.stderr, flush=True)


class BenchConfig(Config):
    SECRET_KEY = "bench-only"  # nosec B105  # a throw-away app in this script
    PORTAL_BASE_URL = "http://localhost"
    RATELIMIT_ENABLED = False
    WTF_CSRF_ENABLED = False
    MAIL_SERVER = None
    # The bench's staff and coordinator measure pages, not the second sign-in step (tested in
    # tests/browser/test_twofactor_browser.py); with the default roles they would be sent to enrol.
    TWO_FACTOR_REQUIRED_ROLES = ()
    # Pages are measured as rendered (the first visitor after a write, and everyone signed in); the `_kept`
    # lines measure visitors' pages again as portal/pagecache.py serves them between writes.
    PAGE_CACHE_SECONDS = 0


def make_app(url):
    config = type("Config", (BenchConfig,), {"SQLALCHEMY_DATABASE_URI": url})
    app = create_app(config)
    # as wsgi.py does in production, in its order: the pages measured as gunicorn's workers serve them. Without
    # prepare_workers the Thai dictionary's trie (515,000 objects) was built at the first search, after the freeze,
    # and every full collection walked it: 104 ms, against 2 ms with it frozen as in a worker
    prepare_workers(app)
    settle_collector()
    return app


def prepare_database(backend, own: str | None = None) -> str:
    """A new, empty database for a benchmark: `make bench`'s (instance/bench/bench.db, $BENCH_PG_DB), or, with `own`,
    another benchmark's own (instance/bench/<own>.db, portal_bench_<own>), so that running it leaves `make bench`'s
    databases as they are."""
    if backend == "sqlite":
        path = ROOT / "instance" / "bench" / f"{own or 'bench'}.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    host = os.environ.get("BENCH_PG_HOST", "127.0.0.1")
    name = pg_database_name() if own is None else f"portal_bench_{own}"
    # The PostgreSQL client tools from PATH, as a developer runs them; no shell, fixed arguments.
    subprocess.run(["psql", "-h", host, "-U", "postgres", "-qc",  # nosec B603 B607
                    f"DROP DATABASE IF EXISTS {name}"], check=True)
    subprocess.run(["createdb", "-h", host, "-U", "postgres", "-T", "template0", "-E", "UTF8",  # nosec B603 B607
                    "--locale=C.UTF-8", name], check=True)
    return f"postgresql+psycopg://postgres@{host}:5432/{name}"


def pg_database_name() -> str:
    """BENCH_PG_DB names the PostgreSQL benchmark database (dropped and rebuilt on each full run)."""
    name = os.environ.get("BENCH_PG_DB", "portal_bench")
    if not name.replace("_", "").isalnum():
        raise SystemExit(f"BENCH_PG_DB must be letters, digits and underscores: {name!r}")
    return name


def existing_database(backend) -> str:
    if backend == "sqlite":
        return f"sqlite:///{ROOT / 'instance' / 'bench' / 'bench.db'}"
    host = os.environ.get("BENCH_PG_HOST", "127.0.0.1")
    return f"postgresql+psycopg://postgres@{host}:5432/{pg_database_name()}"


def generate_requests(rng, request_count: int, firm_count: int, clusters) -> list:
    """Requests over ten fiscal years; a third answered, a tenth partnered with a value. Returns the
    partnerships as (reported at, poster, partner), by date, for the matching days to lead to."""
    from decimal import Decimal

    from portal.collab.models import Kind, OutcomeKind, request_search_fields

    log(f"  inserting {request_count:,} collaboration requests …")
    kinds, requests, responses, outcomes, partnerships = list(Kind), [], [], [], []
    aims = {kind.value: kind.aim.value for kind in kinds}
    for i in range(1, request_count + 1):
        created = START + timedelta(seconds=rng.randrange(SPAN_SECONDS))
        firm_id = rng.randrange(1, firm_count + 1)
        partnered = rng.random() < 0.1
        title = f"คำขอความร่วมมือ {i}"
        requests.append({
            "id": i, "firm_id": firm_id, "cluster_id": rng.choice(clusters).id if rng.random() < 0.9 else None,
            "kind": rng.choice(kinds).value, "title_th": title,
            **request_search_fields({"title_th": title, "title_en": None, "quantity": None, "details_th": None,
                                     "details_en": None}),
            "expires_on": (created + timedelta(days=60)).date(), "status": "closed" if partnered else "open",
            "close_reason": "partnered" if partnered else None, "fiscal_year": fiscal_year(created),
            "created_at": created, "updated_at": created,
        })
        if partnered or rng.random() < 0.25:
            partner = rng.randrange(1, firm_count + 1)
            responses.append({"request_id": i, "firm_id": partner, "status": "accepted" if partnered else "open",
                              "created_at": created, "updated_at": created})
            if partnered:
                partnerships.append((created, firm_id, partner))
                outcomes.append({"request_id": i, "firm_id": firm_id, "partner_firm_id": partner,
                                 "cluster_id": requests[-1]["cluster_id"], "aim": aims[requests[-1]["kind"]],
                                 "value_baht": Decimal(rng.randrange(10_000, 2_000_000)),
                                 "kind": rng.choice(list(OutcomeKind)).value, "fiscal_year": fiscal_year(created),
                                 "confirmation": "confirmed" if rng.random() < 0.5 else "unconfirmed",
                                 "created_at": created, "updated_at": created})
        if len(requests) == 10_000:
            _flush_requests(requests, responses, outcomes)
            requests, responses, outcomes = [], [], []
    _flush_requests(requests, responses, outcomes)
    return sorted(partnerships)


def _flush_requests(requests, responses, outcomes):
    from portal.collab.models import CollabRequest, Outcome, Response

    for model, rows in ((CollabRequest, requests), (Response, responses), (Outcome, outcomes)):
        if rows:
            db.session.execute(insert(model.__table__), rows)
    db.session.commit()


MEETING_TABLES, MEETING_SLOTS = 20, 20  # one session a day: 400 places, about 250 meetings a day


def generate_meetings(rng, meeting_count: int, firm_count: int, clusters, partnerships) -> None:
    """Matching days over the same ten fiscal years as the requests: about 250 meetings each, from 160
    registered firms; four in five requests accepted, and of the meetings 78% held, 12% no-shows, 5% left
    unmarked and 5% never placed. Either side answers "continue" after about two held meetings in five. One
    request in ten is between two firms that reported a partnership with each other within 180 days after
    the day (the scorecard's agreements). Each held meeting asks both firms a follow-up question, half
    answered."""
    from bisect import bisect_left, bisect_right

    from portal.events.models import (
        Event,
        EventSession,
        EventTable,
        Meeting,
        MeetingRequest,
        Registration,
        Slot,
        event_clusters,
    )
    from portal.followup.models import FollowUp, Stage

    per_day = 250
    days = max(1, meeting_count // per_day)
    log(f"  inserting {days:,} matching days and about {meeting_count:,} meetings …")
    rows = {table: [] for table in ("events", "event_clusters", "sessions", "slots", "tables", "registrations",
                                    "requests", "meetings", "followups")}
    ids = dict.fromkeys(("slot", "table", "registration", "request", "meeting", "followup"), 0)
    made, stages = 0, list(Stage)
    dates = [row[0] for row in partnerships]
    for event_id in range(1, days + 1):
        day_at = START + timedelta(seconds=rng.randrange(SPAN_SECONDS))
        day = day_at.date()
        opens = datetime(day.year, day.month, day.day, 2, tzinfo=timezone.utc)  # 09:00 in Bangkok
        rows["events"].append({
            "id": event_id, "title_th": f"งานจับคู่ธุรกิจ {event_id}", "registration_opens_on": day - timedelta(days=40),
            "registration_closes_on": day - timedelta(days=15), "booking_opens_on": day - timedelta(days=14),
            "booking_closes_on": day - timedelta(days=3), "meeting_minutes": 30, "max_meetings_per_firm": 12,
            "needs_approval": True, "status": "published", "starts_on": day, "created_at": opens - timedelta(days=60),
            "updated_at": opens - timedelta(days=60)})
        if rng.random() < 0.5:
            rows["event_clusters"].append({"event_id": event_id, "cluster_id": rng.choice(clusters).id})
        rows["sessions"].append({"id": event_id, "event_id": event_id, "day": day,
                                 "start_time": datetime(2000, 1, 1, 9).time(), "slot_count": MEETING_SLOTS})
        slots = []
        for position in range(MEETING_SLOTS):
            ids["slot"] += 1
            starts = opens + timedelta(minutes=30 * position)
            slots.append((ids["slot"], starts))
            rows["slots"].append({"id": ids["slot"], "event_id": event_id, "session_id": event_id,
                                  "position": position, "starts_at": starts, "ends_at": starts + timedelta(minutes=30)})
        tables = []
        for position in range(MEETING_TABLES):
            ids["table"] += 1
            tables.append(ids["table"])
            rows["tables"].append({"id": ids["table"], "event_id": event_id, "position": position,
                                   "name": f"โต๊ะ {position + 1}"})
        registered = {}  # firm id -> its registration id for this day
        register = lambda firm_id, day=event_id, at=opens - timedelta(days=30), seen=registered: (  # noqa: E731
            _register(rows["registrations"], ids, seen, day, firm_id, at))
        for firm_id in rng.sample(range(1, firm_count + 1), 160):
            register(firm_id)
        firms = list(registered)
        later = partnerships[bisect_left(dates, day_at):bisect_right(dates, day_at + timedelta(days=180))]
        pairs, placed = set(), 0
        for _ in range(round(per_day / 0.8)):
            if later and rng.random() < 0.1:
                _when, a, b = rng.choice(later)
                a, b = (a, b) if rng.random() < 0.5 else (b, a)
            else:
                a, b = rng.sample(firms, 2)
            if a == b or (a, b) in pairs or (b, a) in pairs:
                continue
            pairs.add((a, b))
            ids["request"] += 1
            accepted = rng.random() < 0.8
            asked = opens - timedelta(days=rng.randrange(4, 14))
            rows["requests"].append({
                "id": ids["request"], "event_id": event_id, "from_registration_id": register(a),
                "to_registration_id": register(b), "from_firm_id": a, "to_firm_id": b,
                "reason": "อยากพบเพื่อหารือความร่วมมือ",
                "status": "accepted" if accepted else rng.choice(["declined", "expired", "cancelled"]),
                "responded_at": asked + timedelta(days=1), "created_at": asked, "updated_at": asked})
            if not accepted:
                continue
            ids["meeting"] += 1
            made += 1
            roll = rng.random()
            meeting = {"id": ids["meeting"], "event_id": event_id, "request_id": ids["request"], "pinned": False,
                       "state": "scheduled", "slot_id": None, "table_id": None, "marked_at": None,
                       "sender_rating": None, "sender_continues": None, "receiver_rating": None,
                       "receiver_continues": None, "unscheduled_reason": None, "created_at": asked,
                       "updated_at": asked}
            rows["meetings"].append(meeting)
            if roll < 0.05 or placed >= MEETING_SLOTS * MEETING_TABLES:
                meeting["unscheduled_reason"] = "firms_busy"
                continue
            slot_id, starts = slots[placed % MEETING_SLOTS]
            meeting["slot_id"], meeting["table_id"] = slot_id, tables[placed // MEETING_SLOTS]
            placed += 1
            if roll < 0.10:
                continue  # placed, never marked
            meeting["marked_at"] = starts + timedelta(minutes=30)
            if roll < 0.22:
                meeting["state"] = "no_show"
                continue
            meeting.update(state="held", sender_rating=rng.randint(1, 5), receiver_rating=rng.randint(1, 5),
                           sender_continues=rng.random() < 0.45, receiver_continues=rng.random() < 0.4)
            for firm_id, other in ((a, b), (b, a)):
                ids["followup"] += 1
                sent = starts + timedelta(days=14)
                answered = rng.random() < 0.5
                rows["followups"].append({
                    "id": ids["followup"], "source": "meeting", "meeting_id": ids["meeting"], "firm_id": firm_id,
                    "other_firm_id": other, "due_at": sent, "sent_at": sent, "reminders": 0,
                    "token_salt": "bench", "token_hash": f"{ids['followup']:064x}",
                    "expires_at": sent + timedelta(days=60),
                    "answered_at": sent + timedelta(days=3) if answered else None,
                    "stage": rng.choice(stages).value if answered else None, "created_at": sent, "updated_at": sent})
        if event_id % 20 == 0 or event_id == days:
            for model, key in ((Event.__table__, "events"), (event_clusters, "event_clusters"),
                               (EventSession.__table__, "sessions"), (Slot.__table__, "slots"),
                               (EventTable.__table__, "tables"), (Registration.__table__, "registrations"),
                               (MeetingRequest.__table__, "requests"), (Meeting.__table__, "meetings"),
                               (FollowUp.__table__, "followups")):
                if rows[key]:
                    db.session.execute(insert(model), rows[key])
                rows[key] = []
            db.session.commit()
    log(f"  … {ids['registration']:,} registrations, {ids['request']:,} meeting requests, {made:,} meetings, "
        f"{ids['followup']:,} follow-up questions")


def _register(rows, ids, registered, event_id, firm_id, at) -> int:
    """The registration id of `firm_id` for the day, added (approved) the first time the firm is met."""
    if firm_id not in registered:
        ids["registration"] += 1
        registered[firm_id] = ids["registration"]
        rows.append({"id": ids["registration"], "event_id": event_id, "firm_id": firm_id, "attendees": "ผู้แทนบริษัท",
                     "status": "approved", "created_at": at, "updated_at": at})
    return registered[firm_id]


@contextmanager
def bulk_search_indexes():
    """Around a bulk load on PostgreSQL: the search's GIN indexes gather the load's keys in pending lists
    (`fastupdate` on) and merge them in batches, then go back to writing through (off, as migration a2c4e6f8b0d1
    sets them); the caller's VACUUM merges what is still pending. Written through, each of a million firms
    would put its keys in the indexes one by one."""
    postgresql = db.engine.dialect.name == "postgresql"
    if postgresql:
        _set_fastupdate("on")
    try:
        yield
    finally:
        if postgresql:
            _set_fastupdate("off")


def _set_fastupdate(value: str) -> None:
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for name in SEARCH_GIN_INDEXES:  # names from code: DDL cannot bind them
            conn.execute(text(f"ALTER INDEX {name} SET (fastupdate = {value})"))


def generate(firm_count: int, cluster_count: int, membership_count: int, request_count: int = 0,
             meeting_count: int = 0) -> str:
    """Fill the database; returns the slug of the largest cluster."""
    rng = random.Random(SEED)  # nosec B311  # synthetic firms, reproducible from the seed
    load_provinces()
    load_clusters()
    real = list(db.session.scalars(select(Cluster).order_by(Cluster.slug)))
    agency = real[0].agency_id
    for n in range(cluster_count - len(real)):
        db.session.add(Cluster(slug=f"cluster-{n + 1:02d}", name_th=f"คลัสเตอร์ทดสอบ {n + 1}",
                               name_en=f"Test cluster {n + 1}", agency_id=agency))
    db.session.commit()
    clusters = list(db.session.scalars(select(Cluster).order_by(Cluster.id)))
    provinces = [p.id for p in db.session.scalars(select(Province))]
    trades = [(slug, t) for slug, by_position in CLUSTER_TRADES.items() for ts in by_position.values() for t in ts]
    log(f"  inserting {firm_count:,} firms …")
    batch = []
    for i in range(1, firm_count + 1):
        _slug, trade = rng.choice(trades)
        brand = rng.choice(BRANDS)
        english = rng.random() < 0.5
        extra = rng.choice(EXTRA_WORDS) if rng.random() < 0.3 else ""
        values = {
            "id": i,
            "name_th": f"{trade[0]}{brand[0]} {i}",
            "name_en": f"{brand[1]} {trade[1]} {i}" if english else None,
            "description_th": f"{trade[2]} {extra}",
            "description_en": trade[3] if english else None,
            "products_th": trade[0],
            "products_en": trade[1] if english else None,
        }
        created = START + timedelta(seconds=rng.randrange(SPAN_SECONDS))
        values.update(firm_search_fields(values))
        values.update({
            "legal_form": LegalForm.INDIVIDUAL.value, "province_id": rng.choice(provinces),
            "size": rng.choice(list(FirmSize)).value, "created_at": created, "updated_at": created,
            "public_listing_consent_at": created if rng.random() < 0.95 else None,
            "verified_at": created if rng.random() < 0.5 else None,
            "hidden_at": created if rng.random() < 0.01 else None,
        })
        batch.append(values)
        if len(batch) == 5000:
            db.session.execute(insert(Firm.__table__), batch)
            batch = []
    if batch:
        db.session.execute(insert(Firm.__table__), batch)
    db.session.commit()

    log(f"  inserting {membership_count:,} memberships …")
    weights = [8 if n == 0 else 1 for n in range(len(clusters))]  # one large cluster, as Betta is
    memberships, positions, mid = [], [], 0
    per_firm = membership_count // firm_count
    for firm_id in range(1, firm_count + 1):
        chosen = set()
        while len(chosen) < per_firm:
            chosen.add(rng.choices(range(len(clusters)), weights=weights)[0])
        for index in chosen:
            mid += 1
            decided = START + timedelta(seconds=rng.randrange(SPAN_SECONDS))
            approved = rng.random() < 0.95
            memberships.append({
                "id": mid, "firm_id": firm_id, "cluster_id": clusters[index].id,
                "status": (MembershipStatus.APPROVED if approved else MembershipStatus.PENDING).value,
                "decided_at": decided if approved else None,
                "fiscal_year": fiscal_year(decided) if approved else None,
                "created_at": decided, "updated_at": decided,
            })
            for position in rng.sample(list(Position), rng.choice([1, 1, 1, 2])):
                positions.append({"membership_id": mid, "position": position.value})
        if len(memberships) >= 10000:
            db.session.execute(insert(Membership.__table__), memberships)
            db.session.execute(insert(MembershipPosition.__table__), positions)
            memberships, positions = [], []
    if memberships:
        db.session.execute(insert(Membership.__table__), memberships)
        db.session.execute(insert(MembershipPosition.__table__), positions)
    db.session.commit()
    partnerships = generate_requests(rng, request_count, firm_count, clusters) if request_count else []
    if meeting_count:
        generate_meetings(rng, meeting_count, firm_count, clusters, partnerships)
    from portal.auth.models import Role, User
    from portal.auth.passwords import hash_password

    db.session.add(User(email="bench.staff@example.com", name="Bench staff", role=Role.STAFF, locale="th",
                        password_hash=hash_password(BENCH_PASSWORD), confirmed_at=START))
    db.session.commit()
    ensure_coordinator()
    if db.engine.dialect.name == "postgresql":
        # Rows were inserted with explicit ids. Table names from this tuple: identifiers cannot be bound.
        for table in ("firms", "memberships", "collab_requests", "events", "event_sessions", "event_slots",
                      "event_tables", "event_registrations", "meeting_requests", "meetings", "followups"):
            sql = "SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT max(id) FROM {t}))".format(  # nosec B608
                t=table)
            db.session.execute(text(sql))
        db.session.commit()
    # The raw inserts above bypass the ORM, so the dashboard's kept counts are recounted once here.
    started = time.perf_counter()
    keys = rollup.rebuild(db.session)
    db.session.commit()
    log(f"  results recounted ({keys:,} firm figures) in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()  # and the words that "did you mean" offers
    words = search_vocabulary.rebuild(db.session)
    db.session.commit()
    log(f"  search vocabulary rebuilt ({words:,} words) in {time.perf_counter() - started:.1f} s")
    # VACUUM as well on PostgreSQL: a bulk load leaves the visibility map empty, so index-only scans
    # (the capped counts) fetch every heap row until autovacuum gets there; a live database is vacuumed.
    statement = "VACUUM ANALYZE" if db.engine.dialect.name == "postgresql" else "ANALYZE"
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(statement))
    return clusters[0].slug


def ensure_member() -> None:
    """A plain signed-in member (sees every firm not hidden, not only those with public-listing consent)."""
    from portal.auth.models import Role, User
    from portal.auth.passwords import hash_password

    if db.session.scalar(select(User.id).where(User.email == MEMBER)) is None:
        db.session.add(User(email=MEMBER, name="Bench member", role=Role.MEMBER, locale="th",
                            password_hash=hash_password(BENCH_PASSWORD), confirmed_at=START))
        db.session.commit()


def sample_ids() -> dict:
    """A firm and a request every visitor may see, for the firm and request pages."""
    from portal.collab.models import CollabRequest

    firm_id = db.session.scalar(select(Firm.id).where(Firm.hidden_at.is_(None),
                                                      Firm.public_listing_consent_at.is_not(None))
                                .order_by(Firm.id).limit(1))
    request_id = db.session.scalar(
        select(CollabRequest.id).join(Firm, Firm.id == CollabRequest.firm_id)
        .where(Firm.hidden_at.is_(None), Firm.public_listing_consent_at.is_not(None),
               CollabRequest.hidden_at.is_(None)).order_by(CollabRequest.id.desc()).limit(1))
    return {"firm": firm_id, "request": request_id}


def ensure_coordinator() -> None:
    """A coordinator of the two largest clusters (an association running two): their dashboard counts the
    firms of both, once each. Added to a database built before this user existed, too (--reuse)."""
    from portal.auth.models import Role, User
    from portal.auth.passwords import hash_password
    from portal.clusters.models import CoordinatorTerm

    if db.session.scalar(select(User.id).where(User.email == COORDINATOR)) is not None:
        return
    user = User(email=COORDINATOR, name="Bench coordinator", role=Role.MEMBER, locale="th",
                password_hash=hash_password(BENCH_PASSWORD), confirmed_at=START)
    db.session.add(user)
    db.session.flush()
    today = bangkok_today()
    for cluster in db.session.scalars(select(Cluster).order_by(Cluster.id).limit(2)):
        db.session.add(CoordinatorTerm(user_id=user.id, cluster_id=cluster.id, organisation_id=cluster.agency_id,
                                       starts_on=today - timedelta(days=30), ends_on=today + timedelta(days=365)))
    db.session.commit()


def accept_notice(emails) -> None:
    """The bench accounts have accepted the current privacy notice, as every real user has before reaching a
    page (portal/privacy: a signed-in user who has not is sent to /privacy/accept). Also on --reuse databases
    built before the notice existed."""
    from portal.auth.models import User
    from portal.privacy.models import ConsentMethod
    from portal.privacy.services import accept_notice as accept
    from portal.privacy.services import needs_consent

    for user in db.session.scalars(select(User).where(User.email.in_(emails))):
        if needs_consent(user):
            accept(user, ConsentMethod.REGISTRATION, user.locale)
    db.session.commit()


def p95_of(timings) -> float:
    """The 95th percentile; with one run (a build without measuring, `--runs 1`), that run."""
    return statistics.quantiles(timings, n=20)[18] if len(timings) > 1 else timings[0]


def measure(app, cases, runs):
    engine_queries = []
    with app.app_context():
        engine = db.engine
        accept_notice(["bench.staff@example.com", COORDINATOR, MEMBER])
    event.listen(engine, "before_cursor_execute", lambda *a: engine_queries.append(1))
    floor = {"body": b""}
    if "bench_floor" not in app.view_functions:
        app.add_url_rule("/__floor", "bench_floor", lambda: Response(floor["body"], mimetype="text/html"))
    anonymous, staff, coordinator, member = (app.test_client() for _ in range(4))
    staff.post("/auth/login", data={"email": "bench.staff@example.com", "password": BENCH_PASSWORD})
    coordinator.post("/auth/login", data={"email": COORDINATOR, "password": BENCH_PASSWORD})
    member.post("/auth/login", data={"email": MEMBER, "password": BENCH_PASSWORD})

    def client_for(name, url):
        if name.endswith("_member"):
            return member
        return coordinator if "coordinator" in name else staff if url.startswith(("/admin/", "/followup/")) \
            else anonymous

    def timed(client, url, count):
        timings, counts = [], []
        for _ in range(count):
            engine_queries.clear()
            started = time.perf_counter()
            client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            counts.append(len(engine_queries))
        return timings, max(counts)

    results = []
    for name, url in cases:
        client = client_for(name, url)
        for _ in range(3):  # warm-up: caches, statement cache, first-use imports
            response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}: nothing to measure")
        floor["body"] = response.data
        timings, queries = timed(client, url, runs)
        floor_timings, _ = timed(client, "/__floor", runs)
        p50 = statistics.median(timings)
        p95 = p95_of(timings)
        ratio = p50 / statistics.median(floor_timings)
        results.append((name, p50, p95, queries, ratio))
        print(f"{name} p50_ms={p50:.1f} p95_ms={p95:.1f} queries={queries} floor_ratio={ratio:.1f}", flush=True)
    # The results pages again with the in-process counts cache off (COUNTS_CACHE_SECONDS=0): what the
    # first visitor after a restart or an expiry waits for, every time.
    app.config["COUNTS_CACHE_SECONDS"] = 0
    counted = ("/admin/results/", "/results", "/admin/scorecard")
    for name, url in [case for case in cases if case[1].startswith(counted)]:
        client = client_for(name, url)
        client.get(url)
        timings, queries = timed(client, url, runs)
        p50, p95 = statistics.median(timings), p95_of(timings)
        print(f"{name}_uncached p50_ms={p50:.1f} p95_ms={p95:.1f} queries={queries} floor_ratio=-", flush=True)
    app.config["COUNTS_CACHE_SECONDS"] = 60
    # Pages once kept (portal/pagecache.py): what every visit after the first costs until a write; signed in,
    # the listing pages kept per audience (MEMBER_PAGES).
    app.config["PAGE_CACHE_SECONDS"] = 60
    adapter = app.url_map.bind("localhost")
    for name, url in cases:
        client = client_for(name, url)
        if client is not anonymous and adapter.match(urlsplit(url).path)[0] not in MEMBER_PAGES:
            continue
        client.get(url)
        timings, queries = timed(client, url, runs)
        p50, p95 = statistics.median(timings), p95_of(timings)
        print(f"{name}_kept p50_ms={p50:.1f} p95_ms={p95:.1f} queries={queries} floor_ratio=-", flush=True)
    app.config["PAGE_CACHE_SECONDS"] = 0
    return results


def cases_for(largest, ids):
    return [
        ("home", "/?lang=th"),
        ("cluster_list", "/clusters/?lang=th"),
        ("directory_page1", "/directory/?lang=th"),
        ("directory_page1_en", "/directory/?lang=en"),
        (f"directory_deep_page{MAX_PAGE}", f"/directory/?page={MAX_PAGE}&lang=th"),
        (f"directory_newest_page{MAX_PAGE}", f"/directory/?sort=newest&page={MAX_PAGE}&lang=th"),
        ("filter_cluster", f"/directory/?cluster={largest}&lang=th"),
        ("filter_position", "/directory/?position=midstream&lang=th"),
        ("filter_cluster_position", f"/directory/?cluster={largest}&position=upstream&lang=th"),
        ("filter_province", "/directory/?province=73&lang=th"),
        ("filter_size", "/directory/?size=medium&lang=th"),
        ("filter_verified", "/directory/?verified=1&lang=th"),
        ("search_thai", "/directory/?q=ปลากัด&lang=th"),
        ("search_thai_rare", "/directory/?q=ฮาลาล&lang=th"),
        ("search_english", "/directory/?q=betta&lang=en"),
        ("search_two_words", "/directory/?q=ปลากัด+export&lang=th"),
        ("search_two_letter_thai", "/directory/?q=ผม&lang=th"),
        # no firm has all the words: the window is filled by firms with some of them
        ("search_rare_and_common_word", "/directory/?q=ฮาลาล+export&lang=th"),
        ("search_three_words_none_together", "/directory/?q=organic+premium+betta&lang=en"),
        ("search_thai_by_name", "/directory/?q=ปลากัด&sort=name&lang=th"),
        ("search_thai_by_name_page10", "/directory/?q=ปลากัด&sort=name&page=10&lang=th"),
        ("search_thai_newest", "/directory/?q=ปลากัด&sort=newest&lang=th"),
        ("search_rare_by_name", "/directory/?q=ฮาลาล&sort=name&lang=th"),
        ("search_english_by_name", "/directory/?q=betta&sort=name&lang=en"),
        ("largest_cluster_page", f"/clusters/{largest}?lang=th"),
        ("members_by_position", f"/clusters/{largest}/members/upstream?lang=th"),
        ("firm_page", f"/firms/{ids['firm']}?lang=th"),
        ("request_board", "/requests/?lang=th"),
        ("request_board_cluster", f"/requests/?cluster={largest}&lang=th"),
        ("request_board_closing", "/requests/?sort=closing&lang=en"),
        # a word in every request's title (the bench's titles are "คำขอความร่วมมือ n"): 3,141 open of 200,000
        ("search_request_board_common_word", "/requests/?q=ความร่วมมือ&lang=th"),
        ("search_request_board_common_word_newest", "/requests/?q=ความร่วมมือ&sort=newest&lang=th"),
        # that word and a rare one (ปลากัด, which few requests have): the requests with both are few
        ("search_request_board_common_and_rare_word", "/requests/?q=ความร่วมมือ+ปลากัด&lang=th"),
        ("request_page", f"/requests/{ids['request']}?lang=th"),
        ("directory_page1_member", "/directory/?lang=th"),
        ("filter_cluster_position_member", f"/directory/?cluster={largest}&position=upstream&lang=th"),
        ("search_thai_member", "/directory/?q=ปลากัด&lang=th"),
        ("search_thai_by_name_member", "/directory/?q=ปลากัด&sort=name&lang=th"),
        ("search_request_board_common_word_newest_member", "/requests/?q=ความร่วมมือ&sort=newest&lang=th"),
        ("largest_cluster_page_member", f"/clusters/{largest}?lang=th"),
        ("request_board_member", "/requests/?lang=th"),
        ("firm_page_member", f"/firms/{ids['firm']}?lang=th"),
        ("request_page_member", f"/requests/{ids['request']}?lang=th"),
        ("dashboard_programme_2566", "/admin/results/dashboard?year=2566&lang=th"),
        ("dashboard_cluster_2566", f"/admin/results/dashboard?year=2566&cluster={largest}&lang=th"),
        ("dashboard_coordinator_two_clusters_2566", "/admin/results/dashboard?year=2566&lang=th"),
        ("public_results_2566", "/results?year=2566&lang=th"),
        ("scorecard_table_2566", "/admin/scorecard/?year=2566&lang=th"),
        ("scorecard_cluster_2566", f"/admin/scorecard/{largest}?year=2566&lang=th"),
        ("network_map_2566", f"/admin/scorecard/{largest}/network?year=2566&lang=th"),
        ("followups_cluster", f"/followup/clusters/{largest}/?lang=th"),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--firms", type=int, default=100_000,
                        help="dataset size; memberships and requests follow (3 and 2 per firm) unless given")
    parser.add_argument("--clusters", type=int, default=30)
    parser.add_argument("--memberships", type=int, default=None, help="default: 3 per firm")
    parser.add_argument("--requests", type=int, default=None, help="default: 2 per firm")
    parser.add_argument("--meetings", type=int, default=None, help="matching-day meetings; default: 1 per 2 firms")
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--reuse", action="store_true", help="measure the database built by the last run")
    parser.add_argument("--only", default="", help="measure only the cases whose name contains this text "
                                                   "(--only 2566: the results pages)")
    args = parser.parse_args()
    args.memberships = 3 * args.firms if args.memberships is None else args.memberships
    args.requests = 2 * args.firms if args.requests is None else args.requests
    args.meetings = args.firms // 2 if args.meetings is None else args.meetings
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for backend in backends:
        if not args.reuse:
            print(f"# {backend}: {args.firms:,} firms, {args.clusters} clusters, {args.memberships:,} memberships, "
                  f"{args.requests:,} requests, about {args.meetings:,} meetings", flush=True)
        if args.reuse:
            url = existing_database(backend)
            app = make_app(url)
            with app.app_context():
                from flask_migrate import upgrade

                upgrade()  # a database built by an older version gets the new tables (and their data)
                largest = db.session.scalar(select(Cluster.slug).order_by(Cluster.id))
                from portal.collab.models import CollabRequest
                from portal.events.models import Meeting, MeetingRequest

                sizes = [db.session.scalar(select(func.count()).select_from(model))
                         for model in (Firm, Membership, CollabRequest, MeetingRequest, Meeting)]
                print(f"# {backend} (reused): {sizes[0]:,} firms, {sizes[1]:,} memberships, {sizes[2]:,} requests, "
                      f"{sizes[3]:,} meeting requests, {sizes[4]:,} meetings", flush=True)
                ensure_coordinator()
                ensure_member()
                ids = sample_ids()
        else:
            try:
                url = prepare_database(backend)
            except (subprocess.CalledProcessError, FileNotFoundError) as exc:
                print(f"# {backend} skipped: cannot create the benchmark database ({exc})", flush=True)
                continue
            app = make_app(url)
            with app.app_context():
                from flask_migrate import upgrade

                log("  migrating …")
                upgrade()
                started = time.perf_counter()
                with bulk_search_indexes():
                    largest = generate(args.firms, args.clusters, args.memberships, args.requests, args.meetings)
                ensure_member()
                ids = sample_ids()
                log(f"  dataset built in {time.perf_counter() - started:.0f} s")
        measure(app, [case for case in cases_for(largest, ids) if args.only in case[0]], args.runs)
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
