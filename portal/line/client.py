"""The LINE Messaging API over HTTPS (requests): one call, the push of messages to one user.

POST {LINE_API_BASE_URL}/v2/bot/message/push with the channel access token as a Bearer token and an
X-Line-Retry-Key (a UUID chosen once per outbox row): LINE executes a request with a given key once, and
answers 409 to a repeat of an accepted one, so a retry after a timeout never pushes the message twice
(developers.line.biz/en/docs/messaging-api/retrying-api-request/).
"""
import logging

import requests
from flask import current_app

from portal.mail import DeliveryError

log = logging.getLogger(__name__)

RETRY_AFTER_MAX = 24 * 3600  # a Retry-After beyond a day is LINE's mistake or a monthly limit: try tomorrow


class LineError(DeliveryError):
    """LINE did not take the push. `permanent`: a 4xx other than 429 (trying again would not help);
    `unreachable`: it says the recipient cannot get messages from the Official Account."""

    def __init__(self, reason: str, permanent: bool = False, retry_after: int | None = None,
                 unreachable: bool = False):
        super().__init__(reason, permanent=permanent, retry_after=retry_after)
        self.unreachable = unreachable


def is_configured() -> bool:
    config = current_app.config
    return bool(config.get("LINE_MESSAGING_ACCESS_TOKEN") and config.get("LINE_MESSAGING_CHANNEL_SECRET"))


def push(to: str, messages: list[dict], retry_key: str) -> None:
    """Push `messages` to the LINE user `to`. Returns when LINE accepted them (now or on an earlier try).

    :raises LineError: with LINE's status and message."""
    config = current_app.config
    url = config["LINE_API_BASE_URL"].rstrip("/") + "/v2/bot/message/push"
    headers = {"Authorization": f"Bearer {config['LINE_MESSAGING_ACCESS_TOKEN']}", "X-Line-Retry-Key": retry_key}
    try:
        response = requests.post(url, json={"to": to, "messages": messages}, headers=headers,  # nosec B113  # timeout given
                                 timeout=config["LINE_TIMEOUT_SECONDS"], allow_redirects=False)
    except requests.RequestException as exc:
        raise LineError(f"{type(exc).__name__}: {exc}") from exc
    status = response.status_code
    if 200 <= status < 300:
        return
    if status == 409 and response.headers.get("X-Line-Accepted-Request-Id"):
        log.info("LINE push with retry key %s was accepted on an earlier try", retry_key)
        return
    reason = f"LINE {status}: {_message(response)}"
    if status == 429 or status >= 500:
        raise LineError(reason, retry_after=_retry_after(response.headers.get("Retry-After")))
    raise LineError(reason, permanent=True, unreachable=_says_unreachable(status, reason))


def _message(response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:300] or response.reason or ""
    if not isinstance(data, dict):
        return str(data)[:300]
    details = "; ".join(f"{d.get('property', '')}: {d.get('message', '')}" for d in data.get("details") or []
                        if isinstance(d, dict))
    return (str(data.get("message") or "") + (f" ({details})" if details else ""))[:500]


def _retry_after(value: str | None) -> int | None:
    """Retry-After in seconds (LINE sends a number; an HTTP date is not worth parsing here)."""
    try:
        seconds = int((value or "").strip())
    except ValueError:
        return None
    return min(max(seconds, 1), RETRY_AFTER_MAX) if seconds >= 0 else None


def _says_unreachable(status: int, reason: str) -> bool:
    """A refusal about the recipient (blocked the account, not a friend, no such user), not about us."""
    if status not in (400, 403, 404):
        return False
    text = reason.lower()
    return any(word in text for word in ("block", "friend", "not found", "'to'", " to:", "invalid user"))
