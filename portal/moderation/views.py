"""Reporting (any signed-in user) and moderation (staff everywhere, coordinators in their clusters)."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from portal.audit import AuditEntry
from portal.auth.models import User
from portal.db import unit_of_work
from portal.exceptions import RuleViolation
from portal.extensions import db
from portal.i18n import gettext as _
from portal.moderation import queries, services
from portal.moderation.forms import ModerationReasonForm, ReportForm, ReviewForm
from portal.moderation.models import Report, ReportReason
from portal.permissions import (
    can_moderate_target,
    can_report_target,
    can_request_review,
    can_restore_target,
    can_suspend_users,
    can_verify_firm,
    can_view_moderation,
    require,
)

bp = Blueprint("moderation", __name__)
TARGET_TYPES = tuple(services.TARGETS)


def _target_or_404(target_type, target_id):
    obj = services.load_target(target_type, target_id) if target_type in TARGET_TYPES else None
    if obj is None:
        abort(404)
    return obj


def _back(target_type, obj):
    if target_type == "firm":
        return url_for("firms.detail", firm_id=obj.id)
    if target_type == "request":
        return url_for("collab.detail", request_id=obj.id)
    return url_for("collab.thread", response_id=obj.id if target_type == "response" else obj.response_id)


@bp.route("/report/<target_type>/<int:target_id>", methods=["GET", "POST"])
@login_required
def report(target_type, target_id):
    obj = _target_or_404(target_type, target_id)
    if not can_report_target(current_user, target_type, obj):
        abort(404)  # what the user cannot see does not exist for them, as on its page
    form = ReportForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.report(current_user, target_type, obj, ReportReason(form.reason.data), form.text.data)
        except RuleViolation as exc:
            form.text.errors.append(str(exc))
        else:
            flash(_("Thank you. OSMEP staff will look at your report."), "success")
            return redirect(_back(target_type, obj))
    return render_template("moderation/report.html", form=form, target_type=target_type, obj=obj)


@bp.get("/")
@login_required
def queue():
    """Open reports grouped by target, and hidden listings whose owners ask for a review."""
    require(can_view_moderation(current_user))
    groups, reviews = queries.open_report_groups(current_user), queries.reviews_asked(current_user)
    return render_template("moderation/queue.html", groups=groups, reviews=reviews)


@bp.route("/<any(firm, request, response, message):target_type>/<int:target_id>", methods=["GET", "POST"])
@login_required
def target(target_type, target_id):
    obj = _target_or_404(target_type, target_id)
    require(can_moderate_target(current_user, target_type, obj))
    form = ModerationReasonForm()
    if form.validate_on_submit():
        action = request.form.get("action")
        try:
            with unit_of_work():
                if action == "dismiss":
                    services.dismiss(current_user, target_type, obj, form.reason.data)
                elif action == "hide":
                    services.hide(current_user, target_type, obj, form.reason.data)
                elif action == "restore":
                    services.restore(current_user, target_type, obj, form.reason.data)
                elif action == "verify" and target_type == "firm":
                    services.verify(current_user, obj)
                elif action == "unverify" and target_type == "firm":
                    services.unverify(current_user, obj, form.reason.data)
                else:
                    abort(400)
        except RuleViolation as exc:
            flash(str(exc), "warning")
        else:
            flash(_("Done."), "success")
            return redirect(url_for("moderation.target", target_type=target_type, target_id=target_id))
    reports = db.session.scalars(select(Report).where(Report.target_type == target_type, Report.target_id == obj.id)
                                 .order_by(Report.created_at.desc())).all()
    history = db.session.scalars(select(AuditEntry).where(
        AuditEntry.target_type == type(obj).__tablename__, AuditEntry.target_id == obj.id)
        .order_by(AuditEntry.created_at.desc()).limit(50)).all()
    return render_template("moderation/target.html", target_type=target_type, obj=obj, reports=reports,
                           history=history, form=form, back=_back(target_type, obj),
                           may_restore=can_restore_target(current_user, target_type, obj),
                           may_verify=target_type == "firm" and can_verify_firm(current_user, obj))


@bp.route("/review/<any(firm, request, response, message):target_type>/<int:target_id>", methods=["GET", "POST"])
@login_required
def review(target_type, target_id):
    obj = _target_or_404(target_type, target_id)
    require(can_request_review(current_user, services.firm_behind(target_type, obj)))
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.request_review(current_user, target_type, obj, form.text.data)
        except RuleViolation as exc:
            flash(str(exc), "warning")
        else:
            flash(_("We have asked OSMEP staff to review it."), "success")
        return redirect(_back(target_type, obj))
    return render_template("moderation/review.html", form=form, obj=obj, target_type=target_type)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def user(user_id):
    require(can_suspend_users(current_user))
    person = db.session.get(User, user_id) or abort(404)
    form = ModerationReasonForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                if request.form.get("action") == "suspend":
                    services.suspend(current_user, person, form.reason.data)
                else:
                    services.reinstate(current_user, person, form.reason.data)
        except RuleViolation as exc:
            flash(str(exc), "warning")
        else:
            flash(_("Done."), "success")
            return redirect(url_for("moderation.user", user_id=user_id))
    return render_template("moderation/user.html", person=person, form=form)
