"""The in-app notification list."""
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from portal.extensions import db
from portal.forms import ConfirmForm
from portal.i18n import current_locale
from portal.listing import paginate
from portal.notifications import services
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
