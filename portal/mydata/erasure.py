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

from sqlalchemy import JSON, String, Text, cast, delete, func, or_, select, update

from portal import audit
from portal.auth.models import User
from portal.auth.services import unusable_password
from portal.db import utcnow
from portal.extensions import db

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


def _replace(value, old: str, new: str):
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, list):
        return [_replace(item, old, new) for item in value]
    if isinstance(value, dict):
        return {_replace(key, old, new): _replace(item, old, new) for key, item in value.items()}
    return value


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def scrub(old: str, new: str) -> int:
    """Replace `old` by `new` in every text and JSON column of every table; returns the rows changed."""
    changed = 0
    pattern = f"%{_escape_like(old)}%"
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if column.primary_key or column.foreign_keys:
                continue
            if isinstance(column.type, JSON):
                changed += _scrub_json(table, column, old, new, pattern)
            elif isinstance(column.type, (String, Text)) and not getattr(column.type, "enums", None):
                result = db.session.execute(update(table).where(column.like(pattern, escape="\\"))
                                            .values({column.name: func.replace(column, old, new)}))
                changed += result.rowcount or 0
    return changed


def _scrub_json(table, column, old, new, pattern) -> int:
    keys = list(table.primary_key.columns)
    # JSON text escapes non-ASCII, so a Thai name is looked for in Python, over the rows' JSON text too.
    probe = json.dumps(old)[1:-1]
    wanted = or_(cast(column, Text).like(pattern, escape="\\"),
                 cast(column, Text).like(f"%{_escape_like(probe)}%", escape="\\"))
    rows = db.session.execute(select(*keys, column).where(wanted)).all()
    for row in rows:
        db.session.execute(update(table).where(*(key == row[i] for i, key in enumerate(keys)))
                           .values({column.name: _replace(row[-1], old, new)}))
    return len(rows)


def erase(user: User) -> None:
    """Erase the account now (the job calls it when the grace period is over). Flush-only."""
    from portal.firms.models import FirmMember
    from portal.following.models import Follow, SavedSearch
    from portal.line.models import LineAccount
    from portal.mydata import export
    from portal.mydata.models import DataExport
    from portal.notifications.models import Notification, NotificationPreference
    from portal.outbox.models import OutboxMessage

    name = pseudonym(user)
    found = identifiers(user)
    for row in db.session.scalars(select(DataExport).where(DataExport.user_id == user.id)):
        path = export.path_of(row.file_name)
        if path is not None:
            path.unlink(missing_ok=True)
    db.session.execute(delete(OutboxMessage).where(or_(OutboxMessage.user_id == user.id,
                                                       OutboxMessage.recipient == user.email)))
    for model in (DataExport, Notification, NotificationPreference, Follow, SavedSearch, LineAccount, FirmMember):
        db.session.execute(delete(model).where(model.user_id == user.id))
    email = user.email
    user.name = name
    user.email = placeholder_email(user)
    user.password_hash = unusable_password()
    user.session_version = (user.session_version or 1) + 1
    user.erased_at = utcnow()
    user.last_login_at = None
    db.session.flush()
    for value in found:
        scrub(value, placeholder_email(user) if value == email else name)
    db.session.expire_all()
    audit.record(None, "user.erased", db.session.get(User, user.id))
    log.info("user %s erased", user.id)


def erase_due(now=None) -> int:
    """Every account whose grace period is over, one by one."""
    now = now or utcnow()
    ids = db.session.scalars(select(User.id).where(User.deletion_due_at <= now, User.erased_at.is_(None))).all()
    for user_id in ids:
        erase(db.session.get(User, user_id))
        db.session.flush()
    return len(ids)
