"""Staff and admin pages: the audit log (view, filter, CSV) and who is OSMEP staff."""
import io
from datetime import date, datetime, time, timedelta

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from portal.audit import AuditEntry
from portal.audit_labels import action_label, details_text, reason_label, target_choices, target_label
from portal.auth.models import User
from portal.auth.services import get_by_email
from portal.db import unit_of_work
from portal.exceptions import RuleViolation
from portal.exports import SpreadsheetWriter
from portal.extensions import db
from portal.forms import ConfirmForm
from portal.i18n import format_be_datetime
from portal.i18n import gettext as _
from portal.listing import args_without_page, page_url, uncounted_page
from portal.moderation import services as moderation
from portal.permissions import can_manage_staff, can_view_audit_log, require
from portal.thai import BANGKOK

bp = Blueprint("admin", __name__)


def _audit_query(args):
    """Filters from the URL: action (prefix), target type, actor e-mail, from/to dates (Bangkok)."""
    query = select(AuditEntry, User.email).outerjoin(User, User.id == AuditEntry.actor_id)
    if args.get("action"):
        query = query.where(AuditEntry.action.startswith(args["action"][:60]))
    if args.get("target"):
        query = query.where(AuditEntry.target_type == args["target"][:40])
    if args.get("actor"):
        query = query.where(User.email == args["actor"].strip().lower()[:254])
    for name, bound in (("from", 0), ("to", 1)):
        try:
            day = date.fromisoformat(args.get(name, ""))
        except ValueError:
            continue
        if not date.min < day < date.max:
            continue  # midnight in Bangkok of 0001-01-01 is before year 1 in UTC; 9999-12-31 has no next day
        moment = datetime.combine(day + timedelta(days=bound), time(), BANGKOK)
        query = query.where(AuditEntry.created_at >= moment if bound == 0 else AuditEntry.created_at < moment)
    return query.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())


@bp.get("/audit")
@login_required
def audit_log():
    require(can_view_audit_log(current_user))
    rows, page, more = uncounted_page(_audit_query(request.args), current_app.config["PAGE_SIZE"] * 2)
    return render_template("admin/audit.html", rows=rows, page=page, more=more, args=args_without_page(),
                           targets=target_choices(), page_url=page_url("admin.audit_log"))


@bp.get("/audit.csv")
@login_required
def audit_csv():
    require(can_view_audit_log(current_user))
    out = io.StringIO()
    writer = SpreadsheetWriter(out)
    # The page's columns in the page's language; the action code last, for those who filter by it.
    writer.writerow([_("When"), _("Who"), _("What"), _("Target"), _("Reason"), _("Details"), _("Action code")])
    for entry, email in db.session.execute(_audit_query(request.args).limit(100_000)):
        writer.writerow([format_be_datetime(entry.created_at), email or _("System"), action_label(entry.action),
                         target_label(entry.target_type, entry.target_id), reason_label(entry.reason),
                         details_text(entry.details), entry.action])
    return Response(("\ufeff" + out.getvalue()).encode("utf-8"), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": "attachment; filename=audit-log.csv"})


@bp.route("/staff", methods=["GET", "POST"])
@login_required
def staff():
    require(can_manage_staff(current_user))
    if request.method == "POST" and ConfirmForm().validate_on_submit():
        person = get_by_email(request.form.get("email", ""))
        if person is None:
            flash(_("No account has this e-mail address. Ask the person to register first."), "warning")
        else:
            try:
                with unit_of_work():
                    moderation.set_staff(current_user, person, request.form.get("action") == "grant")
            except RuleViolation as exc:
                flash(str(exc), "warning")
            else:
                flash(_("Done."), "success")
        return redirect(url_for("admin.staff"))
    people = db.session.scalars(select(User).where(User.is_staff).order_by(User.email))
    return render_template("admin/staff.html", people=list(people), form=ConfirmForm())
