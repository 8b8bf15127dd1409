"""Security events: one JSON line each on the "portal.security" logger, with the request id, the time, the
user and the client address, for whoever watches the logs (sign-ins, failures, sign-outs, password and
two-factor changes, throttling, refused actions). The important ones are also written to the audit log by
the services that cause them; this module only logs.

Personal data stays out: never a password, and a typed e-mail address only as a keyed hash
(`email_fingerprint`), the same for the same address, so repeated failures for one account can be followed.
"""
import hashlib
import hmac
import json
import logging

from flask import current_app, g, has_request_context, request

from portal.db import utcnow
from portal.metrics.instruments import count_security_event

log = logging.getLogger("portal.security")

# The names in use, so a log query knows what to look for. Two-factor (portal/twofactor): a factor added
# (enabled) or removed (disabled), new recovery codes (changed), a wrong code at the second step (failed),
# and confirming who one is before a sensitive change (reauth.*).
EVENTS = (
    "sign_in.succeeded", "sign_in.failed", "sign_in.throttled", "sign_out", "sign_out.everywhere",
    "session.ended", "password.changed", "password.reset", "permission.denied",
    "two_factor.enabled", "two_factor.disabled", "two_factor.changed", "two_factor.failed",
    "reauth.succeeded", "reauth.failed",
)


def email_fingerprint(email: str) -> str:
    """A keyed hash of a typed address (trimmed, lower case): not reversible without the SECRET_KEY."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, (email or "").strip().lower().encode(), hashlib.sha256).hexdigest()[:24]


def security_event(name: str, user=None, level: int = logging.INFO, **fields) -> dict:
    """Log one security event as a JSON line; returns what was logged. `user` defaults to the signed-in
    user; extra fields must be JSON-friendly and free of secrets."""
    record = {"event": name, "time": utcnow().isoformat(), "request_id": None, "user_id": None,
              "client_address": None}
    if has_request_context():
        record["request_id"] = g.get("request_id")
        record["client_address"] = request.remote_addr  # after ProxyFix: the client, not the proxy
        if user is None:
            user = _signed_in_user()
    user = user._get_current_object() if hasattr(user, "_get_current_object") else user
    record["user_id"] = getattr(user, "id", None)
    record.update(fields)
    log.log(level, json.dumps(record, ensure_ascii=False, default=str))
    count_security_event(name)  # sign-ins for /metrics
    return record


def _signed_in_user():
    from flask_login import current_user

    try:
        return current_user._get_current_object() if current_user.is_authenticated else None
    except Exception:  # noqa: BLE001  (a log line must never break the request)
        return None
