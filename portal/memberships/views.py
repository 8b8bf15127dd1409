"""The firm's side of memberships: see its clusters and history, ask to join, cancel, leave."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from portal.clusters.models import Cluster
from portal.exceptions import RuleViolation
from portal.extensions import db
from portal.firms import queries as firm_queries
from portal.forms import ConfirmForm
from portal.i18n import current_locale
from portal.memberships import queries, services
from portal.memberships.forms import JoinForm
from portal.notifications.services import dispatch
from portal.permissions import can_edit_firm, can_request_membership, can_withdraw_membership, require

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
                services.request_membership(current_user, firm, cluster, form.positions.data, form.offers.data,
                                            form.seeks.data)
            except RuleViolation as exc:
                form.cluster_id.errors.append(str(exc))
            else:
                db.session.commit()
                dispatch()
                flash(_("Your request to join %(cluster)s has been sent to its coordinators.", cluster=cluster.name),
                      "success")
                return redirect(url_for("memberships.firm_memberships", firm_id=firm.id))
    return render_template("memberships/firm.html", firm=firm, memberships=queries.of_firm(firm), form=form,
                           confirm_form=ConfirmForm(), may_request=can_request_membership(current_user, firm))


@bp.post("/<int:firm_id>/memberships/<int:membership_id>/<any(cancel, leave):action>")
@login_required
def withdraw(firm_id, membership_id, action):
    membership = queries.membership_or_404(membership_id, firm_id=firm_id)
    require(can_withdraw_membership(current_user, membership))
    if ConfirmForm().validate_on_submit():
        try:
            if action == "cancel":
                services.cancel_request(current_user, membership)
            else:
                services.leave(current_user, membership)
        except RuleViolation as exc:
            flash(str(exc), "warning")
        else:
            db.session.commit()
            flash(_("Your request has been cancelled.") if action == "cancel" else
                  _("Your firm has left %(cluster)s.", cluster=membership.cluster.name), "success")
    return redirect(url_for("memberships.firm_memberships", firm_id=firm_id))
