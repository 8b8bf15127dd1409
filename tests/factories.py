"""Small builders for test data. They add and flush; the test decides when to commit."""
import itertools
from datetime import datetime, timezone

from portal.clusters.models import Cluster, Membership, MembershipPosition, MembershipStatus, Position
from portal.extensions import db
from portal.firms.models import Firm, FirmSize, LegalForm, Province

_seq = itertools.count(1)
CONSENTED = datetime(2024, 1, 1, tzinfo=timezone.utc)


def province(code="10") -> Province:
    return db.session.scalar(db.select(Province).filter_by(code=code))


def cluster(slug="betta") -> Cluster:
    return db.session.scalar(db.select(Cluster).filter_by(slug=slug))


def firm(**values) -> Firm:
    n = next(_seq)
    defaults = dict(
        name_th=f"กิจการทดสอบ {n}",
        legal_form=LegalForm.INDIVIDUAL,
        size=FirmSize.MICRO,
        province=province(values.pop("province_code", "10")),
        public_listing_consent_at=CONSENTED,
    )
    defaults.update(values)
    obj = Firm(**defaults)
    db.session.add(obj)
    db.session.flush()
    return obj


def membership(firm_obj, cluster_obj, *positions, status=MembershipStatus.APPROVED) -> Membership:
    obj = Membership(
        firm=firm_obj,
        cluster=cluster_obj,
        status=status,
        positions=[MembershipPosition(position=p) for p in (positions or (Position.UPSTREAM,))],
        invited_at=CONSENTED if status is MembershipStatus.INVITED else None,
    )
    if status is MembershipStatus.APPROVED:  # as approving does: the fiscal year of the approval (now)
        from portal.db import utcnow
        from portal.thai import fiscal_year

        obj.decided_at = utcnow()
        obj.fiscal_year = fiscal_year(obj.decided_at)
    db.session.add(obj)
    db.session.flush()
    return obj


PASSWORD = "correct horse battery staple"
_hash_cache: dict[tuple, str] = {}


def _hash(password: str) -> str:
    # Hashing costs ~20 ms by design; the tests reuse one hash per password, and per hashing function: the fuzz
    # harness swaps in a cheap one while its module runs, and a hash kept from then was handed to later modules'
    # accounts (test_unknown_address_still_costs_a_password_hash failed when it ran after a fuzz module).
    from portal.auth.passwords import hash_password

    key = (hash_password, password)
    if key not in _hash_cache:
        _hash_cache[key] = hash_password(password)
    return _hash_cache[key]


def user(email=None, password=PASSWORD, confirmed=True, locale="th", role=None, suspended=False, name=None):
    from portal.auth.models import Role, User

    n = next(_seq)
    obj = User(
        email=(email or f"user{n}@example.com").lower(),
        password_hash=_hash(password),
        name=name or f"ผู้ใช้ {n}",
        locale=locale,
        role=role or Role.MEMBER,
        confirmed_at=CONSENTED if confirmed else None,
        suspended_at=CONSENTED if suspended else None,
    )
    db.session.add(obj)
    db.session.flush()
    accepted_notice(obj)
    return obj


def accepted_notice(user_obj, version=None, at=None):
    """The user accepted the privacy notice (the current version unless told): every factory user has, as
    registration records it, so pages open without the acceptance page in between."""
    from flask import current_app

    from portal.privacy.models import ConsentKind, ConsentMethod, ConsentRecord

    record = ConsentRecord(kind=ConsentKind.NOTICE, user_id=user_obj.id, granted=True,
                           version=version or current_app.config["PRIVACY_NOTICE_VERSION"],
                           method=ConsentMethod.REGISTRATION, locale=user_obj.locale, created_at=at or CONSENTED)
    db.session.add(record)
    db.session.flush()
    return record


def team_member(firm_obj, user_obj, role="owner"):
    from portal.firms.models import FirmMember, FirmRole

    member = FirmMember(firm_id=firm_obj.id, user_id=user_obj.id, role=FirmRole(role))
    db.session.add(member)
    db.session.flush()
    return member


def sign_in(client, email, password=PASSWORD, remember=False, **extra):
    data = {"email": email, "password": password, **extra}
    if remember:
        data["remember"] = "y"
    return client.post("/auth/login", data=data)


def term(user_obj, cluster_obj, starts_on=None, ends_on=None, organisation_id=None):
    """A coordinator term covering today unless dates are given."""
    from datetime import timedelta

    from portal.clusters.models import CoordinatorTerm
    from portal.thai import bangkok_today

    today = bangkok_today()
    obj = CoordinatorTerm(
        user_id=user_obj.id, cluster_id=cluster_obj.id,
        organisation_id=organisation_id or cluster_obj.agency_id or cluster_obj.association_id,
        starts_on=starts_on or today - timedelta(days=30), ends_on=ends_on or today + timedelta(days=365),
    )
    db.session.add(obj)
    db.session.flush()
    return obj
