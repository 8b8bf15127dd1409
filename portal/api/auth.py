"""Who an API request acts as: the owner of the personal access token in `Authorization: Bearer`, the
OSMEP system of a service token (models.ServiceActor), or nobody. The API never reads the session cookie,
so a browser's sign-in cannot be ridden by another site (and CSRF protection has nothing to guard there)."""
from functools import wraps

from apiflask import HTTPTokenAuth
from flask import abort, current_app, g, request

from portal.api import problems, tokens
from portal.api.models import ServiceActor
from portal.db import utcnow
from portal.extensions import db
from portal.i18n import lazy_gettext as _l
from portal.permissions import can_use_api_token

auth = HTTPTokenAuth(scheme="Bearer", security_scheme_name="BearerAuth",
                     description="A personal access token (`cpt_…`), made on the account's API access tokens page.")


@auth.verify_token
def _verified(_raw):
    token = g.get("api_token")
    return g._login_user if token is not None else None


auth.error_processor(problems.from_http_error)


def authenticate():
    """blueprint before_request: resolve the token once; a token that cannot be used is a 401 even on a
    public route (a client should learn that its token stopped working)."""
    g.api_token = None
    g._login_user = current_app.login_manager.anonymous_user()  # Flask-Login's current_user, this request
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _sep, raw = header.partition(" ")
    token = tokens.find(raw.strip()) if scheme.lower() == "bearer" else None
    now = utcnow()
    if not can_use_api_token(token, now):
        return problems.problem(401, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    if tokens.touch(token, now):
        db.session.commit()
    g.api_token = token
    g._login_user = ServiceActor(token) if token.is_service else token.user
    return None


READ_ONLY = _l("This token is read only: writing needs a token with the write scope.")


def write_required(view):
    """A write endpoint: a token (401 without one) with the write scope (403 with a read-only one), checked
    before the body is validated, so a read-only token learns why whatever it sends."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        token = g.get("api_token")
        if token is None:
            abort(problems.problem(401, headers={"WWW-Authenticate": "Bearer"}))
        if not can_use_api_token(token, utcnow(), write=True):
            abort(problems.problem(403, READ_ONLY))
        return view(*args, **kwargs)

    return wrapper


def rate_key() -> str:
    """Flask-Limiter's key for the API: the token (its hash) when one is sent, else the address."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return "api-token:" + tokens.digest(header[7:].strip())[:32]
    from flask_limiter.util import get_remote_address

    return "api-addr:" + get_remote_address()
