"""/privacy: the notice and the retention schedule; the accept page a new notice version sends people to;
the owner's withdrawal of listing consent; OSMEP's view of a person's consent history."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from portal.auth.models import User
from portal.auth.services import normalise_email
from portal.db import unit_of_work
from portal.exports import table_download
from portal.extensions import db
from portal.firms.models import Firm
from portal.forms import ConfirmForm
from portal.i18n import current_locale
from portal.i18n import gettext as _
from portal.permissions import can_edit_firm, can_view_consents, require
from portal.privacy import notice as notices
from portal.privacy import queries, retention, services
from portal.privacy.forms import AcceptForm, ConsentSearchForm
from portal.privacy.models import ConsentMethod
from portal.validators import is_safe_next

bp = Blueprint("privacy", __name__)


@bp.get("")
def notice():
    version = notices.current_version()
    return render_template("privacy/notice.html", version=version, effective=notices.effective_date(version),
                           body=notices.template_of(version, current_locale()), schedule=retention.SCHEDULE)


@bp.route("/accept", methods=["GET", "POST"])
@login_required
def accept():
    target = request.values.get("next") or ""
    target = target if is_safe_next(target) else url_for("firms.mine")
    if not services.needs_consent(current_user):
        return redirect(target)
    form = AcceptForm()
    if form.validate_on_submit():
        with unit_of_work():
            services.accept_notice(current_user, ConsentMethod.REACCEPTANCE, current_locale())
        flash(_("Thank you: your acceptance of the privacy notice is recorded."), "success")
        return redirect(target)
    version = notices.current_version()
    return render_template("privacy/accept.html", form=form, version=version, next=target,
                           first=services.accepted_version(current_user) is None,
                           effective=notices.effective_date(version),
                           body=notices.template_of(version, current_locale()))


@bp.post("/firms/<int:firm_id>/withdraw-listing")
@login_required
def withdraw_listing(firm_id):
    firm = db.get_or_404(Firm, firm_id)
    require(can_edit_firm(current_user, firm))
    if ConfirmForm().validate_on_submit():
        with unit_of_work():
            changed = services.withdraw_listing(current_user, firm)
        if changed:
            flash(_("Consent withdrawn: the firm is no longer in the public directory. Signed-in members "
                    "still see it."), "success")
    return redirect(url_for("firms.detail", firm_id=firm.id))


def _searched():
    """The person the staff search names (?email=), with their history; (form, person or None, records)."""
    require(can_view_consents(current_user))
    form = ConsentSearchForm(request.args)
    person, records = None, []
    if form.email.data and form.validate():
        person = db.session.scalar(select(User).where(User.email == normalise_email(form.email.data)))
        if person is not None:
            records = queries.history_of(person)
    return form, person, records


@bp.get("/consents")
@login_required
def consents():
    """OSMEP staff: one person's consent history, found by e-mail address."""
    form, person, records = _searched()
    return render_template("privacy/consents.html", form=form, person=person, records=records,
                           searched=bool(form.email.data))


@bp.get("/consents.csv")
@login_required
def consents_csv():
    """The same history as a CSV file, for a reply to the person or to the PDPC."""
    _form, person, records = _searched()
    if person is None:
        abort(404)
    return table_download("consents", *queries.history_table(records), "csv", f"consents-{person.id}.csv")
