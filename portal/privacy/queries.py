"""Reading the consent history."""
from sqlalchemy import or_, select

from portal.extensions import db
from portal.firms.models import FirmMember
from portal.privacy.models import ConsentRecord

HISTORY_LIMIT = 500  # one person's history is short; this bounds a page of a pathological one


def history_of(user) -> list[ConsentRecord]:
    """What this person accepted, and the listing consents they gave or withdrew, or that changed on a firm of
    their team; newest first."""
    firm_ids = select(FirmMember.firm_id).where(FirmMember.user_id == user.id)
    query = (select(ConsentRecord)
             .where(or_(ConsentRecord.user_id == user.id, ConsentRecord.firm_id.in_(firm_ids)))
             .order_by(ConsentRecord.created_at.desc(), ConsentRecord.id.desc()).limit(HISTORY_LIMIT))
    return list(db.session.scalars(query))
