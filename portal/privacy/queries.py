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


def history_table(records) -> tuple[list, list]:
    """(header, rows) of a consent history for a download: times in UTC, ISO 8601."""
    from portal.i18n import gettext as _

    header = [_("When"), _("What"), _("Privacy notice version"), _("Firm"), _("Given or withdrawn"), _("How"),
              _("By"), _("Language")]
    rows = [[record.created_at.isoformat(), record.kind.value, record.version or "",
             record.firm.name if record.firm else "", _("Given") if record.granted else _("Withdrawn"),
             str(record.method.label), record.user.email if record.user else "", record.locale or ""]
            for record in records]
    return header, rows
