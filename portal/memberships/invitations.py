"""A cluster's invitation to a firm that already has an owner (made by a coordinator's member import).

An import must not enrol a claimed firm: that would hand its contacts, its moderation and its private
threads to the cluster's coordinators without a word from its owner. The import invites it instead; the
owner accepts (the firm becomes an approved member, with the positions the owner confirms) or declines
(recorded; nothing else changes). Until accepted, an invitation is no membership: every list, count and
permission asks for status approved.
"""
import logging

from flask import url_for

from portal import audit
from portal.auth.models import User
from portal.clusters.models import Cluster, Membership, MembershipPosition, MembershipStatus, Position
from portal.db import flush_or_conflict, utcnow
from portal.exceptions import PermissionDenied
from portal.extensions import db
from portal.firms.models import Firm
from portal.i18n import lazy_gettext as _l
from portal.memberships.services import _firm_owners, _move, _params, _positions, cluster_managers
from portal.notifications.services import notify, register_kind
from portal.permissions import can_answer_membership_invitation, can_manage_cluster
from portal.thai import fiscal_year
from portal.webhooks import services as webhooks

log = logging.getLogger(__name__)

S = MembershipStatus
ANSWERS = {(S.INVITED, S.APPROVED), (S.INVITED, S.DECLINED)}


def _values(positions) -> list[str]:
    return [p.value for p in sorted(positions, key=list(Position).index)]


def _answered_meanwhile(membership: Membership):
    def message():
        return _l("This invitation was answered at the same moment (now: %(status)s). Your answer was not saved.",
                  status=membership.status_label)
    return message


def invite(actor: User, firm: Firm, cluster: Cluster, positions, offers: str | None = None,
           seeks: str | None = None, **details) -> Membership:
    """Invite a firm to join the cluster at the positions proposed; its owners are told, in their language.
    :raises PermissionDenied, RuleViolation: the firm joined, asked or was invited meanwhile."""
    if not can_manage_cluster(actor, cluster):
        raise PermissionDenied()
    chosen = _positions(positions)
    membership = Membership(
        firm_id=firm.id, cluster_id=cluster.id, status=S.INVITED, invited_at=utcnow(), offers=offers or None,
        seeks=seeks or None, requested_by_id=actor.id, positions=[MembershipPosition(position=p) for p in chosen],
    )
    db.session.add(membership)
    flush_or_conflict(lambda: _l("A firm in the file joined, asked to join or was invited to this cluster at the "
                                 "same moment. Nothing was imported; please upload the file again."), unique=True)
    audit.record(actor, "membership.invited", membership, cluster=cluster.slug, firm_id=firm.id,
                 positions=_values(chosen), **details)
    log.info("firm %s invited to cluster %s by %s", firm.id, cluster.id, actor.id)
    notify(_firm_owners(firm.id), "membership.invited", membership, **_params(membership))
    return membership


def accept(actor: User, membership: Membership, positions) -> None:
    """The owner accepts: the firm becomes an approved member at the positions the owner confirms (those
    proposed, or changed), and the approval's Thai fiscal year is recorded."""
    if not can_answer_membership_invitation(actor, membership):
        raise PermissionDenied()
    chosen = _positions(positions)
    proposed = _values(p.position for p in membership.positions)
    _move(membership, S.APPROVED, ANSWERS)
    membership.positions = [MembershipPosition(position=p) for p in chosen]
    membership.decided_at = utcnow()
    membership.decided_by_id = actor.id
    membership.fiscal_year = fiscal_year(membership.decided_at)
    flush_or_conflict(_answered_meanwhile(membership))
    audit.record(actor, "membership.invitation_accepted", membership, fiscal_year=membership.fiscal_year,
                 proposed=proposed, positions=_values(chosen))
    log.info("invitation %s accepted by %s", membership.id, actor.id)
    webhooks.emit("membership.approved", membership)
    cluster = db.session.get(Cluster, membership.cluster_id)
    notify(cluster_managers(cluster), "membership.invitation_accepted", membership, **_params(membership))


def decline(actor: User, membership: Membership) -> None:
    """The owner declines: recorded, and nothing else changes (the firm may still ask to join later)."""
    if not can_answer_membership_invitation(actor, membership):
        raise PermissionDenied()
    _move(membership, S.DECLINED, ANSWERS)
    membership.decided_at = utcnow()
    membership.decided_by_id = actor.id
    flush_or_conflict(_answered_meanwhile(membership))
    audit.record(actor, "membership.invitation_declined", membership)
    log.info("invitation %s declined by %s", membership.id, actor.id)
    cluster = db.session.get(Cluster, membership.cluster_id)
    notify(cluster_managers(cluster), "membership.invitation_declined", membership, **_params(membership))


# --- notification kinds -------------------------------------------------------------------------

def _firm_page(n):
    return url_for("memberships.firm_memberships", firm_id=n.params.get("firm_id"), _anchor="invitations")


def _invitations_page(n):
    return url_for("coordination.invitations", slug=n.params.get("cluster_slug"))


register_kind("membership.invited",
              _l("The %(cluster)s cluster invites %(firm)s to join as a member. Accept or decline the invitation."),
              _firm_page)
register_kind("membership.invitation_accepted",
              _l("%(firm)s accepted the invitation and is now a member of the %(cluster)s cluster."),
              _invitations_page)
register_kind("membership.invitation_declined",
              _l("%(firm)s declined the invitation to join the %(cluster)s cluster."), _invitations_page)
