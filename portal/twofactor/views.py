"""Two-factor sign-in: the second step, the account security page, TOTP set-up and removal, recovery codes,
remembered devices, and re-authentication. Passkey routes are in portal/twofactor/passkey_views.py (imported
at the end, on this blueprint)."""
import logging

import segno
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from portal.auth import services as auth_services
from portal.auth import throttle
from portal.db import unit_of_work
from portal.errors import too_many_requests
from portal.exceptions import RuleViolation
from portal.extensions import db, limiter
from portal.forms import ConfirmForm
from portal.i18n import gettext as _
from portal.permissions import must_use_two_factor
from portal.security_events import security_event
from portal.twofactor import flow, services
from portal.twofactor.forms import EnrolTotpForm, ReauthForm, SecondStepForm
from portal.validators import is_safe_next

bp = Blueprint("twofactor", __name__)


def _limit():
    return current_app.config["RATELIMIT_LOGIN"]


def _throttle_key(kind: str, user) -> str:
    return f"{kind}:{user.id}"


@bp.route("/verify", methods=["GET", "POST"])
@limiter.limit(_limit, methods=["POST"])
def verify():
    """The second step of signing in: a code from the app, a recovery code, or a passkey."""
    user = flow.pending_user()
    if user is None:
        if current_user.is_authenticated:
            return redirect(url_for("main.index"))
        flash(_("Please sign in again: the second step was not finished in time."), "info")
        return redirect(url_for("auth.login"))
    form = SecondStepForm()
    if form.validate_on_submit():
        address, key = request.remote_addr, _throttle_key("second-step", user)
        wait = throttle.wait_seconds(address, key)
        if wait:
            return too_many_requests(wait)
        if not services.check_code(user, form.code.data):
            wait = throttle.record_failure(address, key)
            security_event("two_factor.failed", user, logging.WARNING, step="sign_in", throttled=bool(wait))
            db.session.commit()
            if wait:
                return too_many_requests(wait)
            form.code.errors.append(_("That code is not correct, or it has been used already."))
        else:
            throttle.record_success(address, key)
            return _signed_in(user, form.remember_device.data)
    return render_template("twofactor/verify.html", form=form, user=user,
                           has_totp=services.totp_of(user) is not None,
                           has_passkeys=bool(services.passkeys_of(user)))


def complete_sign_in(user, remember_device: bool) -> tuple[str, str | None]:
    """Finish the sign-in (after a code or a passkey): a new session; returns where to go and the token of
    a newly remembered browser (for its cookie), if asked."""
    next_url = flow.finish(user)
    token = services.remember_device(user) if remember_device else None
    db.session.commit()
    flash(_("Welcome, %(name)s.", name=user.name), "success")
    if not is_safe_next(next_url):
        endpoint, values = auth_services.landing_page(user)
        next_url = url_for(endpoint, **values)
    return next_url, token


def _signed_in(user, remember_device: bool):
    next_url, token = complete_sign_in(user, remember_device)
    response = redirect(next_url)
    if token:
        flow.set_device_cookie(response, user.id, token)
    return response


@bp.get("")
@login_required
def security():
    totp = services.totp_of(current_user)
    return render_template(
        "twofactor/security.html", totp=totp, passkeys=services.passkeys_of(current_user),
        codes_left=services.recovery_codes_left(current_user) if services.has_second_factor(current_user) else None,
        remembered=services.remembered_count(current_user), required=must_use_two_factor(current_user),
        confirm_form=ConfirmForm())


@bp.route("/totp", methods=["GET", "POST"])
@login_required
@flow.recent_auth_required
def totp_setup():
    if services.totp_of(current_user) is not None:
        flash(_("An authenticator app is already set up. Remove it first to set up another."), "info")
        return redirect(url_for("twofactor.security"))
    form = EnrolTotpForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                codes = services.confirm_totp(current_user, form.code.data)
        except RuleViolation as exc:
            form.code.errors.append(str(exc))
        else:
            flash(_("Your authenticator app is set up. From now on you will be asked for a code when you sign in."),
                  "success")
            return render_template("twofactor/recovery_codes.html", codes=codes)
    if services.pending_secret(current_user) is None or request.method == "GET":
        with unit_of_work():
            services.start_totp(current_user)
    uri = services.provisioning_uri(current_user)
    svg = segno.make(uri, error="m").svg_inline(scale=4, border=4, dark="#000", light="#fff", svgclass="qr",
                                                 title=_("QR code for your authenticator app"))
    # segno's own path data and attributes; the otpauth URI (with the e-mail address) is encoded, not written.
    qr = Markup(svg)  # nosec B704
    return render_template("twofactor/totp_setup.html", form=form, qr=qr,
                           secret=services.pending_secret(current_user))


@bp.post("/totp/remove")
@login_required
@flow.recent_auth_required
def totp_remove():
    if ConfirmForm().validate_on_submit():
        with unit_of_work():
            services.remove_totp(current_user)
        flash(_("The authenticator app has been removed."), "success")
    return redirect(url_for("twofactor.security"))


@bp.post("/recovery-codes")
@login_required
@flow.recent_auth_required
def recovery_regenerate():
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("twofactor.security"))
    try:
        with unit_of_work():
            codes = services.regenerate_recovery_codes(current_user)
    except RuleViolation as exc:
        flash(str(exc), "warning")
        return redirect(url_for("twofactor.security"))
    return render_template("twofactor/recovery_codes.html", codes=codes)


@bp.post("/devices/forget")
@login_required
@flow.recent_auth_required
def devices_forget():
    if ConfirmForm().validate_on_submit():
        with unit_of_work():
            services.forget_devices(current_user)
        flash(_("No browser is remembered any more: each will ask for the second step at the next sign-in."),
              "success")
    return redirect(url_for("twofactor.security"))


def reauth_next() -> str:
    next_url = request.values.get("next")
    return next_url if is_safe_next(next_url) else url_for("twofactor.security")


@bp.route("/confirm", methods=["GET", "POST"])
@login_required
@limiter.limit(_limit, methods=["POST"])
def reauth():
    """Confirm it is you: the password, with a code when the account has a second factor, or a passkey alone
    (it is a factor of its own: the device and its lock). A LINE-only account: a code or a passkey."""
    next_url = reauth_next()
    user = current_user._get_current_object()
    has_factor = services.has_second_factor(user)
    form = ReauthForm()
    if form.validate_on_submit():
        address, key = request.remote_addr, _throttle_key("reauth", user)
        wait = throttle.wait_seconds(address, key)
        if wait:
            return too_many_requests(wait)
        if _reauth_ok(user, form, has_factor):
            security_event("reauth.succeeded", user)
            throttle.record_success(address, key)
            flow.mark_recent()
            db.session.commit()
            return redirect(next_url)
        wait = throttle.record_failure(address, key)
        security_event("reauth.failed", user, logging.WARNING, throttled=bool(wait))
        db.session.commit()
        if wait:
            return too_many_requests(wait)
        form.form_errors.append(_("That was not correct. Please try again."))
    return render_template("twofactor/reauth.html", form=form, next=next_url, has_factor=has_factor,
                           has_passkeys=bool(services.passkeys_of(user)), has_password=user.has_password)


def _reauth_ok(user, form, has_factor: bool) -> bool:
    if user.has_password:
        if auth_services.authenticate(user.email, form.password.data or "") is None:
            return False
        return not has_factor or services.check_code(user, form.code.data or "")
    return has_factor and services.check_code(user, form.code.data or "")


from portal.twofactor import passkey_views as _passkey_views  # noqa: E402,F401  (its routes, on bp)
