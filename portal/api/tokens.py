"""Personal access tokens: create (shown once), revoke, and find the token a request is signed with.

Services flush; the request commits. Only sha256(token) is stored: a copy of the database holds no
usable token. A token's last use is written at most every TOUCH_EVERY, so reads do not write each time.
"""
import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from portal import audit
from portal.api.models import PREFIX, ApiToken
from portal.db import utcnow
from portal.exceptions import PermissionDenied, RuleViolation
from portal.extensions import db
from portal.i18n import gettext as _
from portal.permissions import can_manage_api_tokens, can_manage_service_tokens, can_revoke_api_token

TOUCH_EVERY = timedelta(minutes=5)
MAX_TOKEN_LENGTH = 100  # a longer Authorization value is no token of ours: not even hashed


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def create_token(user, name: str, write: bool, days: int) -> tuple[ApiToken, str]:
    """A new token for `user`: the row and the token itself, which is never stored or shown again."""
    if not can_manage_api_tokens(user):
        raise RuleViolation(_("This account cannot make access tokens."))
    name = (name or "").strip()
    if not name:
        raise RuleViolation(_("Give the token a name."))
    longest = current_app.config["API_TOKEN_MAX_DAYS"]
    if not 1 <= days <= longest:
        raise RuleViolation(_("A token can last from 1 to %(days)s days.", days=longest))
    raw = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name[:80], token_hash=digest(raw), hint=raw[:10], can_write=write,
                     created_at=utcnow(), expires_at=utcnow() + timedelta(days=days))
    db.session.add(token)
    db.session.flush()
    audit.record(user, "api_token.created", token, name=token.name, scope=" ".join(token.scopes), days=days)
    return token, raw


def _checked(name: str, days: int) -> str:
    name = (name or "").strip()
    if not name:
        raise RuleViolation(_("Give the token a name."), field="name")
    longest = current_app.config["API_TOKEN_MAX_DAYS"]
    if not 1 <= days <= longest:
        raise RuleViolation(_("A token can last from 1 to %(days)s days.", days=longest), field="days")
    return name[:80]


def create_service_token(admin, name: str, write: bool, days: int, contact_email: str) -> tuple[ApiToken, str]:
    """A token for an OSMEP system, made by an administrator: it has no owner and acts as the system
    (portal.api.models.ServiceActor); the row and the token itself, which is never stored or shown again."""
    if not can_manage_service_tokens(admin):
        raise PermissionDenied()
    name = _checked(name, days)
    contact_email = (contact_email or "").strip().lower()
    if not contact_email:
        raise RuleViolation(_("Give the e-mail address of the system's contact."), field="contact_email")
    raw = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=None, name=name, token_hash=digest(raw), hint=raw[:10], can_write=write,
                     created_at=utcnow(), expires_at=utcnow() + timedelta(days=days),
                     contact_email=contact_email[:254], created_by_id=admin.id)
    db.session.add(token)
    db.session.flush()
    audit.record(admin, "service_token.created", token, name=token.name, scope=" ".join(token.scopes), days=days,
                 contact_email=token.contact_email)
    return token, raw


def revoke_service_token(admin, token: ApiToken) -> None:
    if not (can_manage_service_tokens(admin) and token.is_service):
        raise PermissionDenied()
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(admin, "service_token.revoked", token, name=token.name)
        db.session.flush()


def service_tokens() -> list[ApiToken]:
    """Every service token, newest first, revoked and expired ones included (their history)."""
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id.is_(None))
                                   .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def service_token(token_id: int) -> ApiToken | None:
    return db.session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id.is_(None)))


def revoke_token(user, token: ApiToken) -> None:
    if not can_revoke_api_token(user, token):
        raise RuleViolation(_("You cannot revoke this token."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(user, "api_token.revoked", token, name=token.name)
        db.session.flush()


def tokens_of(user) -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                   .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def token_of(user, token_id: int) -> ApiToken | None:
    return db.session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id))


def find(raw: str) -> ApiToken | None:
    """The token row for a presented token, whatever its state (the caller checks it may be used)."""
    if not raw.startswith(PREFIX) or len(raw) > MAX_TOKEN_LENGTH:
        return None
    return db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(raw)))


def touch(token: ApiToken, now) -> bool:
    """Record a use, at most every TOUCH_EVERY. True when the row changed (the caller commits)."""
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        token.last_used_at = now
        return True
    return False
