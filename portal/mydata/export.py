""""Download my data": what the ZIP holds, section by section, and building it (a worker does, never a request).

SECTIONS is a registry of (name, function(user) -> list of dicts): a feature adds its own section with
`register_section` (the consent records of portal.privacy, when it lands). The ZIP holds data.json (every
section) and one CSV per section; the CSVs are safe to open in Excel (portal/exports.py).
"""
import csv
import enum
import io
import json
import zipfile
from datetime import date, datetime
from decimal import Decimal
from typing import Callable

from sqlalchemy import or_, select

from portal.exports import safe_cell
from portal.extensions import db
from portal.media import services as media
from portal.media.models import EXPORT

# Columns never exported: secrets (hashes, tokens) and derived search keys, which only repeat other columns.
SKIPPED = {"password_hash", "session_version", "token_salt", "token_hash", "checkin_token", "search_text",
           "sort_th", "sort_en", "words_name", "words_products", "words_body", "version_id"}

SECTIONS: list[tuple[str, Callable]] = []


def register_section(name: str, rows: Callable) -> None:
    """Add a section: `rows(user)` returns a list of flat dicts (JSON-able after `plain`)."""
    SECTIONS.append((name, rows))


def plain(value):
    """A value as JSON and CSV can carry it."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    return value


def row_of(obj, **extra) -> dict:
    """Every column of a model instance but the SKIPPED ones, plus `extra`."""
    row = {c.key: plain(getattr(obj, c.key)) for c in obj.__mapper__.column_attrs if c.key not in SKIPPED}
    row.update({key: plain(value) for key, value in extra.items()})
    return row


def _all(model, *criteria, order=None) -> list[dict]:
    order = order if order is not None else model.id
    return [row_of(obj) for obj in db.session.scalars(select(model).where(*criteria).order_by(order))]


def _firm_ids(user) -> list[int]:
    from portal.firms.models import FirmMember

    return list(db.session.scalars(select(FirmMember.firm_id).where(FirmMember.user_id == user.id)))


# --- the sections ----------------------------------------------------------------------------------

def account(user) -> list[dict]:
    return [row_of(user)]


def firms(user) -> list[dict]:
    from portal.firms.models import Firm, FirmMember

    rows = db.session.execute(select(Firm, FirmMember.role).join(FirmMember, FirmMember.firm_id == Firm.id)
                              .where(FirmMember.user_id == user.id).order_by(Firm.id)).all()
    return [row_of(firm, my_role=role) for firm, role in rows]


def memberships(user) -> list[dict]:
    from portal.clusters.models import Membership

    return _all(Membership, Membership.firm_id.in_(_firm_ids(user)))


def requests(user) -> list[dict]:
    from portal.collab.models import CollabRequest

    return _all(CollabRequest, CollabRequest.created_by_id == user.id)


def responses(user) -> list[dict]:
    from portal.collab.models import Response

    return _all(Response, Response.created_by_id == user.id)


def messages(user) -> list[dict]:
    from portal.collab.models import Message

    return _all(Message, Message.user_id == user.id)


def notifications(user) -> list[dict]:
    from portal.notifications.models import Notification

    return _all(Notification, Notification.user_id == user.id)


def event_registrations(user) -> list[dict]:
    from portal.events.models import Registration

    return _all(Registration, Registration.registered_by_id == user.id)


def meeting_requests(user) -> list[dict]:
    from portal.events.models import MeetingRequest

    return _all(MeetingRequest, MeetingRequest.requested_by_id == user.id)


def followup_answers(user) -> list[dict]:
    from portal.followup.models import FollowUp

    return _all(FollowUp, FollowUp.firm_id.in_(_firm_ids(user)), FollowUp.answered_at.is_not(None))


def line_account(user) -> list[dict]:
    from portal.line.models import LineAccount

    return _all(LineAccount, LineAccount.user_id == user.id)


def follows(user) -> list[dict]:
    from portal.following.models import Follow

    return _all(Follow, Follow.user_id == user.id)


def saved_searches(user) -> list[dict]:
    from portal.following.models import SavedSearch

    return _all(SavedSearch, SavedSearch.user_id == user.id)


def audit_entries(user) -> list[dict]:
    from portal.audit import AuditEntry

    about = (AuditEntry.target_type == "users") & (AuditEntry.target_id == user.id)
    return _all(AuditEntry, or_(AuditEntry.actor_id == user.id, about))


def second_factors(user) -> list[dict]:
    """The account's second factors, without their secrets: the authenticator app, the recovery codes
    (how many, when used), passkeys (name, dates) and the browsers remembered for the second step."""
    from portal.twofactor.models import Passkey, RecoveryCode, RememberedDevice, TotpCredential

    rows = [{"kind": "authenticator_app", "created_at": plain(t.created_at), "confirmed_at": plain(t.confirmed_at)}
            for t in db.session.scalars(select(TotpCredential).where(TotpCredential.user_id == user.id))]
    rows += [{"kind": "recovery_code", "created_at": plain(r.created_at), "used_at": plain(r.used_at)}
             for r in db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)
                                         .order_by(RecoveryCode.id))]
    rows += [{"kind": "passkey", "name": p.name, "created_at": plain(p.created_at),
              "last_used_at": plain(p.last_used_at)}
             for p in db.session.scalars(select(Passkey).where(Passkey.user_id == user.id).order_by(Passkey.id))]
    rows += [{"kind": "remembered_browser", "created_at": plain(d.created_at), "expires_at": plain(d.expires_at)}
             for d in db.session.scalars(select(RememberedDevice).where(RememberedDevice.user_id == user.id)
                                         .order_by(RememberedDevice.id))]
    return rows


def device_sessions(user) -> list[dict]:
    """The devices the account signed in on (portal/devices), without their tokens."""
    from portal.devices.models import DeviceSession

    return [{"created_at": plain(d.created_at), "last_seen_at": plain(d.last_seen_at), "device": d.user_agent,
             "client_address": d.client_address, "remember": d.remember, "ended_at": plain(d.ended_at)}
            for d in db.session.scalars(select(DeviceSession).where(DeviceSession.user_id == user.id)
                                        .order_by(DeviceSession.id))]


def consents(user) -> list[dict]:
    """The consents on record: each firm's current consent to a public listing (PDPA, with its time), then
    the history portal.privacy keeps of this person: each notice version accepted, each listing consent
    they granted or withdrew for a firm (when, how, in which language)."""
    from portal.firms.models import Firm
    from portal.privacy.models import ConsentRecord

    found = db.session.execute(select(Firm.id, Firm.name_th, Firm.public_listing_consent_at)
                               .where(Firm.id.in_(_firm_ids(user))).order_by(Firm.id)).all()
    rows = [{"kind": "firm.public_listing", "firm_id": firm_id, "firm_name_th": name,
             "given_at": plain(given), "given": given is not None} for firm_id, name, given in found]
    history = db.session.execute(
        select(ConsentRecord.kind, ConsentRecord.version, ConsentRecord.firm_id, ConsentRecord.granted,
               ConsentRecord.method, ConsentRecord.locale, ConsentRecord.created_at)
        .where(ConsentRecord.user_id == user.id).order_by(ConsentRecord.created_at, ConsentRecord.id)).all()
    rows += [{"kind": f"history.{plain(kind)}", "version": version, "firm_id": firm_id, "given": granted,
              "method": plain(method), "locale": locale, "given_at": plain(at)}
             for kind, version, firm_id, granted, method, locale, at in history]
    return rows


for _name, _rows in (("account", account), ("firms", firms), ("memberships", memberships), ("requests", requests),
                     ("responses", responses), ("messages", messages), ("notifications", notifications),
                     ("event_registrations", event_registrations), ("meeting_requests", meeting_requests),
                     ("followup_answers", followup_answers), ("line_account", line_account), ("follows", follows),
                     ("saved_searches", saved_searches), ("audit_entries", audit_entries), ("consents", consents),
                     ("second_factors", second_factors), ("device_sessions", device_sessions)):
    register_section(_name, _rows)


# --- the file --------------------------------------------------------------------------------------

def collect(user) -> dict[str, list[dict]]:
    return {name: rows(user) for name, rows in SECTIONS}


def _csv(rows: list[dict]) -> str:
    columns: list[str] = []
    for row in rows:
        columns.extend(key for key in row if key not in columns)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([safe_cell(_cell(row.get(key))) for key in columns])
    return "\ufeff" + out.getvalue()  # the BOM: Excel then reads the Thai as UTF-8


def _cell(value):
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return "" if value is None else value


def zip_bytes(data: dict[str, list[dict]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True))
        for name, rows in data.items():
            archive.writestr(f"{name}.csv", _csv(rows))
    return buffer.getvalue()


def write(user) -> str:
    """Build the user's ZIP and keep it in the database (portal/media, purpose "export"), so that the web node
    the user downloads from need not be the worker's machine; returns its generated name. Flush-only."""
    return media.store(zip_bytes(collect(user)), "application/zip", "zip", purpose=EXPORT)


def read(file_name: str | None) -> bytes | None:
    """The ZIP of an export, or None when it is gone."""
    return media.read(file_name, EXPORT)


def remove(file_name: str | None) -> None:
    media.remove(file_name)
