"""Programme results: the staff and coordinator dashboard, exports, outcome confirmation."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from portal import reference
from portal.admin import dashboard, rollup, services
from portal.admin.forms import ThresholdForm
from portal.audit import AuditEntry
from portal.auth.models import User
from portal.collab.models import Confirmation, Outcome
from portal.db import unit_of_work, utcnow
from portal.exceptions import RuleViolation
from portal.exports import table_download
from portal.extensions import db
from portal.forms import ConfirmForm
from portal.i18n import current_locale
from portal.i18n import gettext as _
from portal.listing import fiscal_year_arg
from portal.permissions import (
    can_confirm_outcome,
    can_set_confirmation_threshold,
    can_view_dashboard,
    managed_cluster_ids,
    require,
)
from portal.thai import fiscal_year

bp = Blueprint("results", __name__)


def _scope():
    """(fiscal year, cluster ids or None for everything, chosen cluster slug) from the URL and the viewer."""
    require(can_view_dashboard(current_user))
    year = fiscal_year_arg()
    clusters = reference.clusters()
    managed = managed_cluster_ids(current_user)
    allowed = None if managed is None else sorted(managed)
    slug = request.args.get("cluster", "")
    if slug:
        chosen = next((ref.id for ref in clusters.values() if ref.key == slug), None)
        if chosen is None or (allowed is not None and chosen not in allowed):
            abort(404)
        return year, [chosen], slug
    return year, allowed, ""


def _figures(year, cluster_ids):
    """The dashboard's figures. A coordinator's first look at several clusters starts keeping their union
    counted, so that later looks read it in one query: the one write of these GETs, committed here."""
    if cluster_ids is not None and len(cluster_ids) > 1 and rollup.keep_union(db.session, cluster_ids):
        db.session.commit()
    return dashboard.figures(year, cluster_ids)


@bp.get("/dashboard")
@login_required
def dashboard_page():
    year, cluster_ids, slug = _scope()
    figures = _figures(year, cluster_ids)
    locale = current_locale()
    managed = managed_cluster_ids(current_user)
    choices = [(k, i, n) for k, i, n in reference.options("clusters", locale)
               if managed is None or i in managed]
    return render_template("admin/dashboard.html", f=figures, tables=dashboard.tables(figures, locale),
                           year=year, slug=slug, clusters=choices, current_year=fiscal_year(utcnow()),
                           years=range(fiscal_year(utcnow()), 2559, -1))


@bp.get("/dashboard/<name>.<any(csv, xlsx):fmt>")
@login_required
def export(name, fmt):
    year, cluster_ids, slug = _scope()
    tables = dashboard.tables(_figures(year, cluster_ids), current_locale())
    if name not in tables:
        abort(404)
    header, rows = tables[name]
    # text cells are text, never formulas, as in the member export
    return table_download(name, header, rows, fmt, f"{name}-{year}{'-' + slug if slug else ''}.{fmt}")


@bp.get("/outcomes")
@login_required
def outcomes():
    year, cluster_ids, slug = _scope()
    return render_template("admin/outcomes.html", rows=dashboard.reported(year, cluster_ids), year=year,
                           form=ConfirmForm(), threshold=services.staff_confirmation_threshold())


@bp.post("/outcomes/<int:outcome_id>/<any(confirmed, queried):decision>")
@login_required
def confirm(outcome_id, decision):
    require(can_view_dashboard(current_user))
    outcome = db.session.get(Outcome, outcome_id) or abort(404)
    require(can_confirm_outcome(current_user, outcome))
    if ConfirmForm().validate_on_submit():
        services.confirm_outcome(current_user, outcome, Confirmation(decision), request.form.get("note"))
        db.session.commit()
        flash(_("Saved."), "success")
    return redirect(url_for("results.outcomes", year=outcome.fiscal_year))


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    """Staff set the value above which only staff confirm a reported partnership; each change is audited."""
    require(can_set_confirmation_threshold(current_user))
    form = ThresholdForm()
    if request.method == "GET":
        form.value.data = services.staff_confirmation_threshold()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.set_staff_confirmation_threshold(current_user, form.value.data)
        except RuleViolation as exc:
            form.value.errors.append(str(exc))
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("results.settings"))
    history = db.session.execute(
        select(AuditEntry, User.email).outerjoin(User, User.id == AuditEntry.actor_id)
        .where(AuditEntry.action == "results.threshold_changed")
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()).limit(20)).all()
    return render_template("admin/settings.html", form=form, history=history,
                           threshold=services.staff_confirmation_threshold())
