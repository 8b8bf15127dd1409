"""Membership workflow and coordinator terms. Every change is authorised here (again), audited and
flushed; the view commits, and with it the notifications' e-mails (outbox).

    pending ──approve──▶ approved ──leave──▶ left
       │  └──decline──▶ declined      └──remove──▶ removed
       └──cancel──▶ cancelled
    invited ──accept (the firm's owner)──▶ approved;  invited ──decline (the owner)──▶ declined
The invitation's two moves are the owner's alone (memberships/invitations.py): a coordinator's approve
or decline never applies to an invited row.
A declined, cancelled, left or removed firm may ask again: that is a new membership row, so the
history is kept.

Two people acting on one membership at the same moment (two coordinators approving, one approving while
another declines, the firm cancelling meanwhile): each change is flushed at once under the row's version
(`flush_or_conflict`), so the second finds the row changed, its transaction is rolled back (no audit
row, no notification) and it is told what the first one did.
"""
import logging
from datetime import date, timedelta
from functools import cache

from flask import url_for
from sqlalchemy import Integer, bindparam, select

from portal import audit
from portal.auth.models import User
from portal.clusters.models import (
    Cluster,
    CoordinatorTerm,
    Membership,
    MembershipPosition,
    MembershipStatus,
    Organisation,
    Position,
)
from portal.db import flush_or_conflict, flush_or_refuse, utcnow
from portal.exceptions import PermissionDenied, RuleViolation
from portal.extensions import db
from portal.firms.models import Firm, FirmMember, FirmRole
from portal.following.services import announce
from portal.i18n import lazy_gettext as _l
from portal.notifications.services import bilingual, notify, register_kind
from portal.permissions import (
    can_appoint_coordinators,
    can_decide_membership,
    can_request_membership,
    can_withdraw_membership,
)
from portal.thai import bangkok_today, fiscal_year
from portal.webhooks import services as webhooks

log = logging.getLogger(__name__)

S = MembershipStatus
TRANSITIONS = {
    (S.PENDING, S.APPROVED),
    (S.PENDING, S.DECLINED),
    (S.PENDING, S.CANCELLED),
    (S.APPROVED, S.LEFT),
    (S.APPROVED, S.REMOVED),
}


def _move(membership: Membership, to: MembershipStatus, transitions=TRANSITIONS) -> None:
    if (membership.status, to) not in transitions:
        raise RuleViolation(_l("This membership is %(status)s: that change is not possible now.",
                               status=membership.status.label))
    membership.status = to


def _meanwhile(membership: Membership, before: MembershipStatus):
    """What the loser of a race is told, read after its rollback: what the other person made of it."""
    def message():
        if before is S.PENDING and membership.status is not S.PENDING:
            return _l("Someone else decided this request at the same moment (now: %(status)s). "
                      "Your decision was not saved.", status=membership.status.label)
        return _l("Someone else changed this membership at the same moment (now: %(status)s). "
                  "Your change was not saved; please check and try again.", status=membership.status.label)
    return message


def _firm_owners(firm_id: int) -> list[User]:
    return list(db.session.scalars(_firm_owners_statement(), {"firm_id": firm_id}))


@cache
def _firm_owners_statement():
    """_firm_owners' statement, built once (every decision on a membership tells the firm's owners)."""
    return (select(User).join(FirmMember, FirmMember.user_id == User.id)
            .where(FirmMember.firm_id == bindparam("firm_id", type_=Integer), FirmMember.role == FirmRole.OWNER))


def cluster_managers(cluster: Cluster, day: date | None = None) -> list[User]:
    """Users with a coordinator term for the cluster covering `day`."""
    day = day or bangkok_today()
    return list(db.session.scalars(
        select(User).join(CoordinatorTerm, CoordinatorTerm.user_id == User.id)
        .where(CoordinatorTerm.cluster_id == cluster.id, CoordinatorTerm.covers(day)).distinct()
    ))


def _params(membership: Membership, **extra) -> dict:
    firm = db.session.get(Firm, membership.firm_id)
    cluster = db.session.get(Cluster, membership.cluster_id)
    return {"firm": bilingual(firm), "cluster": bilingual(cluster), "firm_id": firm.id,
            "cluster_slug": cluster.slug, **extra}


def _positions(positions) -> list[Position]:
    chosen = sorted({Position(p) for p in positions}, key=list(Position).index)
    if not chosen:
        raise RuleViolation(_l("Choose at least one position in the value chain."))
    return chosen


def request_membership(actor: User, firm: Firm, cluster: Cluster, positions, offers: str | None,
                       seeks: str | None) -> Membership:
    """The firm asks to join; coordinators are notified. :raises PermissionDenied, RuleViolation:"""
    if not can_request_membership(actor, firm):
        raise PermissionDenied()
    current = db.session.scalar(select(Membership).where(
        Membership.firm_id == firm.id, Membership.cluster_id == cluster.id,
        Membership.status.in_([S.PENDING, S.APPROVED, S.INVITED])))
    if current is not None:
        raise RuleViolation({
            S.APPROVED: _l("This firm is already a member of this cluster, or its request is waiting."),
            S.PENDING: _l("This firm's request to join this cluster is already waiting for a decision."),
            S.INVITED: _l("This cluster has invited your firm: accept or decline the invitation on this page."),
        }[current.status])
    membership = Membership(
        firm_id=firm.id, cluster_id=cluster.id, status=S.PENDING, offers=offers or None, seeks=seeks or None,
        requested_by_id=actor.id, positions=[MembershipPosition(position=p) for p in _positions(positions)],
    )
    db.session.add(membership)
    # the same request twice at once: the partial unique index says no
    flush_or_refuse(_l("This firm's request to join this cluster is already waiting for a decision."))
    audit.record(actor, "membership.requested", membership, cluster=cluster.slug, firm_id=firm.id)
    notify(cluster_managers(cluster), "membership.requested", membership, **_params(membership))
    return membership


def cancel_request(actor: User, membership: Membership) -> None:
    if not can_withdraw_membership(actor, membership):
        raise PermissionDenied()
    _end(actor, membership, S.CANCELLED, None, "membership.cancelled")


def leave(actor: User, membership: Membership, reason: str | None = None) -> None:
    if not can_withdraw_membership(actor, membership):
        raise PermissionDenied()
    _end(actor, membership, S.LEFT, reason, "membership.left")


def _end(actor, membership, status, reason, action):
    before = membership.status
    _move(membership, status)
    membership.ended_at = utcnow()
    membership.ended_by_id = actor.id
    membership.end_reason = reason or None
    flush_or_conflict(_meanwhile(membership, before))
    audit.record(actor, action, membership, reason=reason)
    if status in (S.LEFT, S.REMOVED):  # a request withdrawn before a decision ended no membership
        webhooks.emit("membership.ended", membership)


def approve(actor: User, membership: Membership) -> None:
    """Approve a pending request; the approval's Thai fiscal year is recorded (ปีงบประมาณ)."""
    if not can_decide_membership(actor, membership):
        raise PermissionDenied()
    _move(membership, S.APPROVED)
    membership.decided_at = utcnow()
    membership.decided_by_id = actor.id
    membership.fiscal_year = fiscal_year(membership.decided_at)
    flush_or_conflict(_meanwhile(membership, S.PENDING))
    audit.record(actor, "membership.approved", membership, fiscal_year=membership.fiscal_year)
    log.info("membership %s approved by %s", membership.id, actor.id)
    notify(_firm_owners(membership.firm_id), "membership.approved", membership, **_params(membership))
    announce("membership.approved", membership, actor)  # the cluster's and firm's followers, from a worker
    webhooks.emit("membership.approved", membership)


def decline(actor: User, membership: Membership, reason: str) -> None:
    """Decline with a reason the firm sees. :raises RuleViolation: no reason."""
    if not can_decide_membership(actor, membership):
        raise PermissionDenied()
    if not (reason or "").strip():
        raise RuleViolation(_l("Please give the firm a reason."))
    _move(membership, S.DECLINED)
    membership.decided_at = utcnow()
    membership.decided_by_id = actor.id
    membership.decision_reason = reason.strip()
    flush_or_conflict(_meanwhile(membership, S.PENDING))
    audit.record(actor, "membership.declined", membership, reason=reason.strip())
    notify(_firm_owners(membership.firm_id), "membership.declined", membership,
           **_params(membership, reason=reason.strip()))


def remove(actor: User, membership: Membership, reason: str) -> None:
    """Remove a member with a reason the firm is told. :raises RuleViolation: no reason."""
    if not can_decide_membership(actor, membership):
        raise PermissionDenied()
    if not (reason or "").strip():
        raise RuleViolation(_l("Please give the firm a reason."))
    _end(actor, membership, S.REMOVED, reason.strip(), "membership.removed")
    notify(_firm_owners(membership.firm_id), "membership.removed", membership,
           **_params(membership, reason=reason.strip()))


def set_positions(actor: User, membership: Membership, positions) -> None:
    """A coordinator confirms or corrects the positions a member holds."""
    if not can_decide_membership(actor, membership):
        raise PermissionDenied()
    if not membership.is_current:
        raise RuleViolation(_l("Only current members' positions can be changed."))
    chosen = _positions(positions)
    before = sorted((p.position for p in membership.positions), key=list(Position).index)
    if before == chosen:
        return
    membership.positions = [MembershipPosition(position=p) for p in chosen]
    membership.updated_at = utcnow()  # the positions live in their own table: touch the row to check its version
    flush_or_conflict(_meanwhile(membership, membership.status))
    audit.record(actor, "membership.positions_changed", membership,
                 before=[p.value for p in before], after=[p.value for p in chosen])


def set_notes(actor: User, membership: Membership, notes: str | None) -> None:
    """Private coordinator notes; the firm never sees them."""
    if not can_decide_membership(actor, membership):
        raise PermissionDenied()
    if (notes or None) != membership.coordinator_notes:
        membership.coordinator_notes = notes or None
        flush_or_conflict(_meanwhile(membership, membership.status))
        audit.record(actor, "membership.notes_changed", membership)


# --- coordinator terms --------------------------------------------------------------------------

def appoint_coordinator(actor: User, user: User, cluster: Cluster, organisation: Organisation,
                        starts_on: date, ends_on: date) -> CoordinatorTerm:
    """Staff appoint a coordinator on behalf of the cluster's agency or association."""
    if not can_appoint_coordinators(actor):
        raise PermissionDenied()
    if organisation.id not in (cluster.agency_id, cluster.association_id):
        raise RuleViolation(_l("Choose the cluster's implementing agency or its association."))
    if ends_on < starts_on:
        raise RuleViolation(_l("A term cannot end before it starts."))
    if user.is_suspended:
        raise RuleViolation(_l("This account is suspended."))
    term = CoordinatorTerm(user_id=user.id, cluster_id=cluster.id, organisation_id=organisation.id,
                           starts_on=starts_on, ends_on=ends_on, appointed_by_id=actor.id)
    db.session.add(term)
    db.session.flush()
    audit.record(actor, "coordinator.appointed", term, user_id=user.id, cluster=cluster.slug,
                 starts_on=starts_on.isoformat(), ends_on=ends_on.isoformat())
    return term


def end_term(actor: User, term: CoordinatorTerm, reason: str | None = None) -> None:
    """End a term now: it grants nothing from today on. The row stays, with its dates, for the record."""
    if not can_appoint_coordinators(actor):
        raise PermissionDenied()
    yesterday = bangkok_today() - timedelta(days=1)
    if term.ends_on <= yesterday:
        return
    term.ends_on = yesterday
    term.starts_on = min(term.starts_on, yesterday)
    audit.record(actor, "coordinator.term_ended", term, reason=reason)


# --- notification kinds -------------------------------------------------------------------------

def _firm_page(n):
    return url_for("memberships.firm_memberships", firm_id=n.params.get("firm_id"))


def _queue(n):
    return url_for("coordination.queue", slug=n.params.get("cluster_slug"))


register_kind("membership.requested", _l("%(firm)s asks to join the %(cluster)s cluster."), _queue)
register_kind("membership.approved", _l("%(firm)s is now a member of the %(cluster)s cluster."), _firm_page)
register_kind("membership.declined",
              _l("The request of %(firm)s to join the %(cluster)s cluster was declined: %(reason)s"), _firm_page)
register_kind("membership.removed", _l("%(firm)s was removed from the %(cluster)s cluster: %(reason)s"),
              _firm_page)


# --- import -------------------------------------------------------------------------------------

def apply_import(actor: User, cluster: Cluster, plan) -> list:
    """Write a planned import in the caller's transaction. Unknown firms become unclaimed profiles
    (created_by = the coordinator) whose contact is invited to claim them; returns those invitations
    for the caller to e-mail after the commit. Firms with an owner are only invited to join (their
    owners decide, see invitations.py). :raises PermissionDenied, RuleViolation: bad rows."""
    from portal.firms.models import FirmInvitation, LegalForm
    from portal.memberships import invitations as cluster_invitations
    from portal.memberships.csv_io import NO_CHANGE
    from portal.permissions import can_manage_cluster

    if not can_manage_cluster(actor, cluster):
        raise PermissionDenied()
    if plan.errors:
        raise RuleViolation(_l("The file has errors: nothing was imported."))
    now = utcnow()
    invitations, new_firms, joining = [], [], []
    for row in plan.rows:
        if row.action in NO_CHANGE:
            continue
        if row.action == "invite":
            cluster_invitations.invite(actor, row.firm, cluster, row.positions, row.offers, row.seeks, line=row.line)
            continue
        if row.firm is not None and not can_decide_membership(
                actor, row.membership or Membership(firm_id=row.firm.id, cluster_id=cluster.id)):
            raise RuleViolation(_l("Line %(line)s: you are on the team of %(firm)s, so OSMEP staff decide on its "
                                   "membership. Remove the line and import again.", line=row.line,
                                   firm=row.firm.name))
        if row.action == "update_positions":
            set_positions(actor, row.membership, row.positions)
            continue
        if row.action == "approve_pending":
            row.membership.positions = [MembershipPosition(position=p) for p in row.positions]
            approve(actor, row.membership)
            continue
        if row.action == "new_firm":
            firm = Firm(legal_form=LegalForm.JURISTIC_PERSON, registration_number=row.registration_number,
                        name_th=row.name_th, name_en=row.name_en or None, province_id=row.province_id,
                        size=row.size, phone=row.phone, email=row.email, line_id=row.line_id,
                        created_by_id=actor.id)
            db.session.add(firm)
            new_firms.append((row, firm))
        joining.append((row, firm if row.action == "new_firm" else row.firm))
    # Two flushes for the whole file rather than two a line: 5,000 lines in one batch of INSERTs each.
    db.session.flush()
    for row, firm in new_firms:
        audit.record(actor, "firm.imported_unclaimed", firm, cluster=cluster.slug)
        if row.email:
            invitation = FirmInvitation(firm_id=firm.id, email=row.email, role=FirmRole.OWNER, invited_by_id=actor.id)
            db.session.add(invitation)
            invitations.append(invitation)
    memberships = []
    for row, firm in joining:
        membership = Membership(
            firm_id=firm.id, cluster_id=cluster.id, status=S.APPROVED, offers=row.offers, seeks=row.seeks,
            requested_by_id=actor.id, decided_by_id=actor.id, decided_at=now, fiscal_year=fiscal_year(now),
            positions=[MembershipPosition(position=p) for p in row.positions],
        )
        db.session.add(membership)
        memberships.append((row, membership))
    db.session.flush()
    for row, membership in memberships:
        audit.record(actor, "membership.imported", membership, line=row.line)
    audit.record(actor, "cluster.members_imported", cluster, changes=plan.changes,
                 new_firms=plan.count("new_firm"), invited=plan.count("invite"))
    return invitations
