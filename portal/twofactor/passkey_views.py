"""Passkey routes (on the twofactor blueprint): JSON for the browser's WebAuthn calls (static/passkeys.js),
forms for renaming and removing."""
import logging

from flask import flash, jsonify, redirect, request, url_for
from flask_login import current_user, login_required

from portal.auth import throttle
from portal.db import unit_of_work
from portal.errors import too_many_requests
from portal.exceptions import RuleViolation
from portal.extensions import db, limiter
from portal.forms import ConfirmForm
from portal.i18n import gettext as _
from portal.security_events import security_event
from portal.twofactor import flow, passkeys
from portal.twofactor.forms import PasskeyNameForm
from portal.twofactor.views import _limit, _throttle_key, bp, complete_sign_in, reauth_next


def _error(message, status=400):
    return jsonify(error=str(message)), status


def _reauth_needed():
    return jsonify(redirect=url_for("twofactor.reauth", next=url_for("twofactor.security"))), 401


@bp.post("/passkeys/options")
@login_required
def passkey_register_options():
    if not flow.is_recent():
        return _reauth_needed()
    try:
        options = passkeys.registration_options(current_user)
    except RuleViolation as exc:
        return _error(exc)
    return options, 200, {"Content-Type": "application/json"}


@bp.post("/passkeys")
@login_required
def passkey_register():
    if not flow.is_recent():
        return _reauth_needed()
    data = passkeys.parse(request.get_data())
    if data is None or not isinstance(data.get("credential"), dict):
        return _error(_("The passkey could not be added. Please try again."))
    try:
        with unit_of_work():
            passkeys.register(current_user, data["credential"], str(data.get("name") or ""))
    except RuleViolation as exc:
        return _error(exc)
    flash(_("Your passkey has been added."), "success")
    return jsonify(redirect=url_for("twofactor.security"))


@bp.post("/passkeys/<int:passkey_id>/rename")
@login_required
@flow.recent_auth_required
def passkey_rename(passkey_id):
    form = PasskeyNameForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                passkeys.rename(current_user, passkey_id, form.name.data)
        except RuleViolation as exc:
            flash(str(exc), "warning")
        else:
            flash(_("The passkey has been renamed."), "success")
    else:
        flash(_("Please give the passkey a name."), "warning")
    return redirect(url_for("twofactor.security"))


@bp.post("/passkeys/<int:passkey_id>/remove")
@login_required
@flow.recent_auth_required
def passkey_remove(passkey_id):
    if ConfirmForm().validate_on_submit():
        try:
            with unit_of_work():
                passkeys.remove(current_user, passkey_id)
        except RuleViolation as exc:
            flash(str(exc), "warning")
        else:
            flash(_("The passkey has been removed."), "success")
    return redirect(url_for("twofactor.security"))


@bp.post("/verify/passkey/options")
@limiter.limit(_limit)
def passkey_sign_in_options():
    user = flow.pending_user()
    if user is None:
        return jsonify(redirect=url_for("auth.login")), 401
    return passkeys.authentication_options(user), 200, {"Content-Type": "application/json"}


def _checked_passkey(user, step: str):
    """(the posted data, None) when the passkey answers for `user`; (None, a refusal) when throttled or
    wrong. The same throttle as codes at that step (per address and account); failures are logged."""
    address, key = request.remote_addr, _throttle_key(step, user)
    wait = throttle.wait_seconds(address, key)
    if wait:
        return None, too_many_requests(wait)
    data = passkeys.parse(request.get_data())
    if data is None or not isinstance(data.get("credential"), dict) or not passkeys.authenticate(
            user, data["credential"]):
        wait = throttle.record_failure(address, key)
        security_event("two_factor.failed", user, logging.WARNING, step=step, factor="passkey",
                       throttled=bool(wait))
        db.session.commit()
        return None, _error(_("The passkey did not work. Please try again or use a code."))
    throttle.record_success(address, key)
    return data, None


@bp.post("/verify/passkey")
@limiter.limit(_limit)
def passkey_sign_in():
    user = flow.pending_user()
    if user is None:
        return jsonify(redirect=url_for("auth.login")), 401
    data, refused = _checked_passkey(user, "second-step")
    if refused is not None:
        return refused
    next_url, token = complete_sign_in(user, bool(data.get("remember_device")))
    response = jsonify(redirect=next_url)
    if token:
        flow.set_device_cookie(response, user.id, token)
    return response


@bp.post("/confirm/passkey/options")
@login_required
@limiter.limit(_limit)
def passkey_reauth_options():
    return passkeys.authentication_options(current_user), 200, {"Content-Type": "application/json"}


@bp.post("/confirm/passkey")
@login_required
@limiter.limit(_limit)
def passkey_reauth():
    """Confirm it is you with a passkey; back to the page that asked."""
    _data, refused = _checked_passkey(current_user._get_current_object(), "reauth")
    if refused is not None:
        return refused
    flow.mark_recent()
    db.session.commit()
    return jsonify(redirect=reauth_next())
