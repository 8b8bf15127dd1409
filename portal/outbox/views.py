"""Staff page: outgoing messages queued, sent and failed (with the server's reason), by kind; retry or
cancel one."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from portal.db import unit_of_work
from portal.exceptions import RuleViolation
from portal.extensions import db
from portal.forms import ConfirmForm
from portal.i18n import gettext as _
from portal.line import messaging as line
from portal.listing import paginate
from portal.outbox import services
from portal.outbox.models import OutboxMessage, OutboxStatus
from portal.permissions import can_manage_outbox, require

bp = Blueprint("outbox", __name__)


def _status_arg() -> OutboxStatus | None:
    raw = request.args.get("status", "")
    try:
        return OutboxStatus(raw) if raw else None
    except ValueError:
        return None


@bp.get("/")
@login_required
def index():
    require(can_manage_outbox(current_user))
    status, kind = _status_arg(), request.args.get("kind", "")[:60]
    query = select(OutboxMessage)
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    pagination = paginate(query.order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()))
    counts = services.counts_by_kind()
    return render_template("outbox/index.html", pagination=pagination, counts=counts, statuses=list(OutboxStatus),
                           status=status, kind=kind, health=services.health(), form=ConfirmForm(),
                           line_quota=line.quota())


@bp.post("/<int:message_id>/<any(retry, cancel):action>")
@login_required
def act(message_id, action):
    require(can_manage_outbox(current_user))
    row = db.session.get(OutboxMessage, message_id) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        with unit_of_work():
            if action == "retry":
                services.retry(current_user, row)
            else:
                services.cancel(current_user, row)
    except RuleViolation as exc:
        flash(str(exc), "warning")
    else:
        flash(_("The message is queued again.") if action == "retry" else _("The message is cancelled."), "success")
    return redirect(request.form.get("back") if _local(request.form.get("back")) else url_for("outbox.index"))


def _local(target) -> bool:
    from portal.validators import is_safe_next

    return bool(target) and is_safe_next(target)
