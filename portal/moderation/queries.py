"""The moderation queue's reads. `moderatable` is permissions.can_moderate_target in SQL, so the queue is
filtered in the database before any limit, and a coordinator never misses an item behind the first page
(tests/test_permissions_moderation.py checks that the two agree on every target of a world)."""
from sqlalchemy import and_, exists, false, func, or_, select, true

from portal.clusters.models import Membership, MembershipStatus
from portal.collab.models import CollabRequest, Message, Response
from portal.extensions import db
from portal.firms.models import Firm
from portal.moderation.models import Report, ReportStatus
from portal.permissions import managed_cluster_ids, viewer_facts

TARGETS = {"firm": Firm, "request": CollabRequest, "response": Response, "message": Message}
QUEUE_LIMIT = 200


def moderatable(user, target_type: str):
    """WHERE criterion on TARGETS[target_type]: the rows `user` may moderate (can_moderate_target)."""
    clusters = managed_cluster_ids(user)
    if clusters is None:
        return true()  # OSMEP staff
    if not clusters or target_type not in TARGETS:
        return false()
    model = TARGETS[target_type]
    team = set(viewer_facts(user).roles)
    member_firms = select(Membership.firm_id).where(Membership.cluster_id.in_(clusters),
                                                   Membership.status == MembershipStatus.APPROVED)
    if target_type == "firm":
        return and_(Firm.id.in_(member_firms), Firm.id.not_in(team))
    criteria = [model.firm_id.in_(member_firms), model.firm_id.not_in(team)]
    if target_type == "request":
        return and_(*criteria)
    reported = exists().where(Report.target_type == target_type, Report.target_id == model.id)
    response_id = Response.id if target_type == "response" else Message.response_id
    thread_sides = (select(Response.id).join(CollabRequest, CollabRequest.id == Response.request_id)
                    .where(Response.firm_id.not_in(team), CollabRequest.firm_id.not_in(team)))
    return and_(*criteria, reported, response_id.in_(thread_sides))


def open_report_groups(user) -> list[tuple[str, int, int, object, object]]:
    """Open reports grouped by listing, (target type, id, number of reports, latest, the listing or None),
    newest first: only listings the user may moderate. The listings are loaded in one query per type, so
    the queue can name them."""
    scope = [or_(*(and_(Report.target_type == t, Report.target_id.in_(select(m.id).where(moderatable(user, t))))
                   for t, m in TARGETS.items()))] if managed_cluster_ids(user) is not None else []
    groups = db.session.execute(
        select(Report.target_type, Report.target_id, func.count(), func.max(Report.created_at))
        .where(Report.status == ReportStatus.OPEN, *scope)
        .group_by(Report.target_type, Report.target_id).order_by(func.max(Report.created_at).desc())
        .limit(QUEUE_LIMIT)).all()
    loaded = {}
    for target_type, model in TARGETS.items():
        ids = [target_id for kind, target_id, *_ in groups if kind == target_type]
        if ids:
            loaded.update({(target_type, obj.id): obj for obj in db.session.scalars(
                select(model).where(model.id.in_(ids)))})
    return [(kind, target_id, count, latest, loaded.get((kind, target_id)))
            for kind, target_id, count, latest in groups]


def reviews_asked(user) -> list[tuple[str, object]]:
    """Hidden listings whose teams ask for a review, oldest request first, that the user may moderate."""
    reviews = []
    for target_type, model in TARGETS.items():
        reviews += [(target_type, obj) for obj in db.session.scalars(
            select(model).where(model.review_requested_at.is_not(None), moderatable(user, target_type))
            .order_by(model.review_requested_at, model.id).limit(QUEUE_LIMIT))]
    return sorted(reviews, key=lambda pair: pair[1].review_requested_at)
