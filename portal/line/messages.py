"""What a LINE message says: features register a renderer per kind (like the e-mail renderers of the
outbox); this module turns its result into the Messaging API's JSON, a flex bubble with the sentence and
one button whose URI action opens the page (a buttons template would cut the text at 160 characters)."""
from dataclasses import dataclass
from typing import Callable

from flask_babel import force_locale

from portal.i18n import lazy_gettext as _l

ALT_TEXT_MAX = 400
STOP = _l("Stop these alerts")  # LINE's limit for altText (shown in the chat list and in notifications)


@dataclass
class LineText:
    text: str  # the sentence, already in the recipient's language
    url: str | None = None  # an absolute URL from PORTAL_BASE_URL (portal/links.py)
    button: object = _l("Open in the Cluster Portal")  # the button's label, lazy (at most 40 characters)
    stop_url: str | None = None  # an alert's signed stop link (a follow, a saved search): a second button


@dataclass(frozen=True)
class LineKind:
    render: Callable[[dict, str], LineText | None]  # (context, locale) -> the text, or None: nothing to send
    # When LINE cannot carry the message (monthly quota used up, recipient unreachable): queue an e-mail
    # instead, once; returns whether it did. None: no fallback for this kind.
    fallback: Callable[[object], bool] | None = None


LINE_KINDS: dict[str, LineKind] = {}


def register_line(kind: str, render, fallback=None) -> None:
    LINE_KINDS[kind] = LineKind(render, fallback)


def build(text: LineText, locale: str) -> list[dict]:
    """The push request's `messages`: one flex message (a bubble), or plain text if there is no link."""
    body = text.text.strip() or "…"
    alt = body if len(body) <= ALT_TEXT_MAX else body[:ALT_TEXT_MAX - 1] + "…"
    if not text.url:
        return [{"type": "text", "text": body[:5000]}]
    with force_locale(locale):
        label = str(text.button)[:40]
        stop_label = str(STOP)[:40]
    buttons = [{"type": "button", "style": "primary", "action": {"type": "uri", "label": label, "uri": text.url}}]
    if text.stop_url:  # as the alert e-mail's one-click stop link: the page asks once, then stops it
        buttons.append({"type": "button", "style": "link",
                        "action": {"type": "uri", "label": stop_label, "uri": text.stop_url}})
    return [{
        "type": "flex",
        "altText": alt,
        "contents": {
            "type": "bubble",
            "body": {"type": "box", "layout": "vertical",
                     "contents": [{"type": "text", "text": body, "wrap": True}]},
            "footer": {"type": "box", "layout": "vertical", "contents": buttons},
        },
    }]
