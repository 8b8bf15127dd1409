"""The webhooks in the API's OpenAPI 3.1 document (its top-level `webhooks`): for each event the POST a
receiver gets, its headers and its body, whose `object` is the API's own schema where the API shows that
object. A receiver's developer reads the same document as for the API."""
from portal.webhooks.models import EVENT_TYPES
from portal.webhooks.payloads import BUILDERS

# The object's schema: the API's component where there is one, else the fields payloads.py writes.
OBJECT_SCHEMAS = {
    "membership": {"$ref": "#/components/schemas/Membership"},
    "request": {"$ref": "#/components/schemas/Request"},
    "outcome": {"type": "object", "properties": {
        "id": {"type": "integer"}, "request_id": {"type": ["integer", "null"]}, "firm_id": {"type": "integer"},
        "partner_firm_id": {"type": ["integer", "null"]}, "cluster": {"type": ["string", "null"]},
        "kind": {"type": "string"}, "value_baht": {"type": "string", "description": "a decimal, in baht"},
        "fiscal_year": {"type": "integer", "description": "Thai fiscal year (B.E.)"},
        "confirmation": {"type": "string"}, "confirmed_at": {"type": ["string", "null"], "format": "date-time"}}},
    "event": {"type": "object", "properties": {
        "id": {"type": "integer"}, "title_th": {"type": ["string", "null"]}, "title_en": {"type": ["string", "null"]},
        "status": {"type": "string"}, "starts_on": {"type": ["string", "null"], "format": "date"},
        "clusters": {"type": "array", "items": {"type": "string"}}}},
}

HEADERS = [
    ("X-Portal-Event", "The event's type, as in the body's `type`."),
    ("X-Portal-Delivery", "The delivery's id: the same on every try of this delivery; a replay is a new delivery "
                          "of the same event (keep the body's `id` to drop copies)."),
    ("X-Portal-Signature", "`t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.\" + the raw body, keyed with the "
                           "endpoint's secret>`. Refuse a `t` more than five minutes from your clock, and compare "
                           "in constant time."),
]


def add_webhooks(spec: dict) -> dict:
    """Document every event type under the spec's `webhooks` (OpenAPI 3.1)."""
    webhooks = spec.setdefault("webhooks", {})
    for event_type, label in EVENT_TYPES.items():
        object_type, _build = BUILDERS[event_type]
        webhooks[event_type] = {"post": {
            "summary": str(label),
            "description": "Posted to every active endpoint subscribed to this event, from a worker, with "
                           "retries and backoff until a 2xx; deliveries about one object go out in order.",
            "parameters": [{"name": name, "in": "header", "required": True, "description": text,
                            "schema": {"type": "string"}} for name, text in HEADERS],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["id", "type", "occurred_at", "object"],
                "properties": {"id": {"type": "string", "description": "the event's id (evt_…)"},
                               "type": {"type": "string", "const": event_type},
                               "occurred_at": {"type": "string", "format": "date-time"},
                               "object": OBJECT_SCHEMAS[object_type]}}}}},
            "responses": {"2XX": {"description": "Received. Answer quickly and do the work afterwards; any other "
                                                 "answer, a timeout or no connection is tried again later."}},
        }}
    return spec
