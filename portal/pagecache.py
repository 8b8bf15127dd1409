"""Listing pages kept rendered and served again until the data changes: public pages as a visitor who is not
signed in sees them, and the listing pages as everyone who sees the same list signed in sees them.

A page is kept under the **generation** of the data it was rendered from: one row of `page_generations`,
given a new random value by every transaction that writes to a table a public page reads, in that same
transaction, just before it commits. Each request reads the row (one indexed read) and serves a kept page only
if it was rendered at that generation, so what any process on any machine shows is never older than the last
commit: a change is on every page of every worker at once, as without the cache. The value is random, not a
counter, so that a restored backup or a test that empties the table never makes an old generation current
again.

What is kept: a GET of one of PAGES by a visitor who is not signed in, answered 200, in the response's
language, for the exact path and query string, on the day in Bangkok it was rendered (dates and "closes in N
days" follow the calendar), for at most PAGE_CACHE_SECONDS (the per-process headline counts are as old as
that anyway), and never a page that carried a CSRF token or a flashed message (both belong to one visitor).
Each process keeps at most PAGE_CACHE_ENTRIES pages (least recently used go first).

Signed in, the listing pages of MEMBER_PAGES are kept for their **audience**: the permission facts their
content depends on (every listed firm or only public ones, a "save this search" link). What is one person's
is left as a hole in the kept page and filled in for each request: the main menu (the unread badge, the links of
one's role, sign-out; templates/_menu.html) and the CSRF token of the page's forms. A firm's, a request's and a
cluster's own page are not kept signed in: they carry one's follow buttons, answers and edit links.

Writes that no public page reads (the audit trail, mail and LINE queues, notifications, sign-in records,
tokens, devices, job bookkeeping) do not change the generation, so signing in or sending mail does not empty
the cache. Any other write does, whether flushed from the ORM or executed as a statement through the session;
over-counting only costs a render.
"""
import secrets
import threading
import time
import weakref
from collections import namedtuple
from dataclasses import dataclass

from cachetools import LRUCache, TLRUCache
from flask import current_app, g, render_template, request, session
from flask.globals import request_ctx
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import BigInteger, Integer, event, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.wrappers import Response

from portal.extensions import db
from portal.firms.queries import sees_every_listed_firm
from portal.i18n import current_locale
from portal.metrics.instruments import KEPT_PAGES
from portal.notifications.services import unread_count
from portal.permissions import (
    can_edit_glossary,
    can_manage_outbox,
    can_save_search,
    can_view_audit_log,
    can_view_consents,
    can_view_dashboard,
    can_view_moderation,
)
from portal.thai import bangkok_today

PAGES = frozenset({
    "main.index", "main.results", "clusters.index", "clusters.detail", "clusters.members", "directory.index",
    "collab.board", "collab.detail", "firms.detail",
})
# Kept signed in too, per audience: pages whose content is the same for everyone who sees the same list.
MEMBER_PAGES = frozenset({
    "main.index", "main.results", "clusters.index", "clusters.members", "directory.index", "collab.board",
})
# The holes of a page kept signed in (templates/base.html writes MENU_HOLE where the menu goes).
MENU_HOLE = b"<!--pagecache:menu-->"
TOKEN_HOLE = b"<!--pagecache:csrf-->"
# Tables whose rows no public page shows. Writing them leaves the generation as it is.
UNSEEN_TABLES = frozenset({
    "audit_entries", "outbox_messages", "notifications", "notification_preferences", "job_runs",
    "login_throttles", "device_sessions", "remembered_devices", "totp_credentials", "recovery_codes", "passkeys",
    "api_tokens", "webhook_events", "webhook_deliveries", "data_exports", "consent_records", "saved_searches",
    "follow_fanouts", "page_generations",
})
# Columns no public page shows, on tables that pages do read: a change to these alone leaves it too.
UNSEEN_COLUMNS = {"users": frozenset({"last_login_at"})}
MAX_KEY_LENGTH = 2000  # a longer query string is rendered, not kept
# The menu's links that depend on one's role (templates/_menu.html reads them as `links.<name>`), each decided by
# its rule; with the language, the page and the unread count they are all the menu shows of a person.
MENU_LINKS = {
    "moderation": can_view_moderation, "results": can_view_dashboard, "audit_log": can_view_audit_log,
    "glossary": can_edit_glossary, "consents": can_view_consents, "outbox": can_manage_outbox,
}
MenuLinks = namedtuple("MenuLinks", MENU_LINKS)
MENU_ENTRIES = 1000  # rendered menus kept a process (about 4 kB each)
_WRITTEN = "pagecache_written"
_LOCK = threading.Lock()  # the kept pages are one map per process, shared by its threads


class PageGeneration(db.Model):
    """The one row whose value names the current state of what public pages show."""

    __tablename__ = "page_generations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(BigInteger)


_GENERATION_QUERY = select(PageGeneration.value).where(PageGeneration.id == 1)  # built once: read on every request


@dataclass(frozen=True)
class Kept:
    body: bytes
    headers: tuple
    expires: float  # time.monotonic() after which the page is dropped


def _store_for(entries: int) -> TLRUCache:
    """The pages one process keeps: least recently used out past `entries`, each until its own expiry."""
    return TLRUCache(maxsize=entries, ttu=lambda _key, kept, _now: kept.expires, timer=time.monotonic)


def current_generation() -> int | None:
    """The generation public pages are at now; None while there is none (nothing is kept then). Signed in, it was
    read with the user, in this request's transaction (generation_column)."""
    if "pagecache_generation" in g:
        return g.pagecache_generation
    if not has_generation_table():
        return None
    return db.session.scalar(_GENERATION_QUERY)


def generation_known() -> int | None:
    """The generation if this request has read it already, at no statement more: signed in, with the user
    (generation_column); a visitor's page that may be kept, for its key. None otherwise. For what a process may
    keep until the data changes (portal.glossary.queries: the glossary's forms of a search's words)."""
    if "pagecache_generation" in g:
        return g.pagecache_generation
    key = g.get("pagecache_key")
    return key[0] if key else None


def has_generation_table() -> bool:
    return _has_table(db.session.connection())


def generation_column():
    """The generation as a column of the query that loads the signed-in user (portal.auth.services.load_user), so
    that a page kept signed in costs that one statement. Only where has_generation_table()."""
    return _GENERATION_QUERY.scalar_subquery()


def remember_generation(value: int | None) -> None:
    """The generation read with the signed-in user, for this request's current_generation()."""
    g.pagecache_generation = value


_TABLE_SEEN: "weakref.WeakSet" = weakref.WeakSet()  # engines whose database has page_generations


def _has_table(connection) -> bool:
    """Whether the database has the generation's table: not while it is still at an older migration (the code
    deployed before `flask db upgrade`), when writes must go on and nothing is kept. Asked of the catalogue
    until the table is seen, then remembered for the engine."""
    engine = connection.engine
    if engine in _TABLE_SEEN:
        return True
    if inspect(connection).has_table(PageGeneration.__tablename__):
        _TABLE_SEEN.add(engine)
        return True
    return False


def _new_generation(session) -> None:
    if not _has_table(session.connection()):
        return
    value = secrets.randbits(62)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(PageGeneration.__table__).values(id=1, value=value)
    session.execute(statement.on_conflict_do_update(index_elements=["id"], set_={"value": value}))


# --- what a transaction wrote ------------------------------------------------------------------------------

def _after_flush(session, flush_context):
    if session.info.get(_WRITTEN):
        return
    for obj in (*session.new, *session.deleted):
        if getattr(obj, "__tablename__", None) not in UNSEEN_TABLES:
            session.info[_WRITTEN] = True
            return
    for obj in session.dirty:
        table = getattr(obj, "__tablename__", None)
        if table in UNSEEN_TABLES:
            continue
        unseen = UNSEEN_COLUMNS.get(table, frozenset())
        if any(attr.key not in unseen and attr.history.has_changes() for attr in inspect(obj).attrs):
            session.info[_WRITTEN] = True
            return


def _statement_executed(state):
    """Statements executed through the session: bulk UPDATE/DELETE, Core INSERTs, text()."""
    if state.session.info.get(_WRITTEN):
        return
    statement = state.statement
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(statement, "table", None)
        if getattr(table, "name", None) not in UNSEEN_TABLES:
            state.session.info[_WRITTEN] = True
    elif not state.is_select:
        text = str(getattr(statement, "text", "")).lstrip().lower()
        if text.startswith(("insert", "update", "delete", "merge", "truncate")):
            state.session.info[_WRITTEN] = True


def _before_commit(session):
    """Last before the commit (after the results roll-up's own before_commit): a new generation if the
    transaction wrote what a public page shows. The row is locked only from here to the commit."""
    session.flush()
    if session.info.pop(_WRITTEN, False):
        _new_generation(session)  # page_generations is an unseen table: this write notes nothing


def _transaction_end(session, transaction):
    if transaction.parent is None:
        session.info.pop(_WRITTEN, None)


def listen() -> None:
    """Note writes in the sessions of portal.extensions.db (its sessionmaker)."""
    factory = db.session.session_factory
    for name, listener in (("after_flush", _after_flush), ("do_orm_execute", _statement_executed),
                           ("before_commit", _before_commit), ("after_transaction_end", _transaction_end)):
        if not event.contains(factory, name, listener):
            event.listen(factory, name, listener)


# --- serving kept pages -------------------------------------------------------------------------------------

def audience(user) -> tuple | None:
    """Who sees the same content on MEMBER_PAGES: None for a visitor; signed in, the permission facts the
    pages' content depends on (the menu, one's own, is filled in apart)."""
    if not user.is_authenticated:
        return None
    return "signed-in", sees_every_listed_firm(user), can_save_search(user)


def _key():
    """This request's key, or None when its page is not one to keep."""
    if request.method != "GET" or request.endpoint not in PAGES or len(request.full_path) > MAX_KEY_LENGTH:
        return None
    if session.get("_flashes"):
        return None
    who = audience(current_user)
    if who is not None and request.endpoint not in MEMBER_PAGES:
        return None
    generation = current_generation()
    if generation is None:
        return None
    return generation, current_locale(), request.full_path, bangkok_today(), who


def page_holes() -> bool:
    """For templates/base.html: whether this page is rendered to be kept with one person's parts left out."""
    return bool(g.get("pagecache_holes"))


def menu_links() -> MenuLinks:
    """For templates/_menu.html: which of the role's links the signed-in person's menu shows."""
    user = current_user._get_current_object()  # the proxy once, not once a rule
    if not user.is_authenticated:
        return MenuLinks(*(False for _ in MENU_LINKS))
    return MenuLinks(*(rule(user) for rule in MENU_LINKS.values()))


def _menu() -> bytes:
    """This request's signed-in menu with its CSRF token left as a hole: rendered once per language, page, unread
    count and role links in a process, then taken from there (rendering it cost a kept page as much again)."""
    key = (current_locale(), request.script_root, request.endpoint, unread_count(current_user), menu_links())
    menus = current_app.extensions["pagecache_menus"]
    with _LOCK:
        menu = menus.get(key)
    if menu is None:
        menu = render_template("_menu.html").encode().replace(generate_csrf().encode(), TOKEN_HOLE)
        with _LOCK:
            menus[key] = menu
    return menu


def _filled(body: bytes) -> bytes:
    """A kept page's holes filled in for this request's person: their menu and their CSRF token."""
    body = body.replace(MENU_HOLE, _menu(), 1)
    if TOKEN_HOLE in body:
        body = body.replace(TOKEN_HOLE, generate_csrf().encode())
    return body


def _serve_kept():
    """before_request, last of them: answer with the kept page when there is one."""
    store = _store()
    if store is None:
        return None
    key = _key()
    g.pagecache_key = key
    if key is None:
        return None
    with _LOCK:
        kept = store.get(key)
    if kept is None:
        g.pagecache_holes = key[-1] is not None  # signed in: the page is rendered with the menu left out
        return None
    g.pagecache_hit = True
    body = kept.body if key[-1] is None else _filled(kept.body)
    return Response(body, status=200, headers=list(kept.headers))


def _keep(response):
    """after_request, first of them: keep a page rendered for a key (headers the view set, no cookies); a page
    rendered with holes gets them filled in, kept or not."""
    key = g.pop("pagecache_key", None)
    holes = g.pop("pagecache_holes", False)
    if key is not None:  # for the access log and the metrics: how often a page that may be kept was
        g.pagecache_outcome = "served" if g.get("pagecache_hit") else "rendered"
        KEPT_PAGES.labels(g.pagecache_outcome).inc()
    if key is None or g.get("pagecache_hit") or response.is_streamed:
        return response
    body = response.get_data()
    if holes:
        token = g.get("csrf_token")
        if token:
            body = body.replace(token.encode(), TOKEN_HOLE)
        response.set_data(_filled(body))
    if response.status_code != 200 or session.get("_flashes") or request_ctx.flashes:  # one person's message
        return response
    if not holes and "csrf_token" in g:  # a visitor's token: the page is theirs alone
        return response
    headers = tuple((name, value) for name, value in response.headers.items()
                    if name.lower() not in ("set-cookie", "content-length"))
    expires = time.monotonic() + current_app.config["PAGE_CACHE_SECONDS"]
    with _LOCK:
        _store()[key] = Kept(body, headers, expires)
    return response


def _store() -> TLRUCache | None:
    """This process's kept pages, or None while keeping is off."""
    if not current_app.config.get("PAGE_CACHE_SECONDS"):
        return None
    return current_app.extensions.get("pagecache")


def init_app(app) -> None:
    """Call after every other hook is registered: the look-up must run after the language, the rate limits
    and the request id, and the keeping before the headers every response gets. PAGE_CACHE_SECONDS is read
    on each request (0: nothing looked up or kept), so a benchmark can measure both ways in one process."""
    listen()
    app.extensions["pagecache"] = _store_for(app.config.get("PAGE_CACHE_ENTRIES", 500))
    app.extensions["pagecache_menus"] = LRUCache(maxsize=MENU_ENTRIES)
    app.add_template_global(page_holes)
    app.add_template_global(menu_links)
    app.before_request(_serve_kept)
    app.after_request(_keep)
