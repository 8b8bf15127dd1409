"""Error pages in the visitor's language, for every HTTP error and for unexpected failures."""
import logging

from flask import render_template
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException, InternalServerError

from portal.exceptions import PermissionDenied
from portal.extensions import db

log = logging.getLogger(__name__)

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Please check what you entered and try again.")),
    403: (_l("Access denied"), _l("You do not have permission to see this page.")),
    404: (_l("Page not found"), _l("The page you are looking for does not exist or has been moved.")),
    405: (_l("Not allowed"), _l("This action is not allowed on this page.")),
    413: (_l("Too large"), _l("What you sent is too large.")),
    429: (_l("Too many requests"), _l("You have made too many requests. Please wait a moment and try again.")),
    500: (_l("Something went wrong"), _l("An unexpected error occurred. It has been logged; please try again later.")),
}


def render_error(code: int):
    title, message = MESSAGES.get(code, MESSAGES[500] if code >= 500 else MESSAGES[400])
    return render_template("errors/error.html", code=code, title=title, message=message), code


def register(app):
    @app.errorhandler(HTTPException)
    def _http_error(exc):
        if exc.code is None or exc.code < 400:
            return exc
        return render_error(exc.code)

    @app.errorhandler(PermissionDenied)
    def _permission_denied(exc):
        db.session.rollback()
        return render_error(403)

    @app.errorhandler(InternalServerError)
    def _server_error(exc):
        db.session.rollback()
        original = getattr(exc, "original_exception", None)
        if original is not None:
            log.error("unhandled error: %r", original, exc_info=original)
        return render_error(500)
