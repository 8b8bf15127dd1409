"""The account e-mails. Each is written to the outbox in the caller's transaction and built by a worker
in the recipient's language, with links from PORTAL_BASE_URL."""
from flask import current_app

from portal.auth import services
from portal.auth.models import User
from portal.extensions import db
from portal.i18n import lazy_gettext as _l
from portal.links import absolute_url
from portal.outbox.services import Email, enqueue_email, register_email


def _locale(user=None, fallback=None) -> str:
    return (user and user.locale) or fallback or current_app.config["BABEL_DEFAULT_LOCALE"]


def send_confirmation(user) -> None:
    enqueue_email("auth.confirm", user.email, _locale(user), user_id=user.id, user=user.id)


def send_already_registered(user) -> None:
    """Someone tried to register with an address that has an account: tell its owner, not the visitor."""
    enqueue_email("auth.already_registered", user.email, _locale(user), user_id=user.id, user=user.id)


def send_reset(user) -> None:
    enqueue_email("auth.reset", user.email, _locale(user), user_id=user.id, user=user.id)


def send_reset_unknown(email: str, locale: str) -> None:
    """A reset was asked for an address with no account: say so to that mailbox (and only there)."""
    enqueue_email("auth.reset_unknown", email, locale)


def _user(context):
    return db.session.get(User, context.get("user"))


def _confirm(context, locale):
    user = _user(context)
    if user is None or user.is_confirmed:
        return None  # removed, or confirmed meanwhile: nothing to confirm
    link = absolute_url("auth.confirm", token=services.confirmation_token(user), lang=locale)
    return Email(_l("Confirm your e-mail address"), "confirm", {"user": user, "link": link})


def _already_registered(context, locale):
    user = _user(context)
    if user is None:
        return None
    return Email(_l("You already have an account"), "already_registered", {
        "user": user, "login_link": absolute_url("auth.login", lang=locale),
        "reset_link": absolute_url("auth.reset_request", lang=locale)})


def _reset(context, locale):
    user = _user(context)
    if user is None:
        return None
    # The token is made when the mail is built, so its hour of validity starts when it leaves.
    link = absolute_url("auth.reset", token=services.reset_token(user), lang=locale)
    return Email(_l("Reset your password"), "reset", {
        "user": user, "link": link, "hours": current_app.config["RESET_MAX_AGE"] // 3600})


def _reset_unknown(context, locale):
    return Email(_l("Password reset requested"), "reset_unknown",
                 {"register_link": absolute_url("auth.register", lang=locale)})


register_email("auth.confirm", _confirm)
register_email("auth.already_registered", _already_registered)
register_email("auth.reset", _reset)
register_email("auth.reset_unknown", _reset_unknown)
