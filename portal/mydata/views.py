"""/account/data: download my data; /account/delete: delete my account (explanation, firms, confirmation)."""
import io
import logging

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required, logout_user

from portal.db import unit_of_work
from portal.exceptions import PermissionDenied, RuleViolation
from portal.extensions import db
from portal.firms.queries import get_or_404 as get_firm_or_404
from portal.forms import ConfirmForm, place_error
from portal.i18n import gettext as _
from portal.mydata import export, services
from portal.mydata.forms import DeleteForm, HandOverForm
from portal.mydata.models import DataExport, ExportStatus
from portal.permissions import can_delete_account, can_download_export, can_request_export, require
from portal.twofactor import flow

bp = Blueprint("mydata", __name__)
log = logging.getLogger(__name__)

@bp.get("/data")
@login_required
def data():
    require(can_request_export(current_user))
    return render_template("mydata/data.html", exports=services.exports_of(current_user),
                           pending=services.pending_export(current_user), form=ConfirmForm(),
                           sections=[name for name, _rows in export.SECTIONS],
                           days=current_app.config["EXPORT_LINK_DAYS"])


@bp.post("/data/export", endpoint="export")
@login_required
def export_data():
    require(can_request_export(current_user))
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("mydata.data"))
    try:
        with unit_of_work():
            row = services.request_export(current_user)
    except RuleViolation as exc:
        flash(str(exc), "warning")
    else:
        from portal.jobs.tasks import start_data_export

        start_data_export(row.id)
        flash(_("We are preparing your data. You will get a notification and an e-mail when it is ready."), "info")
    return redirect(url_for("mydata.data"))


@bp.get("/data/<int:export_id>/download")
@login_required
def download(export_id):
    row = db.session.get(DataExport, export_id) or abort(404)
    require(can_download_export(current_user, row))
    data = export.read(row.file_name) if row.status is ExportStatus.READY and not row.is_expired() else None
    if data is None:
        flash(_("This download link has expired. Ask for your data again below."), "warning")
        return redirect(url_for("mydata.data"))
    return send_file(io.BytesIO(data), mimetype="application/zip", as_attachment=True,
                     download_name=f"cluster-portal-my-data-{row.id}.zip", max_age=0)


@bp.route("/delete", methods=["GET", "POST"])
@login_required
def delete():
    require(can_delete_account(current_user))
    form = DeleteForm()
    if not current_user.has_password:
        form.answer.label.text = _("Your e-mail address")
    if current_user.is_deletion_pending:
        return render_template("mydata/pending.html", form=ConfirmForm())
    if request.method == "POST" and not flow.is_recent():
        # The explanation reads without it; deleting needs a recent sign-in (with the second factor, when
        # the account has one), then the user comes back here and confirms.
        flash(_("For your security, please confirm it is you before making this change."), "info")
        return redirect(url_for("twofactor.reauth", next=url_for("mydata.delete")))
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.request_deletion(current_user, form.answer.data)
        except RuleViolation as exc:
            place_error(form, exc, "answer")
        else:
            due = current_user.deletion_due_at
            logout_user()
            from portal.i18n import format_be_date

            flash(_("Your account will be deleted on %(date)s. Until then you can sign in and cancel.",
                    date=format_be_date(due)), "info")
            return redirect(url_for("main.index"))
    return render_template("mydata/delete.html", form=form, owned=services.owned_firms(current_user),
                           hand_over=HandOverForm(), confirm_form=ConfirmForm(),
                           days=current_app.config["ACCOUNT_ERASURE_GRACE_DAYS"])


@bp.post("/delete/cancel")
@login_required
def cancel():
    if ConfirmForm().validate_on_submit():
        try:
            with unit_of_work():
                services.cancel_deletion(current_user)
        except RuleViolation as exc:
            flash(str(exc), "warning")
        else:
            flash(_("Your account will not be deleted. Welcome back."), "success")
    return redirect(url_for("auth.account"))


@bp.post("/delete/firms/<int:firm_id>/hand-over")
@login_required
def hand_over(firm_id):
    firm = get_firm_or_404(firm_id)
    form = HandOverForm()
    form.new_owner.choices = [(None, "")] + [(member.user_id, person.display_name) for owned, members
                                              in services.owned_firms(current_user) if owned.id == firm.id
                                              for member, person in members]
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.hand_over_firm(current_user, firm, form.new_owner.data)
        except PermissionDenied:
            abort(403)
        except RuleViolation as exc:
            flash(str(exc), "warning")
        else:
            flash(_("The firm has a new owner."), "success")
    else:
        flash(_("Choose a member of the firm's team."), "warning")
    return redirect(url_for("mydata.delete"))


@bp.post("/delete/firms/<int:firm_id>/close")
@login_required
def close_firm(firm_id):
    firm = get_firm_or_404(firm_id)
    if ConfirmForm().validate_on_submit():
        try:
            with unit_of_work():
                services.close_firm(current_user, firm)
        except PermissionDenied:
            abort(403)
        flash(_("The firm is closed: its listing is hidden from everyone."), "success")
    return redirect(url_for("mydata.delete"))
