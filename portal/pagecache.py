"""Listing pages kept rendered and served again until the data they show changes: public pages as a visitor who
is not signed in sees them, and the listing pages as everyone who sees the same list signed in sees them.

A page is kept with the **generations of the tables it read**. `page_table_generations` holds one row per table
that public pages read, given a new random value by every transaction that writes to that table, in that same
transaction, just before it commits. Which tables a transaction wrote is read off the statements it sent
(INSERT, UPDATE, DELETE, whether from the ORM's flush, a statement or text() SQL), and so is which tables a page's
statements read while it was rendered. Each request reads the generations (one statement) and serves a kept page
only if every table it read is at the generation it was rendered at, so what any process on any machine shows is
never older than the last commit to what it shows: posting a request renders the board again, not the directory.
A value is random, not a counter, so that a restored backup or a test that empties the table never makes an old
generation current again; a table with no row yet is at generation 0. A write that cannot be read off its
statement is a new generation of "*", which every kept page depends on.

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
tokens, devices, job bookkeeping) leave the generations as they are, so signing in or sending mail renders
nothing again. A table that maintained tables are kept from (the search indexes' word tables) stands for them:
reading `firm_words` is reading `firms`. Deleting a row is also a write to the tables whose rows the database
deletes or empties with it (their foreign keys' ON DELETE). Over-counting only costs a render.
"""
import re
import secrets
import threading
import time
import weakref
from collections import namedtuple
from dataclasses import dataclass
from functools import lru_cache

from cachetools import LRUCache, TLRUCache
from flask import current_app, g, has_request_context, render_template, request, session
from flask.globals import request_ctx
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import BigInteger, String, cast, event, func, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.wrappers import Response

from portal.db import session_connection
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
# Tables whose rows no public page shows. Writing them leaves the generations as they are.
UNSEEN_TABLES = frozenset({
    "audit_entries", "outbox_messages", "notifications", "notification_preferences", "job_runs",
    "login_throttles", "device_sessions", "remembered_devices", "totp_credentials", "recovery_codes", "passkeys",
    "api_tokens", "webhook_events", "webhook_deliveries", "data_exports", "consent_records", "saved_searches",
    "follow_fanouts", "page_table_generations",
})
# Columns no public page shows, on tables that pages do read: an UPDATE of these alone leaves it too. The ORM stamps
# updated_at on every UPDATE it flushes, so a sign-in's is `SET last_login_at=…, updated_at=…`.
UNSEEN_COLUMNS = {"users": frozenset({"last_login_at", "updated_at"})}
# Tables the database or the searches keep from another table's rows: reading or writing one is the other's.
KEPT_FROM = {
    "firms_fts": "firms", "firms_words_fts": "firms", "firm_words": "firms",
    "collab_requests_fts": "collab_requests", "collab_requests_words_fts": "collab_requests",
    "collab_request_words": "collab_requests",
}
EVERY_TABLE = "*"  # the generation of writes whose tables could not be read off their statement
MAX_KEY_LENGTH = 2000  # a longer query string is rendered, not kept
# The menu's links that depend on one's role (templates/_menu.html reads them as `links.<name>`), each decided by
# its rule; with the language, the page and the unread count they are all the menu shows of a person.
MENU_LINKS = {
    "moderation": can_view_moderation, "results": can_view_dashboard, "audit_log": can_view_audit_log,
    "glossary": can_edit_glossary, "consents": can_view_consents, "outbox": can_manage_outbox,
}
MenuLinks = namedtuple("MenuLinks", MENU_LINKS)
MENU_ENTRIES = 1000  # rendered menus kept a process (about 4 kB each)
_WRITES = "pagecache_writes"  # connection.info: the tables this transaction wrote
_READS = "pagecache_reads"  # g: the tables the page being rendered read
_LOCK = threading.Lock()  # the kept pages are one map per process, shared by its threads


class PageTableGeneration(db.Model):
    """One row per table public pages read: its value names the current state of that table's rows."""

    __tablename__ = "page_table_generations"

    table_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


# Built once, read on every request that may be kept: every table's generation as "table:value,table:value".
_GENERATIONS_QUERY = select(func.aggregate_strings(
    PageTableGeneration.table_name + ":" + cast(PageTableGeneration.value, String), ","))


@dataclass(frozen=True)
class Kept:
    body: bytes
    headers: tuple
    expires: float  # time.monotonic() after which the page is dropped
    read: tuple  # ((table, generation), …): the tables the page read, at the generations it was rendered at


def _store_for(entries: int) -> TLRUCache:
    """The pages one process keeps: least recently used out past `entries`, each until its own expiry."""
    return TLRUCache(maxsize=entries, ttu=lambda _key, kept, _now: kept.expires, timer=time.monotonic)


def current_generations() -> dict[str, int] | None:
    """The generation of each table public pages read, now; None while there is no table of them (nothing is
    kept then). Signed in, they were read with the user, in this request's transaction (generation_column)."""
    if "pagecache_generations" in g:
        return g.pagecache_generations
    if not has_generation_table():
        return None
    g.pagecache_generations = parsed_generations(db.session.scalar(_GENERATIONS_QUERY))
    return g.pagecache_generations


@lru_cache(maxsize=32)
def parsed_generations(text: str | None) -> dict[str, int]:
    """{table: generation} of the generations' "table:value,…" (shared: callers only read it)."""
    found = {}
    for pair in (text or "").split(","):
        name, _, value = pair.partition(":")
        if value:
            found[name] = int(value)
    return found


def generation_known(table: str) -> tuple[int, int] | None:
    """The generation of `table` (with that of writes to no table known, EVERY_TABLE), if this request has read the
    generations already, at no statement more: signed in, with the user (generation_column); a visitor's page that
    may be kept, for its key. None otherwise. For what a process may keep until the table changes
    (portal.glossary.queries: the glossary's forms of a search's words)."""
    generations = g.get("pagecache_generations")
    return None if generations is None else (generations.get(table, 0), generations.get(EVERY_TABLE, 0))


def note_read(table: str) -> None:
    """For what a page takes from a process's own memory that was kept until `table` changes (the glossary's
    forms of a search's words): the page read `table` as if it had asked the database."""
    if has_request_context():
        reads = g.get(_READS)
        if reads is not None:
            reads.add(KEPT_FROM.get(table, table))


def note_expiry(at: float) -> None:
    """For what a page takes from a process's own memory that is kept for a time (portal.reference's counts and
    cluster names): the page is kept no longer than that value is (`at`, by time.monotonic()), so that it is never
    older than the figures it shows would be if it were rendered afresh."""
    if has_request_context() and g.get(_READS) is not None:
        g.pagecache_expires = min(at, g.get("pagecache_expires", at))


def has_generation_table() -> bool:
    return _has_table(db.session.connection())


def generation_column():
    """The generations as a column of the query that loads the signed-in user (portal.auth.services.load_user),
    so that a page kept signed in costs that one statement. Only where has_generation_table()."""
    return _GENERATIONS_QUERY.scalar_subquery()


def remember_generation(text: str | None) -> None:
    """The generations read with the signed-in user, for this request's current_generations()."""
    g.pagecache_generations = parsed_generations(text)


_TABLE_SEEN: "weakref.WeakSet" = weakref.WeakSet()  # engines whose database has page_table_generations


def _has_table(connection) -> bool:
    """Whether the database has the generations' table: not while it is still at an older migration (the code
    deployed before `flask db upgrade`), when writes must go on and nothing is kept. Asked of the catalogue
    until the table is seen, then remembered for the engine."""
    engine = connection.engine
    if engine in _TABLE_SEEN:
        return True
    if inspect(connection).has_table(PageTableGeneration.__tablename__):
        _TABLE_SEEN.add(engine)
        return True
    return False


def _new_generations(session, tables) -> None:
    """A new random value for each of `tables`, in one statement, in name order (two transactions writing the
    same tables lock their rows in the same order)."""
    if not _has_table(session.connection()):
        return
    rows = [{"table_name": name, "value": secrets.randbits(62)} for name in sorted(tables)]
    session.execute(_generations_statement(session.get_bind().dialect.name), rows)


@lru_cache(maxsize=2)
def _generations_statement(dialect: str):
    """_new_generations' upsert of one table's row, built once and run for each table (an executemany, in the rows'
    order). A statement with every row in its VALUES had a different shape for each number of tables and no cache
    key: SQLAlchemy compiled it again on every write, about 1 ms of CPU."""
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(PageTableGeneration.__table__)
    return insert.on_conflict_do_update(index_elements=["table_name"], set_={"value": insert.excluded.value})


# --- which tables a statement reads and writes ----------------------------------------------------------------

_WRITE = re.compile(r"""\b(INSERT\s+(?:OR\s+\w+\s+)?INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM|
                        MERGE\s+INTO|TRUNCATE(?:\s+TABLE)?)\s+(?:ONLY\s+)?"?(\w+)"?
                        (?:\s+SET\s+(.*?)\s+(?:WHERE|FROM|RETURNING)\b)?""", re.IGNORECASE | re.VERBOSE | re.DOTALL)
_WRITING_HEAD = ("INSERT", "UPDATE", "DELETE", "MERGE", "REPLACE", "TRUNCATE", "WITH")
_LONGEST_KEPT = 20_000  # a longer statement (a bulk load's literal rows) is read each time, not remembered


@lru_cache(maxsize=4)
def _table_names(_known: int):
    """(a regex finding the names of the tables public pages may read, as whole words; what each name stands
    for; the tables each table's deletes reach through ON DELETE), for the `_known` tables the models have
    declared so far (a model imported later is a table more: the regex is made again)."""
    names = {name: KEPT_FROM.get(name, name) for name in [*db.metadata.tables, *KEPT_FROM]
             if name not in UNSEEN_TABLES}
    pattern = re.compile(r"\b(" + "|".join(sorted(map(re.escape, names), key=len, reverse=True)) + r")\b")
    reached: dict[str, set[str]] = {}
    for table in db.metadata.tables.values():
        for key in table.foreign_keys:
            if key.ondelete and key.ondelete.upper() in ("CASCADE", "SET NULL", "SET DEFAULT"):
                reached.setdefault(key.column.table.name, set()).add(table.name)
    return pattern, names, reached


def tables_read(statement: str) -> frozenset[str]:
    """The tables public pages read that `statement` names (a name anywhere in it counts: over-counting only
    costs a render)."""
    return _remembered(_tables_read, statement)


@lru_cache(maxsize=4096)
def _tables_read(statement: str, known: int) -> frozenset[str]:
    pattern, names, _reached = _table_names(known)
    return frozenset(names[name] for name in pattern.findall(statement))


def tables_written(statement: str) -> frozenset[str]:
    """The tables public pages read that `statement` writes: empty for a read or a write of unseen tables only,
    EVERY_TABLE when it writes but what could not be read off it."""
    head = statement.lstrip()[:8].upper()
    if not head.startswith(_WRITING_HEAD):
        return frozenset()
    return _remembered(_tables_written, statement, head)


def _remembered(finder, statement: str, *more):
    """`finder`'s answer for the statement and the tables the models declare now: remembered per statement text,
    except for a statement over _LONGEST_KEPT characters (a bulk load's literal rows), read each time."""
    known = len(db.metadata.tables)
    if len(statement) > _LONGEST_KEPT:
        return finder.__wrapped__(statement, *more, known)
    return finder(statement, *more, known)


@lru_cache(maxsize=4096)
def _tables_written(statement: str, head: str, known: int) -> frozenset[str]:
    _pattern, names, reached = _table_names(known)
    written, found = set(), False
    for verb, table, assigned in _WRITE.findall(statement):
        table = table.lower()
        if table not in names and table not in UNSEEN_TABLES:  # a word after UPDATE that is no table of ours:
            continue  # ON CONFLICT DO UPDATE SET, FOR UPDATE OF
        found = True
        unseen = UNSEEN_COLUMNS.get(table)
        if table in UNSEEN_TABLES or (unseen and assigned and set(re.findall(r"(\w+)\s*=", assigned)) <= unseen):
            continue
        written.add(names[table])
        if verb.upper().startswith(("DELETE", "TRUNCATE")):
            stack = [table]
            while stack:
                for child in reached.get(stack.pop(), ()):
                    if child in names and names[child] not in written:
                        written.add(names[child])
                        stack.append(child)
    if not found and not head.startswith("WITH"):
        return frozenset({EVERY_TABLE})
    return frozenset(written)


@event.listens_for(Engine, "begin")
def _transaction_begins(connection):
    connection.info.pop(_WRITES, None)


@event.listens_for(Engine, "before_cursor_execute")
def _note_tables(connection, cursor, statement, parameters, context, executemany):
    """Every statement sent: the tables it writes, for this transaction's commit; while a page that may be kept
    is being rendered, the tables it reads."""
    written = tables_written(statement)
    if written:
        connection.info.setdefault(_WRITES, set()).update(written)
    if has_request_context():
        reads = g.get(_READS)
        if reads is not None:
            reads.update(tables_read(statement))


def _before_commit(session):
    """Last before the commit (after the results roll-up's own before_commit): new generations for the tables the
    transaction wrote that public pages read. Their rows are locked only from here to the commit."""
    session.flush()
    connection = session_connection(session)
    written = connection.info.pop(_WRITES, None) if connection is not None else None
    if written:
        _new_generations(session, written)  # page_table_generations is an unseen table: this write notes nothing


def listen() -> None:
    """New generations at the commits of the sessions of portal.extensions.db (its sessionmaker); the statements
    are noted by the engines' events above."""
    factory = db.session.session_factory
    if not event.contains(factory, "before_commit", _before_commit):
        event.listen(factory, "before_commit", _before_commit)


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
    if current_generations() is None:
        return None
    return current_locale(), request.full_path, bangkok_today(), who


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
    if kept is None or not _current(kept.read, g.pagecache_generations):
        g.pagecache_holes = key[-1] is not None  # signed in: the page is rendered with the menu left out
        g.setdefault(_READS, set())  # from here on, the tables the page reads (_note_tables)
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
    expires = min(time.monotonic() + current_app.config["PAGE_CACHE_SECONDS"],
                  g.pop("pagecache_expires", float("inf")))
    generations = g.pagecache_generations  # read before the page was: a write between them renders it again
    read = tuple((name, generations.get(name, 0)) for name in sorted(g.pop(_READS, set()) | {EVERY_TABLE}))
    with _LOCK:
        _store()[key] = Kept(body, headers, expires, read)
    return response


def _current(read: tuple, generations: dict[str, int]) -> bool:
    """Whether every table a kept page read is still at the generation the page was rendered at."""
    return all(generations.get(name, 0) == value for name, value in read)


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
    app.before_request_funcs.setdefault(None, []).insert(0, _forget_the_last_request)
    app.before_request(_serve_kept)
    app.after_request(_keep)


_PER_REQUEST = ("pagecache_generations", _READS, "pagecache_expires", "pagecache_key", "pagecache_holes",
                "pagecache_hit", "pagecache_outcome")


def _forget_the_last_request():
    """before_request, first of all: `g` belongs to the app context, which a request shares with the one before
    it when the caller holds one open (a test, a script); what this module noted of that request is not this
    one's."""
    for name in _PER_REQUEST:
        g.pop(name, None)
