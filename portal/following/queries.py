"""Reads for following: what a user follows, their saved searches, one row for a button or a stop."""
from flask import abort
from sqlalchemy import null, select

from portal.extensions import db
from portal.following.models import Follow, SavedSearch


def follow_of(user, firm=None, cluster=None) -> int | None:
    """The id of the user's follow of this firm or cluster, or None (for the follow / stop following button,
    which needs only the id: the followed firm or cluster the page already has is not read again with it)."""
    if user is None or not user.is_authenticated:
        return None
    query = select(Follow.id).where(Follow.user_id == user.id)
    query = query.where(Follow.firm_id == firm.id) if firm is not None else query.where(
        Follow.cluster_id == cluster.id)
    return db.session.scalar(query)


def follow_id_column(user, firm_id_column):
    """follow_of as a column of a statement that reads the firm (its page: a round trip fewer), NULL for a
    visitor."""
    if user is None or not user.is_authenticated:
        return null()
    return (select(Follow.id).where(Follow.user_id == user.id, Follow.firm_id == firm_id_column)
            .scalar_subquery())


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
