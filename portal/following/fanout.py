"""Telling followers, in a worker: one job per announcement (portal/following/services.announce), which
notifies the followers of the firm and/or clusters concerned in batches of FANOUT_BATCH, committing each.

What is announced, and who hears of it:
    request.posted         followers of the posting firm and of the request's cluster
    membership.approved    followers of the cluster and of the firm that joined
    event.opened           followers of the event's clusters (of any cluster, for an event open to all)
    registration.approved  followers of the registered firm
A follower who follows both the firm and the cluster is told once. Hidden content never notifies: the
target is read again before every batch, and a hidden request or firm (or a draft or cancelled event, a
withdrawn registration) ends the fan-out. The firm's own team and the actor are not told; suspended and
unconfirmed users are not told.
"""
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app, url_for
from sqlalchemy import event, or_, select
from sqlalchemy.orm import Session

from portal.auth.models import User
from portal.db import utcnow
from portal.extensions import db
from portal.firms.models import Firm, FirmMember
from portal.following.models import FanOut, FanOutStatus, Follow
from portal.i18n import lazy_gettext as _l
from portal.jobs import claims
from portal.notifications.services import bilingual, notify, register_kind

log = logging.getLogger(__name__)
STALE_AFTER = timedelta(minutes=10)
ALL_CLUSTERS = "all"


@dataclass
class Plan:
    kind: str  # the notification kind
    target: object
    params: dict
    firm_ids: list[int] = field(default_factory=list)
    cluster_ids: list[int] | str = field(default_factory=list)
    team_of: int | None = None  # the firm whose team is not told


def _request_plan(request_id):
    from portal.collab.models import CollabRequest, RequestStatus

    request = db.session.get(CollabRequest, request_id, populate_existing=True)
    if request is None or request.is_hidden or request.status is not RequestStatus.OPEN:
        return None
    firm = db.session.get(Firm, request.firm_id, populate_existing=True)
    if firm.is_hidden:
        return None
    return Plan("follow.request", request, {"firm": bilingual(firm), "request": bilingual(request, "title"),
                                            "request_id": request.id, "firm_id": firm.id,
                                            "cluster_id": request.cluster_id},
                firm_ids=[firm.id], cluster_ids=[request.cluster_id] if request.cluster_id else [], team_of=firm.id)


def _membership_plan(membership_id):
    from portal.clusters.models import Cluster, Membership, MembershipStatus

    membership = db.session.get(Membership, membership_id, populate_existing=True)
    if membership is None or membership.status is not MembershipStatus.APPROVED:
        return None
    firm = db.session.get(Firm, membership.firm_id, populate_existing=True)
    if firm.is_hidden:
        return None
    cluster = db.session.get(Cluster, membership.cluster_id)
    return Plan("follow.member", membership, {"firm": bilingual(firm), "cluster": bilingual(cluster),
                                              "firm_id": firm.id, "cluster_id": cluster.id},
                firm_ids=[firm.id], cluster_ids=[cluster.id], team_of=firm.id)


def _event_plan(event_id):
    from portal.events.models import Event, EventStatus

    matching_day = db.session.get(Event, event_id, populate_existing=True)
    if matching_day is None or matching_day.status not in (EventStatus.OPEN, EventStatus.PUBLISHED):
        return None
    clusters = sorted(matching_day.cluster_ids)
    return Plan("follow.event", matching_day, {"event": bilingual(matching_day, "title"), "event_id": matching_day.id,
                                              "cluster_ids": clusters},
                cluster_ids=clusters or ALL_CLUSTERS)


def _registration_plan(registration_id):
    from portal.events.models import Event, EventStatus, Registration

    registration = db.session.get(Registration, registration_id, populate_existing=True)
    if registration is None or not registration.is_approved:
        return None
    firm = db.session.get(Firm, registration.firm_id, populate_existing=True)
    matching_day = db.session.get(Event, registration.event_id)
    if firm.is_hidden or matching_day.status not in (EventStatus.OPEN, EventStatus.PUBLISHED):
        return None
    return Plan("follow.registered", registration, {"firm": bilingual(firm), "event": bilingual(matching_day, "title"),
                                                    "event_id": matching_day.id, "firm_id": firm.id},
                firm_ids=[firm.id], team_of=firm.id)


PLANS = {"request.posted": _request_plan, "membership.approved": _membership_plan,
         "event.opened": _event_plan, "registration.approved": _registration_plan}


def followers(plan: Plan, after_user_id: int, limit: int, actor_id: int | None = None) -> list[User]:
    """The next `limit` users (by id, after `after_user_id`) who follow the plan's firms or clusters and
    may be told: confirmed, not suspended, not on the firm's team, not the actor."""
    following = []
    if plan.firm_ids:
        following.append(Follow.firm_id.in_(plan.firm_ids))
    if plan.cluster_ids == ALL_CLUSTERS:
        following.append(Follow.cluster_id.is_not(None))
    elif plan.cluster_ids:
        following.append(Follow.cluster_id.in_(plan.cluster_ids))
    if not following:
        return []
    query = (select(User).where(User.id.in_(select(Follow.user_id).where(or_(*following))),
                                User.id > after_user_id, User.suspended_at.is_(None), User.confirmed_at.is_not(None))
             .order_by(User.id).limit(limit))
    if plan.team_of is not None:
        query = query.where(User.id.not_in(select(FirmMember.user_id).where(FirmMember.firm_id == plan.team_of)))
    if actor_id is not None:
        query = query.where(User.id != actor_id)
    return list(db.session.scalars(query))


def run(fanout_id: int) -> int:
    """Notify the followers of one announcement, batch by batch (each committed, its e-mails nudged).
    Returns how many were told in this run."""
    from portal.jobs.tasks import nudge_if_committed

    job = claims.claim(FanOut, fanout_id, STALE_AFTER)
    if job is None:
        return 0
    told = 0
    batch = current_app.config["FANOUT_BATCH"]
    while True:
        plan = PLANS[job.kind](job.target_id) if job.kind in PLANS else None
        users = followers(plan, job.after_user_id, batch, job.actor_id) if plan else []
        if not users:
            break
        notify(users, plan.kind, plan.target, **plan.params)
        job.after_user_id, job.notified = users[-1].id, job.notified + len(users)
        job.started_at = utcnow()  # still alive: another worker does not take it over
        told += len(users)
        db.session.commit()
        nudge_if_committed()
    job.status, job.finished_at = FanOutStatus.DONE, utcnow()
    db.session.commit()
    log.info("fan-out %s (%s %s): %s followers told", job.id, job.kind, job.target_id, job.notified)
    return told


def waiting() -> list[int]:
    return claims.waiting(FanOut, STALE_AFTER)


# --- after the commit: the ids to start ------------------------------------------------------------

@event.listens_for(Session, "after_commit")
def _note_commit(session):
    written = session.info.pop("fanouts_written", None)
    if written:
        session.info.setdefault("fanouts_committed", []).extend(written)


@event.listens_for(Session, "after_rollback")
def _forget_rollback(session):
    session.info.pop("fanouts_written", None)


def committed_since_last_call() -> list[int]:
    """The announcements this session committed since the last call (each gets one job)."""
    return db.session.info.pop("fanouts_committed", None) or []


# --- the notifications, and the stop link of their e-mails ----------------------------------------

def _stop_follow(notification):
    """The follow that brought this notification (the firm's before the cluster's), for its stop link."""
    params = notification.params or {}
    clusters = params.get("cluster_ids") or ([params["cluster_id"]] if params.get("cluster_id") else [])
    for column, values in ((Follow.firm_id, [params.get("firm_id")]), (Follow.cluster_id, clusters)):
        values = [v for v in values if v]
        if values:
            follow = db.session.scalar(select(Follow).where(Follow.user_id == notification.user_id,
                                                            column.in_(values)).order_by(Follow.id).limit(1))
            if follow is not None:
                return follow
    return None


def _request_link(n):
    return url_for("collab.detail", request_id=n.params.get("request_id"))


def _firm_link(n):
    return url_for("firms.detail", firm_id=n.params.get("firm_id"))


def _event_link(n):
    return url_for("events.detail", event_id=n.params.get("event_id"))


register_kind("follow.request", _l("%(firm)s posted a new request: “%(request)s”."), _request_link,
              stop=_stop_follow)
register_kind("follow.member", _l("%(firm)s joined the %(cluster)s cluster."), _firm_link, stop=_stop_follow)
register_kind("follow.event", _l("A matching day is open for registration: “%(event)s”."), _event_link,
              stop=_stop_follow)
register_kind("follow.registered", _l("%(firm)s registered for the matching day “%(event)s”."), _event_link,
              stop=_stop_follow)
