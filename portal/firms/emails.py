"""Firm e-mails: invitations to join a firm's team."""
from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from portal.links import absolute_url
from portal.mail import send_email

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


def send_invitation(invitation, firm, inviter, locale: str) -> None:
    """Sent in the inviter's language: we know nothing of the invitee's yet."""
    link = absolute_url("firms.accept_invitation", token=invitation_token(invitation), lang=locale)
    send_email(invitation.email, _l("You are invited to edit a firm on the Cluster Portal"), "invitation", locale,
               firm=firm, inviter=inviter, link=link, days=current_app.config["INVITE_MAX_AGE"] // 86400)


def send_claim_invitation(invitation, coordinator, locale: str) -> None:
    """A coordinator imported this firm: its contact is invited to claim (own) the profile."""
    from portal.extensions import db
    from portal.firms.models import Firm

    firm = db.session.get(Firm, invitation.firm_id)
    link = absolute_url("firms.accept_invitation", token=invitation_token(invitation), lang=locale)
    send_email(invitation.email, _l("Your firm is listed on the Cluster Portal: claim its profile"), "claim",
               locale, firm=firm, coordinator=coordinator, link=link,
               days=current_app.config["INVITE_MAX_AGE"] // 86400)
