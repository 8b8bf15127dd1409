"""LINE Login v2.1 as an OpenID Connect client: the authorization request (state, nonce and PKCE S256), the code
exchanged at the token endpoint, and the ID token checked as LINE documents it for web apps: signed HS256 with the
channel secret, issued by https://access.line.me to our channel id (aud), not expired, carrying our nonce.

Authlib builds the requests (`OAuth2Session` on `requests`) and checks the ID token's claims (`CodeIDToken`);
joserfc, Authlib's JOSE library, checks the signature. Nothing here reads or writes the database: the view keeps
what is pending (state, nonce, code verifier) in the signed session cookie and hands it back here once.
"""
import hmac
import logging
import re
import secrets
import time
from dataclasses import asdict, dataclass

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from flask import current_app
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

from portal.links import absolute_url

log = logging.getLogger(__name__)

ISSUER = "https://access.line.me"  # the `iss` of every LINE ID token, whatever base URL the requests go to
SCOPE = "openid profile email"  # email only if the channel has the permission and the user agrees
PENDING_MAX_AGE = 600  # seconds between leaving for LINE and coming back (LINE's codes live 10 minutes)
CLOCK_LEEWAY = 60  # seconds of clock difference tolerated on exp / iat
LINE_USER_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # LINE's are "U" + 32 hex digits
NAME_MAX, EMAIL_MAX = 120, 254
PENDING_KEYS = ("state", "nonce", "verifier")


class LineLoginError(Exception):
    """LINE did not prove who is coming back: cancelled, forged, expired, replayed or unreachable. The text
    is for the log; people are told one neutral sentence."""

    def __init__(self, reason: str, cancelled: bool = False):
        super().__init__(reason)
        self.cancelled = cancelled


@dataclass(frozen=True)
class LineIdentity:
    """Who LINE says this is, from a verified ID token."""

    line_user_id: str
    name: str
    email: str | None

    def as_dict(self) -> dict:
        return asdict(self)


def is_configured(app=None) -> bool:
    """LINE Login is on only with a channel id and its secret."""
    config = (app or current_app).config
    return bool(config.get("LINE_LOGIN_CHANNEL_ID") and config.get("LINE_LOGIN_CHANNEL_SECRET"))


def callback_url() -> str:
    """The redirect URI registered with LINE: from PORTAL_BASE_URL, never from the request's Host."""
    return absolute_url("line.callback")


def _client() -> OAuth2Session:
    config = current_app.config
    return OAuth2Session(
        config["LINE_LOGIN_CHANNEL_ID"], config["LINE_LOGIN_CHANNEL_SECRET"], scope=SCOPE,
        redirect_uri=callback_url(), code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_post")  # nosec B106  # the method's name (LINE's), not a secret


def _endpoint(base_key: str, path: str) -> str:
    return current_app.config[base_key].rstrip("/") + path


def begin(purpose: str, user_id: int | None = None) -> tuple[str, dict]:
    """The URL of LINE's consent page, and what to keep until the user comes back (in the session)."""
    state, nonce, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(64)
    with _client() as client:
        url, _state = client.create_authorization_url(
            _endpoint("LINE_AUTH_BASE_URL", "/oauth2/v2.1/authorize"), state=state, nonce=nonce,
            code_verifier=verifier)
    pending = {"state": state, "nonce": nonce, "verifier": verifier, "purpose": purpose, "user_id": user_id,
               "at": int(time.time())}
    return url, pending


def _check_pending(pending, args) -> str:
    """The authorization code LINE sent back, once the answer is known to belong to this browser's request."""
    if not isinstance(pending, dict) or not all(isinstance(pending.get(key), str) for key in PENDING_KEYS):
        raise LineLoginError("no LINE login pending in this session (or it was used already)")
    if not 0 <= time.time() - int(pending.get("at") or 0) <= PENDING_MAX_AGE:
        raise LineLoginError("the LINE login pending in this session is too old")
    state = args.get("state")
    if not isinstance(state, str) or not hmac.compare_digest(state.encode(), pending["state"].encode()):
        raise LineLoginError("state does not match")
    if args.get("error"):
        raise LineLoginError(f"LINE answered {str(args.get('error'))[:80]!r}", cancelled=True)
    code = args.get("code")
    if not isinstance(code, str) or not 0 < len(code) <= 512:
        raise LineLoginError("no authorization code")
    return code


def finish(pending, args) -> LineIdentity:
    """Exchange the code LINE sent back for tokens and return the verified identity.

    :raises LineLoginError: anything short of a valid ID token for this very request.
    """
    code = _check_pending(pending, args)
    try:
        with _client() as client:
            token = client.fetch_token(
                _endpoint("LINE_API_BASE_URL", "/oauth2/v2.1/token"), grant_type="authorization_code", code=code,
                code_verifier=pending["verifier"], timeout=current_app.config["LINE_TIMEOUT_SECONDS"])
    except (requests.RequestException, AuthlibBaseError, ValueError) as exc:
        raise LineLoginError(f"token request failed: {type(exc).__name__}: {str(exc)[:200]}") from None
    id_token = token.get("id_token") if isinstance(token, dict) else None
    if not isinstance(id_token, str):
        raise LineLoginError("the token response has no ID token")
    return verify_id_token(id_token, pending["nonce"])


def verify_id_token(id_token: str, nonce: str) -> LineIdentity:
    """The identity in an ID token signed HS256 with our channel secret, for our channel, with our nonce.

    :raises LineLoginError: a bad signature or algorithm, another issuer or audience, expired, another nonce.
    """
    config = current_app.config
    channel_id = str(config["LINE_LOGIN_CHANNEL_ID"])
    key = OctKey.import_key(config["LINE_LOGIN_CHANNEL_SECRET"])
    try:
        token = jwt.decode(id_token, key, algorithms=["HS256"])
        claims = CodeIDToken(
            token.claims, token.header,
            {"iss": {"essential": True, "value": ISSUER}, "aud": {"essential": True, "value": channel_id},
             "exp": {"essential": True}, "sub": {"essential": True}, "nonce": {"essential": True}},
            {"nonce": nonce, "client_id": channel_id})
        claims.validate(leeway=CLOCK_LEEWAY)
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise LineLoginError(f"ID token refused: {type(exc).__name__}: {str(exc)[:200]}") from None
    sub = claims.get("sub")
    if not isinstance(sub, str) or not LINE_USER_ID.fullmatch(sub):
        raise LineLoginError("ID token refused: the LINE user id is not one")
    name = claims.get("name") if isinstance(claims.get("name"), str) else ""
    email = claims.get("email") if isinstance(claims.get("email"), str) else ""
    email = email.strip().lower()
    return LineIdentity(line_user_id=sub, name=" ".join(name.split())[:NAME_MAX],
                        email=email if email and "@" in email and len(email) <= EMAIL_MAX else None)
