"""Sign-in throttling per (client address, account), with delays that grow instead of a long lockout.

A lockout per account lets anyone lock a known user out (21 wrong passwords from three addresses kept
the owner out for an hour, even with the right password from their own phone). Here the first
LOGIN_FREE_FAILURES wrong passwords from one address for one account cost nothing; each one after that
makes that address wait LOGIN_DELAY_BASE seconds, doubled every time, up to LOGIN_DELAY_MAX, before it
may try that account again. Another address (the owner's) is not affected, and a successful sign-in
clears the count. Unknown and known addresses are treated alike, so nothing is learned about accounts.
The per-address limit of the rate limiter (RATELIMIT_LOGIN) still caps guessing across accounts.
"""
import hashlib
import math
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError

from portal.auth.models import LoginThrottle
from portal.db import utcnow
from portal.extensions import db

FORGET_AFTER = timedelta(hours=24)  # a failure this old no longer counts


def _key(address: str | None, email: str) -> str:
    return hashlib.sha256(f"{address or '-'}|{email.strip().lower()}".encode()).hexdigest()


def delay_after(failures: int) -> int:
    """Seconds to wait after this many failures in a row."""
    config = current_app.config
    extra = failures - config["LOGIN_FREE_FAILURES"] - 1
    if extra < 0:
        return 0
    return min(config["LOGIN_DELAY_BASE"] * 2 ** min(extra, 30), config["LOGIN_DELAY_MAX"])


def wait_seconds(address: str | None, email: str, now=None) -> int:
    """How long this address must still wait before trying this account again (0: it may try now)."""
    now = now or utcnow()
    row = db.session.get(LoginThrottle, _key(address, email))
    if row is None or row.blocked_until is None or row.blocked_until <= now:
        return 0
    return max(1, math.ceil((row.blocked_until - now).total_seconds()))


def record_failure(address: str | None, email: str, now=None) -> int:
    """Count a wrong password; returns the seconds the address must now wait (0 while still free)."""
    now = now or utcnow()
    key = _key(address, email)
    row = db.session.get(LoginThrottle, key)
    if row is None:
        try:
            with db.session.begin_nested():
                db.session.add(LoginThrottle(key=key, failures=0, last_failure_at=now))
        except IntegrityError:  # the same pair failed at the same moment in another request
            pass
        row = db.session.get(LoginThrottle, key)
    elif now - row.last_failure_at > FORGET_AFTER:
        row.failures = 0
        db.session.flush()
    # One atomic increment, so simultaneous failures are all counted.
    db.session.execute(update(LoginThrottle).where(LoginThrottle.key == key)
                       .values(failures=LoginThrottle.failures + 1, last_failure_at=now))
    db.session.refresh(row)
    wait = delay_after(row.failures)
    row.blocked_until = now + timedelta(seconds=wait) if wait else None
    db.session.flush()
    return wait


def record_success(address: str | None, email: str) -> None:
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.key == _key(address, email)))

