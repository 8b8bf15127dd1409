"""Saved-search alerts, in a worker: for each saved search of a frequency, count what its list gained since
the search was last checked, by the page's own query (portal/directory/queries.count_new,
portal/collab/queries.count_new: the same criteria and visibility as the page, so hidden firms and
requests never count), and notify its user once with the count and a link to the search.

"At once" searches are checked every five minutes (portal/jobs/tasks.py), daily ones at 06:00 Bangkok
time, before the 07:00 digest (portal/jobs/periodic.py). Nothing runs on the request path.

Cost: searches are read in batches of ALERT_BATCH (one query each); each list's new rows are read once
per window (the created_at index), and a list with nothing new costs no query for its searches; a search
whose plain filters (cluster, kind, province …) none of the new rows passes costs none either (the
queries' might_match); identical filters over the same window are counted once per run, among the new
rows only (users who saved the same search share the count: every signed-in, active user sees the same
firms and requests, portal.firms.queries.visible_firm_filter). Each batch is committed with its
notifications, so a run cut short resumes where it stopped.
"""
import logging
from datetime import timedelta
from urllib.parse import parse_qsl

from flask import current_app, url_for
from flask_babel import force_locale
from sqlalchemy import select, update
from werkzeug.datastructures import MultiDict

from portal.auth.models import User
from portal.db import utcnow
from portal.extensions import db
from portal.following.models import Frequency, SavedSearch, SearchList
from portal.i18n import lazy_gettext as _l
from portal.notifications.services import notify, register_kind

log = logging.getLogger(__name__)
# Rows are stamped when their request starts and seen once it commits: the window closes this long before
# the run, so a row committed late falls into the next run's window instead of between two.
LAG = timedelta(seconds=30)


class Run:
    """One alert run's shared reads: each list's new rows per window, and each distinct search's count."""

    def __init__(self, until):
        self.until = until
        self.windows: dict[tuple, list] = {}
        self.counts: dict[tuple, int] = {}
        self.groups: dict[tuple, list] = {}  # search words -> their glossary alternatives

    def window(self, search_list: SearchList, since) -> list:
        key = (search_list, since)
        if key not in self.windows:
            self.windows[key] = _queries(search_list).new_rows(since, self.until)
        return self.windows[key]

    def count(self, search: SavedSearch, viewer) -> int:
        """New matches of the search since its last check. Every active, signed-in viewer sees the same
        firms and requests (visible_firm_filter), so one count serves every search with the same filters."""
        rows = self.window(search.list, search.checked_at)
        if not rows:
            return 0  # nothing new in that list: no query
        key = (search.list, search.query, search.checked_at)
        if key not in self.counts:
            self.counts[key] = self._count(search.list, search.query, viewer, rows)
        return self.counts[key]

    def _count(self, search_list: SearchList, query: str, viewer, rows: list) -> int:
        from portal.collab.views import board_filters
        from portal.directory.views import filters_from

        queries = _queries(search_list)
        args = MultiDict(parse_qsl(query))
        with force_locale("en"):  # no request in a worker: the filters' messages (unused here) need a locale
            filters = filters_from(args) if search_list is SearchList.DIRECTORY else board_filters(args)
        ids = [row.id for row in rows if queries.might_match(filters, row)]
        if not ids:
            return 0  # none of the new rows passes the search's plain filters: no query
        if filters.terms:  # the glossary's alternatives, read once per run for the same words
            words = tuple(filters.terms)
            if words not in self.groups:
                self.groups[words] = filters.groups
            filters.__dict__["groups"] = self.groups[words]  # the cached_property's slot
        return queries.count_new(filters, viewer, ids)


def _queries(search_list: SearchList):
    from portal.collab import queries as board_queries
    from portal.directory import queries as directory_queries

    return directory_queries if search_list is SearchList.DIRECTORY else board_queries


def run(frequency: Frequency, now=None) -> tuple[int, int]:
    """Check every saved search of this frequency; returns (searches checked, alerts sent)."""
    from portal.jobs.tasks import nudge_if_committed

    shared = Run((now or utcnow()) - LAG)
    batch = current_app.config["ALERT_BATCH"]
    after = checked = alerted = 0
    while True:
        rows = db.session.execute(
            select(SavedSearch, User).join(User, User.id == SavedSearch.user_id)
            .where(SavedSearch.frequency == frequency, SavedSearch.id > after, User.suspended_at.is_(None))
            .order_by(SavedSearch.id).limit(batch)).all()
        if not rows:
            break
        taken = _take(rows, shared.until)
        for search, user in rows:
            if search.id not in taken:
                continue
            count = shared.count(search, user)
            if count:
                notify([user], "search.matches", search, num=count, name=search.name,
                       list=search.list.value, query=search.query)
                search.alerted_at = utcnow()
                alerted += 1
        ids = [search.id for search, _user in rows]
        checked += len(rows)
        after = ids[-1]
        db.session.commit()
        nudge_if_committed()
    log.info("saved-search alerts (%s): %s searches checked, %s alerts", frequency.value, checked, alerted)
    return checked, alerted


def _take(rows, until) -> set[int]:
    """Move the batch's searches' last check to `until`, each only from the value this run read (one
    conditional UPDATE per distinct value), in the transaction that notifies: a run at the same moment (a
    second scheduler, a run still going when the next period starts) waits for the row and then finds it
    taken, so no window is counted twice, and a run that dies takes nothing."""
    by_since: dict = {}
    for search, _user in rows:
        if search.checked_at < until:
            by_since.setdefault(search.checked_at, []).append(search.id)
    taken: set[int] = set()
    for since, ids in by_since.items():
        taken.update(db.session.scalars(
            update(SavedSearch).where(SavedSearch.id.in_(ids), SavedSearch.checked_at == since)
            .values(checked_at=until).returning(SavedSearch.id).execution_options(synchronize_session=False)))
    return taken


def _search_link(n):
    params = n.params or {}
    endpoint = SearchList(params.get("list", "directory")).endpoint
    query = params.get("query") or ""
    return url_for(endpoint) + (f"?{query}" if query else "")


def _stop_search(n):
    search = db.session.get(SavedSearch, n.target_id)
    return search if search is not None and search.user_id == n.user_id else None


register_kind("search.matches", _l("%(num)s new matches for your saved search “%(name)s”."), _search_link,
              stop=_stop_search)
