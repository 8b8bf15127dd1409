"""The notification mechanism, for every feature: record an event for users, show it in the portal,
and e-mail it in each recipient's language according to their setting (at once, daily digest, off).

Features register their event kinds with `register_kind`; services call `notify` (flush-only) and
views call `dispatch` after committing, which sends the "at once" e-mails.
"""
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable

from flask import current_app, g
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.auth.models import EmailSetting, User
from portal.db import utcnow
from portal.extensions import db
from portal.mail import MailError, send_email
from portal.notifications.models import Notification

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Kind:
    message: object  # a lazy string with %(name)s placeholders filled from the params
    link: Callable[[Notification], str]  # the page the notification leads to


KINDS: dict[str, Kind] = {}


def register_kind(name: str, message, link: Callable[[Notification], str]) -> None:
    KINDS[name] = Kind(message, link)


def bilingual(obj, attribute="name") -> dict:
    """A name in both languages, for params, so each reader sees it in theirs."""
    return {"th": getattr(obj, f"{attribute}_th") or "", "en": getattr(obj, f"{attribute}_en") or ""}


def notify(users, kind: str, target, **params) -> list[Notification]:
    """Record `kind` about `target` for each user (once per user). Flush-only; call dispatch() after commit."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind}")
    created = []
    for user in {u.id: u for u in users if u is not None}.values():
        notification = Notification(user_id=user.id, kind=kind, target_type=type(target).__tablename__,
                                    target_id=target.id, params=params)
        db.session.add(notification)
        created.append(notification)
    db.session.flush()
    g.setdefault("_notifications_to_send", []).extend(n.id for n in created)
    return created


def message(notification: Notification, locale: str) -> str:
    """The notification's sentence in `locale`, names in that language (or the other if missing)."""
    kind = KINDS.get(notification.kind)
    if kind is None:
        return notification.kind
    values = {}
    for key, value in (notification.params or {}).items():
        if isinstance(value, dict) and {"th", "en"} >= set(value):
            other = "th" if locale == "en" else "en"
            value = value.get(locale) or value.get(other) or ""
        values[key] = value if value is not None else ""
    with force_locale(locale):
        return str(kind.message) % values


def link(notification: Notification) -> str:
    kind = KINDS.get(notification.kind)
    return kind.link(notification) if kind else "/"


def dispatch() -> int:
    """After the commit: e-mail the notifications of this request to users who want them at once."""
    ids = g.pop("_notifications_to_send", [])
    if not ids:
        return 0
    rows = db.session.execute(
        select(Notification, User).join(User, User.id == Notification.user_id)
        .where(Notification.id.in_(ids), User.email_setting == EmailSetting.IMMEDIATE, User.suspended_at.is_(None))
    ).all()
    sent = 0
    for notification, user in rows:
        locale = user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
        text = message(notification, locale)
        try:
            send_email(user.email, _l("Cluster Portal: %(event)s", event=_short(text)), "notification", locale,
                       user=user, text=text, link=_external(link(notification)))
        except MailError:
            continue  # the daily digest command picks it up later
        notification.emailed_at = utcnow()
        sent += 1
    db.session.commit()
    return sent


def send_digests(now=None) -> tuple[int, int]:
    """Daily digest: for users who chose it (and "at once" mails that failed), one e-mail with every
    notification not yet e-mailed. Returns (users mailed, notifications included)."""
    now = now or utcnow()
    pending = db.session.execute(
        select(Notification, User).join(User, User.id == Notification.user_id)
        .where(Notification.emailed_at.is_(None), Notification.read_at.is_(None),
               User.email_setting != EmailSetting.OFF, User.suspended_at.is_(None))
        .order_by(User.id, Notification.created_at)
    ).all()
    by_user: dict[int, tuple[User, list[Notification]]] = {}
    for notification, user in pending:
        by_user.setdefault(user.id, (user, []))[1].append(notification)
    mailed = included = 0
    for user, notifications in by_user.values():
        if user.email_setting is EmailSetting.DAILY and user.last_digest_at and \
                now - user.last_digest_at < timedelta(hours=20):
            continue  # at most one digest a day
        locale = user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
        items = [(message(n, locale), _external(link(n))) for n in notifications]
        try:
            send_email(user.email, _l("Cluster Portal: your daily summary"), "digest", locale, user=user,
                       items=items)
        except MailError:
            continue
        for notification in notifications:
            notification.emailed_at = now
        user.last_digest_at = now
        db.session.commit()
        mailed += 1
        included += len(notifications)
    return mailed, included


def unread_count(user) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )


def mark_read(user, notification: Notification | None = None) -> None:
    query = db.update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification is not None:
        query = query.where(Notification.id == notification.id)
    db.session.execute(query.values(read_at=utcnow()))


def _short(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _external(path: str) -> str:
    """Links in e-mails start with the configured base URL, never the request's Host header."""
    from portal.links import absolute

    return absolute(path)
