"""Error pages in the visitor's language, for every HTTP error and for unexpected failures; and the
one check on input that no page could store (NUL characters)."""
import logging
import math
import time
from urllib.parse import urlsplit

from flask import current_app, render_template, request
from flask.globals import request_ctx
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError

from portal.exceptions import PermissionDenied
from portal.extensions import db
from portal.i18n import gettext
from portal.i18n import lazy_gettext as _l

log = logging.getLogger(__name__)

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Please check what you entered and try again.")),
    403: (_l("Access denied"), _l("You do not have permission to see this page.")),
    404: (_l("Page not found"), _l("The page you are looking for does not exist or has been moved.")),
    405: (_l("Not allowed"), _l("This action is not allowed on this page.")),
    409: (_l("Changed at the same moment"),
          _l("Someone else changed this at the same moment, so your change was not saved. "
             "Please reload the page and try again.")),
    413: (_l("Too large"), _l("What you sent is too large.")),
    429: (_l("Too many requests"), _l("You have made too many requests. Please wait a moment and try again.")),
    500: (_l("Something went wrong"), _l("An unexpected error occurred. It has been logged; please try again later.")),
    503: (_l("Temporarily unavailable"),
          _l("The portal cannot reach its database at the moment. Please try again in a minute; if you were "
             "saving something, check then whether it was saved.")),
}
RETRY_AFTER_SECONDS = 30  # said to browsers and API clients while the database is out of reach

# The database unreachable, and the page unable to say so in the visitor's language (that needs the
# database: the signed-in user's language, the menu): both languages, nothing that needs the app.
UNAVAILABLE_PAGE = ("<!doctype html><html lang=\"th\"><head><meta charset=\"utf-8\">"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                    "<title>ใช้งานไม่ได้ชั่วคราว · Temporarily unavailable</title></head><body>"
                    "<h1>ใช้งานไม่ได้ชั่วคราว</h1><p>พอร์ทัลติดต่อฐานข้อมูลไม่ได้ในขณะนี้ โปรดลองอีกครั้งในอีกสักครู่ "
                    "หากกำลังบันทึกข้อมูลอยู่ โปรดตรวจดูอีกครั้งว่าบันทึกแล้วหรือยัง</p>"
                    "<h2 lang=\"en\">Temporarily unavailable</h2>"
                    "<p lang=\"en\">The portal cannot reach its database at the moment. Please try again in a minute; "
                    "if you were saving something, check then whether it was saved.</p></body></html>")


NUL_MESSAGE = _l("What you sent contains a NUL character (an invisible control character) that cannot be saved. "
                 "Please remove it and try again.")


def render_error(code: int, message=None, back=None):
    title, default = MESSAGES.get(code, MESSAGES[500] if code >= 500 else MESSAGES[400])
    return render_template("errors/error.html", code=code, title=title, message=message or default,
                           back=back), code


def megabytes(size: int) -> str:
    """A byte limit as people read it: \"10 MB\"."""
    return f"{size / (1024 * 1024):g} MB"


def back_url() -> str | None:
    """Where "Back" leads: the page the visitor came from, if it is one of ours (the Referer's path only)."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc != request.host or not referrer.path.startswith("/"):
        return None
    return referrer.path + (f"?{referrer.query}" if referrer.query else "")


def drain_request_body(limit: int = 64 * 1024 * 1024) -> None:
    """Read and drop an unread request body (up to `limit`), so the answer reaches a client still sending
    rather than a connection reset. The body is never parsed or kept."""
    stream = request.environ.get("wsgi.input")
    remaining = min(request.content_length or 0, limit)
    try:
        while stream is not None and remaining > 0:
            chunk = stream.read(min(remaining, 1024 * 1024))
            if not chunk:
                break
            remaining -= len(chunk)
    except OSError:  # the client gave up: nothing to answer
        pass


def request_too_large():
    """413 that names the limit and offers the way back to the form."""
    drain_request_body()
    limit = megabytes(current_app.config["MAX_CONTENT_LENGTH"])
    message = gettext("What you sent is larger than %(limit)s, the most the portal accepts at once. Please go back "
                      "and send less, or a smaller file.", limit=limit)
    return render_error(413, message, back=back_url())


UNROUTED_PAGE = ("<!doctype html><html lang=\"th\"><head><meta charset=\"utf-8\"><title>คำขอไม่ถูกต้อง · Bad request"
                 "</title></head><body><h1>คำขอไม่ถูกต้อง</h1><p lang=\"en\">Bad request</p></body></html>")


def too_many_requests(seconds: int):
    """429 that says when to try again (in words and in Retry-After), in the visitor's language."""
    from portal.i18n import format_wait

    seconds = max(1, int(seconds))
    message = gettext("Too many attempts. Please try again in %(wait)s.", wait=format_wait(seconds))
    body, code = render_error(429, message)
    return body, code, {"Retry-After": str(seconds)}


def _limit_reset_seconds() -> int | None:
    """Seconds until the rate limit that refused this request lets the next one through."""
    from portal.extensions import limiter

    try:
        current = limiter.current_limit
    except Exception:  # noqa: BLE001  (no limit information: the general message stands)
        return None
    if current is None:
        return None
    return max(1, math.ceil(current.reset_at - time.time()))


def _contains_nul(values) -> bool:
    return any("\x00" in key or "\x00" in value for key, value in values)


def refuse_nul():
    """before_request: a NUL character in the path, the query string or a form field is refused with a
    400 that says why. No one types it, PostgreSQL cannot store it in text ("A string literal cannot
    contain NUL"), and it would reach every query and column; refusing it here covers them all."""
    path_values = [(str(k), v) for k, v in (request.view_args or {}).items() if isinstance(v, str)]
    files = [(name, f.filename or "") for name, f in request.files.items(multi=True)] if request.files else []
    if _contains_nul(path_values) or _contains_nul(request.args.items(multi=True)) or \
            _contains_nul(request.form.items(multi=True)) or _contains_nul(files):
        from portal.api.problems import is_api_request, problem

        return problem(400, NUL_MESSAGE) if is_api_request() else render_error(400, NUL_MESSAGE)
    return None


def _log_denied() -> None:
    from portal.security_events import security_event

    security_event("permission.denied", None, logging.WARNING, method=request.method, path=request.path,
                   endpoint=request.endpoint)


def register(app):
    app.before_request(refuse_nul)

    @app.errorhandler(HTTPException)
    def _http_error(exc):
        if exc.code is None or exc.code < 400:
            return exc
        if request_ctx.url_adapter is None:
            # Refused before routing (a Host that is not ours): no URL can be built for this host, so
            # the page cannot link anywhere; a bare answer in both languages.
            return UNROUTED_PAGE, exc.code, {"Content-Type": "text/html; charset=utf-8"}
        if exc.code == 403:
            _log_denied()
        from portal.api.problems import from_http_exception, is_api_request

        if is_api_request():  # an /api/ address no route matched, or refused before routing: problem+json
            return from_http_exception(exc)
        if exc.code == 413:
            return request_too_large()
        if exc.code == 429:
            seconds = _limit_reset_seconds()
            if seconds:
                return too_many_requests(seconds)
        return render_error(exc.code)

    @app.errorhandler(PermissionDenied)
    def _permission_denied(exc):
        db.session.rollback()
        _log_denied()
        return render_error(403)

    @app.errorhandler(StaleDataError)
    def _concurrent_change(exc):
        # A row changed under an optimistic lock (version_id) that no service turned into a message
        # first: the request is refused whole, never half-written, and the user is told to retry.
        db.session.rollback()
        log.warning("concurrent change refused: %s", exc)
        return render_error(409)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def _database_unavailable(exc):
        return database_unavailable(exc)

    @app.errorhandler(InternalServerError)
    def _server_error(exc):
        db.session.rollback()
        original = getattr(exc, "original_exception", None)
        if original is not None:
            log.error("unhandled error: %r", original, exc_info=original)
        from portal.api.problems import is_api_request, problem

        if is_api_request():
            return problem(500)
        return render_error(500)


def database_unavailable(exc):
    """503 with Retry-After while the database is out of reach (stopped, restarting, the network gone), in
    the visitor's language when the page can still be drawn, else in both. A save cut off at its commit may
    or may not have reached the database, so the page asks to check rather than promising either."""
    log.warning("database unavailable: %s", str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001  (the connection is gone: nothing to roll back)
        db.session.close()
    from portal.api.problems import is_api_request, problem

    if is_api_request():
        return problem(503, headers=headers)
    try:
        body, code = render_error(503)
    except Exception:  # noqa: BLE001  (drawing the page needed the database too)
        db.session.close()
        return UNAVAILABLE_PAGE, 503, {**headers, "Content-Type": "text/html; charset=utf-8"}
    return body, code, headers
