"""Reads for following: what a user follows, their saved searches, one row for a button or a stop."""
from flask import abort
from sqlalchemy import Integer, bindparam, null, select

from portal.extensions import db
from portal.following.models import Follow, SavedSearch

_FOLLOWER = bindparam("follower_id", type_=Integer)


def follow_id_column(signed_in: bool, firm_id=None, cluster_id=None):
    """The id of the user's follow of a firm or cluster (the follow / stop following button needs only that), as
    a column of the statement that reads the firm or the cluster for its page, a round trip fewer: `firm_id` or
    `cluster_id` is that statement's id column. The follower is the statement's parameter (follower(user)), so a
    page's statement is built once for visitors and once for the signed in (firms.queries.page_of). NULL for a
    visitor, or when the user does not follow it."""
    if not signed_in:
        return null()
    target = Follow.firm_id == firm_id if firm_id is not None else Follow.cluster_id == cluster_id
    return select(Follow.id).where(Follow.user_id == _FOLLOWER, target).scalar_subquery()


def follower(user) -> tuple[bool, dict]:
    """(signed in, the parameters) of follow_id_column for this viewer (None, a visitor or a signed-in user)."""
    if user is None or not user.is_authenticated:
        return False, {}
    return True, {"follower_id": user.id}


def follows_of(user):
    """Everything the user follows, newest first (a select, for portal.listing.paginate)."""
    return select(Follow).where(Follow.user_id == user.id).order_by(Follow.created_at.desc(), Follow.id.desc())


def searches_of(user) -> list[SavedSearch]:
    """The user's saved searches (at most SAVED_SEARCH_LIMIT: one short list, not paginated)."""
    return list(db.session.scalars(select(SavedSearch).where(SavedSearch.user_id == user.id)
                                   .order_by(SavedSearch.created_at.desc(), SavedSearch.id.desc())))


def follow_or_404(follow_id: int) -> Follow:
    follow = db.session.get(Follow, follow_id)
    if follow is None:
        abort(404)
    return follow


def search_or_404(search_id: int) -> SavedSearch:
    search = db.session.get(SavedSearch, search_id)
    if search is None:
        abort(404)
    return search
