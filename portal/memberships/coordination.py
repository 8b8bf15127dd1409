"""The coordinators' side: the request queue, members (positions, notes, removal), export and import (CSV
or Excel), and (for OSMEP staff) coordinator terms."""
import secrets

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from portal.auth.services import get_by_email
from portal.clusters import queries as cluster_queries
from portal.clusters.models import CoordinatorTerm, Organisation
from portal.db import unit_of_work
from portal.exceptions import RuleViolation
from portal.exports import XLSX_MIMETYPE
from portal.extensions import db
from portal.forms import ConfirmForm
from portal.i18n import current_locale
from portal.i18n import gettext as _
from portal.jobs import tasks
from portal.listing import paginate
from portal.memberships import csv_io, imports, queries, services
from portal.memberships.forms import AppointForm, ImportForm, NotesForm, PositionsForm, ReasonForm
from portal.memberships.models import MemberImport
from portal.permissions import can_appoint_coordinators, can_decide_membership, can_manage_cluster, require
from portal.thai import bangkok_today

bp = Blueprint("coordination", __name__)


def _cluster(slug):
    cluster = cluster_queries.get_by_slug_or_404(slug)
    require(can_manage_cluster(current_user, cluster))
    return cluster


def _done(message, slug, endpoint="coordination.queue"):
    flash(message, "success")
    return redirect(url_for(endpoint, slug=slug))


@bp.get("/<slug>/manage")
@login_required
def queue(slug):
    cluster = _cluster(slug)
    query, values = queries.pending(cluster)
    pagination = paginate(query, params=values)
    # the cluster page's figure (the results' member firms now, from the kept counts): the same number on both, and
    # not a count of every approved membership, which grew with the cluster
    return render_template("coordination/queue.html", cluster=cluster, pagination=pagination,
                           reason_form=ReasonForm(), confirm_form=ConfirmForm(),
                           member_count=cluster_queries.member_firms(cluster.id))


@bp.post("/<slug>/manage/<int:membership_id>/<any(approve, decline):decision>")
@login_required
def decide(slug, membership_id, decision):
    cluster = _cluster(slug)
    membership = queries.membership_or_404(membership_id, cluster_id=cluster.id)
    require(can_decide_membership(current_user, membership))
    form = ReasonForm() if decision == "decline" else ConfirmForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "warning")
        return redirect(url_for("coordination.queue", slug=slug))
    name = membership.firm.name  # read now: after the commit it would be read again (the membership and its positions)
    try:
        with unit_of_work():
            if decision == "approve":
                services.approve(current_user, membership)
            else:
                services.decline(current_user, membership, form.reason.data)
    except RuleViolation as exc:
        flash(str(exc), "warning")
        return redirect(url_for("coordination.queue", slug=slug))
    return _done(_("%(firm)s is now a member.", firm=name) if decision == "approve" else
                 _("The request of %(firm)s has been declined.", firm=name), slug)


@bp.get("/<slug>/manage/members")
@login_required
def members(slug):
    cluster = _cluster(slug)
    pagination = paginate(queries.members(cluster))
    return render_template("coordination/members.html", cluster=cluster, pagination=pagination)


@bp.route("/<slug>/manage/members/<int:membership_id>", methods=["GET", "POST"])
@login_required
def member(slug, membership_id):
    cluster = _cluster(slug)
    membership = queries.membership_or_404(membership_id, cluster_id=cluster.id)
    if request.method == "POST":
        require(can_decide_membership(current_user, membership))
    positions_form = PositionsForm(prefix="p", data={"positions": [p.position.value for p in membership.positions]}) \
        if request.method == "GET" else PositionsForm(prefix="p")
    notes_form = NotesForm(prefix="n", data={"notes": membership.coordinator_notes}) \
        if request.method == "GET" else NotesForm(prefix="n")
    if request.method == "POST" and positions_form.validate_on_submit() and notes_form.validate():
        try:
            with unit_of_work():
                services.set_positions(current_user, membership, positions_form.positions.data)
                services.set_notes(current_user, membership, notes_form.notes.data)
        except RuleViolation as exc:
            positions_form.positions.errors.append(str(exc))
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("coordination.member", slug=slug, membership_id=membership.id))
    return render_template("coordination/member.html", cluster=cluster, membership=membership,
                           positions_form=positions_form, notes_form=notes_form, remove_form=ReasonForm(prefix="r"))


@bp.post("/<slug>/manage/members/<int:membership_id>/remove")
@login_required
def remove(slug, membership_id):
    cluster = _cluster(slug)
    membership = queries.membership_or_404(membership_id, cluster_id=cluster.id)
    require(can_decide_membership(current_user, membership))
    form = ReasonForm(prefix="r")
    if not form.validate_on_submit():
        flash(_("Please give the firm a reason."), "warning")
        return redirect(url_for("coordination.member", slug=slug, membership_id=membership.id))
    try:
        with unit_of_work():
            services.remove(current_user, membership, form.reason.data)
    except RuleViolation as exc:
        flash(str(exc), "warning")
        return redirect(url_for("coordination.member", slug=slug, membership_id=membership.id))
    return _done(_("%(firm)s has been removed from the cluster.", firm=membership.firm.name), slug,
                 "coordination.members")


@bp.get("/<slug>/manage/invitations")
@login_required
def invitations(slug):
    """The cluster's invitations to firms with an owner, and what each owner answered."""
    cluster = _cluster(slug)
    pagination = paginate(queries.invitations(cluster))
    return render_template("coordination/invitations.html", cluster=cluster, pagination=pagination)


@bp.get("/<slug>/manage/members.<any(csv, xlsx):fmt>")
@login_required
def export(slug, fmt):
    cluster = _cluster(slug)
    data = csv_io.export_members(cluster, current_locale(), current_user, fmt)
    mimetype = XLSX_MIMETYPE if fmt == "xlsx" else "text/csv; charset=utf-8"
    return Response(data, mimetype=mimetype, headers={
        "Content-Disposition": f"attachment; filename={cluster.slug}-members.{fmt}", "Cache-Control": "no-store"})


def _import_file(cluster, token: str) -> bytes | None:
    """The kept file of the preview this coordinator made for this cluster in this session, or None (its
    bytes are read only then); an impossible token is 404."""
    if not token or not token.isalnum():
        abort(404)
    return imports.kept_file(token) if _previewing(cluster, token) else None


def _previewing(cluster, token) -> bool:
    """The file behind `token` is the one this coordinator uploaded to this cluster in this session."""
    return session.get("import") == {"token": token, "cluster": cluster.id, "user": current_user.id}


def _render_import(cluster, plan=None, token=None, confirmed=None):
    return render_template("coordination/import.html", cluster=cluster, form=ImportForm(), plan=plan, token=token,
                           confirmed=confirmed, confirm_form=ConfirmForm())


@bp.route("/<slug>/manage/import", methods=["GET", "POST"])
@login_required
def import_members(slug):
    """Step 1: upload. A file with changes to make is kept and its preview shown by GET (step 2), so that
    Back and reload work; problems, or nothing to change, are shown here. Nothing is written to the database but
    the kept file (portal/media, so that any app node finds it)."""
    cluster = _cluster(slug)
    form = ImportForm()
    plan = None
    if form.validate_on_submit():
        upload = form.file.data
        if not (upload and upload.filename):
            form.file.errors.append(_("Please choose a CSV or Excel file."))
        else:
            data = upload.read(csv_io.MAX_ROWS * 2000 + 1)
            plan = csv_io.plan_import(data, cluster)
            if not plan.errors and plan.changes:
                token = secrets.token_hex(16)
                imports.keep_file(token, data)
                db.session.commit()
                session["import"] = {"token": token, "cluster": cluster.id, "user": current_user.id}
                return redirect(url_for("coordination.import_preview", slug=slug, token=token))
    return render_template("coordination/import.html", cluster=cluster, form=form, plan=plan, token=None,
                           confirmed=None, confirm_form=ConfirmForm())


@bp.get("/<slug>/manage/import/<token>")
@login_required
def import_preview(slug, token):
    """Step 2: what the kept file would change now. After confirming, Back comes here and says where the
    import stands instead."""
    cluster = _cluster(slug)
    data = _import_file(cluster, token)
    if data is not None:
        plan = csv_io.plan_import(data, cluster)  # the database may have changed since the upload
        return _render_import(cluster, plan, token if not plan.errors and plan.changes else None)
    confirmed = db.session.scalar(select(MemberImport).where(
        MemberImport.token == token, MemberImport.cluster_id == cluster.id, MemberImport.actor_id == current_user.id))
    if confirmed is not None:
        return _render_import(cluster, confirmed=confirmed)
    flash(_("This import has expired. Please upload the file again."), "warning")
    return redirect(url_for("coordination.import_members", slug=slug))


@bp.post("/<slug>/manage/import/<token>")
@login_required
def confirm_import(slug, token):
    """Step 3: apply the previewed file, whole or not at all, then show where it stands (a redirect: Back
    never sends the confirmation again)."""
    cluster = _cluster(slug)
    data = _import_file(cluster, token)
    if not (data is not None and ConfirmForm().validate()):
        flash(_("This import has expired. Please upload the file again."), "warning")
        return redirect(url_for("coordination.import_members", slug=slug))
    plan = csv_io.plan_import(data, cluster)  # the database may have changed since the preview
    if plan.errors or not plan.changes:
        flash(_("The members changed since your preview: check the file again."), "warning")
        return redirect(url_for("coordination.import_preview", slug=slug, token=token))
    # A worker applies it (5,000 lines take longer than a request should); this records it, at once.
    job = imports.start(current_user, cluster, token, plan.changes, current_locale())
    db.session.commit()
    session.pop("import", None)
    tasks.start_member_import(job.id)
    return redirect(url_for("coordination.import_status", slug=slug, import_id=job.id))


@bp.get("/<slug>/manage/imports/<int:import_id>")
@login_required
def import_status(slug, import_id):
    """Where an import stands; the result (or why nothing was imported) once a worker is done."""
    cluster = _cluster(slug)
    job = db.session.get(MemberImport, import_id)
    if job is None or job.cluster_id != cluster.id:
        abort(404)
    return render_template("coordination/import_status.html", cluster=cluster, job=job)


@bp.route("/<slug>/coordinators", methods=["GET", "POST"])
@login_required
def coordinators(slug):
    cluster = cluster_queries.get_by_slug_or_404(slug)
    require(can_appoint_coordinators(current_user))
    form = AppointForm()
    organisations = [o for o in (cluster.agency, cluster.association) if o is not None]
    form.organisation_id.choices = [SelectChoice(o.id, o.name) for o in organisations]
    if form.validate_on_submit():
        user = get_by_email(form.email.data)
        organisation = db.session.get(Organisation, form.organisation_id.data)
        if user is None:
            form.email.errors.append(_("No account has this e-mail address. Ask the person to register first."))
        else:
            try:
                with unit_of_work():
                    services.appoint_coordinator(current_user, user, cluster, organisation, form.starts_on.data,
                                                 form.ends_on.data)
            except RuleViolation as exc:
                form.ends_on.errors.append(str(exc))
            else:
                return _done(_("%(name)s is now a coordinator of this cluster.", name=user.name), slug,
                             "coordination.coordinators")
    return render_template("coordination/coordinators.html", cluster=cluster, form=form,
                           terms=queries.terms(cluster), confirm_form=ConfirmForm(), today=bangkok_today())


@bp.post("/<slug>/coordinators/<int:term_id>/end")
@login_required
def end_term(slug, term_id):
    cluster = cluster_queries.get_by_slug_or_404(slug)
    require(can_appoint_coordinators(current_user))
    term = db.session.get(CoordinatorTerm, term_id)
    if term is None or term.cluster_id != cluster.id:
        abort(404)
    if ConfirmForm().validate_on_submit():
        with unit_of_work():
            services.end_term(current_user, term)
        return _done(_("The term has ended."), slug, "coordination.coordinators")
    return redirect(url_for("coordination.coordinators", slug=slug))
