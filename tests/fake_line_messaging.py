"""A fake LINE Messaging API on 127.0.0.1, for the tests: the portal's real HTTP client talks to it.

It answers POST /v2/bot/message/push like LINE: 401 without the right Bearer token, 200 with `{}` when it
takes the push, 409 (with X-Line-Accepted-Request-Id) to a retry key it already accepted. Tests script
failures with `fail_next(status, retry_after=None, message=...)`: the next pushes get those answers, in
order, before it takes pushes again. Every push that reached it is in `requests`; the accepted ones in
`pushes` (each: to, messages, retry key).
"""
import json
import threading
import uuid

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


class FakeLineMessaging:
    def __init__(self, token: str):
        self.token = token
        self.requests: list[dict] = []
        self.pushes: list[dict] = []
        self._script: list[tuple[int, int | None, str]] = []
        self._accepted: set[str] = set()
        self._lock = threading.Lock()
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()

    def reset(self):
        with self._lock:
            self.requests.clear()
            self.pushes.clear()
            self._script.clear()
            self._accepted.clear()

    def fail_next(self, status: int, retry_after: int | None = None, message: str = "scripted failure"):
        with self._lock:
            self._script.append((status, retry_after, message))

    def texts(self) -> list[str]:
        """The sentence of each accepted push (the flex bubble's body text, or a text message's)."""
        out = []
        for push in self.pushes:
            message = push["messages"][0]
            out.append(message["contents"]["body"]["contents"][0]["text"] if message["type"] == "flex"
                       else message["text"])
        return out

    def _app(self, environ, start_response):
        request = Request(environ)
        response = self._answer(request)
        return response(environ, start_response)

    def _answer(self, request) -> Response:
        if request.method != "POST" or request.path != "/v2/bot/message/push":
            return _json({"message": "Not found"}, 404)
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _json({"message": "Authentication failed. Confirm that the access token in the "
                                     "authorization header is valid."}, 401)
        try:
            body = json.loads(request.get_data())
        except ValueError:
            return _json({"message": "The request body has 1 error(s)"}, 400)
        key = request.headers.get("X-Line-Retry-Key", "")
        record = {"to": body.get("to"), "messages": body.get("messages"), "retry_key": key}
        with self._lock:
            self.requests.append(record)
            if self._script:
                status, retry_after, message = self._script.pop(0)
                headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
                return _json({"message": message}, status, headers)
            if key and key in self._accepted:
                return _json({"message": "The retry key is already accepted"}, 409,
                             {"X-Line-Accepted-Request-Id": str(uuid.uuid4())})
            try:
                uuid.UUID(key)
            except ValueError:
                return _json({"message": "The value for the 'X-Line-Retry-Key' header is invalid"}, 400)
            self._accepted.add(key)
            self.pushes.append(record)
        return _json({"sentMessages": [{"id": "1", "quoteToken": "q"}]}, 200)


def _json(data, status, headers=None) -> Response:
    return Response(json.dumps(data), status=status, headers=headers or {}, content_type="application/json")


# --- fixtures (imported by the LINE test modules) ------------------------------------------------------

import base64  # noqa: E402
import hashlib  # noqa: E402
import hmac  # noqa: E402

import pytest  # noqa: E402

TOKEN = "test-channel-access-token"
SECRET = "test-channel-secret"
OFFICIAL_ACCOUNT = "@clusterportal"


@pytest.fixture(scope="session")
def fake_line():
    server = FakeLineMessaging(TOKEN).start()
    yield server
    server.stop()


@pytest.fixture
def line_on(app, fake_line, monkeypatch):
    """The app configured for LINE messages, against the fake; the fake forgets earlier tests."""
    fake_line.reset()
    for key, value in {"LINE_MESSAGING_ACCESS_TOKEN": TOKEN, "LINE_MESSAGING_CHANNEL_SECRET": SECRET,
                       "LINE_API_BASE_URL": fake_line.base_url, "LINE_OFFICIAL_ACCOUNT_ID": OFFICIAL_ACCOUNT,
                       "LINE_TIMEOUT_SECONDS": 5, "PORTAL_BASE_URL": "https://portal.example.go.th"}.items():
        monkeypatch.setitem(app.config, key, value)
    yield fake_line


def sign(body: bytes, secret: str = SECRET) -> str:
    """X-Line-Signature as LINE computes it."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
