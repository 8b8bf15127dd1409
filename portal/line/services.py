"""Accounts and LINE: signing in with a linked LINE account, registering from LINE, linking and unlinking.

The LINE identity passed in has been verified (portal/line/login.py). An e-mail address from LINE is never a
reason to link or sign in to an existing account: only a LINE user id linked from that account's own settings
is. Services flush and raise; the view commits.
"""
import logging

from sqlalchemy import select

from portal import audit
from portal.auth import services as auth_services
from portal.auth.models import User
from portal.db import utcnow
from portal.exceptions import PermissionDenied, RuleViolation
from portal.extensions import db
from portal.i18n import lazy_gettext as _l
from portal.line.login import LineIdentity
from portal.line.models import LineAccount
from portal.permissions import can_link_line, can_sign_in_with_line, can_unlink_line

log = logging.getLogger(__name__)

ALREADY_LINKED = _l("This LINE account is already linked to another portal account.")
NO_PASSWORD = _l("Your account has no password yet: without LINE you could not sign in. Set a password first "
                 "(we e-mail you a link), then unlink LINE.")


def link_of(user) -> LineAccount | None:
    """The user's own LINE link, if any."""
    if user is None or not user.is_authenticated:
        return None
    return db.session.scalar(select(LineAccount).where(LineAccount.user_id == user.id))


def account_for(line_user_id: str) -> LineAccount | None:
    """The link of this LINE user id, if any portal account has it."""
    return db.session.scalar(select(LineAccount).where(LineAccount.line_user_id == line_user_id))


def user_for(identity: LineIdentity) -> User | None:
    """The account linked to this LINE user, or None (then they may register)."""
    account = account_for(identity.line_user_id)
    return db.session.get(User, account.user_id) if account is not None else None


def sign_in(user: User, identity: LineIdentity) -> None:
    """Record a sign-in with LINE (the view starts the session).

    :raises RuleViolation: the account is suspended.
    """
    if not can_sign_in_with_line(user):
        raise RuleViolation(_l("This account is suspended. Please contact OSMEP staff."))
    account = account_for(identity.line_user_id)
    if identity.name and account.display_name != identity.name:
        account.display_name = identity.name
    auth_services.record_sign_in(user)
    audit.record(user, "line.signed_in", user)


def email_taken(email: str | None) -> bool:
    """An account already has this address (from LINE): its owner must sign in with the password and link."""
    return bool(email) and auth_services.get_by_email(email) is not None


def _attach(user: User, identity: LineIdentity) -> LineAccount:
    account = LineAccount(user_id=user.id, line_user_id=identity.line_user_id, display_name=identity.name or None,
                          linked_at=utcnow())
    db.session.add(account)
    db.session.flush()
    return account


def register(identity: LineIdentity, name: str, email: str, locale: str) -> tuple[User, bool]:
    """A new unconfirmed account, without a password, linked to this LINE user. Returns (user, created).

    As for registering with a password, an address that already has an account creates nothing and returns
    that account with created=False: the caller answers as for a new one and mails the owner, who can sign in
    with the password and link LINE in their settings. That account is never linked from here.

    :raises RuleViolation: the LINE user is linked already (registered meanwhile, in another tab).
    """
    if account_for(identity.line_user_id) is not None:
        raise RuleViolation(ALREADY_LINKED)
    existing = auth_services.get_by_email(email)
    if existing is not None:
        return existing, False
    user = User(name=name.strip(), email=auth_services.normalise_email(email),
                password_hash=auth_services.unusable_password(), locale=locale)
    db.session.add(user)
    db.session.flush()
    _attach(user, identity)
    audit.record(user, "user.registered", user, via="LINE")
    audit.record(user, "line.linked", user)
    auth_services.accept_notice_at_registration(user, locale)
    log.info("user %s registered with LINE", user.id)
    return user, True


def link(actor: User, identity: LineIdentity) -> LineAccount:
    """Link this LINE user to the actor's own account.

    :raises RuleViolation: the LINE user is linked to another account, or the actor already has a link.
    """
    taken = account_for(identity.line_user_id)
    if taken is not None and taken.user_id != actor.id:
        raise RuleViolation(ALREADY_LINKED)
    own = link_of(actor)
    if own is not None:
        raise RuleViolation(_l("Your account is already linked to a LINE account."))
    if not can_link_line(actor, own, taken):
        raise PermissionDenied()
    account = _attach(actor, identity)
    audit.record(actor, "line.linked", actor)
    log.info("LINE linked to user %s by user %s", actor.id, actor.id)
    return account


def unlink(actor: User) -> None:
    """Remove the actor's LINE link; they sign in with their password from now on.

    :raises RuleViolation: no password (they would be locked out) or nothing linked.
    """
    own = link_of(actor)
    if own is None:
        raise RuleViolation(_l("Your account is not linked to LINE."))
    if not actor.has_password:
        raise RuleViolation(NO_PASSWORD)
    if not can_unlink_line(actor, own):
        raise PermissionDenied()
    db.session.delete(own)
    db.session.flush()
    audit.record(actor, "line.unlinked", actor)
    log.info("LINE unlinked from user %s by user %s", actor.id, actor.id)
