"""The second-factor services on their own: the TOTP window and single use, recovery codes, remembered devices."""
from datetime import timedelta

import pyotp

from portal.db import utcnow
from portal.extensions import db
from portal.twofactor import services
from portal.twofactor.models import RememberedDevice, TotpCredential
from tests import factories


def _enrolled():
    user = factories.user()
    services.start_totp(user)
    secret = services.pending_secret(user)
    services.confirm_totp(user, pyotp.TOTP(secret).now())  # the current step, used up
    return user, secret


def test_totp_window_and_single_use(ctx):
    user, secret = _enrolled()
    now = utcnow() + timedelta(minutes=10)  # later steps, none used yet
    row = db.session.get(TotpCredential, user.id)
    totp = pyotp.TOTP(secret)
    assert not services._accept_totp(row, totp.at(now - timedelta(seconds=90)), now)  # two steps late
    assert not services._accept_totp(row, totp.at(now + timedelta(seconds=90)), now)  # two steps early
    assert not services._accept_totp(row, "12345", now) and not services._accept_totp(row, "abcdef", now)
    assert services._accept_totp(row, totp.at(now), now)
    assert not services._accept_totp(row, totp.at(now), now)  # the same code again
    assert not services._accept_totp(row, totp.at(now - timedelta(seconds=30)), now)  # an older one after it
    assert services._accept_totp(row, totp.at(now + timedelta(seconds=30)), now)  # the next one


def test_secret_is_encrypted_and_unreadable_with_another_key(ctx, monkeypatch):
    user, secret = _enrolled()
    row = db.session.get(TotpCredential, user.id)
    assert secret not in row.secret_encrypted
    monkeypatch.setitem(ctx.config, "SECRET_KEY", "another-key")
    assert not services.check_code(user, pyotp.TOTP(secret).now())


def test_recovery_codes_once_each_and_regenerated(ctx):
    user = factories.user()
    services.start_totp(user)
    codes = services.confirm_totp(user, pyotp.TOTP(services.pending_secret(user)).now())
    assert services.check_code(user, codes[3]) and not services.check_code(user, codes[3])
    assert services.check_code(user, " " + codes[4].upper().replace("-", "") + " ")  # typed loosely
    assert services.recovery_codes_left(user) == 8
    fresh = services.regenerate_recovery_codes(user)
    assert not services.check_code(user, codes[5]) and services.check_code(user, fresh[0])
    services.remove_totp(user)
    assert services.recovery_codes_left(user) == 0 and not services.has_second_factor(user)


def test_remembered_devices_expire_and_are_per_user(ctx):
    user, other = factories.user(), factories.user()
    token = services.remember_device(user)
    assert services.is_remembered(user, token) and not services.is_remembered(other, token)
    assert not services.is_remembered(user, token + "x") and not services.is_remembered(user, None)
    db.session.query(RememberedDevice).update({"expires_at": utcnow() - timedelta(seconds=1)})
    assert not services.is_remembered(user, token)
