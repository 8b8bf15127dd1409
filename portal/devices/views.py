"""The sessions page: where the user is signed in, and ending one session or all of them."""
from flask import Blueprint, abort, flash, g, has_request_context, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import event

from portal.devices import services
from portal.devices.models import DeviceSession
from portal.extensions import db
from portal.forms import ConfirmForm
from portal.i18n import gettext as _
from portal.permissions import can_end_device_session, require

bp = Blueprint("devices", __name__)


@bp.get("/")
@login_required
def index():
    rows = services.active_of(current_user)
    current = services.hash_token(current_user.session_token) if current_user.session_token else None
    return render_template("devices/index.html", rows=rows, current_hash=current, form=ConfirmForm())


@bp.post("/<int:session_id>/end")
@login_required
def end(session_id):
    row = db.session.get(DeviceSession, session_id)
    if row is None:
        abort(404)
    require(can_end_device_session(current_user, row))
    if not ConfirmForm().validate_on_submit():  # (only the CSRF token can fail, refused before this)
        return redirect(url_for("devices.index"))
    was_current = services.end_one(current_user, row)
    db.session.commit()
    if was_current:
        from portal.auth.views import forget_sign_in

        forget_sign_in()
        flash(_("You ended the session on this device, so you are now signed out."), "info")
        return redirect(url_for("main.index"))
    flash(_("That session has ended: that device is signed out."), "success")
    return redirect(url_for("devices.index"))


@bp.post("/end-all")
@login_required
def end_all():
    if not ConfirmForm().validate_on_submit():  # (only the CSRF token can fail, refused before this)
        return redirect(url_for("devices.index"))
    services.sign_out_everywhere(current_user)
    db.session.commit()
    from portal.auth.views import forget_sign_in

    forget_sign_in()
    flash(_("You have signed out everywhere: on this device and on all your other devices."), "info")
    return redirect(url_for("main.index"))


def touch_after_request(response):
    """Last seen, written after a page view that succeeded, at most once per DEVICE_SEEN_INTERVAL. Only
    after a GET or HEAD that wrote nothing of its own (no change pending, nothing flushed), so that this
    commit carries the last-seen time and nothing else."""
    session_id = g.pop("device_session_to_touch", None)
    if (session_id is None or request.method not in ("GET", "HEAD") or response.status_code >= 400
            or g.get("device_flushed") or db.session.new or db.session.dirty or db.session.deleted):
        return response
    try:
        services.touch(session_id)
        db.session.commit()
    except Exception:  # noqa: BLE001  (a last-seen time never breaks a page)
        db.session.rollback()
    return response


def _note_flush(session, flush_context):
    if has_request_context():
        g.device_flushed = True


def init_app(app):
    app.after_request(touch_after_request)
    if not event.contains(db.session, "after_flush", _note_flush):  # (several apps in one process: tests)
        event.listen(db.session, "after_flush", _note_flush)
