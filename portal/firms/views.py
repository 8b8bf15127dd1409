"""Firm pages: my firms, create, view, edit, logo, team and invitations."""
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from portal.auth.decorators import confirmed_required
from portal.db import unit_of_work
from portal.errors import drain_request_body, megabytes, request_too_large
from portal.exceptions import RuleViolation
from portal.extensions import db, login_manager
from portal.firms import emails, logos, queries, services
from portal.firms.forms import FirmForm, InviteForm
from portal.firms.models import Firm, FirmInvitation
from portal.forms import ConfirmForm
from portal.i18n import current_locale
from portal.i18n import gettext as _
from portal.media import services as media
from portal.permissions import (
    can_create_firm,
    can_edit_firm,
    can_manage_firm_team,
    can_view_firm,
    can_view_firm_contacts,
    require,
)

bp = Blueprint("firms", __name__)


@bp.get("/mine")
@login_required
def mine():
    return render_template("firms/mine.html", firms=queries.firms_of(current_user), confirm_form=ConfirmForm())


def _process_logo(form) -> tuple[str | None, bool]:
    """Add an uploaded logo to the session (committed with the firm); returns (new file name or None, ok)."""
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
                with unit_of_work():  # the logo's row is saved with the firm, or rolled back with it
                    firm = services.create_firm(current_user, form.profile_data(), form.public_listing.data, logo)
            except RuleViolation as exc:
                form.registration_number.errors.append(str(exc))
            else:
                flash(_("Your firm has been created."), "success")
                return redirect(url_for("firms.detail", firm_id=firm.id))
    return render_template("firms/form.html", form=form, firm=None)


@bp.get("/<int:firm_id>")
def detail(firm_id):
    firm, memberships, follow_id = queries.page_of(firm_id, current_user)
    if firm.is_hidden and not can_view_firm(current_user, firm):
        abort(404)  # hidden from public view: as if it were not there
    require(can_view_firm(current_user, firm))
    return render_template(
        "firms/detail.html",
        firm=firm,
        memberships=memberships,
        follow_id=follow_id,
        show_contacts=can_view_firm_contacts(current_user, firm),
    )


@bp.route("/<int:firm_id>/edit", methods=["GET", "POST"])
@login_required
def edit(firm_id):
    firm = queries.get_or_404(firm_id)
    require(can_edit_firm(current_user, firm))
    form = _saved_profile_form(firm) if request.method == "GET" else FirmForm()
    if form.validate_on_submit():
        logo, ok = _process_logo(form)
        if ok:
            old_logo = firm.logo_filename
            try:
                with unit_of_work():
                    changed = services.update_firm(current_user, firm, form.profile_data(),
                                                   form.public_listing.data, logo)
                    if logo and old_logo:
                        logos.remove(old_logo)  # replaced: the old one goes in the same transaction
            except RuleViolation as exc:
                form.registration_number.errors.append(str(exc))
                firm = queries.get_or_404(firm_id)
            else:
                flash(_("Your changes have been saved.") if changed else _("Nothing was changed."), "success")
                return redirect(url_for("firms.detail", firm_id=firm.id))
    return render_template("firms/form.html", form=form, firm=firm)


def _saved_profile_form(firm):
    """The firm form filled in from the saved profile (formdata=None: never read from the request)."""
    form = FirmForm(formdata=None, obj=firm)
    form.contact_email.data = firm.email
    form.public_listing.data = firm.has_public_consent
    form.legal_form.data = firm.legal_form.value
    form.size.data = firm.size.value
    return form


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc):
    """More than MAX_CONTENT_LENGTH sent to the firm form (a video, a camera's RAW file): the request was not
    read, so what was typed is lost, but the person gets the form back (as saved) with the limits named beside
    the logo field, not a bare error page."""
    firm = None
    if request.endpoint == "firms.edit" and current_user.is_authenticated:
        firm = db.session.get(Firm, (request.view_args or {}).get("firm_id"))
        allowed = firm is not None and can_edit_firm(current_user, firm)
    else:
        allowed = request.endpoint == "firms.create" and can_create_firm(current_user)
    if not allowed:
        return request_too_large()
    drain_request_body()
    form = _saved_profile_form(firm) if firm else FirmForm(formdata=None)
    form.logo.errors = [_("The file is larger than %(limit)s, the most the portal accepts at once; a logo may be "
                          "at most %(size)s. Please choose a smaller image.",
                          limit=megabytes(current_app.config["MAX_CONTENT_LENGTH"]),
                          size=megabytes(logos.max_bytes()))]
    return render_template("firms/form.html", form=form, firm=firm), 413


@bp.get("/<int:firm_id>/logo/<name>")
def logo(firm_id, name):
    """The re-encoded logo, only under its generated name and only to those who may see the firm."""
    firm = queries.get_or_404(firm_id)
    if firm.logo_filename != name or not logos.is_valid_name(name) or not can_view_firm(current_user, firm):
        abort(404)
    # Shared caches may keep only what anyone may see; a hidden or unlisted firm's logo stays private.
    return media.serve(name, public=can_view_firm(login_manager.anonymous_user(), firm))


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
