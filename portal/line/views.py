"""Sign in or register with LINE, link and unlink LINE in account settings (/line/...).

Every route answers 404 unless LINE Login is configured (LINE_LOGIN_CHANNEL_ID and _SECRET). Leaving for LINE
is a POST (with the CSRF token); what the round trip needs (state, nonce, PKCE verifier, and why we went) waits
in the signed session cookie and is taken out exactly once, when LINE sends the browser back.
"""
import logging
import time

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from portal.auth import emails
from portal.auth import services as auth_services
from portal.auth.views import show_check_email, start_session
from portal.db import unit_of_work
from portal.exceptions import PermissionDenied, RuleViolation
from portal.extensions import db, limiter
from portal.forms import ConfirmForm, place_error
from portal.i18n import current_locale
from portal.i18n import gettext as _
from portal.line import login, services
from portal.line.forms import LineRegisterForm
from portal.permissions import can_link_line, can_sign_in_with_line, can_unlink_line, require
from portal.twofactor import flow as twofactor_flow
from portal.validators import is_safe_next

bp = Blueprint("line", __name__)
log = logging.getLogger(__name__)

PENDING = "line_pending"  # session key: the round trip to LINE under way
IDENTITY = "line_identity"  # session key: a verified LINE user finishing their registration
IDENTITY_MAX_AGE = 1800  # seconds to fill in the registration form after coming back from LINE


@bp.before_request
def _only_when_configured():
    if not login.is_configured():
        abort(404)


@bp.app_context_processor
def _line_globals():
    return {"line_login_enabled": login.is_configured}


def _limit(name):
    return lambda: current_app.config[name]


def _leave_for_line(purpose: str, user_id: int | None = None, next_url: str | None = None):
    url, pending = login.begin(purpose, user_id)
    session[PENDING] = {**pending, "next": next_url if is_safe_next(next_url) else None}
    return redirect(url)


@bp.post("/login")
@limiter.limit(_limit("RATELIMIT_LOGIN"))
def start_login():
    """"Sign in with LINE" (also the way to register with LINE); `next` (a local path) is kept for after."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("auth.login"))
    return _leave_for_line("sign_in", next_url=request.form.get("next"))


@bp.post("/link")
@login_required
def start_link():
    """"Link LINE" in account settings: the same round trip, for the signed-in user."""
    require(can_link_line(current_user, services.link_of(current_user)))
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("auth.account"))
    return _leave_for_line("link", current_user.id)


@bp.get("/callback")
def callback():
    """Where LINE sends the browser back, with a code (or an error) and our state."""
    pending = session.pop(PENDING, None)
    purpose = pending.get("purpose") if isinstance(pending, dict) else None
    try:
        identity = login.finish(pending, request.args)
    except login.LineLoginError as exc:
        log.warning("LINE login refused: %s", exc)
        flash(_("You did not sign in with LINE.") if exc.cancelled
              else _("Signing in with LINE did not work. Please try again."), "warning")
        if current_user.is_authenticated:
            return redirect(url_for("auth.account"))
        return redirect(url_for("auth.login"))
    if purpose == "link":
        return _link(identity, pending)
    return _sign_in(identity, pending.get("next"))


def _sign_in(identity: login.LineIdentity, next_url: str | None = None):
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    user = services.user_for(identity)
    if user is None:
        return _start_registration(identity)
    if not can_sign_in_with_line(user):
        flash(_("This account is suspended. Please contact OSMEP staff."), "warning")
        return redirect(url_for("auth.login"))
    if twofactor_flow.needs_second_step(user):  # LINE stands for the password; the second factor still counts
        return twofactor_flow.begin(user, False, next_url if is_safe_next(next_url) else None, via="line")
    services.sign_in(user, identity)
    start_session(user, remember=False, method="line")
    db.session.commit()
    flash(_("Welcome, %(name)s.", name=user.name), "success")
    if is_safe_next(next_url):
        return redirect(next_url)
    endpoint, values = auth_services.landing_page(user)
    return redirect(url_for(endpoint, **values))


def _start_registration(identity: login.LineIdentity):
    """An unknown LINE user: a new account, unless LINE's e-mail address already has one (never taken over)."""
    if services.email_taken(identity.email):
        flash(_("An account with the e-mail address of your LINE account already exists. Sign in with its "
                "password, then link LINE in your account settings."), "warning")
        return redirect(url_for("auth.login"))
    session[IDENTITY] = {**identity.as_dict(), "at": int(time.time())}
    return redirect(url_for("line.register"))


def _held_identity() -> login.LineIdentity | None:
    held = session.get(IDENTITY)
    if not isinstance(held, dict) or not 0 <= time.time() - int(held.get("at") or 0) <= IDENTITY_MAX_AGE:
        return None
    return login.LineIdentity(held.get("line_user_id"), held.get("name") or "", held.get("email"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_limit("RATELIMIT_REGISTER"), methods=["POST"])
def register():
    """A verified LINE user chooses the name and the e-mail address of their new account."""
    if current_user.is_authenticated:
        return redirect(url_for("auth.account"))
    identity = _held_identity()
    if identity is None:
        flash(_("Please start again with the LINE button."), "info")
        return redirect(url_for("auth.login"))
    form = LineRegisterForm(data={"name": identity.name, "email": identity.email or ""})
    if form.validate_on_submit():
        try:
            with unit_of_work():
                user, created = services.register(identity, form.name.data, form.email.data, current_locale())
                # As for a sign-up with a password: the visitor sees the same page either way; the owner of
                # a taken address is told by e-mail (and can link LINE after signing in).
                (emails.send_confirmation if created else emails.send_already_registered)(user)
        except RuleViolation as exc:
            place_error(form, exc)
        else:
            session.pop(IDENTITY, None)
            return show_check_email(user.email if created else auth_services.normalise_email(form.email.data))
    return render_template("line/register.html", form=form)


def _link(identity: login.LineIdentity, pending: dict):
    if not current_user.is_authenticated or current_user.id != pending.get("user_id"):
        flash(_("Signing in with LINE did not work. Please try again."), "warning")
        return redirect(url_for("auth.login"))
    try:
        with unit_of_work():
            services.link(current_user, identity)
    except (RuleViolation, PermissionDenied) as exc:
        flash(str(exc) if isinstance(exc, RuleViolation) else _("You may not link LINE to this account."),
              "warning")
    else:
        flash(_("Your account is now linked to LINE. You can sign in with LINE."), "success")
    return redirect(url_for("auth.account"))


@bp.route("/unlink", methods=["GET", "POST"])
@login_required
def unlink():
    """GET asks (or explains why not: no password); POST unlinks."""
    own = services.link_of(current_user)
    if own is None:
        abort(404)
    form = ConfirmForm()
    if not current_user.has_password:
        if request.method == "POST":
            flash(str(services.NO_PASSWORD), "warning")
            return redirect(url_for("line.unlink"))
        return render_template("line/unlink.html", form=form, line_account=own)
    require(can_unlink_line(current_user, own))
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.unlink(current_user)
        except RuleViolation as exc:
            flash(str(exc), "warning")
        else:
            flash(_("LINE is no longer linked to your account."), "success")
        return redirect(url_for("auth.account"))
    return render_template("line/unlink.html", form=form, line_account=own)
