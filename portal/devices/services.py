"""Opening, checking and ending device sessions. Services flush; the request commits."""
import hashlib
import re
import secrets
from datetime import timedelta

from flask import current_app, has_request_context, request
from sqlalchemy import delete, select, update

from portal import audit
from portal.db import utcnow
from portal.devices.models import DeviceSession
from portal.extensions import db
from portal.security_events import security_event

# Why a session ended (stored, shown to nobody but staff reading the table).
SIGNED_OUT, ENDED_BY_USER, EVERYWHERE, PASSWORD, SUSPENDED, EXPIRED, DELETION = (
    "signed_out", "ended_by_user", "everywhere", "password", "suspended", "expired", "deletion")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- the device, as people name it ------------------------------------------------------------------

_BROWSERS = (("Edg", "Edge"), ("OPR", "Opera"), ("SamsungBrowser", "Samsung Internet"), ("Line/", "LINE"),
             ("Firefox", "Firefox"), ("FxiOS", "Firefox"), ("CriOS", "Chrome"), ("Chrome", "Chrome"),
             ("Safari", "Safari"))
_SYSTEMS = (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Windows", "Windows"),
            ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))


def describe_user_agent(header: str | None) -> str:
    """"Firefox · Android" from a User-Agent header: the browser and the system, nothing finer (no
    versions: they change and say little to people). Unknown parts are left out; "" if nothing is known."""
    header = header or ""
    browser = next((name for key, name in _BROWSERS if key in header), None)
    system = next((name for key, name in _SYSTEMS if key in header), None)
    if browser and system:
        return f"{browser} · {system}"[:80]
    return re.sub(r"\s+", " ", browser or system or "")[:80]


# --- opening and checking ---------------------------------------------------------------------------

def open_session(user, remember: bool = False) -> str:
    """A new device session for `user`; returns the token for the cookies and keeps it on the user object
    (User.get_id puts it in the cookie)."""
    token = secrets.token_urlsafe(32)
    row = DeviceSession(user_id=user.id, token_hash=hash_token(token), remember=bool(remember))
    if has_request_context():
        row.user_agent = describe_user_agent(request.headers.get("User-Agent"))
        row.client_address = request.remote_addr
    db.session.add(row)
    db.session.flush()
    user.session_token = token
    return token


def current_of(user) -> DeviceSession | None:
    """The device session this request runs in (None if the user object came from elsewhere)."""
    token = getattr(user, "session_token", None)
    if not token:
        return None
    return db.session.scalar(select(DeviceSession).where(DeviceSession.token_hash == hash_token(token)))


def seen_interval() -> timedelta:
    return timedelta(seconds=current_app.config["DEVICE_SEEN_INTERVAL"])


def touch(session_id: int) -> None:
    """Last seen now; written at most once per DEVICE_SEEN_INTERVAL (a write per page view would cost)."""
    now = utcnow()
    db.session.execute(update(DeviceSession).where(DeviceSession.id == session_id,
                                                   DeviceSession.last_seen_at < now - seen_interval())
                       .values(last_seen_at=now))


# --- listing ----------------------------------------------------------------------------------------

def active_of(user, limit: int = 100) -> list[DeviceSession]:
    return list(db.session.scalars(select(DeviceSession).where(
        DeviceSession.user_id == user.id, DeviceSession.ended_at.is_(None))
        .order_by(DeviceSession.last_seen_at.desc(), DeviceSession.id.desc()).limit(limit)))


# --- ending -----------------------------------------------------------------------------------------

def _end(rows_filter, reason: str) -> int:
    result = db.session.execute(update(DeviceSession).where(rows_filter, DeviceSession.ended_at.is_(None))
                                .values(ended_at=utcnow(), ended_reason=reason)
                                .execution_options(synchronize_session="fetch"))
    return result.rowcount or 0


def end_current(user) -> None:
    """Sign out: this device only."""
    token = getattr(user, "session_token", None)
    if token:
        _end(DeviceSession.token_hash == hash_token(token), SIGNED_OUT)
    security_event("sign_out", user)


def end_one(user, row: DeviceSession) -> bool:
    """The user ends one of their sessions (permission checked by the caller). Returns True if it was the
    one this request runs in."""
    _end(DeviceSession.id == row.id, ENDED_BY_USER)
    is_current = getattr(user, "session_token", None) is not None and row.token_hash == hash_token(
        user.session_token)
    audit.record(user, "user.session_ended", user, session=row.id, device=row.user_agent or None)
    security_event("session.ended", user, session_id=row.id, current=is_current)
    return is_current


def end_all(user, reason: str, keep_current: bool = False) -> int:
    """End every session of the user (all but this one with keep_current), and bump session_version so
    that any cookie issued before device sessions existed stops too. Returns how many ended."""
    condition = DeviceSession.user_id == user.id
    token = getattr(user, "session_token", None)
    if keep_current and token:
        condition = condition & (DeviceSession.token_hash != hash_token(token))
    user.session_version = (user.session_version or 1) + 1
    return _end(condition, reason)


def sign_out_everywhere(user) -> int:
    ended = end_all(user, EVERYWHERE)
    audit.record(user, "user.signed_out_everywhere", user, sessions=ended)
    security_event("sign_out.everywhere", user, sessions=ended)
    return ended


# --- the daily clean-up -----------------------------------------------------------------------------

def expire_and_forget(now=None) -> tuple[int, int]:
    """End sessions past their lifetime (any sign-in after REMEMBER_COOKIE_DURATION, as the loader refuses
    them; one without remember-me unseen for PERMANENT_SESSION_LIFETIME) and delete sessions ended more
    than DEVICE_SESSION_RETENTION_DAYS ago. Returns (ended, removed)."""
    now = now or utcnow()
    config = current_app.config
    too_old = DeviceSession.created_at < now - timedelta(seconds=config["REMEMBER_COOKIE_DURATION"])
    idle = (DeviceSession.remember.is_(False)
            & (DeviceSession.last_seen_at < now - timedelta(seconds=_seconds(config["PERMANENT_SESSION_LIFETIME"]))))
    ended = _end(too_old | idle, EXPIRED)
    removed = db.session.execute(delete(DeviceSession).where(
        DeviceSession.ended_at < now - timedelta(days=config["DEVICE_SESSION_RETENTION_DAYS"]))).rowcount or 0
    return ended, removed


def _seconds(value) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
