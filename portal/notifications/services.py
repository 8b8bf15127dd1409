"""The notification mechanism, for every feature: record an event for users, show it in the portal,
and e-mail it in each recipient's language according to their setting (at once, daily digest, off), and
send it as a LINE message to those who want it there and can be reached (portal/line/).

Features register their event kinds with `register_kind`; services call `notify` (flush-only), which
also writes the "at once" e-mails to the outbox in the same transaction: they go when it commits.
"""
import logging
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable

from flask import current_app, g, has_request_context
from flask_babel import force_locale
from sqlalchemy import event, exists, func, select, update

from portal.auth.models import EmailSetting, User
from portal.db import utcnow
from portal.extensions import db
from portal.i18n import lazy_gettext as _l
from portal.line import messaging as line
from portal.line.messages import LineText, register_line
from portal.notifications import preferences
from portal.notifications.models import Notification, NotificationPreference
from portal.outbox.services import Email, enqueue_email, register_email

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Kind:
    message: object  # a lazy string with %(name)s placeholders filled from the params
    link: Callable[[Notification], str]  # the page the notification leads to
    defaults: dict | None = None  # lazy strings for params that older notifications were recorded without
    # For alerts the user asked for (a follow, a saved search): notification -> the row its e-mail's
    # one-click "stop" link stops (portal/following), or None
    stop: Callable[[Notification], object] | None = None


KINDS: dict[str, Kind] = {}


def register_kind(name: str, message, link: Callable[[Notification], str], defaults: dict | None = None,
                  stop: Callable[[Notification], object] | None = None) -> None:
    KINDS[name] = Kind(message, link, defaults, stop)


# Messages a feature sends itself, not as a notification in the list (a follow-up question with its signed
# link), whose channels the user still chooses on the settings page like a notification's.
DIRECT_KINDS: set[str] = set()


def register_direct(name: str) -> None:
    DIRECT_KINDS.add(name)


def choosable() -> set[str]:
    """Every kind the notification settings page offers: the notifications and the direct messages."""
    return set(KINDS) | DIRECT_KINDS


def bilingual(obj, attribute="name") -> dict:
    """A name in both languages, for params, so each reader sees it in theirs."""
    return {"th": getattr(obj, f"{attribute}_th") or "", "en": getattr(obj, f"{attribute}_en") or ""}


def notify(users, kind: str, target, **params) -> list[Notification]:
    """Record `kind` about `target` for each user (once per user); queue the e-mail of those who want this
    kind by e-mail and chose e-mail at once, and the LINE message of those who want it on LINE and can be
    reached there (portal/notifications/preferences.py). Flush-only: nothing leaves before the caller commits."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind}")
    created = []
    recipients = {u.id: u for u in users if u is not None}.values()
    for user in recipients:
        notification = Notification(user_id=user.id, kind=kind, target_type=type(target).__tablename__,
                                    target_id=target.id, params=params)
        db.session.add(notification)
        created.append((user, notification))
    db.session.flush()
    now = utcnow()
    wanted = preferences.for_kind((user.id for user, _n in created), kind)
    on_line = line.reachable(user.id for user, _n in created)
    for user, notification in created:
        by_email, by_line = wanted[user.id]
        if user.is_suspended:
            continue
        if by_email and user.email_setting is EmailSetting.IMMEDIATE:
            enqueue_email("notifications.one", user.email, _locale(user), user_id=user.id,
                          notification=notification.id)
            notification.emailed_at = now  # handed to the outbox, which delivers or reports it
        if by_line and user.id in on_line:
            line.enqueue_line("notifications.line", on_line[user.id], _locale(user), user_id=user.id,
                              notification=notification.id)
    return [notification for _user, notification in created]


def _locale(user) -> str:
    return user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]


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
        for key, default in (kind.defaults or {}).items():
            if not values.get(key):
                values[key] = str(default)
        return str(kind.message) % values


def link(notification: Notification) -> str:
    kind = KINDS.get(notification.kind)
    return kind.link(notification) if kind else "/"


def send_digests(now=None) -> tuple[int, int]:
    """Daily digest: for users who chose it (and "at once" mails that failed), one e-mail with every
    notification not yet e-mailed. Returns (users mailed, notifications included)."""
    now = now or utcnow()
    pending = db.session.execute(
        select(Notification, User).join(User, User.id == Notification.user_id)
        .where(Notification.emailed_at.is_(None), Notification.read_at.is_(None),
               User.email_setting != EmailSetting.OFF, User.suspended_at.is_(None),
               ~exists().where(NotificationPreference.user_id == Notification.user_id,  # kinds not wanted by e-mail
                               NotificationPreference.kind == Notification.kind,
                               NotificationPreference.by_email.is_(False)))
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
        # Take the notifications with one conditional UPDATE: of two runs at once (two schedulers), the
        # second finds them taken and queues nothing, so each is in one digest only.
        taken = db.session.scalars(
            update(Notification).where(Notification.id.in_([n.id for n in notifications]),
                                       Notification.emailed_at.is_(None))
            .values(emailed_at=now).returning(Notification.id).execution_options(synchronize_session=False)).all()
        if not taken:
            db.session.rollback()
            continue
        enqueue_email("notifications.digest", user.email, _locale(user), user_id=user.id,
                      notifications=sorted(taken))
        user.last_digest_at = now
        db.session.commit()  # user by user: a run cut short has queued each digest once, or not at all
        mailed += 1
        included += len(taken)
    return mailed, included


def _render_one(context, locale):
    notification = db.session.get(Notification, context.get("notification"))
    if notification is None:
        return None
    user = db.session.get(User, notification.user_id)
    text = message(notification, locale)
    stop_url, headers = _stop_link(notification)
    return Email(_l("Cluster Portal: %(event)s", event=_short(text)), "notification",
                 {"user": user, "text": text, "link": _external(link(notification)), "stop_url": stop_url},
                 headers=headers)


def _stop_link(notification: Notification) -> tuple[str | None, dict]:
    """An alert's one-click stop link (RFC 8058: List-Unsubscribe with List-Unsubscribe-Post), signed, so
    it stops that follow or saved search without signing in; none for other notifications."""
    kind = KINDS.get(notification.kind)
    row = kind.stop(notification) if kind and kind.stop else None
    if row is None:
        return None, {}
    from portal.following.services import stop_token
    from portal.links import absolute_url

    url = absolute_url("following.stop", token=stop_token(row))
    return url, {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def _render_digest(context, locale):
    ids = context.get("notifications") or []
    notifications = db.session.scalars(select(Notification).where(Notification.id.in_(ids))
                                       .order_by(Notification.created_at, Notification.id)).all()
    if not notifications:
        return None
    user = db.session.get(User, notifications[0].user_id)
    items = [(message(n, locale), _external(link(n)), _stop_link(n)[0]) for n in notifications]
    return Email(_l("Cluster Portal: your daily summary"), "digest", {"user": user, "items": items})


def _render_line(context, locale):
    """The LINE message: the notification's sentence in the recipient's language, a button to its page, and
    for an alert the user asked for (a follow, a saved search) a second button that stops it."""
    notification = db.session.get(Notification, context.get("notification"))
    if notification is None:
        return None
    return LineText(message(notification, locale), _external(link(notification)),
                    stop_url=_stop_link(notification)[0])


def _line_fallback(row) -> bool:
    """LINE could not carry it (quota used up, unreachable): e-mail it at once instead, unless it was
    e-mailed already (the user wants both, at once) or its user is gone or suspended."""
    notification = db.session.get(Notification, (row.context or {}).get("notification"))
    user = db.session.get(User, row.user_id) if row.user_id else None
    if notification is None or user is None or user.is_suspended or notification.emailed_at is not None:
        return False
    enqueue_email("notifications.one", user.email, row.locale, user_id=user.id, notification=notification.id)
    notification.emailed_at = utcnow()
    return True


register_email("notifications.one", _render_one)
register_email("notifications.digest", _render_digest)
register_line("notifications.line", _render_line, _line_fallback)


def unread_column():
    """The signed-in user's unread notifications counted inside the query that loads the user
    (portal.auth.services.load_user), so the badge every signed-in page shows costs no query of its own."""
    return (select(func.count()).select_from(Notification)
            .where(Notification.user_id == User.id, Notification.read_at.is_(None))
            .correlate(User).scalar_subquery())


def remember_unread(user_id: int, count: int) -> None:
    """Keep the count read with the user for this request's badge."""
    if has_request_context():
        g._unread, g._unread_user = count, user_id


def forget_unread(*_args) -> None:
    """The request changed notifications: the badge counts again when the page is rendered."""
    if has_request_context():
        g.pop("_unread", None)


def _after_flush(session, _flush_context) -> None:
    if any(isinstance(obj, Notification) for obj in (*session.new, *session.dirty, *session.deleted)):
        forget_unread()


def init_app(app) -> None:
    """A flush that adds or changes notifications makes the badge count again."""
    if not event.contains(db.session, "after_flush", _after_flush):
        event.listen(db.session, "after_flush", _after_flush)


def unread_count(user) -> int:
    """The badge's number: the count read with the user if nothing changed since, else counted now."""
    if has_request_context() and "_unread" in g and getattr(g, "_unread_user", None) == user.id:
        return g._unread
    count = db.session.scalar(
        select(func.count()).select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )
    if has_request_context():
        g._unread, g._unread_user = count, user.id
    return count


def mark_read(user, notification: Notification | None = None) -> None:
    query = db.update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification is not None:
        query = query.where(Notification.id == notification.id)
    db.session.execute(query.values(read_at=utcnow()))
    forget_unread()


def _short(text: str, limit: int = 70) -> str:
    """A subject-length excerpt: spaces collapsed, then cut with "…" at the last space if one is near the
    end, else between two graphemes (never between a Thai consonant and its marks or vowels; Thai has no
    spaces between words, and without a dictionary a grapheme boundary is the best cut)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = limit - 1
    space = text.rfind(" ", 0, cut + 1)
    if space > cut * 2 // 3:
        return text[:space] + "…"
    while cut > 1 and _joins_previous(text[cut]):
        cut -= 1
    while cut > 1 and text[cut - 1] in _LEADING_VOWELS:
        cut -= 1  # เ แ โ ใ ไ are written before their consonant: never leave one at the end
    return text[:cut].rstrip() + "…"


_LEADING_VOWELS = "\u0e40\u0e41\u0e42\u0e43\u0e44"


def _joins_previous(ch: str) -> bool:
    """The character belongs to the grapheme before it: a combining mark, or Thai ำ / ๅ."""
    return unicodedata.category(ch) in ("Mn", "Mc", "Me") or ch in "\u0e33\u0e45"


def _external(path: str) -> str:
    """Links in e-mails and LINE messages start with the configured base URL, never the request's Host
    header. Outside a request (a worker) url_for already gives an absolute URL on that base: keep it."""
    from portal.links import absolute, base_url

    if path.startswith(base_url() + "/"):
        return path
    return absolute(path)
