"""The firm's side of memberships: see its clusters and history, ask to join, cancel, leave."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from portal.clusters.models import Cluster, MembershipStatus
from portal.db import unit_of_work
from portal.exceptions import RuleViolation
from portal.extensions import db
from portal.firms import queries as firm_queries
from portal.forms import ConfirmForm
from portal.i18n import current_locale
from portal.i18n import gettext as _
from portal.memberships import invitations, queries, services
from portal.memberships.forms import JoinForm, PositionsForm
from portal.permissions import (
    can_answer_membership_invitation,
    can_edit_firm,
    can_request_membership,
    can_withdraw_membership,
    require,
)

bp = Blueprint("memberships", __name__)


@bp.route("/<int:firm_id>/memberships", methods=["GET", "POST"])
@login_required
def firm_memberships(firm_id):
    firm = firm_queries.get_or_404(firm_id)
    require(can_edit_firm(current_user, firm))
    form = JoinForm()
    choices = queries.clusters_to_join(firm)
    english = current_locale() == "en"
    form.cluster_id.choices = [SelectChoice("", _("Choose a cluster"))] + [
        SelectChoice(c.id, (c.name_en or c.name_th) if english else c.name_th) for c in choices]
    if form.validate_on_submit():
        require(can_request_membership(current_user, firm))
        cluster = db.session.get(Cluster, form.cluster_id.data)
        if cluster is None or cluster not in choices:
            form.cluster_id.errors.append(_("Please choose a cluster."))
        else:
            try:
                with unit_of_work():
                    services.request_membership(current_user, firm, cluster, form.positions.data, form.offers.data,
                                                form.seeks.data)
            except RuleViolation as exc:
                form.cluster_id.errors.append(str(exc))
            else:
                flash(_("Your request to join %(cluster)s has been sent to its coordinators.", cluster=cluster.name),
                      "success")
                return redirect(url_for("memberships.firm_memberships", firm_id=firm.id))
    memberships = queries.of_firm(firm)
    answer_forms = {m.id: _answer_form(m, proposed=True) for m in memberships if m.status is MembershipStatus.INVITED}
    return render_template("memberships/firm.html", firm=firm, memberships=memberships, form=form,
                           confirm_form=ConfirmForm(), may_request=can_request_membership(current_user, firm),
                           answer_forms=answer_forms)


def _answer_form(membership, proposed=False) -> PositionsForm:
    """The accept form of one invitation (several may be on the page): the proposed positions ticked."""
    if proposed:
        return PositionsForm(prefix=f"m{membership.id}", formdata=None,
                             data={"positions": [p.position.value for p in membership.positions]})
    return PositionsForm(prefix=f"m{membership.id}")


@bp.post("/<int:firm_id>/memberships/<int:membership_id>/invitation/<any(accept, decline):answer>")
@login_required
def answer_invitation(firm_id, membership_id, answer):
    """The owner accepts a cluster's invitation (with the positions ticked) or declines it."""
    membership = queries.membership_or_404(membership_id, firm_id=firm_id)
    require(can_answer_membership_invitation(current_user, membership))
    form = _answer_form(membership) if answer == "accept" else ConfirmForm()
    cluster_name = membership.cluster.name
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "warning")
        return redirect(url_for("memberships.firm_memberships", firm_id=firm_id, _anchor="invitations"))
    try:
        with unit_of_work():
            if answer == "accept":
                invitations.accept(current_user, membership, form.positions.data)
            else:
                invitations.decline(current_user, membership)
    except RuleViolation as exc:
        flash(str(exc), "warning")
    else:
        flash(_("Your firm is now a member of %(cluster)s.", cluster=cluster_name) if answer == "accept" else
              _("You declined the invitation of %(cluster)s.", cluster=cluster_name), "success")
    return redirect(url_for("memberships.firm_memberships", firm_id=firm_id))


@bp.post("/<int:firm_id>/memberships/<int:membership_id>/<any(cancel, leave):action>")
@login_required
def withdraw(firm_id, membership_id, action):
    membership = queries.membership_or_404(membership_id, firm_id=firm_id)
    require(can_withdraw_membership(current_user, membership))
    if ConfirmForm().validate_on_submit():
        try:
            with unit_of_work():
                if action == "cancel":
                    services.cancel_request(current_user, membership)
                else:
                    services.leave(current_user, membership)
        except RuleViolation as exc:
            flash(str(exc), "warning")
        else:
            flash(_("Your request has been cancelled.") if action == "cancel" else
                  _("Your firm has left %(cluster)s.", cluster=membership.cluster.name), "success")
    return redirect(url_for("memberships.firm_memberships", firm_id=firm_id))
