"""The in-app notification list, and the settings of which notifications go by e-mail and LINE."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from portal.extensions import db
from portal.forms import ConfirmForm
from portal.i18n import current_locale
from portal.i18n import gettext as _
from portal.line import messaging as line
from portal.line import services as line_services
from portal.listing import paginate
from portal.notifications import preferences, services
from portal.notifications.forms import field_name, preferences_form
from portal.notifications.models import Notification

bp = Blueprint("notifications", __name__)


@bp.get("/")
@login_required
def index():
    pagination = paginate(select(Notification).where(Notification.user_id == current_user.id)
                          .order_by(Notification.created_at.desc(), Notification.id.desc()))
    locale = current_locale()
    items = [(n, services.message(n, locale)) for n in pagination.items]
    return render_template("notifications/index.html", pagination=pagination, items=items, form=ConfirmForm())


@bp.route("/<int:notification_id>", methods=["GET", "POST"])
@login_required
def open_(notification_id):
    """Open what a notification is about. Only the list's button (a POST with its CSRF token) marks it read:
    a GET, which any other site can make the browser send, changes nothing."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != current_user.id:
        abort(404)
    if request.method == "POST" and ConfirmForm().validate_on_submit():
        services.mark_read(current_user, notification)
        db.session.commit()
    return redirect(services.link(notification), code=303)


@bp.post("/read")
@login_required
def read_all():
    if ConfirmForm().validate_on_submit():
        services.mark_read(current_user)
        db.session.commit()
    return redirect(url_for("notifications.index"))


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    """Per kind: e-mail, LINE, both or neither. LINE is offered once the user linked LINE (and the portal
    is configured for LINE messages); until they follow the Official Account the page offers its link."""
    account = line_services.link_of(current_user) if line.is_configured() else None
    line_offered = account is not None
    stored = preferences.of_user(current_user)
    if request.method == "GET":
        form = preferences_form(services.choosable(), line_offered, formdata=None)
        for kind in form.kinds:
            by_email, by_line = stored.get(kind, (True, True))
            form[field_name(kind)].data = preferences.to_choice(by_email, by_line and line_offered)
    else:
        form = preferences_form(services.choosable(), line_offered)
    if form.validate_on_submit():
        preferences.save(current_user, {kind: form[field_name(kind)].data for kind in form.kinds}, line_offered)
        db.session.commit()
        flash(_("Your notification settings have been saved."), "success")
        return redirect(url_for("notifications.settings"))
    return render_template("notifications/settings.html", form=form, account=account,
                           line_configured=line.is_configured(), add_friend_url=line.add_friend_url())
