"""View guards about the account itself."""
from functools import wraps

from flask import flash, redirect, url_for
from flask_login import current_user

from portal.i18n import gettext as _


def confirmed_required(view):
    """Signed-in users without a confirmed address are sent to their account page (to resend the link)."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        if current_user.is_authenticated and not current_user.is_confirmed:
            flash(_("Please confirm your e-mail address first: we have sent you a link."), "warning")
            return redirect(url_for("auth.account"))
        return view(*args, **kwargs)

    return wrapper
