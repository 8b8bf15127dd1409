"""Writes of a firm's team through the API: update the firm's profile; post, renew and close requests.

Each does what its page does, through the page's rules and service (so the same audit entry is written):
load the target (404 where the page would not show it), ask the permission rule (403), validate the body
(422, nothing changed), call one service inside a unit of work (its refusal: 422 beside the input it is
about, else 409; everything rolled back), answer with the target as the read API shows it.
"""
from apiflask.exceptions import HTTPError
from flask import abort, jsonify, request
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from portal import reference
from portal.api import schemas, write_schemas
from portal.api.auth import auth, write_required
from portal.api.problems import problem
from portal.api.resources import firm_detail_body, request_body
from portal.api.views import bp
from portal.clusters.models import Position
from portal.collab import queries as board_queries
from portal.collab import services as collab_services
from portal.collab.models import CloseReason, Kind, OutcomeKind
from portal.db import unit_of_work
from portal.exceptions import PermissionDenied, RuleViolation
from portal.extensions import db
from portal.firms import queries as firm_queries
from portal.firms import services as firm_services
from portal.firms.forms import FirmForm
from portal.firms.models import Firm
from portal.i18n import gettext as _
from portal.i18n import lazy_gettext as _l
from portal.permissions import can_edit_firm, can_manage_request, can_post_request, can_view_firm, is_out_of_view

NOT_ALLOWED = _l("The portal's rules do not let this token's account do that.")
NOT_A_MEMBER = _l("Your firm is not a member of this cluster.")
CHOOSE_FIRM = _l("Choose your firm.")


def forbidden():
    abort(problem(403, NOT_ALLOWED))


def invalid(errors: dict):
    """422 with {"json": {field: [messages]}}, as a failed body validation answers."""
    raise HTTPError(422, detail={"json": {name: [str(m) for m in messages] for name, messages in errors.items()}})


def refused(exc: RuleViolation, names: dict | None = None):
    """A service's refusal: about one input, a 422 beside it (`names`: the service's field -> the API's);
    about the target's state (already closed, already decided, a limit), a 409. Read after the rollback."""
    if exc.field:
        invalid({(names or {}).get(exc.field, exc.field): [str(exc)]})
    abort(problem(409, str(exc)))


# --- firms ---------------------------------------------------------------------------------------------

FORM_FIELDS = {"email": "contact_email", "province": "province_id"}  # API name -> the firm form's
API_FIELDS = {form_name: api_name for api_name, form_name in FORM_FIELDS.items()}


def _firm_form(firm, changes: dict) -> FirmForm:
    """The firm edit page's form, filled with the profile as it would be saved: the saved values, the
    body's over them. Validating it applies the page's very rules (and their normalising: phone to +66…)."""
    values = {"name_th": firm.name_th, "name_en": firm.name_en, "legal_form": firm.legal_form.value,
              "registration_number": firm.registration_number, "province_id": firm.province_id,
              "size": firm.size.value, "founded_year": firm.founded_year, "description_th": firm.description_th,
              "description_en": firm.description_en, "products_th": firm.products_th,
              "products_en": firm.products_en, "phone": firm.phone, "contact_email": firm.email,
              "line_id": firm.line_id, "website": firm.website, "public_listing": firm.has_public_consent}
    for name, value in changes.items():
        if name == "province":
            codes = {ref.key: ref.id for ref in reference.provinces().values()}
            value = codes.get(value, "")  # an unknown code: the form's "Please choose a province."
        values[FORM_FIELDS.get(name, name)] = value
    formdata = MultiDict()
    for name, value in values.items():
        if name == "public_listing":
            if value:
                formdata.add(name, "y")
        elif value is not None:
            formdata.add(name, str(value))
    return FirmForm(formdata=formdata, meta={"csrf": False})


def _firm_etag(firm) -> str:
    """The ETag GET /api/v1/firms/<id> gives this viewer (a hash of the very body it sends)."""
    from werkzeug.http import generate_etag

    return generate_etag(jsonify(schemas.FirmDetail().dump(firm_detail_body(firm))).get_data())


@bp.patch("/v1/firms/<int:firm_id>")
@write_required
@bp.auth_required(auth)
@bp.input(write_schemas.FirmUpdate, location="json")
@bp.output(schemas.FirmDetail)
def update_firm(firm_id, json_data):
    """Update a firm's profile

    Its owner and editors, as on the firm's edit page (not the logo). Fields left out keep their values.
    Send `If-Match` with the ETag of GET /api/v1/firms/<id> to be refused (412) if the profile changed
    meanwhile."""
    firm = firm_queries.get_or_404(firm_id)
    if not can_view_firm(current_user, firm):
        abort(404)
    if not can_edit_firm(current_user, firm):
        forbidden()
    if request.headers.get("If-Match") and not request.if_match.contains(_firm_etag(firm)):
        abort(problem(412, _("The firm's profile has changed since you read it: read it again, then send "
                             "your change.")))
    form = _firm_form(firm, json_data)
    if not form.validate():
        invalid({API_FIELDS.get(name, name): errors for name, errors in form.errors.items()})
    try:
        with unit_of_work():
            firm_services.update_firm(current_user, firm, form.profile_data(), bool(form.public_listing.data))
    except PermissionDenied:
        forbidden()
    except RuleViolation as exc:
        refused(exc if exc.field else RuleViolation(exc.message, "registration_number"))
    return firm_detail_body(firm_queries.get_or_404(firm_id))


# --- requests ------------------------------------------------------------------------------------------

def _reference_id(kind: str, key, field: str, message) -> int | None:
    if key is None:
        return None
    found = next((ref.id for ref in getattr(reference, kind)().values() if ref.key == key), None)
    if found is None:
        invalid({field: [message]})
    return found


@bp.post("/v1/requests")
@write_required
@bp.auth_required(auth)
@bp.input(write_schemas.RequestCreate, location="json")
@bp.output(schemas.Request, status_code=201)
def post_request(json_data):
    """Post a request

    For one of the token account's firms, as on the board's "post a request" page: in a cluster the firm
    belongs to, or open to all clusters; a title in Thai or English; open 60 days unless `expires_on` says
    otherwise (at most 12 months); the firm's daily limit."""
    firm = db.session.get(Firm, json_data["firm_id"])
    if firm is None or not can_view_firm(current_user, firm):  # as if absent: no hint of a hidden firm
        invalid({"firm_id": [CHOOSE_FIRM]})
    if not can_edit_firm(current_user, firm):
        forbidden()
    cluster_id = _reference_id("clusters", json_data.get("cluster"), "cluster", _l("No cluster has this slug."))
    if not can_post_request(current_user, firm, cluster_id):
        if can_post_request(current_user, firm, None):
            invalid({"cluster": [NOT_A_MEMBER]})
        forbidden()  # unconfirmed account, hidden firm, or a firm in no cluster: the page says no too
    position = json_data.get("position_sought")
    data = {"cluster_id": cluster_id, "kind": Kind(json_data["kind"]),
            "position_sought": Position(position) if position else None,
            "province_id": _reference_id("provinces", json_data.get("province"), "province",
                                         _l("No province has this code.")),
            **{key: json_data.get(key) or None for key in ("title_th", "title_en", "details_th", "details_en",
                                                            "quantity")},
            "budget_min": json_data.get("budget_min"), "budget_max": json_data.get("budget_max")}
    try:
        with unit_of_work():
            posted = collab_services.post_request(current_user, firm, data, json_data.get("expires_on"))
    except PermissionDenied:
        forbidden()
    except RuleViolation as exc:
        refused(exc, {"cluster_id": "cluster", "province_id": "province"})
    return request_body(board_queries.request_or_404(posted.id)), 201


def _managed_request(request_id):
    """The request, if its firm's team may look after it: 404 where its page would be, 403 otherwise."""
    found = board_queries.request_or_404(request_id)
    if is_out_of_view(current_user, found):
        abort(404)
    if not can_manage_request(current_user, found):
        forbidden()
    return found


@bp.post("/v1/requests/<int:request_id>/renew")
@write_required
@bp.auth_required(auth)
@bp.input(write_schemas.RequestRenew, location="json", arg_name="body")
@bp.output(schemas.Request)
def renew_request(request_id, body):
    """Renew a request

    Extend an open request, or reopen one that expired (never one its firm closed): until `expires_on`, or
    60 days from today."""
    found = _managed_request(request_id)
    try:
        with unit_of_work():
            collab_services.renew(current_user, found, body.get("expires_on"))
    except RuleViolation as exc:
        refused(exc)
    return request_body(board_queries.request_or_404(request_id))


@bp.post("/v1/requests/<int:request_id>/close")
@write_required
@bp.auth_required(auth)
@bp.input(write_schemas.RequestClose, location="json", arg_name="body")
@bp.output(schemas.Request)
def close_request(request_id, body):
    """Close a request

    As partnered (naming a firm that responded, with the estimated value in baht and whether it saved cost
    or made sales), not fulfilled, or withdrawn."""
    found = _managed_request(request_id)
    kind = body.get("outcome_kind")
    try:
        with unit_of_work():
            collab_services.close(current_user, found, CloseReason(body["reason"]),
                                  partner_firm_id=body.get("partner_firm_id"), value=body.get("value"),
                                  outcome_kind=OutcomeKind(kind) if kind else None)
    except RuleViolation as exc:
        refused(exc)
    return request_body(board_queries.request_or_404(request_id))
