"""Firm e-mails: invitations to join a firm's team."""
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from portal.auth.models import User
from portal.auth.services import mail_locales
from portal.extensions import db
from portal.i18n import lazy_gettext as _l
from portal.links import absolute_url
from portal.outbox.services import Email, enqueue_email, register_email

INVITE_SALT = "firm-invitation"


def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=INVITE_SALT)


def invitation_token(invitation) -> str:
    return _serializer().dumps({"id": invitation.id, "email": invitation.email})


def invitation_from_token(token: str):
    """The invitation id in a valid token, else None (expired or tampered with)."""
    try:
        data = _serializer().loads(token, max_age=current_app.config["INVITE_MAX_AGE"])
    except (SignatureExpired, BadSignature):
        return None
    return data if isinstance(data, dict) else None


def send_invitation(invitation, firm, inviter, inviter_locale: str) -> None:
    """Sent in the invitee's language when the address has an account; else in the inviter's, the best
    guess for a colleague on the same firm's team."""
    locale = mail_locales([invitation.email], inviter_locale)[invitation.email]
    enqueue_email("firms.invitation", invitation.email, locale, invitation=invitation.id, inviter=inviter.id)


def claim_invitation_rows(invitations, coordinator) -> list[dict]:
    """Outbox rows for an import's claim invitations (written in one INSERT by the caller).

    Each goes in its recipient's language: the account's where the address has one, else Thai, the
    language of the firm. Never the coordinator's: an English-reading coordinator imports Thai firms.
    """
    db.session.flush()  # the invitations' ids
    locales = mail_locales([inv.email for inv in invitations], current_app.config["BABEL_DEFAULT_LOCALE"])
    return [{"recipient": inv.email, "locale": locales[inv.email],
             "context": {"invitation": inv.id, "coordinator": coordinator.id}} for inv in invitations]


def _invitation(context):
    from portal.firms.models import Firm, FirmInvitation

    invitation = db.session.get(FirmInvitation, context.get("invitation"))
    if invitation is None:
        return None, None
    return invitation, db.session.get(Firm, invitation.firm_id)


def _invitation_email(context, locale, subject, template, sender_key):
    """An invitation's e-mail while it is still open (accepted or revoked meanwhile: nothing to send)."""
    invitation, firm = _invitation(context)
    if invitation is None or firm is None or not invitation.is_open:
        return None
    link = absolute_url("firms.accept_invitation", token=invitation_token(invitation), lang=locale)
    return Email(subject, template, {
        "firm": firm, sender_key: db.session.get(User, context.get(sender_key)), "link": link,
        "days": current_app.config["INVITE_MAX_AGE"] // 86400})


def _render_invitation(context, locale):
    return _invitation_email(context, locale, _l("You are invited to edit a firm on the Cluster Portal"),
                             "invitation", "inviter")


def _render_claim(context, locale):
    """A coordinator imported this firm: its contact is invited to claim (own) the profile."""
    return _invitation_email(context, locale, _l("Your firm is listed on the Cluster Portal: claim its profile"),
                             "claim", "coordinator")


register_email("firms.invitation", _render_invitation)
register_email("firms.claim", _render_claim)
