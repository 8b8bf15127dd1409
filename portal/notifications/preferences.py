"""Per kind of notification, the channels a user wants it on: e-mail, LINE, both or neither.

No row means the defaults: e-mail as today (the user's e-mail setting, at once / daily / off, still says
when e-mail goes), and LINE on (it reaches the user only once they linked LINE and follow the Official
Account). The e-mail setting keeps governing e-mail timing; a kind turned off for e-mail is in no e-mail,
at once or in the daily digest.
"""
from functools import cache

from sqlalchemy import String, bindparam, select

from portal.extensions import db
from portal.notifications.models import NotificationPreference

EMAIL, LINE, BOTH, NONE = "email", "line", "both", "none"
CHOICES = (EMAIL, LINE, BOTH, NONE)


def to_choice(by_email: bool, by_line: bool) -> str:
    return {(True, True): BOTH, (True, False): EMAIL, (False, True): LINE, (False, False): NONE}[(by_email, by_line)]


def from_choice(choice: str) -> tuple[bool, bool]:
    """(by e-mail, by LINE) for a choice; ValueError for anything else."""
    if choice not in CHOICES:
        raise ValueError(f"not a notification channel choice: {choice!r}")
    return choice in (EMAIL, BOTH), choice in (LINE, BOTH)


def of_user(user) -> dict[str, tuple[bool, bool]]:
    """The user's stored choices by kind: (by e-mail, by LINE); kinds not listed have the defaults."""
    rows = db.session.execute(select(NotificationPreference.kind, NotificationPreference.by_email,
                                     NotificationPreference.by_line)
                              .where(NotificationPreference.user_id == user.id)).all()
    return {kind: (by_email, by_line) for kind, by_email, by_line in rows}


def for_kind(user_ids, kind: str) -> dict[int, tuple[bool, bool]]:
    """(by e-mail, by LINE) for `kind`, for each of these users (the defaults where nothing is stored)."""
    ids = list(user_ids)
    stored = dict(((user_id, (by_email, by_line)) for user_id, by_email, by_line in db.session.execute(
        _for_kind_statement(), {"ids": ids, "kind": kind}).all())) if ids else {}
    return {user_id: stored.get(user_id, (True, True)) for user_id in ids}


@cache
def _for_kind_statement():
    """for_kind's statement, built once (every notification asks it)."""
    return (select(NotificationPreference.user_id, NotificationPreference.by_email, NotificationPreference.by_line)
            .where(NotificationPreference.user_id.in_(bindparam("ids", expanding=True)),
                   NotificationPreference.kind == bindparam("kind", type_=String)))


def save(user, choices: dict[str, str], line_offered: bool) -> int:
    """Store the user's choice for each kind given. Where LINE was not offered (not configured, not linked)
    the choice says e-mail or none, and the LINE half already stored (or the default) is kept. Flush-only.
    Returns how many kinds changed.

    :raises ValueError: a kind not registered, or a choice that is not one of CHOICES."""
    from portal.notifications.services import choosable

    kinds = choosable()
    for kind, choice in choices.items():
        if kind not in kinds:
            raise ValueError(f"unknown notification kind {kind}")
        by_email, by_line = from_choice(choice)
        if not line_offered and by_line:
            raise ValueError("LINE was not offered")
    stored = {row.kind: row for row in db.session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id == user.id)).all()}
    changed = 0
    for kind, choice in choices.items():
        by_email, by_line = from_choice(choice)
        row = stored.get(kind)
        if not line_offered:
            by_line = row.by_line if row is not None else True
        if row is None:
            if (by_email, by_line) == (True, True):
                continue  # the defaults: no row needed
            db.session.add(NotificationPreference(user_id=user.id, kind=kind, by_email=by_email, by_line=by_line))
            changed += 1
        elif (row.by_email, row.by_line) != (by_email, by_line):
            row.by_email, row.by_line = by_email, by_line
            changed += 1
    db.session.flush()
    return changed
