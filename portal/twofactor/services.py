"""Second factors: enrol and check TOTP codes, recovery codes, remembered devices. Services flush, the view
commits. Every change to a user's second factors leaves an audit entry, tells the user by e-mail (through the
outbox) and forgets the browsers remembered so far."""
import base64
import hashlib
import secrets
from datetime import timedelta

import pyotp
from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from sqlalchemy import delete, select, update

from portal import audit
from portal.db import utcnow
from portal.exceptions import RuleViolation
from portal.extensions import db
from portal.i18n import lazy_gettext as _l
from portal.twofactor.models import Passkey, RecoveryCode, RememberedDevice, TotpCredential

ISSUER = "Cluster Portal"
RECOVERY_CODE_COUNT = 10
STEP = 30  # seconds per TOTP code


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _fernet() -> Fernet:
    key = hashlib.sha256(("totp-secret|" + current_app.config["SECRET_KEY"]).encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def _secret(row: TotpCredential) -> str:
    try:
        return _fernet().decrypt(row.secret_encrypted.encode()).decode()
    except InvalidToken:  # SECRET_KEY changed: the app must be enrolled again
        return ""


# --- what a user has ------------------------------------------------------------------------------------

def totp_of(user) -> TotpCredential | None:
    """The user's confirmed authenticator app, or None."""
    row = db.session.get(TotpCredential, user.id)
    return row if row is not None and row.confirmed_at is not None else None


def passkeys_of(user) -> list[Passkey]:
    return list(db.session.scalars(select(Passkey).where(Passkey.user_id == user.id).order_by(Passkey.id)))


def has_second_factor(user) -> bool:
    if totp_of(user) is not None:
        return True
    return db.session.scalar(select(Passkey.id).where(Passkey.user_id == user.id).limit(1)) is not None


def recovery_codes_left(user) -> int:
    return len(db.session.scalars(select(RecoveryCode.id).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))).all())


# --- TOTP -----------------------------------------------------------------------------------------------

def start_totp(user) -> str:
    """A new secret for an app being set up (replacing one not yet confirmed); returns the otpauth:// URI."""
    if totp_of(user) is not None:
        raise RuleViolation(_l("An authenticator app is already set up. Remove it first to set up another."))
    encrypted = _fernet().encrypt(pyotp.random_base32().encode()).decode()
    row = db.session.get(TotpCredential, user.id)
    if row is None:
        row = TotpCredential(user_id=user.id, secret_encrypted=encrypted)
        db.session.add(row)
    row.secret_encrypted, row.created_at = encrypted, utcnow()
    db.session.flush()
    return provisioning_uri(user)


def provisioning_uri(user) -> str:
    row = db.session.get(TotpCredential, user.id)
    return pyotp.TOTP(_secret(row)).provisioning_uri(name=user.email, issuer_name=ISSUER)


def pending_secret(user) -> str | None:
    """The secret of the app being set up (shown as text beside the QR code), or None."""
    row = db.session.get(TotpCredential, user.id)
    return _secret(row) if row is not None and row.confirmed_at is None else None


def _clean(code: str) -> str:
    return "".join((code or "").split()).replace("-", "")


def _accept_totp(row: TotpCredential, code: str, now=None) -> bool:
    """The code matches now (or one step either side, for a slow phone clock) and was not used before."""
    code = _clean(code)
    secret = _secret(row)
    if not (secret and code.isdigit() and len(code) == 6):
        return False
    totp = pyotp.TOTP(secret)
    now = now or utcnow()
    current = int(now.timestamp()) // STEP
    for step in (current, current - 1, current + 1):
        if secrets.compare_digest(totp.at(step * STEP), code):
            if row.last_step is not None and step <= row.last_step:
                return False  # already used (or an older code after a newer one)
            # Atomically, so two requests with the same code cannot both pass.
            done = db.session.execute(update(TotpCredential).where(
                TotpCredential.user_id == row.user_id,
                (TotpCredential.last_step.is_(None)) | (TotpCredential.last_step < step)).values(last_step=step))
            db.session.refresh(row)
            return done.rowcount == 1
    return False


def confirm_totp(user, code: str) -> list[str]:
    """Finish setting up the app with its first code; returns new recovery codes (shown once)."""
    row = db.session.get(TotpCredential, user.id)
    if row is None or row.confirmed_at is not None:
        raise RuleViolation(_l("Start setting up the authenticator app again."))
    if not _accept_totp(row, code):
        raise RuleViolation(_l("That code is not correct. Enter the current 6-digit code from your app."))
    row.confirmed_at = utcnow()
    audit.record(user, "twofactor.totp_enabled", user)
    codes = _new_recovery_codes(user)
    _changed(user, "totp_added")
    return codes


def remove_totp(user) -> None:
    row = db.session.get(TotpCredential, user.id)
    if row is None:
        return
    confirmed = row.confirmed_at is not None
    db.session.delete(row)
    db.session.flush()
    if confirmed:
        if not has_second_factor(user):
            drop_recovery_codes(user)
        audit.record(user, "twofactor.totp_disabled", user)
        _changed(user, "totp_removed")


# --- recovery codes -------------------------------------------------------------------------------------

def _new_recovery_codes(user) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = secrets.token_hex(5)  # 10 hex digits, 40 bits: shown as xxxxx-xxxxx
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_hash(raw)))
    db.session.flush()
    return codes


def drop_recovery_codes(user) -> None:
    """No second factor left: recovery codes would have nothing to recover."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def regenerate_recovery_codes(user) -> list[str]:
    if not has_second_factor(user):
        raise RuleViolation(_l("Set up a second factor first."))
    codes = _new_recovery_codes(user)
    audit.record(user, "twofactor.recovery_regenerated", user)
    _changed(user, "recovery_regenerated")
    return codes


def _use_recovery_code(user, code: str) -> bool:
    raw = _clean(code).lower()
    if len(raw) != 10:
        return False
    done = db.session.execute(update(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _hash(raw),
        RecoveryCode.used_at.is_(None)).values(used_at=utcnow()))
    if done.rowcount != 1:
        return False
    audit.record(user, "twofactor.recovery_used", user, left=recovery_codes_left(user))
    return True


def check_code(user, code: str) -> bool:
    """A second-step answer: a current TOTP code, or an unused recovery code (which is then used up)."""
    row = totp_of(user)
    if row is not None and _accept_totp(row, code):
        return True
    return _use_recovery_code(user, code)


# --- remembered devices ---------------------------------------------------------------------------------

def remember_device(user) -> str:
    """A new remembered browser: returns the token for its cookie."""
    token = secrets.token_urlsafe(32)
    days = current_app.config["TWO_FACTOR_REMEMBER_DAYS"]
    db.session.add(RememberedDevice(user_id=user.id, token_hash=_hash(token),
                                    expires_at=utcnow() + timedelta(days=days)))
    db.session.flush()
    return token


def is_remembered(user, token: str | None) -> bool:
    if not token:
        return False
    return db.session.scalar(select(RememberedDevice.id).where(
        RememberedDevice.user_id == user.id, RememberedDevice.token_hash == _hash(token),
        RememberedDevice.expires_at > utcnow())) is not None


def remembered_count(user) -> int:
    return len(db.session.scalars(select(RememberedDevice.id).where(
        RememberedDevice.user_id == user.id, RememberedDevice.expires_at > utcnow())).all())


def forget_devices(user, record: bool = True) -> None:
    db.session.execute(delete(RememberedDevice).where(RememberedDevice.user_id == user.id))
    if record:
        audit.record(user, "twofactor.devices_forgotten", user)


def _changed(user, change: str) -> None:
    """After any change of second factors: remembered browsers must pass the new step; the owner is told;
    the security log has it (portal/security_events.py)."""
    from portal.security_events import security_event
    from portal.twofactor import emails

    event = ("two_factor.enabled" if change.endswith("_added") else
             "two_factor.disabled" if change.endswith("_removed") else "two_factor.changed")
    security_event(event, user, change=change)
    forget_devices(user, record=False)
    emails.send_changed(user, change)
