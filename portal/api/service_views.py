"""Service tokens for OSMEP's systems (/admin/service-tokens/): administrators make one (shown once), see
each with its last use, and revoke it. What such a token may see and do: permissions.is_service_actor."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from portal.api import tokens
from portal.api.forms import ServiceTokenForm
from portal.db import unit_of_work, utcnow
from portal.exceptions import RuleViolation
from portal.forms import ConfirmForm, place_error
from portal.i18n import gettext as _
from portal.permissions import can_manage_service_tokens, require

bp = Blueprint("service_tokens", __name__)


def _page(form, new_token=None, status=200):
    return render_template("api/service_tokens.html", form=form, rows=tokens.service_tokens(), now=utcnow(),
                           new_token=new_token, confirm=ConfirmForm()), status


@bp.get("/")
@login_required
def index():
    require(can_manage_service_tokens(current_user))
    return _page(ServiceTokenForm())


@bp.post("/")
@login_required
def create():
    require(can_manage_service_tokens(current_user))
    form = ServiceTokenForm()
    if not form.validate_on_submit():
        return _page(form, status=422)
    try:
        with unit_of_work():
            _token, raw = tokens.create_service_token(current_user, form.name.data, form.scope.data == "write",
                                                      form.days.data, form.contact_email.data)
    except RuleViolation as exc:
        place_error(form, exc)
        return _page(form, status=422)
    return _page(ServiceTokenForm(formdata=None), new_token=raw)


@bp.post("/<int:token_id>/revoke")
@login_required
def revoke(token_id):
    require(can_manage_service_tokens(current_user))
    token = tokens.service_token(token_id)
    if token is None:
        abort(404)
    if ConfirmForm().validate_on_submit():  # (only the CSRF token can fail, refused before this)
        with unit_of_work():
            tokens.revoke_service_token(current_user, token)
        flash(_("The service token is revoked: requests signed with it are refused from now on."), "success")
    return redirect(url_for("service_tokens.index"))
