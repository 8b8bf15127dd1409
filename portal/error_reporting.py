"""Optional error reporting to Sentry (or a compatible service such as GlitchTip) when SENTRY_DSN is set:
unhandled exceptions in requests and jobs, and ERROR log lines, with the request id. Without the DSN nothing
is loaded and nothing leaves the machine.

Personal data stays out (PDPA): no client addresses, cookies or user details (send_default_pii off), no
request bodies (form fields hold names, phone numbers, messages), no local variables of the stack frames, and
no performance tracing.
"""
from flask import g, has_request_context


def init_app(app) -> bool:
    """Start the SDK if SENTRY_DSN is configured; returns whether it did."""
    dsn = app.config.get("SENTRY_DSN")
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=app.config.get("SENTRY_ENVIRONMENT") or app.config.get("DEPLOYMENT"),
        integrations=[FlaskIntegration()],
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,  # a frame's variables hold forms, users, the WSGI environ
        traces_sample_rate=0,
        before_send=_with_request_id,
    )
    return True


def _with_request_id(event, hint):
    """The request id (portal/web.py) ties a report to the JSON log lines of the same request."""
    if has_request_context() and g.get("request_id"):
        event.setdefault("tags", {})["request_id"] = g.request_id
    return event
