"""The JSON API's blueprint: /api/v1 (read endpoints, in portal/api/resources.py and me.py), the OpenAPI
document at /api/openapi.json and its reference page at /api/docs (plain HTML made from the document:
no script, nothing from a CDN). Errors are problem+json; reads carry ETags; limits are per token."""
from apiflask import APIBlueprint
from apiflask.exceptions import HTTPError
from flask import current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from portal.api import problems
from portal.api.auth import authenticate, rate_key
from portal.extensions import csrf, limiter

bp = APIBlueprint("api", __name__, tag="API", enable_openapi=True)
bp.before_request(authenticate)
# The API acts on the bearer token only, never on the session cookie a browser would send along, so a
# forged cross-site request carries no authority here: CSRF protection stays on for every other blueprint.
csrf.exempt(bp)
limiter.limit(lambda: current_app.config["API_RATE_LIMIT"], key_func=rate_key)(bp)


@bp.record_once
def _setup(state):
    app = state.app
    app.error_processor(problems.from_http_error)  # APIFlask's HTTPError: only the API raises it
    app.config.update(HTTP_ERROR_SCHEMA=_problem_schema(), VALIDATION_ERROR_SCHEMA=_problem_schema(),
                      SECURITY_SCHEMES=None, INFO={"description": "The Cluster Portal's API. Errors are RFC 9457 "
                                                   "problem details; lists are paged by cursor; writes need a "
                                                   "token with the write scope."})
    app.spec_processor(_problem_media_types)


def _problem_schema():
    from portal.api.schemas import Problem

    return Problem


ERROR_CODES = {"400": "Bad request", "401": "Not signed in: no token, or one that cannot be used",
               "404": "Not found", "422": "Invalid input", "429": "Too many requests"}
WRITE_ERROR_CODES = {"403": "Not allowed: a read-only token, or a rule of the portal says no",
                     "405": "Method not allowed (werkzeug's router answers so when an id is out of range)",
                     "409": "Not possible in the target's present state (a closed request, a decided membership)",
                     "412": "If-Match did not match the target's ETag"}


def _problem_media_types(spec: dict) -> dict:
    """Every error of every operation is documented as problem+json (what it is sent as)."""
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    spec.setdefault("components", {}).setdefault("schemas", {}).setdefault("Problem", {
        "type": "object", "properties": {"type": {"type": "string"}, "title": {"type": "string"},
                                         "status": {"type": "integer"}, "detail": {"type": "string"},
                                         "errors": {"type": "object"}}})
    for operations in spec.get("paths", {}).values():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            codes = ERROR_CODES if method == "get" else {**ERROR_CODES, **WRITE_ERROR_CODES}
            for code in codes:
                response = responses.setdefault(code, {"description": codes[code]})
                response["content"] = {problems.MEDIA_TYPE: {"schema": problem_ref}}
            if "200" in responses:
                responses["304"] = {"description": "Not modified (If-None-Match matched the ETag)."}
    from portal.webhooks.openapi import add_webhooks

    return add_webhooks(spec)


@bp.errorhandler(HTTPError)
def _api_error(error):
    return problems.from_http_error(error)


@bp.errorhandler(HTTPException)
def _http_exception(exc):
    return problems.from_http_exception(exc)


@bp.after_request
def _finish(response):
    response.vary.add("Authorization")
    if response.status_code == 200 and response.mimetype == "application/json":
        if request.method == "GET":
            response.add_etag()
            response.make_conditional(request)
        elif request.method == "PATCH":  # the updated target, as a GET would send it: the next If-Match
            response.add_etag()
    origins = current_app.config.get("API_CORS_ORIGINS") or ()
    origin = request.headers.get("Origin")
    if origin and origin in origins:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Headers"] = ("Authorization, Accept-Language, If-None-Match, "
                                                            "If-Match, Content-Type")
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, PATCH"  # the writes' preflight
        response.headers["Access-Control-Expose-Headers"] = "ETag, Retry-After"
        response.vary.add("Origin")
    return response


@bp.get("/openapi.json")
@bp.doc(hide=True)
def spec():
    return jsonify(current_app.spec)


@bp.get("/docs")
@bp.doc(hide=True)
def docs():
    return render_template("api/docs.html", spec=current_app.spec)


from portal.api import coordination as _coordination  # noqa: E402,F401  (their routes, on bp)
from portal.api import me as _me  # noqa: E402,F401
from portal.api import resources as _resources  # noqa: E402,F401
from portal.api import writes as _writes  # noqa: E402,F401
