"""Admin pages at /admin/webhooks: the endpoints, one endpoint's settings and delivery log, replay."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.db import unit_of_work
from portal.exceptions import RuleViolation
from portal.extensions import db
from portal.forms import ConfirmForm, place_error
from portal.i18n import gettext as _
from portal.listing import paginate
from portal.permissions import can_manage_webhooks, require
from portal.webhooks import services
from portal.webhooks.forms import EndpointForm
from portal.webhooks.models import EVENT_TYPES, WebhookDelivery, WebhookEndpoint

bp = Blueprint("webhooks", __name__)


def _endpoint(endpoint_id) -> WebhookEndpoint:
    require(can_manage_webhooks(current_user))
    return db.session.get(WebhookEndpoint, endpoint_id) or abort(404)


def _index(form, new_secret=None, status=200):
    rows = db.session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)).all()
    return render_template("webhooks/index.html", rows=rows, form=form, new_secret=new_secret,
                           event_types=EVENT_TYPES, confirm=ConfirmForm()), status


@bp.get("/")
@login_required
def index():
    require(can_manage_webhooks(current_user))
    return _index(EndpointForm(formdata=None))


@bp.post("/")
@login_required
def create():
    require(can_manage_webhooks(current_user))
    form = EndpointForm()
    if not form.validate_on_submit():
        return _index(form, status=422)
    try:
        with unit_of_work():
            endpoint, secret = services.create_endpoint(current_user, form.url.data, form.events.data,
                                                        form.description.data, form.is_active.data)
    except RuleViolation as exc:
        place_error(form, exc)
        return _index(form, status=422)
    return _endpoint_page(endpoint, EndpointForm(formdata=None, obj=endpoint), new_secret=secret)


def _log(endpoint):
    """The endpoint's deliveries, newest first."""
    return (select(WebhookDelivery).options(joinedload(WebhookDelivery.event))
            .where(WebhookDelivery.endpoint_id == endpoint.id)
            .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc()))


def _endpoint_page(endpoint, form, new_secret=None, status=200, pagination=None):
    pagination = pagination or paginate(_log(endpoint))  # a form's answer shows the log's first page
    return render_template("webhooks/endpoint.html", endpoint=endpoint, form=form, pagination=pagination,
                           new_secret=new_secret, event_types=EVENT_TYPES, confirm=ConfirmForm()), status


@bp.get("/<int:endpoint_id>")
@login_required
def endpoint(endpoint_id):
    row = _endpoint(endpoint_id)
    return _endpoint_page(row, EndpointForm(formdata=None, obj=row), pagination=paginate(_log(row)))


@bp.post("/<int:endpoint_id>")
@login_required
def update(endpoint_id):
    row = _endpoint(endpoint_id)
    form = EndpointForm()
    if not form.validate_on_submit():
        return _endpoint_page(row, form, status=422)
    try:
        with unit_of_work():
            services.update_endpoint(current_user, row, form.url.data, form.events.data, form.description.data,
                                     form.is_active.data)
    except RuleViolation as exc:
        place_error(form, exc)
        return _endpoint_page(db.session.get(WebhookEndpoint, endpoint_id), form, status=422)
    flash(_("The endpoint is saved."), "success")
    return redirect(url_for("webhooks.endpoint", endpoint_id=endpoint_id))


@bp.post("/<int:endpoint_id>/secret")
@login_required
def rotate(endpoint_id):
    row = _endpoint(endpoint_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with unit_of_work():
        secret = services.rotate_secret(current_user, row)
    return _endpoint_page(row, EndpointForm(formdata=None, obj=row), new_secret=secret)


@bp.post("/<int:endpoint_id>/delete")
@login_required
def delete(endpoint_id):
    row = _endpoint(endpoint_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with unit_of_work():
        services.delete_endpoint(current_user, row)
    flash(_("The endpoint is removed: nothing more is sent to it."), "success")
    return redirect(url_for("webhooks.index"))


@bp.post("/<int:endpoint_id>/deliveries/<int:delivery_id>/replay")
@login_required
def replay(endpoint_id, delivery_id):
    _endpoint(endpoint_id)
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.endpoint_id != endpoint_id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        with unit_of_work():
            services.replay(current_user, delivery)
    except RuleViolation as exc:
        flash(str(exc), "warning")
    else:
        flash(_("The event is queued to be sent again."), "success")
    return redirect(url_for("webhooks.endpoint", endpoint_id=endpoint_id))
