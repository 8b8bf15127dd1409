"""What the fuzz tests send input to, found in the app itself: every rule of `app.url_map`, the query
parameters and form fields each view actually reads (recorded while it runs), and the forms on the
pages (parsed with html.parser) for realistic base values that pass validation."""
import itertools
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urlsplit

from flask import Request
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import AnyConverter, IntegerConverter

from portal.thai import bangkok_today
from tests.fuzz_world import PASSWORD

METHODS = ("GET", "POST")
# Which world object an integer path parameter names; (endpoint, parameter) overrides the default.
INT_PARAMS = {"firm_id": "firm", "request_id": "request", "response_id": "response", "membership_id": "membership",
              "term_id": "term", "invitation_id": "invitation", "outcome_id": "outcome",
              "notification_id": "notification", "message_id": "outbox_message", "import_id": "member_import",
              "entry_id": "glossary_entry", "event_id": "event", "registration_id": "event_registration",
              "meeting_request_id": "meeting_request", "meeting_id": "meeting", "followup_id": "followup",
              "follow_id": "follow", "search_id": "saved_search", "passkey_id": "passkey",
              "export_id": "data_export", "session_id": "device_session", "token_id": "api_token",
              "endpoint_id": "webhook_endpoint", "delivery_id": "webhook_delivery",
              "year": "fiscal_year"}
INT_OVERRIDES = {("coordination.decide", "membership_id"): "pending_membership",
                 ("memberships.answer_invitation", "membership_id"): "invited_membership",
                 ("firms.remove_member", "user_id"): "editor", ("moderation.user", "user_id"): "subject",
                 ("events.decide", "registration_id"): "pending_registration",
                 ("service_tokens.revoke", "token_id"): "service_token"}
TARGET_TYPES = ("firm", "request", "response", "message")
STRING_PARAMS = {"slug": ["betta"], "code": ["en"], "position": ["upstream"], "name": ["requests"],
                 "filename": ["favicon.svg"], "target_type": list(TARGET_TYPES)}
IGNORED_FIELDS = {"csrf_token", "__probe__"}


# --- recording what a view reads ------------------------------------------------------------------

READS: set[tuple[str, str]] = set()  # ("args" | "form", key) read during the last request


class _Recorded(ImmutableMultiDict):
    kind = "args"

    def __getitem__(self, key):
        READS.add((self.kind, key))
        return super().__getitem__(key)

    def getlist(self, key, type=None):
        READS.add((self.kind, key))
        return super().getlist(key, type)

    def __contains__(self, key):
        READS.add((self.kind, key))
        return super().__contains__(key)


class _RecordedForm(_Recorded):
    kind = "form"


class RecordingRequest(Request):
    """A request whose args, form and files note every key the view looks up."""

    def _recording(self, name, wrapper, read):
        """The request's `name` wrapped once (read() gives werkzeug's own), kept for the request."""
        key = f"_recorded_{name}"
        if key not in self.__dict__:
            self.__dict__[key] = wrapper(read())
        return self.__dict__[key]

    @property
    def args(self):
        return self._recording("args", _Recorded, lambda: super(RecordingRequest, self).args)

    @property
    def form(self):
        return self._recording("form", _RecordedForm, lambda: super(RecordingRequest, self).form)

    @property
    def files(self):
        return self._recording("files", _RecordedForm, lambda: super(RecordingRequest, self).files)


# --- forms on the pages ---------------------------------------------------------------------------

@dataclass
class Field:
    name: str
    kind: str  # text | file | choice | check | button
    input_type: str = "text"
    required: bool = False
    in_page: bool = True  # False: only seen being read by the view
    checked: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)
    value: str = ""

    def base(self):
        """What a person filling in the form would send: the page's defaults, and something sensible in
        required fields; None leaves the field out."""
        if not self.in_page or self.kind == "file":
            return None
        if self.kind == "text":
            return self.value or (filler(self.name, self.input_type) if self.required else "")
        if self.kind == "button":
            return self.options[0] if self.options else ""
        useful = [o for o in self.options if o not in ("", "0")]
        if self.kind == "check":
            return self.checked or (useful[:1] if self.required else None)
        if self.checked:
            return self.checked[0]
        if self.required:
            return (useful or self.options or [""])[0]
        return self.options[0] if self.input_type == "select" and self.options else None

    def alternatives(self) -> list[str]:
        return [o for o in self.options if o not in self.checked] if self.kind in ("choice", "check", "button") \
            else []


def filler(name: str, input_type: str) -> str:
    """A plausible value for an empty field, by its type or name."""
    today = bangkok_today()
    if input_type == "email" or "email" in name:
        return "subject@fuzz.example"
    if input_type == "password" or "password" in name or name == "current":
        return PASSWORD
    if input_type == "date":
        return (today if "start" in name else today + timedelta(days=30)).isoformat()
    by_name = {"registration": "0105556000011", "website": "https://example.co.th", "line": "@fuzzfarm",
               "year": "2555", "phone": "081 234 5678", "term_en": "fuzz fruit"}
    for part, value in by_name.items():
        if part in name:
            return value
    return {"number": "1", "tel": "081 234 5678", "url": "https://example.co.th"}.get(input_type, "ข้อความทดสอบ")


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, Field] = field(default_factory=dict)

    def add(self, name, kind, **values):
        existing = self.fields.setdefault(name, Field(name, kind, values.pop("input_type", "text"),
                                                      values.pop("required", False)))
        if values.get("option") is not None:
            existing.options.append(values["option"])
        if values.get("checked"):
            existing.checked.append(values["option"])
        if "value" in values:
            existing.value = values["value"]


class FormParser(HTMLParser):
    """The <form>s of a page: action, method, and each named control with its options and defaults."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form = self._select = self._option = self._textarea = None
        self._text = []

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = Form(a.get("action", ""), a.get("method", "get").lower())
            self.forms.append(self._form)
        if self._form is None or (tag not in ("option",) and not a.get("name")):
            return
        if tag == "input":
            self._input(a)
        elif tag == "button" and a.get("type", "submit") == "submit":
            self._form.add(a["name"], "button", option=a.get("value", ""))
        elif tag == "select":
            self._select = a["name"]
            self._form.add(self._select, "check" if "multiple" in a else "choice", input_type="select",
                           required="required" in a)
        elif tag == "option" and self._select:
            self._option = (a.get("value"), "selected" in a)
            self._text = []
        elif tag == "textarea":
            self._textarea, self._text = a["name"], []
            self._form.add(a["name"], "text", input_type="textarea", required="required" in a)

    def _input(self, a):
        kind = a.get("type", "text").lower()
        if kind in ("submit", "image"):
            self._form.add(a["name"], "button", option=a.get("value", ""))
        elif kind in ("checkbox", "radio"):
            self._form.add(a["name"], "check" if kind == "checkbox" else "choice", option=a.get("value", "on"),
                           checked="checked" in a, input_type=kind, required="required" in a)
        elif kind == "file":
            self._form.add(a["name"], "file", input_type="file")
        elif kind not in ("reset", "button"):
            self._form.add(a["name"], "text", input_type=kind, value=a.get("value", ""), required="required" in a)

    def handle_data(self, data):
        self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "option" and self._option is not None and self._form is not None:
            value, selected = self._option
            self._form.add(self._select, self._form.fields[self._select].kind,
                           option="".join(self._text).strip() if value is None else value, checked=selected)
            self._option = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea and self._form is not None:
            content = "".join(self._text)  # a browser drops the newline that starts a textarea
            self._form.fields[self._textarea].value = content[2:] if content.startswith("\r\n") else \
                content[1:] if content.startswith("\n") else content
            self._textarea = None


def forms_in(html: str, page_path: str) -> list[Form]:
    parser = FormParser()
    parser.feed(html)
    for form in parser.forms:
        form.action = urlsplit(form.action).path or page_path
    return parser.forms


# --- targets --------------------------------------------------------------------------------------

@dataclass
class Target:
    """One endpoint and method: the URLs to try, who gets past its permission check, and its inputs."""

    endpoint: str
    method: str
    path_values: list[dict]  # one dict of path parameters per URL (each `any(...)` choice)
    string_params: list[str]  # path parameters that take any text (fuzzed too)
    int_params: list[str]  # path parameters that take digits (fuzzed with large numbers)
    roles: list[str] = field(default_factory=list)
    form: dict[str, dict[str, Field]] = field(default_factory=dict)  # role -> fields (POST body)
    query: dict[str, dict[str, Field]] = field(default_factory=dict)  # role -> query parameters
    base: dict[str, tuple[dict, dict]] = field(default_factory=dict)  # role -> (form, query) that pass
    settled: str | None = None  # the first role whose base submission was seen to be accepted
    settled_url: int = 0  # and on which of the URLs

    @property
    def id(self):
        return f"{self.endpoint}-{self.method}"


def rules(app):
    """(rule, method) for every rule in the URL map, HEAD and OPTIONS aside."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        for method in sorted(rule.methods & set(METHODS)):
            yield rule, method


def _param_values(rule, name, world) -> list:
    converter = rule._converters[name]
    if isinstance(converter, AnyConverter):
        return sorted(converter.items)
    if isinstance(converter, IntegerConverter):
        if name == "target_id":
            return [None]  # depends on target_type; filled in below
        key = INT_OVERRIDES.get((rule.endpoint, name)) or INT_PARAMS.get(name)
        assert key, f"fuzz_targets: say which world object <{name}> of {rule.endpoint} names (INT_PARAMS)"
        return [world.ids[key]]
    if name == "token":
        return [world.tokens.get(rule.endpoint, "not-a-token")]
    assert name in STRING_PARAMS, f"fuzz_targets: give a value for <{name}> of {rule.endpoint} (STRING_PARAMS)"
    return STRING_PARAMS[name]


def path_values(rule, world) -> list[dict]:
    """The path parameters of every URL of the rule: each `any(...)` choice expanded, ids from the world."""
    names = sorted(rule.arguments)
    choices = [_param_values(rule, name, world) for name in names]
    combinations = []
    for combination in itertools.product(*choices):
        values = dict(zip(names, combination, strict=True))
        if "target_id" in values:
            values["target_id"] = world.ids[values.get("target_type", "firm")]
        combinations.append(values)
    return combinations


def string_params(rule) -> list[str]:
    return [name for name, converter in rule._converters.items()
            if not isinstance(converter, AnyConverter | IntegerConverter)]


def int_params(rule) -> list[str]:
    return [name for name, converter in rule._converters.items() if isinstance(converter, IntegerConverter)]
