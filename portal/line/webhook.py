"""LINE's webhook: the Messaging API posts events here (set the Official Account's webhook URL to
{PORTAL_BASE_URL}/line/webhook). Only follow / unfollow matter: whether a user can get LINE messages."""
import json
import logging

from flask import Blueprint, abort, request

from portal.extensions import csrf, db
from portal.line import messaging as services

log = logging.getLogger(__name__)
bp = Blueprint("line_webhook", __name__)

BODY_MAX = 1024 * 1024  # LINE sends small batches of events; anything bigger is not LINE


@bp.post("/webhook")
@csrf.exempt  # LINE cannot send our CSRF token: the X-Line-Signature (HMAC with the channel secret) proves the sender
def webhook():
    if not services.is_configured():
        abort(404)
    if (request.content_length or 0) > BODY_MAX:
        abort(413)
    body = request.get_data(cache=False)
    signature = request.headers.get("X-Line-Signature")
    if not signature:
        abort(400)
    if not services.signature_ok(body, signature):
        log.warning("LINE webhook with a wrong signature refused")
        abort(403)
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        abort(400)
    events = payload.get("events") if isinstance(payload, dict) else None
    if not isinstance(events, list):
        abort(400)
    services.handle_events(events)
    db.session.commit()
    return "", 200
