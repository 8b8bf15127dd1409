"""Reads for following: what a user follows, their saved searches, one row for a button or a stop."""
from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import lazyload

from portal.extensions import db
from portal.following.models import Follow, SavedSearch


def follow_of(user, firm=None, cluster=None) -> Follow | None:
    """The user's follow of this firm or cluster, or None (for the follow / stop following button: its id, so
    the followed firm or cluster the page already has is not read again with it)."""
    if user is None or not user.is_authenticated:
        return None
    query = select(Follow).where(Follow.user_id == user.id).options(lazyload(Follow.firm), lazyload(Follow.cluster))
    query = query.where(Follow.firm_id == firm.id) if firm is not None else query.where(
        Follow.cluster_id == cluster.id)
    return db.session.scalar(query)


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
