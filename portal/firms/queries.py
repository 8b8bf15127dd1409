"""Which firms a viewer may see, and the reads behind firm pages. The one place the visibility rule
becomes SQL; it mirrors permissions.can_view_firm."""
from functools import cache

from flask import abort
from flask_login import current_user
from sqlalchemy import Integer, and_, bindparam, select
from sqlalchemy.orm import defer, joinedload

from portal.clusters.models import Membership, MembershipStatus
from portal.extensions import db
from portal.firms.models import Firm, FirmInvitation, FirmMember
from portal.following.queries import follow_id_column, follower


def sees_every_listed_firm(viewer=None) -> bool:
    """Whether lists show the viewer every firm that is not hidden (signed in, not suspended), or only those
    that consented to a public listing (PDPA): the two audiences of every firm list."""
    viewer = current_user if viewer is None else viewer
    return viewer is not None and viewer.is_authenticated and not viewer.is_suspended


def visible_firm_filter(viewer=None):
    """Criterion for firms the viewer may see in lists: signed-in users see every firm that is not
    hidden; anonymous visitors only firms that consented to a public listing (PDPA)."""
    return listed_firms_filter(sees_every_listed_firm(viewer))


@cache
def listed_firms_filter(every_listed: bool):
    """visible_firm_filter for an audience: every firm that is not hidden, or only the public listings. For a
    statement built once per audience and kept (its audience in the key it is kept by). Each criterion is built
    once and shared, as a column is: reading the hybrid Firm.is_public built its expression again each time, 35 µs,
    several times on every list page."""
    if every_listed:
        return Firm.hidden_at.is_(None)
    return Firm.is_public


@cache
def listed():
    """Loader options for the lists of firms (directory, searches, a cluster's members, the API): the search
    columns are not read. search_text and the words_* columns are about 40 % of a firm's row (1 kB
    of 2.4 kB in the bench's data: the text again, normalised and cut into words) and only SQL reads them;
    reading them for a page's 24 firms cost 0.3–1.5 ms a page. Raise, not load, if a page ever uses one:
    24 more statements would be the silent way. A listed firm then changed and saved writes its search
    columns again whether they changed or not (their old values were not read); they are computed from the
    firm's fields either way. Built once and shared, as a column is (options are immutable)."""
    return tuple(defer(column, raiseload=True)
                 for column in (Firm.search_text, Firm.words_name, Firm.words_products, Firm.words_body))


def get_or_404(firm_id: int) -> Firm:
    firm = db.session.scalar(_firm_statement(), {"firm_id": firm_id})
    if firm is None:
        abort(404)
    return firm


_FIRM_ID = bindparam("firm_id", type_=Integer)  # the firm of a kept statement (_firm_statement, _page_statement)


@cache
def _firm_statement():
    return select(Firm).where(Firm.id == _FIRM_ID).options(joinedload(Firm.province))


def clusters_of(firm: Firm) -> list[Membership]:
    """The firm's approved memberships, with cluster and positions loaded in the same statement (a firm is in
    a few clusters at one to three positions: a few rows, one round trip fewer than a second select)."""
    return list(
        db.session.scalars(
            select(Membership)
            .where(Membership.firm_id == firm.id, Membership.status == MembershipStatus.APPROVED)
            .options(joinedload(Membership.cluster), joinedload(Membership.positions))
            .order_by(Membership.id)
        ).unique()
    )


def page_of(firm_id: int, viewer) -> tuple[Firm, list[Membership], int | None]:
    """The firm page's reads in one statement, or 404: the firm with its province (not its search columns), its
    approved memberships with cluster and positions (clusters_of), and the id of the viewer's follow of it
    (following.queries.follow_id_column). Two round trips fewer than reading them in turn: on PostgreSQL each costs
    the page about half a millisecond. The statement is built once for visitors and once for the signed in."""
    signed_in, params = follower(viewer)
    rows = db.session.execute(_page_statement(signed_in), {"firm_id": firm_id, **params}).unique().all()
    if not rows:
        abort(404)
    return rows[0][0], [row[1] for row in rows if row[1] is not None], rows[0][2]


@cache
def _page_statement(signed_in: bool):
    return (select(Firm, Membership, follow_id_column(signed_in, firm_id=Firm.id))
            .outerjoin(Membership, and_(Membership.firm_id == Firm.id, Membership.status == MembershipStatus.APPROVED))
            .where(Firm.id == _FIRM_ID)
            .options(joinedload(Firm.province), joinedload(Membership.cluster), joinedload(Membership.positions),
                     *listed())
            .order_by(Membership.id))


def firms_of(user) -> list[tuple[Firm, FirmMember]]:
    """The firms a user owns or edits, with the user's role in each."""
    rows = db.session.execute(
        select(Firm, FirmMember)
        .join(FirmMember, FirmMember.firm_id == Firm.id)
        .where(FirmMember.user_id == user.id)
        .options(joinedload(Firm.province))
        .order_by(Firm.name_th, Firm.id)
    ).all()
    return [(firm, member) for firm, member in rows]


def team_of(firm: Firm) -> tuple[list[FirmMember], list[FirmInvitation]]:
    members = list(
        db.session.scalars(
            select(FirmMember).where(FirmMember.firm_id == firm.id)
            .options(joinedload(FirmMember.user)).order_by(FirmMember.created_at)
        )
    )
    invitations = list(
        db.session.scalars(
            select(FirmInvitation).where(
                FirmInvitation.firm_id == firm.id,
                FirmInvitation.accepted_at.is_(None), FirmInvitation.revoked_at.is_(None),
            ).order_by(FirmInvitation.created_at)
        )
    )
    return members, invitations


def team_members(firm_id: int, active_only: bool = False) -> list:
    """The users on a firm's team (owners and editors), by id; with `active_only`, not the suspended ones.
    Whom a notification about the firm goes to (notify() itself mails no suspended user)."""
    from portal.auth.models import User

    query = select(User).join(FirmMember, FirmMember.user_id == User.id).where(FirmMember.firm_id == firm_id)
    if active_only:
        query = query.where(User.suspended_at.is_(None))
    return list(db.session.scalars(query.order_by(User.id)))
