"""Accounts: registration, sign-in, confirmation, password reset and change, sessions.

Services flush but never commit; the view commits once. They never send mail: the view sends it
after the commit, so no message goes out for a change that was rolled back.
"""
import hashlib
import logging
import secrets
import time
from functools import lru_cache

from flask import current_app, g
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import Date, Integer, String, bindparam, select

from portal import audit
from portal.auth import passwords
from portal.auth.models import UNUSABLE_PASSWORD_PREFIX, User
from portal.db import utcnow
from portal.exceptions import RuleViolation
from portal.extensions import db
from portal.i18n import lazy_gettext as _l
from portal.notifications.services import remember_unread, unread_column
from portal.thai import bangkok_today

log = logging.getLogger(__name__)

CONFIRM_SALT = "confirm-email"
RESET_SALT = "reset-password"


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def get_by_email(email: str) -> User | None:
    return db.session.scalar(db.select(User).where(User.email == normalise_email(email)))


def mail_locales(emails, fallback: str) -> dict[str, str]:
    """The language to write to each address in: the account's preference where the address has an
    account with one, else `fallback` (the caller's best guess for someone we do not know)."""
    normal = {email: normalise_email(email) for email in emails}
    supported = current_app.config["LANGUAGES"]
    known = dict(db.session.execute(
        db.select(User.email, User.locale).where(User.email.in_(set(normal.values())))).all()) if normal else {}
    return {email: known[key] if known.get(key) in supported else fallback for email, key in normal.items()}


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return passwords.hash_password("not-a-real-password-but-costs-the-same")


def unusable_password() -> str:
    """The password hash of an account without a password (made through LINE): no password matches it, and it
    differs per account, so a reset link's fingerprint does too. Setting a password (reset) replaces it."""
    return UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(24)


def now_seconds() -> int:
    return int(time.time())


@lru_cache(maxsize=2)
def _user_statement(with_generation: bool):
    """One query for the user, this device's session, the unread badge, the permission rules' facts about the
    user and the generation of kept pages (portal/pagecache.py; not while the database lacks its table): every
    signed-in page counts against its five, and a page kept signed in costs this one. Built once, with the
    user's id, the token's hash and today as parameters: building it took about as long as running it, on every
    signed-in request."""
    from portal import pagecache, permissions
    from portal.devices.models import DeviceSession

    generation = (pagecache.generation_column(),) if with_generation else ()
    return (select(User, DeviceSession.id, DeviceSession.ended_at, DeviceSession.last_seen_at, unread_column(),
                   *permissions.facts_columns(bindparam("today", type_=Date)), *generation)
            .outerjoin(DeviceSession, (DeviceSession.user_id == User.id)
                       & (DeviceSession.token_hash == bindparam("token_hash", type_=String)))
            .where(User.id == bindparam("ident", type_=Integer)))


def load_user(user_id: str) -> User | None:
    """Flask-Login's loader: the cookie holds "id:session_version:signed_in_at:token". An old version is
    signed out everywhere; a sign-in older than REMEMBER_COOKIE_DURATION is over, whatever the cookie's own
    expiry says (the browser keeps or drops a cookie as it likes; the server decides); a token whose device
    session has ended (signed out on this device, ended from the sessions page) is over too. The remember-me
    cookie carries the same id, so a restored sign-in is the same device session."""
    try:
        raw_id, raw_version, raw_time, token = user_id.split(":", 3)
        ident, version, signed_in_at = int(raw_id), int(raw_version), int(raw_time)
    except (ValueError, AttributeError):
        return None
    age = now_seconds() - signed_in_at
    if not token or not 0 <= age <= current_app.config["REMEMBER_COOKIE_DURATION"] + 60:
        return None
    from portal import pagecache, permissions  # (the rules import most models; loaded once the app is up)
    from portal.devices import services as devices

    today = bangkok_today()
    with_generation = pagecache.has_generation_table()
    row = db.session.execute(_user_statement(with_generation), {
        "ident": ident, "token_hash": devices.hash_token(token), "today": today}).first()
    if row is not None and with_generation:
        pagecache.remember_generation(row[7])
    user = row[0] if row else None
    if user is None or user.session_version != version or user.is_suspended:
        return None
    if row[1] is None or row[2] is not None:  # no such device session, or it has ended
        return None
    if row[3] is None or row[3] < utcnow() - devices.seen_interval():
        g.device_session_to_touch = row[1]  # written after the request (portal/devices/views.py)
    remember_unread(user.id, row[4])
    permissions.remember_facts(user, row[5], row[6], today)
    user.signed_in_at = signed_in_at
    user.session_token = token
    return user


def register(name: str, email: str, password: str, locale: str) -> tuple[User, bool]:
    """Create an unconfirmed account. Returns (user, created).

    If the address is taken, nothing is created and the existing user is returned with created=False;
    the caller answers exactly as for a new account (no enumeration) and mails the owner instead.
    The password is hashed either way, so both answers take the same time.
    """
    password_hash = passwords.hash_password(password)
    existing = get_by_email(email)
    if existing is not None:
        return existing, False
    user = User(name=name.strip(), email=normalise_email(email), password_hash=password_hash, locale=locale)
    db.session.add(user)
    db.session.flush()
    audit.record(user, "user.registered", user)
    accept_notice_at_registration(user, locale)
    log.info("user %s registered", user.id)
    return user, True


def accept_notice_at_registration(user: User, locale: str) -> None:
    """The registration form's privacy box (required) is the acceptance of the current notice."""
    from portal.privacy.models import ConsentMethod
    from portal.privacy.services import accept_notice

    accept_notice(user, ConsentMethod.REGISTRATION, locale)


def authenticate(email: str, password: str) -> User | None:
    """The user for these credentials, or None. Unknown addresses cost a hash check too. A hash made the old way
    (werkzeug's scrypt) is replaced by an Argon2id one while the password is at hand (portal.auth.passwords)."""
    user = get_by_email(email)
    if user is None or not user.has_password:  # no password (LINE only): the same answer, in the same time
        passwords.check_password(_dummy_hash(), password)
        return None
    if not passwords.check_password(user.password_hash, password):
        return None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
        log.info("user %s: password hash upgraded", user.id)
    return user


def record_sign_in(user: User) -> None:
    user.last_login_at = utcnow()


def record_throttled(email: str, wait: int) -> None:
    """Repeated wrong passwords reached the throttle: in the audit log, on the account if there is one
    (the address typed is kept only as a keyed hash)."""
    from portal.security_events import email_fingerprint

    audit.record(None, "sign_in.throttled", get_by_email(email), email_hash=email_fingerprint(email),
                 wait_seconds=wait)


def stamp_sign_in(user: User) -> None:
    """Before login_user: the cookies it writes carry this moment as the start of the sign-in."""
    user.signed_in_at = now_seconds()


def end_all_sessions(user: User, reason: str = "password") -> None:
    """Every signed cookie and remember-me cookie issued so far stops working, and every device session
    ends but the one this request runs in (a password change keeps this device signed in; a reset comes
    from an e-mail link, and the view signs that browser out too)."""
    from portal.devices import services as devices

    devices.end_all(user, reason, keep_current=True)


# --- e-mail confirmation ------------------------------------------------------------------------

def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def confirmation_token(user: User) -> str:
    return _serializer(CONFIRM_SALT).dumps({"id": user.id, "email": user.email})


def _token_user(salt: str, token: str, max_age: int, expired, invalid) -> tuple[User | None, dict]:
    """The user a signed token names, and its data. :raises RuleViolation: expired or tampered with."""
    try:
        data = _serializer(salt).loads(token, max_age=max_age)
    except SignatureExpired:
        raise RuleViolation(expired) from None
    except BadSignature:
        raise RuleViolation(invalid) from None
    if not isinstance(data, dict):
        raise RuleViolation(invalid)
    return db.session.get(User, data.get("id")), data


def confirm_email(token: str) -> User:
    """Mark the address in a valid, unexpired token as confirmed.

    :raises RuleViolation: expired, tampered with, or for an address the account no longer has.
    """
    user, data = _token_user(CONFIRM_SALT, token, current_app.config["CONFIRM_MAX_AGE"],
                             _l("This confirmation link has expired. Sign in to get a new one."),
                             _l("This confirmation link is not valid."))
    if user is None or user.email != data.get("email"):
        raise RuleViolation(_l("This confirmation link is not valid."))
    if not user.is_confirmed:
        user.confirmed_at = utcnow()
        audit.record(user, "user.confirmed", user)
    return user


# --- passwords ----------------------------------------------------------------------------------

def _password_fingerprint(user: User) -> str:
    """Changes whenever the password does, so a reset link works once."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def reset_token(user: User) -> str:
    return _serializer(RESET_SALT).dumps({"id": user.id, "pw": _password_fingerprint(user)})


def user_for_reset_token(token: str) -> User:
    """:raises RuleViolation: the link is expired, used, or not ours."""
    user, data = _token_user(RESET_SALT, token, current_app.config["RESET_MAX_AGE"],
                             _l("This password reset link has expired. Please ask for a new one."),
                             _l("This password reset link is not valid."))
    if user is None or data.get("pw") != _password_fingerprint(user):
        raise RuleViolation(_l("This password reset link has already been used or is not valid."))
    return user


def set_password(user: User, new_password: str, reason: str) -> None:
    """New password; every existing session and reset link stops working."""
    user.password_hash = passwords.hash_password(new_password)
    end_all_sessions(user)
    audit.record(user, "user.password_changed", user, reason=reason)


def reset_password(token: str, new_password: str) -> User:
    user = user_for_reset_token(token)
    set_password(user, new_password, reason="reset by e-mail")
    if not user.is_confirmed:  # they proved they read this mailbox
        user.confirmed_at = utcnow()
    return user


def change_password(user: User, current_password: str, new_password: str) -> None:
    """:raises RuleViolation: the current password is wrong."""
    if not passwords.check_password(user.password_hash, current_password):
        raise RuleViolation(_l("Your current password is not correct."))
    set_password(user, new_password, reason="changed in account settings")


def update_settings(user: User, name: str, locale: str, email_setting: str, wants_request_digest: bool = False) -> None:
    from portal.auth.models import EmailSetting

    user.name = name.strip()
    user.locale = locale
    user.email_setting = EmailSetting(email_setting)
    user.wants_request_digest = bool(wants_request_digest)


def update_locale(user: User, locale: str) -> None:
    """The language of the user's e-mails and, by default, of their pages."""
    if locale not in current_app.config["LANGUAGES"]:
        raise RuleViolation(_l("Choose Thai or English."))
    user.locale = locale


def landing_page(user: User) -> tuple[str, dict]:
    """Where a user lands after signing in, as (endpoint, values): OSMEP staff on the moderation queue; a
    coordinator with no firm on the management page of their cluster; everyone else on their firms."""
    from portal.clusters.models import Cluster
    from portal.firms.models import FirmMember
    from portal.permissions import active_cluster_ids

    if user.is_staff:
        return "moderation.queue", {}
    has_firm = db.session.scalar(select(FirmMember.firm_id).where(FirmMember.user_id == user.id).limit(1))
    clusters = active_cluster_ids(user) if has_firm is None else set()
    if clusters:
        slug = db.session.scalar(select(Cluster.slug).where(Cluster.id.in_(clusters)).order_by(Cluster.slug).limit(1))
        return "coordination.queue", {"slug": slug}
    return "firms.mine", {}
