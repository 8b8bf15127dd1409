"""Absolute links for what leaves the portal (e-mail and LINE messages; webhooks later).

They are built from the configured PORTAL_BASE_URL and never from the request: the Host header (and
X-Forwarded-Host) is whatever the client sent, so a password-reset link built from it would carry the
token to a host of the attacker's choosing.
"""
from urllib.parse import urlsplit

from flask import current_app, has_request_context, request


def base_url() -> str:
    """PORTAL_BASE_URL without its trailing slash, e.g. `https://portal.example.go.th`."""
    return current_app.config["PORTAL_BASE_URL"].rstrip("/")


def base_adapter(app):
    """URLs bound to the app's PORTAL_BASE_URL (scheme, host, path prefix), whatever any request says."""
    base = urlsplit(app.config["PORTAL_BASE_URL"].rstrip("/"))
    return app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https")


def absolute_url(endpoint: str, **values) -> str:
    """`url_for(endpoint, **values)` as an absolute URL on the configured base, in or out of a request."""
    adapter = base_adapter(current_app)
    values = {key: value for key, value in values.items() if value is not None}
    return adapter.build(endpoint, values, force_external=True)


def absolute(path: str) -> str:
    """A path the app built (`url_for(...)`, possibly under the request's script root) on the base URL."""
    if has_request_context() and request.script_root and path.startswith(request.script_root + "/"):
        path = path[len(request.script_root):]
    return base_url() + (path if path.startswith("/") else "/" + path)

