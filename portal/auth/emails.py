"""The account e-mails. Each goes out in the recipient's language, after the view has committed."""
from flask import current_app
from flask_babel import lazy_gettext as _l

from portal.auth import services
from portal.links import absolute_url
from portal.mail import send_email


def _locale(user=None, fallback=None) -> str:
    return (user and user.locale) or fallback or current_app.config["BABEL_DEFAULT_LOCALE"]


def send_confirmation(user) -> None:
    locale = _locale(user)
    link = absolute_url("auth.confirm", token=services.confirmation_token(user), lang=locale)
    send_email(user.email, _l("Confirm your e-mail address"), "confirm", locale, user=user, link=link)


def send_already_registered(user) -> None:
    """Someone tried to register with an address that has an account: tell its owner, not the visitor."""
    locale = _locale(user)
    send_email(user.email, _l("You already have an account"), "already_registered", locale, user=user,
               login_link=absolute_url("auth.login", lang=locale),
               reset_link=absolute_url("auth.reset_request", lang=locale))


def send_reset(user) -> None:
    locale = _locale(user)
    link = absolute_url("auth.reset", token=services.reset_token(user), lang=locale)
    send_email(user.email, _l("Reset your password"), "reset", locale, user=user, link=link,
               hours=current_app.config["RESET_MAX_AGE"] // 3600)


def send_reset_unknown(email: str, locale: str) -> None:
    """A reset was asked for an address with no account: say so to that mailbox (and only there)."""
    send_email(email, _l("Password reset requested"), "reset_unknown", locale,
               register_link=absolute_url("auth.register", lang=locale))
