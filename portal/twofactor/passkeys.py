"""Passkeys (WebAuthn) with py_webauthn: registration and the second step of signing in.

The relying party is the portal at PORTAL_BASE_URL: its host name is the RP id, its scheme, host and port
the only accepted origin. Each ceremony's challenge is kept in the session and used once.
"""
import json
from urllib.parse import urlsplit

from flask import current_app, session
from sqlalchemy import select
from webauthn import (
    base64url_to_bytes,
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from portal import audit
from portal.db import utcnow
from portal.exceptions import RuleViolation
from portal.extensions import db
from portal.i18n import lazy_gettext as _l
from portal.twofactor import services
from portal.twofactor.models import Passkey

CHALLENGE = "webauthn_challenge"
MAX_PASSKEYS = 10


def rp_id() -> str:
    return urlsplit(current_app.config["PORTAL_BASE_URL"]).hostname


def origin() -> str:
    parts = urlsplit(current_app.config["PORTAL_BASE_URL"])
    return f"{parts.scheme}://{parts.netloc}"


def _descriptors(user) -> list[PublicKeyCredentialDescriptor]:
    return [PublicKeyCredentialDescriptor(id=base64url_to_bytes(p.credential_id)) for p in services.passkeys_of(user)]


def _take_challenge(kind: str) -> bytes:
    data = session.pop(CHALLENGE, None)
    if not isinstance(data, dict) or data.get("kind") != kind:
        raise RuleViolation(_l("The passkey did not work. Please try again or use a code."))
    return base64url_to_bytes(data["challenge"])


def registration_options(user) -> str:
    """The options for navigator.credentials.create, as JSON."""
    if len(services.passkeys_of(user)) >= MAX_PASSKEYS:
        raise RuleViolation(_l("You have as many passkeys as an account may have. Remove one first."))
    options = generate_registration_options(
        rp_id=rp_id(), rp_name=services.ISSUER, user_id=f"portal-user-{user.id}".encode(),
        user_name=user.email, user_display_name=user.name, exclude_credentials=_descriptors(user),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED, user_verification=UserVerificationRequirement.PREFERRED))
    session[CHALLENGE] = {"kind": "register", "challenge": bytes_to_base64url(options.challenge)}
    return options_to_json(options)


def register(user, credential, name: str) -> Passkey:
    """Check the browser's answer and keep the new passkey."""
    challenge = _take_challenge("register")
    name = (name or "").strip()[:80] or str(_l("Passkey"))
    try:
        verified = verify_registration_response(credential=credential, expected_challenge=challenge,
                                                expected_rp_id=rp_id(), expected_origin=origin())
    except (InvalidRegistrationResponse, ValueError, TypeError, KeyError) as exc:
        raise RuleViolation(_l("The passkey could not be added. Please try again.")) from exc
    credential_id = bytes_to_base64url(verified.credential_id)
    if db.session.scalar(select(Passkey.id).where(Passkey.credential_id == credential_id)) is not None:
        raise RuleViolation(_l("This passkey is already registered."))
    passkey = Passkey(user_id=user.id, credential_id=credential_id, public_key=verified.credential_public_key,
                      sign_count=verified.sign_count, name=name)
    db.session.add(passkey)
    db.session.flush()
    audit.record(user, "twofactor.passkey_added", user, passkey=passkey.id)
    services._changed(user, "passkey_added")
    return passkey


def authentication_options(user) -> str:
    options = generate_authentication_options(rp_id=rp_id(), allow_credentials=_descriptors(user),
                                              user_verification=UserVerificationRequirement.PREFERRED)
    session[CHALLENGE] = {"kind": "sign-in", "challenge": bytes_to_base64url(options.challenge)}
    return options_to_json(options)


def authenticate(user, credential) -> bool:
    """The browser's signed answer is from one of this user's passkeys (and its counter moved on)."""
    try:
        challenge = _take_challenge("sign-in")
        raw_id = credential.get("rawId") or credential.get("id") if isinstance(credential, dict) else None
        passkey = db.session.scalar(select(Passkey).where(Passkey.user_id == user.id,
                                                          Passkey.credential_id == str(raw_id)))
        if passkey is None:
            return False
        verified = verify_authentication_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=rp_id(),
            expected_origin=origin(), credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count)
    except (RuleViolation, InvalidAuthenticationResponse, ValueError, TypeError, KeyError):
        return False
    passkey.sign_count = verified.new_sign_count
    passkey.last_used_at = utcnow()
    db.session.flush()
    return True


def rename(user, passkey_id: int, name: str) -> None:
    passkey = _own(user, passkey_id)
    passkey.name = name.strip()[:80]
    audit.record(user, "twofactor.passkey_renamed", user, passkey=passkey.id)


def remove(user, passkey_id: int) -> None:
    passkey = _own(user, passkey_id)
    db.session.delete(passkey)
    db.session.flush()
    if not services.has_second_factor(user):
        services.drop_recovery_codes(user)
    audit.record(user, "twofactor.passkey_removed", user, passkey=passkey_id)
    services._changed(user, "passkey_removed")


def _own(user, passkey_id: int) -> Passkey:
    passkey = db.session.get(Passkey, passkey_id)
    if passkey is None or passkey.user_id != user.id:
        raise RuleViolation(_l("This passkey does not exist."))
    return passkey


def parse(raw: bytes) -> dict | None:
    """The JSON a browser posted, or None when it is not an object."""
    try:
        data = json.loads(raw or b"")
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None
