"""Firm profiles and their teams. Every change is authorised here again, audited, flushed, not committed."""
import logging

from sqlalchemy.exc import IntegrityError

from portal import audit
from portal.auth.models import User
from portal.auth.services import normalise_email
from portal.db import utcnow
from portal.exceptions import PermissionDenied, RuleViolation
from portal.extensions import db
from portal.firms.models import Firm, FirmInvitation, FirmMember, FirmRole
from portal.i18n import lazy_gettext as _l
from portal.permissions import can_create_firm, can_edit_firm, can_manage_firm_team

log = logging.getLogger(__name__)

PROFILE_FIELDS = (
    "name_th", "name_en", "legal_form", "registration_number", "province_id", "size", "founded_year",
    "description_th", "description_en", "products_th", "products_en", "phone", "email", "line_id", "website",
)


class DuplicateRegistration(RuleViolation):
    def __init__(self):
        super().__init__(_l("A firm with this registration number is already on the portal. If it is yours, "
                            "ask its owner to invite you, or contact OSMEP staff."))


def _check_registration_free(number: str | None, firm_id: int | None = None) -> None:
    if not number:
        return
    query = db.select(Firm.id).where(Firm.registration_number == number)
    if firm_id is not None:
        query = query.where(Firm.id != firm_id)
    if db.session.scalar(query) is not None:
        raise DuplicateRegistration()


def _flush_unique():
    """Flush; if another request took the registration number meanwhile, the unique index says so and the
    rule violation is raised (the unit of work rolls back: nothing half-written)."""
    try:
        db.session.flush()
    except IntegrityError:
        raise DuplicateRegistration() from None


def _record_listing(actor: User, firm: Firm, granted: bool) -> None:
    """The firm form's listing box, in the consent history (portal/privacy)."""
    from portal.privacy.models import ConsentMethod
    from portal.privacy.services import record_listing

    record_listing(actor, firm, granted, ConsentMethod.FIRM_FORM)


def create_firm(actor: User, data: dict, public_listing: bool, logo: str | None = None) -> Firm:
    """A new firm owned by `actor`. :raises PermissionDenied, RuleViolation:"""
    if not can_create_firm(actor):
        raise PermissionDenied()
    _check_registration_free(data.get("registration_number"))
    firm = Firm(**{key: data.get(key) for key in PROFILE_FIELDS}, created_by_id=actor.id, logo_filename=logo)
    firm.public_listing_consent_at = utcnow() if public_listing else None
    firm.members.append(FirmMember(user_id=actor.id, role=FirmRole.OWNER))
    db.session.add(firm)
    _flush_unique()
    audit.record(actor, "firm.created", firm, public_listing=public_listing)
    if public_listing:
        _record_listing(actor, firm, True)
    log.info("firm %s created by %s", firm.id, actor.id)
    return firm


def update_firm(actor: User, firm: Firm, data: dict, public_listing: bool, logo: str | None = None) -> list[str]:
    """Apply the form; returns the names of the fields that changed. A new registration number
    clears the verification, which was for the old one. :raises PermissionDenied, RuleViolation:"""
    if not can_edit_firm(actor, firm):
        raise PermissionDenied()
    if data.get("registration_number") != firm.registration_number:
        _check_registration_free(data.get("registration_number"), firm.id)
    changed = [key for key in PROFILE_FIELDS if getattr(firm, key) != data.get(key)]
    for key in changed:
        setattr(firm, key, data.get(key))
    if "registration_number" in changed and firm.verified_at is not None:
        firm.verified_at = None
        audit.record(actor, "firm.verification_cleared", firm, reason="registration number changed")
    if public_listing != firm.has_public_consent:
        firm.public_listing_consent_at = utcnow() if public_listing else None
        changed.append("public_listing")
        audit.record(actor, "firm.consent_given" if public_listing else "firm.consent_withdrawn", firm)
        _record_listing(actor, firm, public_listing)
    if logo is not None:
        firm.logo_filename = logo
        changed.append("logo")
    if changed:
        _flush_unique()
        audit.record(actor, "firm.updated", firm, fields=changed)
    return changed


def invite(actor: User, firm: Firm, email: str) -> FirmInvitation:
    """An editor invitation for `email` (an open one is reused, so sending again just re-sends).
    :raises PermissionDenied, RuleViolation:"""
    if not can_manage_firm_team(actor, firm):
        raise PermissionDenied()
    email = normalise_email(email)
    member = db.session.scalar(
        db.select(FirmMember).join(User, User.id == FirmMember.user_id)
        .where(FirmMember.firm_id == firm.id, User.email == email)
    )
    if member is not None:
        raise RuleViolation(_l("%(email)s is already in this firm's team.", email=email))
    invitation = db.session.scalar(
        db.select(FirmInvitation).where(
            FirmInvitation.firm_id == firm.id, FirmInvitation.email == email,
            FirmInvitation.accepted_at.is_(None), FirmInvitation.revoked_at.is_(None),
        )
    )
    if invitation is None:
        invitation = FirmInvitation(firm_id=firm.id, email=email, role=FirmRole.EDITOR, invited_by_id=actor.id)
        db.session.add(invitation)
        db.session.flush()
        audit.record(actor, "firm.editor_invited", firm, email=email)
    return invitation


def accept_invitation(user: User, invitation: FirmInvitation) -> FirmMember:
    """The invited person joins the team. The invitation is for one address: the user must have it.
    :raises RuleViolation:"""
    if not invitation.is_open:
        raise RuleViolation(_l("This invitation has already been used or was withdrawn."))
    if normalise_email(user.email) != invitation.email:
        raise RuleViolation(_l("This invitation was sent to %(email)s. Please sign in with that address.",
                               email=invitation.email))
    if not user.is_confirmed:  # the invitation reached this mailbox: that confirms it
        user.confirmed_at = utcnow()
    member = db.session.get(FirmMember, (invitation.firm_id, user.id))
    if member is None:
        member = FirmMember(firm_id=invitation.firm_id, user_id=user.id, role=invitation.role)
        db.session.add(member)
    invitation.accepted_at = utcnow()
    invitation.accepted_by_id = user.id
    db.session.flush()
    audit.record(user, "firm.editor_joined", invitation.firm)
    return member


def remove_member(actor: User, firm: Firm, user_id: int) -> None:
    """The owner removes an editor. The owner cannot be removed. :raises PermissionDenied, RuleViolation:"""
    if not can_manage_firm_team(actor, firm):
        raise PermissionDenied()
    member = db.session.get(FirmMember, (firm.id, user_id))
    if member is None:
        raise RuleViolation(_l("This person is not in the firm's team."))
    if member.role is FirmRole.OWNER:
        raise RuleViolation(_l("The owner cannot be removed from the firm."))
    db.session.delete(member)
    db.session.flush()
    audit.record(actor, "firm.editor_removed", firm, user_id=user_id)


def revoke_invitation(actor: User, firm: Firm, invitation: FirmInvitation) -> None:
    if not can_manage_firm_team(actor, firm) or invitation.firm_id != firm.id:
        raise PermissionDenied()
    if invitation.is_open:
        invitation.revoked_at = utcnow()
        audit.record(actor, "firm.invitation_revoked", firm, email=invitation.email)
