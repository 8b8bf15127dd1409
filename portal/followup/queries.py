"""Reading follow-ups: a cluster's list for its coordinators, and the answer rate for its scorecard."""
from sqlalchemy import exists, false, func, select, true

from portal.clusters.models import Membership, MembershipStatus
from portal.extensions import db
from portal.followup.models import FollowUp
from portal.listing import COUNT_CAP, CappedPage, capped_page, rows_among

STATES = ("all", "unanswered", "answered")


def is_member(cluster, firm_id: int) -> bool:
    """The firm is an approved member of the cluster now."""
    return db.session.scalar(select(exists().where(Membership.cluster_id == cluster.id, Membership.firm_id == firm_id,
                                                   Membership.status == MembershipStatus.APPROVED)))


def of_cluster(cluster, state: str, page: int, per_page: int) -> CappedPage:
    """One page of the questions sent to the cluster's member firms, unanswered first, the latest sent
    first, counted up to portal.listing's COUNT_CAP: three queries (the count, the page's ids in order,
    their rows). The largest bench cluster's members were sent 39,000 questions: counting them all and
    sorting their rows, each joined to two firms, took half a second on SQLite.

    A short list gathers its questions by firm and sorts them. A long one walks ix_followups_list in the
    list's order and keeps the members' questions, stopping at the page; written as a correlated EXISTS,
    since SQLite, given IN (the members), always gathers and sorts (117 ms against 1 ms for the largest
    cluster), and walking the index for a cluster of 200 members reads every question (36 ms)."""
    criteria = [FollowUp.sent_at.is_not(None)]
    answered = FollowUp.answered_at.is_not(None)  # ix_followups_list's first column, and the list's first key
    if state in ("unanswered", "answered"):
        # Written as that column equal to a value, so that the index is read from where the state's questions
        # start: as `answered_at IS NOT NULL`, SQLite walked every unanswered question first to reach the answered
        # ones (160 ms a page at 1,000,000 firms).
        # The first key is then the same for every question, and left out of the ORDER BY: SQLite, which does not
        # see that, sorted them all.
        criteria.append(answered == (true() if state == "answered" else false()))
        order = (FollowUp.sent_at.desc(), FollowUp.id.desc())
    else:
        order = (answered, FollowUp.sent_at.desc(), FollowUp.id.desc())
    # Joined from the cluster's members (one approved membership a firm: uq_memberships_current), read in
    # ix_memberships_cluster_status's order and stopped at the cap by the count: as IN (the members), SQLite built
    # the list of every member first (530,000 in the largest cluster at 1,000,000 firms: 68 ms a count).
    matching = (select(FollowUp.id).join(Membership, Membership.firm_id == FollowUp.firm_id)
                .where(Membership.cluster_id == cluster.id, Membership.status == MembershipStatus.APPROVED,
                       *criteria))

    cap = COUNT_CAP

    def ids(total):
        if total <= cap:
            return matching.order_by(*order)
        member = exists().where(Membership.firm_id == FollowUp.firm_id, Membership.cluster_id == cluster.id,
                                Membership.status == MembershipStatus.APPROVED)
        return select(FollowUp.id).where(member, *criteria).order_by(*order)

    return capped_page(matching, ids, page, per_page, cap,
                       load=rows_among(select(FollowUp), FollowUp.id))


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
