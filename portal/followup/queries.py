"""Reading follow-ups: a cluster's list for its coordinators, and the answer rate for its scorecard."""
from sqlalchemy import exists, func, select

from portal.clusters.models import Membership, MembershipStatus
from portal.extensions import db
from portal.followup.models import FollowUp

STATES = ("all", "unanswered", "answered")


def _member_firms(cluster_id):
    return select(Membership.firm_id).where(Membership.cluster_id == cluster_id,
                                            Membership.status == MembershipStatus.APPROVED)


def is_member(cluster, firm_id: int) -> bool:
    """The firm is an approved member of the cluster now."""
    return db.session.scalar(select(exists().where(Membership.cluster_id == cluster.id, Membership.firm_id == firm_id,
                                                   Membership.status == MembershipStatus.APPROVED)))


def of_cluster(cluster, state: str = "all"):
    """The questions sent to the cluster's member firms, unanswered first, the latest sent first."""
    query = select(FollowUp).where(FollowUp.firm_id.in_(_member_firms(cluster.id)), FollowUp.sent_at.is_not(None))
    if state == "unanswered":
        query = query.where(FollowUp.answered_at.is_(None))
    elif state == "answered":
        query = query.where(FollowUp.answered_at.is_not(None))
    return query.order_by(FollowUp.answered_at.is_not(None), FollowUp.sent_at.desc(), FollowUp.id.desc())


def answer_rates(start, end, cluster_ids=None) -> dict[int, tuple[int, int]]:
    """{cluster_id: (answered, sent)} for questions sent in [start, end) to the firms that are approved
    members of each cluster now."""
    query = (select(Membership.cluster_id, func.count(FollowUp.answered_at), func.count(FollowUp.id))
             .join(FollowUp, FollowUp.firm_id == Membership.firm_id)
             .where(Membership.status == MembershipStatus.APPROVED, FollowUp.sent_at >= start, FollowUp.sent_at < end)
             .group_by(Membership.cluster_id))
    if cluster_ids is not None:
        query = query.where(Membership.cluster_id.in_(cluster_ids))
    return {cluster_id: (answered, sent) for cluster_id, answered, sent in db.session.execute(query)}
