"""Deterministic demo data: about 200 firms across the clusters, from a seeded random generator.

The history runs from the programme's first year to *today*, so a newcomer sees a living portal: firms
joining in the fiscal year under way, requests posted in the last weeks and open within their rules.
The same seed and the same `now` give the same firms, names, positions and dates on every machine (tests
pass a fixed `now`). Loading is all-or-nothing and happens once: if any firm exists, nothing is generated.
"""
import random
from datetime import datetime, timedelta, timezone

import phonenumbers
from stdnum.th import pin

from portal.clusters.models import Cluster, Membership, MembershipPosition, MembershipStatus, Position
from portal.db import utcnow
from portal.extensions import db
from portal.firms.models import Firm, FirmSize, LegalForm, Province
from portal.seed.vocabulary import BRANDS, CLUSTER_TRADES, OFFERS, SEEKS
from portal.thai import be_year, fiscal_year, to_bangkok

DEFAULT_SEED = 2563
DEFAULT_FIRMS = 200
# A demo account that owns a few demo firms, so a developer can sign in and edit one.
DEMO_EMAIL = "owner@demo.example"
DEMO_PASSWORD = "clusterportal"  # nosec B105  # every demo account shares it; documented in the README
DEMO_STAFF = "staff@demo.example"
DEMO_COORDINATOR = "betta@demo.example"  # coordinates the Betta fish cluster for its association
# Demo history runs from the programme's first year (FY 2560 starts 1 Oct 2016) to the `now` of generate().
HISTORY_START = datetime(2016, 10, 1, tzinfo=timezone.utc)
RECENT_SHARE = 0.08  # of the firms, registered in the fiscal year under way (activity in the current year)
PENDING_WITHIN_DAYS = 21  # requests to join still waiting were made in the last three weeks

# Registry office prefixes of juristic numbers (0 + office code): Bangkok, Chiang Mai, Chon Buri, others.
REGISTRY_PREFIXES = ["0105", "0105", "0105", "0505", "0205", "0745", "0835", "0405"]
# Where SMEs of each cluster tend to be, by province code; anywhere else is possible too.
CLUSTER_PROVINCES = {
    "agritech": ["13", "14", "72", "60", "34", "30"],
    "betta": ["10", "73", "70", "74", "12", "11"],
    "health-retreatment": ["65", "50", "83", "84", "77"],
    "ornamental-plants": ["13", "12", "70", "50", "73"],
    "sport-economy": ["10", "20", "11", "40", "90"],
    "bcg-fashion": ["10", "50", "46", "47", "41", "55"],
    "coconut-pineapple-garlic": ["75", "77", "57", "58", "33", "84"],
    "cosplay": ["10", "12", "13", "20", "50"],
}
SIZE_WEIGHTS = [(FirmSize.MICRO, 55), (FirmSize.SMALL, 35), (FirmSize.MEDIUM, 10)]
FORM_WEIGHTS = [(LegalForm.JURISTIC_PERSON, 55), (LegalForm.COMMUNITY_ENTERPRISE, 20), (LegalForm.INDIVIDUAL, 25)]


def _weighted(rng, pairs):
    return rng.choices([value for value, _ in pairs], weights=[weight for _, weight in pairs])[0]


def _moment(rng, start, end):
    return start + timedelta(seconds=rng.randrange(int((end - start).total_seconds())))


def registration_number(rng) -> str:
    """A 13-digit juristic person number with a valid check digit (not a real company's)."""
    body = rng.choice(REGISTRY_PREFIXES) + "".join(str(rng.randrange(10)) for _ in range(8))
    return body + pin.calc_check_digit(body)


def _names(rng, legal_form, trade, brand, province):
    trade_th, trade_en = trade[0], trade[1]
    brand_th, brand_en = brand
    if legal_form is LegalForm.JURISTIC_PERSON:
        if rng.random() < 0.75:
            return f"บริษัท {trade_th}{brand_th} จำกัด", f"{brand_en} {trade_en} Co., Ltd."
        return f"ห้างหุ้นส่วนจำกัด {trade_th}{brand_th}", f"{brand_en} {trade_en} Limited Partnership"
    if legal_form is LegalForm.COMMUNITY_ENTERPRISE:
        return (
            f"วิสาหกิจชุมชน{trade_th}{province.name_th}",
            f"{province.name_en} {trade_en} Community Enterprise",
        )
    return f"{trade_th}{brand_th}", f"{brand_en} {trade_en}"


def _contact(rng, index, brand_en):
    handle = "".join(ch for ch in brand_en.lower() if ch.isalnum()) or "firm"
    while True:  # a Thai mobile number the portal's own phone check accepts (some 06… ranges are unassigned)
        phone = "+66" + rng.choice(["8", "9", "6"]) + "".join(str(rng.randrange(10)) for _ in range(8))
        if phonenumbers.is_valid_number(phonenumbers.parse(phone, "TH")):
            break
    return {
        "phone": phone,
        "email": f"contact{index:03d}@example.com",
        "line_id": f"@{handle}{index:03d}" if rng.random() < 0.8 else None,
        "website": f"https://{handle}{index:03d}.example.com" if rng.random() < 0.4 else None,
    }


def year_start(now: datetime) -> datetime:
    """The start of the fiscal year under way at `now` (1 October, Bangkok midnight), in UTC."""
    day = to_bangkok(now).date()
    start_year = day.year if day.month >= 10 else day.year - 1
    return datetime(start_year, 10, 1, tzinfo=timezone.utc) - timedelta(hours=7)


def generate(seed: int = DEFAULT_SEED, firms: int = DEFAULT_FIRMS, progress=None, now: datetime | None = None) -> dict:
    """Create demo firms and their memberships, dated up to `now` (default: the present); returns counts.
    The caller commits."""
    now = now or utcnow()
    rng = random.Random(seed)  # nosec B311  # made-up demo data, reproducible from the seed and `now`
    # The last firms registered in the year under way (at least the last month, just after 1 October).
    recent_from = min(year_start(now), now - timedelta(days=30))
    recent_after = firms - max(1, round(firms * RECENT_SHARE))
    clusters = list(db.session.scalars(db.select(Cluster).order_by(Cluster.slug)))
    provinces = list(db.session.scalars(db.select(Province).order_by(Province.code)))
    if not clusters or not provinces:
        raise RuntimeError("Load the reference data (provinces, clusters) before the demo firms.")
    by_code = {p.code: p for p in provinces}
    used_numbers: set[str] = set()
    counts = {"firms": 0, "memberships": 0, "positions": 0}

    for index in range(1, firms + 1):
        cluster = clusters[(index - 1) % len(clusters)] if index <= len(clusters) * 3 else rng.choice(clusters)
        position = rng.choice(list(Position))
        trade = rng.choice(CLUSTER_TRADES[cluster.slug][position.value])
        brand = rng.choice(BRANDS)
        if rng.random() < 0.7:
            province = by_code[rng.choice(CLUSTER_PROVINCES[cluster.slug])]
        else:
            province = rng.choice(provinces)
        legal_form = _weighted(rng, FORM_WEIGHTS)
        name_th, name_en = _names(rng, legal_form, trade, brand, province)
        founded = rng.randrange(1995, 2024)
        created_at = _moment(rng, recent_from if index > recent_after else HISTORY_START, now - timedelta(days=2))
        number = None
        if legal_form is LegalForm.JURISTIC_PERSON:
            number = registration_number(rng)
            while number in used_numbers:
                number = registration_number(rng)
            used_numbers.add(number)
        has_english = rng.random() < 0.45
        firm = Firm(
            name_th=name_th,
            name_en=name_en if has_english else None,
            legal_form=legal_form,
            registration_number=number,
            province=province,
            size=_weighted(rng, SIZE_WEIGHTS),
            founded_year=founded,
            description_th=(
                f"{trade[2]} ตั้งอยู่ที่จังหวัด{province.name_th} ดำเนินกิจการมาตั้งแต่ปี พ.ศ. {be_year(founded)}"
            ),
            description_en=(
                f"{trade[3]} Based in {province.name_en}, in business since {founded}." if has_english else None
            ),
            products_th=trade[0],
            products_en=trade[1] if has_english else None,
            public_listing_consent_at=created_at if rng.random() < 0.92 else None,
            verified_at=min(created_at + timedelta(days=rng.randrange(3, 60)), now) if rng.random() < 0.6 else None,
            created_at=created_at,
            updated_at=created_at,
            **_contact(rng, index, brand[1]),
        )
        if index % 97 == 0:  # a couple of listings hidden by moderation, to exercise the filters
            firm.hidden_at = min(created_at + timedelta(days=30), now)
            firm.hidden_reason = "Duplicate listing"
        db.session.add(firm)
        counts["firms"] += 1

        joined = [(cluster, position)]
        if rng.random() < 0.12:  # some firms are in a second cluster
            other = rng.choice([c for c in clusters if c is not cluster])
            joined.append((other, rng.choice(list(Position))))
        for member_cluster, first_position in joined:
            positions = {first_position}
            if rng.random() < 0.18:  # a breeder that also exports
                positions.add(rng.choice(list(Position)))
            counts["memberships"] += 1
            counts["positions"] += len(positions)
            db.session.add(_membership(rng, firm, member_cluster, positions, created_at, now))
        if progress and index % 50 == 0:
            progress(index, firms)
    db.session.flush()
    owned = db.session.scalars(db.select(Firm).order_by(Firm.id).limit(3)).all()
    staff = _demo_owner(owned, now)
    counts["requests"] = _demo_requests(rng, now)
    counts["event_registrations"] = _demo_event(rng, now, staff, owned[0])
    return counts


REQUEST_TEMPLATES = [
    # kind, position sought, Thai title, English title (or None)
    ("seeking_supplier", "upstream", "หาผู้เพาะพันธุ์ส่งของได้ต่อเนื่องทุกเดือน", "Looking for breeders with monthly supply"),
    ("seeking_buyers", "downstream", "หาผู้ซื้อรายใหญ่สำหรับผลผลิตฤดูนี้", "Seeking bulk buyers for this season's output"),
    ("joint_purchasing", None, "รวมกลุ่มสั่งซื้อบรรจุภัณฑ์เพื่อลดต้นทุน", "Joint purchase of packaging to cut costs"),
    ("shared_logistics", "midstream", "แชร์รถขนส่งเส้นทางภาคกลาง", None),
    ("trade_fair", None, "หาพันธมิตรร่วมบูธงานแสดงสินค้า", "Partners wanted to share a trade-fair booth"),
    ("joint_finance_application", None, "ร่วมยื่นขอสินเชื่อเพื่อปรับปรุงโรงเรือน", None),
    ("seeking_processor", "midstream", "หาผู้แปรรูปรับจ้างผลิตล็อตเล็ก", "Seeking a processor for small batches"),
    ("knowledge", None, "แลกเปลี่ยนความรู้การทำมาตรฐานส่งออก", "Sharing know-how on export standards"),
]


def _demo_requests(rng, now) -> int:
    """A few open collaboration requests from member firms, posted in the last weeks and open within the
    rules (a closing date after today, at most REQUEST_MAX_DAYS after posting), so the board has something
    to show and the results count requests in the year under way."""
    from flask import current_app

    from portal.clusters.models import Position
    from portal.collab.models import CollabRequest, Kind

    members = db.session.execute(
        db.select(Membership.firm_id, Membership.cluster_id).where(Membership.status == MembershipStatus.APPROVED)
        .order_by(Membership.id)
    ).all()
    made, longest = 0, current_app.config["REQUEST_MAX_DAYS"]
    for index in range(24):
        firm_id, cluster_id = members[rng.randrange(len(members))]
        kind, position, title_th, title_en = REQUEST_TEMPLATES[index % len(REQUEST_TEMPLATES)]
        posted = now - timedelta(days=index * 2 + 1, minutes=rng.randrange(600))
        posted_on = to_bangkok(posted).date()
        open_days = min(longest, rng.randrange(60, 181) if index % 6 else 366)
        db.session.add(CollabRequest(
            firm_id=firm_id, cluster_id=cluster_id if rng.random() < 0.8 else None, kind=Kind(kind),
            position_sought=Position(position) if position else None, title_th=title_th, title_en=title_en,
            details_th=f"{title_th} ติดต่อผ่านพอร์ทัลได้เลย", quantity=None,
            expires_on=posted_on + timedelta(days=open_days), fiscal_year=fiscal_year(posted),
            created_at=posted, updated_at=posted,
        ))
        made += 1
    db.session.flush()
    return made


def _demo_owner(firms_owned, now):
    from datetime import date

    from portal.auth.models import Role, User
    from portal.auth.passwords import hash_password
    from portal.clusters.models import CoordinatorTerm
    from portal.firms.models import FirmMember, FirmRole
    from portal.privacy.models import ConsentMethod
    from portal.privacy.services import accept_notice

    password_hash = hash_password(DEMO_PASSWORD)

    def account(email, name, locale="th", role=Role.MEMBER):
        user = User(email=email, password_hash=password_hash, name=name, locale=locale, role=role,
                    confirmed_at=now)
        db.session.add(user)
        db.session.flush()
        accept_notice(user, ConsentMethod.REGISTRATION, locale)  # as registering does
        return user

    owner = account(DEMO_EMAIL, "ผู้ประกอบการตัวอย่าง")
    for firm in firms_owned:
        db.session.add(FirmMember(firm_id=firm.id, user_id=owner.id, role=FirmRole.OWNER))
    staff = account(DEMO_STAFF, "เจ้าหน้าที่ สสว. ตัวอย่าง", role=Role.STAFF)
    coordinator = account(DEMO_COORDINATOR, "Betta coordinator", locale="en")
    betta = db.session.scalar(db.select(Cluster).filter_by(slug="betta"))
    first_year = year_start(now).year - 1  # a term that began two fiscal years ago and runs four more
    db.session.add(CoordinatorTerm(user_id=coordinator.id, cluster_id=betta.id, organisation_id=betta.association_id,
                                   starts_on=date(first_year, 10, 1), ends_on=date(first_year + 6, 9, 30),
                                   appointed_by_id=staff.id))
    return staff


def _demo_event(rng, now, staff, owner_firm) -> int:
    """An upcoming matching day open to every cluster, two weeks ahead: registration and booking open now,
    the demo owner's first firm and a few others registered with some of their slots, and two meeting
    requests (one waiting, one accepted). Returns the number of registrations."""
    from datetime import time

    from portal.events import services as events
    from portal.events.models import MeetingRequest, MeetingRequestStatus, Registration, RegistrationStatus

    today = to_bangkok(now).date()
    data = {"title_th": "วันจับคู่ธุรกิจคลัสเตอร์", "title_en": "Cluster business matching day",
            "description_th": "พบผู้ซื้อและพันธมิตรจากทุกคลัสเตอร์ นัดละ 20 นาที",
            "description_en": "Meet buyers and partners from every cluster, 20 minutes a meeting.",
            "venue": "ศูนย์การประชุมแห่งชาติสิริกิติ์ กรุงเทพฯ", "online_url": None,
            "registration_opens_on": today - timedelta(days=3), "registration_closes_on": today + timedelta(days=10),
            "booking_opens_on": today - timedelta(days=3), "booking_closes_on": today + timedelta(days=12),
            "meeting_minutes": 20, "max_meetings_per_firm": 6, "needs_approval": True}
    day = today + timedelta(days=14)
    event = events.create_event(staff, data, [], [events.SessionData(day, time(9, 0), 8),
                                                  events.SessionData(day, time(13, 0), 6)],
                                [str(n) for n in range(1, 11)])
    events.open_event(staff, event)
    others = db.session.scalars(db.select(Firm).where(Firm.id != owner_firm.id, Firm.hidden_at.is_(None))
                                .order_by(Firm.id).limit(7)).all()
    slots = event.slots
    registrations = []
    for firm in [owner_firm, *others]:
        available = sorted(rng.sample(range(len(slots)), rng.randrange(6, len(slots) + 1)))
        registration = Registration(event_id=event.id, firm_id=firm.id, attendees="คุณสมชาย ใจดี",
                                    offers=firm.products_th, seeks="ผู้ซื้อและผู้จัดจำหน่าย",
                                    status=RegistrationStatus.APPROVED, slots=[slots[i] for i in available],
                                    decided_at=now, decided_by_id=staff.id)
        db.session.add(registration)
        registrations.append(registration)
    registrations[-1].status, registrations[-1].decided_at, registrations[-1].decided_by_id = \
        RegistrationStatus.PENDING, None, None
    db.session.flush()
    for sender, receiver, status in ((1, 0, MeetingRequestStatus.PENDING), (0, 2, MeetingRequestStatus.ACCEPTED)):
        db.session.add(MeetingRequest(event_id=event.id, from_registration_id=registrations[sender].id,
                                      to_registration_id=registrations[receiver].id,
                                      reason="สนใจสินค้าของคุณ อยากคุยเรื่องการสั่งซื้อ", status=status,
                                      responded_at=now if status is MeetingRequestStatus.ACCEPTED else None))
    db.session.flush()
    return len(registrations)


def _membership(rng, firm, cluster, positions, since, now):
    roll = rng.random()
    status = (
        MembershipStatus.APPROVED if roll < 0.88
        else MembershipStatus.PENDING if roll < 0.95
        else MembershipStatus.DECLINED
    )
    requested = min(since + timedelta(days=rng.randrange(0, 20)), now - timedelta(days=1))
    if status is MembershipStatus.PENDING:  # a request still waiting was made lately, not years ago
        requested = max(since, now - timedelta(days=rng.randrange(1, PENDING_WITHIN_DAYS)))
    offers = rng.choice(OFFERS[sorted(positions, key=lambda p: p.value)[0].value])
    seeks = rng.choice(SEEKS[sorted(positions, key=lambda p: p.value)[0].value])
    membership = Membership(
        firm=firm,
        cluster=cluster,
        status=status,
        offers=offers[0],
        seeks=seeks[0],
        created_at=requested,
        updated_at=requested,
        positions=[MembershipPosition(position=p) for p in sorted(positions, key=lambda p: p.value)],
    )
    if status is not MembershipStatus.PENDING:
        membership.decided_at = min(requested + timedelta(days=rng.randrange(1, 30)), now)
        membership.updated_at = membership.decided_at
    if status is MembershipStatus.APPROVED:
        membership.fiscal_year = fiscal_year(membership.decided_at)
    if status is MembershipStatus.DECLINED:
        membership.decision_reason = "ข้อมูลกิจการยังไม่ครบถ้วน กรุณาเพิ่มรายละเอียดสินค้าแล้วยื่นใหม่"
    return membership
