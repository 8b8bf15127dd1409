"""Follow and unfollow, save and delete searches, stop either by a signed link; and `announce`, which the
features call (flush-only) when something followers hear of happens. Flush-only, like every service.

The link in each alert e-mail (and its List-Unsubscribe header) is signed with SECRET_KEY and names the
row to stop, so it works without signing in, only for that row, and only while the row exists: a second
click finds nothing left to stop and changes nothing.
"""
import logging
from contextlib import nullcontext
from urllib.parse import urlencode

from flask import current_app, has_request_context
from flask_babel import force_locale
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from portal.db import flush_or_refuse
from portal.exceptions import PermissionDenied, RuleViolation
from portal.extensions import db
from portal.following.models import FanOut, Follow, Frequency, SavedSearch, SearchList
from portal.i18n import lazy_gettext as _l
from portal.listing import MAX_WORDS
from portal.permissions import can_follow_cluster, can_follow_firm, can_save_search, can_stop_alert

log = logging.getLogger(__name__)
STOP_SALT = "following-stop"
UNKNOWN_VALUE = _l("This search has a filter value the page does not know; nothing was saved.")

# The filters each list reads from its URL (directory/views.py, collab/views.py); nothing else is kept.
KEYS = {
    SearchList.DIRECTORY: ("q", "cluster", "position", "province", "size", "verified", "sort"),
    SearchList.BOARD: ("q", "cluster", "province", "kind", "position", "status", "sort"),
}
TRUE = ("1", "on", "true", "y")


# --- following -------------------------------------------------------------------------------------

def follow_firm(actor, firm) -> Follow:
    """:raises PermissionDenied: hidden firm, one's own firm, not a confirmed active user."""
    if not can_follow_firm(actor, firm):
        raise PermissionDenied()
    return _follow(actor, firm_id=firm.id)


def follow_cluster(actor, cluster) -> Follow:
    if not can_follow_cluster(actor, cluster):
        raise PermissionDenied()
    return _follow(actor, cluster_id=cluster.id)


def _follow(actor, **target) -> Follow:
    existing = db.session.scalar(select(Follow).filter_by(user_id=actor.id, **target))
    if existing is not None:
        return existing  # a second click (or a second tab) changes nothing
    follow = Follow(user_id=actor.id, **target)
    db.session.add(follow)
    flush_or_refuse(_l("You follow this already."))
    log.info("user %s follows %s", actor.id, target)
    return follow


def unfollow(actor, follow: Follow) -> None:
    if not can_stop_alert(actor, follow):
        raise PermissionDenied()
    db.session.delete(follow)
    db.session.flush()
    log.info("user %s stopped follow %s", actor.id, follow.id)


# --- saved searches --------------------------------------------------------------------------------

def normalise(search_list: SearchList, args) -> str:
    """The list's filters as its URL has them, as a canonical query string: known keys only, empty ones
    dropped, sorted; checked by the page's own reading of the URL.
    :raises RuleViolation: a value the page would drop (an unknown cluster, size, sort …)."""
    from portal.collab import queries as board_queries
    from portal.collab.views import board_filters
    from portal.directory import queries as directory_queries
    from portal.directory.views import filters_from

    kept = {}
    for key in KEYS[search_list]:
        value = (args.get(key) or "").strip()
        if value:
            kept[key] = value[:MAX_WORDS] if key == "q" else value
    if "verified" in kept:
        if kept["verified"] not in TRUE:
            raise RuleViolation(UNKNOWN_VALUE)
        kept["verified"] = "1"
    # The page's messages are in the page's language; outside a request (the CLI, a job) in the default one.
    with nullcontext() if has_request_context() else force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        if search_list is SearchList.DIRECTORY:
            filters, sorts, statuses = filters_from(MultiDict(kept)), directory_queries.SORTS, ()
        else:
            filters, sorts, statuses = board_filters(MultiDict(kept)), board_queries.SORTS, board_queries.STATUSES
    if filters.problems:
        raise RuleViolation(filters.problems[0])
    if kept.get("sort", sorts[0]) not in sorts or kept.get("status", "open") not in (statuses or ("open",)):
        raise RuleViolation(UNKNOWN_VALUE)
    return urlencode(sorted(kept.items()))


def save_search(actor, search_list: SearchList, args, name: str, frequency: Frequency) -> SavedSearch:
    """:raises RuleViolation: a filter value the page does not know, or SAVED_SEARCH_LIMIT reached."""
    if not can_save_search(actor):
        raise PermissionDenied()
    query = normalise(search_list, args)
    limit = current_app.config["SAVED_SEARCH_LIMIT"]
    held = db.session.scalar(select(func.count()).select_from(SavedSearch).where(SavedSearch.user_id == actor.id))
    if held >= limit:
        raise RuleViolation(_l("You can keep at most %(limit)s saved searches. Delete one before saving another.",
                               limit=limit))
    search = SavedSearch(user_id=actor.id, list=search_list, query=query, name=name.strip()[:100],
                         frequency=frequency)
    db.session.add(search)
    db.session.flush()
    log.info("user %s saved search %s (%s?%s)", actor.id, search.id, search_list.value, query)
    return search


def delete_search(actor, search: SavedSearch) -> None:
    if not can_stop_alert(actor, search):
        raise PermissionDenied()
    db.session.delete(search)
    db.session.flush()
    log.info("user %s deleted saved search %s", actor.id, search.id)


# --- the signed stop link --------------------------------------------------------------------------

class LinkInvalid(Exception):
    """The stop link was altered, or has expired."""


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=STOP_SALT)


def stop_token(row) -> str:
    kind = "search" if isinstance(row, SavedSearch) else "follow"
    return _serializer().dumps({"k": kind, "i": row.id, "u": row.user_id})


def read_stop_token(token: str) -> dict:
    """What a stop link names. :raises LinkInvalid: altered, or older than ALERT_STOP_LINK_DAYS."""
    try:
        data = _serializer().loads(token, max_age=current_app.config["ALERT_STOP_LINK_DAYS"] * 86400)
    except (SignatureExpired, BadSignature) as exc:
        raise LinkInvalid() from exc
    if not isinstance(data, dict):
        raise LinkInvalid()
    return data


def stop_by_token(token: str):
    """Stop the follow or saved search the link names. Returns the row stopped, or None if it was stopped
    already (nothing changes). :raises LinkInvalid: altered or expired (nothing changes)."""
    data = read_stop_token(token)
    model = SavedSearch if data.get("k") == "search" else Follow
    row = db.session.get(model, data.get("i"))
    if row is None or row.user_id != data.get("u"):
        return None
    db.session.delete(row)
    db.session.flush()
    log.info("%s %s of user %s stopped by its e-mail link", data.get("k"), row.id, row.user_id)
    return row


# --- announcing, for the worker to fan out -----------------------------------------------------------

def announce(kind: str, target, actor=None) -> FanOut:
    """Record that followers should hear of `target` (see portal/following/fanout.py for the kinds); one
    job is started for it after the caller's commit (portal.jobs.tasks.nudge_if_committed). Flush-only."""
    row = FanOut(kind=kind, target_id=target.id, actor_id=getattr(actor, "id", None))
    db.session.add(row)
    db.session.flush()
    db.session.info.setdefault("fanouts_written", []).append(row.id)
    return row
