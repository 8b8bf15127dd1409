"""Firm pages: my firms, create, view, edit, logo, team and invitations."""
from flask import Blueprint, abort, flash, redirect, render_template, request, send_from_directory, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.auth.decorators import confirmed_required
from portal.db import unit_of_work
from portal.exceptions import RuleViolation
from portal.extensions import db
from portal.firms import emails, logos, queries, services
from portal.firms.forms import FirmForm, InviteForm
from portal.firms.models import FirmInvitation
from portal.forms import ConfirmForm
from portal.i18n import current_locale
from portal.permissions import (
    can_create_firm,
    can_edit_firm,
    can_manage_firm_team,
    can_view_firm,
    can_view_firm_contacts,
    require,
)
from portal.thai import be_year

bp = Blueprint("firms", __name__)


@bp.get("/mine")
@login_required
def mine():
    return render_template("firms/mine.html", firms=queries.firms_of(current_user), confirm_form=ConfirmForm())


def _process_logo(form) -> tuple[str | None, bool]:
    """Store an uploaded logo; returns (new file name or None, ok)."""
    upload = form.logo.data
    if not upload or not getattr(upload, "filename", ""):
        return None, True
    try:
        return logos.store(logos.process(upload.stream)), True
    except RuleViolation as exc:
        form.logo.errors.append(str(exc))
        return None, False


@bp.route("/new", methods=["GET", "POST"])
@login_required
@confirmed_required
def create():
    require(can_create_firm(current_user))
    form = FirmForm()
    if form.validate_on_submit():
        logo, ok = _process_logo(form)
        if ok:
            try:
                with unit_of_work():
                    firm = services.create_firm(current_user, form.profile_data(), form.public_listing.data, logo)
            except RuleViolation as exc:
                logos.remove(logo)
                form.registration_number.errors.append(str(exc))
            else:
                flash(_("Your firm has been created."), "success")
                return redirect(url_for("firms.detail", firm_id=firm.id))
    return render_template("firms/form.html", form=form, firm=None)


@bp.get("/<int:firm_id>")
def detail(firm_id):
    firm = queries.get_or_404(firm_id)
    if firm.is_hidden and not can_view_firm(current_user, firm):
        abort(404)  # hidden from public view: as if it were not there
    require(can_view_firm(current_user, firm))
    return render_template(
        "firms/detail.html",
        firm=firm,
        memberships=queries.clusters_of(firm),
        show_contacts=can_view_firm_contacts(current_user, firm),
    )


@bp.route("/<int:firm_id>/edit", methods=["GET", "POST"])
@login_required
def edit(firm_id):
    firm = queries.get_or_404(firm_id)
    require(can_edit_firm(current_user, firm))
    form = FirmForm(obj=firm) if request.method == "GET" else FirmForm()
    if request.method == "GET":
        form.contact_email.data = firm.email
        form.public_listing.data = firm.has_public_consent
        form.legal_form.data = firm.legal_form.value
        form.size.data = firm.size.value
        if firm.founded_year and current_locale() == "th":
            form.founded_year.data = be_year(firm.founded_year)  # Thai users think in พ.ศ.
    if form.validate_on_submit():
        logo, ok = _process_logo(form)
        if ok:
            old_logo = firm.logo_filename
            try:
                with unit_of_work():
                    changed = services.update_firm(current_user, firm, form.profile_data(),
                                                   form.public_listing.data, logo)
            except RuleViolation as exc:
                logos.remove(logo)
                form.registration_number.errors.append(str(exc))
                firm = queries.get_or_404(firm_id)
            else:
                if logo and old_logo:
                    logos.remove(old_logo)
                flash(_("Your changes have been saved.") if changed else _("Nothing was changed."), "success")
                return redirect(url_for("firms.detail", firm_id=firm.id))
    return render_template("firms/form.html", form=form, firm=firm)


@bp.get("/<int:firm_id>/logo/<name>")
def logo(firm_id, name):
    """The re-encoded logo, only under its generated name and only to those who may see the firm."""
    firm = queries.get_or_404(firm_id)
    if firm.logo_filename != name or not logos.is_valid_name(name) or not can_view_firm(current_user, firm):
        abort(404)
    response = send_from_directory(logos.directory(), name, mimetype="image/webp", max_age=86400)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    return response


@bp.route("/<int:firm_id>/team", methods=["GET", "POST"])
@login_required
def team(firm_id):
    firm = queries.get_or_404(firm_id)
    require(can_edit_firm(current_user, firm))
    form = InviteForm()
    if request.method == "POST":
        require(can_manage_firm_team(current_user, firm))
        if form.validate_on_submit():
            try:
                with unit_of_work():
                    invitation = services.invite(current_user, firm, form.email.data)
                    emails.send_invitation(invitation, firm, current_user, current_locale())
            except RuleViolation as exc:
                form.email.errors.append(str(exc))
            else:
                flash(_("We are sending an invitation to %(email)s.", email=invitation.email), "success")
                return redirect(url_for("firms.team", firm_id=firm.id))
    members, invitations = queries.team_of(firm)
    return render_template("firms/team.html", firm=firm, form=form, members=members, invitations=invitations,
                           confirm_form=ConfirmForm())


@bp.post("/<int:firm_id>/team/<int:user_id>/remove")
@login_required
def remove_member(firm_id, user_id):
    firm = queries.get_or_404(firm_id)
    require(can_manage_firm_team(current_user, firm))
    if ConfirmForm().validate_on_submit():
        try:
            with unit_of_work():
                services.remove_member(current_user, firm, user_id)
        except RuleViolation as exc:
            flash(str(exc), "warning")
        else:
            flash(_("The editor has been removed from the team."), "success")
    return redirect(url_for("firms.team", firm_id=firm.id))


@bp.post("/<int:firm_id>/invitations/<int:invitation_id>/revoke")
@login_required
def revoke_invitation(firm_id, invitation_id):
    firm = queries.get_or_404(firm_id)
    require(can_manage_firm_team(current_user, firm))
    invitation = db.session.get(FirmInvitation, invitation_id)
    if invitation is None or invitation.firm_id != firm.id:
        abort(404)
    if ConfirmForm().validate_on_submit():
        services.revoke_invitation(current_user, firm, invitation)
        db.session.commit()
        flash(_("The invitation has been withdrawn."), "success")
    return redirect(url_for("firms.team", firm_id=firm.id))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@login_required
def accept_invitation(token):
    data = emails.invitation_from_token(token)
    invitation = db.session.get(FirmInvitation, data.get("id")) if data else None
    if invitation is None or invitation.email != data.get("email"):
        flash(_("This invitation link is not valid or has expired. Ask the firm's owner to send a new one."),
              "warning")
        return redirect(url_for("firms.mine"))
    firm = queries.get_or_404(invitation.firm_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                services.accept_invitation(current_user, invitation)
        except RuleViolation as exc:
            flash(str(exc), "warning")
            return redirect(url_for("firms.mine"))
        flash(_("You are now an editor of %(firm)s.", firm=firm.name), "success")
        return redirect(url_for("firms.detail", firm_id=firm.id))
    return render_template("firms/invitation.html", firm=firm, invitation=invitation, form=form)
