"""Sign up, confirm, sign in and out, reset and change the password, account settings, language."""
import logging

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import force_locale
from flask_login import current_user, login_required, login_user, logout_user

from portal.auth import emails, services, throttle
from portal.auth.forms import ChangePasswordForm, LoginForm, RegisterForm, ResetForm, ResetRequestForm, SettingsForm
from portal.db import unit_of_work
from portal.devices import services as devices
from portal.errors import too_many_requests
from portal.exceptions import RuleViolation
from portal.extensions import db, limiter
from portal.forms import ConfirmForm
from portal.i18n import current_locale
from portal.i18n import gettext as _
from portal.i18n import lazy_gettext as _l
from portal.security_events import email_fingerprint, security_event
from portal.twofactor import flow as twofactor_flow
from portal.validators import is_safe_next

bp = Blueprint("auth", __name__)
log = logging.getLogger(__name__)


def _limit(name):
    return lambda: current_app.config[name]


def _next_or(default: str) -> str:
    target = request.values.get("next")
    return target if is_safe_next(target) else default


def start_session(user, remember: bool, method: str = "password") -> None:
    """A fresh session on sign-in (no fixation), with its own device session (portal/devices); only the
    language choice carries over."""
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    services.stamp_sign_in(user)
    devices.open_session(user, remember=remember)
    login_user(user, remember=remember)
    services.record_sign_in(user)
    security_event("sign_in.succeeded", user, method=method, remember=bool(remember))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_limit("RATELIMIT_REGISTER"), methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("auth.account"))
    form = RegisterForm()
    if form.validate_on_submit():
        user, created = services.register(form.name.data, form.email.data, form.password.data, current_locale())
        # New or taken address, the visitor sees the same thing and is not signed in: only the owner of
        # the mailbox learns which it was. The e-mail is queued with the account, in one transaction.
        (emails.send_confirmation if created else emails.send_already_registered)(user)
        db.session.commit()
        return show_check_email(user.email if created else services.normalise_email(form.email.data))
    return render_template("auth/register.html", form=form)


def show_check_email(address: str, reset: bool = False):
    """Where to look next; the address travels in the session, not in the URL (and the logs)."""
    session["check_email"] = {"address": address, "reset": reset}
    return redirect(url_for("auth.check_email"))


@bp.get("/check-email")
def check_email():
    sent = session.get("check_email") or {}
    return render_template("auth/check_email.html", address=sent.get("address", ""), reset=sent.get("reset"))


@bp.get("/confirm/<token>")
def confirm(token):
    try:
        with unit_of_work():
            user = services.confirm_email(token)
    except RuleViolation as exc:
        flash(str(exc), "warning")
        return redirect(url_for("auth.account" if current_user.is_authenticated else "auth.login"))
    if current_user.is_authenticated and current_user.id == user.id:
        flash(_("Thank you: your e-mail address is confirmed."), "success")
        return redirect(url_for("firms.mine"))
    flash(_("Thank you: your e-mail address is confirmed. You can now sign in."), "success")
    return redirect(url_for("auth.login", next=url_for("firms.mine")))


@bp.post("/confirm/resend")
@login_required
@limiter.limit(_limit("RATELIMIT_RESET"))
def resend_confirmation():
    if ConfirmForm().validate_on_submit() and not current_user.is_confirmed:
        emails.send_confirmation(current_user)
        db.session.commit()
        flash(_("We are sending a new confirmation link to %(email)s.", email=current_user.email), "info")
    return redirect(url_for("auth.account"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_limit("RATELIMIT_LOGIN"), methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_next_or(url_for("main.index")))
    form = LoginForm()
    if form.validate_on_submit():
        address, email = request.remote_addr, services.normalise_email(form.email.data)
        wait = throttle.wait_seconds(address, email)
        if wait:
            security_event("sign_in.throttled", None, email_hash=email_fingerprint(email), wait_seconds=wait)
            return too_many_requests(wait)
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            wait = throttle.record_failure(address, email)
            security_event("sign_in.failed", None, logging.WARNING, email_hash=email_fingerprint(email))
            if wait:  # this failure set a wait: the important one, in the audit log too
                services.record_throttled(email, wait)
            db.session.commit()
            if wait:
                return too_many_requests(wait)
            # One answer for an unknown address and a wrong password.
            flash(_("The e-mail address or password is not correct."), "warning")
        elif user.is_suspended:
            flash(_("This account is suspended. Please contact OSMEP staff."), "warning")
        else:
            throttle.record_success(address, email)
            if twofactor_flow.needs_second_step(user):
                db.session.commit()
                return twofactor_flow.begin(user, form.remember.data, _next_or(None), via="password")
            start_session(user, remember=form.remember.data)
            db.session.commit()
            flash(_("Welcome, %(name)s.", name=user.name), "success")
            endpoint, values = services.landing_page(user)
            return redirect(_next_or(url_for(endpoint, **values)))
    return render_template("auth/login.html", form=form, next=_next_or(""))


@bp.post("/logout")
def logout():
    """Signing out ends this device's session only; "Sign out everywhere" (portal/devices) ends them all."""
    if ConfirmForm().validate_on_submit() and current_user.is_authenticated:
        devices.end_current(current_user)
        db.session.commit()
        forget_sign_in()
        flash(_("You have signed out on this device. You are still signed in on your other devices, if any."),
              "info")
    return redirect(url_for("main.index"))


def forget_sign_in() -> None:
    """Drop this browser's sign-in (both cookies); only the language choice stays."""
    logout_user()
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(_limit("RATELIMIT_RESET"), methods=["POST"])
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        user = services.get_by_email(form.email.data)
        # The same answer, and an e-mail either way, so nobody learns whether the address has an account.
        if user is not None:
            emails.send_reset(user)
        else:
            emails.send_reset_unknown(services.normalise_email(form.email.data), current_locale())
        db.session.commit()
        return show_check_email(services.normalise_email(form.email.data), reset=True)
    return render_template("auth/reset_request.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_limit("RATELIMIT_RESET"), methods=["POST"])
def reset(token):
    try:
        services.user_for_reset_token(token)
    except RuleViolation as exc:
        flash(str(exc), "warning")
        return redirect(url_for("auth.reset_request"))
    form = ResetForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:  # whoever was signed in here, this browser starts afresh
            devices.end_current(current_user)
        user = services.reset_password(token, form.password.data)
        security_event("password.reset", user)
        db.session.commit()
        if current_user.is_authenticated:
            logout_user()
        flash(_("Your password has been changed and you have been signed out on all your devices. "
                "Please sign in with the new one."), "success")
        return redirect(url_for("auth.login", next=None))
    return render_template("auth/reset.html", form=form)


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    if request.method == "GET":
        form = SettingsForm(obj=current_user)
        form.email_setting.data = current_user.email_setting.value
    else:
        form = SettingsForm()
    if form.validate_on_submit():
        services.update_settings(current_user, form.name.data, form.locale.data, form.email_setting.data,
                                 form.wants_request_digest.data)
        session["locale"] = form.locale.data
        db.session.commit()
        flash(_("Your settings have been saved."), "success")
        return redirect(url_for("auth.account"))
    from portal.line import login as line_login
    from portal.line import services as line_services

    line_account = line_services.link_of(current_user) if line_login.is_configured() else None
    return render_template("auth/account.html", form=form, confirm_form=ConfirmForm(), line_account=line_account)


@bp.route("/password", methods=["GET", "POST"])
@login_required
@twofactor_flow.recent_auth_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.change_password(current_user, form.current.data, form.password.data)
        except RuleViolation as exc:
            form.current.errors.append(str(exc))
        else:
            security_event("password.changed", current_user)
            login_user(current_user._get_current_object())  # this device stays signed in (new session version)
            flash(_("Your password has been changed. You have been signed out on your other devices."), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/password.html", form=form)


# Said in the language just chosen, a whole sentence for each (Thai word order differs).
EMAILS_FOLLOW = {
    "th": _l("Your e-mails will also come in Thai. Change this in your account settings."),
    "en": _l("Your e-mails will also come in English. Change this in your account settings."),
}


@bp.route("/lang/<code>", methods=["GET", "POST"])
def set_language(code):
    """The language switch. A GET (a plain link, which any site can make a browser follow) changes the
    language of this visit only; the stored preference, which e-mails follow, changes only by a POST with
    the form's CSRF token (the switch as signed-in users see it, or account settings)."""
    target = _next_or(url_for("main.index"))
    if code not in current_app.config["LANGUAGES"]:
        return redirect(target)
    session["locale"] = code
    if request.method == "POST" and current_user.is_authenticated and ConfirmForm().validate_on_submit():
        if current_user.locale != code:
            services.update_locale(current_user, code)
            db.session.commit()
            if code in EMAILS_FOLLOW:  # the switch changed more than the page: say so
                with force_locale(code):
                    flash(str(EMAILS_FOLLOW[code]), "info")
    return redirect(target, code=303 if request.method == "POST" else 302)
