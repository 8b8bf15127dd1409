"""The e-mail that tells a user their second factors changed (so a change they did not make is noticed)."""
from flask import current_app

from portal.auth.models import User
from portal.extensions import db
from portal.i18n import lazy_gettext as _l
from portal.links import absolute_url
from portal.outbox.services import Email, enqueue_email, register_email

CHANGES = {
    "totp_added": _l("An authenticator app was set up as a second factor for your account."),
    "totp_removed": _l("The authenticator app was removed from your account."),
    "passkey_added": _l("A passkey was added to your account."),
    "passkey_removed": _l("A passkey was removed from your account."),
    "recovery_regenerated": _l("New recovery codes were made for your account; the old ones no longer work."),
}


def send_changed(user, change: str) -> None:
    locale = user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    enqueue_email("twofactor.changed", user.email, locale, user_id=user.id, user=user.id, change=change)


def _render(context, locale):
    user = db.session.get(User, context.get("user"))
    if user is None or context.get("change") not in CHANGES:
        return None
    return Email(_l("Your sign-in security settings changed"), "twofactor_changed", {
        "user": user, "change": CHANGES[context["change"]],
        "link": absolute_url("twofactor.security", lang=locale)})


register_email("twofactor.changed", _render)
