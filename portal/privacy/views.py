"""/privacy: the notice and the retention schedule; the accept page a new notice version sends people to;
the owner's withdrawal of listing consent; OSMEP's view of a person's consent history."""
from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
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
from portal.permissions import can_edit_firm, can_view_consents, require
from portal.privacy import notice as notices
from portal.privacy import queries, retention, services
from portal.privacy.forms import AcceptForm, ConsentSearchForm
from portal.privacy.models import ConsentMethod
from portal.validators import is_safe_next

bp = Blueprint("privacy", __name__)

# Page views that never wait for the acceptance: this blueprint, signing out, confirming an address, the
# language switch, an e-mail's "stop these alerts" link (stopping mail is never held back), health checks and
# machine endpoints (LINE's webhook), static files; the second step and enrolment of two-factor sign-in
# (whose own gate would send the page back here, in a loop); and the data subject's own rights (download my
# data, delete my account), which never wait for a notice to be accepted.
OPEN_ENDPOINTS = {"auth.logout", "auth.confirm", "auth.check_email", "auth.set_language", "following.stop",
                  "main.health", "main.favicon", "static"}
OPEN_BLUEPRINTS = {"privacy", "line_webhook", "twofactor", "mydata"}
ACCEPTED = "privacy_accepted"  # in the session: [user id, notice version] once that user has accepted that version


@bp.before_app_request
def ask_for_consent():
    """A signed-in person who has not accepted the current notice is sent to accept it, from any page view."""
    if request.method not in ("GET", "HEAD") or not current_user.is_authenticated:
        return None
    if request.endpoint is None or request.endpoint in OPEN_ENDPOINTS or request.blueprint in OPEN_BLUEPRINTS:
        return None
    settled = [current_user.id, notices.current_version()]
    if session.get(ACCEPTED) == settled:  # known from an earlier request of this session: no query
        return None
    if not services.needs_consent(current_user):
        session[ACCEPTED] = settled
        return None
    return redirect(url_for("privacy.accept", next=request.full_path.rstrip("?")))


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
