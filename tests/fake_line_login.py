"""A fake LINE Login platform on 127.0.0.1 (werkzeug in a thread), so that the portal's real OpenID Connect client
(Authlib on `requests`) runs against it: the authorize endpoint records state, nonce and the PKCE challenge and
sends the browser back with a code; the token endpoint checks the code (once), the channel secret, the
redirect URI and the PKCE verifier, and answers with an ID token signed HS256 with the channel secret, as LINE
does for web apps.

Tests choose who is signed in to LINE (`fake.user`), and can spoil the next ID token (`fake.spoil`: claims to
override, or `sign_with` another secret) to see the portal refuse it.
"""
import base64
import hashlib
import json
import secrets
import threading
import time
from urllib.parse import urlencode

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import OctKey
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

CHANNEL_ID = "1234567890"
CHANNEL_SECRET = "0123456789abcdef0123456789abcdef"  # 32 hex digits, like LINE's
ISSUER = "https://access.line.me"


def line_user(n: int = 1, name: str = "สมชาย ใจดี", email: str | None = "somchai@example.com") -> dict:
    return {"sub": f"U{n:032x}", "name": name, "email": email}


class FakeLine:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.user = line_user()
        self.codes: dict[str, dict] = {}  # code -> what the authorize request asked, and whether it was used
        self.authorize_requests: list[dict] = []
        self.token_requests: list[dict] = []
        self.spoil: dict = {}  # {"claims": {...}, "sign_with": "other secret"} for the next ID token
        self.deny = False  # the user presses "Cancel" on LINE's consent page

    # --- endpoints --------------------------------------------------------------------------------

    def authorize(self, request: Request) -> Response:
        args = request.args.to_dict()
        self.authorize_requests.append(args)
        if args.get("client_id") != CHANNEL_ID or args.get("response_type") != "code":
            return Response("invalid client or response type", 400)
        back = args.get("redirect_uri", "")
        if self.deny:
            return _redirect(back, {"error": "access_denied", "error_description": "The user has denied",
                                    "state": args.get("state", "")})
        code = secrets.token_urlsafe(16)
        with self.lock:
            self.codes[code] = {"redirect_uri": back, "nonce": args.get("nonce"), "scope": args.get("scope", ""),
                                "challenge": args.get("code_challenge"), "method": args.get("code_challenge_method"),
                                "user": dict(self.user), "used": False}
        return _redirect(back, {"code": code, "state": args.get("state", "")})

    def token(self, request: Request) -> Response:
        form = request.form.to_dict()
        self.token_requests.append(form)
        with self.lock:
            grant = self.codes.get(form.get("code", ""))
            if grant is None or grant["used"]:
                return _error("invalid_grant", "invalid authorization code")
            grant["used"] = True
        if form.get("grant_type") != "authorization_code":
            return _error("unsupported_grant_type", "grant_type")
        if form.get("client_id") != CHANNEL_ID or form.get("client_secret") != CHANNEL_SECRET:
            return _error("invalid_client", "invalid client", 401)
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return _error("invalid_grant", "redirect_uri does not match")
        verifier = form.get("code_verifier", "")
        expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if grant["method"] != "S256" or not grant["challenge"] or expected != grant["challenge"]:
            return _error("invalid_grant", "code_verifier does not match")
        return Response(json.dumps({
            "access_token": secrets.token_urlsafe(24), "token_type": "Bearer", "expires_in": 2592000,
            "refresh_token": secrets.token_urlsafe(24), "scope": grant["scope"],
            "id_token": self.id_token(grant),
        }), 200, content_type="application/json")

    def id_token(self, grant: dict) -> str:
        now = int(time.time())
        user = grant["user"]
        claims = {"iss": ISSUER, "sub": user["sub"], "aud": CHANNEL_ID, "exp": now + 3600, "iat": now,
                  "auth_time": now, "nonce": grant["nonce"], "amr": ["pwd"], "name": user["name"]}
        if user.get("email") and "email" in grant["scope"].split():
            claims["email"] = user["email"]
        spoil, self.spoil = self.spoil, {}
        claims.update(spoil.get("claims", {}))
        claims = {key: value for key, value in claims.items() if value is not None}
        key = OctKey.import_key(spoil.get("sign_with", CHANNEL_SECRET))
        return jwt.encode({"alg": "HS256", "typ": "JWT"}, claims, key)

    def __call__(self, environ, start_response):
        request = Request(environ)
        routes = {("GET", "/oauth2/v2.1/authorize"): self.authorize, ("POST", "/oauth2/v2.1/token"): self.token}
        handler = routes.get((request.method, request.path))
        response = handler(request) if handler else Response("not found", 404)
        return response(environ, start_response)


def _redirect(uri: str, params: dict) -> Response:
    return Response("", 302, headers={"Location": f"{uri}?{urlencode(params)}"})


def _error(error: str, description: str, status: int = 400) -> Response:
    return Response(json.dumps({"error": error, "error_description": description}), status,
                    content_type="application/json")


@pytest.fixture(scope="session")
def fake_line_server():
    """The fake LINE platform for the whole run, on a free loopback port."""
    fake = FakeLine()
    server = make_server("127.0.0.1", 0, fake, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def fake_line(app, fake_line_server, monkeypatch):
    """LINE Login configured for this test and pointed at the fake platform (reset for each test)."""
    fake, base = fake_line_server
    fake.reset()
    monkeypatch.setitem(app.config, "LINE_LOGIN_CHANNEL_ID", CHANNEL_ID)
    monkeypatch.setitem(app.config, "LINE_LOGIN_CHANNEL_SECRET", CHANNEL_SECRET)
    monkeypatch.setitem(app.config, "LINE_AUTH_BASE_URL", base)
    monkeypatch.setitem(app.config, "LINE_API_BASE_URL", base)
    monkeypatch.setitem(app.config, "LINE_TIMEOUT_SECONDS", 5)
    yield fake
    fake.reset()


def through_line(client, start_response):
    """Follow a "sign in / link with LINE" POST's redirect to the fake LINE (real HTTP), and return the path
    of the portal's callback it sends the browser back to."""
    assert start_response.status_code == 302, start_response.status_code
    location = start_response.location
    answer = requests.get(location, allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    back = answer.headers["Location"]
    assert back.startswith("http://localhost/line/callback?"), back
    return back.removeprefix("http://localhost")
