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
    )
    db.session.add(obj)
    db.session.flush()
    return obj
