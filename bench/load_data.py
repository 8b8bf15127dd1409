"""The dataset behind `make load` (bench/load.py): a fresh database per backend, migrated, with the
reference and demo data, then a few thousand synthetic firms with accounts that can act.

- members: one confirmed account per synthetic firm, owning it; the firm consented to a public
  listing and is an approved member of one cluster (so it may post and respond there);
- coordinators: a few per cluster, each with a CoordinatorTerm covering today;
- open collaboration requests for members to answer, and pending membership requests (a backlog
  per cluster) for coordinators to approve.

Everything is bulk-inserted (as bench/directory.py does); one password hash serves every account.
The accounts the load users sign in with are written to a JSON file for bench/locustfile.py.
"""
import json
import os
import random
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import func, insert, select, text

ROOT = Path(__file__).resolve().parent.parent
SEED = 2568
PASSWORD = "load-test-password"
EMAIL_DOMAIN = "load.example"
PG_DATABASE = "portal_load"
TITLES = [
    ("seeking_supplier", "หาผู้ผลิตส่งวัตถุดิบรายเดือน", "Monthly supplier wanted"),
    ("seeking_buyers", "หาผู้ซื้อผลผลิตล็อตใหญ่", "Buyers wanted for a large lot"),
    ("joint_purchasing", "รวมกลุ่มสั่งซื้อบรรจุภัณฑ์", "Joint purchase of packaging"),
    ("shared_logistics", "แชร์รถขนส่งเส้นทางภาคเหนือ", None),
    ("trade_fair", "หาพันธมิตรร่วมบูธงานแสดงสินค้า", "Partners for a trade-fair booth"),
    ("knowledge", "แลกเปลี่ยนความรู้มาตรฐานส่งออก", None),
]


def database_url(backend: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{ROOT / 'instance' / 'load' / 'load.db'}"
    host = os.environ.get("BENCH_PG_HOST", "127.0.0.1")
    return f"postgresql+psycopg://postgres@{host}:5432/{PG_DATABASE}"


def recreate_database(backend: str) -> str:
    """Drop and recreate the benchmark's own database; returns its URL."""
    if backend == "sqlite":
        path = ROOT / "instance" / "load" / "load.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        host = os.environ.get("BENCH_PG_HOST", "127.0.0.1")
        drop = f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)"  # a closing backend may linger
        subprocess.run(["psql", "-h", host, "-U", "postgres", "-qc", drop], check=True)
        subprocess.run(["createdb", "-h", host, "-U", "postgres", "-T", "template0", "-E", "UTF8",
                        "--locale=C.UTF-8", PG_DATABASE], check=True)
    return database_url(backend)


def build(url: str, firms: int, coordinators_per_cluster: int, pending_per_cluster: int,
          open_requests: int) -> dict:
    """Migrate and fill the database at `url`; returns the accounts for the load users."""
    from flask_migrate import upgrade

    from bench.directory import bulk_search_indexes, make_app
    from portal.extensions import db

    app = make_app(url)
    with app.app_context():
        upgrade()
        with bulk_search_indexes():
            accounts = _fill(firms, coordinators_per_cluster, pending_per_cluster, open_requests)
        # VACUUM on PostgreSQL: it merges what the load left in the search indexes' pending lists (an ANALYZE
        # does not), as autovacuum does in a live database; the searches under load then read none.
        statement = "VACUUM ANALYZE" if db.engine.dialect.name == "postgresql" else "ANALYZE"
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(statement))
        db.engine.dispose()
    return accounts


def _fill(firm_count, coordinators_per_cluster, pending_per_cluster, open_requests) -> dict:
    from portal.auth.passwords import hash_password
    from portal.clusters.models import Cluster
    from portal.extensions import db
    from portal.firms.models import Firm, Province
    from portal.search import vocabulary
    from portal.seed import demo
    from portal.seed.reference import load_clusters, load_provinces

    rng = random.Random(SEED)
    load_provinces()
    load_clusters()
    demo.generate()  # the 200 demo firms, their memberships, requests and demo accounts
    db.session.commit()
    clusters = list(db.session.scalars(select(Cluster).order_by(Cluster.id)))
    provinces = list(db.session.scalars(select(Province.id)))
    first_id = db.session.scalar(select(func.max(Firm.id))) + 1
    password_hash = hash_password(PASSWORD)
    now = datetime.now(timezone.utc)
    members = _firms_and_members(rng, first_id, firm_count, clusters, provinces, password_hash, now)
    _pending_memberships(rng, members, clusters, pending_per_cluster, now)
    _open_requests(rng, members, open_requests, now)
    _fix_sequences()
    coordinators = _coordinators(clusters, coordinators_per_cluster, password_hash, now)
    _notice_accepted(now)
    db.session.commit()
    vocabulary.rebuild(db.session)  # the bulk inserts above bypass the session that keeps it
    db.session.commit()
    return {
        "password": PASSWORD,
        "members": [{"email": m["email"], "firm_id": m["firm_id"], "cluster_id": m["cluster_id"],
                     "cluster": m["cluster"]} for m in members],
        "coordinators": coordinators,
        "clusters": [c.slug for c in clusters],
        "provinces": sorted(db.session.scalars(select(Province.code))),
    }


def _firms_and_members(rng, first_id, count, clusters, provinces, password_hash, now) -> list[dict]:
    """Firms, each an approved member of one cluster, owned by its own confirmed account."""
    from portal.auth.models import EmailSetting, Role, User
    from portal.clusters.models import Membership, MembershipPosition, MembershipStatus, Position
    from portal.extensions import db
    from portal.firms.models import Firm, FirmMember, FirmRole, FirmSize, LegalForm, firm_search_fields
    from portal.seed.vocabulary import BRANDS, CLUSTER_TRADES
    from portal.thai import fiscal_year

    firms, users, memberships, positions, owners, members = [], [], [], [], [], []
    first_user = (db.session.scalar(select(func.max(User.id))) or 0) + 1
    first_membership = db.session.scalar(select(func.max(Membership.id))) + 1
    settings = [EmailSetting.IMMEDIATE.value, EmailSetting.DAILY.value, EmailSetting.OFF.value]
    for n in range(count):
        firm_id, user_id, membership_id = first_id + n, first_user + n, first_membership + n
        cluster = clusters[n % len(clusters)]
        position = rng.choice(list(Position))
        trade = rng.choice(CLUSTER_TRADES[cluster.slug][position.value])
        brand = rng.choice(BRANDS)
        english = rng.random() < 0.5
        created = now - timedelta(days=rng.randrange(30, 2000))
        values = {"name_th": f"{trade[0]}{brand[0]} สาขา {n + 1}",
                  "name_en": f"{brand[1]} {trade[1]} branch {n + 1}" if english else None,
                  "description_th": trade[2], "description_en": trade[3] if english else None,
                  "products_th": trade[0], "products_en": trade[1] if english else None}
        values.update(firm_search_fields(values))
        values.update(id=firm_id, legal_form=LegalForm.INDIVIDUAL.value, province_id=rng.choice(provinces),
                      size=rng.choice(list(FirmSize)).value, public_listing_consent_at=created,
                      verified_at=created if rng.random() < 0.5 else None, created_at=created, updated_at=created)
        firms.append(values)
        email = f"member{n + 1}@{EMAIL_DOMAIN}"
        users.append({"id": user_id, "email": email, "password_hash": password_hash, "name": f"สมาชิก {n + 1}",
                      "locale": "en" if rng.random() < 0.3 else "th", "role": Role.MEMBER.value,
                      "confirmed_at": created, "email_setting": rng.choice(settings),
                      "created_at": created, "updated_at": created})
        owners.append({"firm_id": firm_id, "user_id": user_id, "role": FirmRole.OWNER.value,
                       "created_at": created, "updated_at": created})
        memberships.append({"id": membership_id, "firm_id": firm_id, "cluster_id": cluster.id,
                            "status": MembershipStatus.APPROVED.value, "decided_at": created,
                            "fiscal_year": fiscal_year(created), "created_at": created, "updated_at": created})
        positions.append({"membership_id": membership_id, "position": position.value})
        members.append({"email": email, "firm_id": firm_id, "cluster_id": cluster.id, "cluster": cluster.slug})
    for model, rows in ((Firm, firms), (User, users), (FirmMember, owners), (Membership, memberships),
                        (MembershipPosition, positions)):
        for start in range(0, len(rows), 2000):
            db.session.execute(insert(model.__table__), rows[start:start + 2000])
    return members


def _pending_memberships(rng, members, clusters, per_cluster, now) -> None:
    """A backlog of requests to join, from firms already in another cluster."""
    from portal.clusters.models import Membership, MembershipPosition, MembershipStatus, Position
    from portal.extensions import db

    next_id = db.session.scalar(select(func.max(Membership.id))) + 1
    rows, positions = [], []
    for cluster in clusters:
        others = [m for m in members if m["cluster_id"] != cluster.id]
        for member in rng.sample(others, min(per_cluster, len(others))):
            asked = now - timedelta(days=rng.randrange(1, 30))
            rows.append({"id": next_id, "firm_id": member["firm_id"], "cluster_id": cluster.id,
                         "status": MembershipStatus.PENDING.value, "offers": "สินค้าคุณภาพส่งได้ทุกเดือน",
                         "seeks": "หาคู่ค้าในคลัสเตอร์", "created_at": asked, "updated_at": asked})
            positions.append({"membership_id": next_id, "position": rng.choice(list(Position)).value})
            next_id += 1
    db.session.execute(insert(Membership.__table__), rows)
    db.session.execute(insert(MembershipPosition.__table__), positions)


def _open_requests(rng, members, count, now) -> None:
    from portal.collab.models import CollabRequest, request_search_fields
    from portal.extensions import db
    from portal.thai import fiscal_year

    rows = []
    for n in range(count):
        member = rng.choice(members)
        kind, title_th, title_en = rng.choice(TITLES)
        created = now - timedelta(days=rng.randrange(0, 40))
        title_th = f"{title_th} ({n + 1})"
        details = "รายละเอียดติดต่อผ่านพอร์ทัล"
        rows.append({"firm_id": member["firm_id"], "cluster_id": member["cluster_id"] if rng.random() < 0.85 else None,
                     "kind": kind, "title_th": title_th, "title_en": title_en, "details_th": details,
                     **request_search_fields({"title_th": title_th, "title_en": title_en, "details_th": details,
                                              "details_en": None, "quantity": None}),
                     "expires_on": (now + timedelta(days=rng.randrange(20, 60))).date(), "status": "open",
                     "fiscal_year": fiscal_year(created), "created_at": created, "updated_at": created})
    db.session.execute(insert(CollabRequest.__table__), rows)


def _coordinators(clusters, per_cluster, password_hash, now) -> list[dict]:
    from portal.auth.models import Role, User
    from portal.clusters.models import CoordinatorTerm
    from portal.extensions import db
    from portal.thai import bangkok_today

    today = bangkok_today()
    accounts = []
    for cluster in clusters:
        for k in range(1, per_cluster + 1):
            email = f"coordinator{k}.{cluster.slug}@{EMAIL_DOMAIN}"
            user = User(email=email, password_hash=password_hash, name=f"ผู้ประสานงาน {cluster.slug} {k}",
                        locale="th" if k % 2 else "en", role=Role.MEMBER, confirmed_at=now)
            db.session.add(user)
            db.session.flush()
            db.session.add(CoordinatorTerm(user_id=user.id, cluster_id=cluster.id,
                                           organisation_id=cluster.agency_id or cluster.association_id,
                                           starts_on=today - timedelta(days=60), ends_on=today + timedelta(days=300)))
            accounts.append({"email": email, "cluster": cluster.slug})
    db.session.flush()
    return accounts


def _notice_accepted(now) -> None:
    """Every account has accepted the current privacy notice, as every real one has by its first page
    (portal/privacy); without this each member's page was the gate's redirect to /privacy/accept."""
    from portal.auth.models import User
    from portal.extensions import db
    from portal.privacy.models import ConsentKind, ConsentMethod, ConsentRecord
    from portal.privacy.notice import current_version

    version = current_version()
    rows = [{"kind": ConsentKind.NOTICE, "user_id": user_id, "version": version, "granted": True,
             "method": ConsentMethod.REGISTRATION, "locale": "th", "created_at": now}
            for user_id in db.session.scalars(select(User.id))]
    for start in range(0, len(rows), 2000):
        db.session.execute(insert(ConsentRecord), rows[start:start + 2000])


def _fix_sequences() -> None:
    """Rows were inserted with explicit ids: move PostgreSQL's sequences past them."""
    from portal.extensions import db

    if db.engine.dialect.name != "postgresql":
        return
    for table in ("firms", "users", "memberships", "collab_requests"):
        db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                f"(SELECT max(id) FROM {table}))"))


def write_accounts(accounts: dict, path: Path) -> None:
    path.write_text(json.dumps(accounts, ensure_ascii=False), encoding="utf-8")
