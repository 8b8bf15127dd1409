"""Erasing an account whose grace period is over (a daily job: portal/jobs/periodic.py).

The users row stays, so that what others still need keeps its author (messages in partners' threads,
requests, audit entries); it becomes a pseudonym: "Former member 1234" (shown translated, User.display_name),
an e-mail address that cannot receive mail, no password, no LINE link. What only concerned the user goes:
notifications and their settings, follows, saved searches, exports, queued mail to them, their place in
firm teams. Then every text and JSON column of every table is swept for the user's identifiers (name,
e-mail address, LINE user id and name) and each occurrence is replaced by the pseudonym: audit details that
named the address, a notification's parameters, an invitation to the address, a name typed as an attendee.
"""
import json
import logging
import re
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import JSON, String, Text, cast, delete, func, or_, select, update

from portal import audit
from portal.auth.models import Role, User
from portal.auth.services import unusable_password
from portal.db import utcnow
from portal.extensions import db
from portal.search import vocabulary
from portal.search.text import WORD_COLUMNS
from portal.thai import bangkok_today

log = logging.getLogger(__name__)
MIN_NAME_LENGTH = 4  # a shorter name ("Ann") would match inside other words of other people's text


def pseudonym(user) -> str:
    return f"Former member {user.id}"


def placeholder_email(user) -> str:
    return f"erased-{user.id}@erased.invalid"  # .invalid: a reserved name, no mail can go there


def identifiers(user) -> list[str]:
    """What identifies the user in clear, longest first (an address before the name inside it)."""
    from portal.line.models import LineAccount

    found = {user.email}
    if user.name and len(user.name.strip()) >= MIN_NAME_LENGTH:
        found.add(user.name.strip())
    link = db.session.scalar(select(LineAccount).where(LineAccount.user_id == user.id))
    if link is not None:
        found.add(link.line_user_id)
        if link.display_name and len(link.display_name.strip()) >= MIN_NAME_LENGTH:
            found.add(link.display_name.strip())
    return sorted((value for value in found if value), key=len, reverse=True)


def matcher(value: str, whole: bool) -> re.Pattern:
    """Where `value` occurs: an e-mail address or LINE id (`whole`) only as a whole (bob@x.th is not inside
    jimbob@x.th), case-insensitively; a name wherever it stands (Thai has no spaces between words)."""
    if whole:
        return re.compile(r"(?<![\w.%+-])" + re.escape(value) + r"(?![\w-]|\.\w)", re.IGNORECASE)
    return re.compile(re.escape(value))


def _replace(value, found: re.Pattern, new: str):
    if isinstance(value, str):
        return found.sub(new, value)
    if isinstance(value, list):
        return [_replace(item, found, new) for item in value]
    if isinstance(value, dict):
        return {_replace(key, found, new): _replace(item, found, new) for key, item in value.items()}
    return value


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _searchable() -> dict:
    """{table name: (model, the columns derived from its others)}: firms' and requests' search text, words and sort
    keys, which the model derives again when a row is written through the ORM (portal.firms.models,
    portal.collab.models)."""
    from portal.collab.models import CollabRequest, request_search_fields
    from portal.firms.models import Firm, firm_search_fields

    return {Firm.__tablename__: (Firm, set(firm_search_fields({}))),
            CollabRequest.__tablename__: (CollabRequest, set(request_search_fields({})))}


def scrub(old: str, new: str, whole: bool = False, skip=("users",)) -> int:
    """Replace `old` by `new` in every text and JSON column of every table but `skip` (other accounts'
    names and addresses are theirs, and the user's own row is rewritten whole); returns the cells changed.
    Candidates are found in SQL (a case-blind LIKE), the replacement is made in Python (`matcher`).

    A firm's or a request's text is changed through the ORM, so that its search columns are derived again from
    the new text (they are not scrubbed themselves): its words hold the name cut into words (สมชาย → สม ชาย), which
    no search for the name as typed would find, yet a search for the name found the record by them. The words
    of the old text that no record uses any more leave the search vocabulary ("did you mean")."""
    found = matcher(old, whole)
    searchable = _searchable()
    changed, records = 0, {}
    for table in db.metadata.sorted_tables:
        keys = list(table.primary_key.columns)
        if table.name in skip or not keys:
            continue
        model, derived = searchable.get(table.name, (None, set()))
        for column in table.columns:
            if column.primary_key or column.foreign_keys or column.name in derived:
                continue
            if isinstance(column.type, JSON):
                # JSON text may escape non-ASCII ("\u0e2a"): look for both spellings.
                text = func.lower(cast(column, Text))
                probes = {old.lower(), json.dumps(old.lower())[1:-1]}
            elif isinstance(column.type, (String, Text)) and not getattr(column.type, "enums", None):
                text, probes = func.lower(column), {old.lower()}
            else:
                continue
            wanted = or_(*(text.like(f"%{_escape_like(probe)}%", escape="\\") for probe in probes))
            for row in db.session.execute(select(*keys, column).where(wanted)).all():
                value = _replace(row[-1], found, new)
                if value == row[-1]:
                    continue
                if model is not None:
                    record = db.session.get(model, row[0])
                    records.setdefault(record, _words_of(record))
                    setattr(record, model.__mapper__.get_property_by_column(column).key, value)
                else:
                    db.session.execute(update(table).where(*(key == row[i] for i, key in enumerate(keys)))
                                       .values({column.name: value}))
                changed += 1
    if records:
        db.session.flush()  # the records' search columns derived again
        vocabulary.forget_unused(db.session, set().union(*(before - _words_of(record)
                                                           for record, before in records.items())))
    return changed


def _words_of(record) -> set[str]:
    return vocabulary.record_words(*(getattr(record, column) for column in WORD_COLUMNS))


# SQLite's full-text indexes (search.sql): external content, so a record's old text leaves them only as a "delete"
# entry beside its old tokens, which stay in the index's pages until its segments are merged.
SQLITE_FTS_TABLES = ("firms_fts", "firms_words_fts", "collab_requests_fts", "collab_requests_words_fts")
_LEAVING = "erasure_leaving_no_trace"


@contextmanager
def leaving_no_trace():
    """Around an erasure on SQLite: what it overwrites and deletes is overwritten with zeros in the database file
    (`PRAGMA secure_delete`, for this connection while it lasts; Debian's SQLite has it on already), and then the
    full-text indexes are merged into one segment each ('optimize'), so that the old text's tokens, which a search
    no longer finds, are not kept in the file either (SQLite 3.40's FTS5 has no secure-delete of its own). The
    merge rewrites each index: 1.5 s at the bench's 100,000 firms, in the erasure's transaction, during which other
    writes wait. Nested, the outermost merges once (erase_due erases every account due, then merges). PostgreSQL
    keeps a row's old version until VACUUM reuses its space, as for any update; nothing is done here for it.
    Flush-only."""
    session = db.session
    if session.get_bind().dialect.name != "sqlite" or session.info.get(_LEAVING):
        yield
        return
    connection = session.connection()
    was = connection.exec_driver_sql("PRAGMA secure_delete").scalar()
    connection.exec_driver_sql("PRAGMA secure_delete = ON")
    session.info[_LEAVING] = True
    try:
        yield
        session.flush()
        for table in SQLITE_FTS_TABLES:  # names from code: a statement cannot bind a table's name
            connection.exec_driver_sql(f"INSERT INTO {table}({table}) VALUES ('optimize')")  # nosec B608
    finally:
        session.info.pop(_LEAVING, None)
    connection.exec_driver_sql(f"PRAGMA secure_delete = {int(was)}")  # on an error, left on: only slower deletes


def erase(user: User) -> None:
    """Erase the account now (the job calls it when the grace period is over). Flush-only."""
    with leaving_no_trace():
        _erase(user)


def _erase(user: User) -> None:
    from portal.devices.models import DeviceSession
    from portal.firms.models import FirmMember
    from portal.following.models import Follow, SavedSearch
    from portal.line.models import LineAccount
    from portal.mydata import export
    from portal.mydata.models import DataExport
    from portal.notifications.models import Notification, NotificationPreference
    from portal.outbox.models import OutboxMessage
    from portal.twofactor.models import Passkey, RecoveryCode, RememberedDevice, TotpCredential

    name = pseudonym(user)
    found = identifiers(user)
    link = db.session.scalar(select(LineAccount.line_user_id).where(LineAccount.user_id == user.id))
    for row in db.session.scalars(select(DataExport).where(DataExport.user_id == user.id)):
        export.remove(row.file_name)
    db.session.execute(delete(OutboxMessage).where(or_(OutboxMessage.user_id == user.id,
                                                       OutboxMessage.recipient == user.email)))
    for model in (DataExport, Notification, NotificationPreference, Follow, SavedSearch, LineAccount, FirmMember,
                  TotpCredential, RecoveryCode, Passkey, RememberedDevice,  # its second factors too
                  DeviceSession):  # and its devices (browser, address)
        db.session.execute(delete(model).where(model.user_id == user.id))
    _end_terms(user)
    email = user.email
    user.role = Role.MEMBER  # an erased account holds no office
    user.name = name
    user.email = placeholder_email(user)
    user.password_hash = unusable_password()
    user.session_version = (user.session_version or 1) + 1
    user.erased_at = utcnow()
    user.last_login_at = None
    db.session.flush()
    for value in found:
        scrub(value, placeholder_email(user) if value == email else name, whole=value in (email, link))
    db.session.expire_all()
    audit.record(None, "user.erased", db.session.get(User, user.id))
    log.info("user %s erased", user.id)


def _end_terms(user) -> None:
    """Coordinator terms end (as staff's end_term does: from today on they grant nothing), so no cluster's
    notifications are addressed to the erased account; the rows stay for the record."""
    from portal.clusters.models import CoordinatorTerm

    yesterday = bangkok_today() - timedelta(days=1)
    terms = db.session.scalars(select(CoordinatorTerm).where(CoordinatorTerm.user_id == user.id,
                                                             CoordinatorTerm.ends_on > yesterday)).all()
    for term in terms:
        term.ends_on = yesterday
        term.starts_on = min(term.starts_on, yesterday)
        audit.record(None, "coordinator.term_ended", term, reason="account erased")


def erase_due(now=None) -> int:
    """Every account whose grace period is over, one by one."""
    now = now or utcnow()
    ids = db.session.scalars(select(User.id).where(User.deletion_due_at <= now, User.erased_at.is_(None))).all()
    if ids:
        with leaving_no_trace():  # the indexes merged once for all of them
            for user_id in ids:
                erase(db.session.get(User, user_id))
                db.session.flush()
    return len(ids)
