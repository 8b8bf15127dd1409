"""The second step of signing in, the enrolment gate for accounts that must have a second factor, and
re-authentication before sensitive changes.

After the password (or LINE) a user with a second factor is not signed in yet: the session holds a short
"pending" record (user id, session version, remember-me choice, where to go next, when) and the second-step
page finishes the sign-in with start_session. A browser remembered for 30 days skips the step: its cookie
carries a signed random token whose hash is stored (portal/twofactor/models.RememberedDevice).
"""
import time
from functools import wraps

from flask import current_app, flash, redirect, request, session, url_for
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer

from portal.auth.models import User
from portal.extensions import db
from portal.i18n import gettext as _
from portal.twofactor import services

PENDING = "twofactor_pending"
REAUTH_AT = "reauth_at"
DEVICE_COOKIE = "portal_2fa_device"


def _device_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="twofactor-device")


def device_token(user_id: int) -> str | None:
    """The remembered-device token this browser holds for this user, if any."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return None
    try:
        data = _device_serializer().loads(raw)
    except BadSignature:
        return None
    return data.get("t") if isinstance(data, dict) and data.get("u") == user_id else None


def set_device_cookie(response, user_id: int, token: str) -> None:
    config = current_app.config
    response.set_cookie(DEVICE_COOKIE, _device_serializer().dumps({"u": user_id, "t": token}),
                        max_age=config["TWO_FACTOR_REMEMBER_DAYS"] * 86400, httponly=True,
                        secure=config["SESSION_COOKIE_SECURE"], samesite="Lax")


def needs_second_step(user) -> bool:
    return services.has_second_factor(user) and not services.is_remembered(user, device_token(user.id))


def begin(user, remember: bool, next_url: str | None, via: str):
    """Password (or LINE) accepted: keep the pending state and ask for the second factor."""
    locale = session.get("locale")
    session.clear()  # nothing of an earlier visitor's session survives into the sign-in
    if locale:
        session["locale"] = locale
    session[PENDING] = {"uid": user.id, "sv": user.session_version, "remember": bool(remember),
                        "next": next_url, "at": int(time.time()), "via": via}
    return redirect(url_for("twofactor.verify"))


def pending_user() -> User | None:
    """The user half-way through signing in, while the pending state is fresh and still valid."""
    data = session.get(PENDING)
    if not isinstance(data, dict):
        return None
    if time.time() - data.get("at", 0) > current_app.config["TWO_FACTOR_PENDING_SECONDS"]:
        session.pop(PENDING, None)
        return None
    user = db.session.get(User, data.get("uid"))
    if user is None or user.session_version != data.get("sv") or user.is_suspended:
        session.pop(PENDING, None)
        return None
    return user


def finish(user):
    """The second factor is right: sign in for real. Returns (remember, next) from the pending state."""
    from portal.auth.views import start_session  # (auth.views imports this module)

    data = session.get(PENDING) or {}
    # A fresh session (the pending state goes with it), opened with how the first step was made.
    start_session(user, remember=data.get("remember", False), method=data.get("via") or "password")
    return data.get("next")


# --- re-authentication ----------------------------------------------------------------------------------

def is_recent() -> bool:
    """Signed in, or re-entered the password (and second factor), within REAUTH_MAX_AGE."""
    last = max(current_user.signed_in_at or 0, session.get(REAUTH_AT) or 0)
    return time.time() - last <= current_app.config["REAUTH_MAX_AGE"]


def mark_recent() -> None:
    session[REAUTH_AT] = int(time.time())


def recent_auth_required(view):
    """The view runs only after a recent sign-in; otherwise the user confirms who they are and comes back
    (to this page, or for a form sent from it, to the page that showed the form when it has one)."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        if current_user.is_authenticated and not is_recent():
            back = request.full_path.rstrip("?") if request.method == "GET" else (
                request.path if "GET" in request.url_rule.methods else url_for("twofactor.security"))
            flash(_("For your security, please confirm it is you before making this change."), "info")
            return redirect(url_for("twofactor.reauth", next=back))
        return view(*args, **kwargs)

    return wrapper
