"""The account's personal access tokens page: make one (shown once), see them, revoke one."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from portal.api import tokens
from portal.api.forms import TokenForm
from portal.db import unit_of_work, utcnow
from portal.exceptions import RuleViolation
from portal.forms import ConfirmForm, place_error
from portal.i18n import gettext as _
from portal.permissions import can_manage_api_tokens, require

bp = Blueprint("api_tokens", __name__)


def _page(form, new_token=None, status=200):
    return render_template("api/tokens.html", form=form, rows=tokens.tokens_of(current_user), now=utcnow(),
                           new_token=new_token, confirm=ConfirmForm()), status


@bp.get("/")
@login_required
def index():
    require(can_manage_api_tokens(current_user))
    return _page(TokenForm())


@bp.post("/")
@login_required
def create():
    require(can_manage_api_tokens(current_user))
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(form, status=422)
    try:
        with unit_of_work():
            _token, raw = tokens.create_token(current_user, form.name.data, form.scope.data == "write",
                                              form.days.data)
    except RuleViolation as exc:
        place_error(form, exc)
        return _page(form, status=422)
    return _page(TokenForm(formdata=None), new_token=raw)


@bp.post("/<int:token_id>/revoke")
@login_required
def revoke(token_id):
    token = tokens.token_of(current_user, token_id)
    if token is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():  # (only the CSRF token can fail, refused before this)
        return redirect(url_for("api_tokens.index"))
    try:
        with unit_of_work():
            tokens.revoke_token(current_user, token)
    except RuleViolation as exc:
        flash(str(exc), "error")
        return redirect(url_for("api_tokens.index"))
    flash(_("The token is revoked: requests signed with it are refused from now on."), "success")
    return redirect(url_for("api_tokens.index"))
