"""Errors of the JSON API as RFC 9457 problem details (`application/problem+json`), in the language the
client's Accept-Language asks for (portal.i18n.select_locale: the API reads no session)."""
from flask import jsonify, request
from werkzeug.exceptions import HTTPException

from portal.i18n import lazy_gettext as _l

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://cluster-portal.example/problems/"  # identifiers only (RFC 9457 allows non-resolvable URIs)

TITLES = {
    400: (_l("Bad request"), _l("The request could not be understood.")),
    401: (_l("Not signed in"),
          _l("A valid access token is needed: send it as \u201cAuthorization: Bearer <token>\u201d. "
             "The token may be wrong, revoked or expired, or its account suspended.")),
    403: (_l("Not allowed"), _l("This token may not do that.")),
    404: (_l("Not found"), _l("There is nothing at this address, or you may not see it.")),
    405: (_l("Method not allowed"), _l("This address does not accept that method.")),
    406: (_l("Not acceptable"), _l("This address answers in JSON only.")),
    409: (_l("Conflict"), _l("That is not possible in its present state.")),
    412: (_l("Precondition failed"), _l("It has changed since you read it (If-Match).")),
    413: (_l("Too large"), _l("The request is too large.")),
    422: (_l("Invalid input"), _l("Some parameters are not valid: see \u201cerrors\u201d.")),
    429: (_l("Too many requests"), _l("You have made too many requests. Please wait a moment and try again.")),
    500: (_l("Server error"), _l("Something went wrong on our side. Please try again later.")),
    503: (_l("Temporarily unavailable"), _l("The database cannot be reached at the moment. Try again after "
                                             "Retry-After seconds; a write cut off now may or may not be applied.")),
}


def is_api_request() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def problem(status: int, detail=None, errors=None, headers=None):
    """A problem+json response. `errors`: {location: {field: [messages]}} for invalid input."""
    title, default_detail = TITLES.get(status, TITLES[500] if status >= 500 else TITLES[400])
    body = {"type": TYPE_BASE + str(status), "title": str(title), "status": status,
            "detail": str(detail if detail is not None else default_detail)}
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = MEDIA_TYPE
    response.headers["Content-Language"] = _language()
    for key, value in (headers or {}).items():
        if key.lower() != "content-type":
            response.headers[key] = value
    return response


def from_http_exception(exc: HTTPException):
    headers = {key: value for key, value in exc.get_headers() if key.lower() != "content-type"}
    detail = None
    if exc.code == 429:
        from portal.errors import _limit_reset_seconds

        seconds = _limit_reset_seconds()
        if seconds:
            headers["Retry-After"] = str(seconds)
    return problem(exc.code or 500, detail, headers=headers)


def from_http_error(error):
    """APIFlask's HTTPError (a failed validation, an authentication failure) as a problem."""
    errors = error.detail if error.status_code == 422 and isinstance(error.detail, dict) else None
    return problem(error.status_code, errors=_translated(errors), headers=error.headers)


def _translated(errors):
    """marshmallow's messages are English; ours (from the schemas) are lazy strings: all as text."""
    if isinstance(errors, dict):  # a field's messages are always a list (marshmallow keeps a lazy one bare)
        return {key: _translated(value) if isinstance(value, dict | list) else [_translated(value)]
                for key, value in errors.items()}
    if isinstance(errors, list):
        return [_translated(value) for value in errors]
    return None if errors is None else str(errors)


def _language() -> str:
    from portal.i18n import current_locale

    return current_locale()
